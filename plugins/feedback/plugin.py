"""Plugin object for `feedback`: its name, version, titles, and its hooks.

Importing this module registers everything: the tables (models), the blueprint and its routes
(views, staff) and the hook implementations below.
"""

from __future__ import annotations

import click
from flask import render_template, url_for
from markupsafe import Markup
from sqlalchemy import select

from core.badges import BadgeRule
from core.db import get_db, get_session
from core.hookspecs import MailKind, hookimpl
from core.models import Role
from core.ui import MenuItem, Panel, Slide

from . import models  # noqa: F401  (the tables must exist before create_all)
from . import demo, service, staff, workflow  # noqa: F401  (staff registers its routes on the blueprint)
from .i18n import _, _l
from .models import FeedbackItem
from .views import bp

NAME = "feedback"
VERSION = "0.1.0"
TITLE = {"en": "Feedback loop", "zh_Hans": "读者反馈闭环"}
DESCRIPTION = {
    "en": "A closed loop from a reader's complaint or suggestion to a visible change, with credit to the reader who raised it.",
    "zh_Hans": "从读者的意见建议到可见的改进，形成闭环，并为提出者记功。",
}


def _both(en: str, zh: str) -> dict:
    return {"en": en, "zh_Hans": zh}


@hookimpl
def engage_mail_kinds():
    """Readers hear of every step on their feedback at once; librarians of assignments and of
    response-time (SLA) warnings and misses (``service.SLA_KINDS``, sent by the ``sla-alerts`` job)
    at once too."""
    return [MailKind("feedback:updates", _l("News on your feedback"), default="immediate", order=40),
            MailKind("feedback:assigned", _l("Feedback assigned to you"), kinds=("assigned-to-you",),
                     default="immediate", staff_only=True, order=41),
            MailKind("feedback:sla", _l("Response-time (SLA) warnings and breaches"),
                     kinds=service.SLA_KINDS, default="immediate", staff_only=True, order=42)]


@hookimpl
def engage_blueprints():
    return bp


@hookimpl
def engage_rate_limits():
    # "step" is also the reader's confirmation and rating of an answer.
    return {"feedback.new": "10 per hour", "feedback.me_too": "60 per minute", "feedback.step": "60 per minute"}


@hookimpl
def engage_cli_commands(cli):
    """``engage feedback auto-close`` and ``sla-alerts``: what ``engage worker`` runs on its own, for manual runs."""
    @cli.group("feedback")
    def feedback_group():
        """The feedback loop."""

    @feedback_group.command("auto-close")
    def auto_close_command():
        """Close answered items left quiet for FEEDBACK_AUTO_CLOSE_DAYS days."""
        click.echo(f"{_auto_close()} feedback item(s) closed.")

    @feedback_group.command("sla-alerts")
    def sla_alerts_command():
        """Warn staff of items nearing their service-level targets; escalate missed ones (once each)."""
        click.echo(f"{_sla_alerts()} message(s) sent.")


def _auto_close() -> int:
    with get_db().write_session() as session:
        return service.auto_close(session)


def _sla_alerts() -> int:
    with get_db().write_session() as session:
        return service.sla_alerts(session)


@hookimpl
def engage_jobs():
    """Quiet answered items close on their own; staff hear of service-level targets in time."""
    from core.jobs import PeriodicJob, crontab, every_minutes

    return [PeriodicJob(f"{NAME}:auto-close", NAME, _auto_close, crontab(minute="7")),
            PeriodicJob(f"{NAME}:sla-alerts", NAME, _sla_alerts, every_minutes(10))]


@hookimpl
def engage_demo_data(session, rng, students, librarians):
    demo.populate(session, rng, students, librarians)


@hookimpl
def engage_badge_rules():
    """Badges for feedback that helped: counted on confirmation and on inspiring, never on submission."""
    return [
        BadgeRule("feedback:voice", _both("Voice of the library", "图书馆之声"),
                  _both("Three of your feedback items were answered and confirmed.", "三条反馈得到答复并经你确认。"),
                  kind="activity_count", activity=("feedback", "confirmed"), count=3, order=60),
        BadgeRule("feedback:spark", _both("Spark", "灵感火花"),
                  _both("Your feedback inspired a change or a story at the library.", "你的反馈启发了图书馆的一项改进或一个故事。"),
                  kind="activity_count", activity=("feedback", "inspired"), count=1, order=61),
        BadgeRule("feedback:first-voice", _both("First voice", "第一声"),
                  _both("Be the first reader to confirm an answer to feedback.", "第一位确认反馈答复的读者。"),
                  kind="first", activity=("feedback", "confirmed"), order=62),
    ]


@hookimpl
def engage_menu_items(user):
    items = [MenuItem(_("Feedback"), url_for("feedback.index") if user.is_authenticated else url_for("feedback.board"),
                      60, "feedback")]
    if user.is_authenticated and user.has_role(Role.librarian):
        items.append(MenuItem(_("Feedback queue"), url_for("feedback.queue"), 61, "feedback-queue"))
    return items


@hookimpl
def engage_home_panels(user):
    """Readers see their open items; librarians see how many are overdue."""
    if not user.is_authenticated:
        return None
    session = get_session()
    if user.has_role(Role.librarian):
        html = render_template("feedback/_panel_staff.html", overdue=service.overdue_count(session),
                               active=len(service.queue(session)))
        return Panel(_("Feedback queue"), Markup(html), 40, "feedback-queue")
    items = session.execute(select(FeedbackItem).where(FeedbackItem.submitter_id == user.id,
                                                       FeedbackItem.state.in_(workflow.OPEN))
                            .order_by(FeedbackItem.updated_at.desc()).limit(5)).scalars().all()
    return Panel(_("Your feedback"), Markup(render_template("feedback/_panel_reader.html", items=items)), 40,
                 "feedback-mine")


@hookimpl
def engage_admin_panels(user):
    session = get_session()
    from .measures import report

    html = render_template("feedback/_panel_admin.html", overdue=service.overdue_count(session),
                           report=report(session, days=30))
    return Panel(_("Feedback loop"), Markup(html), 40, "feedback-admin")


@hookimpl
def engage_screen_slides(screen):
    """The "you said, we did" board for lobby screens: the latest published changes, those written
    in the screen's language first (the answer is shown in that language too)."""
    items = service.latest_published(get_session(), locale=getattr(screen, "locale", None))
    html = render_template("feedback/_slide.html", items=items)
    return Slide("you-said-we-did", _("You said, we did"), Markup(html), url_for("feedback.board", _external=True), 40)


@hookimpl
def engage_activity_kinds():
    """Names for the activities this plugin records (dashboards, badge criteria)."""
    return {"confirmed": _l("Feedback answered and confirmed"), "inspired": _l("Feedback that led to a change")}


@hookimpl
def engage_point_rules():
    """Names for this plugin's points in readers' history."""
    return {"feedback-confirmed": _l("Feedback answered and confirmed"), "feedback-inspired": _l("Feedback that led to a change")}


# --- readers' rights (core.identity.privacy) ----------------------------------------------

@hookimpl
def engage_user_data(session, user_id):
    from . import privacy

    return privacy.user_data(session, user_id)


@hookimpl
def engage_forget_user(session, user_id):
    from . import privacy

    privacy.forget_user(session, user_id)


# --- satisfaction (dashboards) -------------------------------------------------------------

@hookimpl
def engage_satisfaction(session, start, end):
    """Readers' ratings of answers, the answers and the "you said, we did" changes in a span."""
    from .satisfaction import measure

    return measure(session, start, end)
