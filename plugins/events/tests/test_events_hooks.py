"""What the plugin adds to the rest of the site: menu, panels, slides, feeds, reminders, email
kinds, demo data, readers' rights, and switching it off (404, gone, data kept)."""

from __future__ import annotations

import random
from datetime import timedelta

from icalendar import Calendar
from sqlmodel import select

from core.models import Notification, Role, User, utcnow
from core.plugins import set_enabled
from plugins.events import codes, privacy, reminders
from plugins.events.models import CheckIn, Event, Registration

from .conftest import make_event, rows, running_event


def test_the_menu_and_home_panel_show_events(app, people):
    event = make_event(app, title_en="Poetry night")
    ann_client = people["ann"][1]
    ann_client.post(f"/events/{event.id}/register")
    home = ann_client.get("/").get_data(as_text=True)
    assert 'href="/events/"' in home and "Poetry night" in home and "Your next events" in home


def test_the_profile_panel_counts_attended_events_for_the_reader_and_staff(app, people):
    ann, ann_client = people["ann"]
    assert "events attended" in ann_client.get("/me").get_data(as_text=True)


def test_the_screen_slide_shows_the_live_code_while_check_in_is_open(app, people):

    event = running_event(app, title_en="Open now")
    with app.test_request_context("/"):
        from core.plugins import current_hooks

        slides = current_hooks().engage_screen_slides(screen=None)
        live = codes.live_token(event.id)
    ours = [s for group in slides for s in (group if isinstance(group, list) else [group]) if s.key == "checkin"]
    assert ours and "Open now" in ours[0].html and f"/events/live/{live}" in ours[0].html


def test_the_calendar_feeds_list_events_and_a_readers_own(app, people):
    mine, other = make_event(app, title_en="Mine"), make_event(app, title_en="Not mine")
    ann, ann_client = people["ann"]
    ann_client.post(f"/events/{mine.id}/register")
    everything = Calendar.from_ical(ann_client.get("/events/calendar.ics").data)
    assert {str(e["summary"]) for e in everything.walk("VEVENT")} == {"Mine", "Not mine"}
    with app.test_request_context("/"):
        token = codes.feed_token(ann.id)
    response = app.test_client().get(f"/events/feed/{ann.id}/{token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    own = Calendar.from_ical(response.data)
    assert [str(e["summary"]) for e in own.walk("VEVENT")] == ["Mine"]
    assert app.test_client().get(f"/events/feed/{ann.id}/wrong.ics").status_code == 404


def test_reminders_go_once_to_readers_with_a_seat(app, people):
    soon = make_event(app, starts_at=utcnow() + timedelta(hours=3), ends_at=utcnow() + timedelta(hours=4))
    later = make_event(app, starts_at=utcnow() + timedelta(days=5), ends_at=utcnow() + timedelta(days=5, hours=1))
    (ann, ann_client), (bob, bob_client) = people["ann"], people["bob"]
    for client in (ann_client, bob_client):
        client.post(f"/events/{soon.id}/register")
        client.post(f"/events/{later.id}/register")
    bob_client.post(f"/events/{soon.id}/cancel")
    jobs = app.extensions["engage.jobs"]
    jobs.run_periodic("events:remind")
    jobs.run_periodic("events:remind")
    notes = rows(app, Notification, Notification.kind == reminders.KIND)
    assert [(n.user_id, n.url) for n in notes] == [(ann.id, f"/events/{soon.id}")]
    assert "Reminder" in notes[0].text_en and "提醒" in notes[0].text_zh


def test_reminders_and_seats_are_mail_kinds_readers_can_choose(app, people):
    page = people["ann"][1].get("/notifications/email").get_data(as_text=True)
    assert "Event reminders" in page and "A seat from the waitlist" in page


def test_switched_off_the_pages_answer_404_and_the_data_stays(app, people):
    event = make_event(app)
    ann_client = people["ann"][1]
    ann_client.post(f"/events/{event.id}/register")
    with app.test_request_context("/"), app.extensions["engage.db"].write_session() as session:
        set_enabled(session, name="events", enabled=False, actor_id=None)
    assert ann_client.get("/events/").status_code == 404
    assert ann_client.get(f"/events/{event.id}").status_code == 404
    assert ann_client.post(f"/events/{event.id}/cancel").status_code == 404
    assert 'href="/events/"' not in ann_client.get("/").get_data(as_text=True)
    assert len(rows(app, Registration)) == 1
    with app.test_request_context("/"), app.extensions["engage.db"].write_session() as session:
        set_enabled(session, name="events", enabled=True, actor_id=None)
    assert ann_client.get(f"/events/{event.id}").status_code == 200


def test_a_librarian_creates_an_event_through_the_form(app, people):
    from core.identity.faculties import Faculty

    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        session.add_all([Faculty(code="HIST", name_en="History", name_zh="历史学院"),
                         Faculty(code="PHYS", name_en="Physics", name_zh="物理学院")])
    lib_client = people["lib"][1]
    page = lib_client.get("/events/new").get_data(as_text=True)
    assert "History" in page and "Physics" in page  # the audience is chosen from the managed faculties
    data = {"title_en": "Talk", "title_zh": "讲座", "description_en": "", "description_zh": "", "place": "Hall",
            "starts_at": "2030-05-01T18:00", "ends_at": "2030-05-01T19:30", "capacity": "10", "points": "5"}
    assert lib_client.post("/events/new", data={**data, "faculties": ["Magic"]}).status_code == 400
    response = lib_client.post("/events/new", data={**data, "faculties": ["HIST", "PHYS"]})
    assert response.status_code == 302
    [event] = rows(app, Event)
    assert event.faculties == "HIST\nPHYS" and event.capacity == 10
    assert "History, Physics" in lib_client.get(f"/events/{event.id}").get_data(as_text=True)
    assert people["ann"][1].get("/events/new").status_code == 403
    assert people["lib"][1].get("/events/manage").status_code == 200


def test_readers_data_is_exported_and_forgotten_and_their_seat_moves_on(app, people):
    past = running_event(app)
    future = make_event(app, capacity=1)
    (ann, ann_client), (bob, bob_client) = people["ann"], people["bob"]
    ann_client.post(f"/events/{future.id}/register")
    bob_client.post(f"/events/{future.id}/register")
    people["lib"][1].post(f"/events/{past.id}/attendance/{ann.id}")
    with app.test_request_context("/"), app.extensions["engage.db"].write_session() as session:
        data = privacy.user_data(session, ann.id)
        assert [r["status"] for r in data["events_registrations"]] == ["registered"]
        assert [r["method"] for r in data["events_checkins"]] == ["list"]
        privacy.forget_user(session, ann.id)
    assert not rows(app, Registration, Registration.user_id == ann.id)
    assert not rows(app, CheckIn, CheckIn.user_id == ann.id)
    assert [r.status for r in rows(app, Registration, Registration.user_id == bob.id)] == ["registered"]


def test_demo_data_has_an_event_on_now_a_waitlist_and_past_attendance(app, people):
    with app.test_request_context("/"), app.extensions["engage.db"].write_session() as session:
        students = list(session.exec(select(User).where(User.role == Role.student.value)))
        from plugins.events.demo import populate_demo

        extra = [User(email=f"demo{n}@test.library", password_hash="x", display_name=f"Demo {n}",
                      cohort="History" if n % 2 else "Physics") for n in range(30)]
        session.add_all(extra)
        session.flush()
        librarians = list(session.exec(select(User).where(User.role == Role.librarian.value)))
        populate_demo(session, random.Random(1), students + extra, librarians)
    states = {r.status for r in rows(app, Registration)}
    assert {"registered", "waitlisted"} <= states
    assert rows(app, CheckIn)
    with app.test_request_context("/"), app.extensions["engage.db"].session() as session:
        from plugins.events.service import in_window

        assert in_window(session)


def test_the_whole_demo_library_includes_events(app):
    """`engage demo` calls every plugin's demo data after core's people and points exist."""
    from core import demo

    with app.app_context():
        assert demo.populate(app.extensions["engage.db"], students=24)
    events = rows(app, Event)
    assert len(events) == 5 and rows(app, CheckIn) and rows(app, Registration, Registration.status == "waitlisted")
