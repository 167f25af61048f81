"""Every list that grows pages the same way: ``?page=N`` links that work without script, and a
"Show more" button htmx turns into an in-place append (core/pagination.py, _pagination.html)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import insert

from core.models import AuditEntry, Role, utcnow
from core.pagination import page_number, paginate, paginate_list
from core.points import award

HX = {"HX-Request": "true"}


@pytest.mark.parametrize("query, expected", [("", 1), ("?page=3", 3), ("?page=0", 1), ("?page=-2", 1),
                                             ("?page=abc", 1), ("?page=10001", 1), ("?page=٣", 1), ("?page=50", 50)])
def test_page_numbers_are_bounded(app, query, expected):
    with app.test_request_context("/boards/" + query):
        assert page_number() == expected
    with app.test_request_context("/boards/?page=60"):
        assert page_number(max_page=50) == 1


def test_a_page_knows_whether_another_follows_and_keeps_the_filters(app):
    rows = list(range(45))
    with app.test_request_context("/admin/users?q=ann&page=2"):
        page = paginate_list(rows, per_page=20)
        assert page.items == list(range(20, 40)) and page.has_more and page.offset == 20
        assert page.next_url == "/admin/users?q=ann&page=3" and page.previous_url == "/admin/users?q=ann&page=1"
    with app.test_request_context("/admin/users?page=3"):
        last = paginate(lambda offset, limit: rows[offset:offset + limit], per_page=20)
        assert last.items == list(range(40, 45)) and not last.has_more and last.next_url is None


@pytest.fixture
def readers(app, make_user, db):
    """25 readers with 1 … 25 points."""
    people = [make_user(email=f"r{n:02d}@test.library", display_name=f"Reader {n:02d}") for n in range(1, 26)]
    with app.app_context(), db.write_session() as session:
        for n, person in enumerate(people, 1):
            award(session, user_id=person.id, amount=n, rule="read", plugin="core", idempotency_key=f"page:{n}")
    return people


def test_the_board_shows_more_than_the_top_20(client, readers):
    first = client.get("/boards/").get_data(as_text=True)
    assert first.count("Reader ") == 20 and "Reader 25" in first and "Reader 05" not in first
    assert 'href="/boards/?page=2"' in first and 'hx-get="/boards/?page=2"' in first
    assert 'hx-select="#board-rows &gt; *"' in first or 'hx-select="#board-rows > *"' in first
    # Without script: the link is a page of its own, ranks continuing from 21.
    second = client.get("/boards/?page=2").get_data(as_text=True)
    assert "Reader 05" in second and "Reader 06" not in second and re.search(r"<td[^>]*>21</td>", second)
    assert "page=3" not in second and "Back to the start" in second
    # With htmx: the same rows, without the page around them.
    fragment = client.get("/boards/?page=2", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and 'id="board-rows"' in fragment and "Reader 01" in fragment


def test_show_more_speaks_chinese(client, readers):
    page = client.get("/boards/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "显示更多" in page


def test_the_board_refuses_pages_beyond_its_depth_quietly(client, readers):
    assert client.get("/boards/?page=51").status_code == 200  # read as the first page
    assert "Reader 25" in client.get("/boards/?page=99999999999999999999").get_data(as_text=True)


def test_audit_and_users_page_with_show_more(app, client, auth, make_user, db, readers):
    admin = make_user(Role.admin, email="boss@test.library")
    with app.app_context(), db.write_session() as session:
        session.execute(insert(AuditEntry), [{"actor_id": admin.id, "action": "points.adjust", "target": f"user:{n}",
                                              "detail": f"entry {n:03d}", "created_at": utcnow()} for n in range(60)])
    auth.login(admin.email)
    audit = client.get("/admin/audit").get_data(as_text=True)
    assert "entry 059" in audit and "entry 009" not in audit and 'href="/admin/audit?page=2"' in audit
    assert "Show older" in audit
    older = client.get("/admin/audit?page=2", headers=HX).get_data(as_text=True)
    assert "entry 009" in older and "entry 059" not in older and "page=3" not in older
    users = client.get("/admin/users?q=reader").get_data(as_text=True)
    more = client.get("/admin/users?q=reader&page=2", headers=HX).get_data(as_text=True)
    first, second = (set(re.findall(r'users/\d+">([^<]+)<', html)) for html in (users, more))
    assert len(first) == 25 and 'href="/admin/users?q=reader&amp;page=2"' in users  # 25 a page, then more
    assert second and not first & second  # pages never overlap
    assert {f"Reader {n:02d}" for n in range(1, 26)} <= first | second
