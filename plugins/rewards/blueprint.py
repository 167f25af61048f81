"""The plugin's blueprint, in a module of its own so the view modules import it and not each other."""

from flask import Blueprint

bp = Blueprint("rewards", __name__, url_prefix="/rewards", template_folder="templates",
               static_folder="static", static_url_path="/static")
