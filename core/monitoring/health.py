"""``/healthz``: is this server fit to take requests? One JSON answer a load balancer can read.

``{"status": "ok", "checks": {"database": {"status": "ok", "ms": 0.4}, "storage": {...}}}`` with
200 when every check passes, 503 (status "fail") as soon as one does not. Built in: the database
(one read), the storage (the instance folder, and the uploads folder when there is one, take a file; enough
free disk). Other parts add theirs::

    from core.monitoring import health
    health.add_check("queue", lambda: {"waiting": queue_length()}, app=app)

A check is a function without arguments, called in an app context. It passes by returning
(None, True, or a short JSON-able detail shown beside its status: a count, a word) and fails by
returning False or raising. ``CheckFailed("reason")`` shows its reason to whoever asks;
any other exception shows only its type (the page needs no sign-in) and is logged in full.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from flask import Flask, current_app
from sqlalchemy import text

from core.monitoring.settings import apply_defaults

log = logging.getLogger(__name__)

Check = Callable[[], Any]


class CheckFailed(Exception):
    """A health check's failure with a reason fit to show anyone (no paths, no secrets)."""


class Health:
    """The checks of one app, run in the order they were added."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.checks: dict[str, Check] = {}
        self.add_check("database", check_database)
        self.add_check("storage", check_storage)

    def add_check(self, name: str, fn: Check) -> None:
        """Add the check ``name``; a name already taken stops the app (two parts would hide each other)."""
        if not name or not name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"health check name {name!r}: use letters, digits, - and _")
        if name in self.checks:
            raise ValueError(f"health check {name!r} is added twice")
        if not callable(fn):
            raise TypeError(f"health check {name!r}: {fn!r} is not callable")
        self.checks[name] = fn

    def run(self) -> tuple[bool, dict]:
        """Run every check: (all passed, the JSON answer)."""
        results = {}
        with self.app.app_context():
            for name, fn in self.checks.items():
                results[name] = _run_one(name, fn)
        healthy = all(result["status"] == "ok" for result in results.values())
        return healthy, {"status": "ok" if healthy else "fail", "checks": results}


def _run_one(name: str, fn: Check) -> dict:
    started = time.perf_counter()
    result: dict[str, Any] = {"status": "ok"}
    try:
        detail = fn()
        if detail is False:
            result = {"status": "fail"}
        elif detail is not None and detail is not True:
            result["detail"] = detail
    except CheckFailed as exc:
        result = {"status": "fail", "error": str(exc)}
    except Exception as exc:  # a check must never take /healthz down with it
        log.warning("health check %s failed", name, exc_info=True)
        result = {"status": "fail", "error": type(exc).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result


def of(app: Flask) -> Health:
    """``app``'s checks, made on first use (a plugin's blueprint may add one before
    ``core.monitoring.init_app`` runs)."""
    if "engage.health" not in app.extensions:
        apply_defaults(app)
        app.extensions["engage.health"] = Health(app)
    return app.extensions["engage.health"]


def add_check(name: str, fn: Check, *, app: Flask | None = None) -> None:
    """Add a health check to ``app`` (by default the current app); see the module's docstring."""
    of(app or current_app).add_check(name, fn)


def check_database() -> str:
    """One read from a core table on a pooled connection: the server answers and the schema is there."""
    engine = current_app.extensions["engage.db"].engine
    with engine.connect() as connection:
        connection.execute(text("SELECT 1 FROM core_user LIMIT 1")).all()
    return engine.dialect.name


def writable_folders(app: Flask) -> dict[str, Path]:
    """The folders the site writes to, by a name fit to show: the instance folder (SQLite
    database, rate-limit store, backups), the uploads folder (``instance/uploads`` when there is
    one, or ``UPLOAD_FOLDER``), and a SQLite database's folder when it lies elsewhere."""
    folders = {"instance": Path(app.instance_path)}
    uploads = Path(app.config.get("UPLOAD_FOLDER") or Path(app.instance_path) / "uploads")
    if app.config.get("UPLOAD_FOLDER") or uploads.exists():  # backups carry it (core.backup)
        folders["uploads"] = uploads
    database = app.extensions["engage.db"]
    if database.is_sqlite and database.engine.url.database not in (None, "", ":memory:"):
        folder = Path(database.engine.url.database).resolve().parent
        if folder != folders["instance"].resolve():
            folders["database"] = folder
    return folders


def check_storage() -> dict:
    """Each folder the site writes to takes (and gives back) a small file, and the instance
    folder's disk has ``HEALTH_MIN_FREE_MB`` free."""
    app = current_app
    for label, folder in writable_folders(app).items():
        try:
            handle, name = tempfile.mkstemp(prefix=".healthz-", dir=folder)
            try:
                os.write(handle, b"ok")
            finally:
                os.close(handle)
                os.unlink(name)
        except OSError as exc:
            log.warning("health check storage: cannot write in %s (%s): %s", label, folder, exc)
            raise CheckFailed(f"the {label} folder is not writable") from exc
    free_mb = shutil.disk_usage(app.instance_path).free // (1024 * 1024)
    if free_mb < int(app.config.get("HEALTH_MIN_FREE_MB") or 0):
        raise CheckFailed(f"only {free_mb} MB free on the instance folder's disk")
    return {"free_mb": free_mb}
