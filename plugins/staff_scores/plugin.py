"""Plugin object for `staff_scores`: its name, version, titles, and its hooks.

Peer evaluation of librarians on a shared, versioned rubric: rounds, normalised and shrunk
scores blended with readers' ratings of answers, a staff board, personal reports and kudos.
"""

from __future__ import annotations

import click
from flask import render_template, url_for
from flask.cli import with_appcontext
from markupsafe import Markup

from core.badges import BadgeRule
from core.hookspecs import MailKind, hookimpl
from core.ui import MenuItem, Panel, Slide

from . import models  # noqa: F401  (registers the tables)
from . import results_views  # noqa: F401  (adds its routes to the blueprint)
from . import service, staff_board
from .i18n import _, _l
from .views import bp

NAME = "staff_scores"
VERSION = "0.1.0"
TITLE = {"en": "Staff scores", "zh_Hans": "馆员互评"}
DESCRIPTION = {
    "en": "Peer evaluation rounds for librarians on a shared rubric, blended with readers' ratings, and a staff board.",
    "zh_Hans": "馆员依据共同制定的标准互评，结合读者评价，形成馆员榜单。",
}


@hookimpl
def engage_mail_kinds():
    """Rounds opening, closing, published and reminders at once; kudos from colleagues daily."""
    return [MailKind("staff_scores:rounds", _l("Peer-evaluation rounds and reminders"), default="immediate",
                     staff_only=True, order=60),
            MailKind("staff_scores:kudos", _l("Kudos from colleagues"), kinds=("kudos",), default="daily",
                     staff_only=True, order=61)]


@hookimpl
def engage_blueprints():
    return bp


@hookimpl
def engage_rate_limits():
    return {"staff_scores.kudos": "20 per hour", "staff_scores.rate": "120 per hour"}


@hookimpl
def engage_menu_items(user):
    """A menu entry for librarians only."""
    if service.is_staff(user):
        return MenuItem(_("Staff scores"), url_for("staff_scores.index"), 60, "staff_scores")
    return None


def _open_rounds(session, user_id):
    return [(r, service.left_to_rate(session, r, user_id)) for r in service.rounds(session)
            if service.state(r) == "open"]


@hookimpl
def engage_home_panels(user):
    """For librarians: the open rounds and how many colleagues are left to rate in each."""
    if not service.is_staff(user):
        return None
    from core.db import get_session

    rounds = _open_rounds(get_session(), user.id)
    if not rounds:
        return None
    return Panel(_("Rate your colleagues"), Markup(render_template("staff_scores/_home_panel.html", rounds=rounds)),
                 30, "staff_scores-home")


@hookimpl
def engage_admin_panels(user):
    """Rounds waiting to be published, with their flags, and links to the rubric and rounds."""
    from core.db import get_session

    db = get_session()
    waiting = [(r, service.results(db, r)) for r in service.rounds(db) if service.state(r) == "closed"]
    return Panel(_("Staff scores"), Markup(render_template("staff_scores/_admin_panel.html", waiting=waiting)),
                 60, "staff_scores-admin")


@hookimpl
def engage_screen_slides(screen):
    """The staff board of the last published round (librarians who opted out are left out)."""
    from core.db import get_session

    data = staff_board.board(get_session(), public=True)
    html = render_template("staff_scores/_slide.html", **data,
                           who={p.id: p.display_name for p in service.staff(get_session())})
    return Slide("board", _("Staff board"), Markup(html), url_for("staff_scores.public_board", _external=True), 60)


@hookimpl
def engage_badge_rules():
    rules = [
        ("rated_all", 1, {"en": "Fair judge", "zh_Hans": "公正评委"},
         {"en": "Rate every colleague in an evaluation round.", "zh_Hans": "在一轮互评中为每位同事评分。"}),
        ("kudos_received", 5, {"en": "Appreciated", "zh_Hans": "备受感谢"},
         {"en": "Receive five kudos from colleagues.", "zh_Hans": "收到同事的五次感谢。"}),
        ("top3", 1, {"en": "Top three", "zh_Hans": "前三名"},
         {"en": "Finish in the top three of a published round.", "zh_Hans": "在已公布的一轮互评中进入前三名。"}),
    ]
    return [BadgeRule(f"staff_scores:{kind}", name, how, kind="activity_count", activity=(NAME, kind), count=count)
            for kind, count, name, how in rules]


@hookimpl
def engage_answer_rated(session, rating):
    """Keep each reader's rating of an answer (once per source_ref) to blend into scores."""
    service.store_answer_rating(session, rating)


@hookimpl
def engage_cli_commands(cli):
    @cli.group("staff-scores")
    def group():
        """Staff evaluation rounds."""

    @group.command("remind")
    @with_appcontext
    def remind():
        """Send due round notices, and remind librarians who have colleagues left to rate."""
        from flask import current_app

        with current_app.extensions["engage.db"].write_session() as session:
            service.send_due_notices(session)
            sent = sum(service.remind(session, r) for r in service.rounds(session) if service.state(r) == "open")
        click.echo(f"{sent} reminders sent.")


def _round_notices() -> None:
    from core.db import get_db

    with get_db().write_session() as session:
        service.send_due_notices(session)


def _daily_reminders() -> int:
    """Remind late raters in every open round, once per round and library day."""
    from core.db import get_db
    from core.jobs import claim_once
    from core.models import utcnow
    from core.points import current_calendar

    today = current_calendar().local_date(utcnow())
    with get_db().write_session() as session:
        return sum(service.remind(session, r) for r in service.rounds(session)
                   if service.state(r) == "open" and claim_once(f"{NAME}:remind:{r.id}:{today.isoformat()}"))


@hookimpl
def engage_jobs():
    """Rounds announce their opening and closing on time; late raters are reminded each morning."""
    from core.jobs import PeriodicJob, crontab, every_minutes

    return [PeriodicJob(f"{NAME}:round-notices", NAME, _round_notices, every_minutes(5)),
            PeriodicJob(f"{NAME}:remind", NAME, _daily_reminders, crontab(minute="0", hour="9"))]


@hookimpl
def engage_demo_data(session, rng, students, librarians):
    from .demo import populate

    populate(session, rng, librarians)


@hookimpl
def engage_activity_kinds():
    """Names for the activities this plugin records (dashboards, badge criteria)."""
    return {"top3": _l("Among the top three of a round"), "rated_all": _l("Rated every colleague in a round"), "kudos_received": _l("Kudos from a colleague")}


@hookimpl
def engage_point_rules():
    """Names for this plugin's points in readers' history."""
    return {"kudos": _l("Kudos from a colleague")}


# --- readers' rights (core.identity.privacy) ----------------------------------------------

@hookimpl
def engage_user_data(session, user_id):
    from . import privacy

    return privacy.user_data(session, user_id)


@hookimpl
def engage_forget_user(session, user_id):
    from . import privacy

    privacy.forget_user(session, user_id)
