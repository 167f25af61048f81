"""Fixtures for the feedback tests: an app with every built-in plugin plus a probe plugin that
records rated answers and offers one content target."""

from __future__ import annotations

import pytest

from core.models import Role
from core.plugins import set_enabled
from core.testing import PASSWORD, create_test_user

from . import listener_plugin

def switch(app, name: str, enabled: bool) -> None:
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        set_enabled(session, name=name, enabled=enabled, actor_id=None)


@pytest.fixture
def fb_app(app_factory):
    listener_plugin.ratings.clear()
    return app_factory(plugins=(listener_plugin,))


@pytest.fixture
def fb_db(fb_app):
    return fb_app.extensions["engage.db"]


@pytest.fixture
def person(fb_app):
    return lambda role=Role.student, **fields: create_test_user(fb_app, role, **fields)


@pytest.fixture
def login(fb_app):
    def sign_in(user):
        client = fb_app.test_client()
        client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
        return client
    return sign_in


@pytest.fixture
def ctx(fb_app, fb_db):
    """Run service code: ``with ctx() as session:`` commits at the end."""
    from contextlib import contextmanager

    @contextmanager
    def run():
        with fb_app.test_request_context(), fb_db.write_session() as session:
            yield session
    return run
