"""Campus sign-in in a real browser: Chromium goes from this site's sign-in page to the CAS
server's own login page and to the OpenID Connect provider's own login page, signs in there, and
comes back signed in (at phone size, in English and Chinese); the servers are real, on loopback."""

from __future__ import annotations

import json

import pytest

from core.identity.providers import save_provider_settings
from core.identity.providers_models import SignInSetting
from core.testing import open_menu, serve
from tests.identity_servers.servers import cas_server, oidc_factory, run_once  # noqa: F401

pytestmark = [pytest.mark.browser, *run_once]


def configure(app, key, secret=None, mapping=None, **values):
    with app.test_request_context(), app.extensions["engage.db"].write_session() as session:
        save_provider_settings(session, key=key, values=values, secret=secret, actor_id=None)
        if mapping:
            row = session.get(SignInSetting, key)
            row.mapping = json.dumps(mapping)
            session.add(row)


def signed_in_as(page, base, name):
    page.goto(base + "/me")
    assert page.locator("form[action$='/auth/logout']").count() == 1
    assert name in page.content()


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_sign_in_through_the_cas_servers_own_login_page(browser, app_factory, cas_server, screenshots, locale):  # noqa: F811
    app = app_factory()
    configure(app, "cas", server_url=cas_server, version="3",
              mapping={"display_name": "displayName", "email": "mail", "member_number": "employeeNumber",
                       "faculty": "ou"})
    with serve(app) as base:
        page = browser.new_page(viewport={"width": 360, "height": 800}, locale="zh-CN" if locale == "zh_Hans" else "en")
        page.goto(base + "/auth/login")
        label = "统一身份认证登录" if locale == "zh_Hans" else "Sign in with your campus account"
        page.screenshot(path=str(screenshots / f"signin-login-{locale}-360.png"), full_page=True)
        page.click(f"text={label}")
        page.wait_for_url(f"{cas_server}login*")
        page.fill("input[name=username]", "张三")
        page.fill("input[name=password]", "zhang-pw")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/**")
        signed_in_as(page, base, "张三")
        page.screenshot(path=str(screenshots / f"signin-cas-{locale}-360.png"), full_page=True)
        # Signing out here goes on to the CAS server's logout, which sends the browser back home;
        # the CAS server then asks for a password again (its single sign-on session ended).
        open_menu(page)
        with page.expect_request(f"{cas_server}logout*"):
            page.click("form[action$='/auth/logout'] button")
        page.wait_for_url(f"{base}/")
        page.goto(f"{cas_server}login")
        assert page.locator("input[name=password]").count() == 1
        page.close()


def test_sign_in_through_the_oidc_providers_own_login_page(browser, app_factory, oidc_factory, screenshots):  # noqa: F811
    app = app_factory()
    with serve(app) as base:
        issuer = oidc_factory([f"{base}/signin/oidc/callback"], [f"{base}/"])
        configure(app, "oidc", secret="engage-secret", issuer=issuer, client_id="engage",
                  scopes="openid email profile campus", end_session="yes",
                  mapping={"display_name": "name", "email": "email", "member_number": "student_number",
                           "faculty": "college", "role_rules": "groups=staff -> librarian"})
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(base + "/auth/login")
        page.click("text=Sign in with your university account")
        page.wait_for_url(f"{issuer}/**")
        page.fill("input[name=login]", "bob")
        page.fill("input[name=password]", "any")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/**")
        signed_in_as(page, base, "Bob Wang")
        page.screenshot(path=str(screenshots / "signin-oidc-en-1920.png"), full_page=True)
        page.click("form[action$='/auth/logout'] button")
        page.wait_for_url(f"{issuer}/session/end*")
        page.close()
