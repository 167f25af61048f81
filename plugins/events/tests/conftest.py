"""Helpers for the events tests: signed-in clients, events and the current check-in code."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from core.models import Role, utcnow
from core.testing import PASSWORD, create_test_user
from plugins.events import service
from plugins.events.models import Event


def login(app, user):
    """A test client signed in as ``user``."""
    client = app.test_client()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def make_event(app, **fields) -> Event:
    """An event starting tomorrow (unless told otherwise), written through the service."""
    now = utcnow()
    values = dict(title_en="Reading club", title_zh="读书会", description_en="We read.", description_zh="一起读。",
                  place="East reading room", starts_at=now + timedelta(days=1),
                  ends_at=now + timedelta(days=1, hours=2), capacity=2, points=15, faculties="")
    values.update(fields)
    with app.test_request_context("/"), app.extensions["engage.db"].write_session() as session:
        return service.save_event(session, event=None, actor_id=None, **values)


def running_event(app, **fields) -> Event:
    """An event on now: its check-in is open."""
    now = utcnow()
    return make_event(app, starts_at=now - timedelta(minutes=10), ends_at=now + timedelta(hours=1), **fields)


def move(app, event_id, **fields) -> None:
    """Change an event's columns directly (times in the past, say), as time passing would."""
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        event = session.get(Event, event_id)
        for key, value in fields.items():
            setattr(event, key, value)


def rows(app, model, *where):
    with app.app_context(), app.extensions["engage.db"].session() as session:
        return list(session.exec(select(model).where(*where).order_by(*model.__table__.primary_key.columns)))


@pytest.fixture
def people(app):
    """A librarian and three students (one in History), each with a signed-in client."""
    lib = create_test_user(app, Role.librarian, display_name="Librarian Li")
    ann = create_test_user(app, Role.student, display_name="Ann", cohort="History")
    bob = create_test_user(app, Role.student, display_name="Bob", cohort="Physics")
    cat = create_test_user(app, Role.student, display_name="Cat", cohort="History")
    return {name: (user, login(app, user)) for name, user in
            {"lib": lib, "ann": ann, "bob": bob, "cat": cat}.items()}
