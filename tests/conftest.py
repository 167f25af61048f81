"""Shared fixtures: a fresh database per test, an app, a client, a CLI runner and sign-in helpers.

The suite runs on SQLite always; with ENGAGE_TEST_DATABASE_URL set it runs on that
PostgreSQL database instead (each xdist worker in its own schema) and fails at once if
the server cannot be reached.
"""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

sys.path.insert(0, str(Path(__file__).parent))

import core.accounts  # noqa: E402
from core import create_app  # noqa: E402
from core.accounts import create_user  # noqa: E402
from core.models import Role  # noqa: E402

PG_URL = os.environ.get("ENGAGE_TEST_DATABASE_URL")
PASSWORD = "correct horse battery"


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite (a new file per test)'}"


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashes():
    """Argon2 is slow on purpose; tests use cheap parameters of the same algorithm."""
    real = core.accounts._hasher
    core.accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    core.accounts._hasher = real


@pytest.fixture(scope="session")
def pg_schema_url(worker_id="master"):
    """A PostgreSQL URL whose search_path is a schema of this test worker's own."""
    if not PG_URL:
        return None
    schema = f"engage_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    try:
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        engine.dispose()
    except Exception as exc:  # the PostgreSQL pass must fail, never skip
        pytest.exit(f"cannot reach PostgreSQL at {PG_URL}: {exc}", returncode=3)
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def database_url(tmp_path, pg_schema_url):
    """A clean database for this test."""
    if not pg_schema_url:
        yield f"sqlite:///{tmp_path / 'engage.sqlite'}"
        return
    engine = create_engine(pg_schema_url)
    SQLModel.metadata.drop_all(engine)
    engine.dispose()
    yield pg_schema_url


def make_app(database_url, tmp_path, plugins=(), **config):
    """An app for tests: CSRF and rate limits off unless a test turns them on."""
    settings = {"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
                "PLUGIN_REFRESH_SECONDS": 0, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                "PLUGIN_ENTRY_POINT_GROUP": None}
    settings.update(config)
    return create_app(settings, plugins=plugins, instance_path=str(tmp_path / "instance"))


@pytest.fixture
def app_factory(database_url, tmp_path):
    """Build apps on this test's database; all are disposed afterwards."""
    apps = []

    def factory(plugins=(), **config):
        app = make_app(database_url, tmp_path, plugins, **config)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.extensions["engage.db"].dispose()


@pytest.fixture
def app(app_factory):
    return app_factory()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """The app's Database (engine and session factories)."""
    return app.extensions["engage.db"]


_user_numbers = itertools.count(1)


def create_test_user(app, role=Role.student, **fields):
    """Create a user in ``app``'s database through the service function (password: PASSWORD)."""
    n = next(_user_numbers)
    role = Role(role)
    fields.setdefault("email", f"{role.value}{n}@test.library")
    fields.setdefault("display_name", f"Reader {n}")
    fields.setdefault("password", PASSWORD)
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        return create_user(session, role=role, **fields)


@pytest.fixture
def make_user(app):
    """Create a user in the test app's database."""
    return lambda role=Role.student, **fields: create_test_user(app, role, **fields)


class AuthActions:
    """Sign in and out through the real forms."""

    def __init__(self, client):
        self._client = client

    def login(self, email, password=PASSWORD):
        return self._client.post("/auth/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)
