"""What readers expect, in a real browser: the badge verification page, the public profile,
the points chart on "My points", and "Show more" appending a board's next rows in place."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core.accounts import create_user
from core.models import BadgeAward, Role, User, utcnow
from core.points import award
from core.testing import PASSWORD, make_app, serve, sign_in, sweep

pytestmark = pytest.mark.browser
EMAIL = "ada@browser.library"
WORLD: dict = {}


@pytest.fixture
def live_server(database_url, tmp_path):
    """A reader with a public page, a badge and seven weeks of points, and 24 others on the board."""
    app = make_app(database_url, tmp_path)
    database = app.extensions["engage.db"]
    with app.app_context(), database.write_session() as session:
        create_user(session, email="desk@browser.library", password=PASSWORD, display_name="Desk", role=Role.admin)
        ada = create_user(session, email=EMAIL, password=PASSWORD, display_name="Ada Lovelace 艾达", role=Role.student,
                          cohort="Mathematics 数学")
        ada.public_profile = True
        session.flush()
        session.execute(update(User).where(User.id == ada.id).values(created_at=utcnow() - timedelta(weeks=7)))
        for n in range(24):
            other = create_user(session, email=f"r{n}@browser.library", password=PASSWORD,
                                display_name=f"Reader {n:02d}", role=Role.student)
            session.flush()
            award(session, user_id=other.id, amount=n + 1, rule="demo-activity", plugin="core",
                  idempotency_key=f"other:{n}")
        for week in range(7):
            award(session, user_id=ada.id, amount=5 + week * 3, rule="demo-activity", plugin="core",
                  idempotency_key=f"ada:{week}", at=utcnow() - timedelta(weeks=6 - week))
        session.flush()
        WORLD["ada"] = ada.id
        WORLD["award"] = session.execute(select(BadgeAward.id).where(BadgeAward.user_id == ada.id)).scalars().first()
    try:
        with serve(app) as base:
            yield base
    finally:
        database.dispose()


def test_reader_pages_in_both_languages_at_phone_and_desktop_sizes(browser, live_server, screenshots):
    public = [("verify", f"/badges/verify/{WORLD['award']}"), ("public-profile", f"/people/{WORLD['ada']}")]
    problems = sweep(browser, live_server, public, screenshots, prefix="readers-")
    problems += sweep(browser, live_server, [("my-points", "/me"), ("board", "/boards/all")], screenshots,
                      email=EMAIL, prefix="readers-")
    assert not problems, "\n".join(problems)


def test_show_more_appends_the_next_rows_in_place(browser, live_server):
    page = browser.new_page(viewport={"width": 360, "height": 800})
    try:
        page.goto(live_server + "/boards/all")
        rows = page.locator("#board-rows > tr:not(.show-more-row)")
        assert rows.count() == 20
        page.click("#board-rows .show-more")
        rows.nth(20).wait_for()  # a locator wait, not wait_for_function: the CSP forbids eval
        assert rows.count() == 25 and page.locator("#board-rows .show-more").count() == 0
        assert page.url.endswith("/boards/") or page.url.endswith("/boards/all")  # still the same page
        assert page.locator("#board-rows > tr").nth(20).locator("td").first.inner_text() == "21"
    finally:
        page.close()


def test_the_chart_and_the_icons_load(browser, live_server):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    try:
        sign_in(page, live_server, EMAIL)
        page.goto(live_server + "/me")
        width = page.evaluate("document.querySelector('img.points-chart').naturalWidth")
        assert width > 0  # the SVG image decoded
        manifest = page.evaluate("fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())")
        assert manifest["display"] == "standalone"
        assert page.evaluate("fetch('/favicon.svg').then(r => r.status)") == 200
    finally:
        context.close()
