"""The ``engage`` command line."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from core.cli import main
from core.models import PointEntry, PointTotal, Role, User

pytestmark = pytest.mark.bare_database  # `engage init-db` and `engage demo` meet a new, empty database


@pytest.fixture
def engage(database_url, tmp_path, monkeypatch):
    """Run ``engage …`` as a user would, against this test's database."""
    monkeypatch.setenv("ENGAGE_DATABASE_URL", database_url)
    monkeypatch.setenv("ENGAGE_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("ENGAGE_PLUGIN_REFRESH_SECONDS", "0")
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return run


def query(app, statement):
    with app.extensions["engage.db"].session() as session:
        return session.execute(statement).scalar()


def test_init_db_and_create_admin(engage, app_factory):
    assert "Database ready" in engage("init-db").output
    app = app_factory(CREATE_TABLES=False)  # the tables are the migrations' own
    result = engage("create-admin", "--email", "Head@Uni.edu", "--name", "Head", "--password", "long enough pw")
    assert result.exit_code == 0 and "Administrator head@uni.edu created" in result.output
    assert query(app, select(User.role).where(User.email == "head@uni.edu")) == Role.admin.value


@pytest.mark.parametrize("args, message", [
    (["--email", "a@uni.edu", "--name", "A", "--password", "short"], "at least 8 characters"),
    (["--email", "not-an-email", "--name", "A", "--password", "long enough pw"], "not an email address"),
])
def test_create_admin_refuses_bad_input(engage, app, args, message):
    result = engage("create-admin", *args)
    assert result.exit_code == 2 and message in result.output
    assert query(app, select(func.count()).select_from(User)) == 0


def test_create_admin_refuses_a_duplicate(engage, app):
    engage("create-admin", "--email", "a@uni.edu", "--name", "A", "--password", "long enough pw")
    result = engage("create-admin", "--email", "a@uni.edu", "--name", "B", "--password", "long enough pw")
    assert result.exit_code == 1 and "already exists" in result.output
    assert query(app, select(func.count()).select_from(User)) == 1


def test_plugins_list_enable_disable(engage, app):
    listing = engage("plugins", "list").output
    assert "on   contributions" in listing and "on   feedback" in listing
    assert "feedback switched off." in engage("plugins", "disable", "feedback").output
    assert "feedback was already off." in engage("plugins", "disable", "feedback").output
    assert "off  feedback" in engage("plugins", "list").output
    assert "feedback switched on." in engage("plugins", "enable", "feedback").output


def test_unknown_plugin_name_is_a_clear_error(engage):
    result = engage("plugins", "disable", "nosuch")
    assert result.exit_code == 2 and "no plugin is called 'nosuch'" in result.output and "contributions" in result.output


def test_check_and_rebuild_totals(engage, app, make_user):
    from core.points import award

    user = make_user()
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        award(session, user_id=user.id, amount=12, rule="read", plugin="core", idempotency_key="x")
    result = engage("check")
    assert result.exit_code == 0 and "All totals equal the ledger; no reward is stuck in the queue." in result.output
    with app.extensions["engage.db"].write_session() as session:
        session.get(PointTotal, user.id).total = 1
    result = engage("check")
    assert result.exit_code == 1 and "total 1, ledger says 12" in result.output
    assert "Totals rebuilt for 1 users." in engage("rebuild-totals").output
    assert engage("check").exit_code == 0


def test_demo_populates_once_and_prints_logins(engage, app_factory, monkeypatch):
    app = app_factory(CREATE_TABLES=False)  # the demo makes its tables through the migrations
    monkeypatch.setenv("ENGAGE_SECRET_KEY", app.config["SECRET_KEY"])  # so this app reads the screens' tokens
    result = engage("demo", "--no-serve", "--students", "30")
    assert result.exit_code == 0, result.output
    assert "admin@demo.library" in result.output and "demo-pass-2024" in result.output
    assert query(app, select(func.count()).select_from(User)) >= 34  # plugins may add their own people
    entries = query(app, select(func.count()).select_from(PointEntry))
    assert entries > 30
    # Two lobby screens, one per language, whose secret addresses work without signing in.
    addresses = re.findall(r"screen +(\S+) +http://127\.0\.0\.1:5000(/screen/\S+)", result.output)
    assert [name for name, _path in addresses] == ["Lobby", "大厅"]
    client = app.test_client()
    with app.app_context():  # the screen cache would notice within a second; do not wait
        app.extensions["engage.screens"].refresh(app.extensions["engage.db"], force=True)
    for _name, path in addresses:
        assert client.get(path).status_code == 200 and client.get(path + "/slide?n=0").status_code == 200
    again = engage("demo", "--no-serve", "--students", "30")
    assert "already there" in again.output
    assert query(app, select(func.count()).select_from(PointEntry)) == entries
    assert engage("check").exit_code == 0


def test_demo_refuses_a_bad_port(engage):
    result = engage("demo", "--no-serve", "--port", "99999")
    assert result.exit_code == 2 and "99999" in result.output
