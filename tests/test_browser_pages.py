"""The main pages in a real browser: headless Chromium at phone and desktop sizes, in both languages.

The app runs on a loopback port in a background thread (werkzeug's ``make_server``) and
Playwright drives Debian's Chromium (``apt-get install chromium fonts-noto-cjk``; Playwright
cannot download its own browsers here). Each page must answer 200, must not scroll sideways
at 360 px, and must carry ``<html lang="zh-Hans">`` in Chinese; no text in a tile, button or
table cell may break mid-word or run out of its box, no leaderboard may need a sideways swipe,
every main menu item must be in sight (in the Menu panel on a phone) with exactly the page's
item marked, and no TV slide may run off the screen. Screenshots go to the folder
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
from core.testing import (PASSWORD, accessibility_problems, layout_problems, make_app, menu_problems, serve, sign_in,
                          sweep, tv_slide_problems)

pytestmark = pytest.mark.browser

ANONYMOUS_PAGES = [("home", "/"), ("login", "/auth/login"), ("register", "/auth/register"),
                   ("badges", "/badges/"), ("badge", "/badges/core:first-points"), ("board-all", "/boards/all"),
                   ("board-week", "/boards/week"), ("board-staff", "/boards/staff"),
                   # the embeddable board a library's website frames (it has no language button:
                   # never last, where the sweep switches language)
                   ("embed-board", "/embed/boards/all"),
                   ("public-profile", "/people/1")]
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
# Faculties and roster imports (set up in live_server: import 1 checked and waiting, 2 applied).
ADMIN_PAGES += [("admin-faculties", "/admin/faculties"), ("admin-faculty-edit", "/admin/faculties?faculty=1"),
                ("admin-roster", "/admin/roster"), ("admin-roster-ready", "/admin/roster/1"),
                ("admin-roster-done", "/admin/roster/2")]
# Open Badges 3.0: the page where anyone checks a credential (the badge page offers the downloads).
ANONYMOUS_PAGES += [("verify-credential", "/badges/verify/credential")]

# Account pages (core.identity): a forgotten password, confirming and changing the address, my data.
ANONYMOUS_PAGES += [("reset-request", "/auth/reset"), ("verify-confirm", "/account/verify/a.token")]
ADMIN_PAGES += [("account-email", "/account/email"), ("account-verify", "/account/verify"),
                ("my-data", "/account/data"), ("admin-accounts", "/admin/accounts")]
# rewards: the catalogue, the wallet, the desk and the draws, as an administrator with no perks yet
# (plugins/rewards/tests/test_rewards_browser.py sweeps them again full of demo data)
ADMIN_PAGES += [("rewards", "/rewards/"), ("rewards-wallet", "/rewards/wallet"), ("rewards-desk", "/rewards/manage"),
                ("rewards-vouchers", "/rewards/manage/vouchers"), ("rewards-perk-new", "/rewards/manage/perks/new"),
                ("rewards-draw-new", "/rewards/manage/draws/new"), ("rewards-draws", "/rewards/draws")]
# Sign-in: the administrator's pages for each provider, and the directory sign-in form (set up below).
ADMIN_PAGES += [("signin-admin", "/admin/sign-in/"), ("signin-cas", "/admin/sign-in/cas"),
                ("signin-oidc", "/admin/sign-in/oidc"), ("signin-ldap", "/admin/sign-in/ldap")]
ANONYMOUS_PAGES += [("signin-ldap-form", "/signin/ldap/")]
# The relationship dashboard (the insights plugin), its segments and its term report.
ADMIN_PAGES += [("insights", "/insights/"), ("insights-segments", "/insights/segments"),
                ("insights-report", "/insights/report")]
# badgemaker: the librarians' pages for making badges (a made badge's own pages: its plugin's sweep).
ADMIN_PAGES += [("badgemaker", "/badgemaker/"), ("badgemaker-new", "/badgemaker/new")]
# The events plugin's pages an administrator reaches with no event yet (its own sweep,
# plugins/events/tests/test_events_browser.py, visits them full of demo events).
ADMIN_PAGES += [("events", "/events/"), ("events-mine", "/events/mine"), ("events-manage", "/events/manage"),
                ("events-new", "/events/new")]
# The JSON API's pages: the administrators' key page and the public reference.
ANONYMOUS_PAGES += [("api-reference", "/developers/api")]
ADMIN_PAGES += [("admin-api-keys", "/admin/api-keys")]
# Webhooks out (a subscription, its delivery log and one delivery made by live_server).
ADMIN_PAGES += [("webhooks", "/admin/webhooks/"), ("webhook-new", "/admin/webhooks/new"),
                ("webhook", "/admin/webhooks/1"), ("webhook-delivery", "/admin/webhooks/deliveries/1")]
ADMIN_EMAIL = "admin@browser.library"
SCREEN: dict = {}  # the library screen's secret path, set up by live_server


def _webhook_with_deliveries(session, admin_id):
    """A subscription with a delivered, a failed and a waiting delivery (rows only: nothing is sent)."""
    from core.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

    endpoint = WebhookEndpoint(url="https://catalogue.library.example.edu/integrations/engage/webhooks/receive",
                               description="Library system 图书馆系统", event_types="points.awarded badge.granted",
                               secret="whsec_" + "A" * 43, created_by=admin_id, failures=2)
    session.add(endpoint)
    session.flush()
    for n, (status, code) in enumerate([("delivered", 204), ("failed", 500), ("pending", None)]):
        delivery = WebhookDelivery(endpoint_id=endpoint.id, message_id=f"msg_browser{n}", event_type="points.awarded",
                                   payload='{"type":"points.awarded","data":{"user_id":1,"amount":10,"total":30}}',
                                   status=status, attempts=1 if code else 0, response_code=code,
                                   last_error=None if status != "failed" else "HTTP 500")
        session.add(delivery)
        session.flush()
        if code:
            session.add(WebhookAttempt(delivery_id=delivery.id, number=1, response_code=code, milliseconds=42))


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
    with app.app_context(), database.write_session() as session:
        _faculties_and_imports(session)
        with app.test_request_context("/"):  # a directory sign-in set up (its form asks nothing of the server)
            from core.identity.providers import save_provider_settings

            save_provider_settings(session, key="ldap", values={"server_url": "ldap://127.0.0.1:1",
                                   "bind_dn_template": "uid={username},ou=people,dc=campus,dc=edu"},
                                   secret=None, actor_id=admin.id)
        _webhook_with_deliveries(session, admin.id)
    try:
        with serve(app) as base:
            yield base
    finally:
        database.dispose()


def _faculties_and_imports(session):
    """A list of faculties, a roster checked and waiting to be applied, and one applied."""
    import json

    from core.identity.faculties import Faculty
    from core.identity.imports import RosterImport

    for order, (code, en, zh) in enumerate([("CS", "Computer Science and Technology", "计算机科学与技术系"),
                                            ("ASTRO", "Astronomy and Space Science", "天文与空间科学学院"),
                                            ("OLD", "Closed School", "旧学院")]):
        session.add(Faculty(code=code, name_en=en, name_zh=zh, order=order, active=code != "OLD"))
    changes = [{"line": n + 2, "number": f"2024{n:04d}", "name": name, "new": n != 1,
                "fields": [] if n != 1 else ["email", "cohort", "is_active"]}
               for n, name in enumerate(["王思远", "Li Yutong", "Alexandra Konstantinopoulou-Vandersteen"])]
    plan = json.dumps({"rows": [], "columns": ["email", "faculty", "name", "number"], "changes": changes})
    session.add(RosterImport(kind="users", filename="2024级本科生名单 roster-2024-undergraduates.csv", plan=plan,
                             rows_total=3, created=2, updated=1))
    session.add(RosterImport(kind="users", filename="staff.xlsx", plan=plan, state="done", rows_total=3,
                             created=2, updated=1))


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
            assert tv_slide_problems(page, f"screen {width}x{height}") == []
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


@pytest.fixture
def demo_server(database_url, tmp_path):
    """The demo library (every plugin on, a small population, its lobby screens), served on a free
    loopback port; yields the base URL, with the screens' paths in ``DEMO_SCREENS``."""
    from core.demo import populate, screen_addresses

    app = make_app(database_url, tmp_path)
    database = app.extensions["engage.db"]
    with app.app_context():
        populate(database, students=12)
        DEMO_SCREENS[:] = [address.removeprefix("http://demo") for _name, address in screen_addresses(database, "http://demo")]
    try:
        with serve(app) as base:
            yield base
    finally:
        database.dispose()


DEMO_SCREENS: list[str] = []
DEMO_ROLES = {"student": "student1@demo.library", "librarian": "librarian1@demo.library", "admin": "admin@demo.library"}


@pytest.mark.parametrize("role", ["anonymous", *DEMO_ROLES])
def test_every_menu_item_of_a_role_is_in_sight_and_its_page_is_marked(browser, demo_server, screenshots, role):
    """Each role's whole menu is in sight at 360 px (in the Menu panel) and at 1920×1080, in both
    languages; on every page the menu leads to, exactly that item is marked, and the pages' tiles,
    buttons and table cells hold their text."""
    from core.demo import DEMO_PASSWORD

    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="en-US")
    page = context.new_page()
    try:
        if role in DEMO_ROLES:
            sign_in(page, demo_server, DEMO_ROLES[role], DEMO_PASSWORD)
        else:
            page.goto(demo_server + "/")
        paths = page.eval_on_selector_all("#menu a", "links => links.map(a => a.getAttribute('href'))")
    finally:
        context.close()
    assert len(paths) >= 5
    pages = [(f"{role}-menu-{path.strip('/').replace('/', '-') or 'home'}", path) for path in paths]
    email = DEMO_ROLES.get(role)
    problems = sweep(browser, demo_server, pages, screenshots, email=email, password=DEMO_PASSWORD, axe=False,
                     menu_shot=f"{role}-menu-open")
    assert not problems, "\n".join(problems)


def test_the_refreshed_menu_marks_the_page_it_is_on(browser, demo_server):
    """When the menu is fetched again (a plugin switched on or off), it still marks the page it
    is shown on, not /menu's own address or some other item."""
    from core.demo import DEMO_PASSWORD

    page = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US").new_page()
    try:
        sign_in(page, demo_server, DEMO_ROLES["librarian"], DEMO_PASSWORD)
        for path, label in [("/feedback/queue", "Feedback queue"), ("/screens/", "Administration"),
                            ("/me/password", "My points"), ("/", "Home")]:
            page.goto(demo_server + path)
            page.evaluate("document.querySelector('#menu').setAttribute('data-before', '')")
            with page.expect_response(lambda response: "/menu?" in response.url):
                page.evaluate("document.body.dispatchEvent(new Event('pluginsChanged'))")
            expect(page.locator("#menu[data-before]")).to_have_count(0)  # swapped for the new one
            marked = page.locator("#menu a[aria-current=page]")
            assert marked.count() == 1 and marked.inner_text() == label, path
            assert menu_problems(page, path) == []
    finally:
        page.context.close()


def test_every_slide_of_the_demo_screens_fits_the_tv(browser, demo_server, screenshots):
    """Each slide of each lobby screen in the demo (every plugin's slides), at 1920×1080 and
    3840×2160: nothing of it below or beside the screen."""
    assert DEMO_SCREENS
    problems = []
    for width, height in [(1920, 1080), (3840, 2160)]:
        context = browser.new_context(viewport={"width": width, "height": height}, reduced_motion="reduce")
        page = context.new_page()
        try:
            for s, path in enumerate(DEMO_SCREENS):
                assert page.goto(demo_server + path).status == 200
                count = page.locator(".tv-dots li").count()
                for n in range(max(count, 1)):
                    if n:  # the next slide, as the screen's poll would bring it
                        page.evaluate("""async (url) => {
                            const html = await (await fetch(url, {headers: {"HX-Request": "true"}})).text();
                            document.getElementById("slide").outerHTML = html; }""",
                                      f"{demo_server}{path}/slide?n={n}")
                    title = page.inner_text(".tv-title") if page.locator(".tv-title").count() else "(none)"
                    problems += tv_slide_problems(page, f"screen {s} slide {n} {title!r} [{width}x{height}]")
                    page.screenshot(path=str(screenshots / f"tv-{s}-{n}-{width}x{height}.png"))
        finally:
            context.close()
    assert not problems, "\n".join(problems)


def test_the_layout_checks_find_real_problems(browser):
    """The sweep's layout checks are live: crushed tiles, a label running out of its button, a
    board wider than its box and a slide taller than the screen are all reported."""
    page = browser.new_page(viewport={"width": 360, "height": 800})
    try:
        page.set_content("""<html lang="en"><head><style>
            body { overflow-wrap: break-word; } dd { margin: 0; }
            .stats { display: grid; grid-template-columns: repeat(4, 40px); }
            .narrow { width: 60px; white-space: nowrap; overflow: visible; }
            .table-wrap { width: 80px; overflow-x: auto; }
            td { white-space: nowrap; }
          </style></head><body>
          <dl class="stats"><div class="stat"><dt>Overdue</dt><dd>9</dd></div></dl>
          <button class="narrow">Publish the results</button>
          <div class="table-wrap"><table class="board-table" data-fit><tr><td>Clever Panda</td><td>900</td></tr></table></div>
          </body></html>""")
        problems = "\n".join(layout_problems(page, "sample"))
        assert '"Overdue" breaks across' in problems
        assert "button.narrow" in problems and "overflows its box" in problems
        assert "needs a sideways swipe" in problems
        page.set_content("""<html lang="en"><head><style>.tall { height: 1200px; }</style></head><body>
          <section class="tv-slide"><div class="tall">Long</div></section></body></html>""")
        assert "outside the 360x800 screen" in "\n".join(tv_slide_problems(page, "slide"))
    finally:
        page.close()


def test_the_phone_menu_opens_without_script_and_passes_the_audit(browser, demo_server):
    """The Menu button is a <details>: it opens the panel with scripts off too; open, the panel
    passes the accessibility audit, and Escape closes it (with scripts on)."""
    from core.demo import DEMO_PASSWORD

    for scripts in (False, True):
        page = browser.new_context(viewport={"width": 360, "height": 800}, java_script_enabled=scripts).new_page()
        try:
            sign_in(page, demo_server, DEMO_ROLES["admin"], DEMO_PASSWORD)
            administration = page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Administration")
            expect(administration).to_be_hidden()
            page.locator(".menu-toggle summary").click()
            expect(administration).to_be_visible()
            expect(page.get_by_role("button", name="Sign out")).to_be_visible()
            if scripts:
                assert accessibility_problems(page, "menu open at 360") == []
                page.keyboard.press("Escape")
                expect(administration).to_be_hidden()
        finally:
            page.context.close()
