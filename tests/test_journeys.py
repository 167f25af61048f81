"""Journeys through core in a real browser, as people make them (the plugins' journeys live
with each plugin's tests)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.accounts import create_user
from core.models import Role
from core.points import award
from core.screens import make_token, save_screen
from core.testing import PASSWORD, make_app, serve

pytestmark = pytest.mark.browser


@pytest.fixture
def library(database_url, tmp_path):
    """An app with a librarian, a reader with points and a lobby screen, served on loopback."""
    app = make_app(database_url, tmp_path)
    database = app.extensions["engage.db"]
    with app.app_context(), database.write_session() as session:
        librarian = create_user(session, email="lib@journey.library", password=PASSWORD, display_name="Lib",
                                role=Role.librarian)
        early = create_user(session, email="early@journey.library", password=PASSWORD, display_name="Early Reader")
        award(session, user_id=early.id, amount=20, rule="read", plugin="core", idempotency_key="j:early")
        with app.test_request_context("/"):
            slides = ["board:all", "board:week"]
            screen = save_screen(session, screen=None, name="Lobby", locale="en", seconds_per_slide=5,
                                 slides=slides, allowed=set(slides), actor_id=librarian.id)
            session.flush()
            token = make_token(screen)
    try:
        with serve(app) as base:
            yield app, base, f"/screen/{token}"
    finally:
        database.dispose()


def test_a_screen_rotates_and_shows_a_new_award_without_reloading(browser, library, screenshots):
    app, base, path = library
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        page.goto(base + path)
        page.wait_for_selector(".tv-title")
        assert "Early Reader" in page.inner_text(".tv-slide")
        page.evaluate("window.stillTheSamePage = true")
        first_title = page.inner_text(".tv-title")
        # rotated to the next slide (expect polls without eval, which the page's CSP forbids)
        expect(page.locator(".tv-title")).not_to_have_text(first_title, timeout=15_000)

        with app.app_context(), app.extensions["engage.db"].write_session() as session:
            newcomer = create_user(session, email="new@journey.library", password=PASSWORD, display_name="Newcomer")
            award(session, user_id=newcomer.id, amount=500, rule="read", plugin="core", idempotency_key="j:new")
        # Within one refresh of each slide the new leader is on screen, with no page load.
        expect(page.locator(".tv-slide")).to_contain_text("Newcomer", timeout=20_000)
        assert page.evaluate("window.stillTheSamePage") is True
        page.screenshot(path=str(screenshots / "journey-screen-new-award.png"))
    finally:
        page.close()


def test_switching_a_plugin_off_and_on_again_for_everyone(browser, database_url, tmp_path):
    """An administrator switches a plugin off: its menu item and pages are gone for a reader in
    another browser at once; switched on again, they are back."""
    import example_plugin
    from core.testing import sign_in

    app = make_app(database_url, tmp_path, plugins=(example_plugin,), PLUGIN_REFRESH_SECONDS=0.2)
    database = app.extensions["engage.db"]
    with app.app_context(), database.write_session() as session:
        create_user(session, email="admin@journey.library", password=PASSWORD, display_name="Admin", role=Role.admin)
        create_user(session, email="reader@journey.library", password=PASSWORD, display_name="Reader")
    try:
        with serve(app) as base:
            admin = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
            reader = browser.new_context(viewport={"width": 360, "height": 800}).new_page()
            sign_in(admin, base, "admin@journey.library")
            sign_in(reader, base, "reader@journey.library")
            menu = reader.locator("nav.menu a", has_text="Example menu")
            assert menu.count() == 1 and reader.goto(base + "/example/").status == 200

            questions, answers = [], [False]  # the first question is cancelled, the next accepted

            def answer(dialog):  # switching off asks first (engage.js); switching on does not
                questions.append(dialog.message)
                dialog.accept() if (answers.pop(0) if answers else True) else dialog.dismiss()

            admin.on("dialog", answer)
            admin.goto(base + "/admin/")
            admin.get_by_role("button", name="Switch off Example activity").click()
            admin.wait_for_timeout(300)
            assert admin.locator("#plugin-example .state").inner_text() == "On"
            assert reader.goto(base + "/example/").status == 200
            for enabled in (False, True):
                admin.goto(base + "/admin/")
                label = "Switch on Example activity" if enabled else "Switch off Example activity"
                admin.get_by_role("button", name=label).click()
                row_state = admin.locator("#plugin-example .state")
                row_state.filter(has_text="On" if enabled else "Off").wait_for()
                reader.wait_for_timeout(300)  # longer than the workers' refresh interval
                reader.goto(base + "/")
                assert menu.count() == (1 if enabled else 0)
                assert reader.goto(base + "/example/").status == (200 if enabled else 404)
            assert len(questions) == 2 and all("Readers keep the badges" in q for q in questions)
            admin.context.close()
            reader.context.close()
    finally:
        database.dispose()


def test_signing_in_and_changing_settings_with_the_keyboard_alone(browser, library):
    """No mouse: the skip link, then Tab through the sign-in form and Enter; then the settings form."""
    _app, base, _path = library
    page = browser.new_page(viewport={"width": 360, "height": 800})
    try:
        page.goto(base + "/auth/login")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.classList.contains('skip')"), "the first Tab reaches the skip link"
        page.keyboard.press("Enter")  # skip to the main content
        for _ in range(10):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.name") == "email":
                break
        assert page.evaluate("document.activeElement.name") == "email"
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        shadow = page.evaluate("getComputedStyle(document.activeElement).boxShadow")
        assert outline != "none" or shadow != "none", "the focused field shows it has focus"
        page.keyboard.type("early@journey.library")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator("form[action$='/auth/logout']").count() == 1

        page.goto(base + "/me")
        page.focus("input[name=display_name]")
        page.keyboard.press("Control+A")
        page.keyboard.type("Keyboard Reader")
        while page.evaluate("document.activeElement.type") != "submit":
            page.keyboard.press("Tab")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "Keyboard Reader" in page.inner_text("main")
    finally:
        page.close()
