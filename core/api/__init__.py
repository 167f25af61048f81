"""The JSON API under ``/api/v1`` for the library's other systems, with API keys and scopes.

Offers ``init_app(app, host)``; its modules: models (keys), keys (make, revoke, check), auth (the
calling key, scopes, rate limits, audit), problems (RFC 9457 errors), cursors, schemas, awarding,
the resources (readers, awards, catalogue), reference (the OpenAPI document and its page) and
admin_views (the administrators' key pages).

Built on flask-smorest rather than APIFlask: APIFlask needs the application object to be its own
``APIFlask`` class, while flask-smorest documents blueprints of the plain Flask app this project
already builds (and lets core and plugins add blueprints to one OpenAPI 3.1 document).
"""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SessionInterface
from flask_smorest import Api as _Api

from core.api import problems
from core.api.schemas import ProblemSchema

API_PREFIX = "/api/"


class Api(_Api):
    """flask-smorest's Api answering errors as problems (``core.api.problems``), documented as such,
    and leaving the site's HTML error pages alone."""

    ERROR_SCHEMA = ProblemSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        """The site's error pages stay; ``core.errors`` hands ``/api/`` requests to ``problems``."""

    def _register_responses(self):
        """Nothing: each operation documents its own problems (``core.api.blueprint.documented``)."""


def _no_cookies_for_api(interface: type[SessionInterface]) -> type[SessionInterface]:
    """The app's session interface, except that an API response never sets a cookie (keys, not sessions)."""

    class NoCookiesForApi(interface):
        def save_session(self, app, session, response):
            if request.path.startswith(API_PREFIX):
                return None
            return super().save_session(app, session, response)

    return NoCookiesForApi


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def init_app(app: Flask, host) -> Api:
    """Register core's API blueprints and each plugin's (``engage_api_blueprints``), the problem
    answers, per-key rate limits, and the reference page; API calls are exempt from CSRF (a key in a
    header cannot be sent by a browser on another site's behalf) and set no cookies."""
    from core.api import admin_views, awards, catalogue, readers, reference  # noqa: F401  catalogue adds reader routes
    from core.api.auth import limit_key, limit_value

    app.config.setdefault("API_TITLE", "Library Engage")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    api = Api(app, spec_kwargs={"info": {"description": "The library's engagement platform, for the library's "
                                         "other systems. Authenticate with `Authorization: Bearer <key>`."}})
    api.spec.components.security_scheme("apiKey", {"type": "http", "scheme": "bearer",
                                                   "description": "An API key made by an administrator"})
    api.spec.components.schema("Problem", schema=ProblemSchema)
    limiter = app.extensions["engage.limiter"]
    csrf = app.extensions["csrf"]
    blueprints = [readers.bp, awards.bp, catalogue.bp]
    for impl in host.pm.hook.engage_api_blueprints.get_hookimpls():
        result = impl.function() or []
        for bp in result if isinstance(result, (list, tuple)) else [result]:
            if not bp.name.startswith(impl.plugin_name + "_"):
                raise ValueError(f"plugin {impl.plugin_name}: API blueprint {bp.name!r} must start with "
                                 f"{impl.plugin_name + '_'!r}")
            host.blueprint_owner[bp.name] = impl.plugin_name  # switched off: its API answers 404 too
            blueprints.append(bp)
    for bp in blueprints:
        limiter.limit(limit_value, key_func=limit_key)(bp)
        csrf.exempt(bp)
        api.register_blueprint(bp)
    app.register_blueprint(reference.bp)
    app.register_blueprint(admin_views.bp)
    app.register_error_handler(problems.Problem, problems.from_exception)
    app.session_interface = _no_cookies_for_api(type(app.session_interface))()
    app.extensions["engage.api"] = api
    return api
