"""An import an administrator checked and asked to apply, run by the job queue.

The upload is checked within the request (the preview); a roster without errors is kept as a
``RosterImport`` row (its checked rows as JSON) and applied when the administrator presses
"Apply": a job (``core:roster-import``, queued at once and also run every minute) writes it in
one transaction, together with the import's own "done" state, so an import is either wholly
applied or not at all. The page polls the import's progress, which the job keeps in the queue's
store (a second writer on the database would have to wait for the import's own transaction).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Column, Text, or_, select, update
from sqlmodel import Field, Session, SQLModel

from core.hookspecs import hookimpl
from core.identity.faculty_import import apply_faculties
from core.identity.roster import Plan, RosterChanged, apply_users
from core.jobs import PeriodicJob, every_minutes, get_jobs, run_soon_after_commit
from core.models import _ts, utcnow

log = logging.getLogger(__name__)
JOB = "core:roster-import"
KINDS = ("users", "faculties")
# A run that started this long ago and never finished died with its worker: it is run again
# (an import applies idempotently, and nothing of the dead run was committed).
STALE = timedelta(minutes=15)
# A checked import nobody applied is deleted after this long (it holds names and emails).
KEEP_UNAPPLIED = timedelta(days=2)
EMPTY_PLAN = '{"rows": [], "columns": []}'


class RosterImport(SQLModel, table=True):
    """A checked roster or faculties table waiting to be applied, being applied, or applied.

    ``state``: ``ready`` (checked, not yet asked for), ``queued``, ``running``, ``done`` or
    ``failed`` (``error`` says why; nothing was written)."""

    __tablename__ = "core_roster_import"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=12)
    filename: str = Field(max_length=200)
    state: str = Field(default="ready", max_length=12, index=True)
    rows_total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    plan: str = Field(sa_column=Column(Text, nullable=False))
    error: str | None = Field(default=None, max_length=1000)
    actor_id: int | None = Field(default=None, foreign_key="core_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


def keep(session: Session, *, kind: str, plan: Plan, filename: str, actor_id: int | None) -> RosterImport:
    """Keep a checked plan without errors, to be applied when the administrator asks."""
    record = RosterImport(kind=kind, filename=(filename or "—")[:200], rows_total=len(plan.rows),
                          created=plan.created, updated=plan.updated, unchanged=plan.unchanged,
                          plan=json.dumps({"rows": plan.rows, "columns": plan.columns, "changes": plan.changes}), actor_id=actor_id)
    session.add(record)
    session.flush()
    return record


def queue(session: Session, record: RosterImport) -> bool:
    """Ask for ``record`` to be applied once this transaction commits; False if it already was."""
    if record.state != "ready":
        return False
    record.state = "queued"
    session.add(record)
    run_soon_after_commit(session, JOB)
    return True


def _progress_key(import_id: int) -> str:
    return f"engage:roster-import:{import_id}"


def progress(import_id: int) -> tuple[int, int] | None:
    """``(rows done, rows total)`` of a running import, from the queue's store."""
    value = get_jobs().huey.get(_progress_key(import_id), peek=True)
    if not value:
        return None
    done, _sep, total = str(value.decode() if isinstance(value, bytes) else value).partition("/")
    return int(done), int(total)


def percent(record: RosterImport) -> int:
    """How far an import has come, 0–100."""
    if record.state == "done":
        return 100
    if record.state != "running":
        return 0
    seen = progress(record.id)
    return int(100 * seen[0] / seen[1]) if seen and seen[1] else 0


def apply(session: Session, record: RosterImport, *, report=None) -> dict[str, int]:
    """Apply a kept import in ``session``'s transaction (no commit)."""
    data = json.loads(record.plan)
    plan = Plan(rows=data["rows"], columns=data["columns"])
    write = apply_users if record.kind == "users" else apply_faculties
    counts = write(session, plan, actor_id=record.actor_id, source=record.filename, progress=report)
    record.created, record.updated, record.unchanged = counts["created"], counts["updated"], counts["unchanged"]
    return counts


def _claim(database) -> int | None:
    """Take the oldest import waiting to be applied (or left by a dead run); its id or None."""
    with database.write_session() as session:
        stale = utcnow() - STALE
        record = session.execute(select(RosterImport).where(or_(
            RosterImport.state == "queued",
            (RosterImport.state == "running") & (RosterImport.started_at < stale)))
            .order_by(RosterImport.id).limit(1)).scalar_one_or_none()
        if record is None:
            return None
        session.execute(update(RosterImport).where(RosterImport.id == record.id)
                        .values(state="running", started_at=utcnow()))
        return record.id


def run_one(import_id: int) -> str:
    """Apply import ``import_id`` in one transaction; its final state."""
    database = current_app.extensions["engage.db"]
    huey = get_jobs().huey
    key = _progress_key(import_id)

    def report(done: int, total: int) -> None:
        huey.put(key, f"{done}/{total}")

    try:
        with database.write_session() as session:
            record = session.get(RosterImport, import_id)
            apply(session, record, report=report)
            record.state, record.finished_at, record.error = "done", utcnow(), None
            record.plan = EMPTY_PLAN  # the accounts hold the roster now: no second copy of it is kept
            session.add(record)
    except RosterChanged as exc:
        _fail(database, import_id, str(exc))
    except Exception as exc:  # noqa: BLE001 — recorded on the import, then raised for the job's retry log
        _fail(database, import_id, f"{type(exc).__name__}: {exc}")
        raise
    finally:
        huey.get(key)  # forget the progress
    with database.session() as session:
        return session.get(RosterImport, import_id).state


def _fail(database, import_id: int, error: str) -> None:
    log.warning("roster import %s failed: %s", import_id, error)
    with database.write_session() as session:
        session.execute(update(RosterImport).where(RosterImport.id == import_id)
                        .values(state="failed", error=error[:1000], finished_at=utcnow(), plan=EMPTY_PLAN))


def forget_unapplied(database) -> int:
    """Delete checked imports nobody applied within ``KEEP_UNAPPLIED`` (they hold a copy of a
    roster: names and emails); how many were deleted."""
    with database.write_session() as session:
        return session.execute(RosterImport.__table__.delete().where(
            RosterImport.state == "ready", RosterImport.created_at < utcnow() - KEEP_UNAPPLIED)).rowcount


def run_waiting() -> int:
    """Apply every import waiting to be applied (and forget stale unapplied ones); how many were run."""
    database = current_app.extensions["engage.db"]
    forget_unapplied(database)
    count = 0
    while (import_id := _claim(database)) is not None:
        run_one(import_id)
        count += 1
    return count


@hookimpl
def engage_jobs():
    return [PeriodicJob(JOB, "core", run_waiting, every_minutes(1))]
