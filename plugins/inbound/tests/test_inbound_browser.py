"""In a real browser: a librarian writes the "Midnight owl" rule, previews it over stored gate
entries, saves it switched on and replays it (the reader is paid for the late entry only); then
every page is swept in both languages at phone and desktop sizes, under the CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.accounts import create_user
from core.models import Role
from core.testing import PASSWORD, make_app, serve, sign_in, sweep
from plugins.inbound.events import ingest

from .test_inbound_rules import local

pytestmark = pytest.mark.browser

LIBRARIAN = "lin@staff.library"


@pytest.fixture
def library(database_url, tmp_path):
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    database = app.extensions["engage.db"]
    with app.test_request_context("/"), database.write_session() as session:
        create_user(session, email=LIBRARIAN, password=PASSWORD, display_name="Lin Librarian 林馆员", role=Role.librarian)
        reader = create_user(session, email="owl@readers.library", password=PASSWORD, display_name="Owl 夜猫子",
                             member_number="S77")
        ingest(session, [{"source_id": "g1", "type": "gate-entry", "reader": "S77", "occurred_at": local(2, 23, 10)},
                         {"source_id": "g2", "type": "gate-entry", "reader": "S77", "occurred_at": local(2, 14, 0)},
                         {"source_id": "g3", "type": "gate-entry", "reader": "CARD-1", "occurred_at": local(2, 1, 0)}],
               origin="test")
    try:
        with serve(app) as base:
            yield app, base, reader.id
    finally:
        database.dispose()


def test_a_librarian_writes_previews_and_replays_a_rule(browser, library, screenshots):
    app, base, reader_id = library
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, base, LIBRARIAN)
    page.goto(base + "/inbound/rules/new")
    page.fill("#name", "Midnight owl")
    page.fill("#kind", "gate-entry")
    page.fill("#points", "3")
    page.fill("#window_from", "22:00")
    page.fill("#window_to", "06:00")
    with page.expect_navigation():
        page.click("button[value=preview]")
    expect(page.locator(".inbound-preview")).to_contain_text("Last 30 days")
    expect(page.locator(".inbound-preview tbody tr").first).to_contain_text("1")
    page.check("#active")
    with page.expect_navigation():
        page.click("button[value=save]")
    with page.expect_navigation():
        page.click("button:has-text('Replay')")
    expect(page.locator("#replays")).to_contain_text("Replay finished: 1 event paid, 3 points.")
    page.screenshot(path=str(screenshots / "inbound-rule.png"), full_page=True)
    from core.points import user_total

    with app.app_context(), app.extensions["engage.db"].session() as session:
        assert user_total(session, reader_id) == 3


def test_every_page_in_both_languages(browser, library, screenshots):
    _app, base, _reader = library
    pages = [("rules", "/inbound/"), ("new-rule", "/inbound/rules/new"), ("unmatched", "/inbound/unmatched"),
             ("upload", "/inbound/upload")]
    problems = sweep(browser, base, pages, screenshots, email=LIBRARIAN)
    assert not problems, "\n".join(problems)
