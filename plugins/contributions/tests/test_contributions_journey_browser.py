"""A contribution's whole life in a real browser, driven the way people drive it.

A librarian opens a challenge through the challenge form; a newcomer creates an account through
the registration form, finds the challenge on the home page and sends a contribution; the
librarian approves it from the moderation queue (in a second browser context, signed in); the
student then sees the points on /me, the "First contribution" badge on /me and /badges/, and the
notification in the header's unread count and on /notifications/.

The app runs with CSRF protection on, so every form is posted with the token the page gave it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.accounts import create_user
from core.identity.faculties import Faculty
from core.models import Role
from core.testing import PASSWORD, make_app, open_menu, serve, sign_in

pytestmark = pytest.mark.browser

TITLE = "Notes on a favourite book"
TEXT = "Walden taught me to read slowly and to listen to the quiet between the chapters."
POINTS = 25
LIBRARIAN = "lib.wang@journey.library"
STUDENT = {"email": "mei.lin@journey.library", "name": "Mei Lin"}


@pytest.fixture
def library(database_url, tmp_path):
    """The app (every built-in plugin, CSRF on) with one librarian, served on loopback."""
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    database = app.extensions["engage.db"]
    with app.app_context(), database.write_session() as session:
        create_user(session, email=LIBRARIAN, password=PASSWORD, display_name="Librarian Wang", role=Role.librarian)
        session.add(Faculty(code="LETTERS", name_en="School of Letters", name_zh="文学院"))
    try:
        with serve(app) as base:
            yield app, base
    finally:
        database.dispose()


def local_input(moment: datetime, zone: str) -> str:
    """A UTC instant as the library's local time, the way a datetime-local input takes it."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def click_and_wait(page, locator):
    with page.expect_navigation():
        locator.click()


def test_a_new_student_contributes_and_sees_the_reward(browser, library, screenshots):
    app, base = library
    librarian_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    student_context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    librarian, student = librarian_context.new_page(), student_context.new_page()
    try:
        # 1. The librarian opens a challenge through the challenge form.
        sign_in(librarian, base, LIBRARIAN)
        librarian.goto(base + "/contributions/manage")
        click_and_wait(librarian, librarian.get_by_role("link", name="New challenge"))
        now = datetime.now(ZoneInfo("UTC"))
        zone = app.config["TIMEZONE"]
        librarian.get_by_label("Title in English").fill(TITLE)
        librarian.get_by_label("Title in Chinese").fill("最爱之书读书笔记")
        librarian.get_by_label("Description in English").fill("Share a *reading note* about a book you love.")
        librarian.get_by_label("Description in Chinese").fill("分享一篇读书笔记。")
        librarian.get_by_label("Kind").select_option("review")
        librarian.get_by_label("Opens").fill(local_input(now - timedelta(days=1), zone))
        librarian.get_by_label("Closes").fill(local_input(now + timedelta(days=14), zone))
        librarian.get_by_label("Points on approval").fill(str(POINTS))
        librarian.get_by_label("Bonus points when featured").fill("10")
        librarian.get_by_label("Most submissions per reader").fill("1")
        click_and_wait(librarian, librarian.get_by_role("button", name="Save challenge"))
        assert "The challenge is saved." in librarian.inner_text(".flashes")
        assert librarian.get_by_role("heading", level=1).inner_text() == TITLE

        # 2. A newcomer creates an account through the registration form.
        student.goto(base + "/")
        click_and_wait(student, student.get_by_role("link", name="Create an account").first)
        assert student.url.endswith("/auth/register")
        student.get_by_label("Email").fill(STUDENT["email"])
        student.get_by_label("Display name").fill(STUDENT["name"])
        student.get_by_label("Faculty or college").select_option(label="School of Letters")
        student.get_by_label("Password", exact=True).fill(PASSWORD)
        student.get_by_label("Repeat password").fill(PASSWORD)
        click_and_wait(student, student.get_by_role("button", name="Create my account"))
        assert "your account is ready: sign in with it now" in student.inner_text(".flashes")
        sign_in(student, base, STUDENT["email"])
        assert student.locator("form[action$='/auth/logout']").count() == 1
        assert student.locator("#inbox-link .count").count() == 0  # nothing unread yet

        # 3. The home page lists the open challenge; the student opens it and contributes.
        click_and_wait(student, student.get_by_role("link", name=TITLE))
        assert student.get_by_role("heading", level=1).inner_text() == TITLE
        assert f"{POINTS} points on approval" in student.inner_text("main")
        click_and_wait(student, student.get_by_role("link", name="Contribute"))
        student.get_by_label("Your contribution").fill(TEXT)
        click_and_wait(student, student.get_by_role("button", name="Send for review"))
        assert "waits for a librarian's review" in student.inner_text(".flashes")
        assert "Waiting for review" in student.inner_text("article.contrib-piece")
        student.goto(base + "/me")
        assert student.inner_text("dl.stats .stat.main dd").strip() == "0"  # not paid before approval

        # 4. The librarian approves it from the moderation queue, reached through the menu.
        librarian.goto(base + "/")
        click_and_wait(librarian, librarian.get_by_role("navigation", name="Main menu")
                       .get_by_role("link", name="Moderation (1)"))
        entry = librarian.locator("ul.contrib-queue > li", has_text=STUDENT["name"])
        assert entry.count() == 1 and TEXT[:40] in entry.inner_text()
        entry.get_by_role("checkbox", name=re.compile(r"^Select submission \d+$")).check()
        librarian.get_by_label("Decision").select_option(label="Approve")
        click_and_wait(librarian, librarian.get_by_role("button", name="Record decision"))
        assert "Decision recorded for 1 submission." in librarian.inner_text(".flashes")
        assert "The queue is clear." in librarian.inner_text("main")

        # 5. The student sees the notification count in the header, the points and the badge.
        student.goto(base + "/")
        unread = student.locator("#inbox-link .count")
        assert unread.count() == 1
        unread_count = int(unread.inner_text())
        open_menu(student)  # on a phone the menu and the inbox link are behind the Menu button
        click_and_wait(student, student.get_by_role("navigation", name="Main menu").get_by_role("link", name="My points"))
        assert student.inner_text("dl.stats .stat.main dd").strip() == str(POINTS)
        badges = student.locator("section.my-badges")
        assert badges.get_by_role("link", name="First contribution").count() == 1
        assert f"+{POINTS}" in student.inner_text("ul.ledger")
        assert TEXT[:40] in student.inner_text("main")  # the profile panel of approved work

        open_menu(student)  # on a phone the menu and the inbox link are behind the Menu button
        click_and_wait(student, student.get_by_role("navigation", name="Main menu").get_by_role("link", name="Badges"))
        assert "earned" in student.locator("[data-badge='contributions:first']").get_attribute("class")

        open_menu(student)  # on a phone the menu and the inbox link are behind the Menu button
        click_and_wait(student, student.locator("#inbox-link"))
        assert student.locator("li.note.unread").count() == unread_count  # the header's count is right
        inbox = student.inner_text("ul.notes")
        assert f"Your contribution to “{TITLE}” was approved: +{POINTS} points." in inbox
        assert "First contribution" in inbox
        student.screenshot(path=str(screenshots / "journey-contribution-notifications.png"), full_page=True)

        # The piece is public now: it is in the gallery, approved.
        click_and_wait(student, student.locator("li.note", has_text="was approved").get_by_role("button", name="Open"))
        assert "Approved" in student.inner_text("article.contrib-piece")
        student.goto(base + "/contributions/gallery")
        assert STUDENT["name"] in student.inner_text("main")
        student.goto(base + "/me")
        student.screenshot(path=str(screenshots / "journey-contribution-profile.png"), full_page=True)
    finally:
        librarian_context.close()
        student_context.close()
