"""Leaderboard pages: all-time, this week, month and term, per cohort, with "your rank".

``/boards/`` is the all-time board, ``/boards/<period>`` a period's and
``/boards/<period>/cohort/<cohort>`` one cohort's; these rank readers. ``/boards/staff`` (and
``/boards/staff/<period>``) ranks the library's staff. The board is the template's ``board``
block, so the tabs and the cohort select swap it in place with htmx (``Vary: HX-Request``).
An unknown period or cohort answers 404 with a page that lists the boards that do exist.
"""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core import boards, boards_staff
from core.db import get_session
from core.i18n import pick
from core.identity.faculties import list_faculties
from core.models import Role, utcnow
from core.points import current_calendar
from core.pagination import paginate
from core.ui import is_fragment_request, render

bp = Blueprint("boards", __name__, url_prefix="/boards")
TOP = 20
PAGES = 50  # "Show more" goes down to the thousandth reader; ranks need the rows above them


def _cohorts(db) -> list[str]:
    """The faculties readers belong to, in the managed list's order (free-text ones after it)."""
    places = {f.code: (f.order, f.name) for f in list_faculties(db)}
    return sorted(boards.cohorts(db), key=lambda code: places.get(code, (float("inf"), code)))


def _url(period: str, cohort: str | None) -> str:
    if cohort:
        return url_for("boards.board", period=period, cohort=cohort)
    return url_for("boards.board", period=period)


@bp.route("/", defaults={"period": "all"})
@bp.route("/<period>")
@bp.route("/<period>/cohort/<path:cohort>")
def board(period: str, cohort: str | None = None):
    """One board's top 20 and, for a signed-in reader, their rank and neighbours."""
    if period not in boards.PERIODS:
        raise boards.BoardNotFound("period", period)
    chosen = request.args.get("cohort")
    if cohort is None and chosen is not None:
        # The cohort select is a GET form: send it to the board's own address.
        chosen = chosen.strip() or None
        if not is_fragment_request():
            return redirect(_url(period, chosen))
        cohort = chosen
    db = get_session()
    boards.check_cohort(db, cohort)
    calendar = current_calendar()
    now = utcnow()
    page = paginate(lambda offset, limit: boards.top(db, period=period, cohort=cohort, limit=offset + limit,
                                                     calendar=calendar, at=now)[offset:], per_page=TOP, max_page=PAGES)
    rows = page.items
    me, around = None, []
    staff = current_user.is_authenticated and current_user.role != Role.student.value
    if current_user.is_authenticated and not staff:  # staff are ranked on the staff board
        around = boards.around_me(db, user_id=current_user.id, period=period, cohort=cohort,
                                  calendar=calendar, at=now)
        me = next((row for row in around if row.user_id == current_user.id), None)
    term = calendar.term_of(calendar.local_date(now)) if period == "term" else None
    response = render(
        "boards.html", block="board", period=period, cohort=cohort, rows=rows, page=page, me=me, around=around,
        hidden=current_user.is_authenticated and (current_user.hide_from_boards or not current_user.is_active),
        tabs=[(key, boards.BOARDS[key], _url(key, cohort)) for key in boards.PERIODS],
        cohorts=_cohorts(db), label=boards.BOARDS[period],
        term_name=pick({"en": term.name_en, "zh_Hans": term.name_zh}) if term else None,
        no_term=period == "term" and term is None, self_url=_url(period, cohort), staff=staff,
        staff_url=url_for("boards.staff_board", period=period))
    if is_fragment_request():
        response.headers["HX-Push-Url"] = _url(period, cohort)
    return response


@bp.route("/staff", defaults={"period": "all"})
@bp.route("/staff/<period>")
def staff_board(period: str):
    """Librarians' and administrators' points, ranked apart from readers' (``core.boards_staff``)."""
    if period not in boards.PERIODS:
        raise boards.BoardNotFound("period", period)
    db = get_session()
    calendar = current_calendar()
    now = utcnow()
    page = paginate(lambda offset, limit: boards_staff.top(db, period=period, limit=offset + limit, calendar=calendar,
                                                           at=now)[offset:], per_page=TOP, max_page=PAGES)
    rows = page.items
    staff = current_user.is_authenticated and current_user.role != Role.student.value
    me = boards_staff.staff_rank(db, user_id=current_user.id, period=period, calendar=calendar, at=now) \
        if staff else None
    term = calendar.term_of(calendar.local_date(now)) if period == "term" else None
    tabs = [(key, boards.BOARDS[key], url_for("boards.staff_board", period=key)) for key in boards.PERIODS]
    response = render(
        "boards_staff.html", block="board", period=period, rows=rows, page=page, me=me, staff=staff, tabs=tabs,
        label=boards.BOARDS[period], hidden=staff and current_user.hide_from_boards,
        term_name=pick({"en": term.name_en, "zh_Hans": term.name_zh}) if term else None,
        no_term=period == "term" and term is None, readers_url=_url(period, None))
    if is_fragment_request():
        response.headers["HX-Push-Url"] = url_for("boards.staff_board", period=period)
    return response


@bp.errorhandler(boards.BoardNotFound)
def _not_found(error: boards.BoardNotFound):
    """404 with the boards that do exist, so the reader can go on from here."""
    if error.kind == "period":
        text = _("There is no “%(name)s” leaderboard. These are the boards:", name=error.value)
    else:
        text = _("No one belongs to the faculty or college “%(name)s”. Choose one of these:", name=error.value)
    db = get_session()
    return render("boards_missing.html", block="content", status=404, text=text,
                  tabs=[(key, boards.BOARDS[key], _url(key, None)) for key in boards.PERIODS],
                  cohorts=[(name, _url("all", name)) for name in _cohorts(db)],
                  kind=error.kind)
