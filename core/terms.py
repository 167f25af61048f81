"""Academic terms: stored by admins, read into each worker's Calendar."""

from __future__ import annotations

import time
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlmodel import Session, select

from core.models import AuditEntry, Term
from core.periods import Calendar, TermSpan


class TermError(ValueError):
    """Term dates that cannot be accepted; ``str()`` is shown to the admin."""


def parse_day(value: str) -> date:
    """Parse an ISO date (YYYY-MM-DD) or raise TermError with a readable message."""
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise TermError(_("“%(value)s” is not a date in the form YYYY-MM-DD.", value=value)) from None


_SEASONS = {1: "winter", 2: "spring", 3: "spring", 4: "spring", 5: "spring", 6: "spring", 7: "summer",
            8: "summer", 9: "autumn", 10: "autumn", 11: "autumn", 12: "autumn"}


def derive_key(*, starts_on: date, taken: set[str]) -> str:
    """A new term's key, from the year and season it starts in (``2026-autumn``, as the default
    terms are keyed, so totals already counted under the default stay where they are); a number
    is added when another term has it already. Keys are never typed, and a saved term keeps its
    key when its names or dates change."""
    base = f"{starts_on.year}-{_SEASONS[starts_on.month]}"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


def validate_terms(terms: list[TermSpan]) -> None:
    """Refuse empty keys, terms that end before they start, and overlapping terms."""
    keys = set()
    for term in terms:
        if not term.key or term.key in keys:
            raise TermError(_("Each term needs its own key (“%(key)s”).", key=term.key))
        keys.add(term.key)
        if term.ends_on < term.starts_on:
            raise TermError(_("Term “%(key)s” ends before it starts.", key=term.key))
    ordered = sorted(terms, key=lambda t: t.starts_on)
    for before, after in zip(ordered, ordered[1:]):
        if after.starts_on <= before.ends_on:
            raise TermError(_("Terms “%(a)s” and “%(b)s” overlap.", a=before.key, b=after.key))


def list_terms(session: Session) -> list[TermSpan]:
    """The configured terms, earliest first."""
    rows = session.exec(select(Term).order_by(Term.starts_on)).all()
    return [TermSpan(r.key, r.name_en, r.name_zh, r.starts_on, r.ends_on) for r in rows]


def save_term(session: Session, *, term: TermSpan, actor_id: int | None) -> bool:
    """Add or replace one term after checking it against the others; audited. Returns whether
    its dates are new (a new term, or dates changed), when this term's totals need recounting."""
    others = [t for t in list_terms(session) if t.key != term.key]
    validate_terms(others + [term])
    row = session.get(Term, term.key)
    moved = row is None or (row.starts_on, row.ends_on) != (term.starts_on, term.ends_on)
    row = row or Term(key=term.key, name_en="", name_zh="", starts_on=term.starts_on, ends_on=term.ends_on)
    row.name_en, row.name_zh = term.name_en, term.name_zh
    row.starts_on, row.ends_on = term.starts_on, term.ends_on
    session.add(row)
    session.add(AuditEntry(actor_id=actor_id, action="term.save", target=f"term:{term.key}",
                           detail=f"{term.starts_on}…{term.ends_on}"))
    forget_calendar()
    return moved


def delete_term(session: Session, *, key: str, actor_id: int | None) -> None:
    """Remove a term; audited."""
    row = session.get(Term, key)
    if row is None:
        raise TermError(_("There is no term “%(key)s”.", key=key))
    session.delete(row)
    session.add(AuditEntry(actor_id=actor_id, action="term.delete", target=f"term:{key}"))
    forget_calendar()


_CALENDAR_SECONDS = 60.0


def current_calendar() -> Calendar:
    """The app's calendar, re-read from the database at most once a minute per worker."""
    cached = current_app.extensions.get("engage.calendar")
    if cached and time.monotonic() - cached[0] < _CALENDAR_SECONDS:
        return cached[1]
    db = current_app.extensions["engage.db"]
    with db.session() as session:
        calendar = Calendar(current_app.config["TIMEZONE"], list_terms(session))
    current_app.extensions["engage.calendar"] = (time.monotonic(), calendar)
    return calendar


def forget_calendar() -> None:
    """Make this worker re-read the terms on next use."""
    current_app.extensions.pop("engage.calendar", None)
