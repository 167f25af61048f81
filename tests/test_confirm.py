"""Destructive or hard-to-undo actions ask first, say what will happen, and change nothing until confirmed."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from sqlmodel import select

import example_plugin
from core.models import Role, Screen, Term
from core.testing import PASSWORD, create_test_user

STATIC = Path(__file__).resolve().parents[1] / "core" / "static"


@pytest.fixture
def site(app_factory):
    example_plugin.events.clear()
    return app_factory(plugins=(example_plugin,))


def signed_in(app, role, locale="en"):
    user = create_test_user(app, role, locale=locale)
    client = app.test_client()
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    return client


def rows(app, model):
    with app.extensions["engage.db"].session() as session:
        return session.exec(select(model)).all()


def asks(response, *words):
    """The answer is a confirmation page with ``words``, re-posting with confirmed=1."""
    page = html.unescape(response.data.decode())
    assert response.status_code == 200, page
    assert 'name="confirmed" value="1"' in page
    for word in words:
        assert word in page, word
    return page


def new_screen(app, name="Lobby TV") -> Screen:
    with app.extensions["engage.db"].write_session() as session:
        screen = Screen(name=name, slides=json.dumps(["board:all"]))
        session.add(screen)
        session.flush()
        return screen


# --- screens -------------------------------------------------------------------------------

@pytest.mark.parametrize("locale, words", [
    ("en", ["Give “Lobby TV” a new address?", "The TV showing this screen now stops at once"]),
    ("zh_Hans", ["要给“Lobby TV”换一个新地址吗？", "正在显示这个屏幕的电视会立即停止"]),
])
def test_a_new_screen_address_is_asked_first(site, locale, words):
    screen = new_screen(site)
    librarian = signed_in(site, Role.librarian, locale)
    page = asks(librarian.post(f"/screens/{screen.id}/rotate"), *words)
    assert 'href="/screens/"' in page  # Cancel goes back
    [still] = rows(site, Screen)
    before = screen.model_dump()
    assert still.model_dump() == before  # the old address still works
    assert librarian.post(f"/screens/{screen.id}/rotate", data={"confirmed": "1"}).status_code == 302
    assert rows(site, Screen)[0].model_dump() != before


@pytest.mark.parametrize("locale, words", [
    ("en", ["Delete the screen “Lobby TV”?", "This cannot be undone."]),
    ("zh_Hans", ["要删除屏幕“Lobby TV”吗？", "此操作无法撤销。"]),
])
def test_deleting_a_screen_is_asked_first(site, locale, words):
    screen = new_screen(site)
    librarian = signed_in(site, Role.librarian, locale)
    asks(librarian.post(f"/screens/{screen.id}/delete"), *words)
    assert len(rows(site, Screen)) == 1
    assert librarian.post(f"/screens/{screen.id}/delete", data={"confirmed": "1"}).status_code == 302
    assert rows(site, Screen) == []


def test_the_screens_page_carries_the_questions_for_the_dialog(site):
    new_screen(site)
    page = html.unescape(signed_in(site, Role.librarian).get("/screens/").data.decode())
    assert 'data-confirm="Give “Lobby TV” a new address? The TV showing this screen now stops at once' in page
    assert 'data-confirm="Delete the screen “Lobby TV”?' in page


# --- terms ---------------------------------------------------------------------------------

@pytest.mark.parametrize("locale, words", [
    ("en", ["Delete the term “2026-autumn”?", "Points earned in its dates stop counting towards it"]),
    ("zh_Hans", ["要删除学期“2026-autumn”吗？", "在它的日期内获得的积分将不再计入该学期"]),
])
def test_deleting_a_term_is_asked_first(site, locale, words):
    admin = signed_in(site, Role.admin, locale)
    admin.post("/admin/terms", data={"name_en": "Autumn 2026", "name_zh": "2026年秋季学期",
                                     "starts_on": "2026-09-07", "ends_on": "2027-01-17"})
    asks(admin.post("/admin/terms/2026-autumn/delete"), *words)
    assert [t.key for t in rows(site, Term)] == ["2026-autumn"]
    assert 'data-confirm="' in admin.get("/admin/terms").data.decode()
    admin.post("/admin/terms/2026-autumn/delete", data={"confirmed": "1"})
    assert rows(site, Term) == []


# --- plugins -------------------------------------------------------------------------------

@pytest.mark.parametrize("locale, words", [
    ("en", ["Switch off", "Its pages, menu items and panels go away", "Readers keep the badges"]),
    ("zh_Hans", ["要关闭", "它的页面、菜单项和面板会立即对所有人消失", "读者保留从中获得的徽章"]),
])
def test_switching_a_plugin_off_is_asked_first(site, locale, words):
    admin = signed_in(site, Role.admin, locale)
    asks(admin.post("/admin/plugins/example", data={"enabled": "0"}), *words)
    assert admin.get("/example/").status_code == 200
    admin.post("/admin/plugins/example", data={"enabled": "0", "confirmed": "1"})
    assert admin.get("/example/").status_code == 404
    # switching on again is easy to undo: no question
    assert admin.post("/admin/plugins/example", data={"enabled": "1"}).status_code == 302
    assert admin.get("/example/").status_code == 200


def test_an_htmx_switch_without_the_answer_shows_the_question_in_the_page(site):
    admin = signed_in(site, Role.admin)
    response = admin.post("/admin/plugins/example", data={"enabled": "0"}, headers={"HX-Request": "true"})
    assert response.headers["HX-Retarget"] == "#main" and b"<html" not in response.data
    asks(response, "Its pages, menu items and panels go away")
    assert admin.get("/example/").status_code == 200


def test_only_switching_off_carries_a_question(site):
    admin = signed_in(site, Role.admin)
    page = html.unescape(admin.get("/admin/").data.decode())
    row = re.search(r'<li class="plugin" id="plugin-example">.*?</li>', page, re.S).group(0)
    assert "data-confirm=" in row and "Readers keep the badges" in row
    admin.post("/admin/plugins/example", data={"enabled": "0", "confirmed": "1"})
    page = html.unescape(admin.get("/admin/").data.decode())
    row = re.search(r'<li class="plugin" id="plugin-example">.*?</li>', page, re.S).group(0)
    assert "data-confirm=" not in row


# --- the page and the dialog ------------------------------------------------------------------

def test_the_confirmation_page_reposts_the_same_fields_with_a_fresh_answer(site):
    admin = signed_in(site, Role.admin)
    page = asks(admin.post("/admin/plugins/example", data={"enabled": "0", "confirmed": "yes"}))
    assert page.count('name="confirmed"') == 1  # only "1" counts as the answer
    assert 'name="enabled" value="0"' in page
    assert 'aria-labelledby="confirm-title"' in page and "<script>" not in page and "style=" not in page


def test_the_dialog_script_asks_before_htmx_sends(site):
    script = (STATIC / "engage.js").read_text()
    assert 'addEventListener("submit"' in script and "data-confirm" in script and "}, true);" in script
    assert "window.confirm" in script and 'answer.value = "1"' in script
