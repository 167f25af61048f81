"""Plugin object for `events`: its name, version, titles and hook implementations.

Importing this module registers everything: the tables (``models``), the blueprint (``views``
and ``manage``) and the hooks below.
"""

from __future__ import annotations

from flask import render_template, url_for
from markupsafe import Markup

from core.badge_criteria import BadgeCriterion
from core.badges import BadgeRule
from core.db import get_session
from core.hookspecs import MailKind, hookimpl
from core.ui import MenuItem, Panel, Slide

from . import models  # noqa: F401  (the tables exist once the plugin is imported)
from . import checkin, codes, manage, reminders, service, views  # noqa: F401  (routes on the blueprint)
from .blueprint import bp
from .demo import populate_demo
from .i18n import _, _l
from .qr import qr_svg

NAME = "events"
VERSION = "0.1.0"
TITLE = {"en": "Events", "zh_Hans": "活动"}
DESCRIPTION = {
    "en": "Workshops, talks and reading clubs: registration with a waitlist, reminders, calendar feeds and QR check-in that pays points.",
    "zh_Hans": "讲座、工作坊与读书会：报名与候补、提醒、日历订阅，扫码签到即得积分。",
}
ATTENDED = (NAME, checkin.ACTIVITY)


def _is_librarian(user) -> bool:
    return bool(user.is_authenticated and user.has_role("librarian"))


@hookimpl
def engage_blueprints():
    """The readers' and librarians' pages, all under /events."""
    return bp


@hookimpl
def engage_jobs():
    """Reminders before events, whether or not anyone visits."""
    from core.jobs import PeriodicJob, every_minutes

    return PeriodicJob(f"{NAME}:remind", NAME, reminders.run, every_minutes(10))


@hookimpl
def engage_mail_kinds():
    """Reminders and a seat from the waitlist come at once by default."""
    return [MailKind("events:reminders", _l("Event reminders"), kinds=(reminders.KIND,), default="immediate", order=50),
            MailKind("events:seats", _l("A seat from the waitlist"), kinds=("promoted",), default="immediate",
                     order=51)]


@hookimpl
def engage_rate_limits():
    return {"events.register": "30 per minute", "events.cancel": "30 per minute",
            "events.check_in": "30 per minute"}


@hookimpl
def engage_menu_items(user):
    """"Events" for everyone."""
    return MenuItem(_("Events"), url_for("events.index"), 35, "events")


@hookimpl
def engage_home_panels(user):
    """The next events, and the reader's own next one."""
    db = get_session()
    mine = []
    if user.is_authenticated:
        mine = [(e, r) for e, r in service.my_registrations(db, user.id) if service.state_of(e) != "ended"][:3]
    html = render_template("events/_panel_home.html", upcoming=service.events(db, when="upcoming", user=user, limit=4),
                           mine=mine)
    return Panel(_("Events"), Markup(html), 35, "events-home")


@hookimpl
def engage_profile_panels(user, subject):
    """How many events the subject has attended (their own profile, or a librarian looking)."""
    if not user.is_authenticated or (user.id != subject.id and not _is_librarian(user)):
        return None
    own = user.id == subject.id
    personal = codes.personal_url(get_session(), subject.id)
    html = render_template("events/_panel_profile.html", attended=checkin.attended_count(get_session(), subject.id),
                           own=own, personal=personal, qr=qr_svg(personal) if own else None)
    return Panel(_("Events"), Markup(html), 35, "events-profile")


@hookimpl
def engage_admin_panels(user):
    """Links to the events admin."""
    html = render_template("events/_panel_admin.html", upcoming=len(service.events(get_session(), when="upcoming")))
    return Panel(_("Events"), Markup(html), 35, "events-admin")


@hookimpl
def engage_badge_rules():
    """A first event attended, and five."""
    return [
        BadgeRule("events:first", {"en": "First event", "zh_Hans": "初次参加活动"},
                  {"en": "Check in at a library event.", "zh_Hans": "在一次图书馆活动签到。"},
                  kind="activity_count", activity=ATTENDED, count=1, order=35),
        BadgeRule("events:regular", {"en": "Regular at the library", "zh_Hans": "活动常客"},
                  {"en": "Check in at five library events.", "zh_Hans": "在五次图书馆活动签到。"},
                  kind="activity_count", activity=ATTENDED, count=5, order=36),
    ]


@hookimpl
def engage_screen_slides(screen):
    """An event whose check-in is open shows its live rotating code; otherwise the next event."""
    db = get_session()
    now_open = service.in_window(db)
    if now_open:
        event = now_open[0]
        html = render_template("events/_slide.html", event=event, live=url_for(
            "events.live", token=codes.live_token(event.id), locale=getattr(screen, "locale", None)))
        return Slide("checkin", _("Check in"), Markup(html), url_for("events.event", event_id=event.id,
                                                                     _external=True), 35)
    upcoming = service.events(db, when="upcoming", limit=1)
    event = upcoming[0] if upcoming else None
    url = url_for("events.event", event_id=event.id, _external=True) if event else url_for("events.index",
                                                                                           _external=True)
    return Slide("checkin", _("Events"), Markup(render_template("events/_slide.html", event=event, live=None)), url, 35)


@hookimpl
def engage_demo_data(session, rng, students, librarians):
    """Events in both languages: one on now, some to come (one full, with a waitlist), some past."""
    populate_demo(session, rng, students, librarians)


@hookimpl
def engage_activity_kinds():
    """Names for the activities this plugin records (dashboards, badge criteria)."""
    return {service.REGISTERED: _l("Registered for an event"), checkin.ACTIVITY: _l("Attended an event")}


@hookimpl
def engage_point_rules():
    """Names for this plugin's points in readers' history."""
    return {checkin.RULE: _l("Attended an event")}


# --- badges librarians make ---------------------------------------------------------------

@hookimpl
def engage_badge_criteria():
    """"Events attended" for made badges, within a term or hours of the day."""
    def count(session, *, option, scope, user_id=None):
        return checkin.attended_counts(session, scope=scope, user_id=user_id)

    return BadgeCriterion("events:attended", {"en": "Events attended", "zh_Hans": "参加的活动"}, count,
                          triggers=lambda option: (ATTENDED,), max_goal=500)


# --- readers' rights (core.identity.privacy) ----------------------------------------------

@hookimpl
def engage_user_data(session, user_id):
    from . import privacy

    return privacy.user_data(session, user_id)


@hookimpl
def engage_forget_user(session, user_id):
    from . import privacy

    privacy.forget_user(session, user_id)
