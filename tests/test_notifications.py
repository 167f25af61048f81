"""The inbox and levels: notices in both languages, the unread badge, level-ups, thresholds."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.levels import DEFAULT_LEVELS, progress, _defaults
from core.models import Level, Notification, Role
from core.notifications import notify, unread_count
from core.points import award


def give(app, db, user, amount, key):
    with app.app_context(), db.write_session() as session:
        award(session, user_id=user.id, amount=amount, rule="read", plugin="core", idempotency_key=key)


def notes(db, user):
    with db.session() as session:
        return list(session.execute(select(Notification).where(Notification.user_id == user.id)
                                    .order_by(Notification.id)).scalars())


def test_notification_is_kept_in_both_languages(app, db, make_user):
    from flask_babel import gettext as _

    user = make_user()
    with app.app_context(), db.write_session() as session:
        notify(session, user_id=user.id, plugin="core", kind="test", message=lambda: _("Notifications"))
    note = notes(db, user)[0]
    assert (note.text_en, note.text_zh) == ("Notifications", "通知")


def test_unread_badge_and_mark_read(client, auth, app, db, make_user):
    user = make_user()
    with app.app_context(), db.write_session() as session:
        for n in range(3):
            notify(session, user_id=user.id, plugin="core", kind="test", message={"en": f"note {n}", "zh_Hans": f"消息 {n}"},
                   url="/me")
    auth.login(user.email)
    badge = client.get("/notifications/count", headers={"HX-Request": "true"}).data.decode()
    assert '<span class="count"' in badge and ">3</span>" in badge and "<html" not in badge
    first = notes(db, user)[0]
    response = client.post(f"/notifications/{first.id}/read")
    assert response.status_code == 302 and response.headers["Location"] == "/me"
    with db.session() as session:
        assert unread_count(session, user.id) == 2
    response = client.post("/notifications/read-all", headers={"HX-Request": "true"})
    assert response.headers["HX-Trigger"] == "notificationsChanged" and b'id="inbox"' in response.data
    with db.session() as session:
        assert unread_count(session, user.id) == 0
    assert b'class="count"' not in client.get("/notifications/count").data


def test_nobody_reads_another_users_notifications(client, auth, app, db, make_user):
    owner, other = make_user(), make_user()
    with app.app_context(), db.write_session() as session:
        note_id = notify(session, user_id=owner.id, plugin="core", kind="test", message={"en": "private", "zh_Hans": "私信"})
    auth.login(other.email)
    assert client.post(f"/notifications/{note_id}/read").status_code == 404
    assert b"private" not in client.get("/notifications/").data
    with db.session() as session:
        assert unread_count(session, owner.id) == 1


def test_inbox_needs_sign_in(client):
    assert client.get("/notifications/").status_code == 302


def test_crossing_a_threshold_notifies_once(app, db, make_user):
    user = make_user()
    give(app, db, user, 30, "a")
    give(app, db, user, 30, "b")   # 60: level 2
    give(app, db, user, 30, "c")   # 90: still level 2
    give(app, db, user, -80, "d")  # down to 10
    give(app, db, user, 50, "e")   # back to 60: crossing the threshold again is a new level-up
    kinds = [(n.kind, n.text_en) for n in notes(db, user) if n.kind == "level-up"]  # (badges notify too)
    assert kinds == [("level-up", "Level up! You are now level 2: Regular Reader."),
                     ("level-up", "Level up! You are now level 2: Regular Reader.")]
    level_up = [n for n in notes(db, user) if n.kind == "level-up"][0]
    assert "常客" in level_up.text_zh and "升级" in level_up.text_zh


def test_progress_to_the_next_level():
    levels = _defaults()
    start = progress(0, levels)
    assert (start.level.number, start.next.number, start.to_next, start.percent) == (1, 2, 50, 0)
    mid = progress(100, levels)
    assert (mid.level.number, mid.to_next, mid.percent) == (2, 50, 50)
    top = progress(10_000, levels)
    assert top.next is None and top.percent == 100


def test_home_and_profile_show_the_level_bar(client, auth, app, db, make_user):
    user = make_user()
    give(app, db, user, 100, "x")
    auth.login(user.email)
    for path in ("/", "/me"):
        page = client.get(path).data.decode()
        assert 'role="progressbar"' in page and 'aria-valuenow="50"' in page and "Regular Reader" in page


@pytest.fixture
def admin_client(client, auth, make_user):
    auth.login(make_user(Role.admin).email)
    return client


def level_form(rows):
    data = {}
    for i, (threshold, en, zh) in enumerate(rows):
        data[f"rows-{i}-threshold"], data[f"rows-{i}-name_en"], data[f"rows-{i}-name_zh"] = threshold, en, zh
    return data


def test_admin_sets_levels(admin_client, app, db):
    form = admin_client.get("/admin/levels").data.decode()
    assert f'value="{DEFAULT_LEVELS[1][0]}"' in form
    response = admin_client.post("/admin/levels", data=level_form([("0", "Reader", "读者"), ("10", "Friend", "书友")]))
    assert response.status_code == 302
    with db.session() as session:
        assert [(l.threshold, l.name_en) for l in session.execute(select(Level).order_by(Level.number)).scalars()] == \
            [(0, "Reader"), (10, "Friend")]
    assert b"Levels saved" in admin_client.get("/admin/audit").data


@pytest.mark.parametrize("rows, message", [
    ([("0", "A", "甲"), ("50", "B", "乙"), ("50", "C", "丙")], b"Thresholds must increase"),
    ([("0", "A", "甲"), ("40", "B", "乙"), ("20", "C", "丙")], b"Thresholds must increase"),
    ([("5", "A", "甲")], b"must start at 0"),
    ([("0", "A", "")], b"name in English and in Chinese"),
    ([("0", "A", "甲"), ("", "B", "乙")], b"needs a number of points"),
    ([("0", "A", "甲"), ("-3", "B", "乙")], b"Number must be"),
])
def test_bad_levels_are_refused(admin_client, db, rows, message):
    response = admin_client.post("/admin/levels", data=level_form(rows))
    assert response.status_code == 400 and message in response.data
    with db.session() as session:
        assert session.execute(select(func.count()).select_from(Level)).scalar_one() == 0


def test_only_admins_set_levels(client, auth, make_user):
    auth.login(make_user(Role.librarian).email)
    assert client.post("/admin/levels", data=level_form([("0", "A", "甲")])).status_code == 403
