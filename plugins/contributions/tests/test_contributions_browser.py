"""Every page of the plugin in headless Chromium: both languages, 360 px phones and 1920×1080 screens."""

from __future__ import annotations

import random

import pytest
from sqlmodel import select

from core.models import Role
from core.screens import make_token, save_screen
from core.testing import create_test_user, serve, sign_in, sweep
from plugins.contributions.demo import populate_demo
from plugins.contributions.models import Challenge, Submission

pytestmark = pytest.mark.browser


def demo_app(app_factory):
    """An app filled with the plugin's own demo data (other plugins' demos are theirs to test)."""
    app = app_factory()
    students = [create_test_user(app, display_name=name) for name in
                ["Quiet Heron", "书虫小林", "Curious Panda", "南园晨读", "Bright Crane", "夜读人", "Kind Owl", "竹影"]]
    librarians = [create_test_user(app, Role.librarian, display_name="Wang Lin 王琳")]
    with app.test_request_context("/"), app.extensions["engage.db"].write_session() as session:
        populate_demo(session, random.Random(3), students, librarians)
        screen = save_screen(session, screen=None, name="大厅", locale="zh_Hans", seconds_per_slide=60,
                             slides=["plugin:contributions:featured"], allowed={"plugin:contributions:featured"},
                             actor_id=librarians[0].id)
        app.config["TEST_SCREEN_PATH"] = f"/screen/{make_token(screen)}"
    return app, students, librarians[0]


def look_at_the_screen(browser, base, path, folder):
    """The lobby TV with the featured-work slide, as a 1920×1080 screenshot."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    try:
        assert page.goto(base + path).status == 200
        page.wait_for_selector(".tv-plugin")
        page.wait_for_timeout(1500)  # let the slide finish fading in
        page.screenshot(path=str(folder / "screen-featured-zh_Hans-1920x1080.png"))
        return page.inner_text(".tv-slide")
    finally:
        context.close()


def like_in_place(browser, base, email):
    """Click a like button in the gallery, then again to take it back: htmx swaps in the new count
    each time without leaving the page."""
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    try:
        sign_in(page, base, email)
        page.goto(base + "/contributions/gallery")
        box = page.locator(".contrib-like:has(button[aria-pressed=false])").first
        box_id = box.get_attribute("id")
        before = int(box.locator(".contrib-count").inner_text())
        box.locator("button").click()
        liked = page.locator(f"#{box_id} button.liked[aria-pressed=true]")
        liked.wait_for()
        after = int(liked.locator(".contrib-count").inner_text())
        liked.click()
        again = page.locator(f"#{box_id} button[aria-pressed=false]")
        again.wait_for()
        assert page.url.endswith("/contributions/gallery")
        return before, after, int(again.locator(".contrib-count").inner_text())
    finally:
        context.close()


def test_every_page_looks_right(app_factory, browser, screenshots):
    app, students, librarian = demo_app(app_factory)
    with app.app_context(), app.extensions["engage.db"].session() as session:
        challenges = list(session.exec(select(Challenge).order_by(Challenge.id)))
        pieces = list(session.exec(select(Submission).order_by(Submission.id)))
    approved = next(s for s in pieces if s.status == "approved" and s.image_id)
    pending = next(s for s in pieces if s.status == "pending")
    author = next(u for u in students if u.id == pending.user_id)
    open_one = challenges[0]
    public = [("index", "/contributions/"), ("gallery", "/contributions/gallery"),
              ("challenge", f"/contributions/challenges/{open_one.id}"),
              ("upcoming", f"/contributions/challenges/{challenges[3].id}"),
              ("piece", f"/contributions/submissions/{approved.id}")]
    student = [("home", "/"), ("mine", "/contributions/mine"), ("submit", f"/contributions/challenges/{open_one.id}/submit"),
               ("own-pending", f"/contributions/submissions/{pending.id}"),
               ("edit", f"/contributions/submissions/{pending.id}/edit"), ("profile", "/me")]
    staff = [("manage", "/contributions/manage"), ("moderation", "/contributions/moderation"),
             ("moderation-all", "/contributions/moderation?status="),
             ("new-challenge", "/contributions/challenges/new"),
             ("edit-challenge", f"/contributions/challenges/{open_one.id}/edit"),
             ("moderate-piece", f"/contributions/submissions/{pending.id}"),
             ("admin", "/admin/")]
    with serve(app) as base:
        problems = sweep(browser, base, public, screenshots, prefix="anon-")
        problems += sweep(browser, base, student, screenshots, email=author.email, prefix="student-")
        problems += sweep(browser, base, staff, screenshots, email=librarian.email, prefix="librarian-")
        slide_text = look_at_the_screen(browser, base, app.config["TEST_SCREEN_PATH"], screenshots)
        newcomer = create_test_user(app, display_name="Newcomer")
        before, after, unliked = like_in_place(browser, base, newcomer.email)
    assert (after, unliked) == (before + 1, before)
    assert problems == []
    assert "精选贡献" in slide_text and "扫码参与" in slide_text  # in the screen's own language
