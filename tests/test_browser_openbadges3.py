"""Open Badges 3.0 in a real browser: a holder downloads their credential from the badge page and
anyone pastes it into the checking page; the answer must fit a phone and a desktop, in both
languages (no sideways scrolling, no text out of its box, no serious accessibility problem)."""

from __future__ import annotations

import pytest
from test_browser_pages import ADMIN_EMAIL, live_server  # noqa: F401  the served app with an admin's badge

from core.testing import LANGS, VIEWPORTS, accessibility_problems, layout_problems, sign_in, use_language

pytestmark = pytest.mark.browser


def test_a_downloaded_credential_checks_valid_on_phone_and_desktop(browser, live_server, screenshots):  # noqa: F811
    problems = []
    for width, height in VIEWPORTS:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
        page = context.new_page()
        try:
            sign_in(page, live_server, ADMIN_EMAIL)
            page.goto(live_server + "/badges/core:first-points")
            link = page.locator("a[type='application/vc+ld+json']")
            assert link.count() == 1 and page.locator("a[href$='-ob3.png'], a[href*='/openbadges/v3/']").count() >= 2
            credential = page.request.get(live_server + link.get_attribute("href"))
            assert credential.ok and credential.headers["content-type"] == "application/vc+ld+json"
            for locale in LANGS:
                use_language(page, locale)
                page.goto(live_server + "/badges/verify/credential")
                page.fill("textarea[name=text]", credential.text())
                with page.expect_navigation():
                    page.click("main button[type=submit]")
                where = f"checked credential [{locale}, {width}x{height}]"
                assert page.locator(".verify.valid .verify-status").count() == 1, where
                if width <= 360:
                    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                    if scroll > inner:
                        problems.append(f"{where}: scrolls sideways ({scroll}px in {inner}px)")
                problems.extend(layout_problems(page, where))
                if (width, height) == VIEWPORTS[-1]:
                    problems.extend(accessibility_problems(page, where))
                page.screenshot(path=str(screenshots / f"verify-credential-valid-{locale}-{width}x{height}.png"),
                                full_page=True)
            use_language(page, "en")
        finally:
            context.close()
    assert not problems, "\n".join(problems)
