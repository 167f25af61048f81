"""A round of peer evaluation, from opening to the published staff board, in a real browser.

Four librarians share a rubric (written beforehand through the service: two criteria). Ana opens
a round through the "New round" form; each librarian signs in in a browser context of their own
and rates the three colleagues through the rating form; the round then closes and Ana reviews and
publishes the results through the UI; a colleague sees the ranked staff board, and so does an
anonymous visitor on the public wall.

Why the close time is moved in the database: a round closes purely by time (``service.state``
compares now with ``closes_at``); there is no "close now" button, and ``create_round`` refuses a
closing time that has already passed (the form takes minutes, so the shortest honest round would
keep the test waiting a minute or more). So once everyone has rated, the test sets ``closes_at``
a minute into the past, as the clock would, and runs ``engage staff-scores remind`` — the cron
job that, in production, tells every librarian the round has closed.

The app runs with CSRF protection on, so every form is posted with the token the page gave it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.accounts import create_user
from core.models import Role, utcnow
from core.testing import PASSWORD, make_app, serve, sign_in
from plugins.staff_scores import service
from plugins.staff_scores.models import Round

pytestmark = pytest.mark.browser

ANCHORS_EN = "Not yet\nSometimes\nUsually\nAlmost always\nAn example to others"
ANCHORS_ZH = "尚未做到\n有时\n通常\n几乎总是\n堪称榜样"
CRITERIA = [("Helpfulness to readers", "对读者的帮助"), ("Teamwork", "团队合作")]
# The four librarians, best first: colleagues rate each one by this quality, so the ranking is
# known in advance (marks vary per rater, so nobody is flagged for straight-lining).
QUALITY = {"Ana Alvarez": 5, "Bo Brown": 4, "Chen Chao": 3, "Dana Diaz": 2}
ROUND_TITLE = "Autumn peer review"


def email_of(name: str) -> str:
    return name.split()[0].lower() + "@staff.library"


def marks_for(ratee: str) -> list[int]:
    """The marks every colleague gives ``ratee``, one per criterion."""
    q = QUALITY[ratee]
    return [q, max(1, q - 1)]


@pytest.fixture
def library(database_url, tmp_path):
    """The app (every built-in plugin, CSRF on) with four librarians and a two-criterion rubric."""
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    database = app.extensions["engage.db"]
    with app.test_request_context("/"), database.write_session() as session:
        people = [create_user(session, email=email_of(name), password=PASSWORD, display_name=name,
                              role=Role.librarian) for name in QUALITY]
        criteria = [{"name_en": en, "name_zh": zh, "description_en": f"How well: {en.lower()}.",
                     "description_zh": f"{zh}做得如何。", "anchors_en": ANCHORS_EN, "anchors_zh": ANCHORS_ZH}
                    for en, zh in CRITERIA]
        service.save_rubric(session, rubric=None, criteria=criteria, actor_id=people[0].id)
    try:
        with serve(app) as base:
            yield app, base
    finally:
        database.dispose()


def click_and_wait(page, locator):
    with page.expect_navigation():
        locator.click()


def rate_colleagues(page, base, me: str, *, signed_in: bool = False):
    """As ``me`` (signing in unless ``signed_in``), open the round from the home page and rate
    every colleague through the rating form."""
    if signed_in:
        page.goto(base + "/")
    else:
        sign_in(page, base, email_of(me))
    panel = page.locator("[data-panel='staff_scores-home']")
    assert "3 colleagues left to rate." in panel.inner_text()
    click_and_wait(page, panel.get_by_role("link", name=ROUND_TITLE))
    for colleague in QUALITY:
        if colleague == me:
            continue
        row = page.locator("ul.ss-people > li", has_text=colleague)
        click_and_wait(page, row.get_by_role("link", name="Rate"))
        assert page.get_by_role("heading", level=1).inner_text() == f"Rate {colleague}"
        for (criterion, _zh), mark in zip(CRITERIA, marks_for(colleague)):
            page.get_by_role("group", name=criterion).get_by_role("radio", name=re.compile(rf"^{mark}\b")).check()
        page.get_by_label("Comment (optional)").fill(f"Thank you, {colleague.split()[0]}, for the help this autumn.")
        click_and_wait(page, page.get_by_role("button", name="Save my rating"))
        assert f"Your rating of {colleague} is saved." in page.inner_text(".flashes")
        assert page.locator("ul.ss-people > li", has_text=colleague).locator(".state.on").inner_text() == "Rated"
    page.goto(base + "/staff-scores/")
    assert "You have rated every colleague." in page.inner_text("ul.ss-rounds")


def test_a_round_of_peer_evaluation_up_to_the_published_board(browser, library, screenshots):
    app, base = library
    contexts = {name: browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
                for name in QUALITY}
    pages = {name: context.new_page() for name, context in contexts.items()}
    visitor_context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    try:
        # 1. Ana opens a round through the "New round" form (times in the library's time zone).
        ana = pages["Ana Alvarez"]
        sign_in(ana, base, email_of("Ana Alvarez"))
        click_and_wait(ana, ana.get_by_role("navigation", name="Main menu").get_by_role("link", name="Staff scores"))
        click_and_wait(ana, ana.get_by_role("link", name="New round"))
        zone = ZoneInfo(app.config["TIMEZONE"])
        now = datetime.now(zone)
        ana.get_by_label("Title (English)").fill(ROUND_TITLE)
        ana.get_by_label("Title (Chinese)").fill("秋季互评")
        ana.get_by_label("Opens").fill((now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
        ana.get_by_label("Closes").fill((now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
        click_and_wait(ana, ana.get_by_role("button", name="Create the round"))
        assert "Round created." in ana.inner_text(".flashes")
        assert ana.locator(".stat.main dd").inner_text() == "Open for rating"
        round_url = ana.url

        # 2. Every librarian, in a browser of their own, rates the three colleagues (Ana last).
        for name in ["Bo Brown", "Chen Chao", "Dana Diaz", "Ana Alvarez"]:
            rate_colleagues(pages[name], base, name, signed_in=name == "Ana Alvarez")

        # Before the close nobody sees results, not even the round's creator.
        ana.goto(round_url)
        assert ana.get_by_role("heading", name="Results", exact=True).count() == 0
        assert ana.locator("section.ss-review").count() == 0

        # 3. The round closes (its closing time moved into the past; see the module docstring),
        # and the cron job tells everyone.
        with app.test_request_context("/"), app.extensions["engage.db"].write_session() as session:
            (round_,) = session.execute(select(Round)).scalars().all()
            round_.closes_at = utcnow() - timedelta(minutes=1)
            session.add(round_)
        app.extensions["engage.plugins"].hooks.engage_cli_commands(cli=app.cli)  # as `engage` does at start-up
        result = app.test_cli_runner().invoke(args=["staff-scores", "remind"])
        assert result.exit_code == 0, result.output

        # 4. Ana reviews the results (no suspicious patterns) and publishes them.
        ana.goto(round_url)
        assert ana.locator(".stat.main dd").inner_text() == "Closed"
        review = ana.locator("section.ss-review")
        assert "No suspicious patterns found." in review.inner_text()
        ana.once("dialog", lambda dialog: dialog.accept())  # publishing cannot be undone: the page asks first
        click_and_wait(ana, review.get_by_role("button", name="Publish the results"))
        assert "Results published; every librarian has been told." in ana.inner_text(".flashes")
        assert ana.locator(".stat.main dd").inner_text() == "Results published"
        ranks = ana.locator("table.board-table tbody tr")
        assert [ranks.nth(i).locator("td").nth(1).inner_text() for i in range(4)] == list(QUALITY)
        assert [ranks.nth(i).locator("td").nth(0).inner_text() for i in range(4)] == ["1", "2", "3", "4"]

        # 5. Dana is told, and sees the ranked staff board.
        dana = pages["Dana Diaz"]
        dana.goto(base + "/")
        assert int(dana.locator("#inbox-link .count").inner_text()) >= 1
        click_and_wait(dana, dana.locator("#inbox-link"))
        inbox = dana.inner_text("ul.notes")
        assert f"Results of “{ROUND_TITLE}” are published: see your report." in inbox
        assert f"Evaluation round “{ROUND_TITLE}” has closed." in inbox
        click_and_wait(dana, dana.get_by_role("navigation", name="Main menu").get_by_role("link", name="Staff scores"))
        click_and_wait(dana, dana.get_by_role("navigation", name="Staff scores").get_by_role("link", name="Staff board"))
        latest = dana.locator("section.card", has=dana.get_by_role("heading", name=ROUND_TITLE))
        board = latest.locator("ol.ss-board > li")
        assert [board.nth(i).locator("span").first.inner_text() for i in range(board.count())] == list(QUALITY)
        assert board.nth(3).get_attribute("aria-current") == "true"  # Dana's own line stands out
        scores = [float(board.nth(i).locator(".num").inner_text()) for i in range(4)]
        assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
        dana.screenshot(path=str(screenshots / "journey-staff-board.png"), full_page=True)

        # 6. Anyone may see the public wall with the same ranking.
        visitor = visitor_context.new_page()
        assert visitor.goto(base + "/staff-scores/wall").status == 200
        wall = visitor.locator("section.card", has=visitor.get_by_role("heading", name=ROUND_TITLE))
        names = wall.locator("ol.ss-board > li > span:first-child")
        assert names.all_inner_texts() == list(QUALITY)
        visitor.screenshot(path=str(screenshots / "journey-staff-wall.png"), full_page=True)
    finally:
        for context in contexts.values():
            context.close()
        visitor_context.close()
