"""Making an API key in Chromium, as an administrator does: a key with one scope is made and its
token shown once; a key with none is refused with the reason beside the scopes, in both languages
and at phone and desktop sizes. (A browser refused the form outright while each scope's box was
``required``: the test client's POSTs never saw that.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from core.accounts import create_user
from core.api.models import ApiKey
from core.models import Role
from core.testing import LANGS, PASSWORD, VIEWPORTS, layout_problems, make_app, serve, sign_in, use_language

pytestmark = pytest.mark.browser
ADMIN = "admin@keys.library"
REFUSED = {"en": "Choose at least one scope.", "zh_Hans": "请至少选择一个权限范围。"}


@pytest.fixture
def site(database_url, tmp_path):
    app = make_app(database_url, tmp_path)
    database = app.extensions["engage.db"]
    with app.app_context(), database.write_session() as session:
        create_user(session, email=ADMIN, password=PASSWORD, display_name="Ada Admin 管理员", role=Role.admin)
    try:
        with serve(app) as base:
            yield app, base
    finally:
        database.dispose()


def keys(app) -> list[tuple[str, str]]:
    with app.app_context(), app.extensions["engage.db"].session() as session:
        return [(key.name, key.scopes) for key in session.exec(select(ApiKey).order_by(ApiKey.id))]


def test_a_key_with_one_scope_is_made_and_one_without_is_refused(browser, site, screenshots):
    app, base = site
    problems: list[str] = []
    made = []
    for width, height in VIEWPORTS:
        page = browser.new_page(viewport={"width": width, "height": height}, locale="en-US")
        sign_in(page, base, ADMIN)
        for locale in LANGS:
            use_language(page, locale)
            where = f"API keys [{locale}, {width}x{height}]"
            page.goto(base + "/admin/api-keys")
            expect(page.locator("input[name=scopes][required]")).to_have_count(0)

            page.fill("input[name=name]", f"Nothing chosen {locale} {width}")
            with page.expect_navigation():
                page.click("main form button.primary")
            expect(page.locator("fieldset.has-error .error")).to_have_text(REFUSED[locale])
            problems += layout_problems(page, where + " refused")
            page.screenshot(path=str(screenshots / f"api-keys-refused-{locale}-{width}x{height}.png"), full_page=True)

            name = f"Gate system {locale} {width}"
            page.fill("input[name=name]", name)
            page.check("input[name=scopes][value='inbound:write']")
            with page.expect_navigation():
                page.click("main form button.primary")
            expect(page.locator("code.token")).to_contain_text("le_")
            expect(page.locator("main table")).to_contain_text(name)
            expect(page.locator("input[name=name]")).to_have_value("")  # a second press would make a second key
            expect(page.locator("input[name=scopes]:checked")).to_have_count(0)
            made.append((name, "inbound:write"))
            problems += layout_problems(page, where + " made")
            page.screenshot(path=str(screenshots / f"api-keys-made-{locale}-{width}x{height}.png"), full_page=True)
        use_language(page, "en")
        page.close()
    assert not problems, "\n".join(problems)
    assert keys(app) == made  # the refused forms made nothing
