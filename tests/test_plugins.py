"""The plugin system: every hook working, runtime switches, loading failures, two workers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import example_plugin
from core.testing import create_test_user
from core import hookspecs
from core.activity import record_activity
from core.models import AuditEntry, PluginState, Role
from core.plugins import BUILTIN_PLUGINS, PluginHost, UnknownPlugin, set_enabled
from core.points import award
from sqlmodel import select

HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("engage_"))


@pytest.fixture
def example_app(app_factory):
    example_plugin.events.clear()
    return app_factory(plugins=(example_plugin,))


@pytest.fixture
def admin_client(example_app, make_user_in):
    admin = make_user_in(example_app, Role.admin)
    client = example_app.test_client()
    client.post("/auth/login", data={"email": admin.email, "password": "correct horse battery"})
    client.admin = admin
    return client


@pytest.fixture
def make_user_in():
    return create_test_user


def switch(app, name, enabled):
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        set_enabled(session, name=name, enabled=enabled, actor_id=None)


# --- one test per hook (test_hooks_have_tests checks the names) -------------------------

def test_hook_engage_blueprints(example_app):
    assert example_app.test_client().get("/example/").data == b"example index"


def test_hook_engage_rate_limits(app_factory):
    app = app_factory(plugins=(example_plugin,), RATELIMIT_ENABLED=True)
    client = app.test_client()
    assert [client.post("/example/poke").status_code for _ in range(3)] == [200, 200, 429]
    # the deployment overrides a plugin's limit
    app = app_factory(plugins=(example_plugin,), RATELIMIT_ENABLED=True, RATE_LIMITS={"example.poke": "1 per minute"},
                      RATELIMIT_STORAGE_URI="memory://")
    client = app.test_client()
    assert [client.post("/example/poke").status_code for _ in range(2)] == [200, 429]


def _api_headers(app, scopes):
    from core.api.keys import create_key

    with app.test_request_context(), app.extensions["engage.db"].write_session() as session:
        return {"Authorization": "Bearer " + create_key(session, name="Example", scopes=scopes, actor_id=None).token}


def test_hook_engage_api_blueprints(example_app):
    client = example_app.test_client()
    headers = _api_headers(example_app, ["example:read"])
    assert client.get("/api/v1/example/hello", headers=headers).get_json() == {"greeting": "hello"}
    assert "/api/v1/example/hello" in client.get("/api/v1/openapi.json").get_json()["paths"]
    switch(example_app, "example", False)
    assert client.get("/api/v1/example/hello", headers=headers).status_code == 404


def test_hook_engage_api_scopes(example_app):
    client = example_app.test_client()
    headers = _api_headers(example_app, ["boards:read"])  # a core scope only
    response = client.get("/api/v1/example/hello", headers=headers)
    assert response.status_code == 403 and response.get_json()["scope"] == "example:read"


def test_hook_engage_api_activities(example_app):
    client = example_app.test_client()
    headers = _api_headers(example_app, ["boards:read"])
    items = client.get("/api/v1/activities", headers=headers).get_json()["items"]
    assert {"plugin": "example", "key": "poke", "name": "Poke", "description": "Poke the example."} in items
    switch(example_app, "example", False)
    assert not [i for i in client.get("/api/v1/activities", headers=headers).get_json()["items"]
                if i["plugin"] == "example"]


def test_hook_engage_cli_commands(example_app):
    example_app.extensions["engage.plugins"].hooks.engage_cli_commands(cli=example_app.cli)
    result = example_app.test_cli_runner().invoke(args=["example-hello"])
    assert "hello from example" in result.output


def test_hook_engage_jobs(app_factory):
    from core.plugins import set_enabled

    example_plugin.events.clear()
    app = app_factory(plugins=(example_plugin,))
    jobs = app.extensions["engage.jobs"]
    assert jobs.periodic["example:tick"].plugin == "example"
    jobs.run_periodic("example:tick")
    assert example_plugin.events == [("job", "tick")]
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        set_enabled(session, name="example", enabled=False, actor_id=None)
    jobs.run_periodic("example:tick")  # a switched-off plugin's jobs are skipped
    assert example_plugin.events == [("job", "tick")]


def test_hook_engage_demo_data(example_app):
    from core.demo import populate

    with example_app.app_context():
        assert populate(example_app.extensions["engage.db"], students=5)
    assert ("demo", 5, 3) in example_plugin.events


def test_hook_engage_menu_items(admin_client):
    assert b"Example menu" in admin_client.get("/").data


def test_hook_engage_home_panels(admin_client):
    assert b"home panel body" in admin_client.get("/").data


def test_hook_engage_profile_panels(admin_client):
    assert f"profile of {admin_client.admin.id}".encode() in admin_client.get("/me").data


def test_hook_engage_admin_panels(admin_client):
    assert b"admin panel body" in admin_client.get("/admin/").data


def test_hook_engage_screen_slides(admin_client):
    form = admin_client.get("/screens/new").data
    assert b"plugin:example:spotlight" in form and b"Example spotlight" in form
    response = admin_client.post("/screens/new", data={"name": "Lobby", "locale": "en", "seconds_per_slide": "10",
                                                       "slides": ["plugin:example:spotlight"]})
    assert response.status_code == 302
    page = admin_client.get("/screens/").data.decode()
    address = re.search(r'value="(http://localhost/screen/[^"]+)"', page).group(1)
    slide = admin_client.get(address.replace("http://localhost", "") + "/slide?n=0").data
    assert b"example slide body" in slide and b"<svg" in slide


def test_hook_engage_points_awarded(example_app, make_user_in):
    user = make_user_in(example_app)
    with example_app.app_context(), example_app.extensions["engage.db"].write_session() as session:
        award(session, user_id=user.id, amount=7, rule="read", plugin="example", idempotency_key="k1")
        award(session, user_id=user.id, amount=7, rule="read", plugin="example", idempotency_key="k1")
    # (the first points also earn core's first-points badge, which adds its own events)
    assert [e for e in example_plugin.events if e[0] == "points"] == [("points", user.id, 7, "read")]


def test_hook_engage_points_awarded_gives_totals_and_builds_the_entry_only_when_asked(app, make_user):
    from core.hookspecs import hookimpl
    from core.notifications import inbox
    from core.plugins import get_host

    heard = []

    class Listener:
        @hookimpl
        def engage_points_awarded(self, session, user_id, amount, total):
            # core's listeners have spoken already: the level-up and badge news are written
            kinds = [n.kind for n in inbox(session, user_id)]
            heard.append((user_id, amount, total, sorted(kinds)))

    user = make_user()
    with app.app_context():
        get_host().pm.register(Listener(), name="listener")
        db = app.extensions["engage.db"]
        with db.write_session() as session:
            award(session, user_id=user.id, amount=60, rule="read", plugin="example", idempotency_key="t1")
            award(session, user_id=user.id, amount=5, rule="read", plugin="example", idempotency_key="t2")
    assert heard[0][:3] == (user.id, 60, 60) and heard[1][:3] == (user.id, 5, 65)
    assert heard[0][3] == ["badge", "level-up"]


def test_levels_and_badges_listen_as_built_in_listeners(app):
    from core.plugins import CORE_LISTENERS, get_host

    with app.app_context():
        host = get_host()
        names = [impl.plugin_name for impl in host.pm.hook.engage_points_awarded_many.get_hookimpls()]
        assert set(CORE_LISTENERS) <= set(names)
        assert not set(CORE_LISTENERS) & set(host.infos)  # never listed, never switched off
        activity = [impl.plugin_name for impl in host.pm.hook.engage_activities_recorded.get_hookimpls()]
        assert "core.badges" in activity


def test_hook_engage_activity_recorded(example_app, make_user_in):
    user = make_user_in(example_app)
    with example_app.app_context(), example_app.extensions["engage.db"].write_session() as session:
        assert record_activity(session, user_id=user.id, plugin="example", kind="visit", source_ref="1")
        assert record_activity(session, user_id=user.id, plugin="example", kind="visit", source_ref="1") is None
    assert example_plugin.events == [("activity", user.id, "visit")]


class ListListener:
    """A plugin that hears activities as lists (``engage_activities_recorded``)."""

    NAME = "listlistener"
    TITLE = {"en": "List listener", "zh_Hans": "列表监听"}
    DESCRIPTION = {"en": "Hears activities together.", "zh_Hans": "一次听到多项活动。"}

    def __init__(self) -> None:
        self.heard: list[list[tuple]] = []

    @hookspecs.hookimpl
    def engage_activities_recorded(self, session, activities):
        self.heard.append([(a.user_id, a.plugin, a.kind, a.source_ref) for a in activities])


def test_hook_engage_activities_recorded(app_factory, make_user_in):
    from core.activity import record_activities

    example_plugin.events.clear()
    listener = ListListener()
    app = app_factory(plugins=(example_plugin, listener))
    first, second = make_user_in(app), make_user_in(app)
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        made = record_activities(session, [(second.id, "example", "visit", "a"), (first.id, "example", "visit", "b"),
                                           (first.id, "example", "visit", "a"), (second.id, "example", "visit", "a")])
        assert record_activities(session, [(first.id, "example", "visit", "a")]) == []  # recorded already
        record_activity(session, user_id=first.id, plugin="example", kind="visit", source_ref="c")
    # The list listener hears each call's new activities once, in (user, id) order; the repeat, never.
    assert listener.heard == [[(first.id, "example", "visit", "b"), (first.id, "example", "visit", "a"),
                               (second.id, "example", "visit", "a")],
                              [(first.id, "example", "visit", "c")]]
    assert [(a.user_id, a.source_ref) for a in made] == [(first.id, "b"), (first.id, "a"), (second.id, "a")]
    # A one-at-a-time listener (the example plugin) hears each new activity on its own.
    assert example_plugin.events == [("activity", first.id, "visit"), ("activity", first.id, "visit"),
                                     ("activity", second.id, "visit"), ("activity", first.id, "visit")]


class BatchListener:
    """A plugin that hears awards, badges and notifications as lists."""

    NAME = "batchlistener"
    TITLE = {"en": "Batch listener", "zh_Hans": "批量监听"}
    DESCRIPTION = {"en": "Hears awards, badges and news together.", "zh_Hans": "一次听到多项积分、徽章和通知。"}

    def __init__(self) -> None:
        self.awards: list[list[tuple]] = []
        self.badges: list[list[tuple]] = []
        self.notes: list[list[tuple]] = []

    @hookspecs.hookimpl
    def engage_points_awarded_many(self, session, awards):
        self.awards.append([(a.user_id, a.amount, a.total, a.rule, a.plugin) for a in awards])

    @hookspecs.hookimpl
    def engage_badges_granted(self, session, awards):
        self.badges.append([(a.user_id, a.badge_key) for a in awards])

    @hookspecs.hookimpl
    def engage_notifications_created(self, session, notifications):
        self.notes.append([(n.user_id, n.kind, n.text_en) for n in notifications])


@pytest.fixture
def batch_app(app_factory):
    example_plugin.events.clear()
    listener = BatchListener()
    app = app_factory(plugins=(example_plugin, listener))
    app.listener = listener
    return app


def test_hook_engage_points_awarded_many(batch_app, make_user_in):
    from core.points import Payment, award_many

    listener, (first, second) = batch_app.listener, sorted((make_user_in(batch_app), make_user_in(batch_app)),
                                                           key=lambda u: u.id)
    with batch_app.app_context(), batch_app.extensions["engage.db"].write_session() as session:
        award_many(session, [Payment(second.id, 3, "read", "example", "m1"), Payment(first.id, 2, "read", "example", "m2"),
                             Payment(second.id, 4, "read", "example", "m3"), Payment(first.id, 9, "read", "example", "m2")])
        award_many(session, [Payment(first.id, 2, "read", "example", "m2")])  # paid already: nobody hears it
        award(session, user_id=first.id, amount=1, rule="read", plugin="example", idempotency_key="m4")
    # One list per call that paid, in user order, each award with the user's total after it; the
    # repeated key is in no list.
    assert listener.awards == [[(first.id, 2, 2, "read", "example"), (second.id, 3, 3, "read", "example"),
                                (second.id, 4, 7, "read", "example")],
                               [(first.id, 1, 3, "read", "example")]]
    # A one-at-a-time listener (the example plugin) hears each award after the lists.
    assert [e for e in example_plugin.events if e[0] == "points"] == [
        ("points", first.id, 2, "read"), ("points", second.id, 3, "read"), ("points", second.id, 4, "read"),
        ("points", first.id, 1, "read")]


def test_hook_engage_badges_granted(batch_app, make_user_in):
    from core.badges import get_rule, grant_many

    listener, first, second = batch_app.listener, make_user_in(batch_app), make_user_in(batch_app)
    with batch_app.test_request_context(), batch_app.extensions["engage.db"].write_session() as session:
        rule = get_rule("example:quester")
        made = grant_many(session, [(first.id, rule), (second.id, rule), (first.id, rule)])
        assert grant_many(session, [(second.id, rule)]) == []  # held already
    assert [(g.user_id, g.badge_key) for g in made] == [(first.id, rule.key), (second.id, rule.key)]
    assert listener.badges == [[(first.id, rule.key), (second.id, rule.key)]]
    assert [e for e in example_plugin.events if e[0] == "badge"] == [("badge", first.id, rule.key),
                                                                     ("badge", second.id, rule.key)]


def test_hook_engage_notifications_created(batch_app, make_user_in):
    from core.notifications import inbox, notify, notify_many

    listener, first, second = batch_app.listener, make_user_in(batch_app), make_user_in(batch_app)
    with batch_app.app_context(), batch_app.extensions["engage.db"].write_session() as session:
        ids = notify_many(session, [(first.id, "example", "hello", {"en": "Hi", "zh_Hans": "你好"}, None),
                                    (second.id, "example", "hello", {"en": "Hello", "zh_Hans": "您好"}, "/x")])
        notify(session, user_id=first.id, plugin="example", kind="bye", message={"en": "Bye", "zh_Hans": "再见"})
        assert [n.id for n in inbox(session, second.id)] == [ids[1]] and ids[0] in [n.id for n in inbox(session, first.id)]
    assert listener.notes == [[(first.id, "hello", "Hi"), (second.id, "hello", "Hello")], [(first.id, "bye", "Bye")]]
    assert [e for e in example_plugin.events if e[0] == "notification"] == [
        ("notification", first.id, "hello"), ("notification", second.id, "hello"), ("notification", first.id, "bye")]


def test_hook_engage_notification_created(example_app, make_user_in):
    from core.notifications import notify

    user = make_user_in(example_app)
    with example_app.app_context(), example_app.extensions["engage.db"].write_session() as session:
        notify(session, user_id=user.id, plugin="example", kind="hello", message={"en": "Hi", "zh_Hans": "你好"})
    assert example_plugin.events == [("notification", user.id, "hello")]


def test_hook_engage_point_rules(example_app, make_user_in):
    user = make_user_in(example_app)
    with example_app.app_context(), example_app.extensions["engage.db"].write_session() as session:
        award(session, user_id=user.id, amount=7, rule="read", plugin="example", idempotency_key="r1")
        award(session, user_id=user.id, amount=1, rule="unnamed", plugin="example", idempotency_key="r2")
    client = example_app.test_client()
    client.post("/auth/login", data={"email": user.email, "password": "correct horse battery"})
    page = client.get("/me", headers={"Accept-Language": "en"}).get_data(as_text=True)
    # A rule without a label is named by its plugin; readers never see the rule's internal name.
    assert "Read a book" in page and "Example activity" in page and "unnamed" not in page
    client.post("/language", data={"locale": "zh_Hans", "next": "/"})
    switch(example_app, "example", False)  # history keeps its names after a switch-off
    assert "读了一本书" in client.get("/me").get_data(as_text=True)


def test_hook_engage_activity_kinds(example_app):
    from core.views import activity_label

    with example_app.test_request_context(headers={"Accept-Language": "en"}):
        assert activity_label("example", "quest") == "Finished a quest"
        assert activity_label("example", "side_quest") == "side quest"  # unnamed: its key, spaced out
    with example_app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert activity_label("example", "quest") == "完成了一次探索"
    switch(example_app, "example", False)  # past activities keep their names
    with example_app.test_request_context(headers={"Accept-Language": "en"}):
        assert activity_label("example", "quest") == "Finished a quest"


def test_hook_engage_badge_rules(example_app, make_user_in):
    from core.badges import active_rules

    with example_app.test_request_context():
        rules = active_rules().rules
        assert rules["example:quester"].plugin == "example" and "core:first-points" in rules
    assert b"Quester" in example_app.test_client().get("/badges/").data
    switch(example_app, "example", False)
    assert b"Quester" not in example_app.test_client().get("/badges/").data


def test_hook_engage_badge_criteria(example_app, make_user_in):
    from core.badge_criteria import CriterionScope, collect_criteria
    from core.plugins import current_hooks

    user = make_user_in(example_app)
    with example_app.app_context(), example_app.extensions["engage.db"].write_session() as session:
        for ref in ("q1", "q2"):
            record_activity(session, user_id=user.id, plugin="example", kind="quest", source_ref=ref)
    with example_app.test_request_context(), example_app.extensions["engage.db"].write_session() as session:
        criterion = collect_criteria(current_hooks())["example:quests"]
        assert criterion.plugin == "example" and criterion.triggers("") == (("example", "quest"),)
        assert criterion.count(session, option="", scope=CriterionScope()) == {user.id: 2}
    switch(example_app, "example", False)
    with example_app.test_request_context():
        assert "example:quests" not in collect_criteria(current_hooks())


def test_hook_engage_runtime_badge_rules(example_app, make_user_in):
    from core.badges import BadgeRule, active_rules, known_rule, runtime_rules_changed

    user = make_user_in(example_app)
    rule = BadgeRule("example:made", {"en": "Made", "zh_Hans": "自制"}, {"en": "One quest.", "zh_Hans": "一次探索。"},
                     kind="criteria", qualifies=lambda session, user_id: True, triggers=(("example", "quest"),))
    with example_app.test_request_context():
        assert "example:made" not in active_rules().rules
    example_plugin.runtime_rules[:] = [rule]
    try:
        with example_app.test_request_context(), example_app.extensions["engage.db"].write_session() as session:
            assert "example:made" not in active_rules().rules  # nothing said it changed yet: still cached
            runtime_rules_changed(session)
        with example_app.test_request_context(), example_app.extensions["engage.db"].write_session() as session:
            assert active_rules().rules["example:made"].plugin == "example"
            record_activity(session, user_id=user.id, plugin="example", kind="quest", source_ref="q1")
        assert ("badge", user.id, "example:made") in example_plugin.events
        example_plugin.runtime_rules[:] = [BadgeRule(**{**rule.__dict__, "retired": True})]
        with example_app.test_request_context(), example_app.extensions["engage.db"].write_session() as session:
            runtime_rules_changed(session)
        with example_app.test_request_context():
            assert "example:made" not in active_rules().rules and known_rule("example:made").retired
    finally:
        example_plugin.runtime_rules.clear()


def test_hook_engage_badge_granted(example_app, make_user_in):
    user = make_user_in(example_app)
    with example_app.app_context(), example_app.extensions["engage.db"].write_session() as session:
        for ref in ("q1", "q2", "q2"):
            record_activity(session, user_id=user.id, plugin="example", kind="quest", source_ref=ref)
    badges = [e for e in example_plugin.events if e[0] == "badge"]
    assert badges == [("badge", user.id, "example:pioneer"), ("badge", user.id, "example:quester")]


def test_hook_engage_content_targets(example_app):
    from core.hookspecs import ContentTarget
    from core.plugins import current_hooks

    def example_targets():
        with example_app.test_request_context():
            results = current_hooks().engage_content_targets(user=None)
        return [t for result in results for t in (result if isinstance(result, list) else [result])
                if t.key.startswith("example:")]

    assert example_targets() == [ContentTarget("example:page:1", "Example page", "/example/")]
    switch(example_app, "example", False)
    assert example_targets() == []


def test_hook_engage_answer_rated(example_app, make_user_in):
    from core.hookspecs import AnswerRating
    from core.models import utcnow
    from core.plugins import current_hooks

    librarian = make_user_in(example_app, Role.librarian)
    rating = AnswerRating(librarian.id, 5, "feedback", "feedback:item:1", utcnow())
    with example_app.app_context(), example_app.extensions["engage.db"].write_session() as session:
        current_hooks().engage_answer_rated(session=session, rating=rating)
    assert example_plugin.events == [("rated", librarian.id, 5, "feedback:item:1")]


def test_hook_engage_mail_kinds(example_app, make_user_in):
    from core.mail.kinds import resolve
    from core.mail.models import MailOutbox
    from core.notifications import notify

    reader = make_user_in(example_app, Role.student)
    client = example_app.test_client()
    client.post("/auth/login", data={"email": reader.email, "password": "correct horse battery"})
    assert "Example news" in client.get("/notifications/email").get_data(as_text=True)
    with example_app.app_context(), example_app.extensions["engage.db"].write_session() as session:
        assert resolve("example", "news").key == "example:news"
        notify(session, user_id=reader.id, plugin="example", kind="news", message={"en": "Hi", "zh_Hans": "嗨"})
        assert session.execute(select(MailOutbox.kind)).scalars().all() == ["example:news"]  # immediate by default
    switch(example_app, "example", False)
    assert "Example news" not in client.get("/notifications/email").get_data(as_text=True)


# --- readers' rights ---------------------------------------------------------------------

def test_hook_engage_user_data(example_app, make_user_in):
    import io
    import json
    import zipfile

    reader = make_user_in(example_app, Role.student)
    client = example_app.test_client()
    client.post("/auth/login", data={"email": reader.email, "password": "correct horse battery"})
    switch(example_app, "example", False)  # a switched-off plugin's data is still the reader's
    archive = zipfile.ZipFile(io.BytesIO(client.get("/account/data/export").data))
    assert json.loads(archive.read("example/visits.json")) == [{"user_id": reader.id, "room": "reading room"}]


def test_hook_engage_forget_user(example_app, make_user_in):
    from core.identity.privacy import forget_user

    reader = make_user_in(example_app, Role.student)
    switch(example_app, "example", False)
    with example_app.app_context(), example_app.extensions["engage.db"].write_session() as session:
        forget_user(session, user_id=reader.id, actor_id=None)
        forget_user(session, user_id=reader.id, actor_id=None)  # once only
    assert example_plugin.events == [("forget", reader.id)]
def test_hook_engage_sign_in_providers(example_app):
    page = example_app.test_client().get("/auth/login").get_data(as_text=True)
    assert "Sign in with Example" in page and 'href="/example/"' in page
    switch(example_app, "example", False)
    assert "Sign in with Example" not in example_app.test_client().get("/auth/login").get_data(as_text=True)
def test_hook_engage_satisfaction(example_app):
    from datetime import timedelta

    from core.hookspecs import Satisfaction
    from core.models import utcnow
    from core.plugins import current_hooks

    def measures():
        with example_app.app_context(), example_app.extensions["engage.db"].session() as session:
            results = current_hooks().engage_satisfaction(session=session, start=utcnow() - timedelta(days=30),
                                                          end=utcnow())
        return [m for m in results if isinstance(m, Satisfaction) and m.plugin == "example"]

    [mine] = measures()
    assert (mine.ratings, mine.changes, mine.answered, mine.csat) == ({5: 3, 2: 1}, 2, 4, 0.75)
    switch(example_app, "example", False)
    assert measures() == []


# --- meta-tests: the plugin API stays honest ----------------------------------------------

def test_hooks_have_tests():
    names = set(globals())
    missing = [hook for hook in HOOKS if f"test_hook_{hook}" not in names]
    assert not missing, f"hooks without a test_hook_<name>: {missing}"


def test_hooks_are_documented_with_their_arguments():
    import inspect

    guide = (Path(__file__).parent.parent / "docs" / "plugins.md").read_text(encoding="utf-8")
    for hook in HOOKS:
        args = list(inspect.signature(getattr(hookspecs, hook)).parameters)
        heading = f"### `{hook}({', '.join(args)})`"
        assert heading in guide, f"docs/plugins.md lacks the heading {heading}"


def test_hookspecs_each_have_a_docstring():
    for hook in HOOKS:
        assert (getattr(hookspecs, hook).__doc__ or "").strip(), hook


# --- the runtime switch -------------------------------------------------------------------

def test_builtin_plugins_are_installed_with_both_languages(app):
    host = app.extensions["engage.plugins"]
    assert [f"plugins.{name}.plugin" for name in host.infos] == list(BUILTIN_PLUGINS)
    for info in host.infos.values():
        assert info.title["en"] and info.title["zh_Hans"] and info.version


def test_disabled_plugin_disappears_everywhere_and_comes_back(admin_client, example_app, make_user_in):
    user = make_user_in(example_app, email="reader@example.library")
    switch(example_app, "example", False)
    assert admin_client.get("/example/").status_code == 404
    page = admin_client.get("/").data
    assert b"Example menu" not in page and b"home panel body" not in page
    assert b"profile of" not in admin_client.get("/me").data
    assert b"admin panel body" not in admin_client.get("/admin/").data
    with example_app.app_context(), example_app.extensions["engage.db"].write_session() as session:
        award(session, user_id=user.id, amount=3, rule="read", plugin="example", idempotency_key="while-off")
    assert example_plugin.events == []

    switch(example_app, "example", True)
    assert admin_client.get("/example/").status_code == 200
    assert b"Example menu" in admin_client.get("/").data
    with example_app.app_context(), example_app.extensions["engage.db"].session() as session:
        # its data (here: the award made while it was off) is all still there
        assert session.exec(select(PluginState).where(PluginState.name == "example")).one().enabled


def test_toggle_through_one_app_is_honoured_by_another_on_the_same_database(app_factory):
    first = app_factory(plugins=(example_plugin,))
    second = app_factory(plugins=(example_plugin,), PLUGIN_REFRESH_SECONDS=1.0)
    assert second.test_client().get("/example/").status_code == 200
    switch(first, "example", False)
    second.extensions["engage.plugins"]._checked_at = float("-inf")  # a second has passed
    assert second.test_client().get("/example/").status_code == 404
    switch(first, "example", True)
    second.extensions["engage.plugins"]._checked_at = float("-inf")
    assert second.test_client().get("/example/").status_code == 200


def test_worker_rereads_switches_within_a_second(app_factory):
    import time

    first = app_factory(plugins=(example_plugin,))
    second = app_factory(plugins=(example_plugin,), PLUGIN_REFRESH_SECONDS=0.5)
    client = second.test_client()
    assert client.get("/example/").status_code == 200
    switch(first, "example", False)
    deadline = time.monotonic() + 1.0
    while client.get("/example/").status_code != 404:
        assert time.monotonic() < deadline, "the switch was not honoured within a second"
        time.sleep(0.05)


def test_admin_toggle_answers_htmx_with_row_and_event(admin_client, example_app):
    response = admin_client.post("/admin/plugins/example", data={"enabled": "0", "confirmed": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "pluginsChanged"
    assert b'id="plugin-example"' in response.data and b"<html" not in response.data
    assert admin_client.get("/example/").status_code == 404
    with example_app.app_context(), example_app.extensions["engage.db"].session() as session:
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "plugin.disable")).one()
        assert audit.actor_id == admin_client.admin.id and audit.target == "plugin:example"


def test_menu_fragment_follows_the_switch(admin_client, example_app):
    switch(example_app, "example", False)
    fragment = admin_client.get("/menu", headers={"HX-Request": "true"}).data
    assert b'id="menu"' in fragment and b"Example menu" not in fragment


@pytest.mark.parametrize("role", [Role.student, Role.librarian])
def test_only_admins_switch_plugins(example_app, make_user_in, role):
    user = make_user_in(example_app, role)
    client = example_app.test_client()
    client.post("/auth/login", data={"email": user.email, "password": "correct horse battery"})
    assert client.post("/admin/plugins/example", data={"enabled": "0", "confirmed": "1"}).status_code == 403
    assert client.get("/example/").status_code == 200


def test_unknown_plugin_is_refused(admin_client, example_app):
    assert admin_client.post("/admin/plugins/nope", data={"enabled": "0", "confirmed": "1"}).status_code == 404
    with example_app.app_context(), example_app.extensions["engage.db"].write_session() as session:
        with pytest.raises(UnknownPlugin):
            set_enabled(session, name="nope", enabled=False, actor_id=None)


def test_broken_plugins_are_reported_not_fatal(app_factory, monkeypatch):
    class EntryPoint:
        name, value = "broken", "broken_pkg:plugin"

        def load(self):
            raise ImportError("No module named 'broken_pkg'")

    monkeypatch.setattr("core.plugins.entry_points", lambda group: [EntryPoint()])

    class NoTitle:
        NAME = "untitled"

    app = app_factory(plugins=(NoTitle(),), PLUGIN_ENTRY_POINT_GROUP="engage.plugins")
    failures = {f.source: f.error for f in app.extensions["engage.plugins"].failures}
    assert "No module named 'broken_pkg'" in failures["broken (broken_pkg:plugin)"]
    assert "TITLE" in failures["untitled"]
    assert app.test_client().get("/").status_code == 200


def test_plugin_from_entry_point_is_loaded(app_factory, monkeypatch):
    class EntryPoint:
        name, value = "example", "example_plugin"

        def load(self):
            return example_plugin

    monkeypatch.setattr("core.plugins.entry_points", lambda group: [EntryPoint()] if group == "engage.plugins" else [])
    app = app_factory(PLUGIN_ENTRY_POINT_GROUP="engage.plugins")
    assert app.extensions["engage.plugins"].infos["example"].source == "example (example_plugin)"
    assert app.test_client().get("/example/").status_code == 200


def test_blueprint_must_carry_the_plugin_name():
    from flask import Blueprint, Flask

    class Squatter:
        NAME = "squatter"
        TITLE = DESCRIPTION = {"en": "x", "zh_Hans": "x"}

        @hookspecs.hookimpl
        def engage_blueprints(self):
            return Blueprint("admin_tools", __name__)

    host = PluginHost(1.0)
    host.register(Squatter(), "test")
    with pytest.raises(ValueError, match="must be named 'squatter'"):
        host.register_blueprints(Flask(__name__))


def test_core_imports_no_plugin():
    core = Path(__file__).parent.parent / "core"
    offenders = [str(p) for p in core.rglob("*.py") if re.search(r"^\s*(from|import)\s+plugins\b", p.read_text(), re.M)]
    assert offenders == []


# --- webhooks out -----------------------------------------------------------------------

def test_hook_engage_webhook_events(example_app):
    from core.webhooks.events import registry

    with example_app.test_request_context():
        keys = [event.key for event in registry()]
        assert keys[:3] == ["points.awarded", "badge.granted", "level.reached"] and "example.quest_done" in keys
    switch(example_app, "example", False)
    with example_app.test_request_context():
        assert "example.quest_done" not in [event.key for event in registry()]
