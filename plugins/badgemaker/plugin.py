"""Plugin object for `badgemaker`: badges librarians make from criteria any plugin offers.

Importing this module registers everything: the tables (models), the blueprint and its routes
(views) and the hook implementations below.
"""

from __future__ import annotations

import click
from flask import render_template, url_for
from markupsafe import Markup
from sqlalchemy import func, select

from core.db import get_db, get_session
from core.hookspecs import hookimpl
from core.models import BadgeAward
from core.ui import Panel, Slide

from . import criteria, demo, models, rules, service, views  # noqa: F401  (views adds its routes)
from .blueprint import bp
from .i18n import _

NAME = "badgemaker"
VERSION = "0.1.0"
TITLE = {"en": "Badges you make", "zh_Hans": "自制徽章"}
DESCRIPTION = {
    "en": "Librarians make badges from what readers do (points, activities, weeks in a row, events…), without a developer.",
    "zh_Hans": "馆员根据读者的参与（积分、活动、连续周数、活动出席等）自行设计徽章，无需开发人员。",
}


@hookimpl
def engage_blueprints():
    return bp


@hookimpl
def engage_rate_limits():
    # The preview is asked as a librarian types.
    return {"badgemaker.preview": "120 per minute"}


@hookimpl
def engage_badge_criteria():
    """Points, activities of any plugin's kind and weeks in a row, from core's records."""
    return criteria.offered()


@hookimpl
def engage_runtime_badge_rules(session):
    """Every made badge, retired ones included, as a rule core grants in the earning transaction."""
    return rules.all_rules(session)


def _grant_waiting() -> int:
    return service.grant_waiting(get_db())


@hookimpl
def engage_jobs():
    """Give new badges to the readers who already qualify (queued on save; the schedule catches up)."""
    from core.jobs import PeriodicJob, every_minutes

    return [PeriodicJob(service.JOB, NAME, _grant_waiting, every_minutes(1))]


@hookimpl
def engage_cli_commands(cli):
    @cli.command("badgemaker-grant")
    def grant_command():
        """Give new made badges to the readers who already qualify, now."""
        click.echo(f"{_grant_waiting()} badge(s) given.")


@hookimpl
def engage_demo_data(session, rng, students, librarians):
    demo.populate(session, rng, students, librarians)


def _newest(session):
    """The newest badge still being given, or None."""
    return session.execute(select(models.MadeBadge).where(models.MadeBadge.retired_at.is_(None))
                           .order_by(models.MadeBadge.id.desc()).limit(1)).scalar()


@hookimpl
def engage_home_panels(user):
    """Signed-in readers hear of the newest badge they can earn."""
    if not user.is_authenticated:
        return None
    session = get_session()
    badge = _newest(session)
    if badge is None:
        return None
    held = session.execute(select(BadgeAward.id).where(BadgeAward.badge_key == badge.key,
                                                       BadgeAward.user_id == user.id)).first() is not None
    html = render_template("badgemaker/_home_panel.html", badge=badge, held=held,
                           holders=service.holder_count(session, badge.key))
    return Panel(_("A new badge to earn"), Markup(html), 45, "badgemaker-new")


@hookimpl
def engage_screen_slides(screen):
    """The newest made badge, its emblem and how to earn it; the code opens its page."""
    session = get_session()
    badge = _newest(session)
    if badge is None:
        return None
    html = render_template("badgemaker/_slide.html", badge=badge, holders=service.holder_count(session, badge.key))
    return Slide("newest", _("A new badge to earn"), Markup(html), url_for("badges.detail", key=badge.key,
                                                                            _external=True), 70)


@hookimpl
def engage_admin_panels(user):
    session = get_session()
    active = session.execute(select(func.count()).select_from(models.MadeBadge)
                             .where(models.MadeBadge.retired_at.is_(None))).scalar_one()
    return Panel(_("Badges you make"), Markup(render_template("badgemaker/_panel_admin.html", active=active)), 55,
                 "badgemaker-admin")


# --- readers' rights (core.identity.privacy) ----------------------------------------------

@hookimpl
def engage_user_data(session, user_id):
    from . import privacy

    return privacy.user_data(session, user_id)


@hookimpl
def engage_forget_user(session, user_id):
    from . import privacy

    privacy.forget_user(session, user_id)
