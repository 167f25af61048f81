"""The plugin's blueprint, in a module of its own so views and exports import it, not each other."""

from flask import Blueprint

bp = Blueprint("insights", __name__, url_prefix="/insights", template_folder="templates",
               static_folder="static", static_url_path="/static")
