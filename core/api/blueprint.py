"""What every API blueprint shares: flask-smorest's Blueprint with a title, and the errors each
operation documents.

Plugins build their API endpoints with these too (see ``engage_api_blueprints`` in docs/plugins.md):
``Blueprint`` from here (its ``title`` lazy text in the plugin's catalogue, its ``description`` and
each operation's docstring English, which the reference page shows translated through the owner's
catalogue: ``core.api.reference.extract_python``), ``needs(scope)`` from ``core.api.auth`` right
under ``@bp.route``, and ``@documented`` under the response decorators.
"""

from __future__ import annotations

import flask_smorest

from core.i18n import N_

__all__ = ["Blueprint", "documented", "ERRORS"]

# Every operation may answer these (a missing or revoked key, a key without the scope, a bad
# request, an unknown reader, too many calls), each as a problem.
ERRORS = {400: N_("Bad request"), 401: N_("No valid API key"), 403: N_("The key lacks the scope"),
          404: N_("Not found"), 409: N_("Conflict"), 413: N_("Too large"), 422: N_("Invalid fields"),
          429: N_("Too many requests or the daily cap")}


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint; ``title`` (lazy text) heads its part of the reference page."""

    def __init__(self, *args, title=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.title = title


_DOCS = Blueprint("api_error_docs", __name__)  # never registered: only lends its decorators


def documented(view):
    """Document the problems an API operation may answer with."""
    for status, description in ERRORS.items():
        view = _DOCS.alt_response(status, schema="Problem", description=description,
                                  content_type="application/problem+json")(view)
    return view
