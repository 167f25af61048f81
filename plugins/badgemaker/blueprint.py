"""The plugin's blueprint, on its own so that the modules adding routes to it import nothing of each other."""

from flask import Blueprint

bp = Blueprint("badgemaker", __name__, url_prefix="/badgemaker", template_folder="templates",
               static_folder="static", static_url_path="/static")
