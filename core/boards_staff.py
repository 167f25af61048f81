"""The staff board: librarians' and administrators' points, ranked apart from readers'.

Readers' boards (``core.boards``) rank readers only, so a librarian thanked with kudos never
pushes a student down. Staff are ranked here on the same periods (all time, this week, month
and term) with the same rules: competition ranking ("1224"), ties in the order they were
reached, only active staff who have not opted out listed, while an opted-out member of staff
still sees their own rank. Staff are few, so a board is one query through the small partial
index ``ix_core_user_staff`` and the ranks are counted as the rows are read.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, select
from sqlmodel import Session

from core.boards import Row, _board
from core.models import STAFF, PeriodTotal, PointTotal, User
from core.periods import Calendar

_USERS = User.__table__


@lru_cache(maxsize=None)
def _statement(periodic: bool):
    """Every member of staff with a total above zero on the board, in board order."""
    t = (PeriodTotal if periodic else PointTotal).__table__
    picks = (t.c.period == bindparam("period"), t.c.period_key == bindparam("period_key")) if periodic else ()
    return (select(t.c.user_id, t.c.total, _USERS.c.display_name, _USERS.c.cohort, _USERS.c.hide_from_boards,
                   _USERS.c.is_active)
            .select_from(_USERS.join(t, t.c.user_id == _USERS.c.id))
            .where(STAFF, *picks, t.c.total > 0)
            .order_by(t.c.total.desc(), t.c.reached_at.asc(), t.c.user_id.asc()))


def _rows(session: Session, period: str, calendar: Calendar | None, at: datetime | None) -> list[tuple]:
    board = _board(period, None, calendar, at)
    if board.empty:
        return []
    return session.execute(_statement(board.periodic), board.params).all()


def _ranked(rows: list[tuple], me: int | None) -> list[tuple[Row, bool]]:
    """(row, listed) in board order: ranks count listed staff only; ``me`` is ranked among them."""
    out: list[tuple[Row, bool]] = []
    listed = 0  # listed staff so far
    last_total, last_rank = None, 0
    for user_id, total, name, cohort, hidden, active in rows:
        public = bool(active) and not hidden
        if not public and user_id != me:
            continue
        rank = last_rank if total == last_total else listed + 1
        out.append((Row(rank, user_id, name, cohort, total), public))
        if public:
            listed += 1
            last_total, last_rank = total, rank
    return out


def top(session: Session, *, period: str = "all", limit: int = 20, calendar: Calendar | None = None,
        at: datetime | None = None) -> list[Row]:
    """The first ``limit`` members of staff on a board (raises ``core.boards.BoardNotFound`` for an
    unknown period)."""
    return [row for row, public in _ranked(_rows(session, period, calendar, at), None) if public][:max(limit, 0)]


def staff_rank(session: Session, *, user_id: int, period: str = "all", calendar: Calendar | None = None,
               at: datetime | None = None) -> Row | None:
    """A member of staff's own line on the staff board (opted out or not); None when not on it."""
    return next((row for row, _public in _ranked(_rows(session, period, calendar, at), user_id)
                 if row.user_id == user_id), None)
