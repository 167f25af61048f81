"""The feedback loop in headless Chromium: a student submits, a librarian triages, assigns and
answers, the student rates, and the board and the measures show it; then every feedback page
in both languages at 360 px and 1920×1080 (anonymous, student, librarian)."""

from __future__ import annotations

import pytest

from sqlalchemy import select

from core.demo import populate
from core.models import Role
from core.screens import make_token, save_screen
from core.testing import create_test_user, make_app, serve, sign_in, sweep
from plugins.feedback import workflow
from plugins.feedback.models import FeedbackItem


pytestmark = pytest.mark.browser

STUDENT, LIBRARIAN = "reader@fb.library", "librarian@fb.library"


@pytest.fixture
def live(database_url, tmp_path):
    """The app with demo data, a student and a librarian, and a lobby screen with the board slide."""
    app = make_app(database_url, tmp_path)
    database = app.extensions["engage.db"]
    with app.app_context():
        populate(database, students=40)
    create_test_user(app, Role.student, email=STUDENT, display_name="Lin Xiaoyu 林晓雨")
    librarian = create_test_user(app, Role.librarian, email=LIBRARIAN, display_name="Wen Jing 文静")
    screen = {}
    with app.app_context(), database.write_session() as session, app.test_request_context("/"):
        slides = ["plugin:feedback:you-said-we-did"]
        row = save_screen(session, screen=None, name="Lobby 大厅", locale="zh_Hans", seconds_per_slide=5,
                          slides=slides, allowed=set(slides), actor_id=librarian.id)
        session.flush()
        screen["path"] = f"/screen/{make_token(row)}"
        screen["open_item"] = session.execute(select(FeedbackItem.id).where(FeedbackItem.state.in_(workflow.OPEN))
                                              .order_by(FeedbackItem.created_at.desc())).scalars().first()
    try:
        with serve(app) as base:
            yield base, screen["path"], librarian, screen["open_item"]
    finally:
        database.dispose()


def test_the_whole_loop_in_a_browser(browser, live, screenshots):
    base, _screen, librarian, _open_item = live
    reader = browser.new_context(viewport={"width": 360, "height": 800}, locale="en-US").new_page()
    staff = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US").new_page()
    text = "The heating on the 4th floor reading room is off — 四楼阅览室没有暖气"

    sign_in(reader, base, STUDENT)
    reader.goto(base + "/feedback/new")
    reader.select_option("select[name=category]", label="Facilities")
    reader.fill("textarea[name=text]", text)
    reader.fill("input[name=location]", "4F reading room")
    reader.check("input[name=allow_publish]")
    with reader.expect_navigation():
        reader.click("main button[type=submit]")
    assert "Thank you! Your feedback" in reader.inner_text(".flashes")
    item_path = reader.url.replace(base, "")

    sign_in(staff, base, LIBRARIAN)
    staff.goto(base + "/feedback/queue")
    with staff.expect_navigation():
        staff.click(f"a[href='{item_path}']")
    assert "anonymous" in staff.inner_text("main")  # the reader did not allow the name
    for step, fill in (("triaged", {"textarea[name=note]": "Thank you, we are checking."}),
                       ("assigned", {}), ("responded", {"textarea[name=note]": "The heating is repaired."})):
        form = staff.locator(f"form[data-step={step}]")
        if step == "assigned":
            form.locator("select[name=assignee]").select_option(str(librarian.id))
        for selector, value in fill.items():
            form.locator(selector).fill(value)
        with staff.expect_navigation():
            form.locator("button[type=submit]").click()
        assert "Done: the item is now" in staff.inner_text(".flashes")

    reader.goto(base + item_path)
    assert "The heating is repaired." in reader.inner_text("main")
    reader.check("form[data-step=confirmed] input[name=score][value='5']")
    with reader.expect_navigation():
        reader.click("form[data-step=confirmed] button[type=submit]")
    assert "Confirmed" in reader.inner_text("main")
    reader.screenshot(path=str(screenshots / "loop-reader-rated.png"), full_page=True)

    staff.goto(base + item_path)
    staff.fill("textarea[name=we_did_en]", "Heating repaired on floor 4.")
    staff.fill("textarea[name=we_did_zh]", "四楼暖气已修复。")
    with staff.expect_navigation():
        staff.click("text=Publish on the board")
    staff.goto(base + "/feedback/board")
    board = staff.inner_text("main")
    assert "Heating repaired on floor 4." in board and "四楼阅览室没有暖气" in board
    staff.goto(base + "/feedback/measures?days=7")
    assert staff.locator("main img.chart").count() >= 2
    assert "Wen Jing 文静" in staff.inner_text("table.fb-measures >> nth=1")
    staff.screenshot(path=str(screenshots / "loop-measures.png"), full_page=True)


def test_every_feedback_page_in_both_languages_and_sizes(browser, live, screenshots):
    base, screen, _librarian, open_item = live
    problems = sweep(browser, base, [("fb-board", "/feedback/board")], screenshots, prefix="anon-")
    problems += sweep(browser, base, [("fb-mine", "/feedback/"), ("fb-new", "/feedback/new"),
                                      ("fb-board", "/feedback/board"), ("home", "/")], screenshots,
                      email=STUDENT, prefix="student-")
    problems += sweep(browser, base, [("fb-queue", "/feedback/queue?state=all"), ("fb-item", "/feedback/1"),
                                      ("fb-item-open", f"/feedback/{open_item}"), ("fb-measures", "/feedback/measures"),
                                      ("fb-settings", "/feedback/settings"), ("fb-category", "/feedback/categories/1"),
                                      ("home", "/")], screenshots, email=LIBRARIAN, prefix="librarian-")
    assert not problems, "\n".join(problems)


def test_the_board_slide_on_a_lobby_screen(browser, live, screenshots):
    base, screen, _librarian, _open_item = live
    page = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    assert page.goto(base + screen).status == 200
    slide = page.inner_text("body")
    assert "我们做了" in slide or "告诉我们" in slide  # the screen's language is Chinese
    page.screenshot(path=str(screenshots / "screen-you-said-we-did.png"))
