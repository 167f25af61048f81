"""A plugin used only by tests: it implements every hook, so each can be seen working."""

from flask import Blueprint, url_for
from markupsafe import Markup

from core.hookspecs import ContentTarget, MailKind, SignInProvider, hookimpl
from core.ui import MenuItem, Panel

NAME = "example"
VERSION = "1.2.3"
TITLE = {"en": "Example activity", "zh_Hans": "示例活动"}
DESCRIPTION = {"en": "Used by the tests.", "zh_Hans": "测试使用。"}

# What the event hooks saw, so tests can check they ran (tests clear it).
events: list = []
# Badge rules "defined at run time" (tests fill it, then call core.badges.runtime_rules_changed).
runtime_rules: list = []

bp = Blueprint("example", __name__, url_prefix="/example")


@bp.route("/")
def index():
    return "example index"


@bp.route("/poke", methods=["POST"])
def poke():
    return "poked"


@hookimpl
def engage_blueprints():
    return bp


@hookimpl
def engage_rate_limits():
    return {"example.poke": "2 per minute"}


@hookimpl
def engage_mail_kinds():
    return MailKind("example:news", {"en": "Example news", "zh_Hans": "示例消息"}, kinds=("news",),
                    default="immediate")


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
def engage_screen_slides(screen):
    from core.ui import Slide

    return Slide("spotlight", "Example spotlight", Markup("<p class=\"tv-big\">example slide body</p>"),
                 url_for("example.index", _external=True), 10)


@hookimpl
def engage_points_awarded(session, entry):
    events.append(("points", entry.user_id, entry.amount, entry.rule))


@hookimpl
def engage_activity_recorded(session, activity):
    events.append(("activity", activity.user_id, activity.kind))


@hookimpl
def engage_notification_created(session, notification):
    events.append(("notification", notification.user_id, notification.kind))


@hookimpl
def engage_badge_rules():
    from core.badges import BadgeRule

    return [
        BadgeRule("example:quester", {"en": "Quester", "zh_Hans": "探索者"},
                  {"en": "Finish two quests.", "zh_Hans": "完成两次探索。"},
                  kind="activity_count", activity=("example", "quest"), count=2),
        BadgeRule("example:pioneer", {"en": "Pioneer", "zh_Hans": "先行者"},
                  {"en": "Be the first to finish a quest.", "zh_Hans": "第一个完成探索。"},
                  kind="first", activity=("example", "quest")),
        BadgeRule("example:steady", {"en": "Steady", "zh_Hans": "坚持"},
                  {"en": "Quest three weeks in a row.", "zh_Hans": "连续三周探索。"},
                  kind="weekly_streak", activity=("example", "quest"), weeks=3),
        BadgeRule("example:rich", {"en": "Example riches", "zh_Hans": "示例财富"},
                  {"en": "Reach 50 points.", "zh_Hans": "达到 50 积分。"}, kind="points", threshold=50),
    ]


@hookimpl
def engage_badge_criteria():
    from sqlalchemy import func, select

    from core.badge_criteria import BadgeCriterion
    from core.models import ActivityEntry

    def count(session, *, option, scope, user_id=None):
        query = select(ActivityEntry.user_id, ActivityEntry.created_at).where(
            ActivityEntry.plugin == NAME, ActivityEntry.kind == "quest")
        if user_id is not None:
            query = query.where(ActivityEntry.user_id == user_id)
        counts: dict = {}
        for who, at in session.execute(query):
            if scope.admits(at):
                counts[who] = counts.get(who, 0) + 1
        return counts

    return BadgeCriterion("example:quests", {"en": "Quests finished", "zh_Hans": "完成的探索"}, count,
                          triggers=lambda option: ((NAME, "quest"),))


@hookimpl
def engage_runtime_badge_rules(session):
    return list(runtime_rules)


@hookimpl
def engage_badge_granted(session, award):
    events.append(("badge", award.user_id, award.badge_key))


@hookimpl
def engage_content_targets(user):
    return ContentTarget("example:page:1", "Example page", url_for("example.index"))


@hookimpl
def engage_answer_rated(session, rating):
    events.append(("rated", rating.staff_id, rating.score, rating.source_ref))


@hookimpl
def engage_point_rules():
    return {"read": {"en": "Read a book", "zh_Hans": "读了一本书"}}


@hookimpl
def engage_activity_kinds():
    return {"quest": {"en": "Finished a quest", "zh_Hans": "完成了一次探索"}}


@hookimpl
def engage_satisfaction(session, start, end):
    from core.hookspecs import Satisfaction

    return Satisfaction("example", {5: 3, 2: 1}, changes=2, answered=4)


def _tick():
    events.append(("job", "tick"))


@hookimpl
def engage_jobs():
    from core.jobs import PeriodicJob, every_minutes

    return PeriodicJob("example:tick", NAME, _tick, every_minutes(5))


# --- readers' rights ------------------------------------------------------------------------

@hookimpl
def engage_user_data(session, user_id):
    return {"visits": [{"user_id": user_id, "room": "reading room"}]}


@hookimpl
def engage_forget_user(session, user_id):
    events.append(("forget", user_id))


# --- sign-in providers ----------------------------------------------------------------------

@hookimpl
def engage_sign_in_providers():
    return SignInProvider("example", {"en": "Sign in with Example", "zh_Hans": "用示例账号登录"}, url_for("example.index"))


# --- the JSON API (core.api) ---------------------------------------------------------------

api_bp = None


def _api_blueprint():
    """Built on first use: core.api's decorators need core.api importable, which needs the app's modules."""
    global api_bp
    if api_bp is None:
        from marshmallow import Schema, fields

        from core.api.auth import needs
        from core.api.blueprint import Blueprint, documented

        class Hello(Schema):
            greeting = fields.String(required=True)

        api_bp = Blueprint("example_api", __name__, url_prefix="/api/v1/example", description="The example plugin.")

        @api_bp.route("/hello")
        @needs("example:read")
        @api_bp.response(200, Hello)
        @documented
        def hello():
            """Say hello to a key holding example:read."""
            return {"greeting": "hello"}
    return api_bp


@hookimpl
def engage_api_blueprints():
    return [_api_blueprint()]


@hookimpl
def engage_api_scopes():
    return {"example:read": "Read the example plugin's greeting"}


@hookimpl
def engage_api_activities():
    return [{"plugin": NAME, "key": "poke", "name": "Poke", "description": "Poke the example."}]


# --- webhooks out -------------------------------------------------------------------------

@hookimpl
def engage_webhook_events():
    from core.webhooks import WebhookEvent

    return WebhookEvent("example.quest_done", {"en": "Quest done", "zh_Hans": "探索完成"})
