"""The main pages in a real browser: headless Chromium at phone and desktop sizes, in both languages.

The app runs on a loopback port in a background thread (werkzeug's ``make_server``) and
Playwright drives Debian's Chromium (``apt-get install chromium fonts-noto-cjk``; Playwright
cannot download its own browsers here). Each page must answer 200, must not scroll sideways
at 360 px, and must carry ``<html lang="zh-Hans">`` in Chinese. Screenshots go to the folder
named by ``ENGAGE_SCREENSHOTS`` (default: this test's ``tmp_path / "screenshots"``) so a
person can look at them.
"""

from __future__ import annotations

import example_plugin
import pytest

from core.accounts import create_user
from core.models import Role
from core.points import adjust, award
from core.testing import PASSWORD, make_app, serve, sweep

pytestmark = pytest.mark.browser

ANONYMOUS_PAGES = [("home", "/"), ("login", "/auth/login"), ("register", "/auth/register")]
ADMIN_PAGES = [("me", "/me"), ("admin", "/admin/")]
ADMIN_EMAIL = "admin@browser.library"


@pytest.fixture
def live_server(database_url, tmp_path):
    """The app with a signed-up admin (and a few points), served on a free loopback port."""
    app = make_app(database_url, tmp_path, plugins=(example_plugin,))
    database = app.extensions["engage.db"]
    with app.app_context(), database.write_session() as session:
        admin = create_user(session, email=ADMIN_EMAIL, password=PASSWORD, display_name="Ada Admin 管理员",
                            role=Role.admin, cohort="图书馆 Library")
        for n, amount in enumerate([10, 20, 5]):
            award(session, user_id=admin.id, amount=amount, rule="demo-activity", plugin="core",
                  idempotency_key=f"browser:{n}")
        adjust(session, user_id=admin.id, amount=-5, actor_id=admin.id, reason="Returned a book late",
               idempotency_key="browser:adjust")
    try:
        with serve(app) as base:
            yield base
    finally:
        database.dispose()


def test_pages_render_in_both_languages_at_phone_and_desktop_sizes(browser, live_server, screenshots):
    problems = sweep(browser, live_server, ANONYMOUS_PAGES, screenshots)
    problems += sweep(browser, live_server, ADMIN_PAGES, screenshots, email=ADMIN_EMAIL)
    assert not problems, "\n".join(problems)
