"""The plugin's blueprints, defined apart from the views that fill them: the librarians' pages
(``bp``) and the JSON API for the library's systems (``api``)."""

from flask import Blueprint

from core.api.blueprint import Blueprint as ApiBlueprint

from .i18n import _l

bp = Blueprint("inbound", __name__, url_prefix="/inbound", template_folder="templates", static_folder="static")
api = ApiBlueprint("inbound_api", __name__, url_prefix="/api/v1/inbound", title=_l("Events from the library's systems"),
                   description="Events from the library's own systems (loans, gate entries, e-resource sessions…), "
                               "turned into points by the rules librarians write.")
