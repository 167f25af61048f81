"""How many readers each faculty has: the denominator of faculty uptake.

The roster is the active readers per faculty (``User.cohort``, a code of the managed list),
registered or imported from the campus roster (core.identity.roster).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from core.models import Role, User

from .cache import kept


def _readers_per_cohort(session: Session) -> dict[str | None, int]:
    """Active readers per ``User.cohort`` (None: no faculty given), in one pass over the cohort index;
    kept for a minute (``cache.kept``)."""
    def count() -> dict[str | None, int]:
        rows = session.execute(select(User.cohort, func.count()).where(
            User.is_active.is_(True), User.role == Role.student.value).group_by(User.cohort)).all()
        return {cohort or None: n for cohort, n in rows}
    return kept(("readers-per-cohort",), count)


def roster_sizes(session: Session) -> dict[str, int]:
    """``{faculty: readers}`` for every faculty with at least one active reader."""
    return {cohort: n for cohort, n in _readers_per_cohort(session).items() if cohort}


def registered_readers(session: Session) -> int:
    """Active readers with an account (the funnel's first step)."""
    return sum(_readers_per_cohort(session).values())
