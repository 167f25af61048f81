"""Running migrations: upgrade, downgrade, and reading where a database stands.

Each run uses an engine of its own and one transaction: on PostgreSQL DDL is transactional, so
every pending revision (and an adoption before them) commits together or not at all, and an
advisory lock keeps two upgrades from interleaving; on SQLite the run holds the write lock
(``BEGIN IMMEDIATE``) with foreign keys off, as batch operations copy tables, and checks them
before committing; under that lock, before changing anything, it copies the database to
``instance/backups/`` with the online backup API.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Flask
from sqlalchemy.pool import NullPool

from core.backup import backup_path, copy_sqlite, sqlite_file
from core.migrations import adopt as adoption
from core.migrations.check import unknown_message
from core.migrations.scripts import (VERSION_TABLE, at_heads, branch_folders, load_scripts, make_config, outermost,
                                    positions)

_LOCK_KEY = 0x656E67616765  # "engage": one upgrade at a time per PostgreSQL database
_WRITE = "engage_migration_write"


class MigrationError(RuntimeError):
    """A migration command cannot run as asked; ``str()`` says why and what to do."""


@dataclass
class State:
    """Where a database stands against the revisions this code knows."""

    tables: set[str]
    current: tuple[str, ...]     # the version table's rows
    at_heads: frozenset[str]     # its rows once every head is applied
    unknown: tuple[str, ...]     # rows this code has no revision for

    @property
    def legacy(self) -> bool:
        """Made before migrations: core's tables without a version table."""
        return adoption.is_made_before_migrations(self.tables, VERSION_TABLE)

    @property
    def empty(self) -> bool:
        return not any(name.startswith("core_") for name in self.tables)

    @property
    def up_to_date(self) -> bool:
        return not self.legacy and set(self.current) == self.at_heads


@dataclass
class Outcome:
    """What a run did, for the command to tell; ``before`` and ``after`` map each branch to its
    newest applied revision (None: none yet)."""

    before: dict[str, str | None]
    after: dict[str, str | None] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)
    adopted: list[str] | None = None
    rebuilt_users: int | None = None
    backup: Path | None = None


def migration_engine(url: str) -> sa.Engine:
    """An engine for one run: no pool; on SQLite foreign keys off, and the write lock taken when a
    transaction begins on ``engine.execution_options(engage_migration_write=True)``."""
    engine = sa.create_engine(url, poolclass=NullPool)
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # transactions begin below, not in the driver
            dbapi_connection.execute("PRAGMA busy_timeout=30000")
            dbapi_connection.execute("PRAGMA foreign_keys=OFF")

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")
    return engine


def read_state(connection: sa.Connection, script: ScriptDirectory) -> State:
    """The tables, applied revisions and heads, and any applied revision this code does not know."""
    tables = set(sa.inspect(connection).get_table_names())
    current: tuple[str, ...] = ()
    if VERSION_TABLE in tables:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        current = tuple(context.get_current_heads())
    known = {rev.revision for rev in script.walk_revisions()}
    return State(tables, current, at_heads(script), tuple(v for v in current if v not in known))


def _ensure_version_table(connection: sa.Connection) -> None:
    # Alembic's own table allows 32 characters; readable ids (<plugin>_0001_<words>) need more.
    table = sa.Table(VERSION_TABLE, sa.MetaData(), sa.Column("version_num", sa.String(128), nullable=False),
                     sa.PrimaryKeyConstraint("version_num", name=f"{VERSION_TABLE}_pkc"))
    table.create(connection, checkfirst=True)


def _check_target(script: ScriptDirectory, revision: str) -> None:
    if any(sign in revision for sign in "+-"):
        return  # relative steps are resolved (and refused if impossible) by Alembic itself
    try:
        script.get_revisions(revision)
    except CommandError:
        raise MigrationError(f"There is no revision {revision!r}; `engage db history` lists them.") from None


def _backup(app: Flask, label: str) -> Path | None:
    source = sqlite_file(app.config["DATABASE_URL"])
    if source is None or not source.is_file():
        return None
    return copy_sqlite(source, backup_path(Path(app.instance_path) / "backups", label))


class Run:
    """One migration command against an app's database: its scripts, engine and Alembic config."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.folders = branch_folders(app.extensions["engage.plugins"])
        self.script = load_scripts(self.folders)
        self.engine = migration_engine(app.config["DATABASE_URL"])

    def state(self) -> State:
        with self.engine.connect() as connection:
            return read_state(connection, self.script)

    def _alembic(self, connection: sa.Connection, steps: list[str]):
        def record(ctx, step, heads, run_args):
            steps.append(step.up_revision_id)

        # A data migration may need the deployment's secret key (values derived from it before they
        # were stored): ``op.get_context().config.attributes["secret_key"]``.
        return make_config(self.folders, connection=connection, options={"on_version_apply": record},
                           secret_key=self.app.config["SECRET_KEY"])

    def _locked(self, connection: sa.Connection) -> State:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        state = read_state(connection, self.script)  # again, now that no other run can interleave
        if state.unknown:
            raise MigrationError(unknown_message(state.unknown) + " Nothing was changed.")
        return state

    def _finish(self, connection: sa.Connection) -> None:
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                tables = sorted({row[0] for row in broken})
                raise MigrationError(f"Rows in {', '.join(tables)} would point at rows that do not exist; "
                                     "nothing was changed.")

    @contextmanager
    def _transaction(self, outcome: Outcome):
        """The run's one transaction; any failure rolls it back and becomes a MigrationError."""
        try:
            with self.engine.execution_options(**{_WRITE: True}).begin() as connection:
                yield connection
        except MigrationError as exc:
            raise MigrationError(f"{exc}{_copy(outcome)}") from None
        except (CommandError, adoption.AdoptionError) as exc:
            raise MigrationError(f"{exc}; nothing was changed.{_copy(outcome)}") from None
        except Exception as exc:
            raise MigrationError(f"The migration failed and was rolled back, so the database is as it was "
                                 f"({type(exc).__name__}: {exc}).{_copy(outcome)}") from exc

    def upgrade(self, revision: str = "heads") -> Outcome:
        """Adopt a database made before migrations if need be, then upgrade it to ``revision``."""
        _check_target(self.script, revision)
        state = self.state()
        if state.unknown:
            raise MigrationError(unknown_message(state.unknown) + " Nothing was changed.")
        outcome = Outcome(before=positions(self.script, state.current))
        if revision == "heads" and state.up_to_date:
            outcome.after = outcome.before
            return outcome
        with self._transaction(outcome) as connection:
            state = self._locked(connection)
            if revision == "heads" and state.up_to_date:  # another run did it while this one waited
                outcome.after = outcome.before
                return outcome
            if not state.empty:  # copied under the write lock: exactly what is upgraded
                outcome.backup = _backup(self.app, f"pre-upgrade-{_label(outcome, state)}")
            adopted = adoption.adopt(connection, self.script) if state.legacy else None
            _ensure_version_table(connection)
            if adopted is not None:
                outcome.adopted = adopted.notes
                bases = outermost(self.script, [rev.revision for rev in adoption.baselines(self.script)])
                command.stamp(self._alembic(connection, []), sorted(bases))
            self._run(command.upgrade, connection, revision, outcome)
            if adopted is not None and adopted.rebuild_totals:
                outcome.rebuilt_users = self._rebuild_totals(connection, outcome)
            self._finish(connection)
        return outcome

    def downgrade(self, revision: str) -> Outcome:
        """Undo revisions down to ``revision`` (``base`` undoes everything, dropping every table)."""
        _check_target(self.script, revision)
        state = self.state()
        if state.unknown:
            raise MigrationError(unknown_message(state.unknown) + " Nothing was changed.")
        if VERSION_TABLE not in state.tables:
            raise MigrationError("The database has no schema version yet, so there is nothing to "
                                 "downgrade; `engage db upgrade` first.")
        outcome = Outcome(before=positions(self.script, state.current))
        with self._transaction(outcome) as connection:
            state = self._locked(connection)
            outcome.backup = _backup(self.app, f"pre-downgrade-{_label(outcome, state)}")
            self._run(command.downgrade, connection, revision, outcome)
            self._finish(connection)
        return outcome

    def _run(self, alembic_command, connection: sa.Connection, revision: str, outcome: Outcome) -> None:
        alembic_command(self._alembic(connection, outcome.steps), revision)
        outcome.after = positions(self.script, read_state(connection, self.script).current)

    def _rebuild_totals(self, connection: sa.Connection, outcome: Outcome) -> int | None:
        """Recompute totals and rank counts from the ledger, in this transaction (at heads only:
        the app's models describe the newest schema)."""
        if set(read_state(connection, self.script).current) != at_heads(self.script):
            outcome.adopted.append("totals and rank counts were not rebuilt: run `engage rebuild-totals` "
                                   "after upgrading to the newest revision")
            return None
        from sqlmodel import Session

        from core.periods import Calendar
        from core.points import rebuild_totals
        from core.terms import list_terms

        with Session(bind=connection) as session:
            calendar = Calendar(self.app.config["TIMEZONE"], list_terms(session))
            users = rebuild_totals(session, calendar=calendar)
            session.flush()
        return users

    def dispose(self) -> None:
        self.engine.dispose()


def _copy(outcome: Outcome) -> str:
    return f" A copy from before is at {outcome.backup}." if outcome.backup else ""


def _label(outcome: Outcome, state: State) -> str:
    """The backup's "from" part: core's revision (every branch builds on it)."""
    return "unversioned" if state.legacy else (outcome.before.get("core") or "base")


def upgrade(app: Flask, revision: str = "heads") -> Outcome:
    """Bring ``app``'s database to ``revision`` (all heads by default); see ``Run.upgrade``."""
    run = Run(app)
    try:
        return run.upgrade(revision)
    finally:
        run.dispose()


def downgrade(app: Flask, revision: str) -> Outcome:
    """Undo ``app``'s database's revisions down to ``revision``; see ``Run.downgrade``."""
    run = Run(app)
    try:
        return run.downgrade(revision)
    finally:
        run.dispose()


def drop_every_table(app: Flask) -> list[str]:
    """Drop every table in the database, the version table and unknown plugins' included."""
    engine = migration_engine(app.config["DATABASE_URL"])
    try:
        with engine.execution_options(**{_WRITE: True}).begin() as connection:
            metadata = sa.MetaData()
            metadata.reflect(connection)
            metadata.drop_all(connection)
            return sorted(metadata.tables)
    finally:
        engine.dispose()
