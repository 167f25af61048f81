"""Background jobs: a Huey queue drained by ``engage worker`` processes.

Where the queue lives (``JOBS_URL``): left empty, a SQLite file in the instance folder
(``jobs.sqlite``; one machine, any number of web and worker processes); ``redis://host:6379/0``
when several servers share the work. ``JOBS_IMMEDIATE`` runs each job at once inside the process
that queues it (tests; no worker needed).

What runs there:

* paying the reward queue (``core.rewards``): a reward's row commits with the ballot, and once
  that transaction commits a "pay rewards" job is queued, coalesced (one waits at a time however
  many ballots land); a periodic job pays as well, so rewards queued before a restart are paid
  whether or not requests arrive;
* periodic jobs that core and plugins declare (hook ``engage_jobs``): closing polls on time,
  closing quiet feedback, reminders… Each must be idempotent: a job may run twice (a retry, two
  schedulers) and must change things once.

A job that raises is retried with a growing delay; every failed run is stored in
``core_job_failure``, shown on the administration page (``/admin/jobs``) and reported by
``engage check`` once no retry is left, until an administrator clears it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey import signals as huey_signals
from sqlalchemy import event, func, select, update

from core.models import JobFailure, utcnow

__all__ = ["PeriodicJob", "crontab", "every_minutes", "claim_once", "init_app", "get_jobs", "run_soon_after_commit"]

log = logging.getLogger(__name__)
DRAIN_PENDING = "engage:rewards:drain-pending"
_SOON = "engage:soon:"


@dataclass(frozen=True)
class PeriodicJob:
    """A job run on a schedule by the worker that runs the scheduler (``engage worker``).

    ``name`` is unique, ``"<plugin>:<what>"``; ``plugin`` is the plugin's name (``"core"`` for
    core): while that plugin is switched off its jobs are skipped. ``run`` is called with no
    arguments inside an app context and opens its own sessions; it must be idempotent.
    ``schedule`` is a ``crontab(...)`` (re-exported here from Huey) or any callable taking a
    naive datetime, evaluated in library time (``TIMEZONE``), minute by minute. A run that
    raises is retried ``retries`` times, after ``retry_delay`` seconds, doubling each time.
    """

    name: str
    plugin: str
    run: Callable[[], object]
    schedule: Callable[[datetime], bool]
    retries: int = 3
    retry_delay: int = 30


def every_minutes(minutes: int = 1) -> Callable[[datetime], bool]:
    """A schedule that fires every ``minutes`` minutes (1–60)."""
    return crontab(minute="*" if minutes <= 1 else f"*/{minutes}")


class Jobs:
    """The app's queue: its Huey instance, its tasks and the periodic jobs of core and plugins."""

    def __init__(self, app: Flask, host) -> None:
        self.app = app
        self.huey = _make_huey(app)
        self.periodic: dict[str, PeriodicJob] = {}
        self._soon: dict[str, Callable[[], object]] = {}
        self._tz = ZoneInfo(app.config["TIMEZONE"])
        retries, delay = int(app.config["JOBS_RETRIES"]), int(app.config["JOBS_RETRY_DELAY"])
        self.drain_rewards = self.huey.task(retries=retries, retry_delay=delay, retry_backoff=2,
                                            name="pay_rewards")(self._in_app(self._drain))
        self.huey.signal(huey_signals.SIGNAL_ERROR)(self._record_failure)
        jobs = [PeriodicJob("core:pay-rewards", "core", self._drain, every_minutes(1)),
                PeriodicJob("core:forget-cleared-failures", "core", forget_cleared_failures,
                            crontab(hour="4", minute="10"))]
        for result in host.hooks.engage_jobs():
            jobs.extend(result if isinstance(result, (list, tuple)) else [result] if result else [])
        for job in jobs:
            self.add_periodic(job)

    # --- tasks ------------------------------------------------------------------------

    def _in_app(self, func: Callable[[], object]) -> Callable[[], None]:
        app = self.app

        def run() -> None:
            with app.app_context():
                func()
        run.__name__ = getattr(func, "__name__", "job")
        run.__module__ = __name__
        return run

    def add_periodic(self, job: PeriodicJob) -> None:
        """Register ``job`` on the queue (at start-up; a duplicate name stops the app)."""
        if job.name in self.periodic:
            raise ValueError(f"two periodic jobs are called {job.name!r}")
        self.periodic[job.name] = job
        tz = self._tz

        def due(timestamp: datetime) -> bool:
            local = timestamp.replace(tzinfo=timezone.utc).astimezone(tz).replace(tzinfo=None)
            return bool(job.schedule(local))

        def run() -> None:
            if job.plugin != "core":
                host = current_app.extensions["engage.plugins"]
                host.refresh(current_app.extensions["engage.db"], force=True)
                if not host.is_enabled(job.plugin):
                    return
            job.run()

        self.huey.periodic_task(due, retries=job.retries, retry_delay=job.retry_delay, retry_backoff=2,
                                name=job.name)(self._in_app(run))
        marker = _SOON + job.name

        def run_now() -> None:
            self.huey.get(marker)  # taken off first: whatever is queued from here on runs again
            run()
        run_now.__name__ = job.name
        self._soon[job.name] = self.huey.task(retries=job.retries, retry_delay=job.retry_delay, retry_backoff=2,
                                              name=f"{job.name}:soon")(self._in_app(run_now))

    def run_soon(self, name: str) -> bool:
        """Queue a run of periodic job ``name`` now, unless one is already waiting (coalesced, as
        the reward payment is); True if this call queued it. If the queue is away, the job's
        schedule runs it later."""
        marker = _SOON + name
        if not self.huey.put_if_empty(marker, "1"):
            return False
        try:
            self._soon[name]()
        except Exception:  # noqa: BLE001
            self.huey.get(marker)
            log.exception("could not queue job %s; its schedule will run it", name)
            return False
        return True

    def run_periodic(self, name: str) -> None:
        """Run one periodic job now, in this process (tests, manual runs)."""
        task_class = self.huey._registry.string_to_task(f"{__name__}.{name}")
        self.huey.execute(task_class())

    def _drain(self) -> None:
        """Pay the reward queue in small batches, once a burst of ballots is over (no reward
        arrived for ``REWARD_QUIET_SECONDS``) or the oldest has waited ``REWARD_MAX_DELAY_SECONDS``:
        a burst's write lock goes to its ballots, and readers see their points within seconds."""
        from core.rewards import _waiting, pay_due

        db, config = current_app.extensions["engage.db"], current_app.config
        quiet, batch = float(config["REWARD_QUIET_SECONDS"]), int(config["REWARD_BATCH"])
        count, oldest = _waiting(db)
        if count and not self.huey.immediate:
            deadline = time.monotonic() + float(config["REWARD_MAX_DELAY_SECONDS"]) - \
                max(0.0, (utcnow() - oldest).total_seconds())
            while time.monotonic() < deadline:
                time.sleep(quiet)
                now_waiting, _oldest = _waiting(db)
                if now_waiting <= count:
                    break  # nothing new arrived: the burst is over
                count = now_waiting
        self.huey.get(DRAIN_PENDING)  # taken off now: a reward committed from here on queues another run
        while pay_due(db, limit=batch):
            pass

    def wake_rewards(self) -> bool:
        """Queue a "pay rewards" job unless one is already waiting; True if this call queued it."""
        if not self.huey.put_if_empty(DRAIN_PENDING, "1"):
            return False
        try:
            self.drain_rewards()
        except Exception:  # noqa: BLE001 — the queue may be away; the periodic job pays later
            self.huey.get(DRAIN_PENDING)
            log.exception("could not queue the reward payment; the periodic job will pay")
            return False
        return True

    def restart_rewards(self) -> None:
        """At a worker's start: forget a waiting marker left by a worker that died, and pay."""
        self.huey.get(DRAIN_PENDING)
        self.wake_rewards()

    # --- failures ---------------------------------------------------------------------

    def _record_failure(self, signal, task, exc=None) -> None:
        final = not task.retries
        error = f"{type(exc).__name__}: {exc}" if exc is not None else "failed"
        try:
            with self.app.app_context(), self.app.extensions["engage.db"].write_session() as session:
                session.add(JobFailure(task=type(task).__name__[:200], task_id=str(task.id)[:64],
                                       retries_left=max(task.retries, 0), final=final, error=error[:2000]))
        except Exception:  # noqa: BLE001 — the database itself may be the failure
            log.exception("could not record the failure of job %s", task.id)


def _make_huey(app: Flask):
    name = app.config["JOBS_NAME"]
    if app.config["JOBS_IMMEDIATE"]:
        return MemoryHuey(name, immediate=True, results=False)
    url = (app.config.get("JOBS_URL") or "").strip()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url, results=False)
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
    elif url:
        raise ValueError(f"ENGAGE_JOBS_URL must be redis://… or sqlite:///…; got {url!r}")
    else:
        path = str(Path(app.instance_path) / "jobs.sqlite")
    return SqliteHuey(name, filename=path, results=False, timeout=30)


def get_jobs() -> Jobs:
    """The current app's job queue."""
    return current_app.extensions["engage.jobs"]


_AFTER_COMMIT = "engage.jobs.after_commit"


def _after_commit(session, *call) -> None:
    """Once ``session``'s transaction commits, call ``call`` (the name of a method of the app's
    jobs, and its arguments), once however often it was asked for. A SAVEPOINT released inside the
    transaction is not its commit: the call waits for the outermost one, when what the job is to
    find is visible. After a rollback the calls wait for the session's next commit, where they
    find nothing new: harmless."""
    calls = session.info.get(_AFTER_COMMIT)
    if calls is not None:  # the session is listened to already
        calls.add(call)
        return
    session.info[_AFTER_COMMIT] = {call}
    app = current_app._get_current_object()

    def after_commit(committed) -> None:
        if committed.in_nested_transaction():  # a SAVEPOINT released: the transaction goes on
            return
        due, committed.info[_AFTER_COMMIT] = committed.info[_AFTER_COMMIT], set()
        jobs = app.extensions["engage.jobs"]
        with app.app_context():
            for method, *args in sorted(due):
                getattr(jobs, method)(*args)

    event.listen(session, "after_commit", after_commit)  # for the session's life, which is short


def wake_rewards_after_commit(session) -> None:
    """Once ``session``'s transaction commits, queue a (coalesced) "pay rewards" job.

    Called by ``core.rewards.defer_award``; does nothing outside an app or with ``REWARD_JOBS``
    off (the periodic job, ``engage pay-rewards`` or a test's ``pay_all`` pays then).
    """
    if has_app_context() and current_app.config["REWARD_JOBS"]:
        _after_commit(session, "wake_rewards")


def run_soon_after_commit(session, name: str) -> None:
    """Once ``session``'s transaction commits, queue a run of periodic job ``name`` (coalesced);
    nothing happens if it rolls back. For work a request makes that a worker should do at once
    (the email a notification queued, say) rather than at the job's next scheduled time."""
    if has_app_context():
        _after_commit(session, "run_soon", name)


_once_lock = threading.Lock()


def claim_once(key: str) -> bool:
    """True the first time ``key`` is claimed on this queue, False ever after: a job that must
    act once per something (a reminder per round and day, say) claims a key for it first."""
    with _once_lock:
        return get_jobs().huey.put_if_empty(f"engage:once:{key}", "1")


# --- failures, for the administration page and `engage check` ---------------------------

def failures(session, *, limit: int = 100, final_only: bool = False, uncleared: bool = True) -> list[JobFailure]:
    """Failed job runs, newest first."""
    query = select(JobFailure).order_by(JobFailure.id.desc()).limit(limit)
    if final_only:
        query = query.where(JobFailure.final.is_(True))
    if uncleared:
        query = query.where(JobFailure.cleared_at.is_(None))
    return list(session.execute(query).scalars())


def clear_failures(session) -> int:
    """Mark every failure dealt with; returns how many."""
    return session.execute(update(JobFailure).where(JobFailure.cleared_at.is_(None))
                           .values(cleared_at=utcnow())).rowcount


def forget_cleared_failures(days: int = 90) -> int:
    """Delete failures an administrator cleared more than ``days`` ago (retention); returns how many."""
    with current_app.extensions["engage.db"].write_session() as session:
        return session.execute(JobFailure.__table__.delete().where(
            JobFailure.cleared_at.is_not(None), JobFailure.cleared_at < utcnow() - timedelta(days=days))).rowcount


def waiting(app: Flask) -> int:
    """Jobs queued and not yet taken by a worker (the queue's depth)."""
    return app.extensions["engage.jobs"].huey.pending_count()


def failed_for_good(app: Flask) -> int:
    """Failed jobs with no retry left that no administrator has cleared."""
    with app.extensions["engage.db"].engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(JobFailure.__table__).where(
            JobFailure.final.is_(True), JobFailure.cleared_at.is_(None))).scalar_one()


def init_app(app: Flask, host) -> Jobs:
    """Give the app its job queue (``app.extensions["engage.jobs"]``), its health check and gauges."""
    from core.monitoring import health, metrics

    jobs = app.extensions["engage.jobs"] = Jobs(app, host)

    def check_queue() -> dict:
        return {"waiting": waiting(app), "failed": failed_for_good(app)}
    health.add_check("queue", check_queue, app=app)
    metrics.add_gauge("engage_jobs_waiting", "Jobs queued and not yet taken by a worker.", lambda: waiting(app), app=app)
    metrics.add_gauge("engage_jobs_failed", "Failed jobs with no retry left, not yet cleared by an administrator.",
                      lambda: failed_for_good(app), app=app)
    return jobs
