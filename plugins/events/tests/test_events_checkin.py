"""Check-in: the rotating code (current and previous step only, during the event only, this
event's only), once per reader, points and the attended activity, personal codes and ticks."""

from __future__ import annotations

import threading
from datetime import timedelta

from core.models import ActivityEntry, BadgeAward, PointEntry, utcnow
from plugins.events import checkin, codes
from plugins.events.models import CheckIn, ReaderSecret

from .conftest import login, make_event, move, rows, running_event


def code_now(app, event_id, step=None):
    with app.test_request_context("/"):
        return codes.checkin_code(event_id, step)


def test_the_code_turns_over_every_30_seconds_and_the_previous_one_still_works(app):
    with app.test_request_context("/"):
        t = 1_000_000_020.0
        step = codes.step_at(t)
        assert codes.checkin_code(1, step) != codes.checkin_code(1, step + 1)
        assert codes.checkin_code(1, step) != codes.checkin_code(2, step)
        assert codes.code_matches(1, codes.checkin_code(1, step), t)
        assert codes.code_matches(1, codes.checkin_code(1, step - 1), t)
        assert not codes.code_matches(1, codes.checkin_code(1, step - 2), t)
        assert not codes.code_matches(1, codes.checkin_code(1, step + 1), t)
        assert not codes.code_matches(2, codes.checkin_code(1, step), t)
        assert not codes.code_matches(1, "", t)


def test_scanning_the_code_checks_the_reader_in_once_and_pays_once(app, people):
    event = running_event(app, points=15)
    ann, client = people["ann"]
    path = f"/events/check-in/{event.id}/{code_now(app, event.id)}"
    page = client.get(path)
    assert page.status_code == 200 and "Check me in" in page.get_data(as_text=True)
    assert not rows(app, CheckIn)  # opening the page alone changes nothing
    response = client.post(path)
    assert response.status_code == 200 and "You are checked in" in response.get_data(as_text=True)
    again = client.post(path)
    assert "already checked in" in again.get_data(as_text=True)
    assert len(rows(app, CheckIn)) == 1
    paid = rows(app, PointEntry, PointEntry.user_id == ann.id, PointEntry.rule == checkin.RULE)
    assert [p.amount for p in paid] == [15]
    assert len(rows(app, ActivityEntry, ActivityEntry.user_id == ann.id, ActivityEntry.kind == "attended")) == 1
    assert [b.badge_key for b in rows(app, BadgeAward, BadgeAward.user_id == ann.id)
            if b.badge_key.startswith("events:")] == ["events:first"]
    with app.app_context(), app.extensions["engage.db"].session() as session:
        assert checkin.attended_count(session, ann.id) == 1


def test_a_code_from_two_steps_ago_is_refused_with_a_clear_message(app, people):
    event = running_event(app)
    with app.test_request_context("/"):
        old = codes.checkin_code(event.id, codes.step_at() - 2)
    response = people["ann"][1].post(f"/events/check-in/{event.id}/{old}")
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    assert not rows(app, CheckIn)


def test_another_events_code_is_named_as_such(app, people):
    here, there = running_event(app, title_en="Here"), running_event(app, title_en="There")
    wrong = code_now(app, there.id)
    response = people["ann"][1].post(f"/events/check-in/{here.id}/{wrong}")
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "another event" in text and "There" in text
    assert not rows(app, CheckIn)


def test_a_code_is_refused_before_and_after_the_event(app, people):
    event = make_event(app)  # tomorrow
    client = people["ann"][1]
    response = client.post(f"/events/check-in/{event.id}/{code_now(app, event.id)}")
    assert response.status_code == 400 and "not opened yet" in response.get_data(as_text=True)
    move(app, event.id, starts_at=utcnow() - timedelta(hours=5), ends_at=utcnow() - timedelta(hours=3))
    response = client.post(f"/events/check-in/{event.id}/{code_now(app, event.id)}")
    assert response.status_code == 400 and "has closed" in response.get_data(as_text=True)
    assert not rows(app, CheckIn)


def test_the_refusal_speaks_chinese_to_a_chinese_reader(app, people):
    event = running_event(app)
    response = people["ann"][1].post(f"/events/check-in/{event.id}/nonsense",
                                     headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert response.status_code == 400 and "二维码" in response.get_data(as_text=True)


def test_a_stranger_is_sent_to_sign_in_and_back(app, client):
    event = running_event(app)
    path = f"/events/check-in/{event.id}/{code_now(app, event.id)}"
    response = client.get(path)
    assert response.status_code == 302 and "/auth/login" in response.location
    assert "next=" in response.location


def test_simultaneous_scans_by_one_reader_check_in_once(app, people):
    event = running_event(app, points=7)
    ann, _ = people["ann"]
    tabs = [login(app, ann) for _ in range(5)]
    path = f"/events/check-in/{event.id}/{code_now(app, event.id)}"
    start = threading.Barrier(len(tabs))

    def go(client):
        start.wait()
        client.post(path)

    threads = [threading.Thread(target=go, args=(c,)) for c in tabs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(rows(app, CheckIn)) == 1
    assert [p.amount for p in rows(app, PointEntry, PointEntry.rule == checkin.RULE)] == [7]


def test_a_librarian_ticks_a_name_and_sees_no_shows(app, people):
    event = make_event(app, capacity=3)
    (ann, ann_client), (bob, bob_client) = people["ann"], people["bob"]
    ann_client.post(f"/events/{event.id}/register")
    bob_client.post(f"/events/{event.id}/register")
    move(app, event.id, starts_at=utcnow() - timedelta(minutes=5), ends_at=utcnow() + timedelta(hours=1))
    lib_client = people["lib"][1]
    assert lib_client.post(f"/events/{event.id}/attendance/{ann.id}").status_code == 302
    assert [c.method for c in rows(app, CheckIn)] == ["list"]
    move(app, event.id, starts_at=utcnow() - timedelta(hours=3), ends_at=utcnow() - timedelta(hours=1))
    page = lib_client.get(f"/events/{event.id}/attendance").get_data(as_text=True)
    assert "1 no-show" in page and "Bob" in page
    csv = lib_client.get(f"/events/{event.id}/attendance.csv")
    text = csv.get_data(as_text=True)
    assert csv.status_code == 200 and "text/csv" in csv.content_type
    lines = text.strip().splitlines()
    assert len(lines) == 3 and "Attended" in lines[1] and "Ann" in lines[1] and "No-show" in lines[2]


def test_a_librarian_scans_a_readers_personal_code(app, people):
    event = running_event(app)
    ann, ann_client = people["ann"]
    with app.test_request_context("/"):
        personal = f"/events/readers/{ann.id}/{codes.reader_code(ann.id)}"
    assert personal in ann_client.get("/events/mine").get_data(as_text=True).replace("http://localhost", "")
    lib_client = people["lib"][1]
    page = lib_client.get(personal).get_data(as_text=True)
    assert "Ann" in page and "Reading club" in page
    assert lib_client.post(personal, data={"event_id": str(event.id)}).status_code == 302
    assert [(c.user_id, c.method) for c in rows(app, CheckIn)] == [(ann.id, "personal")]
    assert lib_client.get(f"/events/readers/{ann.id}/wrongcode").status_code == 404
    assert ann_client.get(personal).status_code == 403


def test_the_live_code_answers_its_signed_address_only(app, people, client):
    event = running_event(app)
    with app.test_request_context("/"):
        token = codes.live_token(event.id)
    response = client.get(f"/events/live/{token}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert f"/events/check-in/{event.id}/{code_now(app, event.id)}" in response.get_data(as_text=True)
    assert client.get(f"/events/live/{token}x").status_code == 404
    assert people["lib"][1].get(f"/events/{event.id}/code").status_code == 200
    assert people["ann"][1].get(f"/events/{event.id}/code").status_code == 403


def test_hostile_codes_are_refused_without_an_error(app, people, client):
    event = running_event(app)
    ann, ann_client = people["ann"]
    for code in ("é" * 40, "码", "%00".replace("%00", "x") * 500):
        assert ann_client.post(f"/events/check-in/{event.id}/{code}").status_code == 400
        assert client.get(f"/events/feed/{ann.id}/{code}.ics").status_code == 404
        assert people["lib"][1].get(f"/events/readers/{ann.id}/{code}").status_code == 404
    assert not rows(app, CheckIn)


def test_a_librarian_cannot_tick_their_own_name(app, people):
    event = running_event(app)
    lib, lib_client = people["lib"]
    lib_client.post(f"/events/{event.id}/attendance/{lib.id}")
    page = lib_client.get(f"/events/{event.id}/attendance").get_data(as_text=True)
    assert "ask a colleague" in page
    assert not rows(app, CheckIn)


def _addresses(client) -> tuple[str, str]:
    """The personal code's and the calendar's addresses shown on /events/mine (paths)."""
    page = client.get("/events/mine").get_data(as_text=True).replace("http://localhost", "")
    personal = page.split('data-code-url="')[1].split('"')[0]
    feed = page.split('class="events-address"><code>')[1].split("</code>")[0]
    return personal, feed


def test_a_reader_replaces_a_shared_code_and_calendar_address(app, people):
    """A photo of the code or a shared calendar address stops working once the reader makes a new
    one; the other secret is untouched, and an unknown kind or a GET changes nothing."""
    running_event(app)
    ann, ann_client = people["ann"]
    lib_client = people["lib"][1]
    old_personal, old_feed = _addresses(ann_client)
    with app.test_request_context("/"):
        assert old_personal == f"/events/readers/{ann.id}/{codes.reader_code(ann.id)}"  # codes made before still work
    assert lib_client.get(old_personal).status_code == 200

    response = ann_client.post("/events/mine/new-code", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/events/mine")
    assert "已生成新的签到码" in ann_client.get("/events/mine", headers={"Accept-Language": "zh-CN"}).text
    personal, feed = _addresses(ann_client)
    assert personal != old_personal and feed == old_feed
    assert lib_client.get(old_personal).status_code == 404 and lib_client.get(personal).status_code == 200
    assert lib_client.post(personal, data={"event_id": str(running_event(app).id)}).status_code == 302

    assert ann_client.get(old_feed).status_code == 200
    assert ann_client.post("/events/mine/new-feed").status_code == 302
    ann_client.post("/events/mine/new-feed")  # twice: the second address replaces the first
    personal_now, feed_now = _addresses(ann_client)
    assert personal_now == personal and feed_now not in (old_feed, feed)
    anyone = app.test_client()
    assert anyone.get(old_feed).status_code == 404 and anyone.get(feed_now).status_code == 200

    # Another reader's secrets stay as they were; nonsense is refused without a change.
    bob_personal, bob_feed = _addresses(people["bob"][1])
    assert ann_client.post("/events/mine/new-everything").status_code == 404
    assert ann_client.get("/events/mine/new-code").status_code == 405
    assert _addresses(ann_client) == (personal_now, feed_now)
    assert _addresses(people["bob"][1]) == (bob_personal, bob_feed)
    assert [(r.user_id, r.code_version, r.feed_version) for r in rows(app, ReaderSecret)] == [(ann.id, 1, 2)]


def test_making_a_new_code_needs_the_forms_token(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    from core.models import Role
    from core.testing import create_test_user

    ann = create_test_user(app, Role.student, display_name="Ann")
    client = app.test_client()
    token = client.get("/auth/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/auth/login", data={"email": ann.email, "password": "correct horse battery", "csrf_token": token})
    before = _addresses(client)
    assert client.post("/events/mine/new-code").status_code == 400
    assert _addresses(client) == before
    token = client.get("/events/mine").text.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/events/mine/new-code", data={"csrf_token": token}).status_code == 302
    assert _addresses(client)[0] != before[0]
