"""Registering, the waitlist that moves up by itself, cancelling, audiences and the one-seat race."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlmodel import select

from core.models import ActivityEntry, Notification, User, utcnow
from plugins.events import service
from plugins.events.models import Event, Registration

from .conftest import make_event, move, rows


def statuses(app, event_id):
    return {r.user_id: r.status for r in rows(app, Registration, Registration.event_id == event_id)}


def test_readers_take_seats_then_join_the_waitlist(app, people):
    event = make_event(app, capacity=1)
    (ann, ann_client), (bob, bob_client) = people["ann"], people["bob"]
    assert ann_client.post(f"/events/{event.id}/register").status_code == 302
    response = bob_client.post(f"/events/{event.id}/register", follow_redirects=True)
    assert "waitlist" in response.get_data(as_text=True)
    assert statuses(app, event.id) == {ann.id: "registered", bob.id: "waitlisted"}
    page = bob_client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "number 1 on the waitlist" in page


def test_a_cancelled_seat_goes_to_the_first_reader_waiting_who_is_told(app, people):
    event = make_event(app, capacity=1)
    (ann, ann_client), (bob, bob_client), (cat, cat_client) = people["ann"], people["bob"], people["cat"]
    for client in (ann_client, bob_client, cat_client):
        client.post(f"/events/{event.id}/register")
    assert ann_client.post(f"/events/{event.id}/cancel").status_code == 302
    assert statuses(app, event.id) == {ann.id: "cancelled", bob.id: "registered", cat.id: "waitlisted"}
    notes = rows(app, Notification, Notification.user_id == bob.id, Notification.kind == "promoted")
    assert len(notes) == 1 and "Reading club" in notes[0].text_en and "读书会" in notes[0].text_zh
    assert not rows(app, Notification, Notification.user_id == cat.id, Notification.kind == "promoted")


def test_more_seats_move_the_waitlist_up(app, people):
    event = make_event(app, capacity=1)
    for name in ("ann", "bob", "cat"):
        people[name][1].post(f"/events/{event.id}/register")
    with app.test_request_context("/"), app.extensions["engage.db"].write_session() as session:
        found = session.get(Event, event.id)
        values = {k: getattr(found, k) for k in ("title_en", "title_zh", "description_en", "description_zh", "place",
                                                 "starts_at", "ends_at", "points", "faculties")}
        service.save_event(session, event=found, actor_id=None, capacity=3, **values)
    assert set(statuses(app, event.id).values()) == {"registered"}


def test_registering_twice_is_refused_and_changes_nothing(app, people):
    event = make_event(app)
    ann_client = people["ann"][1]
    ann_client.post(f"/events/{event.id}/register")
    response = ann_client.post(f"/events/{event.id}/register")
    assert response.status_code == 409 and "already registered" in response.get_data(as_text=True)
    assert len(rows(app, Registration)) == 1


def test_a_reader_may_register_again_after_cancelling(app, people):
    event = make_event(app)
    ann, client = people["ann"]
    client.post(f"/events/{event.id}/register")
    client.post(f"/events/{event.id}/cancel")
    client.post(f"/events/{event.id}/register")
    assert statuses(app, event.id) == {ann.id: "registered"}
    # Registering is taking part (the dashboard and campaigns count it), once per reader and event.
    assert [(a.user_id, a.kind) for a in rows(app, ActivityEntry, ActivityEntry.plugin == "events")] == \
        [(ann.id, service.REGISTERED)]


def test_an_event_for_one_faculty_refuses_others_in_their_language(app, people):
    event = make_event(app, faculties="History")
    assert people["ann"][1].post(f"/events/{event.id}/register").status_code == 302
    bob_client = people["bob"][1]
    response = bob_client.post(f"/events/{event.id}/register")
    assert response.status_code == 403 and "other faculties" in response.get_data(as_text=True)
    bob_client.post("/language", data={"locale": "zh_Hans"})
    response = bob_client.post(f"/events/{event.id}/register", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 403
    assert event.id not in {e.id for e in _listed(app, people["bob"][0])}
    assert event.id in {e.id for e in _listed(app, people["ann"][0])}


def _listed(app, user):
    with app.test_request_context("/"), app.extensions["engage.db"].session() as session:
        return service.events(session, when="upcoming", user=session.get(User, user.id))


def test_registration_closes_when_the_event_starts(app, people):
    event = make_event(app)
    move(app, event.id, starts_at=utcnow() - timedelta(minutes=1))
    response = people["ann"][1].post(f"/events/{event.id}/register")
    assert response.status_code == 409 and "has started" in response.get_data(as_text=True)
    assert not rows(app, Registration)


def test_cancelling_without_a_seat_is_refused(app, people):
    event = make_event(app)
    response = people["ann"][1].post(f"/events/{event.id}/cancel")
    assert response.status_code == 409 and "not registered" in response.get_data(as_text=True)


def test_an_unknown_event_is_not_found(client):
    assert client.get("/events/999").status_code == 404


def test_two_tabs_racing_for_the_last_seat_get_one_seat(app, make_user):
    """Many readers post for the one seat at the same instant, each in a thread of its own: one
    seat is taken, everyone else waits in line (both databases: a row lock, or SQLite's writer lock)."""
    event = make_event(app, capacity=1)
    readers = [make_user(email=f"race{n}@test.library") for n in range(8)]
    from .conftest import login

    clients = [login(app, r) for r in readers]
    start = threading.Barrier(len(clients))
    answers = []

    def go(client):
        start.wait()
        answers.append(client.post(f"/events/{event.id}/register").status_code)

    threads = [threading.Thread(target=go, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [302] * len(clients)
    found = list(statuses(app, event.id).values())
    assert found.count("registered") == 1 and found.count("waitlisted") == len(clients) - 1


def test_one_reader_in_two_tabs_holds_one_registration(app, people):
    event = make_event(app, capacity=5)
    ann, _ = people["ann"]
    from .conftest import login

    tabs = [login(app, ann) for _ in range(4)]
    start = threading.Barrier(len(tabs))
    answers = []

    def go(client):
        start.wait()
        answers.append(client.post(f"/events/{event.id}/register").status_code)

    threads = [threading.Thread(target=go, args=(c,)) for c in tabs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [302] + [409] * 3
    assert statuses(app, event.id) == {ann.id: "registered"}


def test_an_event_must_end_after_it_starts(app, people):
    lib_client = people["lib"][1]
    response = lib_client.post("/events/new", data={
        "title_en": "Talk", "title_zh": "讲座", "place": "Hall", "starts_at": "2030-05-01T18:00",
        "ends_at": "2030-05-01T17:00", "capacity": "10", "points": "5"})
    assert response.status_code == 400 and "end after it starts" in response.get_data(as_text=True)
    with app.app_context(), app.extensions["engage.db"].session() as session:
        assert not session.exec(select(Event)).all()
