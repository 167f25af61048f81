"""Test fixtures for core and for every plugin: a pytest plugin (``pytest_plugins = ["core.testing"]``).

A fresh database per test, an app, a client, a CLI runner and sign-in helpers; and a
browser harness (the app served on loopback, driven by Playwright in Debian's Chromium).
Tables come from the models (``create_all``: fast) and the migration check is off; only the
migration tests (tests/test_migrations_*.py) build schemas with Alembic.

The suite runs on SQLite always; with ENGAGE_TEST_DATABASE_URL set it runs on that
PostgreSQL database instead (each xdist worker in its own schema) and fails at once if
the server cannot be reached. A plugin's own tests (``plugins/<name>/tests``) use the same
fixtures; a third-party plugin package adds ``pytest_plugins = ["core.testing"]`` to its
root ``conftest.py``.
"""

from __future__ import annotations

import itertools
import os
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

import core.accounts
from core import create_app
from core.accounts import create_user
from core.models import Role

PG_URL = os.environ.get("ENGAGE_TEST_DATABASE_URL")
PASSWORD = "correct horse battery"


def pytest_configure(config):
    config.addinivalue_line("markers", "bare_database: the test's database starts with no table at all, as "
                            "`engage init-db` finds a new one (on PostgreSQL the schema is made again, not emptied)")


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite (a new file per test)'}"


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashes():
    """Argon2 is slow on purpose; tests use cheap parameters of the same algorithm."""
    real = core.accounts._hasher
    core.accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    core.accounts._hasher = real


@pytest.fixture(autouse=True, scope="session")
def _url_builders_made_once():
    """Nearly every test builds an app, and Werkzeug writes and compiles a Python function to build
    the URL of each of its ~270 routes: half the time it takes to build an app. That function
    depends only on the rule's parts, the names of its defaults and whether unknown arguments are
    appended, so the tests of a process share one per distinct rule. (A rule whose default fills a
    part of its path also depends on that value and its converter: it is built as usual.)"""
    from werkzeug.routing.rules import Rule

    real = Rule._compile_builder
    made = {}

    def compile_builder(rule, append_unknown=True):
        defaults = rule.defaults or {}
        if any(name in rule._converters for name in defaults):
            return real(rule, append_unknown)
        key = (tuple(rule._trace), append_unknown, tuple(sorted(defaults)))
        if key not in made:
            made[key] = real(rule, append_unknown)
        return made[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Rule, "_compile_builder", compile_builder)
        yield


@pytest.fixture(autouse=True, scope="session")
def _tables_from_models():
    """Tests make their tables with ``create_all`` (fast), so apps and the ``engage`` command they
    build skip the migration check; the migration tests (tests/test_migrations*.py) turn it on."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ENGAGE_SCHEMA_CHECK", "false")
        yield


@pytest.fixture(scope="session")
def pg_schema_url(worker_id="master"):
    """A PostgreSQL URL whose search_path is a schema of this test worker's own."""
    if not PG_URL:
        return None
    # ENGAGE_TEST_SCHEMA keeps runs that share one database (two checkouts, say) apart.
    prefix = os.environ.get("ENGAGE_TEST_SCHEMA", "engage_test")
    schema = f"{prefix}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    try:
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        engine.dispose()
    except Exception as exc:  # the PostgreSQL pass must fail, never skip
        pytest.exit(f"cannot reach PostgreSQL at {PG_URL}: {exc}", returncode=3)
    sep = "&" if "?" in PG_URL else "?"
    # The application name lets ``database_url`` find this worker's own connections.
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}&application_name={schema}"


@pytest.fixture
def database_url(request, tmp_path, pg_schema_url):
    """A clean database for this test: on SQLite a new file; on PostgreSQL the worker's schema with
    its tables emptied, or with no table at all for a test marked ``bare_database`` (one that runs
    the migrations itself, as ``engage init-db`` does)."""
    if not pg_schema_url:
        yield f"sqlite:///{tmp_path / 'engage.sqlite'}"
        return
    engine = create_engine(pg_schema_url)
    _end_leaked_transactions(engine)
    _empty_schema(engine, bare=request.node.get_closest_marker("bare_database") is not None)
    engine.dispose()
    yield pg_schema_url


def _empty_schema(engine, *, bare: bool = False) -> None:
    """Leave this worker's schema as a new test expects it: every table empty, every id counting
    from 1. Emptying the tables the last test wrote to is quick; dropping and making every table
    for each test was most of a PostgreSQL test's time (catalogue work). A schema that does not
    match the models (a migration test's tables, or a table the models do not have) is dropped
    whole, as it is when ``bare``, and the app's ``create_all`` makes it again."""
    models = SQLModel.metadata.tables
    with engine.begin() as conn:
        columns = dict(conn.execute(text(
            "SELECT c.relname, count(a.attnum) FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
            " AND a.attnum > 0 AND NOT a.attisdropped WHERE c.relnamespace = current_schema()::regnamespace"
            " AND c.relkind IN ('r', 'p') GROUP BY c.relname")).all())
        if bare or any(name not in models or n != len(models[name].columns) for name, n in columns.items()):
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            return
        if columns:
            probes = " UNION ALL ".join(f"(SELECT '{name}' FROM \"{name}\" LIMIT 1)" for name in columns)
            written = [name for (name,) in conn.execute(text(probes))]
            if written:
                conn.execute(text("TRUNCATE " + ", ".join(f'"{name}"' for name in written) + " CASCADE"))
        for (sequence,) in conn.execute(text("SELECT sequencename FROM pg_sequences"
                                             " WHERE schemaname = current_schema() AND last_value IS NOT NULL")).all():
            conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))


def _end_leaked_transactions(engine) -> None:
    """End this worker's connections that an earlier test left inside a transaction (a test that
    failed or timed out mid-way): their locks would hold the tables' emptying, and so every later
    test of the worker, for ever. Idle connections hold no lock and are left alone."""
    import warnings

    with engine.begin() as conn:
        ended = conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = current_setting("
            "'application_name') AND pid <> pg_backend_pid() AND state <> 'idle'")).all()
    if ended:
        warnings.warn(f"ended {len(ended)} connection(s) an earlier test left inside a transaction", stacklevel=2)


def make_app(database_url, tmp_path, plugins=(), **config):
    """An app for tests: tables made from the models (no migrations, no schema check); CSRF and
    rate limits off unless a test turns them on; jobs run at once in the test's process
    (``JOBS_IMMEDIATE``) and no ballot queues a "pay rewards" job (a test pays queued rewards with
    ``core.rewards.pay_all`` when it wants them, or turns ``REWARD_JOBS`` on)."""
    settings = {"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
                "PLUGIN_REFRESH_SECONDS": 0, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                "PLUGIN_ENTRY_POINT_GROUP": None, "JOBS_IMMEDIATE": True, "REWARD_JOBS": False,
                "CREATE_TABLES": True, "SCHEMA_CHECK": False, "PUBLIC_BASE_URL": "http://localhost",
                "MAIL_BACKEND": "locmem", "MAIL_JOBS": False}
    settings.update(config)
    return create_app(settings, plugins=plugins, instance_path=str(tmp_path / "instance"))


@pytest.fixture
def app_factory(database_url, tmp_path):
    """Build apps on this test's database; all are disposed afterwards."""
    apps = []

    def factory(plugins=(), **config):
        app = make_app(database_url, tmp_path, plugins, **config)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.extensions["engage.db"].dispose()


@pytest.fixture
def app(app_factory):
    return app_factory()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """The app's Database (engine and session factories)."""
    return app.extensions["engage.db"]


_user_numbers = itertools.count(1)


def create_test_user(app, role=Role.student, **fields):
    """Create a user in ``app``'s database through the service function (password: PASSWORD)."""
    n = next(_user_numbers)
    role = Role(role)
    fields.setdefault("email", f"{role.value}{n}@test.library")
    fields.setdefault("display_name", f"Reader {n}")
    fields.setdefault("password", PASSWORD)
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        return create_user(session, role=role, **fields)


@pytest.fixture
def make_user(app):
    """Create a user in the test app's database."""
    return lambda role=Role.student, **fields: create_test_user(app, role, **fields)


class AuthActions:
    """Sign in and out through the real forms."""

    def __init__(self, client):
        self._client = client

    def login(self, email, password=PASSWORD):
        return self._client.post("/auth/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


# --- the browser harness ------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORTS = [(360, 800), (1920, 1080)]
LANGS = {"en": ("English", "en"), "zh_Hans": ("简体中文", "zh-Hans")}  # locale: (button label, <html lang>)


# Run in every frame before the page's own scripts: a violation the browser reports as an event
# is logged as an error too, so the console listener below sees every one.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("Content Security Policy violation: " + e.effectiveDirective + " refused " +
                (e.blockedURI || "inline") + " in " + e.sourceFile + ":" + e.lineNumber);
});
"""


class WatchedBrowser:
    """A Playwright browser whose every page reports Content-Security-Policy violations to
    ``violations``; the ``_no_csp_violations`` fixture fails the test that caused any."""

    def __init__(self, browser) -> None:
        self._browser = browser
        self.violations: list[str] = []

    def __getattr__(self, name):
        return getattr(self._browser, name)

    def _watch(self, context) -> None:
        def on_console(message):
            if message.type == "error" and "Content Security Policy" in message.text:
                self.violations.append(f"{message.location.get('url', '?')}: {message.text}")

        context.add_init_script(_CSP_LISTENER)
        context.on("console", on_console)

    def new_context(self, **options):
        """A new context, watched."""
        context = self._browser.new_context(**options)
        self._watch(context)
        return context

    def new_page(self, **options):
        """A page in a new context of its own, watched."""
        context = self.new_context(**options)
        page = context.new_page()
        page.on("close", lambda _page: context.close())
        return page


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module; skipped where it is not installed, failed in CI.
    Any Content-Security-Policy violation on any of its pages fails the test.

    Browser tests run once, in the SQLite pass: the pages in the browser are under test, not the
    database (what each page reads and writes is tested on both databases without a browser)."""
    if PG_URL:
        pytest.skip("a browser test runs once, in the SQLite pass: the pages are under test, not the database")
    if not Path(CHROMIUM).exists():
        message = "Chromium not installed (apt-get install chromium fonts-noto-cjk)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield WatchedBrowser(chromium)
        chromium.close()


@pytest.fixture(autouse=True)
def _no_csp_violations(request):
    """Fail a browser test whose pages broke the Content-Security-Policy (an inline script,
    handler or style, a resource from elsewhere): such a page works only partly for readers."""
    watched = request.getfixturevalue("browser") if "browser" in request.fixturenames else None
    if watched is not None:
        watched.violations.clear()
    yield
    if watched is not None and watched.violations:
        found = list(dict.fromkeys(watched.violations))
        watched.violations.clear()
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(found[:20]), pytrace=False)


@contextmanager
def serve(app):
    """Serve ``app`` on a free loopback port in a background thread; yields the base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="engage-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def screenshots(request):
    """The folder screenshots go to: ``ENGAGE_SCREENSHOTS``, else ``screenshots/<test module>/`` at
    the root of the run (git ignores it), so a person can look at every page after a run."""
    folder = Path(os.environ.get("ENGAGE_SCREENSHOTS")
                  or request.config.rootpath / "screenshots" / request.node.module.__name__.rsplit(".", 1)[-1])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_menu(page):
    """Open the header's menu panel when it is folded behind the Menu button (on a phone), so its
    links, the language switch and the account controls can be clicked."""
    toggle = page.locator(".menu-toggle")
    if toggle.count() and toggle.locator("summary").is_visible() and toggle.get_attribute("open") is None:
        toggle.locator("summary").click()


def use_language(page, locale):
    """Click the header's language button (a POST to /language) unless that language is on already."""
    label, _tag = LANGS[locale]
    button = page.locator("form.lang button", has_text=label)
    if button.get_attribute("aria-pressed") != "true":
        open_menu(page)
        with page.expect_navigation():
            button.click()
    assert page.locator("html").get_attribute("lang") == LANGS[locale][1]


def sign_in(page, base, email, password=PASSWORD):
    """Sign in through the login form."""
    page.goto(base + "/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.locator("form[action$='/auth/logout']").count() == 1, f"signing in as {email} failed"


AXE_IMPACTS = ("serious", "critical")


def accessibility_problems(page, where: str) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now (axe-playwright-python
    ships axe-core itself, so nothing is fetched)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    problems = []
    for violation in results.response["violations"]:
        if violation.get("impact") in AXE_IMPACTS:
            targets = [", ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
            problems.append(f"{where}: axe {violation['impact']} {violation['id']} — {violation['help']} "
                            f"at {'; '.join(targets)}")
    return problems


# Boxes whose text must fit: stat tiles, buttons, table cells, menu and tab links, status pills.
FITTED = ".stat, .button, button, td, th, .menu a, .subnav a, .state"

# In the browser: every fitted box whose text runs out of it, or whose words break across lines
# (Latin words and numbers; Chinese breaks between any two characters by design); and every
# table promised to fit (``data-fit``: the leaderboards) that needs a sideways swipe.
_LAYOUT_PROBLEMS = r"""
(selector) => {
  const found = [];
  const word = /(?:(?!\p{Script=Han})[\p{L}\p{N}%])+/gu;
  const name = (el) => el.tagName.toLowerCase() +
    (typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\s+/).join(".") : "");
  const says = (el) => JSON.stringify((el.innerText || el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 40));
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === "hidden") continue;
    if (style.overflowX === "visible" && el.scrollWidth > el.clientWidth + 1) {
      found.push(`${name(el)} ${says(el)}: its text overflows its box (${el.scrollWidth}px in ${el.clientWidth}px)`);
      continue;
    }
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(word)) {
        if (match[0].length < 2) continue;
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (tops.size > 1) {
          found.push(`${name(el)} ${says(el)}: the word ${JSON.stringify(match[0])} breaks across ${tops.size} lines`);
        }
      }
    }
  }
  for (const table of document.querySelectorAll("table[data-fit]")) {
    const wrap = table.closest(".table-wrap") || table.parentElement;
    if (table.getBoundingClientRect().width > wrap.clientWidth + 1) {
      found.push(`${name(table)}: needs a sideways swipe (${Math.round(table.getBoundingClientRect().width)}px in ${wrap.clientWidth}px)`);
    }
  }
  return [...new Set(found)];
}
"""


def layout_problems(page, where: str) -> list[str]:
    """Text that wraps mid-word or overflows a tile, button or table cell, and tables marked
    ``data-fit`` (leaderboards) that need a sideways swipe, on the page as it is now."""
    return [f"{where}: {problem}" for problem in page.evaluate(_LAYOUT_PROBLEMS, FITTED)]


# In the browser: the parts of a TV slide below or beside the screen (the TV page hides its
# scrollbars, so a slide that runs off the screen would go unseen by the scroll check).
_TV_OVERFLOW = r"""
() => {
  const found = [];
  const [width, height] = [window.innerWidth, window.innerHeight];
  const outside = new Set();
  for (const el of document.querySelectorAll(".tv-slide *")) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || el.closest("svg") && el.tagName.toLowerCase() !== "svg") continue;
    if (box.bottom > height + 1 || box.right > width + 1) {
      outside.add(el);
      if (outside.has(el.parentElement)) continue;  // its container is reported already
      const text = (el.innerText || "").trim().replace(/\s+/g, " ").slice(0, 40);
      found.push(`${el.tagName.toLowerCase()}.${el.className} ${JSON.stringify(text)} ends at ` +
                 `${Math.round(box.right)}x${Math.round(box.bottom)}, outside the ${width}x${height} screen`);
    }
  }
  return found.slice(0, 5);
}
"""


def tv_slide_problems(page, where: str) -> list[str]:
    """What of the TV slide on screen now lies outside the screen."""
    return [f"{where}: {problem}" for problem in page.evaluate(_TV_OVERFLOW)]


# In the browser: main menu links out of sight (cut off, under something else, in a scrolling
# strip) and how many are marked as the current page, against how many should be.
_MENU_PROBLEMS = r"""
() => {
  const found = [];
  const links = [...document.querySelectorAll("#menu a")];
  for (const link of links) {
    const box = link.getBoundingClientRect();
    const [x, y] = [box.left + box.width / 2, box.top + box.height / 2];
    const hit = box.width && box.height && box.left >= 0 && box.right <= window.innerWidth && y < window.innerHeight
      ? document.elementFromPoint(x, y) : null;
    if (!hit || hit.closest("a") !== link) {
      found.push(`menu item ${JSON.stringify(link.textContent.trim())} is out of sight`);
    }
  }
  const path = location.pathname;
  const belongs = links.some((link) => {
    const url = new URL(link.href).pathname;
    const folder = url.endsWith("/") ? url : url + "/";
    return path === url || path === folder || (url !== "/" && path.startsWith(folder));
  });
  const marked = links.filter((link) => link.getAttribute("aria-current") === "page").map((link) => link.textContent.trim());
  if (marked.length > 1 || (belongs && marked.length !== 1)) {
    found.push(`the menu marks ${marked.length} items as the current page (${marked.join(", ")})`);
  }
  return found;
}
"""


def menu_problems(page, where: str) -> list[str]:
    """Every main menu item in sight (the phone's menu panel opened for the look, then closed),
    and exactly one marked as the current page when the page belongs to the menu."""
    if not page.locator("#menu").count():
        return []
    toggle = page.locator(".menu-toggle summary")
    folded = toggle.count() and toggle.is_visible()
    if folded:
        open_menu(page)
    found = page.evaluate(_MENU_PROBLEMS)
    if folded:
        toggle.click()
    return [f"{where}: {problem}" for problem in found]


def check_page(page, base, name, path, locale, viewport, folder, problems, status=200, axe=True):
    """Visit one page, note in ``problems`` what is wrong with it (status, language, styles,
    sideways scrolling on a phone, text that wraps mid-word or overflows a tile, button or table
    cell, a main menu item out of sight or not exactly one marked as the page, and with ``axe``
    serious or critical accessibility violations), and keep a screenshot."""
    width, height = viewport
    response = page.goto(base + path)
    where = f"{path} [{locale}, {width}x{height}]"
    if response is None or response.status != status:
        problems.append(f"{where}: status {response.status if response else 'none'}")
    lang = page.locator("html").get_attribute("lang")
    if lang != LANGS[locale][1]:
        problems.append(f"{where}: <html lang={lang!r}>, expected {LANGS[locale][1]!r}")
    if page.locator(".site-header").count():
        styled = page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor")
        if styled in ("rgba(0, 0, 0, 0)", "transparent"):
            problems.append(f"{where}: the stylesheet is not applied (header has no background)")
    if width <= 360:
        scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if scroll_width > inner_width:
            problems.append(f"{where}: scrolls sideways ({scroll_width}px wide in a {inner_width}px window)")
    problems.extend(layout_problems(page, where))
    problems.extend(menu_problems(page, where))
    if axe:
        problems.extend(accessibility_problems(page, where))
    page.screenshot(path=str(folder / f"{name}-{locale}-{width}x{height}.png"), full_page=True)


def sweep(browser, base, pages, folder, *, email=None, prefix="", password=PASSWORD, axe=True, menu_shot=None):
    """Check every ``(name, path)`` in both languages at phone and desktop sizes, signed in as
    ``email`` when given; returns the list of problems (empty when all is well). The
    accessibility audit (unless ``axe`` is False) runs once per page and language, at the
    desktop size. ``menu_shot`` names a screenshot of the first page with its menu open."""
    problems: list[str] = []
    for viewport in VIEWPORTS:
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="en-US")
        page = context.new_page()
        try:
            if email:
                sign_in(page, base, email, password)
            else:
                page.goto(base + "/")
            for locale in LANGS:
                use_language(page, locale)
                for name, path in pages:
                    check_page(page, base, prefix + name, path, locale, viewport, folder, problems,
                               axe=axe and viewport == VIEWPORTS[-1])
                if menu_shot and pages:
                    page.goto(base + pages[0][1])
                    open_menu(page)
                    page.screenshot(path=str(folder / f"{prefix}{menu_shot}-{locale}-{viewport[0]}x{viewport[1]}.png"))
            use_language(page, "en")  # a signed-in account remembers the language
        finally:
            context.close()
    return problems
