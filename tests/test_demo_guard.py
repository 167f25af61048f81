"""``engage demo`` and ``engage init-db --drop`` leave a real library alone; the demo's accounts never
join one."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from core.backup.guard import FLAG, MARKER, survey_url
from core.cli import main
from core.models import Counter, User

pytestmark = pytest.mark.bare_database  # the guard tells an empty database from a library and a demo


@pytest.fixture
def engage(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ENGAGE_DATABASE_URL", database_url)
    monkeypatch.setenv("ENGAGE_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("ENGAGE_PLUGIN_REFRESH_SECONDS", "0")
    runner = CliRunner()
    return lambda *args, input=None: runner.invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def library(engage, app_factory):
    """A real library: made by the migrations, with one librarian who is not the demo's."""
    assert engage("init-db").exit_code == 0
    app = app_factory(CREATE_TABLES=False)
    assert engage("create-admin", "--email", "head@uni.edu", "--name", "Head",
                  "--password", "long enough pw").exit_code == 0
    return app


def users(app) -> list[str]:
    with app.extensions["engage.db"].session() as session:
        return sorted(session.execute(select(User.email)).scalars())


def test_a_new_database_is_empty_and_the_demo_marks_its_own(engage, app_factory, database_url):
    assert survey_url(database_url).kind == "empty"
    assert engage("init-db").exit_code == 0
    assert survey_url(database_url).kind == "empty"
    result = engage("demo", "--no-serve", "--students", "3")
    assert result.exit_code == 0, result.output
    assert survey_url(database_url).kind == "demo"
    app = app_factory(CREATE_TABLES=False)
    with app.extensions["engage.db"].session() as session:
        assert session.get(Counter, MARKER).value == 1


@pytest.mark.parametrize("args", [(), ("--reset",)], ids=["demo", "demo --reset"])
def test_the_demo_refuses_a_library(engage, library, args):
    result = engage("demo", "--no-serve", "--students", "3", *args)
    assert result.exit_code == 1
    assert "holds a library, not the demo (1 accounts that are not the demo's)" in result.output
    assert "demo-pass-2024" not in result.output
    assert users(library) == ["head@uni.edu"]


def test_the_demo_never_joins_a_library_even_with_the_flag(engage, library):
    result = engage("demo", "--no-serve", "--students", "3", FLAG)
    assert result.exit_code == 1 and "never join a real library" in result.output
    assert users(library) == ["head@uni.edu"]


def test_the_demo_reset_throws_a_library_away_only_when_told(engage, library):
    result = engage("demo", "--no-serve", "--students", "3", "--reset", FLAG)
    assert result.exit_code == 0, result.output
    emails = users(library)
    assert "head@uni.edu" not in emails and "admin@demo.library" in emails


def test_a_demo_can_be_reset_without_the_flag(engage, app_factory):
    assert engage("demo", "--no-serve", "--students", "3").exit_code == 0
    result = engage("demo", "--no-serve", "--students", "4", "--reset")
    assert result.exit_code == 0, result.output
    assert "student4@demo.library" in users(app_factory(CREATE_TABLES=False))


def test_init_db_drop_refuses_a_library(engage, library):
    result = engage("init-db", "--drop", input="y\n")
    assert result.exit_code == 1 and FLAG in result.output and "engage backup" in result.output
    assert users(library) == ["head@uni.edu"]
    result = engage("init-db", "--drop", FLAG, input="y\n")
    assert result.exit_code == 0, result.output
    assert users(library) == []


def test_init_db_drop_of_a_demo_only_asks(engage, app_factory):
    assert engage("demo", "--no-serve", "--students", "3").exit_code == 0
    result = engage("init-db", "--drop", input="y\n")
    assert result.exit_code == 0 and "Dropped" in result.output
    assert users(app_factory(CREATE_TABLES=False)) == []


def test_populate_adds_nothing_beside_real_accounts(app, make_user):
    from core.demo import NotEmpty, populate

    make_user(email="reader@uni.edu")
    with app.app_context(), pytest.raises(NotEmpty):
        populate(app.extensions["engage.db"], students=2)
    with app.extensions["engage.db"].session() as session:
        assert session.execute(select(func.count()).select_from(User)).scalar() == 1
        assert session.get(Counter, MARKER) is None
