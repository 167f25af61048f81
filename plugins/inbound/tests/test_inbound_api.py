"""POST /api/v1/inbound/events: stored, duplicate, unmatched, rejected; points and totals;
problems for malformed JSON, an oversize batch, a key without the scope; nothing half-written."""

from __future__ import annotations

from sqlalchemy import func, select

from core.models import ActivityEntry, PointEntry
from plugins.inbound.api import EventBatchResultSchema
from plugins.inbound.models import InboundEvent, InboundRule

from .conftest import ago, event

URL = "/api/v1/inbound/events"


def count(app, model) -> int:
    with app.app_context(), app.extensions["engage.db"].session() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def add_rule(ctx, **fields) -> int:
    with ctx() as session:
        rule = InboundRule(**{"name": "Loans", "kind": "loan", "points": 5, "active": True, **fields})
        session.add(rule)
        session.flush()
        return rule.id


def test_a_batch_answers_each_event(app, client, headers, person, ctx):
    person(member_number="S1")
    add_rule(ctx)
    batch = [event("a1"), event("a2", reader="NOBODY"), event("a3", when=ago(days=-1)),
             event("a4", when=ago(days=500)), event("a1"), {"source_id": "a5"}, event("a6", kind="Bad Type!")]
    answer = client.post(URL, headers=headers, json={"events": batch}).get_json()
    assert EventBatchResultSchema().validate(answer) == {}  # sent as built: it must be in the schema's shape
    statuses = [r["status"] for r in answer["results"]]
    assert statuses == ["stored", "unmatched", "rejected", "rejected", "duplicate", "rejected", "rejected"]
    assert "future" in answer["results"][2]["reason"]
    assert answer["results"][0]["points"] == 5 and answer["results"][0]["total"] == 5
    assert (answer["stored"], answer["unmatched"], answer["rejected"], answer["duplicate"], answer["points"]) == (1, 1, 4, 1, 5)
    again = client.post(URL, headers=headers, json={"events": [event("a1"), event("a2", reader="NOBODY")]}).get_json()
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"] and again["points"] == 0
    assert count(app, InboundEvent) == 2 and count(app, PointEntry) == 1
    with app.app_context(), app.extensions["engage.db"].session() as session:
        kinds = session.execute(select(ActivityEntry.plugin, ActivityEntry.kind)).all()
    assert kinds == [("inbound", "loan")]


def test_rejections_speak_the_callers_language(client, headers):
    zh = client.post(URL, headers=headers | {"Accept-Language": "zh-CN"},
                     json={"events": [event("z1", when=ago(days=-1))]}).get_json()
    en = client.post(URL, headers=headers, json={"events": [event("z1", when=ago(days=-1))]}).get_json()
    assert zh["results"][0]["reason"] != en["results"][0]["reason"]


def test_malformed_json_is_a_problem_and_writes_nothing(app, client, headers):
    response = client.post(URL, headers=headers | {"Content-Type": "application/json"}, data="{events: [")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    zh = client.post(URL, headers=headers | {"Content-Type": "application/json", "Accept-Language": "zh-CN"},
                     data="{events: [")
    assert zh.get_json()["detail"] != response.get_json()["detail"]
    assert client.post(URL, headers=headers, json={"events": "loan"}).status_code == 422
    assert count(app, InboundEvent) == 0


def test_an_oversize_batch_is_refused_whole(app, client, headers, person):
    person(member_number="S1")
    response = client.post(URL, headers=headers, json={"events": [event(f"o{i}") for i in range(1001)]})
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    assert "1000" in response.get_json()["detail"] or "1,000" in response.get_json()["detail"]
    assert count(app, InboundEvent) == 0


def test_a_key_without_the_scope_or_revoked_is_refused(app, client, key_for):
    response = client.post(URL, headers=key_for(("boards:read",)), json={"events": [event("k1")]})
    assert response.status_code == 403 and response.get_json()["scope"] == "inbound:write"
    assert client.post(URL, json={"events": [event("k1")]}).status_code == 401
    headers = key_for()
    from core.api.keys import revoke_key
    from core.api.models import ApiKey

    with app.test_request_context(), app.extensions["engage.db"].write_session() as session:
        key = session.execute(select(ApiKey).where(ApiKey.scopes.contains("inbound"))).scalar_one()
        revoke_key(session, key_id=key.id, actor_id=None)
    response = client.post(URL, headers=headers, json={"events": [event("k1")]})
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert count(app, InboundEvent) == 0


def test_switched_off_the_endpoint_answers_404(app, client, headers):
    from core.plugins import set_enabled

    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        set_enabled(session, name="inbound", enabled=False, actor_id=None)
    assert client.post(URL, headers=headers, json={"events": [event("x1")]}).status_code == 404


def test_the_reference_page_shows_the_endpoint_while_switched_on(app, client):
    """The plugin's part of /developers/api is in its own catalogue's words, and gone while it is off."""
    from core.plugins import set_enabled

    zh = client.get("/developers/api", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "<h2>图书馆系统事件</h2>" in zh and "每个 source_id 只保存一次" in zh and "/api/v1/inbound/events" in zh
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        set_enabled(session, name="inbound", enabled=False, actor_id=None)
    page = client.get("/developers/api").get_data(as_text=True)
    assert "/api/v1/inbound/events" not in page and "<h2>Readers</h2>" in page


def test_naive_times_are_library_time(app, client, headers, person):
    person(member_number="S1")
    # 2 hours ago in Shanghai, written without an offset
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    local = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(hours=2)).replace(tzinfo=None, microsecond=0)
    answer = client.post(URL, headers=headers, json={"events": [event("n1", when=local.isoformat())]}).get_json()
    assert answer["results"][0]["status"] == "stored"
    with app.app_context(), app.extensions["engage.db"].session() as session:
        stored = session.execute(select(InboundEvent)).scalar_one()
    assert stored.local_minute == local.hour * 60 + local.minute
