"""Journey: a reader votes in a "what happens next" poll with the keyboard alone, then changes
the ballot; the poll keeps one ballot for them, with the earlier one in its history, and the
points for voting reach their history from core's reward queue a moment later."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core.testing import create_test_user, make_app, serve, sign_in
from plugins.brand_stories.models import Ballot, BallotHistory

from .conftest import Stories

pytestmark = pytest.mark.browser


def tick_with_keyboard(page, wanted: set[str]) -> None:
    """Tab through the ballot's boxes, pressing Space on each one whose state must change."""
    page.focus("form.ballot input[name=option]")
    boxes = page.locator("form.ballot input[name=option]").count()
    for n in range(boxes):
        label = page.evaluate("document.activeElement.closest('label').innerText.trim()")
        checked = page.evaluate("document.activeElement.checked")
        if (label in wanted) != checked:
            page.keyboard.press("Space")
        if n < boxes - 1:
            page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # on to the submit button
    assert page.evaluate("document.activeElement.type") == "submit"


def test_a_reader_votes_and_changes_the_ballot_with_the_keyboard(browser, database_url, tmp_path, screenshots):
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True, REWARD_JOBS=True)
    stories = Stories(app)
    reader = create_test_user(app)  # a reader who has not voted yet
    poll_id, texts = stories.poll.id, [o.text_en for o in stories.options]
    try:
        with serve(app) as base:
            page = browser.new_page(viewport={"width": 360, "height": 800})
            sign_in(page, base, reader.email)
            page.goto(f"{base}/stories/polls/{poll_id}")
            tick_with_keyboard(page, {texts[0], texts[1]})
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert "Your ballot is recorded. Your 5 points follow in a moment." in page.inner_text("main")
            assert page.get_by_role("button", name="Change my ballot").count() == 1
            page.screenshot(path=str(screenshots / "journey-vote-recorded.png"), full_page=True)

            tick_with_keyboard(page, {texts[-1]})
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert "Your ballot is changed." in page.inner_text("main")
            ticked = page.eval_on_selector_all(
                "form.ballot input[name=option]:checked", "boxes => boxes.map(b => b.closest('label').innerText.trim())")
            assert ticked == [texts[-1]]
            page.screenshot(path=str(screenshots / "journey-vote-changed.png"), full_page=True)
            for _attempt in range(50):  # the reward job pays once the ballot commits
                page.goto(f"{base}/me")
                if "Voted in a story poll or contest" in page.inner_text("main"):
                    break
                page.wait_for_timeout(200)
            assert "Voted in a story poll or contest" in page.inner_text("main")
            page.screenshot(path=str(screenshots / "journey-vote-points.png"), full_page=True)
            page.close()
        with stories.db.session() as session:
            ballots = session.exec(select(Ballot).where(Ballot.poll_id == poll_id, Ballot.user_id == reader.id)).all()
            history = session.exec(select(BallotHistory).where(BallotHistory.poll_id == poll_id,
                                                               BallotHistory.user_id == reader.id)).all()
        assert len(ballots) == 1 and len(history) >= 1
    finally:
        stories.db.dispose()
