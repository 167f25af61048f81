"""The relationship dashboard for librarians: reach, participation, retention, campaigns and
satisfaction, each panel with its chart, its table and its CSV."""

from __future__ import annotations

from flask import abort, request
from flask_login import current_user

from core.db import get_db, get_session
from core.exports import csv_response
from core.models import Role
from core.plugins import get_host
from core.security import role_required
from core.terms import current_calendar
from core.ui import render

from . import panels
from .blueprint import bp
from .forms import RangeForm
from .i18n import _
from .rollups import ANY, fold_all, has_pending


def _range_form() -> RangeForm:
    form = RangeForm(request.args)
    form.plugin.choices = [(ANY, _("Any activity"))] + sorted(
        ((name, panels.plugin_title(name)) for name in get_host().infos if name != "insights"), key=lambda c: c[1])
    return form


def _today():
    from core.models import utcnow

    return current_calendar().local_date(utcnow())


def current_term_key(calendar, today) -> str | None:
    """The term of ``today``, else the latest that has begun (during a break between terms)."""
    term = calendar.term_of(today)
    if term is None:
        begun = [t for t in calendar.terms if t.starts_on <= today]
        term = begun[-1] if begun else (calendar.terms[0] if calendar.terms else None)
    return term.key if term else None


def build_panels(session, form: RangeForm) -> dict[str, panels.Panel]:
    """Every panel of the dashboard for the form's range (the form has been validated)."""
    calendar, today = current_calendar(), _today()
    term = current_term_key(calendar, today)
    start, end = form.span(today)
    built = {"active": panels.reach(session, calendar, period=form.period.data or "week", start=start, end=end,
                                    plugin=form.plugin.data or ANY),
             "funnel": panels.funnel(session),
             "cohorts": panels.cohorts(session, today=today)}
    if term:
        built["plugins"] = panels.plugins(session, term=term)
        built["activities"] = panels.activities(session, term=term)
        built["faculties"] = panels.faculties(session, term=term)
        built["lapsed"] = panels.term_retention(session, calendar, term=term)
    from . import extra_panels

    built.update(extra_panels.build(session, calendar, start=start, end=end, today=today))
    return built


def count_pending() -> None:
    """Before a page reads the figures (its request valid), count the events still pending, so it
    shows every one of them (bounded: the job counts the rest of a backlog). GET pages only: a
    refused or posted request changes nothing it was not asked to."""
    if request.method != "GET":
        return
    db = get_db()
    with db.session() as session:
        pending = has_pending(session)
    if pending:
        fold_all(db, batches=10)
        get_session().rollback()  # a read begun before the fold would not see it (SQLite's snapshot)


@bp.route("/")
@role_required(Role.librarian)
def dashboard():
    form = _range_form()
    if request.args and not form.validate():
        return render("insights/dashboard.html", form=form, panels={}, refused=True, status=400)
    count_pending()
    return render("insights/dashboard.html", form=form, panels=build_panels(get_session(), form), refused=False)


@bp.route("/<panel>.csv")
@role_required(Role.librarian)
def panel_csv(panel: str):
    """One panel's figures as CSV (the same rows as its table)."""
    form = _range_form()
    if request.args and not form.validate():
        abort(400)
    count_pending()
    built = build_panels(get_session(), form).get(panel)
    if built is None:
        abort(404)
    return csv_response(f"insights-{panel}.csv", built.header, built.rows)


def staff_only() -> bool:
    return current_user.is_authenticated and current_user.has_role(Role.librarian)
