"""Monitoring's settings and their defaults; each can be set like any other setting
(instance/config.py, ENGAGE_*). docs/operations.md ("What to monitor") describes them."""

from __future__ import annotations

from flask import Flask

DEFAULTS = {
    "LOG_FORMAT": "text",  # "json": one JSON object per line; "text": one readable line
    "LOG_LEVEL": "INFO",
    "LOG_REQUESTS": True,  # one line per request answered (the monitoring endpoints' own at DEBUG)
    "METRICS_ENABLED": True,
    # Who may read /metrics: client addresses or networks (after TRUSTED_PROXIES), and/or any
    # client that sends "Authorization: Bearer <METRICS_TOKEN>".
    "METRICS_ALLOW": ["127.0.0.0/8", "::1"],
    "METRICS_TOKEN": None,
    # /healthz fails its storage check when the instance folder's disk has less free space.
    "HEALTH_MIN_FREE_MB": 100,
}


def apply_defaults(app: Flask) -> None:
    """Fill in every monitoring setting the deployment left out."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
