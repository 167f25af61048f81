"""The account pages the main sweep (test_browser_pages.py) cannot reach with a plain GET: the new
password form behind a reset link, the page that refuses a sign-in, and the report of "Test this
provider". Each in both languages at phone and desktop sizes, with the sweep's own checks. A probe
provider (tests/signin_probe_plugin.py) stands in for a campus server: the pages are core's."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import signin_probe_plugin

from core.accounts import create_user
from core.identity.providers import save_provider_settings
from core.identity.providers_models import SignInSetting
from core.identity.tokens import reset_token
from core.models import Role
from core.testing import LANGS, PASSWORD, VIEWPORTS, check_page, make_app, serve, sign_in, use_language
from tests.identity_servers import campus_faculties

pytestmark = pytest.mark.browser
ADMIN_EMAIL = "admin@browser.library"
ALICE = {"name": "Alice Li 李爱丽", "mail": "alice@campus.edu", "number": "S1001", "college": "School of History",
         "eduPersonAffiliation": ["student"]}


def callback(attributes: dict) -> str:
    return "/probe-signin/callback?" + urlencode({"subject": "alice", "attributes": json.dumps(attributes)})


@pytest.fixture
def identity_server(database_url, tmp_path):
    app = make_app(database_url, tmp_path, plugins=(signin_probe_plugin,))
    database = app.extensions["engage.db"]
    campus_faculties(app)
    with app.test_request_context("/"), database.write_session() as session:
        create_user(session, email=ADMIN_EMAIL, password=PASSWORD, display_name="Ada Admin 管理员", role=Role.admin)
        reader = create_user(session, email="reader@browser.library", password=PASSWORD, display_name="Rui Reader 读者")
        session.flush()
        token = reset_token(reader)
        save_provider_settings(session, key="probe", values={"server_url": "https://probe.example.edu/"}, secret=None,
                               actor_id=None)
        session.flush()
        row = session.get(SignInSetting, "probe")
        row.mapping = json.dumps({"display_name": "name", "email": "mail", "member_number": "number",
                                  "faculty": "college", "allow": "eduPersonAffiliation=student"})
        session.add(row)
    try:
        with serve(app) as base:
            yield base, token
    finally:
        database.dispose()


def test_reset_form_refusal_and_provider_report_in_both_languages(browser, identity_server, screenshots):
    base, token = identity_server
    problems: list[str] = []
    for viewport in VIEWPORTS:
        desktop = viewport == VIEWPORTS[-1]
        anonymous = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="en-US")
        admin = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="en-US")
        try:
            page = anonymous.new_page()
            page.goto(base + "/")
            admin_page = admin.new_page()
            sign_in(admin_page, base, ADMIN_EMAIL)
            for locale in LANGS:
                use_language(page, locale)
                check_page(page, base, "reset-form", f"/auth/reset/{token}", locale, viewport, screenshots, problems,
                           axe=desktop)
                check_page(page, base, "signin-refused", callback({**ALICE, "eduPersonAffiliation": ["alumni"]}), locale,
                           viewport, screenshots, problems, status=403, axe=desktop)
                check_page(page, base, "signin-refused-attributes", callback({**ALICE, "mail": "not an address"}),
                           locale, viewport, screenshots, problems, status=400, axe=desktop)
                admin_page.goto(base + "/admin/sign-in/probe")  # the language button returns here, not to
                use_language(admin_page, locale)                 # the used-up callback (that would sign in)
                admin_page.locator("form[action$='/admin/sign-in/probe/test'] button").click()
                admin_page.wait_for_url("**/probe-signin/start")
                check_page(admin_page, base, "signin-test-report", callback(ALICE), locale, viewport, screenshots,
                           problems, axe=desktop)
                if "S1001" not in admin_page.content():
                    problems.append(f"the test report [{locale}] does not show the released number")
            admin_page.goto(base + "/admin/sign-in/probe")
            use_language(admin_page, "en")
        finally:
            anonymous.close()
            admin.close()
    assert not problems, "\n".join(problems)
