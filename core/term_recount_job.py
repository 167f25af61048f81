"""The job queue's part in recounting term totals: a worker finishes a recount nobody watches.

The progress page advances a recount while an administrator keeps it open; this periodic job
(every minute, on ``engage worker``) takes over when they leave. Both may step the same recount
at once: each step locks the recount's row first, so they take turns.
"""

from __future__ import annotations

from flask import current_app

from core import term_recount
from core.hookspecs import hookimpl
from core.jobs import PeriodicJob, every_minutes

JOB = "core:term-recount"


def finish_running() -> str | None:
    """Finish the latest recount if it is still running; returns its state (None if there is none)."""
    db = current_app.extensions["engage.db"]
    with db.session() as session:
        recount = term_recount.latest(session)
    if recount is None or recount.state != "running":
        return recount.state if recount else None
    return term_recount.advance(db, recount_id=recount.id, seconds=240.0).state


@hookimpl
def engage_jobs():
    return [PeriodicJob(JOB, "core", finish_running, every_minutes(1))]
