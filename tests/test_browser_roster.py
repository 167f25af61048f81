"""A roster import in Chromium: an administrator uploads a GBK roster with broken rows, reads the
problems (at phone and desktop sizes, in both languages), uploads a clean one, applies it and
watches the progress block until it is done."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.accounts import create_user
from core.identity.faculties import Faculty
from core.models import Role
from core.testing import (LANGS, PASSWORD, VIEWPORTS, accessibility_problems, layout_problems, make_app, serve,
                          sign_in, use_language)

pytestmark = pytest.mark.browser
DATA = Path(__file__).parent / "data"
ADMIN = "admin@roster.library"
BROKEN = ("学号,姓名,邮箱,学院\n2024/001,王思远,not-an-address,计算机学院\n"
          "2024002,Alexandra Konstantinopoulou-Vandersteen,a.k@uni.edu.cn,Underwater Basketry and Applied Knots\n"
          "2024002,李雨桐,li@uni.edu.cn,物理学院\n").encode("gbk")


@pytest.fixture
def live_server(database_url, tmp_path):
    app = make_app(database_url, tmp_path)
    database = app.extensions["engage.db"]
    with app.app_context(), database.write_session() as session:
        create_user(session, email=ADMIN, password=PASSWORD, display_name="Ada Admin 管理员", role=Role.admin)
        for code, en, zh in (("CS", "Computer Science", "计算机学院"), ("PHYS", "Physics", "物理学院"),
                             ("LIB", "Library", "图书馆")):
            session.add(Faculty(code=code, name_en=en, name_zh=zh))
    try:
        with serve(app) as base:
            yield base
    finally:
        database.dispose()


def test_problems_then_a_clean_import_with_its_progress(browser, live_server, screenshots, tmp_path):
    broken = tmp_path / "名单.csv"
    broken.write_bytes(BROKEN)
    problems: list[str] = []
    for width, height in VIEWPORTS:
        page = browser.new_page(viewport={"width": width, "height": height}, locale="en-US")
        sign_in(page, live_server, ADMIN)
        for locale in LANGS:
            use_language(page, locale)
            page.goto(live_server + "/admin/roster")
            page.set_input_files("input[type=file]", str(broken))
            with page.expect_navigation():
                page.click("main button[type=submit]")
            where = f"roster problems [{locale}, {width}x{height}]"
            expect(page.locator("main table tbody tr")).to_have_count(4)  # line 2: number and email; 3: faculty; 4: number twice
            if width <= 360:
                scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                if scroll > inner:
                    problems.append(f"{where}: scrolls sideways ({scroll}px in {inner}px)")
            problems += layout_problems(page, where)
            if width == VIEWPORTS[-1][0]:
                problems += accessibility_problems(page, where)
            page.screenshot(path=str(screenshots / f"roster-problems-{locale}-{width}x{height}.png"), full_page=True)
        use_language(page, "en")
        page.close()
    assert not problems, "\n".join(problems)

    page = browser.new_page(viewport={"width": 360, "height": 800}, locale="en-US")
    sign_in(page, live_server, ADMIN)
    page.goto(live_server + "/admin/roster")
    page.set_input_files("input[type=file]", str(DATA / "roster_gbk.csv"))
    with page.expect_navigation():
        page.click("main button[type=submit]")
    expect(page.locator("main")).to_contain_text("3 new, 0 changed, 0 unchanged.")
    expect(page.locator("main")).to_contain_text("陈宇")
    with page.expect_navigation():
        page.click("text=Apply the import")
    expect(page.locator("#roster-import")).to_contain_text("The import is applied: 3 new", timeout=15_000)
    page.screenshot(path=str(screenshots / "roster-applied-en-360x800.png"), full_page=True)
    page.goto(live_server + "/admin/users")
    expect(page.locator("main")).to_contain_text("王思远")
    page.close()
