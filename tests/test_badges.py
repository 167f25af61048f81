"""Badges: every kind of criteria grants once in the earning transaction; pages, awards, artwork."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

import example_plugin
from core.testing import create_test_user
from core import badge_artwork, badges
from core.activity import record_activity
from core.models import ActivityEntry, AuditEntry, BadgeAward, BadgeImage, Notification, Role
from core.periods import Calendar
from core.plugins import set_enabled
from core.points import award


@pytest.fixture
def ex_app(app_factory):
    example_plugin.events.clear()
    return app_factory(plugins=(example_plugin,))


@pytest.fixture
def ex_db(ex_app):
    return ex_app.extensions["engage.db"]


@pytest.fixture
def user_in(ex_app):
    return lambda role=Role.student, **fields: create_test_user(ex_app, role, **fields)


def login(app, user):
    client = app.test_client()
    client.post("/auth/login", data={"email": user.email, "password": "correct horse battery"})
    return client


def held(db, user_id=None, key=None):
    query = select(BadgeAward.user_id, BadgeAward.badge_key)
    if user_id is not None:
        query = query.where(BadgeAward.user_id == user_id)
    if key is not None:
        query = query.where(BadgeAward.badge_key == key)
    with db.session() as session:
        return sorted(session.execute(query).all())


def pay(app, db, user, amount, key):
    with app.app_context(), db.write_session() as session:
        award(session, user_id=user.id, amount=amount, rule="read", plugin="core", idempotency_key=key)


def quest(app, db, user, ref):
    with app.app_context(), db.write_session() as session:
        record_activity(session, user_id=user.id, plugin="example", kind="quest", source_ref=ref)


def switch(app, name, enabled):
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        set_enabled(session, name=name, enabled=enabled, actor_id=None)


# --- criteria kinds -------------------------------------------------------------------------

def test_points_thresholds_grant_once_each(ex_app, ex_db, user_in):
    user = user_in()
    pay(ex_app, ex_db, user, 40, "a")
    assert held(ex_db, user.id) == [(user.id, "core:first-points")]
    pay(ex_app, ex_db, user, 70, "b")           # 110: crosses 50 (example) and 100 (core)
    pay(ex_app, ex_db, user, -100, "c")         # back to 10
    pay(ex_app, ex_db, user, 100, "d")          # crosses 50 and 100 again: no second grant
    assert [k for _u, k in held(ex_db, user.id)] == ["core:first-points", "core:points-100", "example:rich"]


def test_points_badge_rolls_back_with_the_award(ex_app, ex_db, user_in):
    user = user_in()
    with ex_app.app_context(), ex_db.session(write=True) as session:
        award(session, user_id=user.id, amount=150, rule="read", plugin="core", idempotency_key="x")
        assert session.execute(select(func.count()).select_from(BadgeAward)).scalar_one() == 3
        session.rollback()
    assert held(ex_db) == []
    with ex_db.session() as session:
        assert session.execute(select(func.count()).select_from(Notification)).scalar_one() == 0


def test_activity_count_grants_once_and_rolls_back(ex_app, ex_db, user_in):
    first, second = user_in(), user_in()
    quest(ex_app, ex_db, first, "1")             # first ever quest: pioneer
    with ex_app.app_context(), ex_db.session(write=True) as session:
        record_activity(session, user_id=second.id, plugin="example", kind="quest", source_ref="1")
        record_activity(session, user_id=second.id, plugin="example", kind="quest", source_ref="2")
        assert ("example:quester",) in [(k,) for k in session.execute(
            select(BadgeAward.badge_key).where(BadgeAward.user_id == second.id)).scalars()]
        session.rollback()
    assert held(ex_db, second.id) == []
    quest(ex_app, ex_db, second, "1")
    quest(ex_app, ex_db, second, "2")
    quest(ex_app, ex_db, second, "3")
    assert held(ex_db, second.id) == [(second.id, "example:quester")]


def test_first_to_do_goes_to_one_reader_only(ex_app, ex_db, user_in):
    first, second = user_in(), user_in()
    quest(ex_app, ex_db, first, "1")
    quest(ex_app, ex_db, second, "2")
    assert held(ex_db, key="example:pioneer") == [(first.id, "example:pioneer")]


def test_first_to_do_rolls_back(ex_app, ex_db, user_in):
    first, second = user_in(), user_in()
    with ex_app.app_context(), ex_db.session(write=True) as session:
        record_activity(session, user_id=first.id, plugin="example", kind="quest", source_ref="1")
        session.rollback()
    quest(ex_app, ex_db, second, "1")
    assert held(ex_db, key="example:pioneer") == [(second.id, "example:pioneer")]


def test_grant_is_exactly_once_even_when_repeated_or_raced(ex_app, ex_db, user_in):
    user = user_in()
    with ex_app.app_context():
        rule = badges.CORE_RULES[-1]
        for _ in range(2):  # two transactions, one after the other
            with ex_db.write_session() as session:
                badges.grant(session, user_id=user.id, rule=rule)
        with ex_db.write_session() as session:
            assert badges.grant(session, user_id=user.id, rule=rule) is None
    assert held(ex_db, user.id) == [(user.id, rule.key)]
    # a writer that skips ON CONFLICT hits the unique constraint: the database itself refuses
    with pytest.raises(IntegrityError), ex_db.write_session() as session:
        session.add(BadgeAward(user_id=user.id, badge_key=rule.key))
        session.flush()


def test_concurrent_first_claims_are_settled_by_the_database(ex_app, ex_db, user_in):
    first, second = user_in(), user_in()
    with ex_db.write_session() as session:
        session.add(BadgeAward(user_id=first.id, badge_key="example:pioneer", sole_key="example:pioneer"))
    with pytest.raises(IntegrityError), ex_db.write_session() as session:
        session.add(BadgeAward(user_id=second.id, badge_key="example:pioneer", sole_key="example:pioneer"))
        session.flush()


def test_grant_sends_a_notification_in_both_languages(ex_app, ex_db, user_in):
    user = user_in()
    pay(ex_app, ex_db, user, 5, "a")
    with ex_db.session() as session:
        note = session.execute(select(Notification).where(Notification.kind == "badge")).scalar_one()
    assert note.user_id == user.id and "First points" in note.text_en and "初次得分" in note.text_zh
    assert note.url == "/badges/core:first-points"
    assert ("badge", user.id, "core:first-points") in example_plugin.events


# --- weekly streaks -----------------------------------------------------------------------

def add_activity(db, user, *moments):
    with db.write_session() as session:
        for n, moment in enumerate(moments):
            session.add(ActivityEntry(user_id=user.id, plugin="example", kind="visit", source_ref=f"{moment}-{n}",
                                      created_at=moment))


def week(n):  # noon on the Wednesday of ISO week n of 2026 (Shanghai time)
    return datetime(2025, 12, 31, 4, tzinfo=timezone.utc) + timedelta(weeks=n - 1)


def test_weekly_streak_counts_consecutive_weeks_and_skips_holidays(ex_app, ex_db, user_in):
    user = user_in()
    calendar = Calendar("Asia/Shanghai")
    add_activity(ex_db, user, week(5), week(6), week(8), week(10))
    with ex_app.app_context(), ex_db.session() as session:
        def streak(at, holidays=()):
            return badges.weekly_streak(session, user.id, at=at, calendar=calendar, holidays=holidays)

        assert calendar.keys(week(9))["week"] == "2026-W09"
        assert streak(week(10)) == 1                      # week 9 was empty: the run is broken
        assert streak(week(10), {"2026-W09"}) == 2        # a holiday week does not break it…
        assert streak(week(10), {"2026-W09", "2026-W07"}) == 4
        assert streak(week(11)) == 1                      # the current week may still be empty
        assert streak(week(12)) == 0
    add_activity(ex_db, user, week(9))                    # activity in a holiday week…
    with ex_app.app_context(), ex_db.session() as session:
        assert badges.weekly_streak(session, user.id, at=week(10), calendar=calendar,
                                    holidays={"2026-W09"}) == 2  # …does not extend the run
        assert badges.weekly_streak(session, user.id, at=week(10), calendar=calendar) == 3


def test_weekly_streaks_reads_many_readers_at_once_and_only_as_far_back_as_asked(ex_app, ex_db, user_in):
    steady, broken, idle = user_in(), user_in(), user_in()
    calendar = Calendar("Asia/Shanghai")
    add_activity(ex_db, steady, *(week(n) for n in range(2, 11)))  # nine weeks running
    add_activity(ex_db, broken, week(5), week(6), week(8), week(10))
    with ex_app.app_context(), ex_db.session() as session:
        users = [steady.id, broken.id, idle.id]
        full = badges.weekly_streaks(session, users, at=week(10), calendar=calendar, holidays=())
        assert full == {steady.id: 9, broken.id: 1}  # no run: left out
        assert full == {u: badges.weekly_streak(session, u, at=week(10), calendar=calendar, holidays=())
                        for u in users if u != idle.id}
        # Asked whether a run reaches 4 weeks, it reads about 5 weeks back: 9 weeks count as "at least 4".
        short = badges.weekly_streaks(session, users, at=week(10), calendar=calendar, holidays=(), enough=4)
        assert short[steady.id] >= 4 and short[broken.id] == 1
        holidays = {"2026-W09", "2026-W07"}  # holidays lengthen what is read, so the answer holds
        assert badges.weekly_streaks(session, [broken.id], at=week(10), calendar=calendar, holidays=holidays,
                                     enough=4) == {broken.id: 4}


def test_weekly_streaks_of_readers_active_that_week_read_only_the_weeks_before(ex_app, ex_db, user_in):
    """Readers who have just done the activity were active in its week: told so, the streaks come
    out the same, and they no longer depend on that week's activities (most of a busy week's),
    which are not read."""
    steady, broken, new = user_in(), user_in(), user_in()
    calendar = Calendar("Asia/Shanghai")
    add_activity(ex_db, steady, *(week(n) for n in range(2, 11)))
    add_activity(ex_db, broken, week(5), week(6), week(8), week(10))
    add_activity(ex_db, new, week(10))
    users = [steady.id, broken.id, new.id]
    with ex_app.app_context(), ex_db.session() as session:
        told = badges.weekly_streaks(session, users, at=week(10), calendar=calendar, holidays=(), active_that_week=True)
        assert told == badges.weekly_streaks(session, users, at=week(10), calendar=calendar, holidays=()) == {
            steady.id: 9, broken.id: 1, new.id: 1}
    with ex_db.write_session() as session:  # that week's activities are not read
        session.execute(delete(ActivityEntry).where(ActivityEntry.user_id.in_(users),
                                                    ActivityEntry.created_at >= week(10)))
    with ex_app.app_context(), ex_db.session() as session:
        assert badges.weekly_streaks(session, users, at=week(10), calendar=calendar, holidays=(),
                                     active_that_week=True) == told
        assert badges.weekly_streaks(session, users, at=week(10), calendar=calendar, holidays=()) == {steady.id: 8}


def test_weekly_streak_badge_is_granted_by_the_activity_that_completes_it(ex_app, ex_db, user_in, monkeypatch):
    user = user_in()
    ex_app.config["HOLIDAY_WEEKS"] = ["2026-W02"]
    with ex_db.write_session() as session:
        for n in (1, 3):
            session.add(ActivityEntry(user_id=user.id, plugin="example", kind="quest", source_ref=f"w{n}",
                                      created_at=week(n)))
    monkeypatch.setattr("core.activity.utcnow", lambda: week(4))
    quest(ex_app, ex_db, user, "w4")
    assert (user.id, "example:steady") in held(ex_db, user.id)


# --- switched-off plugins -------------------------------------------------------------------

def test_disabled_plugin_rules_stop_awarding_but_issued_badges_stay(ex_app, ex_db, user_in):
    user = user_in()
    quest(ex_app, ex_db, user, "1")                       # pioneer, while the plugin is on
    switch(ex_app, "example", False)
    quest(ex_app, ex_db, user, "2")                       # would earn quester: not evaluated
    pay(ex_app, ex_db, user, 60, "p")                     # would earn example:rich: not evaluated
    assert [k for _u, k in held(ex_db, user.id)] == ["core:first-points", "example:pioneer"]
    client = login(ex_app, user)
    page = client.get("/badges/").data.decode()
    assert "Pioneer" not in page and "Quester" not in page and "First points" in page  # not on offer
    assert client.get("/badges/example:quester").status_code == 404  # never issued: gone with its plugin
    earned = client.get("/badges/example:pioneer").data.decode()   # issued: still the holder's
    assert "Earned on" in earned and "switched off at the moment" in earned
    assert "Pioneer" in client.get("/me").data.decode()

    switch(ex_app, "example", True)
    page = client.get("/me").data.decode()
    assert "Pioneer" in page                              # kept all along
    earned = client.get("/badges/example:pioneer").data.decode()
    assert "Earned on" in earned and "switched off at the moment" not in earned


def test_duplicate_badge_keys_stop_the_app(app_factory):
    class Copycat:
        NAME = "copycat"
        TITLE = DESCRIPTION = {"en": "x", "zh_Hans": "x"}

        @staticmethod
        @example_plugin.hookimpl
        def engage_badge_rules():
            return badges.BadgeRule("example:pioneer", {"en": "P", "zh_Hans": "P"}, {"en": "p", "zh_Hans": "p"},
                                    "manual")

    with pytest.raises(badges.BadgeRuleError, match="example:pioneer.*example.*copycat|example:pioneer.*copycat.*example"):
        app_factory(plugins=(example_plugin, Copycat()))


def test_bad_rules_are_refused():
    with pytest.raises(badges.BadgeRuleError, match="needs threshold"):
        badges.BadgeRule("x:y", {"en": "a", "zh_Hans": "a"}, {"en": "a", "zh_Hans": "a"}, "points").check()
    with pytest.raises(badges.BadgeRuleError, match="kind must be"):
        badges.BadgeRule("x:y", {"en": "a", "zh_Hans": "a"}, {"en": "a", "zh_Hans": "a"}, "luck").check()


# --- pages ---------------------------------------------------------------------------------

def test_catalogue_shows_how_to_earn_rarity_and_progress(ex_app, ex_db, user_in):
    reader, other = user_in(), user_in()
    pay(ex_app, ex_db, reader, 30, "a")
    quest(ex_app, ex_db, reader, "1")
    anonymous = ex_app.test_client().get("/badges/").data.decode()
    assert "Reach 100 points in total." in anonymous and "Finish two quests." in anonymous
    assert "Held by 1 reader (50%)" in anonymous and "/ 100 points" not in anonymous
    page = login(ex_app, reader).get("/badges/").data.decode()
    assert "30 / 100 points" in page and "1 / 2 times" in page and "Earned on" in page
    assert "0 / 3 weeks in a row" not in page and "1 / 3 weeks in a row" in page
    assert "/ 4 weeks in a row" in page
    assert 'aria-valuenow="30"' in page
    assert "Someone has already been first." in login(ex_app, other).get("/badges/").data.decode()


def test_progress_and_rarity_read_well(ex_app):
    from flask import render_template_string

    once = badges.BadgeRule("x:once", {"en": "Once", "zh_Hans": "一次"}, {"en": "a", "zh_Hans": "a"},
                            "activity_count", "x", activity=("x", "y"), count=1)
    macros = '{% from "badges/_badge.html" import progress, rarity %}'
    with ex_app.test_request_context(headers={"Accept-Language": "en"}):
        # A plural that agrees with its number, never "0 / 1 times".
        text = render_template_string(macros + "{{ progress(b) }}", b=badges.BadgeView(once, 0, 0.0, None, 0))
        assert "0 / 1 time" in text and "times" not in text
        # One holder among 300 readers is rare, but not "0%".
        text = render_template_string(macros + "{{ rarity(b) }}", b=badges.BadgeView(once, 1, 1 / 300))
        assert "Held by 1 reader (&lt;1%)" in text and "(0%)" not in text
        assert "Nobody holds this badge yet." in render_template_string(macros + "{{ rarity(b) }}",
                                                                       b=badges.BadgeView(once, 0, 0.0))
        # How a badge is earned, in readers' words rather than the rule's kind.
        assert render_template_string("{{ badge_kind_label('activity_count') }}") == "Earned by taking part"


def test_detail_lists_holders_but_never_those_who_opted_out(ex_app, ex_db, user_in):
    shown = user_in(display_name="Visible Heron")
    hidden = user_in(display_name="Secret Owl", hide_from_boards=True)
    for n, user in enumerate((shown, hidden)):
        pay(ex_app, ex_db, user, 5, f"p{n}")
    page = ex_app.test_client().get("/badges/core:first-points").data.decode()
    assert "Visible Heron" in page and "Secret Owl" not in page and "and 1 other<" in page
    assert "Earn your first point" in page
    assert ex_app.test_client().get("/badges/nope:nothing").status_code == 404


def test_profile_lists_my_badges_and_menu_links_badges(ex_app, ex_db, user_in):
    user = user_in()
    client = login(ex_app, user)
    assert "My badges" in client.get("/me").data.decode()
    pay(ex_app, ex_db, user, 5, "a")
    page = client.get("/me").data.decode()
    assert "First points" in page and 'href="/badges/"' in page


def test_generated_emblem_is_svg_and_cached(ex_app):
    client = ex_app.test_client()
    response = client.get("/badges/core:champion/image")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    # A star, not the English name's initials: the same image reads in both languages.
    assert b"<polygon" in response.data and b"<text" not in response.data
    assert "max-age=86400" in response.headers["Cache-Control"]
    again = client.get("/badges/core:champion/image", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/badges/core:champion/image").data == response.data  # deterministic
    assert badge_artwork.badge_colour("core:champion") != badge_artwork.badge_colour("core:points-100")
    assert client.get("/badges/nope/image").status_code == 404


# --- manual awards --------------------------------------------------------------------------

def test_manual_award_needs_a_librarian_and_a_reason(ex_app, ex_db, user_in):
    student = user_in(member_number="S-100")
    librarian = user_in(Role.librarian)
    assert login(ex_app, student).post("/badges/core:champion/award",
                                       data={"who": student.email, "reason": "because"}).status_code == 403
    client = login(ex_app, librarian)
    assert client.get("/badges/core:champion/award").status_code == 200
    response = client.post("/badges/core:champion/award", data={"who": "S-100", "reason": ""})
    assert response.status_code == 400 and b"A reason is required." in response.data
    response = client.post("/badges/core:champion/award", data={"who": "nobody@x.org", "reason": "great work"})
    assert response.status_code == 400 and b"No reader has this email" in response.data
    assert held(ex_db) == []
    response = client.post("/badges/core:champion/award", data={"who": "S-100", "reason": "Ran the reading week"})
    assert response.status_code == 302
    assert held(ex_db) == [(student.id, "core:champion")]
    with ex_db.session() as session:
        row = session.execute(select(BadgeAward)).scalar_one()
        assert (row.reason, row.actor_id) == ("Ran the reading week", librarian.id)
        audit = session.execute(select(AuditEntry).where(AuditEntry.action == "badge.award")).scalar_one()
        assert audit.reason == "Ran the reading week" and audit.target == f"user:{student.id}"
    again = client.post("/badges/core:champion/award", data={"who": student.email, "reason": "once more"})
    assert again.status_code == 400 and b"already holds" in again.data
    assert client.get("/badges/core:first-points/award").status_code == 404  # not a manual badge


# --- artwork uploads ---------------------------------------------------------------------------

def image_bytes(fmt="JPEG", size=(400, 300), exif=True):
    image = Image.new("RGB", size, (200, 40, 40))
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCamera"  # Make
        image.save(out, format=fmt, exif=data.tobytes())
    else:
        image.save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def admin(ex_app, user_in):
    return login(ex_app, user_in(Role.admin))


def upload(client, data, name="art.png"):
    return client.post("/badges/core:champion/artwork", data={"image": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def stored(db):
    with db.session() as session:
        return session.execute(select(BadgeImage)).scalars().all()


def test_disguised_or_oversized_uploads_are_refused(admin, ex_db):
    assert admin.get("/badges/manage").status_code == 200
    response = upload(admin, b"just some text, honestly\n" * 10)
    assert response.status_code == 400 and b"not a PNG, JPEG, WebP or GIF" in response.data
    bmp = io.BytesIO()
    Image.new("RGB", (10, 10)).save(bmp, format="BMP")  # a real image, of a kind not accepted
    response = upload(admin, bmp.getvalue())
    assert response.status_code == 400 and b"not a PNG, JPEG, WebP or GIF" in response.data  # no BMP parser runs
    response = upload(admin, b"\x89PNG" + b"0" * (badge_artwork.MAX_UPLOAD_BYTES + 10))
    assert response.status_code == 413 and b"larger than 1 MB" in response.data
    assert stored(ex_db) == []


def test_real_image_is_reencoded_to_a_clean_png(admin, ex_app, ex_db):
    response = upload(admin, image_bytes(), name="photo.jpg")
    assert response.status_code == 302
    [row] = stored(ex_db)
    with Image.open(io.BytesIO(row.data)) as image:
        assert (image.format, image.size) == ("PNG", (256, 256))
        assert "exif" not in image.info and not image.getexif()
    assert b"SecretCamera" not in row.data
    served = ex_app.test_client().get("/badges/core:champion/image")
    assert served.mimetype == "image/png" and served.data == row.data
    with ex_db.session() as session:
        assert session.execute(select(AuditEntry).where(AuditEntry.action == "badge.artwork")).scalar_one()


def test_only_admins_upload_artwork(ex_app, user_in):
    client = login(ex_app, user_in(Role.librarian))
    assert upload(client, image_bytes()).status_code == 403
    assert client.get("/badges/manage").status_code == 403


def test_revoked_badge_is_not_shown_or_granted_again(ex_app, ex_db, user_in):
    user, librarian = user_in(), user_in(Role.librarian)
    with ex_app.test_request_context(), ex_db.write_session() as session:
        assert badges.grant_badge(session, user_id=user.id, key="core:points-500", reason="migrated")
        with pytest.raises(badges.BadgeError):
            badges.grant_badge(session, user_id=user.id, key="nope:nothing")
    with ex_app.test_request_context(), ex_db.write_session() as session:
        with pytest.raises(badges.BadgeError, match="reason"):
            badges.revoke(session, user_id=user.id, key="core:points-500", actor_id=librarian.id, reason="")
        badges.revoke(session, user_id=user.id, key="core:points-500", actor_id=librarian.id, reason="Granted by mistake")
    pay(ex_app, ex_db, user, 600, "big")
    with ex_db.session() as session:
        row = session.execute(select(BadgeAward).where(BadgeAward.badge_key == "core:points-500")).scalar_one()
        assert row.revoked_at is not None and row.revoke_reason == "Granted by mistake"
    assert "Five hundred" not in login(ex_app, user).get("/me").data.decode()
