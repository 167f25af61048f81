"""How many readers each faculty has: the denominator of faculty uptake.

For now the roster is the registered, active readers per faculty (``User.cohort``); when the
library keeps a managed roster of faculties, only this function changes.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from core.models import Role, User


def roster_sizes(session: Session) -> dict[str, int]:
    """``{faculty: readers}`` for every faculty with at least one active reader."""
    rows = session.execute(select(User.cohort, func.count()).where(
        User.cohort.is_not(None), User.is_active.is_(True), User.role == Role.student.value)
        .group_by(User.cohort)).all()
    return {cohort: count for cohort, count in rows if cohort}


def registered_readers(session: Session) -> int:
    """Active readers with an account (the funnel's first step)."""
    return session.execute(select(func.count()).select_from(User).where(
        User.role == Role.student.value, User.is_active.is_(True))).scalar_one()
