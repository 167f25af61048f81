"""A database made before migrations (by create_all, in an older shape, without a version table)
is adopted by ``engage db upgrade``: what older releases lacked is made, rank counts rebuilt."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from core.boards import my_rank
from core.models import Role
from core.points import award, check_totals
from core.terms import current_calendar
from core.testing import PASSWORD, create_test_user
from migration_support import heads, model_differences, to_baseline_shape, versions

pytestmark = pytest.mark.migrations
AT = datetime(2026, 11, 23, 4, 0, tzinfo=timezone.utc)


def _library(app) -> list:
    """Readers with points (ties, an opted-out reader, a librarian), made by today's code."""
    people = [create_test_user(app, hide_from_boards=(n == 3)) for n in range(6)]
    people.append(create_test_user(app, Role.librarian))
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        for n, person in enumerate(people):
            for k in range(n + 1):
                award(session, user_id=person.id, amount=10 * (n % 4) + 5, rule="read", plugin="core",
                      idempotency_key=f"legacy:{person.id}:{k}", at=AT - timedelta(days=9 * k))
    return people


def _ranks(app, people) -> dict:
    with app.app_context(), app.extensions["engage.db"].session() as session:
        return {(p.id, period): (row.rank, row.total) if (row := my_rank(session, user_id=p.id, period=period))
                else None for p in people for period in ("all", "week", "month", "term")}


def _before_rank_counts_and_public_profiles(connection) -> list[str]:
    connection.execute(sa.text("DROP TABLE core_rank_count"))
    connection.execute(sa.text("DROP TABLE core_pending_reward"))
    connection.execute(sa.text("DROP TABLE feedback_photo"))  # a plugin table added after the database was made
    connection.execute(sa.text("DROP INDEX ix_core_user_off_boards"))
    connection.execute(sa.text("ALTER TABLE core_user DROP COLUMN public_profile"))
    return ["created the missing table core_rank_count", "created the missing table core_pending_reward",
            "created the missing table feedback_photo", "created the missing index ix_core_user_off_boards",
            "added the missing column core_user.public_profile (existing rows: false)",
            "rebuilt totals and rank counts from the ledger (7 users)"]


def _rank_counts_without_levels(connection) -> list[str]:
    connection.execute(sa.text("DROP TABLE core_rank_count"))
    connection.execute(sa.text("CREATE TABLE core_rank_count (period VARCHAR(8) NOT NULL, period_key VARCHAR(24) "
                               "NOT NULL, total INTEGER NOT NULL, users INTEGER NOT NULL, "
                               "PRIMARY KEY (period, period_key, total))"))
    connection.execute(sa.text("INSERT INTO core_rank_count VALUES ('all', '', 5, 99)"))  # stale, and wrong
    return ["remade core_rank_count in its current shape (it is rebuilt from the ledger)",
            "rebuilt totals and rank counts from the ledger (7 users)"]


@pytest.mark.parametrize("age", [_before_rank_counts_and_public_profiles, _rank_counts_without_levels],
                         ids=["before-rank-counts", "rank-counts-without-levels"])
def test_a_database_made_before_migrations_is_adopted(clean_url, app_factory, engage_command, age):
    legacy = app_factory()  # create_all, as every release before migrations did
    people = _library(legacy)
    ranks = _ranks(legacy, people)
    assert sum(rank is not None for rank in ranks.values()) > 10
    legacy.extensions["engage.db"].dispose()
    to_baseline_shape(legacy, clean_url)
    engine = sa.create_engine(clean_url)
    with engine.begin() as connection:
        told = age(connection)
    engine.dispose()

    refused = engage_command("check")
    assert refused.exit_code == 1 and "before schema migrations. Run `engage db upgrade`" in refused.output
    result = engage_command("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "The database was made before schema migrations; adopted it:" in result.output
    for sentence in told:
        assert f"  - {sentence}" in result.output
    head = heads(legacy)
    assert f"core             {head['core']}" in result.output
    # Core's head is implied by the plugins' baselines when they depend on it.
    assert set(head.values()) - versions(clean_url) <= {head["core"]}

    app = app_factory(CREATE_TABLES=False, SCHEMA_CHECK=True)  # starts: the database is at every head
    client = app.test_client()
    assert client.post("/auth/login", data={"email": people[0].email, "password": PASSWORD}).status_code == 302
    assert client.get("/me").status_code == 200
    assert _ranks(app, people) == ranks
    with app.app_context(), app.extensions["engage.db"].session() as session:
        assert check_totals(session, calendar=current_calendar()) == []
    assert engage_command("check").exit_code == 0
    assert model_differences(clean_url) == []


def test_adopting_a_complete_old_database_copies_it_first_and_only_stamps_it(clean_url, app_factory, engage_command, sqlite_only, tmp_path):
    legacy = app_factory()
    _library(legacy)
    legacy.extensions["engage.db"].dispose()
    to_baseline_shape(legacy, clean_url)
    result = engage_command("db", "upgrade")
    backups = list((tmp_path / "instance" / "backups").glob("pre-upgrade-unversioned-*.sqlite"))
    assert len(backups) == 1 and f"Copied the database first to {backups[0]}" in result.output
    assert "  - nothing was missing" in result.output
