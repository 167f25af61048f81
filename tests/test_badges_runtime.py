"""Badge rules defined at run time (``engage_runtime_badge_rules``, kind ``criteria``): granted in the
earning transaction like built-in ones, picked up by every process through one counter, retired
without losing what was issued."""

from __future__ import annotations

import pytest

import example_plugin
from core.activity import record_activity
from core.badges import BadgeRule, BadgeRuleError, active_rules, get_rule, known_rule, runtime_rules_changed
from core.models import BadgeAward
from core.points import award
from core.testing import create_test_user
from sqlmodel import select


def made(key="example:night", *, qualifies=lambda session, user_id: True, retired=False, **fields) -> BadgeRule:
    return BadgeRule(key, {"en": "Night", "zh_Hans": "夜"}, {"en": "At night.", "zh_Hans": "夜里。"},
                     kind="criteria", qualifies=qualifies, retired=retired, **fields)


@pytest.fixture
def runtime():
    example_plugin.runtime_rules.clear()
    example_plugin.events.clear()
    yield example_plugin.runtime_rules
    example_plugin.runtime_rules.clear()


def changed(app):
    with app.test_request_context(), app.extensions["engage.db"].write_session() as session:
        runtime_rules_changed(session)


def holders(app, key):
    with app.app_context(), app.extensions["engage.db"].session() as session:
        return set(session.exec(select(BadgeAward.user_id).where(BadgeAward.badge_key == key)).all())


def test_a_criteria_rule_needs_a_check_and_something_to_be_checked_on():
    with pytest.raises(BadgeRuleError, match="qualifies"):
        BadgeRule("x:y", {"en": "a", "zh_Hans": "a"}, {"en": "a", "zh_Hans": "a"}, kind="criteria").check()
    with pytest.raises(BadgeRuleError, match="threshold or triggers"):
        made().check()
    made(triggers=(None,)).check()
    made(threshold=5).check()


def test_points_criteria_are_asked_only_when_an_award_crosses_the_threshold(app_factory, runtime):
    app = app_factory(plugins=(example_plugin,))
    rich, poor = create_test_user(app), create_test_user(app)
    asked = []

    def qualifies(session, user_id):
        asked.append(user_id)
        return user_id == rich.id

    runtime.append(made(threshold=10, qualifies=qualifies))
    changed(app)
    with app.test_request_context(), app.extensions["engage.db"].write_session() as session:
        for user in (rich, poor):
            award(session, user_id=user.id, amount=5, rule="t", plugin="example", idempotency_key=f"a{user.id}")
        assert asked == []  # below the threshold: no question asked
        for user in (rich, poor):
            award(session, user_id=user.id, amount=5, rule="t", plugin="example", idempotency_key=f"b{user.id}")
    assert asked == [rich.id, poor.id]
    assert holders(app, "example:night") == {rich.id}


def test_activity_triggers_grant_once_and_any_activity_counts(app_factory, runtime):
    app = app_factory(plugins=(example_plugin,))
    user = create_test_user(app)
    runtime.append(made("example:any", triggers=(None, ("example", "quest"))))
    changed(app)
    with app.test_request_context(), app.extensions["engage.db"].write_session() as session:
        record_activity(session, user_id=user.id, plugin="example", kind="quest", source_ref="q1")
        record_activity(session, user_id=user.id, plugin="example", kind="other", source_ref="o1")
    assert [e for e in example_plugin.events if e[0] == "badge" and e[2] == "example:any"] == [
        ("badge", user.id, "example:any")]


def test_another_process_sees_a_new_rule_once_the_counter_moved(app_factory, runtime):
    first = app_factory(plugins=(example_plugin,))
    second = app_factory(plugins=(example_plugin,), PLUGIN_REFRESH_SECONDS=60.0)
    with second.test_request_context():
        assert get_rule("example:night") is None
    runtime.append(made(triggers=(("example", "quest"),)))
    changed(first)
    with second.test_request_context():
        assert get_rule("example:night") is None  # read at most once a refresh interval
        second.extensions["engage.badges"]._checked_at = float("-inf")  # the interval has passed
        assert get_rule("example:night") is not None


def test_a_retired_rule_is_not_granted_but_stays_known(app_factory, runtime):
    app = app_factory(plugins=(example_plugin,))
    early, late = create_test_user(app), create_test_user(app)
    runtime.append(made(triggers=(("example", "quest"),)))
    changed(app)
    with app.test_request_context(), app.extensions["engage.db"].write_session() as session:
        record_activity(session, user_id=early.id, plugin="example", kind="quest", source_ref="q1")
    runtime[:] = [made(triggers=(("example", "quest"),), retired=True)]
    changed(app)
    with app.test_request_context(), app.extensions["engage.db"].write_session() as session:
        record_activity(session, user_id=late.id, plugin="example", kind="quest", source_ref="q1")
        assert "example:night" not in active_rules().rules
        assert known_rule("example:night").retired
    assert holders(app, "example:night") == {early.id}
    assert app.test_client().get("/badges/example:night").status_code == 200  # issued: still shown


def test_a_runtime_rule_may_not_take_a_key_that_is_not_its_own(app_factory, runtime):
    app = app_factory(plugins=(example_plugin,))
    runtime.extend([made("core:points-100", triggers=(None,)), made("other:thing", triggers=(None,)),
                    made("example:ok", triggers=(None,))])
    changed(app)
    with app.test_request_context():
        rules = active_rules().rules
        assert "example:ok" in rules and "other:thing" not in rules
        assert rules["core:points-100"].kind == "points"
