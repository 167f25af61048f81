"""Hot-path SQL: statements compiled once per database and run on the session's DB-API cursor.

An award is the hottest write in the app, with a ballot in a vote burst. Through SQLAlchemy's
execution layer each of their statements costs several times the work SQLite itself does, so
they are compiled from the table definitions once per dialect and executed on the session's
own DB-API connection, inside the session's transaction. Bind values go through the columns'
own bind processors, so what lands in the tables is exactly what SQLAlchemy would have written.
"""

from __future__ import annotations

import random
import re
from contextlib import contextmanager
from datetime import datetime
from typing import Callable, Iterator, Sequence

from sqlalchemy import bindparam, event, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from core.models import RANK_BLOCK, BoardVersion, PeriodTotal, PointEntry, PointTotal, RankCount, User

BOARD_SLOTS = 16
ENTRY_COLUMNS = ("user_id", "amount", "rule", "plugin", "source_ref", "actor_id", "reason", "reverses_id",
                 "idempotency_key", "created_at")


def insert_for(session: Session):
    """The dialect's ``insert`` construct (it has ``on_conflict_do_nothing``/``_update``)."""
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert


def adding_to_total(insert, index_elements: list[str]):
    """``insert`` (the dialect's, into ``core_point_total`` or ``core_period_total``) made an upsert
    that adds its ``total`` to the row's and keeps the later ``reached_at``."""
    table = insert.table
    later = func.greatest if isinstance(insert, postgresql.Insert) else func.max
    return insert.on_conflict_do_update(index_elements=index_elements, set_={
        "total": table.c.total + insert.excluded.total,
        "reached_at": later(table.c.reached_at, insert.excluded.reached_at)})


class AwardSQL:
    """Compiled SQL for one dialect: the ledger insert, the totals upserts, what decides whether
    the user is on readers' boards, and the rank counts' upsert."""

    def __init__(self, dialect) -> None:
        pg = dialect.name == "postgresql"
        insert = postgresql.insert if pg else sqlite.insert
        entries, totals, periods = PointEntry.__table__, PointTotal.__table__, PeriodTotal.__table__

        def values(*names):
            return {name: bindparam(name) for name in names}

        entry = (insert(entries).values(values(*ENTRY_COLUMNS))
                 .on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(entries.c.id))
        total = adding_to_total(insert(totals).values(values("user_id", "total", "reached_at")),
                                ["user_id"]).returning(totals.c.total)
        period = adding_to_total(insert(periods).values(values("user_id", "period", "period_key", "total",
                                                               "reached_at")),
                                 ["user_id", "period", "period_key"]).returning(periods.c.total)
        users = User.__table__
        public = select(users.c.hide_from_boards, users.c.is_active, users.c.role).where(
            users.c.id == bindparam("user_id"))
        counts = RankCount.__table__
        rank = insert(counts).values(values("period", "period_key", "level", "total", "users"))
        rank = rank.on_conflict_do_update(index_elements=["period", "period_key", "level", "total"],
                                          set_={"users": counts.c.users + rank.excluded.users})
        versions = BoardVersion.__table__
        bump = insert(versions).values(slot=bindparam("slot"), value=literal_column("1"))
        bump = bump.on_conflict_do_update(index_elements=["slot"], set_={"value": versions.c.value + literal_column("1")})
        # Named parameters on both drivers: sqlite3 takes :name, psycopg takes %(name)s.
        compile_dialect = dialect if pg else sqlite.dialect(paramstyle="named")
        self.entry, self.total, self.period, self.public, self.rank, self.bump = (
            str(s.compile(dialect=compile_dialect)) for s in (entry, total, period, public, rank, bump))
        # SQLite has one writer at a time, so one slot; PostgreSQL spreads the row lock.
        self.slots = BOARD_SLOTS if pg else 1
        self._time = entries.c.created_at.type._cached_bind_processor(dialect) or (lambda value: value)

    def time(self, moment: datetime):
        """A timestamp as the driver should receive it (SQLite: UTC text; PostgreSQL: as is)."""
        return self._time(moment)


_COMPILED: dict[str, AwardSQL] = {}
_STATEMENTS: dict[tuple[str, str], str] = {}
_READERS: dict[tuple[str, str], tuple] = {}


def _compile(dialect, statement) -> str:
    pg = dialect.name == "postgresql"
    if callable(statement):
        statement = statement(postgresql.insert if pg else sqlite.insert)
    # Named parameters on both drivers: sqlite3 takes :name, psycopg takes %(name)s.
    return str(statement.compile(dialect=dialect if pg else sqlite.dialect(paramstyle="named")))


def compiled(session: Session, name: str, statement) -> str:
    """The SQL of ``statement`` for the session's database, compiled once per database and ``name``.

    ``statement`` may be a function of the dialect's own ``insert`` (which has
    ``on_conflict_do_nothing``). Parameters are named (``bindparam("x")``) and bound as plain
    values: pass timestamps through ``bind_time``. Run it on ``cursor(session)``.
    """
    dialect = session.get_bind().dialect
    sql = _STATEMENTS.get((dialect.name, name))
    if sql is None:
        sql = _STATEMENTS[(dialect.name, name)] = _compile(dialect, statement)
    return sql


@contextmanager
def _sqlalchemy_errors(dialect) -> Iterator:
    """Raise the driver's errors as SQLAlchemy's (``IntegrityError`` …), as ``session.execute`` would."""
    try:
        yield
    except dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(None, None, error, dialect.loaded_dbapi.Error) from error


def read_one(engine: Engine, name: str, statement, params: dict) -> tuple | None:
    """The first row of a SELECT run on a pooled connection of its own, outside any session and
    transaction, with each column converted as SQLAlchemy would (booleans, UTC timestamps);
    None when there is none. For reads every request makes, such as loading its user."""
    dialect = engine.dialect
    reader = _READERS.get((dialect.name, name))
    if reader is None:
        convert = [column.type.dialect_impl(dialect).result_processor(dialect, None)
                   for column in statement.selected_columns]
        reader = _READERS[(dialect.name, name)] = (_compile(dialect, statement), convert)
    sql, convert = reader
    connection = engine.raw_connection()
    try:
        with _sqlalchemy_errors(dialect):
            handle = connection.cursor()
            handle.execute(sql, params)
            row = handle.fetchone()
            handle.close()
    finally:
        connection.close()  # back to the pool, which rolls back whatever the driver began
    return None if row is None else tuple(f(v) if f else v for f, v in zip(convert, row))


@contextmanager
def cursor(session: Session) -> Iterator:
    """The DB-API cursor of the session's own connection, inside its transaction (pending ORM
    changes are flushed first, as ``session.execute`` would). The driver's errors come out as
    SQLAlchemy's, so a caller catches ``sqlalchemy.exc.IntegrityError`` on both databases."""
    if session.autoflush:
        session.flush()
    handle = session.connection().connection.driver_connection.cursor()
    try:
        with _sqlalchemy_errors(session.get_bind().dialect):
            yield handle
    finally:
        handle.close()


def _positional(dialect, statement):
    """``statement`` compiled with positional parameters, so a statement's values are one flat
    list: sqlite3 takes ?, psycopg %s."""
    return statement.compile(dialect=type(dialect)(paramstyle="format" if dialect.name == "postgresql" else "qmark"))


def _converted(rows: list, processors: list) -> list:
    """``rows`` with each column through its result processor (None: as it came)."""
    if not rows or not any(processors):
        return rows
    return [tuple(f(v) if f else v for f, v in zip(processors, row)) for row in rows]


class _Bulk:
    """A multi-row INSERT compiled once: the text around its VALUES list, one row's placeholders,
    where each value goes and how it is bound, and how the returned columns are read."""

    def __init__(self, dialect, table, columns: Sequence[str], finish) -> None:
        pg = dialect.name == "postgresql"
        statement = (postgresql.insert if pg else sqlite.insert)(table).values(
            {name: bindparam(name) for name in columns})
        if finish is not None:
            statement = finish(statement)
        compiled = _positional(dialect, statement)
        text, order = str(compiled), list(compiled.positiontup)
        if sorted(order) != sorted(columns):
            raise ValueError(f"{table.name}: only the row's values may be bound, got {order}")
        start = text.index(" VALUES (") + len(" VALUES ")
        depth, end = 0, start
        for end, char in enumerate(text[start:], start):  # the row's closing parenthesis
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0:
                break
        self.head, self.row, self.tail = text[:start], text[start:end + 1], text[end + 1:]
        self.width = len(columns)
        self.order = None if order == list(columns) else [list(columns).index(name) for name in order]
        self.binds = [(position, process) for position, name in enumerate(order)
                      if (process := table.c[name].type._cached_bind_processor(dialect)) is not None]
        returned = getattr(statement, "returning_column_descriptions", None) or []
        self.returns = bool(returned)
        self.results = [d["type"].dialect_impl(dialect).result_processor(dialect, None) for d in returned]
        self._texts: dict[int, str] = {}

    def sql(self, rows: int) -> str:
        """The statement for ``rows`` rows (built once per size)."""
        text = self._texts.get(rows)
        if text is None:
            text = self._texts[rows] = self.head + ", ".join([self.row] * rows) + self.tail
        return text

    def params(self, rows: Sequence[Sequence]) -> list:
        if self.order is None:
            flat = [value for row in rows for value in row]
        else:
            flat = [row[i] for row in rows for i in self.order]
        for position, process in self.binds:
            flat[position::self.width] = map(process, flat[position::self.width])
        return flat


_BULKS: dict[tuple[str, str], _Bulk] = {}


def insert_rows(session: Session, name: str, table, columns: Sequence[str], rows: Sequence[Sequence], *,
                finish: Callable | None = None, chunk: int = 500) -> list[tuple]:
    """Insert ``rows`` (tuples of values in ``columns`` order) into ``table`` in order, on the
    session's cursor inside its transaction; the rows a RETURNING gave.

    ``finish`` takes the dialect's insert (it has ``on_conflict_do_nothing``/``_update`` and
    ``excluded``) and adds the conflict and RETURNING clauses; the statement is compiled once per
    database and ``name``. Values go through their columns' bind processors and returned columns
    through their result processors, as with ``session.execute``, at a fraction of its cost per
    row (a batch of events writes several thousand). Returned rows come in no promised order.

    Each statement takes a power of two of rows, at most ``chunk`` (487 rows: 256, 128, 64, 32, 4,
    2 and 1), so the database sees a few statements again and again and prepares each once
    (SQLite: 480 activities in 3.4 ms, against 3.7 ms as one statement prepared each time)."""
    if not rows:
        return []
    dialect = session.get_bind().dialect
    bulk = _BULKS.get((dialect.name, name))
    if bulk is None:
        bulk = _BULKS[(dialect.name, name)] = _Bulk(dialect, table, columns, finish)
    out: list[tuple] = []
    with cursor(session) as handle:
        start = 0
        while start < len(rows):
            size = 1 << (min(chunk, len(rows) - start).bit_length() - 1)
            handle.execute(bulk.sql(size), bulk.params(rows[start:start + size]))
            if bulk.returns:
                out.extend(handle.fetchall())
            start += size
    return _converted(out, bulk.results)


class _Select:
    """A SELECT compiled once: its text cut around each expanding list (``bindparam(name,
    expanding=True)``), the order its values are bound in, how each is bound and each column read."""

    POSTCOMPILE = re.compile(r"__\[POSTCOMPILE_(\w+)\]")

    def __init__(self, dialect, statement) -> None:
        compiled = _positional(dialect, statement)
        self.pieces = self.POSTCOMPILE.split(str(compiled))  # text, list name, text, list name, text…
        self.mark = "%s" if dialect.name == "postgresql" else "?"
        # (name, is a list, bind processor, the value written in the statement, if any)
        self.binds = [(name, bind.expanding, bind.type._cached_bind_processor(dialect), bind.effective_value)
                      for name, bind in ((name, compiled.binds[name]) for name in compiled.positiontup)]
        self.results = [column.type.dialect_impl(dialect).result_processor(dialect, None)
                        for column in statement.selected_columns]

    def sql(self, params: dict) -> str:
        pieces = list(self.pieces)
        for i in range(1, len(pieces), 2):
            pieces[i] = ", ".join([self.mark] * len(params[pieces[i]]))
        return "".join(pieces)

    def values(self, params: dict) -> list:
        flat = []
        for name, expanding, process, written in self.binds:
            value = params.get(name, written)
            if not expanding:
                flat.append(process(value) if process else value)
            else:
                flat.extend(map(process, value) if process else value)
        return flat


_SELECTS: dict[tuple[str, str], _Select] = {}


def select_in(session: Session, name: str, statement: Callable, **params) -> list[tuple]:
    """The rows of a SELECT run on the session's cursor, inside its transaction: for a hot path's
    reads of a batch's readers, ``column IN`` a list of hundreds.

    ``statement()`` builds the SELECT, once per database and ``name``; its lists are
    ``bindparam(name, expanding=True)``, each spread into one placeholder per value at run time.
    ``params`` hold each parameter's value by name (a list for each list; a value written in the
    statement, such as ``column == "day"``, is kept as written); values go through
    their types' bind processors and columns through their result processors, as with
    ``session.execute``, without its cost for a list (a list of 500 numbers: 3.2 against 1.1 ms
    on SQLite). A list must not be empty (an empty IN is not SQL on PostgreSQL): a caller with
    nothing to look up has nothing to read."""
    select_ = _select(session, name, statement)
    if any(expanding and not params[key] for key, expanding, _process, _written in select_.binds):
        raise ValueError(f"{name}: an empty list to look up")
    with cursor(session) as handle:
        handle.execute(select_.sql(params), select_.values(params))
        rows = handle.fetchall()
    return _converted(rows, select_.results)


def _select(session: Session, name: str, statement: Callable) -> _Select:
    dialect = session.get_bind().dialect
    select_ = _SELECTS.get((dialect.name, name))
    if select_ is None:
        select_ = _SELECTS[(dialect.name, name)] = _Select(dialect, statement())
    return select_


def bind_time(session: Session, moment: datetime):
    """A timestamp as the driver should receive it (SQLite: UTC text; PostgreSQL: as is)."""
    return award_sql(session).time(moment)


def award_sql(session: Session) -> AwardSQL:
    """The compiled award statements for the session's database (built on first use)."""
    dialect = session.get_bind().dialect
    compiled = _COMPILED.get(dialect.name)
    if compiled is None:
        compiled = _COMPILED[dialect.name] = AwardSQL(dialect)
    return compiled


def add_rank_changes(changes: dict[tuple, int], boards: list[tuple[str, str, int]], amount: int) -> None:
    """Add to ``changes`` ((period, key, level, total) → users) the rank-count changes when a public
    user's totals on ``boards`` ((period, key, new total)) moved by ``amount``: one fewer at the old
    total and its block, one more at the new (totals above zero only; a move within one block adds
    nothing to the block, and a change that sums to nothing is never written)."""
    for period, key, new in boards:
        old = new - amount
        if old > 0:
            slot = (period, key, 0, old)
            changes[slot] = changes.get(slot, 0) - 1
            slot = (period, key, 1, old // RANK_BLOCK)
            changes[slot] = changes.get(slot, 0) - 1
        if new > 0:
            slot = (period, key, 0, new)
            changes[slot] = changes.get(slot, 0) + 1
            slot = (period, key, 1, new // RANK_BLOCK)
            changes[slot] = changes.get(slot, 0) + 1


def _rank_rows(changes: dict[tuple, int]) -> list[dict]:
    """The rank counts' upserts, sorted by key, so concurrent transactions lock the rows in the
    same order and never deadlock."""
    return [{"period": p, "period_key": k, "level": lv, "total": t, "users": d}
            for (p, k, lv, t), d in sorted(changes.items()) if d]


# --- what a transaction that paid points does as it commits -----------------------------------

_BOARDS_CHANGED = "engage.boards_changed"
_RANKS_AT_COMMIT = "engage.ranks_at_commit"

BOARD_VERSION = select(func.coalesce(func.sum(BoardVersion.__table__.c.value), 0))
"""The boards' version: it moves whenever a transaction that paid points commits."""


def boards_changed(session: Session) -> None:
    """Note that this transaction changes what the boards show: the board version moves as it commits.

    The bump is one upsert of one slot, run last, just before COMMIT, so PostgreSQL holds that
    row lock only for the commit itself and no transaction waits on it while holding it.
    """
    session.info[_BOARDS_CHANGED] = True


def rank_counts_at_commit(session: Session) -> None:
    """Gather this transaction's rank-count changes and write them, summed and sorted, as it commits.

    For a transaction that pays many users (the reward queue): each award's own changes are
    sorted, but two such transactions would otherwise lock the shared rank-count rows in the
    order of their awards and could deadlock. Call before the transaction's first award (calling it
    again keeps what is gathered); until the commit, ranks read in this transaction do not count its
    awards yet.
    """
    session.info.setdefault(_RANKS_AT_COMMIT, {})


def write_rank_changes(session: Session, handle, moves: list[tuple[list[tuple[str, str, int]], int]]) -> None:
    """The rank-count changes of public users' moves (each: boards as ``add_rank_changes`` takes
    them, and the amount), written now, or added to those gathered for the commit (see above)."""
    gathered = session.info.get(_RANKS_AT_COMMIT)
    changes = {} if gathered is None else gathered
    for boards, amount in moves:
        add_rank_changes(changes, boards, amount)
    if gathered is None:
        handle.executemany(award_sql(session).rank, _rank_rows(changes))


@event.listens_for(OrmSession, "before_commit")
def _before_commit(session) -> None:
    info = session.info
    ranks, changed = info.pop(_RANKS_AT_COMMIT, None), info.pop(_BOARDS_CHANGED, False)
    if not ranks and not changed:
        return
    sql = award_sql(session)
    with cursor(session) as handle:
        if ranks:
            handle.executemany(sql.rank, _rank_rows(ranks))
        if changed:
            handle.execute(sql.bump, {"slot": random.randrange(sql.slots)})


@event.listens_for(OrmSession, "after_transaction_end")
def _after_transaction_end(session, transaction) -> None:
    if transaction.parent is None:  # the whole transaction ended (committed, rolled back or closed)
        session.info.pop(_RANKS_AT_COMMIT, None)
        session.info.pop(_BOARDS_CHANGED, None)
