"""Logs a machine can read: every line carries the request id of the request it belongs to.

``LOG_FORMAT = "json"`` writes one JSON object per line (python-json-logger) with ``timestamp``
(UTC, ISO 8601), ``level``, ``logger``, ``message``, ``request_id`` and, on the line each request
ends with (logger ``engage.request``), ``method``, ``path`` (without its query string, which may
hold tokens), ``status``, ``duration_ms`` and ``user_id``. ``"text"`` writes the same as one
readable line. Both go to standard error, where gunicorn and systemd's journal collect them, at
``LOG_LEVEL`` and above.
"""

from __future__ import annotations

import contextvars
import logging
import sys
import time

from flask import Flask
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter

REQUEST_LOGGER = "engage.request"
# The id of the request this thread is answering (set by the middleware), for every log line.
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("engage_request_id", default=None)
# Libraries whose INFO lines repeat what the site already says (`engage db` reports each
# revision) or say nothing to a reader of the logs (Alembic loading its plugins as a server
# starts): heard at DEBUG only.
QUIETER = {"alembic.runtime.migration": logging.WARNING, "alembic.runtime.plugins": logging.WARNING}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Stamp each record with the current request's id ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id.get() or "-"
        return True


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now (test runners swap it), never to a stale copy."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def formatter(log_format: str) -> logging.Formatter:
    """The formatter for ``LOG_FORMAT`` ("json" or "text")."""
    if log_format == "json":
        return JsonFormatter("%(levelname)s %(name)s %(message)s %(request_id)s",
                             rename_fields={"levelname": "level", "name": "logger"}, timestamp=True)
    if log_format == "text":
        text = logging.Formatter(TEXT_FORMAT, datefmt="%Y-%m-%dT%H:%M:%SZ")
        text.converter = time.gmtime
        return text
    raise ValueError(f"LOG_FORMAT must be 'json' or 'text', not {log_format!r}")


def configure(app: Flask) -> logging.Handler:
    """Send the process's logs to standard error in ``LOG_FORMAT`` at ``LOG_LEVEL``.

    Logging belongs to the process, not the app: one handler on the root logger, installed
    once and re-set by each app built later (tests build many). Flask's own handler on the
    app's logger is removed so that nothing is written twice.
    """
    log_format = str(app.config.get("LOG_FORMAT") or "text").lower()
    level = str(app.config.get("LOG_LEVEL") or "INFO").upper()
    if not isinstance(logging.getLevelName(level), int):
        raise ValueError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {level!r}")
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, StderrHandler)), None)
    if handler is None:
        handler = StderrHandler()
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    handler.setFormatter(formatter(log_format))
    root.setLevel(level)
    for name, quieter in QUIETER.items():
        logging.getLogger(name).setLevel(logging.NOTSET if level == "DEBUG" else quieter)
    app.logger.removeHandler(default_handler)
    return handler


def request_line(*, method: str, path: str, status: int, seconds: float, user_id, quiet: bool) -> None:
    """The line a request ends with; ``quiet`` ones (a probe's successful poll) at DEBUG."""
    duration_ms = round(seconds * 1000, 2)
    logging.getLogger(REQUEST_LOGGER).log(
        logging.DEBUG if quiet else logging.INFO,
        "%s %s %s %.1fms user=%s", method, path, status, duration_ms, user_id if user_id is not None else "-",
        extra={"method": method, "path": path, "status": status, "duration_ms": duration_ms, "user_id": user_id})
