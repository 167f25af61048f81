"""Accounts after sign-up: proving an address, resetting and changing passwords and addresses,
administrators' lifecycle actions, and readers' rights (export everything, delete the account,
retention). ``init_app(app, host)`` registers the pages, the verification gate and core's part
of the hooks ``engage_user_data`` and ``engage_forget_user``."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask, host) -> None:
    """Register the account pages, the gate for unverified readers and core's privacy listeners."""
    from core.identity import gate, models, privacy_core, retention, views  # noqa: F401  (models: the tables)

    app.register_blueprint(views.bp)
    gate.init_app(app)
    host.pm.register(privacy_core, name="core_privacy")
    host.pm.register(retention, name="core_retention")
