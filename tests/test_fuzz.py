"""Fuzzing every route and form field, generated from the app's own route map (all plugins on).

A demo library gives real objects; a crawl of every page as an administrator, a librarian and
a reader finds real ids for path arguments, the query arguments pages use, and every form
(its action, fields, options and uploads). Hypothesis then sends, per route, a fixed number
of requests mixing plausible values with hostile ones: huge and negative integers, NUL and
control characters, invalid UTF-8, enormous strings, malformed and extreme dates, wrong
types, missing and repeated fields, and hostile uploads (non-images, truncated images, huge
dimension headers, empty files). CSRF is off so requests reach validation.

Every answer must be below 500, and a refused request (4xx) must leave every table's row
count as it was. Failures are collected rather than raised at once, so one run reports all
of them; the number of requests sent and faults found is printed (``-s`` shows it).
``ENGAGE_FUZZ_EXAMPLES`` scales the number of requests per route (default 1 = the CI size).
"""

from __future__ import annotations

import io
import os
import re
import struct
import traceback
import zlib
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote_from_bytes, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlmodel import SQLModel
from werkzeug.exceptions import HTTPException

from core.demo import populate
from core.models import PluginState, Role, User
from core.plugins import set_enabled
from core.testing import PASSWORD

pytestmark = pytest.mark.fuzz

SCALE = float(os.environ.get("ENGAGE_FUZZ_EXAMPLES", "1"))
GET_EXAMPLES = max(1, int(12 * SCALE))
POST_EXAMPLES = max(1, int(40 * SCALE))
CRAWL_LIMIT = 500  # pages per role
LAZY_PAGES = ["/stories/", "/feedback/queue"]

# --- hostile values ----------------------------------------------------------------------

HUGE_INTS = ["0", "-1", "-2147483648", "-2147483649", "2147483647", "2147483648", "4294967296",
             "9223372036854775807", "9223372036854775808", "-9223372036854775809", "99999999999999999999",
             "1" + "0" * 400, "007", "1e309", "1.5", "NaN", "inf", "-0", "+5", " 5 ", "0x10", "١٢"]
HOSTILE_TEXT = ["\x00", "a\x00b", "\x00" * 50, "\x01\x02\x03\x1b[31m\x7f", "line\rbreak\nnew", "\t",
                "\u202eevil", "\ufeff", "\u0085\u2028\u2029", "😀" * 20, "<script>alert(1)</script>",
                "' OR 1=1 --", "%00", "%s%n%x", "{{7*7}}", "../../../../etc/passwd", "//evil.example/x",
                "javascript:alert(1)", "=cmd|' /C calc'!A0", "", " ", "x" * 300, "x" * 5_000, "x" * 200_000,
                "null", "true", "[]", "{}", "-1", "2147483648"]
INVALID_UTF8 = [b"\xff", b"\xc3\x28", b"a\xed\xa0\x80b", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\x80" * 10]
HOSTILE_DATES = ["0001-01-01", "0000-00-00", "9999-12-31", "10000-01-01", "-0001-01-01", "2024-02-30",
                 "2024-13-01", "2024-1-1", "1-1-1", "20240101", "2024-01-01T00:00", "0001-01-01T00:00",
                 "9999-12-31T23:59", "2024-01-01T25:61", "2024-01-01 00:00:00+14:00", "1899-12-31",
                 "2100-01-01", "1970-01-01T00:00:00Z", "yesterday"]
HOSTILE = st.one_of(st.sampled_from(HUGE_INTS), st.sampled_from(HOSTILE_TEXT), st.sampled_from(HOSTILE_DATES),
                    st.sampled_from(INVALID_UTF8), st.text(max_size=30), st.binary(max_size=30))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png(width: int, height: int, pixels: bytes | None = None) -> bytes:
    header = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    if pixels is None:
        pixels = zlib.compress(b"".join(b"\x00" + b"\x80\x40\x20" * width for _ in range(height)))
    return b"\x89PNG\r\n\x1a\n" + header + _png_chunk(b"IDAT", pixels) + _png_chunk(b"IEND", b"")


GOOD_PNG = _png(8, 8)
UPLOADS = [
    ("picture.png", GOOD_PNG, "image/png"),
    ("empty.png", b"", "image/png"),
    ("notes.png", b"just some text, not an image", "image/png"),
    ("page.html", b"<html><script>alert(1)</script></html>", "text/html"),
    ("half.png", GOOD_PNG[: len(GOOD_PNG) // 2], "image/png"),
    ("header-only.png", GOOD_PNG[:33], "image/png"),
    ("huge.png", _png(100_000, 100_000, zlib.compress(b"\x00" * 1024)), "image/png"),
    ("wide.png", _png(2**31 - 1, 1, zlib.compress(b"\x00" * 64)), "image/png"),
    ("huge.gif", b"GIF89a\xff\xff\xff\xff\x00\x00\x00;", "image/gif"),
    ("truncated.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xc0\x00\x11"
                      b"\x08\xff\xff\xff\xff\x03\x01\x22\x00", "image/jpeg"),
    ("bomb.svg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "image/svg+xml"),
    ("../../etc/passwd", GOOD_PNG, "image/png"),
    ("nul\x00.png", GOOD_PNG, "image/png"),
    ("", GOOD_PNG, "application/octet-stream"),
    ("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 3_000_000, "image/png"),
]


def _as_bytes(value) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


# --- crawling ----------------------------------------------------------------------------

class Page(HTMLParser):
    """The links and forms of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("href", "hx-get", "src"):
            if a.get(key):
                self.links.append(a[key])
        if tag == "form":
            self._form = {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(),
                          "fields": {}, "hx": a.get("hx-post")}
            self.forms.append(self._form)
        if a.get("hx-post") and tag != "form":
            self.forms.append({"action": a["hx-post"], "method": "post", "fields": {}, "hx": None})
        form = self._form
        if form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            field = form["fields"].setdefault(name, {"type": kind, "values": []})
            if a.get("value") is not None:
                field["values"].append(a["value"])
            elif kind in ("checkbox", "radio"):
                field["values"].append("on")
        elif tag == "button" and name:
            form["fields"].setdefault(name, {"type": "button", "values": []})["values"].append(a.get("value", ""))
        elif tag == "select" and name:
            self._select = form["fields"].setdefault(name, {"type": "select", "values": []})
        elif tag == "option" and self._select is not None:
            self._select["values"].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = form["fields"].setdefault(name, {"type": "textarea", "values": []})

    def handle_data(self, data):
        if self._textarea is not None and data.strip():
            self._textarea["values"].append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


class Site:
    """What the crawl learnt: real path values per (endpoint, argument), query arguments per
    endpoint, and the forms posted to each endpoint (with the roles that saw them)."""

    def __init__(self, app) -> None:
        self.app = app
        self.adapter = app.url_map.bind("localhost")
        self.path_values: dict[tuple[str, str], set] = defaultdict(set)
        self.query_args: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
        self.forms: dict[str, list[tuple[str, dict]]] = defaultdict(list)
        self.get_urls: dict[str, set] = defaultdict(set)
        self.by_name: dict[str, set] = defaultdict(set)  # path values by argument name, any route

    def match(self, url: str, method: str):
        parts = urlsplit(url)
        if parts.netloc and parts.netloc != "localhost":
            return None
        try:
            endpoint, values = self.adapter.match(parts.path, method=method)
        except HTTPException:
            return None
        except Exception:  # a redirect to a slash-ended address, say
            return None
        for name, value in values.items():
            self.path_values[(endpoint, name)].add(value)
            self.by_name[name].add(value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            self.query_args[endpoint][name].add(value)
        return endpoint

    def crawl(self, client, role: str, seeds: list[str]) -> None:
        queue, seen = list(seeds), set()
        while queue and len(seen) < CRAWL_LIMIT:
            url = queue.pop(0)
            if url in seen or not url.startswith("/") or url.startswith("//"):
                continue
            seen.add(url)
            endpoint = self.match(url, "GET")
            if endpoint is None or endpoint.endswith("static") or endpoint == "auth.logout":
                continue
            self.get_urls[endpoint].add(url)
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.content_type:
                continue
            page = Page()
            page.feed(response.get_data(as_text=True))
            for link in page.links:
                if link.startswith("/") and not link.startswith("//") and link.split("?")[0] not in ("/auth/logout",):
                    queue.append(link)
            for form in page.forms:
                action = form["action"] or url
                if form["method"] == "get":
                    target = self.match(action, "GET")
                    if target:
                        for name, field in form["fields"].items():
                            self.query_args[target][name].update(field["values"] or [""])
                    continue
                target = self.match(action, "POST")
                if target:
                    self.forms[target].append((role, form["fields"]))


# --- the fuzzing app ---------------------------------------------------------------------

class Fuzz:
    """One app with a demo library and its actors; sends requests and records faults."""

    def __init__(self, app) -> None:
        self.app = app
        self.db = app.extensions["engage.db"]
        self.sent = 0
        self.faults: list[str] = []
        self.tables = sorted(SQLModel.metadata.tables)
        with app.app_context():
            populate(self.db, students=8)
        self.actors = {"admin": self._user_id("admin@demo.library"),
                       "librarian": self._user_id("librarian1@demo.library"),
                       "reader": self._reader_id(),
                       "anonymous": None}
        self.roles = {"admin": Role.admin, "librarian": Role.librarian, "reader": Role.student}
        self._count_sql = text("SELECT " + ", ".join(f'(SELECT count(*) FROM "{name}")' for name in self.tables))

    def _reader_id(self):
        """A demo student with a contribution of their own (so its edit and withdraw forms show)."""
        with self.db.session() as session:
            return session.execute(text(
                "SELECT s.user_id FROM contributions_submission s JOIN core_user u ON u.id = s.user_id "
                "WHERE u.role = 'student' ORDER BY s.id LIMIT 1")).scalar() or self._user_id("student1@demo.library")

    def _user_id(self, email):
        with self.db.session() as session:
            return session.execute(text("SELECT id FROM core_user WHERE email = :e"), {"e": email}).scalar_one()

    def counts(self) -> tuple:
        with self.db.engine.connect() as conn:
            return tuple(conn.execute(self._count_sql).one())

    def heal(self, accepted: bool = False) -> None:
        """Undo what an accepted request may have done to the actors and switches: each example
        starts with the same people signed in and every plugin on. After an accepted request,
        visit the pages that settle due work lazily (a poll closed now notifies its voters on
        the next page read), so that work is not counted against the next request."""
        if accepted:
            client = self.client("admin")
            for page in LAZY_PAGES:
                client.get(page)
        with self.db.write_session() as session:
            for role, user_id in self.actors.items():
                if user_id is not None:
                    session.execute(text("UPDATE core_user SET is_active = :t, role = :r WHERE id = :i"),
                                    {"t": True, "r": self.roles[role].value, "i": user_id})
            off = session.execute(select(PluginState.name).where(PluginState.enabled.is_(False))).scalars().all()
        if off:
            with self.app.test_request_context("/"), self.db.write_session() as session:
                for name in off:
                    set_enabled(session, name=name, enabled=True, actor_id=None)

    def client(self, role: str):
        client = self.app.test_client()
        user_id = self.actors[role]
        if user_id is not None:
            with self.db.session() as session:
                generation = session.get(User, user_id).session_generation
            with client.session_transaction() as sess:
                sess["_user_id"] = str(user_id)
                sess["_fresh"] = True
                sess["_engage_generation"] = generation
        return client

    def send(self, role: str, method: str, url: str, label: str, **kwargs) -> int | None:
        client = self.client(role)
        before = self.counts()
        self.sent += 1
        try:
            response = client.open(url, method=method, **kwargs)
        except Exception as exc:  # the app raised: a 500 for a real reader
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/core/" in f.filename or "/plugins/" in f.filename]
            where = f" at {frames[-1].filename.rsplit('/', 2)[-2:]}:{frames[-1].lineno}" if frames else ""
            self.faults.append(f"{label} as {role}: {method} {url[:160]!r} {kwargs.get('data')!r:.300} "
                               f"raised {type(exc).__name__}: {str(exc).splitlines()[0][:200]}{where}")
            return 500
        status = response.status_code
        if status >= 500:
                self.faults.append(f"{label} as {role}: {method} {url[:160]!r} {kwargs.get('data')!r:.300} answered {status}")
        elif status >= 400:
            after = self.counts()
            if after != before:
                changed = [name for name, a, b in zip(self.tables, before, after) if a != b]
                self.faults.append(f"{label} as {role}: {method} {url[:160]!r} {kwargs.get('data')!r:.300} "
                                   f"refused with {status} but changed {changed}")
        return status


def _quote(value, *, path: bool = False) -> str:
    return quote_from_bytes(_as_bytes(value), safe="/" if path else "")


def _url(rule, values: dict) -> str:
    def repl(match):
        name = match.group(1).split(":")[-1]
        converter = match.group(1).split(":")[0] if ":" in match.group(1) else "default"
        return _quote(values[name], path=converter == "path")

    return re.sub(r"<([^>]+)>", repl, rule.rule)


def _arg_names(rule) -> list[tuple[str, str]]:
    found = []
    for spec in re.findall(r"<([^>]+)>", rule.rule):
        converter, _, name = spec.rpartition(":")
        found.append((re.sub(r"\(.*", "", converter) or "default", name))
    return found


def path_values(draw, site: Site, rule, *, hostile_chance: bool):
    values = {}
    for converter, name in _arg_names(rule):
        real = sorted(site.path_values.get((rule.endpoint, name)) or site.by_name.get(name, ()), key=str)
        plausible = st.sampled_from(real) if real else st.sampled_from(["1", "demo", "x"])
        hostile = st.sampled_from(HUGE_INTS) if converter == "int" else HOSTILE
        pick = st.one_of(plausible, hostile) if hostile_chance else st.one_of(plausible, plausible, plausible, hostile)
        value = draw(pick)
        values[name] = value if isinstance(value, bytes) else str(value)
    return values


def field_value(draw, name: str, field: dict):
    plausible = list(field["values"]) or {
        "date": ["2026-12-01"], "datetime-local": ["2026-12-01T10:00"], "number": ["5"], "email": ["someone@uni.edu"],
        "password": [PASSWORD], "checkbox": ["y"], "time": ["10:00"]}.get(field["type"], ["Fuzzed text"])
    if field["type"] == "date" or "date" in name or name.endswith("_at") or name.endswith("_on"):
        hostile = st.sampled_from(HOSTILE_DATES)
    elif field["type"] == "number" or name.endswith("_id") or name in ("amount", "threshold", "score", "position"):
        hostile = st.sampled_from(HUGE_INTS)
    else:
        hostile = HOSTILE
    return draw(st.one_of(st.sampled_from(plausible), hostile, HOSTILE))


@pytest.fixture
def fuzz(app_factory):
    return Fuzz(app_factory(MAX_CONTENT_LENGTH=8 * 1024 * 1024))


# Forms the demo library never shows (nothing pending, no open contest…): fields from the classes.
FORM_CLASSES = {
    "approvals.approve": "core.forms:ApprovalForm",
    "approvals.reject": "core.forms:RejectionForm",
    "contributions.edit": "plugins.contributions.forms:SubmissionForm",
    "brand_stories.submit_design": "plugins.brand_stories.forms:DesignForm",
    "staff_scores.rubric_edit": "plugins.staff_scores.forms:RubricForm",
}
RAW_FIELDS = {  # (who posts it, its fields): views that read request.form directly, and buttons
    # with nothing but their token on pages the demo library does not reach
    "feedback.publish": ("librarian", {"we_did_en": "textarea", "we_did_zh": "textarea", "published": "checkbox"}),
    "brand_stories.rank": ("reader", {"rank-1": "number", "rank-2": "number", "rank-3": "number"}),
    "admin.remove_term": ("admin", {}), "contributions.withdraw": ("reader", {}),
    "staff_scores.publish": ("admin", {}), "brand_stories.decide": ("librarian", {}),
    # Sign-in providers: the CAS server's single-logout message; the directory form (not set up
    # in the demo library, so never reached by the crawl).
    "signin_cas.callback": ("anonymous", {"logoutRequest": "textarea"}),
    "signin_ldap.start": ("anonymous", {"username": "text", "password": "text", "next": "text"}),
    "signin_admin.provider": ("admin", {"server_url": "text", "version": "text", "timeout": "number",
                                        "display_name": "text", "email": "text", "role_rules": "textarea",
                                        "allow": "textarea"}),
    "signin_admin.test": ("admin", {}), "signin_admin.passwords": ("admin", {"enabled": "text"}),
}


def class_fields(app, dotted: str) -> dict:
    from importlib import import_module

    from wtforms import BooleanField, DateTimeField, FieldList, FormField, IntegerField, SelectFieldBase
    from flask_wtf.file import FileField

    module, _, name = dotted.partition(":")
    with app.test_request_context("/"):
        form = getattr(import_module(module), name)(meta={"csrf": False})
        fields = {}

        def walk(field):
            if isinstance(field, (FieldList, FormField)):
                for sub in field:
                    walk(sub)
                return
            kind = ("file" if isinstance(field, FileField) else "date" if isinstance(field, DateTimeField)
                    else "number" if isinstance(field, IntegerField) else "checkbox" if isinstance(field, BooleanField)
                    else "select" if isinstance(field, SelectFieldBase) else "text")
            values = [str(choice[0]) for choice in getattr(field, "choices", None) or []]
            fields[field.name] = {"type": kind, "values": values}

        for field in form:
            walk(field)
    return fields


def discover(fuzz: Fuzz) -> Site:
    site = Site(fuzz.app)
    seeds = sorted(r.rule for r in fuzz.app.url_map.iter_rules() if "GET" in r.methods and "<" not in r.rule)
    for role in ("admin", "librarian", "reader", "anonymous"):
        site.crawl(fuzz.client(role), role, seeds)
    for endpoint, dotted in FORM_CLASSES.items():
        if not site.forms.get(endpoint):
            site.forms[endpoint].append(("admin", class_fields(fuzz.app, dotted)))
    for endpoint, (role, fields) in RAW_FIELDS.items():
        if not site.forms.get(endpoint):
            site.forms[endpoint].append((role, {name: {"type": kind, "values": []} for name, kind in fields.items()}))
    return site


FUZZ_SETTINGS = settings(max_examples=1, derandomize=True, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck))


def _report(fuzz: Fuzz, what: str) -> None:
    print(f"\n{what}: {fuzz.sent} fuzzed requests, {len(fuzz.faults)} faults")
    for fault in fuzz.faults[:60]:
        print("  " + fault)


def test_fuzz_every_get_route(fuzz):
    site = discover(fuzz)
    rules = [r for r in fuzz.app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "auth.logout"]
    for rule in sorted(rules, key=lambda r: r.rule):
        known_args = sorted(site.query_args.get(rule.endpoint, {}))
        arg_names = known_args + ["next", "page", "before", "n", "q", "id"]

        @settings(FUZZ_SETTINGS, max_examples=GET_EXAMPLES)
        @given(st.data())
        def one(data):
            role = data.draw(st.sampled_from(["admin", "librarian", "reader", "anonymous"]))
            values = path_values(data.draw, site, rule, hostile_chance=True)
            names = data.draw(st.lists(st.sampled_from(arg_names), max_size=4))
            query = [(_as_bytes(name), _as_bytes(data.draw(HOSTILE))) for name in names]
            url = _url(rule, values) + ("?" + urlencode(query) if query else "")
            fuzz.send(role, "GET", url, rule.endpoint)

        one()
    _report(fuzz, "GET")
    assert not fuzz.faults, "\n".join(fuzz.faults[:40])


def test_fuzz_every_form(fuzz):
    site = discover(fuzz)
    rules = [r for r in fuzz.app.url_map.iter_rules() if "POST" in r.methods and r.endpoint != "auth.logout"]
    missing = []
    for rule in sorted(rules, key=lambda r: r.rule):
        forms = site.forms.get(rule.endpoint) or []
        if not forms:
            missing.append(rule.endpoint)
        fields: dict[str, dict] = {}
        roles = []
        for role, form_fields in forms:
            roles.append(role)
            for name, field in form_fields.items():
                merged = fields.setdefault(name, {"type": field["type"], "values": []})
                merged["values"].extend(v for v in field["values"] if v not in merged["values"])
        roles = sorted(set(roles)) or ["admin"]
        names = sorted(fields)

        @settings(FUZZ_SETTINGS, max_examples=POST_EXAMPLES)
        @given(st.data())
        def one(data):
            role = data.draw(st.sampled_from(roles + ["reader", "anonymous"]) if data.draw(st.integers(0, 5)) == 0
                             else st.sampled_from(roles))
            values = path_values(data.draw, site, rule, hostile_chance=False)
            pairs, uploads = [], {}
            for name in names:
                field = fields[name]
                if data.draw(st.integers(0, 9)) == 0:
                    continue  # missing
                repeats = 2 if data.draw(st.integers(0, 9)) == 0 else 1
                for _ in range(repeats):
                    if field["type"] == "file":
                        filename, body, mimetype = data.draw(st.sampled_from(UPLOADS))
                        uploads[name] = (io.BytesIO(body), filename, mimetype)
                    else:
                        pairs.append((name, field_value(data.draw, name, field)))
            if data.draw(st.integers(0, 7)) == 0:
                pairs.append((data.draw(st.sampled_from(["x", "\x00", "id", "csrf_token", "next"])), data.draw(HOSTILE)))
            url = _url(rule, values)
            if data.draw(st.integers(0, 15)) == 0:  # a JSON body: values of any type
                document = {name: data.draw(st.one_of(st.integers(), st.none(), st.booleans(), st.lists(st.integers(), max_size=2),
                                                      st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)))
                            for name in names}
                status = fuzz.send(role, "POST", url, rule.endpoint, json=document)
            elif uploads:
                form = {}
                for name, value in pairs:  # multipart carries text as str
                    form.setdefault(name, []).append(value.decode("utf-8", "replace") if isinstance(value, bytes) else value)
                form.update(uploads)
                status = fuzz.send(role, "POST", url, rule.endpoint, data=form, content_type="multipart/form-data")
            else:
                body = urlencode([(_as_bytes(n), _as_bytes(v)) for n, v in pairs])
                status = fuzz.send(role, "POST", url, rule.endpoint, data=body,
                                   content_type="application/x-www-form-urlencoded")
            fuzz.heal(accepted=status < 400)

        one()
    print(f"\nPOST routes without a discovered form (fuzzed with extra fields only): {missing}")
    _report(fuzz, "POST")
    assert not fuzz.faults, "\n".join(fuzz.faults[:40])
