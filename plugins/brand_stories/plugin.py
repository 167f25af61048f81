"""Plugin object for `brand_stories`: its name, version, titles, and its hooks."""

from __future__ import annotations

import click
from flask import render_template, url_for
from flask_babel import force_locale
from markupsafe import Markup
from sqlalchemy import select

from core.db import get_session
from core.hookspecs import ContentTarget, MailKind, hookimpl
from core.models import utcnow
from core.ui import MenuItem, Panel, Slide

from . import models, voting  # noqa: F401  (importing the models creates the tables)
from .i18n import _, _l
from .models import Design, Episode, Poll

NAME = "brand_stories"
VERSION = "0.1.0"
TITLE = {"en": "Brand stories", "zh_Hans": "品牌故事"}
DESCRIPTION = {
    "en": "The library's hand-painted characters and their stories, with readers voting on what happens next and on design contests.",
    "zh_Hans": "图书馆手绘形象及其故事，读者投票决定情节走向并参与设计大赛。",
}


def _public_polls(now):
    """Polls on published episodes: what readers and screens may see."""
    return select(Poll).join(Episode, Episode.id == Poll.episode_id).where(Episode.publish_at <= now)


def _latest_open_poll(db):
    now = utcnow()
    return db.execute(_public_polls(now).where(Poll.opens_at <= now, Poll.closes_at > now)
                      .order_by(Poll.closes_at)).scalars().first()


@hookimpl
def engage_blueprints():
    from .views import bp

    return bp


@hookimpl
def engage_mail_kinds():
    """Results of polls and contests a reader took part in, in the daily digest."""
    return MailKind("brand_stories:results", _l("Results of polls and contests you took part in"),
                    default="daily", order=50)


@hookimpl
def engage_rate_limits():
    from .views import VOTE_LIMIT

    return {"brand_stories.vote": VOTE_LIMIT, "brand_stories.rank": VOTE_LIMIT,
            "brand_stories.submit_design": "10 per hour"}


@hookimpl
def engage_cli_commands(cli):
    @cli.group("brand-stories")
    def brand_stories():
        """Brand stories: housekeeping commands."""

    @brand_stories.command("close-due")
    def close_due():
        """Tell voters of newly closed polls and tally newly closed design contests (once each;
        `engage worker` does this every minute)."""
        click.echo(f"settled {_settle_due()} poll(s) and contest(s)")


def _settle_due() -> int:
    from core.db import get_db

    with get_db().write_session() as session:
        return voting.settle_due(session)


@hookimpl
def engage_jobs():
    """Polls and contests close on time, their voters told once, whether or not anyone visits."""
    from core.jobs import PeriodicJob, every_minutes

    return PeriodicJob(f"{NAME}:close-due", NAME, _settle_due, every_minutes(1))


@hookimpl
def engage_menu_items(user):
    return MenuItem(_("Stories"), url_for("brand_stories.index"), 30, "brand_stories")


@hookimpl
def engage_home_panels(user):
    db = get_session()
    episode = db.execute(select(Episode).where(Episode.publish_at <= utcnow())
                         .order_by(Episode.publish_at.desc())).scalars().first()
    poll = _latest_open_poll(db)
    if episode is None and poll is None:
        return None
    html = render_template("brand_stories/_home_panel.html", episode=episode, poll=poll,
                           turnout=voting.turnout(db, poll.id) if poll else 0)
    return Panel(_("Stories"), Markup(html), 30, "brand_stories")


@hookimpl
def engage_admin_panels(user):
    db = get_session()
    pending = db.execute(select(Design.id).where(Design.status == "pending")).scalars().all()
    html = render_template("brand_stories/_admin_panel.html", pending=len(pending),
                           open_poll=_latest_open_poll(db))
    return Panel(_("Brand stories"), Markup(html), 30, "brand_stories")


@hookimpl
def engage_badge_rules():
    from core.badges import BadgeRule

    voted = (NAME, "voted")
    return [
        BadgeRule("brand_stories:first-vote", {"en": "First say", "zh_Hans": "初次发声"},
                  {"en": "Vote in a story poll or a design contest.", "zh_Hans": "在故事投票或设计大赛中投出一票。"},
                  kind="activity_count", activity=voted, count=1, order=60),
        BadgeRule("brand_stories:five-votes", {"en": "Story shaper", "zh_Hans": "故事塑造者"},
                  {"en": "Vote in five story polls or design contests.", "zh_Hans": "参与五次故事投票或设计大赛投票。"},
                  kind="activity_count", activity=voted, count=5, order=61),
        BadgeRule("brand_stories:designer", {"en": "Designer", "zh_Hans": "设计师"},
                  {"en": "Have a design accepted in a design contest.", "zh_Hans": "设计作品入选设计大赛。"},
                  kind="activity_count", activity=(NAME, "design_accepted"), count=1, order=62),
        BadgeRule("brand_stories:contest-winner", {"en": "Contest winner", "zh_Hans": "大赛冠军"},
                  {"en": "Win a design contest.", "zh_Hans": "赢得一次设计大赛。"},
                  kind="activity_count", activity=(NAME, "contest_won"), count=1, order=63),
    ]


@hookimpl
def engage_screen_slides(screen):
    """The poll slide: the open poll's live turnout, or the last closed poll's result."""
    db = get_session()
    now = utcnow()
    poll = _latest_open_poll(db) or db.execute(
        _public_polls(now).where(Poll.closes_at <= now).order_by(Poll.closes_at.desc())).scalars().first()
    locale = (screen.locale if screen and screen.locale else "en")
    with force_locale(locale):
        title = _("Story poll")
        if poll is None:
            html = render_template("brand_stories/_slide.html", poll=None)
            url = url_for("brand_stories.index", _external=True)
        else:
            tally = voting.approval_tally(db, poll) if voting.counts_visible(poll) else None
            html = render_template("brand_stories/_slide.html", poll=poll, state=voting.poll_state(poll),
                                   turnout=voting.turnout(db, poll.id), tally=tally[:4] if tally else None)
            url = url_for("brand_stories.poll", poll_id=poll.id, _external=True)
    return Slide("poll", title, Markup(html), url, 30)


@hookimpl
def engage_content_targets(user):
    """Published episodes only: the linking plugin shows the title and link to readers, and an
    unpublished episode's title must not reach them that way."""
    db = get_session()
    published = select(Episode).where(Episode.publish_at <= utcnow()).order_by(Episode.publish_at.desc())
    targets = [ContentTarget(f"brand_stories:episode:{e.id}", voting.local(e.title_en, e.title_zh),
                             url_for("brand_stories.episode", episode_id=e.id), 30 + n)
               for n, e in enumerate(db.execute(published).scalars())]
    return targets or None  # None, not [], so a library without episodes adds nothing to the result


@hookimpl
def engage_demo_data(session, rng, students, librarians):
    from .demo import populate

    populate(session, rng, students, librarians)


@hookimpl
def engage_activity_kinds():
    """Names for the activities this plugin records (dashboards, badge criteria)."""
    return {"voted": _l("Voted in a story poll or contest"), "contest_won": _l("Won a design contest"), "design_accepted": _l("Design accepted")}


@hookimpl
def engage_point_rules():
    """Names for this plugin's points in readers' history."""
    return {"vote": _l("Voted in a story poll or contest"), "design accepted": _l("Design accepted"), "contest winner": _l("Winning design")}


# --- readers' rights (core.identity.privacy) ----------------------------------------------

@hookimpl
def engage_user_data(session, user_id):
    from . import privacy

    return privacy.user_data(session, user_id)


@hookimpl
def engage_forget_user(session, user_id):
    from . import privacy

    privacy.forget_user(session, user_id)
