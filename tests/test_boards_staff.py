"""Readers' boards rank readers; librarians and administrators have a board of their own.

Staff paid for kudos never appear on readers' boards or in their rank counts; a role change
moves a user's rank counts as opting out does; `engage check` follows the same rule; the staff
board is a page (both languages) and a screen slide.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import ranks
from core.accounts import set_role
from core.boards import around_me, my_rank, top
from core.boards_staff import staff_rank
from core.boards_staff import top as staff_top
from core.models import RankCount, Role, User
from core.points import check_totals
from core.screens import ScreenInfo, available_slides, make_token, save_screen
from test_boards import pay, read
from test_i18n import EN, ZH, zh


@pytest.fixture
def library(app, db, make_user):
    """Two readers and three staff (one librarian opted out), all with points."""
    people = {"ann": make_user(display_name="Ann"), "bo": make_user(display_name="Bo"),
              "sun": make_user(Role.librarian, display_name="Sun Hao"),
              "li": make_user(Role.librarian, display_name="Li Quiet", hide_from_boards=True),
              "ada": make_user(Role.admin, display_name="Ada Admin")}
    with app.app_context():
        for name, amount in (("ann", 30), ("bo", 10), ("sun", 500), ("li", 40), ("ada", 20)):
            pay(db, people[name], amount)
    return people


def names(rows):
    return [(row.rank, row.display_name, row.total) for row in rows]


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def test_readers_boards_rank_readers_only(ctx, db, library):
    assert names(read(db, top)) == [(1, "Ann", 30), (2, "Bo", 10)]
    assert names(read(db, top, period="week")) == [(1, "Ann", 30), (2, "Bo", 10)]
    assert read(db, my_rank, user_id=library["bo"].id).rank == 2  # Sun Hao's 500 do not count
    window = read(db, around_me, user_id=library["bo"].id)
    assert "Sun Hao" not in [row.display_name for row in window]


def test_staff_have_a_board_of_their_own(ctx, db, library):
    assert names(read(db, staff_top)) == [(1, "Sun Hao", 500), (2, "Ada Admin", 20)]
    assert names(read(db, staff_top, period="month")) == [(1, "Sun Hao", 500), (2, "Ada Admin", 20)]
    # An opted-out librarian still sees their own rank among the listed staff.
    assert read(db, staff_rank, user_id=library["li"].id).rank == 2
    assert read(db, staff_rank, user_id=library["ada"].id).rank == 2
    assert read(db, staff_rank, user_id=library["ann"].id) is None


def test_rank_counts_hold_readers_only_and_check_agrees(ctx, db, library):
    with db.session() as session:
        assert ranks.check(session) == [] and check_totals(session) == []
        counted = session.execute(select(RankCount.total).where(RankCount.period == "all", RankCount.level == 0,
                                                                RankCount.users > 0)).scalars().all()
    assert sorted(counted) == [10, 30]


def test_a_role_change_moves_the_rank_counts(ctx, app, db, library):
    def promote(user, role):
        with app.test_request_context(), db.write_session() as session:
            set_role(session, user=session.get(User, user.id), role=role, actor_id=library["ada"].id,
                     reason="New post")

    promote(library["ann"], Role.librarian)  # Ann joins the staff: off readers' boards at once
    assert names(read(db, top)) == [(1, "Bo", 10)] and read(db, my_rank, user_id=library["bo"].id).rank == 1
    assert ("Ann", 30) in [(r.display_name, r.total) for r in read(db, staff_top)]
    with db.session() as session:
        assert ranks.check(session) == []
    pay(db, library["ann"], 5)  # a librarian's points never touch readers' counts
    with db.session() as session:
        assert ranks.check(session) == []
    promote(library["sun"], Role.student)  # and back the other way, with every board they have points on
    assert names(read(db, top)) == [(1, "Sun Hao", 500), (2, "Bo", 10)]
    assert names(read(db, top, period="week")) == [(1, "Sun Hao", 500), (2, "Bo", 10)]
    with db.session() as session:
        assert ranks.check(session) == [] and check_totals(session) == []
    with db.write_session() as session:  # a rebuild counts the same
        ranks.rebuild(session)
    with db.session() as session:
        assert ranks.check(session) == []


def test_check_reports_staff_counted_on_readers_boards(ctx, app, db, library):
    with db.write_session() as session:  # as if an award had counted Sun Hao
        session.add(RankCount(period="all", period_key="", level=0, total=500, users=1))
    with db.session() as session:
        assert any("rank count all - total 500" in problem for problem in check_totals(session))


def test_staff_board_page_in_both_languages(client, auth, library):
    page = client.get("/boards/staff", headers=EN).get_data(as_text=True)
    assert "<h1>Staff points</h1>" in page and "Sun Hao" in page and "Ada Admin" in page
    assert "Ann" not in page.split("</nav>", 2)[-1].split('class="meta board-switch"')[0]
    assert "Li Quiet" not in page
    assert 'href="/boards/staff/week"' in page
    chinese = client.get("/boards/staff/week", headers=ZH).get_data(as_text=True)
    assert zh("Staff points") in chinese and '<html lang="zh-Hans">' in chinese
    assert client.get("/boards/staff/forever").status_code == 404
    readers = client.get("/boards/", headers=EN).get_data(as_text=True)
    assert "Sun Hao" not in readers and 'href="/boards/staff"' in readers


def test_staff_see_where_they_are_ranked(client, auth, library):
    auth.login(library["sun"].email)
    readers = client.get("/boards/", headers=EN).get_data(as_text=True)
    assert "you are ranked on the staff points board" in readers and "You are number" not in readers
    staff = client.get("/boards/staff", headers=EN).get_data(as_text=True)
    assert "You are number 1 with 500 points." in staff
    auth.logout()
    auth.login(library["li"].email)
    staff = client.get("/boards/staff", headers=EN).get_data(as_text=True)
    assert "You are number 2 with 40 points." in staff and "only you see this rank" in staff


def test_the_staff_board_is_a_screen_slide(app, db, client, library):
    with app.test_request_context("/"), db.write_session() as session:
        info = ScreenInfo(None, "", "en", 15, (), 1)
        allowed = {key for key, _label in available_slides(session, info)}
        assert "board:staff" in allowed
        screen = save_screen(session, screen=None, name="Staff room", locale="zh_Hans", seconds_per_slide=10,
                             slides=["board:staff"], allowed=allowed, actor_id=None)
        session.flush()
        token = make_token(screen)
    page = client.get(f"/screen/{token}").get_data(as_text=True)
    assert zh("Library staff") in page and "Sun Hao" in page and "Ann" not in page


def test_a_role_change_refreshes_screens(app, db, library):
    versions = app.extensions["engage.screens"]
    with app.app_context():
        versions.refresh(db, force=True)
        before = versions.data_version
        with app.test_request_context(), db.write_session() as session:
            set_role(session, user=session.get(User, library["bo"].id), role=Role.librarian, actor_id=None,
                     reason="Hired")
        versions.refresh(db, force=True)
        assert versions.data_version != before
