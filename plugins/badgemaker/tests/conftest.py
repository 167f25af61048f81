"""Fixtures for the badgemaker tests: the app with every built-in plugin, people, signed-in clients."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from core.models import Role
from core.plugins import set_enabled
from core.testing import PASSWORD, create_test_user


def switch(app, name: str, enabled: bool) -> None:
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        set_enabled(session, name=name, enabled=enabled, actor_id=None)


@pytest.fixture
def bm_app(app_factory):
    return app_factory()


@pytest.fixture
def person(bm_app):
    return lambda role=Role.student, **fields: create_test_user(bm_app, role, **fields)


@pytest.fixture
def login(bm_app):
    def sign_in(user):
        client = bm_app.test_client()
        client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
        return client
    return sign_in


@pytest.fixture
def ctx(bm_app):
    """Run service code: ``with ctx() as session:`` commits at the end."""
    db = bm_app.extensions["engage.db"]

    @contextmanager
    def run():
        with bm_app.test_request_context(), db.write_session() as session:
            yield session
    return run
