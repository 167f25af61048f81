"""The faculties revision keeps every reader's free-text faculty: each becomes a faculty on the
managed list, so profiles and boards by faculty read as before."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.migrations import downgrade, upgrade

pytestmark = pytest.mark.migrations


def test_free_text_faculties_become_managed_faculties(migration_app, clean_url):
    upgrade(migration_app, "core_0007_term_recount")
    engine = sa.create_engine(clean_url)
    try:
        with engine.begin() as connection:
            for n, cohort in enumerate(["History 历史", "Physics", "History 历史", None]):
                connection.execute(sa.text(
                    "INSERT INTO core_user (email, password_hash, display_name, cohort, role, hide_from_boards, "
                    "public_profile, is_active, created_at) VALUES (:email, 'x', :name, :cohort, 'student', "
                    "false, false, true, CURRENT_TIMESTAMP)"), {"email": f"r{n}@uni.edu", "name": f"R{n}",
                                                                "cohort": cohort})
        upgrade(migration_app)
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                'SELECT code, name_en, name_zh, active FROM core_faculty ORDER BY code')).all()
        assert [tuple(r) for r in rows] == [("History 历史", "History 历史", "History 历史", True),
                                            ("Physics", "Physics", "Physics", True)]
        downgrade(migration_app, "core_0007_term_recount")
        with engine.connect() as connection:
            assert sa.inspect(connection).has_table("core_faculty") is False
            assert connection.execute(sa.text("SELECT count(*) FROM core_user WHERE cohort = 'Physics'")).scalar() == 1
    finally:
        engine.dispose()
