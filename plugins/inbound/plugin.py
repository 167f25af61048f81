"""Plugin object for `inbound`: events from the library's own systems (loans, gate entries,
e-resource sessions…) stored once, turned into points by librarians' rules, replayable.

Importing this module registers everything: the tables (``models``), the librarians' pages
(``views``), the API endpoint (``api``) and the hooks below.
"""

from __future__ import annotations

from flask import render_template, url_for
from markupsafe import Markup

from core.db import get_db, get_session
from core.hookspecs import hookimpl
from core.ui import MenuItem, Panel

from . import api, models, views  # noqa: F401  (tables and routes)
from .blueprint import api as api_bp
from .blueprint import bp
from .i18n import _, _l

NAME = "inbound"
VERSION = "0.1.0"
TITLE = {"en": "Events from library systems", "zh_Hans": "图书馆系统事件"}
DESCRIPTION = {
    "en": "Loans, gate entries, e-resource sessions and other events the library's systems send (API or CSV) "
          "pay points by rules librarians write, with caps, time windows, a preview and replays.",
    "zh_Hans": "借阅、门禁、电子资源访问等图书馆系统发来的事件（API 或 CSV），按馆员设定的规则发放积分，"
               "支持上限、时段、预览与重放。",
}


def _is_staff(user) -> bool:
    return bool(user.is_authenticated and user.has_role("librarian"))


@hookimpl
def engage_blueprints():
    return bp


@hookimpl
def engage_api_blueprints():
    return [api_bp]


@hookimpl
def engage_api_scopes():
    return {api.SCOPE: _l("Send events from the library's systems (loans, gate entries…)")}


@hookimpl
def engage_api_activities():
    from .views import known_kinds

    return [{"plugin": NAME, "key": kind, "name": kind,
             "description": _("Events of type \"%(kind)s\" sent by the library's systems", kind=kind)}
            for kind in known_kinds(get_session())]


@hookimpl
def engage_point_rules():
    from .paying import RULE

    return {RULE: _l("Library systems")}


@hookimpl
def engage_menu_items(user):
    if _is_staff(user):
        return MenuItem(_("Library systems"), url_for("inbound.rules"), 82, "inbound")
    return None


@hookimpl
def engage_admin_panels(user):
    from .matching import unmatched_numbers

    html = render_template("inbound/_panel_admin.html", unmatched=len(unmatched_numbers(get_session())))
    return Panel(_("Events from library systems"), Markup(html), 82, "inbound-admin")


def _replay() -> int:
    from . import replay

    return replay.run()


def _match() -> int:
    from .matching import match_known_numbers

    with get_db().write_session() as session:
        return match_known_numbers(session)[0]


@hookimpl
def engage_jobs():
    """Replays librarians ask for (queued at once; the schedule catches up), and matching numbers
    that now belong to a reader."""
    from core.jobs import PeriodicJob, every_minutes

    from .replay import JOB

    return [PeriodicJob(JOB, NAME, _replay, every_minutes(1)),
            PeriodicJob(f"{NAME}:match", NAME, _match, every_minutes(15))]


@hookimpl
def engage_demo_data(session, rng, students, librarians):
    from . import demo

    demo.populate(session, rng, students, librarians)


@hookimpl
def engage_user_data(session, user_id):
    from . import privacy

    return privacy.user_data(session, user_id)


@hookimpl
def engage_forget_user(session, user_id):
    from . import privacy

    privacy.forget_user(session, user_id)
