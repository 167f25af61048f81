"""The embeddable boards: the ETag first (from the screens' version signals, no query), then the rows."""

from __future__ import annotations

import hashlib
import time

from flask import Blueprint, current_app, g, jsonify, make_response, render_template, request
from flask_babel import force_locale, get_locale

from core import boards
from core.db import get_session
from core.i18n import pick
from core.models import utcnow
from core.points import current_calendar
from core.screens import get_versions

bp = Blueprint("embed", __name__, url_prefix="/embed")
LIMIT, MAX_LIMIT = 10, 50


def _params(period: str) -> tuple[str | None, str, int]:
    if period not in boards.PERIODS:
        raise boards.BoardNotFound("period", period)
    cohort = (request.args.get("cohort") or "").strip()[:100] or None
    lang = request.args.get("lang")
    if lang not in current_app.config["LANGUAGES"]:
        lang = str(get_locale())  # the visitor's choice on this site, else their browser's
    limit = max(1, min(MAX_LIMIT, request.args.get("limit", LIMIT, type=int) or LIMIT))
    return cohort, lang, limit


def etag(kind: str, period: str, cohort: str | None, lang: str, limit: int) -> str:
    """Changes when any total, opt-out or the calendar's periods change (the screens' signals), or
    after ``SCREEN_MAX_AGE_SECONDS`` at the latest."""
    versions = get_versions()
    max_age = current_app.config["SCREEN_MAX_AGE_SECONDS"]
    bucket = int(time.time() // max_age) if max_age else 0
    raw = f"embed|{kind}|{period}|{cohort}|{lang}|{limit}|{versions.data_version}|{bucket}"
    return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()


def _cached(response, tag: str):
    response.set_etag(tag)
    response.headers["Cache-Control"] = "no-cache"
    if "lang" not in request.args:
        response.vary.update(("Accept-Language", "Cookie"))
    return response


def _not_modified(tag: str):
    if request.if_none_match.contains(tag):
        return _cached(current_app.response_class(status=304), tag)
    return None


def _board(period: str, cohort: str | None, limit: int) -> dict:
    db = get_session()
    boards.check_cohort(db, cohort)
    calendar = current_calendar()
    now = utcnow()
    rows = boards.top(db, period=period, cohort=cohort, limit=limit, calendar=calendar, at=now)
    term = calendar.term_of(calendar.local_date(now)) if period == "term" else None
    return {"rows": rows, "term": term}


@bp.route("/boards/<period>.json")
def board_json(period: str):
    """A board's top rows as JSON (names as readers chose to show them; opted-out readers never appear)."""
    cohort, lang, limit = _params(period)
    current = etag("json", period, cohort, lang, limit)
    early = _not_modified(current)
    if early is not None:
        return early
    found = _board(period, cohort, limit)
    term = found["term"]
    with force_locale(lang):
        body = {"period": period, "title": str(boards.BOARDS[period]), "cohort": cohort, "language": lang,
                "term": pick({"en": term.name_en, "zh_Hans": term.name_zh}) if term else None,
                "rows": [{"rank": row.rank, "name": row.display_name, "cohort": row.cohort, "points": row.total}
                         for row in found["rows"]]}
    response = jsonify(body)
    response.headers["Access-Control-Allow-Origin"] = "*"  # public data, no cookies read
    return _cached(response, current)


@bp.route("/boards/<period>")
def board(period: str):
    """A board as a small HTML page for an ``<iframe>`` on the library's website."""
    cohort, lang, limit = _params(period)
    current = etag("html", period, cohort, lang, limit)
    early = _not_modified(current)
    if early is not None:
        return early
    found = _board(period, cohort, limit)
    term = found["term"]
    g.menu = []
    with force_locale(lang):
        html = render_template("embed_board.html", period=period, cohort=cohort, rows=found["rows"],
                               title=boards.BOARDS[period], lang=lang,
                               term_name=pick({"en": term.name_en, "zh_Hans": term.name_zh}) if term else None)
    return _cached(make_response(html), current)


@bp.errorhandler(boards.BoardNotFound)
def _not_found(error: boards.BoardNotFound):
    """A bare 404 (JSON for the JSON address): an embed has no page to send a reader on to."""
    if request.path.endswith(".json"):
        return jsonify({"error": "not found", error.kind: error.value}), 404
    return make_response(render_template("embed_missing.html"), 404)
