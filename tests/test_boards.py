"""Leaderboards: 1224 ranking, reached-first tie-break, opted-out users, periods, cohorts,
"around me", the pages, and proof that boards read the maintained totals, not the ledger."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, update

from core import boards
from core.boards import BoardNotFound, Row, around_me, cohorts, my_rank, top
from core import ranks
from core.points import check_totals
from core.models import PeriodTotal, PointTotal, RankCount, User, utcnow
from core.periods import Calendar, TermSpan
from core.points import award
from test_i18n import EN, ZH, zh

AT = datetime(2026, 11, 23, 4, 0, tzinfo=timezone.utc)  # Monday noon in Nanjing, ISO week 2026-W48
CAL = Calendar("Asia/Shanghai")
HX = {"HX-Request": "true"}


@pytest.fixture
def ctx(app, db):
    with app.app_context():
        yield db


def pay(db, user, amount, at=AT, key=None):
    with db.write_session() as session:
        award(session, user_id=user.id, amount=amount, rule="read", plugin="test",
              idempotency_key=key or f"{user.id}:{amount}:{at.isoformat()}:{random.random()}", at=at)


def read(db, fn, **kwargs):
    kwargs.setdefault("calendar", CAL)
    kwargs.setdefault("at", AT)
    with db.session() as session:
        return fn(session, **kwargs)


def board(db, **kwargs):
    return [(r.rank, r.display_name, r.total) for r in read(db, top, **kwargs)]


def test_standard_competition_ranking_with_reached_first_tie_break(ctx, make_user):
    a, b, c, d, e = (make_user(display_name=n) for n in "ABCDE")
    pay(ctx, a, 30, AT)
    pay(ctx, b, 20, AT + timedelta(minutes=5))      # reached 20 later than C
    pay(ctx, c, 20, AT)
    pay(ctx, d, 10, AT)
    pay(ctx, e, 10, AT)                              # same total, same moment as D: lower id first
    assert board(ctx) == [(1, "A", 30), (2, "C", 20), (2, "B", 20), (4, "D", 10), (4, "E", 10)]
    assert [read(ctx, my_rank, user_id=u.id).rank for u in (a, b, c, d, e)] == [1, 2, 2, 4, 4]
    assert board(ctx, limit=2) == [(1, "A", 30), (2, "C", 20)]


def test_reaching_a_total_later_moves_you_behind_those_already_there(ctx, make_user):
    a, b = make_user(display_name="A"), make_user(display_name="B")
    pay(ctx, a, 10, AT)
    pay(ctx, b, 5, AT - timedelta(hours=2))
    pay(ctx, b, 5, AT + timedelta(hours=1))          # B reaches 10 after A did
    assert board(ctx) == [(1, "A", 10), (1, "B", 10)]


def test_only_positive_totals_of_active_public_users_appear(ctx, make_user):
    shown, negative, zero = make_user(display_name="Shown"), make_user(), make_user()
    inactive = make_user(display_name="Gone")
    pay(ctx, shown, 5)
    pay(ctx, negative, -5)
    pay(ctx, zero, 5)
    pay(ctx, zero, -5)
    pay(ctx, inactive, 50)
    with ctx.write_session() as session:
        session.execute(update(User).where(User.id == inactive.id).values(is_active=False))
    assert board(ctx) == [(1, "Shown", 5)]
    assert read(ctx, my_rank, user_id=negative.id) is None
    assert read(ctx, my_rank, user_id=zero.id) is None
    assert read(ctx, around_me, user_id=zero.id) == []
    assert read(ctx, my_rank, user_id=make_user().id) is None    # never earned a point


def test_opted_out_users_stay_off_public_boards_but_see_their_own_rank(ctx, make_user):
    a, b, c = (make_user(display_name=n) for n in "ABC")
    hidden = make_user(display_name="Hidden", hide_from_boards=True)
    pay(ctx, a, 40)
    pay(ctx, hidden, 30)
    pay(ctx, b, 20)
    pay(ctx, c, 10)
    # Nobody else's rank moves because of the hidden user.
    assert board(ctx) == [(1, "A", 40), (2, "B", 20), (3, "C", 10)]
    assert read(ctx, my_rank, user_id=b.id).rank == 2
    for other in (a, b, c):
        assert "Hidden" not in [r.display_name for r in read(ctx, around_me, user_id=other.id)]
    # The hidden user's rank is among the public users plus themselves ...
    mine = read(ctx, my_rank, user_id=hidden.id)
    assert (mine.rank, mine.total) == (2, 30)
    # ... and their window is the board as it would look with them on it.
    window = [(r.rank, r.display_name) for r in read(ctx, around_me, user_id=hidden.id)]
    assert window == [(1, "A"), (2, "Hidden"), (3, "B"), (4, "C")]


def test_week_month_and_term_boards_read_period_totals(ctx, make_user):
    a, b = make_user(display_name="A"), make_user(display_name="B")
    pay(ctx, a, 50, AT - timedelta(days=14))         # week 46, same month and term
    pay(ctx, a, 5, AT)                               # this week
    pay(ctx, b, 20, AT)                              # this week
    pay(ctx, b, 100, datetime(2026, 10, 5, 4, tzinfo=timezone.utc))  # last month, same term
    assert board(ctx, period="week") == [(1, "B", 20), (2, "A", 5)]
    assert board(ctx, period="month") == [(1, "A", 55), (2, "B", 20)]
    assert board(ctx, period="term") == [(1, "B", 120), (2, "A", 55)]
    assert board(ctx, period="all") == [(1, "B", 120), (2, "A", 55)]
    assert read(ctx, my_rank, user_id=a.id, period="week").rank == 2
    assert read(ctx, my_rank, user_id=a.id, period="month").rank == 1
    # Another moment picks another week: week 46 had only A.
    assert board(ctx, period="week", at=AT - timedelta(days=14)) == [(1, "A", 50)]
    assert board(ctx, period="week", at=AT + timedelta(days=7)) == []


def test_period_boards_default_to_now(ctx, make_user):
    a, b = make_user(display_name="A"), make_user(display_name="B")
    now = utcnow()
    pay(ctx, a, 7, now)
    pay(ctx, b, 70, now - timedelta(days=14))
    with ctx.session() as session:
        assert [r.display_name for r in top(session, period="week")] == ["A"]
        assert [r.display_name for r in top(session)] == ["B", "A"]


def test_term_board_is_empty_between_terms(ctx, make_user):
    calendar = Calendar("Asia/Shanghai", [TermSpan("t1", "T1", "一", date(2026, 9, 7), date(2027, 1, 15))])
    user = make_user()
    pay(ctx, user, 10)
    in_break = datetime(2027, 2, 3, 4, tzinfo=timezone.utc)
    assert read(ctx, top, period="term", calendar=calendar, at=in_break) == []
    assert read(ctx, my_rank, user_id=user.id, period="term", calendar=calendar, at=in_break) is None


def test_unknown_period_raises(ctx):
    with pytest.raises(BoardNotFound) as caught:
        read(ctx, top, period="year")
    assert (caught.value.kind, caught.value.value) == ("period", "year")
    with ctx.session() as session:
        with pytest.raises(BoardNotFound):
            boards.check_cohort(session, "Nowhere")


@pytest.mark.parametrize("mode", ["scan", "index", None])
def test_cohort_boards(ctx, make_user, monkeypatch, mode):
    if mode:  # both ways of reading a cohort's board give the same answer
        monkeypatch.setattr(boards, "_cohort_mode", lambda session, cohort, limit: mode)
    arts = [make_user(display_name=f"Arts {i}", cohort="Arts") for i in range(4)]
    science = [make_user(display_name=f"Science {i}", cohort="Science") for i in range(3)]
    make_user(display_name="Quiet", cohort="Law")
    hidden = make_user(display_name="Arts hidden", cohort="Arts", hide_from_boards=True)
    for i, user in enumerate(arts):
        pay(ctx, user, 10 * (i + 1) if i != 2 else 10)     # 10, 20, 10, 40
    for i, user in enumerate(science):
        pay(ctx, user, 15 * (i + 1))                       # 15, 30, 45
    pay(ctx, hidden, 25)
    assert board(ctx, cohort="Arts") == [(1, "Arts 3", 40), (2, "Arts 1", 20), (3, "Arts 0", 10), (3, "Arts 2", 10)]
    assert board(ctx, cohort="Science") == [(1, "Science 2", 45), (2, "Science 1", 30), (3, "Science 0", 15)]
    assert board(ctx, cohort="Law") == []
    assert read(ctx, my_rank, user_id=arts[1].id, cohort="Arts").rank == 2
    assert read(ctx, my_rank, user_id=hidden.id, cohort="Arts").rank == 2    # 40 only is above 25
    assert read(ctx, my_rank, user_id=science[0].id, cohort="Arts") is None  # not in this cohort
    assert [r.display_name for r in read(ctx, around_me, user_id=arts[0].id, cohort="Arts")] == \
        ["Arts 3", "Arts 1", "Arts 0", "Arts 2"]
    with ctx.session() as session:
        assert cohorts(session) == ["Arts", "Law", "Science"]


def test_cohort_mode_scans_the_rank_index_only_for_big_cohorts(ctx, make_user):
    for i in range(10):
        make_user(cohort="Big" if i < 8 else "Small")
    with ctx.session() as session:
        assert boards._cohort_mode(session, "Big", 20) == "index"    # 64 < 20·10
        assert boards._cohort_mode(session, "Big", 4) == "scan"      # 64 ≥ 4·10
        assert boards._cohort_mode(session, "Small", 4) == "index"


def expected_board(users, me=None):
    """The board by definition: public users (plus ``me``), ranked by counting greater totals."""
    listed = [u for u in users if (u["public"] or u is me) and u["total"] > 0]
    listed.sort(key=lambda u: (-u["total"], u["reached_at"], u["id"]))
    return [(1 + sum(1 for o in listed if o["total"] > u["total"]), u["id"], u["total"]) for u in listed]


def expected_window(users, me, above, below):
    ranked = expected_board(users, me)
    at = next(i for i, r in enumerate(ranked) if r[1] == me["id"])
    return ranked[max(0, at - above):at + below + 1]


def test_around_me_matches_the_board_everywhere(ctx, make_user):
    """Top, middle and bottom, cut-off tie groups, opted-out viewers: the window is always
    the slice of the full board around the user, with the ranks the full board gives."""
    rng = random.Random(7)
    users = []
    for i in range(26):
        hidden = i % 9 == 4
        user = make_user(display_name=f"U{i}", hide_from_boards=hidden)
        total = rng.choice([5, 10, 10, 10, 20, 20, 35, 50, 50, 80])
        reached = AT + timedelta(minutes=rng.choice([0, 0, 1, 2, 3]))
        pay(ctx, user, total, reached)
        users.append({"id": user.id, "total": total, "reached_at": reached, "public": not hidden})
    with ctx.session() as session:
        full = [(r.rank, r.user_id, r.total) for r in top(session, limit=100, calendar=CAL, at=AT)]
    assert full == expected_board(users)
    for above, below in ((5, 5), (2, 3), (0, 1), (1, 0)):
        for me in users:
            got = [(r.rank, r.user_id, r.total) for r in read(ctx, around_me, user_id=me["id"], above=above, below=below)]
            assert got == expected_window(users, me, above, below), (me, above, below)
            assert read(ctx, my_rank, user_id=me["id"]).rank == next(r for r in got if r[1] == me["id"])[0]


def test_around_me_window_at_top_middle_and_bottom(ctx, make_user):
    people = [make_user(display_name=f"P{i:02d}") for i in range(15)]
    for i, user in enumerate(people):
        pay(ctx, user, 150 - 10 * i)
    def names(user):
        return [r.display_name for r in read(ctx, around_me, user_id=user.id)]
    assert names(people[0]) == ["P00", "P01", "P02", "P03", "P04", "P05"]
    assert names(people[7]) == [f"P{i:02d}" for i in range(2, 13)]
    assert names(people[14]) == [f"P{i:02d}" for i in range(9, 15)]
    assert [r.rank for r in read(ctx, around_me, user_id=people[7].id)] == list(range(3, 14))
    # The window's ranks follow from the user's own: one sum over the rank counts, no COUNT per row.
    statements = []
    listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    event.listen(ctx.engine, "before_cursor_execute", listener)
    try:
        read(ctx, around_me, user_id=people[7].id)
    finally:
        event.remove(ctx.engine, "before_cursor_execute", listener)
    assert sum("core_rank_count" in s for s in statements) == 1
    assert not [s for s in statements if "count(" in s]


def test_boards_follow_maintained_totals_and_never_read_the_ledger(ctx, make_user):
    a, b = make_user(display_name="A"), make_user(display_name="B")
    pay(ctx, a, 10)
    pay(ctx, b, 20)
    # Corrupt the maintained totals behind the ledger's back: the boards follow them.
    with ctx.write_session() as session:
        session.get(PointTotal, a.id).total = 999
        session.execute(update(PeriodTotal).where(PeriodTotal.user_id == a.id, PeriodTotal.period == "week")
                        .values(total=1))
        session.flush()
        ranks.rebuild(session)  # the rank counts are kept with the totals
    statements = []
    listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    event.listen(ctx.engine, "before_cursor_execute", listener)
    try:
        assert board(ctx) == [(1, "A", 999), (2, "B", 20)]
        assert board(ctx, period="week") == [(1, "B", 20), (2, "A", 1)]
        assert read(ctx, my_rank, user_id=b.id).rank == 2
        assert len(read(ctx, around_me, user_id=b.id)) == 2
    finally:
        event.remove(ctx.engine, "before_cursor_execute", listener)
    assert statements and not [s for s in statements if "core_point_entry" in s]


def test_board_page_never_reads_the_ledger(app, client, db, make_user, auth):
    user = make_user(cohort="Arts")
    with app.app_context():
        pay(db, user, 10)
    auth.login(user.email)
    statements = []
    listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        for url in ("/boards/", "/boards/week", "/boards/term/cohort/Arts"):
            assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert not [s for s in statements if "core_point_entry" in s]


# --- pages -------------------------------------------------------------------------------

@pytest.fixture
def populated(app, db, make_user):
    users = {"ann": make_user(display_name="Annabel", cohort="Arts"),
             "bo": make_user(display_name="Boris", cohort="Science"),
             "hid": make_user(display_name="Hideaway", cohort="Arts", hide_from_boards=True)}
    with app.app_context():
        now = utcnow()
        pay(db, users["ann"], 30, now)
        pay(db, users["bo"], 20, now)
        pay(db, users["hid"], 25, now)
    return users


def test_board_page_in_english_and_chinese(client, populated):
    page = client.get("/boards/", headers=EN).get_data(as_text=True)
    assert "<h1>Leaderboards</h1>" in page and "Annabel" in page and "Boris" in page
    assert "Hideaway" not in page
    assert 'href="/boards/week"' in page and 'href="/boards/term"' in page
    assert "Sign in to see your rank." in page

    page = client.get("/boards/week", headers=ZH).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page
    for text in ("Leaderboards", "All time", "This week", "This month", "This term", "Your rank", "Rank"):
        assert zh(text) in page, text
    assert "Leaderboards" not in page
    assert zh("Leaderboards") == "排行榜"


def test_menu_links_to_the_boards(client):
    page = client.get("/", headers=ZH).get_data(as_text=True)
    assert 'href="/boards/"' in page and "排行榜" in page


def test_signed_in_reader_sees_their_rank_and_neighbours(client, auth, populated):
    auth.login(populated["bo"].email)
    page = client.get("/boards/", headers=EN).get_data(as_text=True)
    assert "You are number 2 with 20 points." in page
    assert 'class="me" aria-current="true"' in page
    assert "Hideaway" not in page
    assert "only you see this rank" not in page


def test_opted_out_reader_sees_their_own_rank_with_a_note(client, auth, populated):
    auth.login(populated["hid"].email)
    page = client.get("/boards/", headers=EN).get_data(as_text=True)
    assert "You are number 2 with 25 points." in page
    assert "You are hidden from public boards; only you see this rank." in page
    public_table = page.split('id="your-rank"')[0]
    assert "Hideaway" not in public_table  # not in the top 20, only in their own box


def test_cohort_board_page_and_form(client, auth, populated):
    page = client.get("/boards/all/cohort/Arts", headers=EN).get_data(as_text=True)
    assert "Annabel" in page and "Boris" not in page.split('id="your-rank"')[0]
    assert '<option value="Arts" selected>' in page

    response = client.get("/boards/week?cohort=Science")
    assert response.status_code == 302 and response.headers["Location"] == "/boards/week/cohort/Science"
    assert client.get("/boards/week?cohort=").headers["Location"] == "/boards/week"

    response = client.get("/boards/week?cohort=Science", headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == "/boards/week/cohort/Science"
    assert "Boris" in response.get_data(as_text=True)

    auth.login(populated["bo"].email)
    page = client.get("/boards/all/cohort/Arts", headers=EN).get_data(as_text=True)
    assert "You are not in this faculty or college." in page


def test_htmx_request_gets_only_the_board_block(client, populated):
    full = client.get("/boards/month")
    assert "HX-Request" in full.headers["Vary"]
    assert "<html" in full.get_data(as_text=True)

    fragment = client.get("/boards/month", headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    assert "<html" not in body and "<h1>" not in body
    assert body.lstrip().startswith('<div id="board"') and "Annabel" in body


@pytest.mark.parametrize("url", ["/boards/yearly", "/boards/forever/cohort/Arts"])
def test_unknown_period_is_a_helpful_404(client, populated, url):
    response = client.get(url, headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Leaderboard not found" in page and "These are the boards:" in page
    for link in ('href="/boards/"', 'href="/boards/week"', 'href="/boards/month"', 'href="/boards/term"'):
        assert link in page

    response = client.get(url, headers=ZH)
    assert response.status_code == 404 and zh("Leaderboard not found") in response.get_data(as_text=True)


def test_unknown_cohort_is_a_helpful_404(client, populated):
    response = client.get("/boards/week/cohort/Astrology", headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Astrology" in page
    assert 'href="/boards/all/cohort/Arts"' in page and 'href="/boards/all/cohort/Science"' in page
    assert client.get("/boards/week?cohort=Astrology", headers=HX).status_code == 404


def test_rows_are_plain_data():
    row = Row(rank=1, user_id=2, display_name="A", cohort=None, total=3)
    assert (row.rank, row.total) == (1, 3)
    assert set(boards.BOARDS) == set(boards.PERIODS) == {"all", "week", "month", "term"}


def test_rank_counts_follow_awards_opt_outs_and_reversals(ctx, make_user):
    a, b, c = (make_user(display_name=n) for n in "ABC")
    pay(ctx, a, 10)
    pay(ctx, b, 20)
    pay(ctx, c, 20)

    def rank_of(user, period="all"):
        return read(ctx, my_rank, user_id=user.id, period=period).rank

    def consistent():
        with ctx.session() as session:
            return ranks.check(session) == []

    assert consistent() and rank_of(a) == 3 and rank_of(a, "week") == 3
    with ctx.write_session() as session:  # B opts out: A moves up on every board, B still sees a rank
        session.get(User, b.id).hide_from_boards = True
    assert consistent() and rank_of(a) == 2 and rank_of(a, "week") == 2 and rank_of(b) == 1
    pay(ctx, b, 5)  # an opted-out user's points never touch the public counts
    assert consistent() and rank_of(a) == 2
    with ctx.write_session() as session:  # back on the boards, with the new total
        session.get(User, b.id).hide_from_boards = False
    assert consistent() and rank_of(a) == 3 and rank_of(c) == 2
    pay(ctx, c, -20)  # a correction takes C off the count altogether
    assert consistent() and rank_of(a) == 2

    with ctx.write_session() as session:  # tampering shows in `engage check`; a rebuild mends it
        session.execute(update(RankCount).where(RankCount.level == 0).values(users=RankCount.users + 1))
    with ctx.session() as session:
        assert any("rank count" in problem for problem in check_totals(session))
    with ctx.write_session() as session:
        ranks.rebuild(session)
    assert consistent()


def test_my_rank_counts_across_blocks_of_totals(ctx, make_user):
    """Totals spread over many blocks, ties, opted-out readers and a correction: every rank equals
    1 + the public readers with more, and the rank counts equal the totals."""
    rng = random.Random(5)
    people = [make_user(display_name=f"R{i}", hide_from_boards=(i % 7 == 0)) for i in range(40)]
    totals = {}
    for person in people:
        amount = rng.choice([rng.randint(1, 600), 64, 128, 127])  # block edges and ties too
        pay(ctx, person, amount)
        totals[person.id] = amount
    pay(ctx, people[3], -20)
    totals[people[3].id] -= 20
    public = [t for p in people for t in [totals[p.id]] if p.display_name and not p.hide_from_boards and t > 0]
    with ctx.session() as session:
        assert ranks.check(session) == []
    for person in people:
        if totals[person.id] > 0:
            expected = 1 + sum(1 for t in public if t > totals[person.id])
            assert read(ctx, my_rank, user_id=person.id).rank == expected, person.display_name
