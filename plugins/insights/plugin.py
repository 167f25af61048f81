"""Plugin object for `insights`: the relationship dashboard (reach, participation, retention,
campaigns, satisfaction), segments to reach readers, a term report and a lobby slide.

Importing this module registers everything: the tables (models), the blueprint and its routes
(views) and the hook implementations below.
"""

from __future__ import annotations

import logging

from flask import url_for
from sqlalchemy.exc import SQLAlchemyError

from core.db import get_db
from core.hookspecs import MailKind, hookimpl
from core.models import Role, utcnow
from core.plugins import get_host
from core.terms import current_calendar
from core.ui import MenuItem

from . import models  # noqa: F401  (the tables must exist before create_all)
from . import campaigns, report, segment_views, views  # noqa: F401  (the views register the routes)
from .blueprint import bp
from .i18n import _, _l
from .rollups import fold_all, queue_awards, queue_events

log = logging.getLogger(__name__)

NAME = "insights"
VERSION = "0.1.0"
TITLE = {"en": "Insights", "zh_Hans": "读者关系洞察"}
DESCRIPTION = {
    "en": "How many readers take part, whether they come back, which faculties and campaigns reach them, "
          "how satisfied they are; segments to reach them and a term report.",
    "zh_Hans": "多少读者参与、是否回访、哪些院系和推广触达了他们、满意度如何；按人群发消息，并生成学期报告。",
}


@hookimpl
def engage_blueprints():
    return bp


@hookimpl
def engage_points_awarded_many(session, awards):
    """Readers earned points: count them as active today (corrections and deductions are not activity)."""
    earned = {award.user_id for award in awards if award.amount > 0}
    if earned:
        queue_awards(session, earned)


@hookimpl
def engage_activities_recorded(session, activities):
    """Readers did something in an activity: count it for the plugin and the activity; what a
    reader does on the day a campaign brought them counts as that campaign's conversion."""
    campaign = campaigns.conversion_of_request(current_calendar().local_date(activities[0].created_at))
    queue_events(session, [(a.user_id, a.plugin, a.kind, a.created_at) for a in activities], campaign=campaign)


@hookimpl
def engage_menu_items(user):
    if user.is_authenticated and user.has_role(Role.librarian):
        return MenuItem(_("Insights"), url_for("insights.dashboard"), 85, "insights")
    return None


@bp.before_app_request
def count_tagged_visit():
    """A page opened through a source-tagged link (share, QR, screen, message) counts for its campaign."""
    from flask import request

    if "src" not in request.args or request.method != "GET" or not get_host().is_enabled(NAME):
        return
    try:
        campaigns.note_request(get_db(), _today())
    except SQLAlchemyError:  # counting must never cost the reader the page
        log.warning("could not count a tagged visit", exc_info=True)


def _today():
    return current_calendar().local_date(utcnow())


@hookimpl
def engage_mail_kinds():
    """Librarians' messages to a segment: by email in the daily digest unless a reader chooses otherwise."""
    return MailKind("insights:messages", _l("Messages from the library"), kinds=("message",), default="daily", order=90)


def _fold() -> int:
    return fold_all(get_db())


def _send_messages() -> int:
    from .segments import send_pending

    return send_pending(get_db(), current_calendar(), _today())


def _prune() -> int:
    from .upkeep import prune

    with get_db().write_session() as session:
        return prune(session, _today())


@hookimpl
def engage_jobs():
    """Events are counted into the rollups; messages to segments go out in batches; old day-level
    sets and past days' visitor hashes are deleted."""
    from core.jobs import PeriodicJob, crontab, every_minutes

    return [PeriodicJob(f"{NAME}:fold", NAME, _fold, every_minutes(1)),
            PeriodicJob(f"{NAME}:send-messages", NAME, _send_messages, every_minutes(1)),
            PeriodicJob(f"{NAME}:prune", NAME, _prune, crontab(minute="17", hour="3"))]


@hookimpl
def engage_screen_slides(screen):
    """The library's own numbers: readers this week, what they did this term, ideas turned into changes."""
    from flask import render_template
    from markupsafe import Markup

    from core.db import get_session
    from core.ui import Slide

    from .slide import lobby_numbers

    calendar = current_calendar()
    numbers = lobby_numbers(get_session(), calendar, _today())
    html = render_template("insights/_slide.html", numbers=numbers)
    return Slide("our-numbers", _("Our library in numbers"), Markup(html), url_for("main.home", _external=True), 90)


@hookimpl
def engage_demo_data(session, rng, students, librarians):
    """The demo's point history was written with past dates: count it on the days it happened."""
    from .upkeep import rebuild

    rebuild(session)


@hookimpl
def engage_cli_commands(cli):
    """``engage insights rebuild``: count the existing history into the rollups (after switching the dashboard on)."""
    import click

    @cli.group("insights")
    def insights_group():
        """The relationship dashboard."""

    @insights_group.command("rebuild")
    def rebuild_command():
        """Rebuild the activity rollups from the ledger and the activity history."""
        from .upkeep import rebuild

        with get_db().write_session() as session:
            count = rebuild(session, progress=lambda n: click.echo(f"{n} events…"))
        click.echo(f"{count} event(s) counted into the rollups.")


# --- readers' rights (core.identity.privacy) ----------------------------------------------

@hookimpl
def engage_user_data(session, user_id):
    from . import privacy

    return privacy.user_data(session, user_id)


@hookimpl
def engage_forget_user(session, user_id):
    from . import privacy

    privacy.forget_user(session, user_id)
