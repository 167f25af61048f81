"""Rewards in headless Chromium: a reader on a 360 px phone redeems a perk and gets a voucher with
its QR code, a librarian at the desk looks the code up and fulfils it, and the reader sees it
fulfilled; then every rewards page in both languages at 360 px and 1920×1080, and the screen slide."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.demo import populate
from core.models import Role
from core.points import award
from core.screens import make_token, save_screen
from core.testing import create_test_user, make_app, serve, sign_in, sweep, tv_slide_problems
from plugins.rewards.models import Draw, Voucher

pytestmark = pytest.mark.browser

READER, LIBRARIAN = "reader@rw.library", "librarian@rw.library"


@pytest.fixture
def live(database_url, tmp_path):
    """The demo library (perks, vouchers, draws), a reader with points, a librarian, a lobby screen."""
    app = make_app(database_url, tmp_path)
    database = app.extensions["engage.db"]
    with app.app_context():
        populate(database, students=30)
    reader = create_test_user(app, Role.student, email=READER, display_name="Lin Xiaoyu 林晓雨")
    librarian = create_test_user(app, Role.librarian, email=LIBRARIAN, display_name="Wen Jing 文静")
    found = {}
    with app.app_context(), database.write_session() as session, app.test_request_context("/"):
        award(session, user_id=reader.id, amount=300, rule="demo-activity", plugin="core", idempotency_key="rw:reader")
        slides = ["plugin:rewards:perks"]
        row = save_screen(session, screen=None, name="Lobby 大厅", locale="zh_Hans", seconds_per_slide=5,
                          slides=slides, allowed=set(slides), actor_id=librarian.id)
        session.flush()
        found["screen"] = f"/screen/{make_token(row)}"
        found["voucher"] = session.execute(select(Voucher.code).order_by(Voucher.id)).scalars().first()
        found["drawn"], found["open"] = (session.execute(select(Draw.id).where(Draw.drawn_at.is_not(None))).scalar(),
                                         session.execute(select(Draw.id).where(Draw.drawn_at.is_(None))).scalar())
    try:
        with serve(app) as base:
            yield base, found
    finally:
        database.dispose()


def test_a_redemption_to_a_fulfilled_voucher(browser, live, screenshots):
    base, _found = live
    phone = browser.new_context(viewport={"width": 360, "height": 800}, locale="en-US").new_page()
    desk = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US").new_page()

    sign_in(phone, base, READER)
    phone.goto(base + "/rewards/")
    assert "300" in phone.inner_text(".stat.main")
    card = phone.locator("li.rw-perk", has_text="Study room, 2 hours")
    with phone.expect_navigation():
        card.locator("button[type=submit]").click()
    assert "Show this voucher at the desk" in phone.inner_text(".flashes")
    code = phone.inner_text(".rw-code").strip()
    assert phone.locator("img.rw-qr").count() == 1
    phone.screenshot(path=str(screenshots / "rewards-voucher-phone.png"), full_page=True)

    sign_in(desk, base, LIBRARIAN)
    desk.goto(base + "/rewards/manage")
    desk.fill("input[name=code]", code)
    with desk.expect_navigation():
        desk.click("form.search button[type=submit]")
    assert "Lin Xiaoyu" in desk.inner_text("main")
    with desk.expect_navigation():
        desk.click("text=Fulfil")
    assert "Fulfilled" in desk.inner_text(".flashes")

    phone.goto(base + "/rewards/wallet")
    assert "Fulfilled" in phone.inner_text("main") and "220" in phone.inner_text(".stat.main")
    phone.screenshot(path=str(screenshots / "rewards-wallet-phone.png"), full_page=True)


def test_every_rewards_page_in_both_languages_and_sizes(browser, live, screenshots):
    base, found = live
    problems = sweep(browser, base, [("rw-draws", "/rewards/draws"), ("rw-drawn", f"/rewards/draws/{found['drawn']}")],
                     screenshots, prefix="anon-")
    problems += sweep(browser, base, [("rw-perks", "/rewards/"), ("rw-wallet", "/rewards/wallet"),
                                      ("rw-open-draw", f"/rewards/draws/{found['open']}"), ("home", "/")],
                      screenshots, email=READER, prefix="reader-")
    problems += sweep(browser, base, [("rw-manage", "/rewards/manage"), ("rw-vouchers", "/rewards/manage/vouchers"),
                                      ("rw-voucher", f"/rewards/vouchers/{found['voucher']}"),
                                      ("rw-perk", "/rewards/manage/perks/1"), ("rw-perk-new", "/rewards/manage/perks/new"),
                                      ("rw-draw-new", "/rewards/manage/draws/new"),
                                      ("rw-drawn", f"/rewards/draws/{found['drawn']}")],
                      screenshots, email=LIBRARIAN, prefix="librarian-")
    assert not problems, "\n".join(problems)


def test_the_perks_slide_fits_a_lobby_screen(browser, live, screenshots):
    base, found = live
    page = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    assert page.goto(base + found["screen"]).status == 200
    assert "积分" in page.inner_text("body")
    assert not tv_slide_problems(page, "rewards slide")
    page.screenshot(path=str(screenshots / "screen-rewards.png"))
