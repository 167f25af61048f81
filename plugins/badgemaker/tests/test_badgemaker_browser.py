"""In a real browser: a librarian makes a badge through the form (the preview counts as she types),
watches it being given to the reader who already qualifies, and a second reader earns it on a
phone the moment a colleague records points for him; then the pages' sweep in both languages.

The app runs with CSRF protection on, so every form and the htmx preview carry the page's token.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.accounts import create_user
from core.models import Role
from core.points import award
from core.testing import PASSWORD, make_app, serve, sign_in, sweep

pytestmark = pytest.mark.browser

LIBRARIAN, COLLEAGUE = "lin@staff.library", "kai@staff.library"
EARLY, LATE = "early@readers.library", "late@readers.library"


@pytest.fixture
def library(database_url, tmp_path):
    """Two librarians; one reader with 40 points, one with 10."""
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    database = app.extensions["engage.db"]
    with app.test_request_context("/"), database.write_session() as session:
        create_user(session, email=LIBRARIAN, password=PASSWORD, display_name="Lin Librarian 林馆员", role=Role.librarian)
        create_user(session, email=COLLEAGUE, password=PASSWORD, display_name="Kai Colleague", role=Role.librarian)
        for email, name, points in ((EARLY, "Early Reader 早读者", 40), (LATE, "Late Reader 晚读者", 10)):
            reader = create_user(session, email=email, password=PASSWORD, display_name=name)
            award(session, user_id=reader.id, amount=points, rule="demo-activity", plugin="core",
                  idempotency_key=f"journey:{email}")
    try:
        with serve(app) as base:
            yield app, base
    finally:
        database.dispose()


def user_id(app, email):
    from sqlalchemy import select

    from core.models import User

    with app.app_context(), app.extensions["engage.db"].session() as session:
        return session.execute(select(User.id).where(User.email == email)).scalar_one()


def test_a_badge_made_in_the_ui_is_given_and_then_earned_by_a_reader(browser, library, screenshots):
    app, base = library
    staff = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = staff.new_page()
    sign_in(page, base, LIBRARIAN)
    page.goto(base + "/badgemaker/new")
    page.fill("#name_en", "Thirty club")
    page.fill("#name_zh", "三十分俱乐部")
    page.fill("#how_en", "Reach 30 points.")
    page.fill("#how_zh", "累计获得 30 积分。")
    page.select_option("#needs-0-what", label="Points reached (all time)")
    page.fill("#needs-0-goal", "30")
    page.locator("#needs-0-goal").blur()
    expect(page.locator("#bm-preview")).to_contain_text("1 reader would hold it today.")
    page.fill("#hours_from", "22:00")
    page.fill("#hours_to", "06:00")
    page.locator("#hours_to").blur()
    expect(page.locator("#bm-preview")).to_contain_text("cannot be limited to hours")
    page.fill("#hours_from", "")
    page.fill("#hours_to", "")
    page.locator("#hours_to").blur()
    expect(page.locator("#bm-preview")).to_contain_text("1 reader would hold it today.")
    page.screenshot(path=str(screenshots / "journey-new-preview.png"), full_page=True)
    with page.expect_navigation():
        page.click("button:has-text('Save and give it')")
    expect(page.locator("#bm-progress")).to_contain_text("Done: 1 reader got the badge.")
    page.screenshot(path=str(screenshots / "journey-progress.png"), full_page=True)
    badge_url = page.locator("a:has-text(\"The badge's public page\")").get_attribute("href")

    # A colleague records points for the second reader: the badge comes with them.
    colleague = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    sign_in(colleague, base, COLLEAGUE)
    colleague.goto(base + f"/admin/users/{user_id(app, LATE)}")
    colleague.fill("input[name=amount]", "25")
    colleague.fill("input[name=reason]", "Helped at the book fair")
    with colleague.expect_navigation():
        colleague.click("button:has-text('Record adjustment')")

    phone = browser.new_context(viewport={"width": 360, "height": 800}).new_page()
    sign_in(phone, base, LATE)
    phone.goto(base + badge_url)
    expect(phone.locator("main")).to_contain_text("Thirty club")
    expect(phone.locator("main")).to_contain_text("Earned on")
    phone.screenshot(path=str(screenshots / "journey-earned-phone.png"), full_page=True)
    phone.goto(base + "/notifications/")
    expect(phone.locator("main")).to_contain_text("New badge: Thirty club")


def test_badgemaker_pages_look_finished_in_both_languages(browser, library, screenshots):
    app, base = library
    with app.test_request_context("/"), app.extensions["engage.db"].write_session() as session:
        from plugins.badgemaker import service
        from plugins.badgemaker.rules import Need, Spec

        badge = service.make(session, name_en="Night owl with a rather long name for phones",
                             name_zh="夜猫子（名字很长的一枚徽章）", how_en="Three activities after 22:00.",
                             how_zh="晚上 10 点后参加三次活动。", spec=Spec((Need("badgemaker:activities", "*", 3),),
                                                                  hours=(22 * 60, 6 * 60)), actor_id=None)
    pages = [("badgemaker", "/badgemaker/"), ("badgemaker-new", "/badgemaker/new"),
             ("badgemaker-badge", f"/badgemaker/{badge.id}"), ("badgemaker-public", f"/badges/{badge.key}")]
    problems = sweep(browser, base, pages, screenshots, email=LIBRARIAN)
    assert not problems, "\n".join(problems)
