"""Every page of the plugin in headless Chromium: both languages, 360 px and 1920×1080."""

from __future__ import annotations

import pytest

from core.testing import serve, sweep

from .conftest import Stories

pytestmark = pytest.mark.browser


def test_every_page_reads_well_on_phones_and_screens(app, browser, screenshots):
    stories = Stories(app)
    voting_contest = stories.new_contest("voting")
    submitting = stories.new_contest("submitting")
    from .test_brand_stories_contests import add_designs

    add_designs(stories, voting_contest)
    poll, episode = stories.poll.id, stories.poll.episode_id
    public = [("index", "/stories/"), ("character", "/stories/characters/1"), ("episode", f"/stories/episodes/{episode}"),
              ("poll", f"/stories/polls/{poll}"), ("contest-closed", f"/stories/contests/{stories.contest.id}"),
              ("contest-submitting", f"/stories/contests/{submitting.id}")]
    student = [("poll-voter", f"/stories/polls/{poll}"), ("contest-voting", f"/stories/contests/{voting_contest.id}"),
               ("contest-entry", f"/stories/contests/{submitting.id}"), ("home", "/")]
    librarian = [("manage", "/stories/manage"), ("edit-character", "/stories/manage/characters/1"),
                 ("edit-episode", f"/stories/manage/episodes/{episode}"), ("new-poll", f"/stories/manage/episodes/{episode}/polls/new"),
                 ("new-contest", "/stories/manage/contests/new"), ("moderate", f"/stories/manage/contests/{stories.contest.id}"),
                 ("options", f"/stories/manage/polls/{poll}/options"), ("admin", "/admin/")]
    with serve(app) as base:
        problems = sweep(browser, base, public, screenshots, prefix="stories-anon-")
        problems += sweep(browser, base, student, screenshots, email=stories.students[0].email, prefix="stories-student-")
        problems += sweep(browser, base, librarian, screenshots, email=stories.librarian.email, prefix="stories-librarian-")
        problems += tv_slides(app, browser, base, screenshots)
    assert problems == []


def tv_slides(app, browser, base, screenshots) -> list[str]:
    """The poll slide on a lobby screen in each language, as a TV shows it (1920×1080)."""
    import json

    from core.models import Screen
    from core.screens import make_token

    problems = []
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        screens = [Screen(name=f"Lobby {locale}", locale=locale, slides=json.dumps(["plugin:brand_stories:poll"]))
                   for locale in ("en", "zh_Hans")]
        session.add_all(screens)
        session.flush()
        tokens = [(s.locale, make_token(s)) for s in screens]
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    for locale, token in tokens:
        response = page.goto(f"{base}/screen/{token}")
        if response is None or response.status != 200:
            problems.append(f"screen [{locale}]: status {response.status if response else 'none'}")
        page.wait_for_timeout(1200)  # let the slide fade in
        text = page.inner_text("body")
        if ("voters" if locale == "en" else "人投票") not in text:
            problems.append(f"screen [{locale}]: no turnout on the poll slide")
        page.screenshot(path=str(screenshots / f"stories-tv-{locale}-1920x1080.png"))
    context.close()
    return problems
