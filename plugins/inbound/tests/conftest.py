"""Fixtures for the inbound tests: the app with every built-in plugin, an API key, readers,
signed-in clients, and events a few hours old in library time."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest

from core.api.keys import create_key
from core.models import Role
from core.testing import PASSWORD, create_test_user


@pytest.fixture
def admin(app):
    return create_test_user(app, Role.admin)


@pytest.fixture
def key_for(app, admin):
    """Bearer headers of a new key with these scopes."""
    def make(scopes=("inbound:write",), **kw):
        with app.test_request_context(), app.extensions["engage.db"].write_session() as session:
            token = create_key(session, name=kw.pop("name", "Gate system"), scopes=list(scopes),
                               actor_id=admin.id, **kw).token
        return {"Authorization": f"Bearer {token}"}
    return make


@pytest.fixture
def headers(key_for):
    return key_for()


@pytest.fixture
def person(app):
    return lambda role=Role.student, **fields: create_test_user(app, role, **fields)


@pytest.fixture
def login(app):
    def sign_in(user):
        client = app.test_client()
        client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
        return client
    return sign_in


@pytest.fixture
def ctx(app):
    """Run service code: ``with ctx() as session:`` commits at the end."""
    db = app.extensions["engage.db"]

    @contextmanager
    def run():
        with app.test_request_context(), db.write_session() as session:
            yield session
    return run


def ago(**delta) -> str:
    return (datetime.now(timezone.utc) - timedelta(**delta)).isoformat()


def event(source_id, kind="loan", reader="S1", when=None, **extra) -> dict:
    return {"source_id": source_id, "type": kind, "reader": reader, "occurred_at": when or ago(hours=1), **extra}
