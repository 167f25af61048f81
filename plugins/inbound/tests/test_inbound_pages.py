"""The librarians' pages in both languages: rules with preview and replay, unmatched numbers,
CSV upload (preview, apply, re-upload changes nothing, bad rows); readers get 403."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from core.models import Role
from core.points import user_total
from plugins.inbound.models import InboundEvent, InboundRule

from .conftest import event
from .test_inbound_api import URL, count
from .test_inbound_rules import local

RULE = {"name": "Midnight owl", "kind": "gate-entry", "points": "3", "window_from": "22:00", "window_to": "06:00",
        "active": "y"}


@pytest.fixture
def librarian(person):
    return person(Role.librarian)


@pytest.mark.parametrize("locale, words", [("en", "Events from library systems"), ("zh_Hans", "图书馆系统事件")])
def test_pages_in_both_languages(login, librarian, locale, words):
    client = login(librarian)
    client.post("/language", data={"locale": locale})
    for path in ("/inbound/", "/inbound/rules/new", "/inbound/unmatched", "/inbound/upload"):
        response = client.get(path)
        assert response.status_code == 200, path
    assert words in client.get("/inbound/").get_data(as_text=True)
    menu = client.get("/").get_data(as_text=True)
    assert "/inbound/" in menu


def test_readers_are_refused(login, person, client):
    reader = login(person())
    for path in ("/inbound/", "/inbound/rules/new", "/inbound/unmatched", "/inbound/upload"):
        assert reader.get(path).status_code == 403
    assert client.get("/inbound/").status_code in (302, 401)
    assert reader.post("/inbound/rules/new", data=RULE).status_code == 403


def test_making_a_rule_previewing_and_replaying(app, login, librarian, headers, person):
    reader = person(member_number="S1")
    app.test_client().post(URL, headers=headers, json={"events": [
        event("g1", kind="gate-entry", when=local(3, 23)), event("g2", kind="gate-entry", when=local(3, 12))]})
    client = login(librarian)
    preview = client.post("/inbound/rules/new", data=RULE | {"action": "preview"})
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "What this rule would have paid" in page and count(app, InboundRule) == 0
    saved = client.post("/inbound/rules/new", data=RULE | {"action": "save"})
    assert saved.status_code == 302
    with app.app_context(), app.extensions["engage.db"].session() as session:
        rule = session.execute(select(InboundRule)).scalar_one()
        assert (rule.window_start, rule.window_end, rule.active) == (22 * 60, 6 * 60, True)
    assert client.post(f"/inbound/rules/{rule.id}/replay").status_code == 302
    with app.app_context(), app.extensions["engage.db"].session() as session:
        assert user_total(session, reader.id) == 3
    progress = client.get(f"/inbound/rules/{rule.id}/replays", headers={"HX-Request": "true"})
    assert "Replay finished" in progress.get_data(as_text=True)


def test_bad_rule_input_is_refused_with_a_message(app, login, librarian):
    client = login(librarian)
    client.post("/language", data={"locale": "zh_Hans"})
    response = client.post("/inbound/rules/new", data=RULE | {"kind": "Gate Entry!", "window_to": "", "points": "-3"})
    assert response.status_code == 400 and count(app, InboundRule) == 0
    assert client.get("/inbound/rules/999999").status_code == 404


def test_matching_an_unmatched_number(app, login, librarian, headers, person):
    app.test_client().post(URL, headers=headers, json={"events": [event("m1", reader="CARD-77")]})
    client = login(librarian)
    assert "CARD-77" in client.get("/inbound/unmatched").get_data(as_text=True)
    refused = client.post("/inbound/unmatched", data={"number": "CARD-77", "reader": "NOBODY"})
    assert refused.status_code == 400
    reader = person(member_number="S9")
    assert client.post("/inbound/unmatched", data={"number": "CARD-77", "reader": "S9"}).status_code == 302
    with app.app_context(), app.extensions["engage.db"].session() as session:
        assert session.execute(select(InboundEvent.user_id)).scalar_one() == reader.id


CSV = ("source_id,type,reader,occurred_at\n"
       f"c1,loan,S1,{local(2, 10)}\n"
       f"c2,loan,S1,{local(2, 11).replace('+08:00', '')}\n"
       "c3,loan,S1,yesterday\n"
       f"c4,Loan Type,S1,{local(2, 12)}\n"
       f"c5,loan,UNKNOWN,{local(2, 13)}\n")


def upload(client, text, name="loans.csv"):
    return client.post("/inbound/upload", data={"file": (io.BytesIO(text.encode()), name)},
                       content_type="multipart/form-data")


def test_csv_upload_preview_apply_and_reupload(app, login, librarian, person, ctx):
    reader = person(member_number="S1")
    with ctx() as session:
        session.add(InboundRule(name="Loans", kind="loan", points=2, active=True))
    client = login(librarian)
    checked = upload(client, CSV)
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "ISO 8601" in page and count(app, InboundEvent) == 0
    upload_id = int(page.split("/inbound/upload/")[1].split("/apply")[0])
    assert client.post(f"/inbound/upload/{upload_id}/apply").status_code == 302
    assert count(app, InboundEvent) == 3
    with app.app_context(), app.extensions["engage.db"].session() as session:
        assert user_total(session, reader.id) == 4
    assert client.post(f"/inbound/upload/{upload_id}/apply").status_code == 409  # once
    again = upload(client, CSV).get_data(as_text=True)
    assert "Already stored" in again
    second = int(again.split("/inbound/upload/")[1].split("/apply")[0]) if "/apply" in again else None
    if second:
        client.post(f"/inbound/upload/{second}/apply")
    assert count(app, InboundEvent) == 3


def test_unusable_files_are_refused(app, login, librarian):
    client = login(librarian)
    assert upload(client, "").status_code == 400
    response = upload(client, "id,when\n1,2\n")
    assert response.status_code == 400 and "source_id" in response.get_data(as_text=True)
    assert count(app, InboundEvent) == 0
