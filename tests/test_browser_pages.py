"""The main pages in a real browser: headless Chromium at phone and desktop sizes, in both languages.

The app runs on a loopback port in a background thread (werkzeug's ``make_server``) and
Playwright drives Debian's Chromium (``apt-get install chromium fonts-noto-cjk``; Playwright
cannot download its own browsers here). Each page must answer 200, must not scroll sideways
at 360 px, and must carry ``<html lang="zh-Hans">`` in Chinese. Screenshots go to the folder
named by ``ENGAGE_SCREENSHOTS`` (default: ``screenshots/`` in the checkout) so a
person can look at them.
"""

from __future__ import annotations

import example_plugin
import pytest
from playwright.sync_api import expect

from core.accounts import create_user
from core.models import Role
from core.approvals import request_adjustment
from core.points import adjust, award
from core.screens import make_token, save_screen
from core.testing import PASSWORD, accessibility_problems, make_app, serve, sweep

pytestmark = pytest.mark.browser

ANONYMOUS_PAGES = [("home", "/"), ("login", "/auth/login"), ("register", "/auth/register"),
                   ("badges", "/badges/"), ("badge", "/badges/core:first-points"), ("board-all", "/boards/all"),
                   ("board-week", "/boards/week"), ("board-staff", "/boards/staff"), ("public-profile", "/people/1")]
ADMIN_PAGES = [("me", "/me"), ("password", "/me/password"), ("admin", "/admin/"), ("admin-users", "/admin/users"), ("admin-user", "/admin/users/1"),
               ("admin-terms", "/admin/terms"), ("admin-levels", "/admin/levels"), ("admin-audit", "/admin/audit"),
               ("admin-jobs", "/admin/jobs"),
               ("badges-manage", "/badges/manage"), ("badge-held", "/badges/core:first-points"),
               ("badge-award", "/badges/core:champion/award"), ("badge-revoke", "/badges/core:first-points/revoke"),
               ("notifications", "/notifications/"), ("email-settings", "/notifications/email"),
               ("screens", "/screens/"), ("screen-new", "/screens/new"),
               ("screen-edit", "/screens/1"), ("board-cohort", "/boards/all/cohort/图书馆 Library"),
               ("approvals", "/admin/approvals/"), ("admin-user-reader", "/admin/users/3"),
               ("board-staff-me", "/boards/staff/week"),
               ("board-as-staff", "/boards/all")]
ADMIN_EMAIL = "admin@browser.library"
SCREEN: dict = {}  # the library screen's secret path, set up by live_server


@pytest.fixture
def live_server(database_url, tmp_path):
    """The app with a signed-up admin (and a few points), served on a free loopback port."""
    app = make_app(database_url, tmp_path, plugins=(example_plugin,))
    database = app.extensions["engage.db"]
    with app.app_context(), database.write_session() as session:
        admin = create_user(session, email=ADMIN_EMAIL, password=PASSWORD, display_name="Ada Admin 管理员",
                            role=Role.admin, cohort="图书馆 Library")
        admin.public_profile = True
        for n, amount in enumerate([10, 20, 5]):
            award(session, user_id=admin.id, amount=amount, rule="demo-activity", plugin="core",
                  idempotency_key=f"browser:{n}")
        librarian = create_user(session, email="librarian@browser.library", password=PASSWORD,
                                display_name="Li Librarian 李馆员", role=Role.librarian)
        adjust(session, user_id=admin.id, amount=-5, actor_id=librarian.id, reason="Returned a book late",
               idempotency_key="browser:adjust")
        reader = create_user(session, email="reader@browser.library", password=PASSWORD,
                             display_name="Rui Reader 读者", cohort="图书馆 Library")
        award(session, user_id=reader.id, amount=15, rule="demo-activity", plugin="core",
              idempotency_key="browser:reader")
        with app.test_request_context("/"):  # a large adjustment waiting for a second librarian
            request_adjustment(session, user_id=reader.id, amount=2000, actor_id=librarian.id,
                               reason="Ran the reading-week marathon 读书周马拉松", nonce="browser:big",
                               max_amount=10_000)
        with app.test_request_context("/"):
            slides = ["board:all", "board:staff", "plugin:example:spotlight"]
            screen = save_screen(session, screen=None, name="Lobby 大厅", locale="zh_Hans", seconds_per_slide=5,
                                 slides=slides, allowed=set(slides), actor_id=admin.id)
            session.flush()
            SCREEN["path"] = f"/screen/{make_token(screen)}"
    try:
        with serve(app) as base:
            yield base
    finally:
        database.dispose()


def test_pages_render_in_both_languages_at_phone_and_desktop_sizes(browser, live_server, screenshots):
    problems = sweep(browser, live_server, ANONYMOUS_PAGES, screenshots)
    problems += sweep(browser, live_server, ADMIN_PAGES, screenshots, email=ADMIN_EMAIL)
    assert not problems, "\n".join(problems)


def test_library_screen_fills_a_tv_and_rotates(browser, live_server, screenshots):
    """The TV page at 1920×1080 and 3840×2160: no scrollbars, big type, and the slides rotate."""
    titles = set()
    for width, height in [(1920, 1080), (3840, 2160)]:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        try:
            assert page.goto(live_server + SCREEN["path"]).status == 200
            page.wait_for_selector(".tv-slide .tv-title")
            sizes = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            assert sizes[0] <= width and sizes[1] <= height, f"the screen scrolls at {width}x{height}: {sizes}"
            page.wait_for_timeout(1000)  # let the slide's fade-in finish before judging contrast
            problems = accessibility_problems(page, f"screen {width}x{height}")
            assert not problems, "\n".join(problems)
            heading = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.tv-title')).fontSize)")
            assert heading >= height / 30, f"headline only {heading}px high on a {height}px screen"
            page.screenshot(path=str(screenshots / f"screen-{width}x{height}.png"))
            titles.add(page.inner_text(".tv-title"))
            # the next slide (expect polls without eval, which the page's CSP forbids)
            expect(page.locator(".tv-title")).not_to_have_text(page.inner_text(".tv-title"), timeout=15_000)
            titles.add(page.inner_text(".tv-title"))
        finally:
            context.close()
    assert len(titles) >= 2


def test_the_accessibility_audit_finds_real_problems(browser):
    """The sweep's axe-core audit is live: a page with an unlabelled button and an image
    without text fails it."""
    page = browser.new_page()
    try:
        page.set_content('<html lang="en"><head><title>t</title></head><body><main>'
                         '<img src="data:,"><button></button></main></body></html>')
        problems = accessibility_problems(page, "sample")
    finally:
        page.close()
    assert any("button-name" in p for p in problems) and any("image-alt" in p for p in problems)
