"""The main pages in a real browser: headless Chromium at phone and desktop sizes, in both languages.

The app runs on a loopback port in a background thread (werkzeug's ``make_server``) and
Playwright drives Debian's Chromium (``apt-get install chromium fonts-noto-cjk``; Playwright
cannot download its own browsers here). Each page must answer 200, must not scroll sideways
at 360 px, and must carry ``<html lang="zh-Hans">`` in Chinese. Screenshots go to the folder
named by ``ENGAGE_SCREENSHOTS`` (default: this test's ``tmp_path / "screenshots"``) so a
person can look at them.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import example_plugin
import pytest
from conftest import PASSWORD, make_app
from werkzeug.serving import make_server

from core.accounts import create_user
from core.models import Role
from core.points import adjust, award

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORTS = [(360, 800), (1920, 1080)]
LANGS = {"en": ("English", "en"), "zh_Hans": ("简体中文", "zh-Hans")}  # locale: (button label, <html lang>)
ANONYMOUS_PAGES = [("home", "/"), ("login", "/auth/login"), ("register", "/auth/register")]
ADMIN_PAGES = [("me", "/me"), ("admin", "/admin/")]
ADMIN_EMAIL = "admin@browser.library"


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module."""
    if not Path(CHROMIUM).exists():
        message = "Chromium not installed (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(database_url, tmp_path):
    """The app with a signed-up admin (and a few points), served on a free loopback port."""
    app = make_app(database_url, tmp_path, plugins=(example_plugin,))
    database = app.extensions["engage.db"]
    with app.app_context(), database.write_session() as session:
        admin = create_user(session, email=ADMIN_EMAIL, password=PASSWORD, display_name="Ada Admin 管理员",
                            role=Role.admin, cohort="图书馆 Library")
        for n, amount in enumerate([10, 20, 5]):
            award(session, user_id=admin.id, amount=amount, rule="demo-activity", plugin="core",
                  idempotency_key=f"browser:{n}")
        adjust(session, user_id=admin.id, amount=-5, actor_id=admin.id, reason="Returned a book late",
               idempotency_key="browser:adjust")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="engage-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        database.dispose()


@pytest.fixture
def screenshots(tmp_path):
    folder = Path(os.environ.get("ENGAGE_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def use_language(page, locale):
    """Click the header's language button (a POST to /language) unless that language is on already."""
    label, _tag = LANGS[locale]
    button = page.locator("form.lang button", has_text=label)
    if button.get_attribute("aria-pressed") != "true":
        with page.expect_navigation():
            button.click()
    assert page.locator("html").get_attribute("lang") == LANGS[locale][1]


def check_page(page, base, name, path, locale, viewport, folder, problems):
    """Visit one page, note what is wrong with it, and keep a screenshot."""
    width, height = viewport
    response = page.goto(base + path)
    where = f"{path} [{locale}, {width}x{height}]"
    if response is None or response.status != 200:
        problems.append(f"{where}: status {response.status if response else 'none'}")
    lang = page.locator("html").get_attribute("lang")
    if lang != LANGS[locale][1]:
        problems.append(f"{where}: <html lang={lang!r}>, expected {LANGS[locale][1]!r}")
    styled = page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor")
    if styled in ("rgba(0, 0, 0, 0)", "transparent"):
        problems.append(f"{where}: the stylesheet is not applied (header has no background)")
    if width <= 360:
        scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if scroll_width > inner_width:
            problems.append(f"{where}: scrolls sideways ({scroll_width}px wide in a {inner_width}px window)")
    page.screenshot(path=str(folder / f"{name}-{locale}-{width}x{height}.png"), full_page=True)


def test_pages_render_in_both_languages_at_phone_and_desktop_sizes(browser, live_server, screenshots):
    problems: list[str] = []
    for viewport in VIEWPORTS:
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="en-US")
        page = context.new_page()
        try:
            page.goto(live_server + "/")
            for locale in LANGS:
                use_language(page, locale)
                for name, path in ANONYMOUS_PAGES:
                    check_page(page, live_server, name, path, locale, viewport, screenshots, problems)
            use_language(page, "en")

            page.goto(live_server + "/auth/login")
            page.fill("input[name=email]", ADMIN_EMAIL)
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation():
                page.click("main button[type=submit]")
            assert page.locator("form[action$='/auth/logout']").count() == 1, "signing in as the admin failed"

            for locale in LANGS:
                use_language(page, locale)
                for name, path in ADMIN_PAGES:
                    check_page(page, live_server, name, path, locale, viewport, screenshots, problems)
            use_language(page, "en")  # the admin's account remembers the language
        finally:
            context.close()
    assert not problems, "\n".join(problems)
