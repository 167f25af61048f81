"""Library Engage core: users, points, plugins and the app factory."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from htmx_flask import Htmx
from sqlalchemy.exc import OperationalError, ProgrammingError

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None, *, plugins: tuple = (), instance_path: str | None = None,
               check_schema: bool = True) -> Flask:
    """Build the app: defaults → instance/config.py → ENGAGE_* environment → ``test_config``.

    ``plugins`` adds plugin objects beside the built-in and installed ones, and
    ``instance_path`` moves the instance folder (both used by tests). Unless ``SCHEMA_CHECK``
    is off, the app refuses a database that is not at every migration head
    (``core.migrations.SchemaNotCurrent``, which ends the process with the reason);
    ``check_schema=False`` leaves that to the caller (the ``engage`` command, whose ``db``
    commands must reach a database that is behind).
    """
    from core import admin, auth, boards_views, config, db, errors, i18n, notification_views, security, views
    from core import plugins as plugin_host
    from core.security import limits

    app = Flask(__name__, instance_relative_config=True, template_folder=str(ROOT / "templates"),
                instance_path=instance_path or os.environ.get("ENGAGE_INSTANCE_PATH") or str(ROOT / "instance"))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    config.load_config(app, test_config)
    db.init_app(app)
    security.init_app(app)  # before the plugins' blueprints, so they can rate-limit their views
    host = plugin_host.init_app(app, extra_plugins=plugins)
    i18n.init_app(app, {name: host.folder(name) for name in host.infos})
    from core.text import plain_excerpt, render_markdown

    # {{ text|markdown }}: a user's Markdown, sanitised; {{ text|excerpt(80) }}: its first words as plain text.
    app.jinja_env.filters.update(markdown=render_markdown, excerpt=plain_excerpt)
    Htmx(app)  # replaces the request class: bound its integer arguments again
    security.inputs.bound_parameters(app)
    errors.init_app(app)
    from core import files  # stored files answer with their owner's visibility; image answers default to private

    files.init_app(app)
    from core import badge_verify, badges, badges_views, openbadges_views  # rules are checked at start-up: a duplicate key stops the app
    badges.init_app(app, host)
    app.register_blueprint(badges_views.bp)
    app.register_blueprint(openbadges_views.bp)
    app.register_blueprint(badge_verify.bp)
    from core.openbadges3 import keys as openbadges3_keys
    from core.openbadges3 import views as openbadges3_views  # Open Badges 3.0: signed credentials

    openbadges3_keys.check_configuration(app.config)
    app.register_blueprint(openbadges3_views.bp)
    from core import webapp  # the icon and manifest a phone needs to add the site to its home screen

    app.register_blueprint(webapp.bp)
    from core.approvals import views as approval_views  # four eyes on large adjustments
    from core import terms_views  # noqa: F401  the term pages, on admin's blueprint
    from core.identity import views as identity_views  # noqa: F401  faculty and roster pages, on admin's blueprint

    for blueprint in (views.bp, auth.bp, admin.bp, approval_views.bp, boards_views.bp, notification_views.bp):
        app.register_blueprint(blueprint)
    from core import mail  # notifications by email, through an outbox drained outside requests

    mail.init_app(app, host)
    # Faculties, roster imports, confirming addresses, resets, changes, my data, retention
    # (after the mail, which it sends; before jobs: it adds jobs).
    from core import identity

    identity.init_app(app, host)
    from core import term_recount_job  # a worker finishes a term recount nobody is watching

    host.pm.register(term_recount_job, name="core_term_recount_job")
    from core import webhooks  # events out to the library's other systems, signed, through the job queue

    webhooks.init_app(app, host)
    from core import jobs  # the background queue: pays rewards, runs core's and plugins' periodic jobs

    jobs.init_app(app, host)
    from core.identity import providers_views  # sign-in providers: settings, mapping, tests

    app.register_blueprint(providers_views.bp)
    from core import screens, screens_views  # library screens: the TV page and the librarians' pages
    screens.init_app(app)
    app.register_blueprint(screens_views.bp)
    app.register_blueprint(screens_views.public_bp)
    app.extensions["engage.limiter"].exempt(screens_views.public_bp)  # TVs poll; nothing there to brute-force
    app.wsgi_app = screens_views.SlidePollFastPath(app, app.wsgi_app)
    from core import api  # the JSON API for the library's other systems, and its keys

    api.init_app(app, host)
    from core import embeds  # read-only boards for the library's own website

    embeds.init_app(app)
    limits.apply_declared_limits(app, host)
    from core import monitoring  # /healthz, /metrics, request ids and logs; inside the proxy fix

    monitoring.init_app(app)
    limits.trust_proxies(app)  # outermost, so everything inside sees the client's address and scheme
    if app.config["CREATE_TABLES"]:
        _create_tables(app)
    if check_schema and app.config["SCHEMA_CHECK"]:
        from core.migrations import require_current

        require_current(app)
    return app


def _create_tables(app: Flask) -> None:
    """Create missing tables from the models (tests only: Alembic owns the schema); tolerate
    another worker doing the same at once."""
    database = app.extensions["engage.db"]
    try:
        database.create_all()
    except (OperationalError, ProgrammingError):
        database.create_all()
