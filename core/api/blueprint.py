"""What every API blueprint shares: flask-smorest's Blueprint, and the errors each operation documents.

Plugins build their API endpoints with these too (see ``engage_api_blueprints`` in docs/plugins.md):
``Blueprint`` from here, ``needs(scope)`` from ``core.api.auth`` right under ``@bp.route``, and
``@documented`` under the response decorators.
"""

from __future__ import annotations

from flask_smorest import Blueprint

__all__ = ["Blueprint", "documented", "ERRORS"]

# Every operation may answer these (a missing or revoked key, a key without the scope, a bad
# request, an unknown reader, too many calls), each as a problem.
ERRORS = {400: "Bad request", 401: "No valid API key", 403: "The key lacks the scope", 404: "Not found",
          409: "Conflict", 413: "Too large", 422: "Invalid fields", 429: "Too many requests or the daily cap"}
_DOCS = Blueprint("api_error_docs", __name__)  # never registered: only lends its decorators


def documented(view):
    """Document the problems an API operation may answer with."""
    for status, description in ERRORS.items():
        view = _DOCS.alt_response(status, schema="Problem", description=description,
                                  content_type="application/problem+json")(view)
    return view
