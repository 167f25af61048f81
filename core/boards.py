"""Leaderboards read from the maintained totals, never from the ledger.

Boards: all-time (``core_point_total``) and this week, month or term (``core_period_total``
at the current period key), each for everyone or for one cohort (faculty). Ranking is
standard competition ranking ("1224"): a user's rank is 1 + the number of users on the
board with a strictly greater total, so equal totals share a rank number; within a tie,
whoever reached the total first is listed first (then the lower user id).

These are readers' boards: only *public* readers appear — active, role student, not opted out
(``hide_from_boards``), with a total above zero. Librarians and administrators are ranked on a
board of their own (``core.boards_staff``). An opted-out or deactivated reader still sees their
own rank, computed among the public users plus themselves (1 + public users with a greater
total); their "around me" window is the board as it would look with them on it, so the rows
below them are numbered as if they were listed. Nobody else ever sees them, and they never
shift anyone else's public rank.

The statements are SQLAlchemy Core selects, built once per shape and run with parameters
(building a select costs more than running it), and shaped for the rank indexes
``ix_core_point_total_rank`` (total, reached_at) and ``ix_core_period_total_rank`` (period,
period_key, total, reached_at):

* the top of a board scans the rank index from its high end, joins each row's user by
  primary key and stops after ``limit`` public rows (SQLite sorts only within equal
  totals, for the reached-first tie-break; PostgreSQL uses an incremental sort);
* "my rank" on everyone's board is 1 + two short sums over the rank counts
  (``core_rank_count``: how many public users hold each total and each block of totals, kept
  with the totals by ``core.points.award`` and ``core.ranks``): the blocks above mine and the
  totals above mine within my block — a few hundred rows at most, whatever the rank, the
  number of users or opted-out users, and never the ledger; on a cohort's board it is an
  index count of the cohort's public members above me;
* a cohort's board either scans the rank index (a big cohort: its rows come soon) or reads
  the cohort's public members through ``ix_core_user_cohort_public`` and sorts them (a small cohort),
  whichever touches fewer rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, false, func, or_, select, true
from sqlmodel import Session

from core.models import RANK_BLOCK, PeriodTotal, PointTotal, RankCount, Role, User, on_readers_boards, utcnow
from core.periods import Calendar

PERIODS = ("all", "week", "month", "term")
# Each board's name, for tabs and headings.
BOARDS = {"all": _l("All time"), "week": _l("This week"), "month": _l("This month"), "term": _l("This term")}

_USERS = User.__table__
_TOTALS = PointTotal.__table__
_PERIOD_TOTALS = PeriodTotal.__table__


class BoardNotFound(LookupError):
    """An unknown period or cohort; ``kind`` is "period" or "cohort", ``value`` what was asked for."""

    def __init__(self, kind: str, value: str) -> None:
        super().__init__(f"no {kind} {value!r}")
        self.kind = kind
        self.value = value


@dataclass(frozen=True)
class Row:
    """One line of a board."""

    rank: int
    user_id: int
    display_name: str
    cohort: str | None
    total: int


@dataclass(frozen=True)
class _Board:
    """Which totals make one board: all-time or periodic (with its key), a cohort or everyone."""

    periodic: bool
    cohort: str | None
    params: dict = field(default_factory=dict)
    empty: bool = False  # the term board between terms


def _board(period: str, cohort: str | None, calendar: Calendar | None, at: datetime | None) -> _Board:
    if period not in PERIODS:
        raise BoardNotFound("period", period)
    params = {"cohort": cohort}
    if period == "all":
        return _Board(False, cohort, params)
    if calendar is None:
        from core.points import current_calendar

        calendar = current_calendar()
    key = calendar.keys(at or utcnow()).get(period)
    if key is None:  # between terms there is no "this term"
        return _Board(True, cohort, params, empty=True)
    return _Board(True, cohort, {**params, "period": period, "period_key": key})


# --- the statements, one per shape ------------------------------------------------------

def _table(periodic: bool):
    return _PERIOD_TOTALS if periodic else _TOTALS


def _picks(periodic: bool) -> tuple:
    """The conditions that select a periodic board's rows out of core_period_total."""
    c = _PERIOD_TOTALS.c
    return (c.period == bindparam("period"), c.period_key == bindparam("period_key")) if periodic else ()


def _public(cohort: str | None) -> list:
    """Conditions on the joined core_user row of a user shown on a board.

    ``cohort`` is None (everyone), "index" (through ix_core_user_cohort) or "scan": the same
    test in a form no index serves, so that the planner walks the rank index instead.
    """
    conds = [_USERS.c.hide_from_boards == false(), _USERS.c.is_active == true(),
             _USERS.c.role == Role.student.value]
    if cohort == "index":
        conds.append(_USERS.c.cohort == bindparam("cohort"))
    elif cohort == "scan":
        conds.append(func.coalesce(_USERS.c.cohort, "") == bindparam("cohort"))
    return conds


def _listing(periodic: bool, cohort: str | None):
    t = _table(periodic)
    return (select(t.c.user_id, t.c.total, _USERS.c.display_name, _USERS.c.cohort)
            .select_from(t.join(_USERS, _USERS.c.id == t.c.user_id))
            .where(*_picks(periodic), t.c.total > 0, *_public(cohort)))


@lru_cache(maxsize=None)
def _top_statement(periodic: bool, cohort: str | None):
    c = _table(periodic).c
    return (_listing(periodic, cohort).order_by(c.total.desc(), c.reached_at.asc(), c.user_id.asc())
            .limit(bindparam("limit")))


@lru_cache(maxsize=None)
def _count_statement(periodic: bool):
    """Public users of ``:cohort`` on the board with a total strictly greater than ``:value``."""
    t = _table(periodic)
    return (select(func.count()).select_from(t.join(_USERS, _USERS.c.id == t.c.user_id))
            .where(*_picks(periodic), t.c.total > bindparam("value"), *_public("index")))


@lru_cache(maxsize=None)
def _tied_statement(periodic: bool):
    """Public users of ``:cohort`` on the board whose total is exactly ``:value`` (one run of the rank index)."""
    t = _table(periodic)
    return (select(func.count()).select_from(t.join(_USERS, _USERS.c.id == t.c.user_id))
            .where(*_picks(periodic), t.c.total == bindparam("value"), *_public("scan")))


@lru_cache(maxsize=None)
def _me_statement(periodic: bool):
    t = _table(periodic)
    return (select(t.c.total, t.c.reached_at, _USERS.c.display_name, _USERS.c.cohort,
                   _USERS.c.hide_from_boards, _USERS.c.is_active, _USERS.c.role)
            .select_from(t.join(_USERS, _USERS.c.id == t.c.user_id))
            .where(t.c.user_id == bindparam("user_id"), *_picks(periodic)))


@lru_cache(maxsize=None)
def _neighbour_statements(periodic: bool, cohort: str | None):
    """Public rows just before and just after ``(:value, :reached_at, :user_id)`` in board order, nearest first."""
    c = _table(periodic).c
    value, reached, me = bindparam("value"), bindparam("reached_at", type_=c.reached_at.type), bindparam("user_id")
    before_in_tie = and_(c.total == value, or_(c.reached_at < reached, and_(c.reached_at == reached, c.user_id < me)))
    after_in_tie = and_(c.total == value, or_(c.reached_at > reached, and_(c.reached_at == reached, c.user_id > me)))
    # The redundant "total >= value" / "total <= value" give the planner the index range.
    before = (_listing(periodic, cohort).where(c.total >= value, or_(c.total > value, before_in_tie))
              .order_by(c.total.asc(), c.reached_at.desc(), c.user_id.desc()).limit(bindparam("above")))
    after = (_listing(periodic, cohort).where(c.total <= value, or_(c.total < value, after_in_tie))
             .order_by(c.total.desc(), c.reached_at.asc(), c.user_id.asc()).limit(bindparam("below")))
    return before, after


_COHORT_SIZE = select(func.count()).select_from(_USERS).where(_USERS.c.cohort == bindparam("cohort")).scalar_subquery()
_USERS_SIZE = select(func.max(_USERS.c.id)).scalar_subquery()  # about how many users there are, in O(log n)
_SIZES = select(_COHORT_SIZE, _USERS_SIZE)


def _cohort_mode(session: Session, cohort: str, limit: int) -> str:
    """How to read a cohort's board: "scan" the rank index when the cohort is big enough that
    ``limit`` of its rows come soon (about limit·users/members rows in), else "index"."""
    members, users = session.execute(_SIZES, {"cohort": cohort}).one()
    return "scan" if members and members * members >= limit * (users or 0) else "index"


# --- the service functions ---------------------------------------------------------------

def check_cohort(session: Session, cohort: str | None) -> None:
    """Raise BoardNotFound unless ``cohort`` is None or some user belongs to it."""
    if cohort is None:
        return
    if session.execute(select(_USERS.c.id).where(_USERS.c.cohort == cohort).limit(1)).first() is None:
        raise BoardNotFound("cohort", cohort)


def _cohorts_statement():
    # A loose index scan: hop from each cohort to the next through the cohort index, one
    # lookup per cohort, instead of reading an index entry per user as DISTINCT would.
    walk = select(func.min(_USERS.c.cohort).label("name")).cte("walk", recursive=True)
    following = select(func.min(_USERS.c.cohort)).where(_USERS.c.cohort > walk.c.name).scalar_subquery()
    walk = walk.union_all(select(following).where(walk.c.name.is_not(None)))
    return select(walk.c.name).where(walk.c.name.is_not(None))


_COHORTS = _cohorts_statement()


def cohorts(session: Session) -> list[str]:
    """The cohorts (faculties) users belong to, in order."""
    return [r[0] for r in session.execute(_COHORTS)]


def top(session: Session, *, period: str = "all", cohort: str | None = None, limit: int = 20,
        calendar: Calendar | None = None, at: datetime | None = None) -> list[Row]:
    """The first ``limit`` rows of a board, ranked 1224 with ties in the order they were reached.

    ``at`` picks the week, month or term (default: now). Raises BoardNotFound for an unknown
    period; an unknown cohort simply has no rows (``check_cohort`` tells them apart).
    """
    board = _board(period, cohort, calendar, at)
    if board.empty or limit <= 0:
        return []
    mode = None if cohort is None else _cohort_mode(session, cohort, limit)
    rows = session.execute(_top_statement(board.periodic, mode), {**board.params, "limit": limit}).all()
    # The rows are the head of the board, so positions give the ranks: a new total takes its
    # position (1, 2, 2, 4), an equal total keeps the rank of the first row that had it.
    out: list[Row] = []
    for position, (user_id, total, name, user_cohort) in enumerate(rows, 1):
        rank = out[-1].rank if out and out[-1].total == total else position
        out.append(Row(rank, user_id, name, user_cohort, total))
    return out


@dataclass(frozen=True)
class _Me:
    row: Row
    reached_at: datetime
    public: bool


_RANKS = RankCount.__table__
_RANK_BOARD = (_RANKS.c.period == bindparam("rank_period"), _RANKS.c.period_key == bindparam("rank_key"))


def _users_in(*conditions):
    return select(func.coalesce(func.sum(_RANKS.c.users), 0)).where(*_RANK_BOARD, *conditions).scalar_subquery()


# Public users above a total: the blocks above its block, plus the exact totals above it within
# its block; and the public users at exactly a total (everyone's boards, from the rank counts).
_RANK_ABOVE = select(
    _users_in(_RANKS.c.level == 1, _RANKS.c.total > bindparam("block"))
    + _users_in(_RANKS.c.level == 0, _RANKS.c.total > bindparam("value"), _RANKS.c.total < bindparam("block_end")))
_RANK_AT = select(_users_in(_RANKS.c.level == 0, _RANKS.c.total == bindparam("value")))


def _rank_params(board: _Board, value: int) -> dict:
    block = value // RANK_BLOCK
    return {"rank_period": board.params.get("period", "all"), "rank_key": board.params.get("period_key", ""),
            "value": value, "block": block, "block_end": (block + 1) * RANK_BLOCK}


def _count_greater(session: Session, board: _Board, value: int) -> int:
    """Public users on the board with a greater total: a short sum over the rank counts for
    everyone's boards, an index count joined to the users for a cohort's."""
    if board.cohort is None:
        return session.execute(_RANK_ABOVE, _rank_params(board, value)).scalar_one()
    return session.execute(_count_statement(board.periodic), {**board.params, "value": value}).scalar_one()


def _me(session: Session, board: _Board, user_id: int) -> _Me | None:
    """The user's own line on ``board`` (whether shown to others or not), or None when not on it."""
    if board.empty:
        return None
    found = session.execute(_me_statement(board.periodic), {**board.params, "user_id": user_id}).first()
    if found is None:
        return None
    total, reached_at, name, user_cohort, hidden, active, role = found
    if total <= 0 or (board.cohort is not None and user_cohort != board.cohort):
        return None
    rank = 1 + _count_greater(session, board, total)
    return _Me(Row(rank, user_id, name, user_cohort, total), reached_at, on_readers_boards(hidden, active, role))


def my_rank(session: Session, *, user_id: int, period: str = "all", cohort: str | None = None,
            calendar: Calendar | None = None, at: datetime | None = None) -> Row | None:
    """The user's own rank on a board: 1 + the public users with a strictly greater total.

    Works for opted-out users too (their rank among the public users plus themselves).
    None when the user has no points on this board or is not in ``cohort``.
    """
    me = _me(session, _board(period, cohort, calendar, at), user_id)
    return me.row if me else None


def around_me(session: Session, *, user_id: int, period: str = "all", cohort: str | None = None,
              above: int = 5, below: int = 5, calendar: Calendar | None = None,
              at: datetime | None = None) -> list[Row]:
    """The user's row with up to ``above`` public rows before it and ``below`` after it, ranked.

    Empty when the user is not on the board. For an opted-out user the window is the board
    as it would look with them on it (see the module's docstring).
    """
    board = _board(period, cohort, calendar, at)
    me = _me(session, board, user_id)
    if me is None:
        return []
    mine = me.row.total
    before_stmt, after_stmt = _neighbour_statements(board.periodic, None if cohort is None else "index")
    params = {**board.params, "value": mine, "reached_at": me.reached_at, "user_id": user_id,
              "above": above, "below": below}
    # One row more above than shown tells whether the topmost shown group of equal totals
    # starts inside the window; then every rank follows from mine and the groups' sizes.
    before = session.execute(before_stmt, {**params, "above": above + 1}).all()
    after = session.execute(after_stmt, params).all() if below > 0 else []
    if len(before) <= above:  # the window reaches the top of the board
        whole_top = True
    else:
        topmost_shown = before[above - 1][1] if above else mine
        whole_top = before[above][1] != topmost_shown
    window = [*reversed(before[:above]), (user_id, mine, me.row.display_name, me.row.cohort), *after]

    groups: list[list] = []  # runs of equal totals: [total, first index, size]
    for index, item in enumerate(window):
        if groups and groups[-1][0] == item[1]:
            groups[-1][2] += 1
        else:
            groups.append([item[1], index, 1])
    off_board_me = 0 if me.public else 1  # an off-board viewer counts above the rows below them

    def size(i: int) -> int:
        """How many users share group i's total on the board as this viewer sees it."""
        if i > 0 or whole_top:
            return groups[i][2]
        # Only the topmost group may be cut off: count its run of the rank index.
        total = groups[i][0]
        if cohort is None:
            tied = session.execute(_RANK_AT, _rank_params(board, total)).scalar_one()
        else:
            tied = session.execute(_tied_statement(board.periodic), {**board.params, "value": total}).scalar_one()
        return tied + (off_board_me if total == mine else 0)

    # A group's rank is the next group's rank minus its own size (going up), or the previous
    # group's rank plus the previous group's size (going down).
    mine_at = next(i for i, g in enumerate(groups) if g[0] == mine)
    ranks = [0] * len(groups)
    ranks[mine_at] = me.row.rank
    for i in range(mine_at - 1, -1, -1):
        ranks[i] = ranks[i + 1] - size(i)
    for i in range(mine_at + 1, len(groups)):
        ranks[i] = ranks[i - 1] + size(i - 1)
    rows: list[Row] = []
    for (total, first, size), rank in zip(groups, ranks):
        rows.extend(Row(rank, uid, name, user_cohort, total)
                    for uid, _total, name, user_cohort in window[first:first + size])
    return rows
