"""Library screens: librarians' pages, the secret URL, slides, and the 304 that runs no SQL."""

from __future__ import annotations

import json
import re

import pytest
from flask import request_started
from sqlalchemy import event
from sqlmodel import select

import example_plugin
from core.models import Role, Screen
from core.plugins import set_enabled
from core.points import award

PASSWORD = "correct horse battery"


def login(app, user):
    client = app.test_client()
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    return client


@pytest.fixture
def screen_app(app_factory):
    example_plugin.events.clear()
    return app_factory(plugins=(example_plugin,), SCREEN_VERSION_SECONDS=0)


def new_user(app, role=Role.student, **fields):
    from core.accounts import create_user

    n = len(fields) + id(fields) % 100000
    fields.setdefault("email", f"{role.value}{n}@screens.library")
    fields.setdefault("display_name", f"Reader {n}")
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        return create_user(session, role=role, password=PASSWORD, **fields)


def pay(app, user, amount, key):
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        award(session, user_id=user.id, amount=amount, rule="read", plugin="core", idempotency_key=key)


def create_screen(client, **data):
    form = {"name": "Main lobby", "locale": "en", "seconds_per_slide": "12", "slides": ["board:all"]}
    form.update(data)
    return client.post("/screens/new", data=form)


def address_of(client, name="Main lobby"):
    page = client.get("/screens/").data.decode()
    match = re.search(r'value="http://localhost(/screen/[^"]+)"', page)
    assert match, page
    return match.group(1)


@pytest.fixture
def librarian(screen_app):
    user = new_user(screen_app, Role.librarian, email="lib@screens.library", display_name="Librarian")
    return login(screen_app, user)


def stored(app):
    with app.app_context(), app.extensions["engage.db"].session() as session:
        return list(session.exec(select(Screen)))


# --- librarians' pages -----------------------------------------------------------------------

def test_create_and_edit_a_screen(screen_app, librarian):
    assert b'name="slides"' in librarian.get("/screens/new").data
    response = create_screen(librarian, slides=["board:all", "board:week"])
    assert response.status_code == 302
    [screen] = stored(screen_app)
    assert (screen.name, screen.locale, screen.seconds_per_slide) == ("Main lobby", "en", 12)
    assert json.loads(screen.slides) == ["board:all", "board:week"]
    assert b"Main lobby" in librarian.get("/screens/").data
    response = librarian.post(f"/screens/{screen.id}", data={"name": "Reading room", "locale": "zh_Hans",
                                                             "seconds_per_slide": "30", "slides": ["board:month"]})
    assert response.status_code == 302
    [screen] = stored(screen_app)
    assert (screen.name, screen.locale, screen.seconds_per_slide, json.loads(screen.slides)) == \
        ("Reading room", "zh_Hans", 30, ["board:month"])


def test_slide_choices_are_in_the_librarians_language(screen_app, librarian):
    # The screen shows English; the librarian editing it reads Chinese, plugins' slides included.
    create_screen(librarian)
    [screen] = stored(screen_app)
    page = librarian.get(f"/screens/{screen.id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "故事投票" in page and "Story poll" not in page


def test_cohort_boards_are_offered(screen_app, librarian):
    new_user(screen_app, cohort="Physics")
    assert b"board:cohort:Physics" in librarian.get("/screens/new").data
    assert create_screen(librarian, slides=["board:cohort:Physics"]).status_code == 302


@pytest.mark.parametrize("change", [
    {"name": "  "},
    {"seconds_per_slide": "4"},
    {"seconds_per_slide": "301"},
    {"seconds_per_slide": "soon"},
    {"slides": ["board:never"]},
    {"slides": ["plugin:nobody:thing"]},
    {"slides": []},
    {"locale": "fr"},
])
def test_bad_input_is_refused_and_nothing_saved(screen_app, librarian, change):
    response = create_screen(librarian, **change)
    assert response.status_code == 400
    assert b'role="alert"' in response.data
    assert stored(screen_app) == []


def test_students_are_refused_and_strangers_sent_to_sign_in(screen_app):
    student = login(screen_app, new_user(screen_app))
    for url in ("/screens/", "/screens/new"):
        assert student.get(url).status_code == 403
    assert create_screen(student).status_code == 403
    anonymous = screen_app.test_client().get("/screens/")
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]


# --- the secret URL --------------------------------------------------------------------------

def test_forged_revoked_and_deleted_addresses_get_a_bare_403(screen_app, librarian):
    create_screen(librarian, name="Secret lobby")
    address = address_of(librarian)
    tv = screen_app.test_client()
    assert tv.get(address).status_code == 200

    forged = address[:-3] + ("abc" if not address.endswith("abc") else "xyz")
    responses = [tv.get(forged), tv.get(forged + "/slide?n=0"), tv.get("/screen/not-a-token")]

    [screen] = stored(screen_app)
    assert librarian.post(f"/screens/{screen.id}/rotate", data={"confirmed": "1"}).status_code == 302
    responses += [tv.get(address), tv.get(address + "/slide?n=1")]
    rotated = address_of(librarian)
    assert rotated != address and tv.get(rotated).status_code == 200

    assert librarian.post(f"/screens/{screen.id}/delete", data={"confirmed": "1"}).status_code == 302
    responses += [tv.get(rotated), tv.get(rotated + "/slide?n=0")]
    for response in responses:
        assert response.status_code == 403
        assert b"Secret lobby" not in response.data and b"board" not in response.data.lower()
    assert len({r.data for r in responses}) == 1  # the same answer whatever went wrong


def test_another_worker_honours_a_revocation(app_factory, screen_app, librarian):
    create_screen(librarian)
    address = address_of(librarian)
    other = app_factory(plugins=(example_plugin,), SCREEN_VERSION_SECONDS=0)
    assert other.test_client().get(address).status_code == 200
    [screen] = stored(screen_app)
    librarian.post(f"/screens/{screen.id}/rotate", data={"confirmed": "1"})
    assert other.test_client().get(address).status_code == 403


# --- slides ----------------------------------------------------------------------------------

def test_slides_show_the_leaderboard_in_the_screens_language(screen_app, librarian):
    leader = new_user(screen_app, display_name="Ada Leader", cohort="Physics")
    hidden = new_user(screen_app, display_name="Hidden Hannah", hide_from_boards=True)
    pay(screen_app, leader, 50, "a")
    pay(screen_app, hidden, 90, "b")
    create_screen(librarian, locale="zh_Hans", slides=["board:all", "board:week"])
    address = address_of(librarian)
    tv = screen_app.test_client()
    page = tv.get(address).data.decode()
    assert 'lang="zh-Hans"' in page and "Ada Leader" in page and "Physics" in page and ">50<" in page
    assert "Hidden Hannah" not in page
    assert "Main lobby" in page and "<svg" in page and "every 12s" in page
    assert "/vendor/htmx.min.js" in page
    first = tv.get(address + "/slide?n=0")
    assert first.status_code == 200 and b"<html" not in first.data
    assert first.headers["Cache-Control"] == "no-cache" and first.headers["ETag"]
    assert f'hx-get="{address}/slide?n=1"' in first.data.decode()
    second = tv.get(address + "/slide?n=1").data.decode()
    assert f'hx-get="{address}/slide?n=0"' in second  # back to the first slide after the last
    assert "Ada Leader" in second  # the week board has this week's points too


def test_a_matching_etag_gets_304_without_any_sql(app_factory):
    app = app_factory(plugins=(example_plugin,), SCREEN_VERSION_SECONDS=60, PLUGIN_REFRESH_SECONDS=60)
    lib = login(app, new_user(app, Role.librarian, email="l@x.library"))
    create_screen(lib)
    address = address_of(lib)
    tv = app.test_client()
    first = tv.get(address + "/slide?n=0")
    etag = first.headers["ETag"]

    statements = []
    engine = app.extensions["engage.db"].engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        again = tv.get(address + "/slide?n=0", headers={"If-None-Match": etag})
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert statements == []


def test_polls_are_answered_before_flask_does_any_work(app_factory):
    """A current ETag gets 304, and a TV without one gets the fragment already rendered for it,
    both from the version cache: no request handling (routing, session, sign-in, hooks) at all."""
    app = app_factory(plugins=(example_plugin,), SCREEN_VERSION_SECONDS=60, PLUGIN_REFRESH_SECONDS=60)
    lib = login(app, new_user(app, Role.librarian, email="l@x.library"))
    create_screen(lib)
    address = address_of(lib)
    first = app.test_client().get(address + "/slide?n=0")
    assert first.status_code == 200
    handled = []
    request_started.connect(lambda sender, **extra: handled.append(1), app, weak=False)
    not_modified = app.test_client().get(address + "/slide?n=0", headers={"If-None-Match": first.headers["ETag"]})
    cached = app.test_client().get(address + "/slide?n=0")  # another TV, just switched on
    assert not_modified.status_code == 304 and not_modified.headers["ETag"] == first.headers["ETag"]
    assert cached.status_code == 200 and cached.data == first.data and cached.headers["ETag"] == first.headers["ETag"]
    assert cached.mimetype == "text/html" and handled == []
    # Everything else takes the ordinary path, e.g. a forged token.
    assert app.test_client().get("/screen/forged/slide?n=0").status_code == 403 and handled == [1]


def test_a_new_award_changes_the_etag(screen_app, librarian):
    reader = new_user(screen_app, display_name="Busy Bee")
    create_screen(librarian)
    address = address_of(librarian)
    tv = screen_app.test_client()
    etag = tv.get(address + "/slide?n=0").headers["ETag"]
    assert tv.get(address + "/slide?n=0", headers={"If-None-Match": etag}).status_code == 304
    pay(screen_app, reader, 5, "new")
    fresh = tv.get(address + "/slide?n=0", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != etag and b"Busy Bee" in fresh.data


def _board_version(app):
    from core.ledger_sql import BOARD_VERSION

    with app.extensions["engage.db"].engine.connect() as conn:
        return conn.execute(BOARD_VERSION).scalar_one()


def test_the_board_version_moves_with_each_commit_that_pays_and_not_with_a_rollback(screen_app):
    reader = new_user(screen_app)
    db = screen_app.extensions["engage.db"]
    before = _board_version(screen_app)
    pay(screen_app, reader, 5, "one")
    assert _board_version(screen_app) == before + 1
    with screen_app.app_context():
        with db.write_session() as session:  # two awards, one transaction: one step
            award(session, user_id=reader.id, amount=1, rule="read", plugin="core", idempotency_key="two")
            award(session, user_id=reader.id, amount=1, rule="read", plugin="core", idempotency_key="three")
        assert _board_version(screen_app) == before + 2
        with db.session(write=True) as session:
            award(session, user_id=reader.id, amount=1, rule="read", plugin="core", idempotency_key="gone")
            session.rollback()
            session.commit()  # nothing left to commit: the version must not move
        assert _board_version(screen_app) == before + 2
        with db.write_session() as session:  # a duplicate pays nothing and changes nothing
            award(session, user_id=reader.id, amount=5, rule="read", plugin="core", idempotency_key="one")
        assert _board_version(screen_app) == before + 2


def test_a_lower_id_committing_after_a_higher_one_changes_the_etag(screen_app, librarian):
    """On PostgreSQL ids are taken at insert: a board version of max(id) missed this award."""
    if screen_app.extensions["engage.db"].is_sqlite:
        pytest.skip("SQLite has one writer: a lower id cannot commit after a higher one")
    from core.models import PointEntry

    early, late = new_user(screen_app, display_name="Early Ema"), new_user(screen_app, display_name="Late Lou")
    create_screen(librarian)
    address = address_of(librarian)
    tv = screen_app.test_client()
    db = screen_app.extensions["engage.db"]
    with screen_app.app_context():
        slow = db.session(write=True)  # transaction A: inserts first, commits last
        # (500 and 5 points touch different rank-count rows, so B need not wait for A)
        award(slow, user_id=early.id, amount=500, rule="read", plugin="core", idempotency_key="slow")
        low_id = slow.execute(select(PointEntry.id).where(PointEntry.idempotency_key == "slow")).scalar_one()
        pay(screen_app, late, 5, "fast")  # transaction B: a higher id, committed at once
        polled = tv.get(address + "/slide?n=0")
        assert b"Late Lou" in polled.data and b"Early Ema" not in polled.data
        etag = polled.headers["ETag"]
        slow.commit()
        slow.close()
        with db.session() as session:
            assert session.execute(select(PointEntry.id).order_by(PointEntry.id.desc())).first()[0] > low_id
    fresh = tv.get(address + "/slide?n=0", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and b"Early Ema" in fresh.data


def test_opting_out_changes_the_etag(screen_app, librarian):
    reader = new_user(screen_app, display_name="Shy Sam")
    pay(screen_app, reader, 5, "k")
    create_screen(librarian)
    address = address_of(librarian)
    tv = screen_app.test_client()
    first = tv.get(address + "/slide?n=0")
    assert b"Shy Sam" in first.data
    with screen_app.app_context(), screen_app.extensions["engage.db"].write_session() as session:
        from core.models import User

        session.get(User, reader.id).hide_from_boards = True
    fresh = tv.get(address + "/slide?n=0", headers={"If-None-Match": first.headers["ETag"]})
    assert fresh.status_code == 200 and b"Shy Sam" not in fresh.data


def test_a_switched_off_plugins_slide_disappears(screen_app, librarian):
    create_screen(librarian, slides=["board:all", "plugin:example:spotlight"])
    address = address_of(librarian)
    tv = screen_app.test_client()
    slide = tv.get(address + "/slide?n=1").data
    assert b"example slide body" in slide and b"Scan to join" in slide
    with screen_app.app_context(), screen_app.extensions["engage.db"].write_session() as session:
        set_enabled(session, name="example", enabled=False, actor_id=None)
    for n in (0, 1, 2):
        assert b"example slide body" not in tv.get(f"{address}/slide?n={n}").data
    with screen_app.app_context(), screen_app.extensions["engage.db"].write_session() as session:
        set_enabled(session, name="example", enabled=True, actor_id=None)
    assert b"example slide body" in tv.get(address + "/slide?n=1").data


def test_the_qr_code_points_at_the_activity(screen_app, librarian):
    import segno

    create_screen(librarian, slides=["board:week"])
    slide = screen_app.test_client().get(address_of(librarian) + "/slide?n=0").data.decode()
    # With the source tag that counts a scan from the lobby for the slide (core.source_tags).
    expected = segno.make("http://localhost/boards/week?src=screen.board:week", error="m").svg_inline(
        scale=1, dark="#0b1f24", light="#ffffff", omitsize=True)
    assert expected in slide
