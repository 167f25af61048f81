"""A plugin used only by tests: it implements every hook, so each can be seen working."""

from flask import Blueprint, url_for
from markupsafe import Markup

from core.hookspecs import hookimpl
from core.ui import MenuItem, Panel

NAME = "example"
VERSION = "1.2.3"
TITLE = {"en": "Example activity", "zh_Hans": "示例活动"}
DESCRIPTION = {"en": "Used by the tests.", "zh_Hans": "测试使用。"}

# What the event hooks saw, so tests can check they ran (tests clear it).
events: list = []

bp = Blueprint("example", __name__, url_prefix="/example")


@bp.route("/")
def index():
    return "example index"


@hookimpl
def engage_blueprints():
    return bp


@hookimpl
def engage_cli_commands(cli):
    @cli.command("example-hello")
    def hello():
        """Say hello from the example plugin."""
        print("hello from example")


@hookimpl
def engage_demo_data(session, rng, students, librarians):
    events.append(("demo", len(students), len(librarians)))


@hookimpl
def engage_menu_items(user):
    return MenuItem("Example menu", url_for("example.index"), 50, "example")


@hookimpl
def engage_home_panels(user):
    return [Panel("Example home panel", Markup("<p>home panel body</p>"), 10, "example-home")]


@hookimpl
def engage_profile_panels(user, subject):
    return Panel("Example profile panel", Markup(f"<p>profile of {subject.id}</p>"), 10, "example-profile")


@hookimpl
def engage_admin_panels(user):
    return Panel("Example admin panel", Markup("<p>admin panel body</p>"), 10, "example-admin")


@hookimpl
def engage_points_awarded(session, entry):
    events.append(("points", entry.user_id, entry.amount, entry.rule))


@hookimpl
def engage_activity_recorded(session, activity):
    events.append(("activity", activity.user_id, activity.kind))


@hookimpl
def engage_notification_created(session, notification):
    events.append(("notification", notification.user_id, notification.kind))
