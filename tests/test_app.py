"""The app factory, the database set-up and the page-rendering helper."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core import create_app


def test_config_chain_defaults_instance_environment_test(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("TIMEZONE = 'Europe/London'\nMAX_ADJUSTMENT = 50\nLOGIN_RATE_LIMIT = 'from file'\n")
    monkeypatch.setenv("ENGAGE_MAX_ADJUSTMENT", "70")
    monkeypatch.setenv("ENGAGE_LOGIN_RATE_LIMIT", "from env")
    app = create_app({"LOGIN_RATE_LIMIT": "5 per minute"}, instance_path=str(instance))
    assert app.config["PLUGIN_REFRESH_SECONDS"] == 1.0          # default
    assert app.config["TIMEZONE"] == "Europe/London"             # instance/config.py
    assert app.config["MAX_ADJUSTMENT"] == 70                    # environment beats the file
    assert app.config["LOGIN_RATE_LIMIT"] == "5 per minute"      # test overrides beat all
    assert app.config["DATABASE_URL"] == f"sqlite:///{instance / 'engage.sqlite'}"


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path):
    first = create_app(instance_path=str(tmp_path))
    second = create_app(instance_path=str(tmp_path))
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == (tmp_path / "secret_key").read_text()
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_database_url_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ENGAGE_DATABASE_URL", f"sqlite:///{tmp_path / 'other.sqlite'}")
    app = create_app(instance_path=str(tmp_path / "inst"))
    assert app.extensions["engage.db"].url.endswith("other.sqlite")


def test_sqlite_runs_in_wal_with_busy_timeout_and_immediate_writes(db):
    if not db.is_sqlite:
        pytest.skip("SQLite settings")
    with db.session() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    statements = []
    from sqlalchemy import event

    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with db.write_session() as session:
        session.execute(text("SELECT 1"))
    with db.session() as session:
        session.execute(text("SELECT 1"))
    assert "BEGIN IMMEDIATE" in statements and "BEGIN" in statements


def test_write_lock_is_taken_at_begin_so_a_second_writer_waits_instead_of_failing(db):
    """A deferred BEGIN would fail with "database is locked" on upgrade; IMMEDIATE queues."""
    if not db.is_sqlite:
        pytest.skip("SQLite locking")
    import threading
    import time

    order = []
    with db.write_session() as first:
        first.execute(text("SELECT 1"))

        def second_writer():
            with db.write_session() as second:
                second.execute(text("SELECT 1"))
                order.append("second")

        thread = threading.Thread(target=second_writer)
        thread.start()
        time.sleep(0.2)
        order.append("first")
    thread.join(5)
    assert order == ["first", "second"]


def test_render_answers_htmx_with_the_block_and_varies(client):
    full = client.get("/auth/login")
    fragment = client.get("/auth/login", headers={"HX-Request": "true"})
    boosted = client.get("/auth/login", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert b"<html" in full.data and b"<html" in boosted.data and b"<html" not in fragment.data
    assert fragment.data.strip().startswith(b"<section") and b'name="password"' in fragment.data
    assert "HX-Request" in full.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]


def test_htmx_is_served_from_our_own_origin(client):
    page = client.get("/").data.decode()
    assert '<script src="/vendor/htmx.min.js"' in page
    assert "https://" not in page.split("<body")[0]
    script = client.get("/vendor/htmx.min.js")
    assert script.status_code == 200 and b"htmx" in script.data[:2000]


@pytest.mark.parametrize("path", ["/nowhere", "/admin/users/notanumber", "/static/../secret_key"])
def test_unknown_urls_answer_a_helpful_404(client, path):
    response = client.get(path)
    assert response.status_code == 404 and b"Page not found" in response.data


def test_history_pages_through_htmx(client, auth, make_user, app, db):
    from core.points import award

    user = make_user()
    with app.app_context(), db.write_session() as session:
        for i in range(25):
            award(session, user_id=user.id, amount=i + 1, rule="read", plugin="core", idempotency_key=f"h{i}")
    auth.login(user.email)
    page = client.get("/me").data.decode()
    assert page.count('class="entry"') == 20 and "Show older" in page
    before = page.split("/me/history?before=")[1].split('"')[0]
    more = client.get(f"/me/history?before={before}", headers={"HX-Request": "true"}).data.decode()
    assert more.count('class="entry"') == 5 and "<html" not in more
