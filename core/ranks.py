"""The rank counts (``core_rank_count``): how many public users hold each total on each board.

They change in three places, always in the transaction that changes what they count:

* ``core.points.award`` moves a public user from their old total to the new one on the
  all-time board and on this week's, month's and term's boards;
* a user switching between public and not (opting out of boards or back in, deactivated or
  reactivated, made a librarian or back a reader — readers' boards rank readers only) is added to
  or taken off every board they have points on — by a ``before_flush`` listener, so no code path
  that changes those columns through the ORM can forget it;
* ``engage rebuild-totals`` rebuilds them from the totals, and ``engage check`` proves them.
"""

from __future__ import annotations

from sqlalchemy import delete, event, func, inspect, literal, select, text, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from core.models import RANK_BLOCK, PeriodTotal, PointTotal, RankCount, Role, User, on_readers_boards

_T, _P, _U, _R = PointTotal.__table__, PeriodTotal.__table__, User.__table__, RankCount.__table__


def _public(user_table=_U):
    """On readers' boards (``core.models.on_readers_boards`` in SQL)."""
    return ((user_table.c.hide_from_boards.is_(False)) & (user_table.c.is_active.is_(True))
            & (user_table.c.role == Role.student.value))


def _boards_of(connection, user_id: int) -> list[tuple[str, str, int]]:
    """(period, key, total) of every board on which ``user_id`` has a total above zero.

    The totals are read FOR UPDATE (PostgreSQL; SQLite's write transactions are serial anyway):
    an award racing this change waits, then sees the user's new visibility — or this read waits
    for the award and sees its new totals — so the counts never count a user twice or not at all.
    """
    totals = (select(literal("all"), literal(""), _T.c.total).where(_T.c.user_id == user_id, _T.c.total > 0)
              .with_for_update())
    periods = (select(_P.c.period, _P.c.period_key, _P.c.total).where(_P.c.user_id == user_id, _P.c.total > 0)
               .with_for_update())
    return [tuple(row) for query in (totals, periods) for row in connection.execute(query)]


def shift_user(connection, user_id: int, delta: int) -> None:
    """Add (``delta`` = 1) or remove (-1) one user on every board they have points on."""
    rows = _boards_of(connection, user_id)
    if not rows:
        return
    stmt = (postgresql if connection.dialect.name == "postgresql" else sqlite).insert(_R)
    stmt = stmt.on_conflict_do_update(index_elements=["period", "period_key", "level", "total"],
                                      set_={"users": _R.c.users + stmt.excluded.users})
    changes: dict[tuple, int] = {}
    for p, k, t in rows:
        for key in ((p, k, 0, t), (p, k, 1, t // RANK_BLOCK)):
            changes[key] = changes.get(key, 0) + delta
    connection.execute(stmt, [{"period": p, "period_key": k, "level": lv, "total": t, "users": d}
                              for (p, k, lv, t), d in sorted(changes.items())])


_VISIBILITY = ("hide_from_boards", "is_active", "role")


def _was_and_is(user: User, name: str) -> tuple:
    history = inspect(user).attrs[name].history
    now = getattr(user, name)
    return (history.deleted[0] if history.deleted else now), now


@event.listens_for(OrmSession, "before_flush")
def _follow_visibility(session, _flush_context, _instances) -> None:
    """Keep the rank counts right when a user's hide_from_boards, is_active or role changes."""
    for obj in session.dirty:
        if not isinstance(obj, User) or obj.id is None:
            continue
        was = on_readers_boards(*(_was_and_is(obj, name)[0] for name in _VISIBILITY))
        now = on_readers_boards(*(_was_and_is(obj, name)[1] for name in _VISIBILITY))
        if was != now:
            shift_user(session.connection(), obj.id, 1 if now else -1)


def _expected():
    """The rank counts recomputed from the totals."""
    public_totals = (select(literal("all").label("period"), literal("").label("period_key"), _T.c.total)
                     .join(_U, _U.c.id == _T.c.user_id).where(_T.c.total > 0, _public()))
    public_periods = (select(_P.c.period, _P.c.period_key, _P.c.total)
                      .join(_U, _U.c.id == _P.c.user_id).where(_P.c.total > 0, _public()))
    both = union_all(public_totals, public_periods).subquery()
    exact = select(both.c.period, both.c.period_key, literal(0).label("level"), both.c.total,
                   func.count().label("users")).group_by(both.c.period, both.c.period_key, both.c.total)
    block = both.c.total // RANK_BLOCK  # totals here are above zero: floor and truncation agree
    blocks = select(both.c.period, both.c.period_key, literal(1).label("level"), block.label("total"),
                    func.count().label("users")).group_by(both.c.period, both.c.period_key, block)
    return union_all(exact, blocks)


def rebuild(session: Session, *, period: str | None = None) -> int:
    """Throw the rank counts away and count them again from the totals; returns the rows written.

    With ``period`` (``"term"`` after term dates change) only that period's boards are recounted.
    On PostgreSQL the rank table is locked first, so an award committing meanwhile either is
    counted here or shifts the counts after this transaction, never both or neither."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"LOCK TABLE {_R.name} IN SHARE ROW EXCLUSIVE MODE"))
    query = _expected().subquery()
    rows = select(query.c.period, query.c.period_key, query.c.level, query.c.total, query.c.users)
    if period is None:
        session.execute(delete(RankCount))
    else:
        session.execute(delete(RankCount).where(RankCount.period == period))
        rows = rows.where(query.c.period == period)
    session.execute(_R.insert().from_select(["period", "period_key", "level", "total", "users"], rows))
    return session.execute(select(func.count()).select_from(_R)).scalar_one()


def check(session: Session) -> list[str]:
    """Every rank count that differs from the totals (empty when all agree)."""
    want = {(p, k, lv, int(t)): n for p, k, lv, t, n in session.execute(_expected())}
    have = {(p, k, lv, t): n for p, k, lv, t, n in session.execute(select(_R)) if n}
    return [f"rank count {p} {k or '-'} {'block' if lv else 'total'} {t}: stored {have.get(key, 0)}, "
            f"totals say {want.get(key, 0)}"
            for key in sorted(set(want) | set(have)) if want.get(key, 0) != have.get(key, 0)
            for p, k, lv, t in [key]]
