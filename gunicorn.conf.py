"""gunicorn's settings for Library Engage, read from the directory gunicorn starts in.

Before any worker starts, the master builds the app once to check the database's schema: a
database that is empty or behind stops the server with one sentence naming `engage db upgrade`.
(Every worker checks as well, but when several fail at once gunicorn adds a traceback of its own.)

/metrics sums every worker's counts (prometheus_client's multiprocess mode): the workers write
them to PROMETHEUS_MULTIPROC_DIR, which must be set before they start. Left unset, this file
makes a private folder for the server's lifetime; a folder you set is emptied at start-up, since
counts left by an earlier run would be added to this one's.
"""

import os
import shutil
import tempfile
from pathlib import Path

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="engage-metrics-")
    # Remembered in the environment (not ENGAGE_*, which would become a setting): a reload reads
    # this file again, and on_exit must still know the folder is ours to remove.
    os.environ["GUNICORN_ENGAGE_METRICS_DIR"] = os.environ["PROMETHEUS_MULTIPROC_DIR"]


def on_starting(server):
    """Refuse to start (status 4, the reason on stderr) unless the database is at every head;
    start counting from zero."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    from core import create_app

    try:
        app = create_app()
    except BaseException:  # the server stops here; on_exit is not called
        _remove_metrics_folder()
        raise
    app.extensions["engage.db"].dispose()  # the workers open their own connections
    app.extensions["engage.jobs"].huey.storage.close()  # and their own to the job queue


def post_worker_init(worker):
    """Set the app the worker has just built aside from the garbage collector (``gc.freeze``).

    Its few hundred thousand long-lived objects (routes, tables, compiled statements, message
    catalogues) would otherwise be walked at every full collection, and a request that builds a
    batch of events triggers some: measured in one process, collections took 7–11 ms of a batch
    of 500 before, about 3 ms after."""
    import gc

    gc.freeze()


def child_exit(server, worker):
    """A worker that ends takes its live gauges with it (its counters stay in the sums)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics folder this file made."""
    _remove_metrics_folder()


def _remove_metrics_folder():
    made = os.environ.get("GUNICORN_ENGAGE_METRICS_DIR")
    if made and made == os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        shutil.rmtree(made, ignore_errors=True)
