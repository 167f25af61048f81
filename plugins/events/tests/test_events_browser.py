"""The events plugin in headless Chromium: every page in both languages at 360 px and 1920×1080,
the lobby screen's live check-in code, and an event's whole life from the librarian's form to a
reader's QR check-in on a 360 px phone."""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from core.accounts import create_user
from core.identity.faculties import Faculty
from core.models import Role
from core.screens import make_token, save_screen
from core.testing import PASSWORD, create_test_user, make_app, open_menu, serve, sign_in, sweep
from plugins.events import codes
from plugins.events.demo import populate_demo
from plugins.events.models import CheckIn, Event

pytestmark = pytest.mark.browser


def demo_app(app_factory):
    """An app with the plugin's demo events (an event on now, a full one with a waitlist, past ones)."""
    app = app_factory()
    names = ["Quiet Heron", "书虫小林", "Curious Panda", "南园晨读", "Bright Crane", "夜读人", "Kind Owl", "竹影",
             "History Fan 史学迷", "Old Maps 旧地图"]
    students = [create_test_user(app, display_name=name, cohort="历史学院 History" if n % 3 == 0 else "物理学院 Physics")
                for n, name in enumerate(names)]
    librarian = create_test_user(app, Role.librarian, display_name="Wang Lin 王琳")
    with app.test_request_context("/"), app.extensions["engage.db"].write_session() as session:
        populate_demo(session, random.Random(3), students, [librarian])
        screen = save_screen(session, screen=None, name="大厅", locale="zh_Hans", seconds_per_slide=60,
                             slides=["plugin:events:checkin"], allowed={"plugin:events:checkin"},
                             actor_id=librarian.id)
        app.config["TEST_SCREEN_PATH"] = f"/screen/{make_token(screen)}"
    return app, students, librarian


def test_every_page_looks_right(app_factory, browser, screenshots):
    app, students, librarian = demo_app(app_factory)
    app.config["EVENTS_CODE_SECONDS"] = 3600  # the sweep takes minutes; the code must outlast it
    with app.test_request_context("/"), app.extensions["engage.db"].session() as session:
        events = list(session.exec(select(Event).order_by(Event.id)))
        now_on, full, past = events[0], events[1], events[3]
        reader = students[0]
        personal = f"/events/readers/{reader.id}/{codes.reader_code(reader.id)}"
        code = codes.checkin_code(now_on.id)
    public = [("index", "/events/"), ("event", f"/events/{full.id}"), ("past", f"/events/{past.id}")]
    student = [("home", "/"), ("mine", "/events/mine"), ("event-now", f"/events/{now_on.id}"),
               ("full", f"/events/{full.id}"), ("checkin", f"/events/check-in/{now_on.id}/{code}"),
               ("checkin-expired", f"/events/check-in/{now_on.id}/expired"), ("profile", "/me")]
    staff = [("manage", "/events/manage"), ("new", "/events/new"), ("edit", f"/events/{full.id}/edit"),
             ("attendance", f"/events/{now_on.id}/attendance"), ("attendance-past", f"/events/{past.id}/attendance"),
             ("code", f"/events/{now_on.id}/code"), ("reader", personal), ("admin", "/admin/")]
    with serve(app) as base:
        problems = sweep(browser, base, public, screenshots, prefix="events-anon-")
        problems += sweep(browser, base, [p for p in student if p[0] != "checkin-expired"], screenshots,
                          email=reader.email, prefix="events-student-")
        problems += sweep(browser, base, staff, screenshots, email=librarian.email, prefix="events-librarian-")
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        page = context.new_page()
        try:
            assert page.goto(base + app.config["TEST_SCREEN_PATH"]).status == 200
            page.wait_for_selector(".events-slide-code svg")  # the live code arrived through htmx
            page.wait_for_timeout(1500)
            page.screenshot(path=str(screenshots / "events-screen-zh_Hans-1920x1080.png"))
            slide = page.inner_text(".tv-slide")
            url = page.get_attribute(".events-slide-code [data-checkin-url]", "data-checkin-url")
        finally:
            context.close()
    assert problems == []
    assert "扫码签到" in slide
    assert f"/events/check-in/{now_on.id}/" in url


LIBRARIAN = "lib.zhao@journey.library"
READER = "xiao.li@journey.library"


@pytest.fixture
def library(database_url, tmp_path):
    """The app (CSRF on) with a librarian and a reader, served on loopback."""
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    database = app.extensions["engage.db"]
    with app.app_context(), database.write_session() as session:
        create_user(session, email=LIBRARIAN, password=PASSWORD, display_name="Librarian Zhao", role=Role.librarian)
        session.add(Faculty(code="HIST", name_en="History", name_zh="历史学院"))
        create_user(session, email=READER, password=PASSWORD, display_name="Xiao Li", cohort="HIST")
    try:
        with serve(app) as base:
            yield app, base
    finally:
        database.dispose()


def local_input(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def click_and_wait(page, locator):
    with page.expect_navigation():
        locator.click()


def test_an_event_from_the_form_to_a_qr_check_in_on_a_phone(browser, library, screenshots):
    app, base = library
    phone = {"viewport": {"width": 360, "height": 800}, "locale": "en-US"}
    librarian_context, reader_context = browser.new_context(**phone), browser.new_context(**phone)
    librarian, reader = librarian_context.new_page(), reader_context.new_page()
    try:
        # 1. The librarian announces an event starting in a few minutes (check-in opens before it starts).
        sign_in(librarian, base, LIBRARIAN)
        librarian.goto(base + "/events/new")
        zone, now = app.config["TIMEZONE"], datetime.now(ZoneInfo("UTC"))
        librarian.get_by_label("Title in English").fill("Map workshop")
        librarian.get_by_label("Title in Chinese").fill("古地图工作坊")
        librarian.get_by_label("Description in English").fill("Old maps of the city, up close.")
        librarian.get_by_label("Place").fill("Special collections room")
        librarian.get_by_label("Starts").fill(local_input(now + timedelta(minutes=5), zone))
        librarian.get_by_label("Ends").fill(local_input(now + timedelta(hours=2), zone))
        librarian.get_by_label("Seats").fill("12")
        librarian.get_by_label("Points for attending").fill("25")
        librarian.get_by_label("Faculties").select_option(label="History")
        click_and_wait(librarian, librarian.get_by_role("button", name="Save event"))
        assert "The event is saved." in librarian.inner_text(".flashes")
        event_path = re.sub(r"^https?://[^/]+", "", librarian.url)

        # 2. The reader registers on their phone.
        sign_in(reader, base, READER)
        reader.goto(base + event_path)
        click_and_wait(reader, reader.get_by_role("button", name="Register"))
        assert "You are registered" in reader.inner_text(".flashes")
        reader.screenshot(path=str(screenshots / "events-journey-registered-360.png"), full_page=True)
        open_menu(reader)
        click_and_wait(reader, reader.locator("form[action$='/auth/logout'] button"))

        # 3. The librarian holds up the rotating code; the test reads the address the QR holds.
        click_and_wait(librarian, librarian.get_by_role("link", name="Show check-in code"))
        librarian.wait_for_selector(".events-live svg")
        librarian.screenshot(path=str(screenshots / "events-journey-code-360.png"), full_page=True)
        scanned = librarian.get_attribute(".events-live", "data-checkin-url")

        # 4. The reader's camera opens it, signed out: sign in, and back to the check-in page.
        reader.goto(scanned)
        assert "/auth/login" in reader.url
        reader.fill("input[name=email]", READER)
        reader.fill("input[name=password]", PASSWORD)
        with reader.expect_navigation():
            reader.click("main button[type=submit]")
        assert "/events/check-in/" in reader.url
        click_and_wait(reader, reader.get_by_role("button", name="Check me in"))
        assert "You are checked in. 25 points are on their way." in reader.inner_text("main")
        reader.screenshot(path=str(screenshots / "events-journey-checked-in-360.png"), full_page=True)
        width = reader.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the check-in page scrolls sideways at 360 px ({width})"

        # 5. Points on the reader's profile; "Attended" on the librarian's list.
        reader.goto(base + "/me")
        assert "1 event attended" in reader.inner_text("main")
        librarian.goto(base + event_path + "/attendance")
        assert "Attended" in librarian.inner_text("table")
    finally:
        librarian_context.close()
        reader_context.close()
    with app.app_context(), app.extensions["engage.db"].session() as session:
        assert len(session.exec(select(CheckIn)).all()) == 1


@pytest.mark.parametrize("locale, width", [("zh-CN", 360), ("en-US", 1920)])
def test_a_reader_replaces_their_code_and_calendar_address(browser, library, screenshots, locale, width):
    """Both buttons on "My events" work in a browser (CSRF on): a message says so, the page shows
    the new code and address, and the old ones answer 404."""
    app, base = library
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
    page = context.new_page()
    zh = locale.startswith("zh")
    try:
        sign_in(page, base, READER)
        page.goto(base + "/events/mine")
        old_code = page.get_attribute(".events-qr", "data-code-url")
        old_feed = page.inner_text(".events-address")
        click_and_wait(page, page.get_by_role("button", name="生成新的签到码" if zh else "Make a new check-in code"))
        assert ("已生成新的签到码" if zh else "Your check-in code is new") in page.inner_text(".flashes")
        click_and_wait(page, page.get_by_role("button", name="生成新的日历地址" if zh else "Make a new calendar address"))
        assert ("已生成新的日历地址" if zh else "Your calendar address is new") in page.inner_text(".flashes")
        page.screenshot(path=str(screenshots / f"events-replaced-{locale}-{width}.png"), full_page=True)
        new_code = page.get_attribute(".events-qr", "data-code-url")
        new_feed = page.inner_text(".events-address")
        assert new_code != old_code and new_feed != old_feed
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.request.get(old_feed).status == 404 and page.request.get(new_feed).status == 200
    finally:
        context.close()
