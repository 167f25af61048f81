"""The plugin's one blueprint, defined apart from its views so readers' and librarians' pages
both import it and neither imports the other."""

from flask import Blueprint

bp = Blueprint("events", __name__, url_prefix="/events", template_folder="templates", static_folder="static")
