"""Every staff-scores page in headless Chromium: both languages, phone and desktop, no sideways scrolling."""

import random

import pytest
from sqlalchemy import select

from core.models import Role
from core.testing import create_test_user, serve, sweep
from plugins.staff_scores import plugin
from plugins.staff_scores.models import Round

pytestmark = pytest.mark.browser


def demo_app(app_factory):
    """An app with the plugin's demo data and one closed round waiting to be published."""
    app = app_factory()
    admin = create_test_user(app, Role.admin, display_name="Admin 管理员")
    librarians = [create_test_user(app, Role.librarian, display_name=name)
                  for name in ("Wang Lin 王琳", "Chen Yu 陈宇", "Zhao Min 赵敏")]
    db = app.extensions["engage.db"]
    with app.test_request_context(), db.write_session() as session:
        plugin.engage_demo_data(session=session, rng=random.Random(7), students=[], librarians=librarians)
    with app.test_request_context(), db.write_session() as session:
        rounds = session.execute(select(Round).order_by(Round.opens_at)).scalars().all()
        rounds[-2].published_at = None  # the latest closed round waits for review
        from core.screens import save_screen
        screen = save_screen(session, screen=None, name="Lobby", locale="zh_Hans", seconds_per_slide=10,
                             slides=["plugin:staff_scores:board"], allowed={"plugin:staff_scores:board"},
                             actor_id=admin.id)
        from core.screens import make_token
        token = make_token(screen)
        ids = {"open": rounds[-1].id, "closed": rounds[-2].id, "published": rounds[0].id,
               "rubric": rounds[0].rubric_id, "colleague": librarians[1].id}
    return app, admin, librarians, ids, token


def test_every_page_looks_right(app_factory, browser, screenshots):
    app, admin, librarians, ids, token = demo_app(app_factory)
    pages = [("ss-index", "/staff-scores/"), ("ss-board", "/staff-scores/board"), ("ss-report", "/staff-scores/me"),
             ("ss-kudos", "/staff-scores/kudos"), ("ss-rubric", "/staff-scores/rubric"),
             ("ss-rubric-version", f"/staff-scores/rubric/{ids['rubric']}"),
             ("ss-rubric-new", "/staff-scores/rubric/new"), ("ss-round-new", "/staff-scores/rounds/new"),
             ("ss-round-open", f"/staff-scores/rounds/{ids['open']}"),
             ("ss-round-published", f"/staff-scores/rounds/{ids['published']}"),
             ("ss-rate", f"/staff-scores/rounds/{ids['open']}/rate/{ids['colleague']}"),
             ("ss-settings", "/staff-scores/settings"), ("ss-home", "/")]
    admin_pages = [("ss-round-review", f"/staff-scores/rounds/{ids['closed']}"), ("ss-admin", "/admin/")]
    with serve(app) as base:
        problems = sweep(browser, base, pages, screenshots, email=librarians[0].email, prefix="librarian-")
        problems += sweep(browser, base, admin_pages, screenshots, email=admin.email, prefix="admin-")
        problems += sweep(browser, base, [("ss-wall", "/staff-scores/wall")], screenshots, prefix="anonymous-")
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        page = context.new_page()
        response = page.goto(f"{base}/screen/{token}")
        assert response.status == 200
        page.wait_for_timeout(1500)  # let the slide fade in
        page.screenshot(path=str(screenshots / "screen-slide-zh_Hans-1920x1080.png"))
        assert "王琳" in page.content() or "陈宇" in page.content() or "赵敏" in page.content()
        context.close()
    assert not problems, "\n".join(problems)
