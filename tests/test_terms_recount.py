"""Term administration without a shell: saving dates recounts term totals, keys are derived."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from core import term_recount
from core.cli import main as engage_cli
from core.models import PeriodTotal, Role, Term, TermRecount
from core.points import award, check_totals
from core.testing import PASSWORD, create_test_user

AUTUMN = {"name_en": "Autumn 2026", "name_zh": "2026年秋季学期", "starts_on": "2026-09-20", "ends_on": "2027-01-17"}


def signed_in(app, role=Role.admin, **fields):
    user = create_test_user(app, role, **fields)
    client = app.test_client()
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    return client


def pay(app, user_id, amount, day, key):
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        award(session, user_id=user_id, amount=amount, rule="read", plugin="core", idempotency_key=key,
              at=datetime.fromisoformat(day).replace(hour=4, tzinfo=timezone.utc))


def term_totals(app):
    with app.extensions["engage.db"].session() as session:
        rows = session.execute(select(PeriodTotal.user_id, PeriodTotal.period_key, PeriodTotal.total)
                               .where(PeriodTotal.period == "term")).all()
    return {(u, k): t for u, k, t in rows}


def assert_totals_agree(app):
    with app.app_context(), app.extensions["engage.db"].session() as session:
        assert check_totals(session) == []


@pytest.fixture
def readers(app):
    """Two readers paid under the default terms: early September counts towards autumn 2026."""
    ada, bo = create_test_user(app).id, create_test_user(app).id
    pay(app, ada, 10, "2026-09-05", "a1")  # before the configured term will start
    pay(app, ada, 5, "2026-10-01", "a2")
    pay(app, bo, 7, "2026-09-10", "b1")
    assert term_totals(app) == {(ada, "2026-autumn"): 15, (bo, "2026-autumn"): 7}
    return ada, bo


def test_saving_term_dates_recounts_term_totals_without_a_command(app, readers):
    ada, bo = readers
    admin = signed_in(app)
    response = admin.post("/admin/terms", data=AUTUMN, follow_redirects=True)
    assert response.status_code == 200
    assert b"recounted" in response.data and b"engage " not in response.data
    assert term_totals(app) == {(ada, "2026-autumn"): 5}  # September's early points now fall in no term
    assert_totals_agree(app)

    # New dates for the same term recount again; deleting it (once confirmed) too.
    admin.post("/admin/terms?term=2026-autumn", data=AUTUMN | {"starts_on": "2026-09-01"})
    assert term_totals(app) == {(ada, "2026-autumn"): 15, (bo, "2026-autumn"): 7}
    admin.post("/admin/terms/2026-autumn/delete", data={"confirmed": "1"})
    assert term_totals(app) == {(ada, "2026-autumn"): 15, (bo, "2026-autumn"): 7}  # the default rule again
    assert_totals_agree(app)


def test_a_name_change_alone_recounts_nothing(app, readers):
    admin = signed_in(app)
    admin.post("/admin/terms", data=AUTUMN)
    with app.extensions["engage.db"].session() as session:
        before = session.execute(select(TermRecount.id)).scalars().all()
    admin.post("/admin/terms?term=2026-autumn", data=AUTUMN | {"name_en": "Michaelmas 2026"})
    with app.extensions["engage.db"].session() as session:
        assert session.execute(select(TermRecount.id)).scalars().all() == before
        assert session.get(Term, "2026-autumn").name_en == "Michaelmas 2026"


@pytest.mark.parametrize("locale, words", [("en", "Recounting term totals"), ("zh_Hans", "正在重新计算学期积分")])
def test_a_large_ledger_is_recounted_behind_a_progress_page(app, readers, monkeypatch, locale, words):
    ada, bo = readers
    app.config["TERM_RECOUNT_INLINE_ROWS"] = 0
    monkeypatch.setattr(term_recount, "CHUNK_USERS", 1)
    monkeypatch.setattr(term_recount, "STEP_SECONDS", 0)
    admin = signed_in(app, locale=locale)
    response = admin.post("/admin/terms", data=AUTUMN)
    assert response.status_code == 302
    progress = response.headers["Location"]
    assert re.fullmatch(r"/admin/terms/recount/\d+", progress)
    page = admin.get(progress).data.decode()
    assert words in page and 'hx-post="' + progress + '"' in page and "<progress" in page
    assert term_totals(app)[(ada, "2026-autumn")] == 15  # nothing recounted yet

    polls = 0
    while 'hx-trigger="load' in page:  # the page polls itself until the recount is done
        page = admin.post(progress, headers={"HX-Request": "true"}).data.decode()
        polls += 1
        assert polls < 10
    assert polls == 3  # one reader per poll, then the boards
    assert "<html" not in page  # a fragment
    assert term_totals(app) == {(ada, "2026-autumn"): 5}
    assert_totals_agree(app)


def test_without_javascript_the_progress_page_goes_on_with_a_button(app, readers, monkeypatch):
    app.config["TERM_RECOUNT_INLINE_ROWS"] = 0
    admin = signed_in(app)
    progress = admin.post("/admin/terms", data=AUTUMN).headers["Location"]
    for _press in range(5):  # each press recounts for about a second, then shows the page again
        response = admin.post(progress)
        assert response.status_code == 302
        if response.headers["Location"] != progress:
            break
    assert response.headers["Location"] == "/admin/terms"
    assert "recounted" in admin.get("/admin/terms").data.decode()
    assert_totals_agree(app)


def test_a_newer_change_supersedes_a_running_recount(app, readers):
    app.config["TERM_RECOUNT_INLINE_ROWS"] = 0
    admin = signed_in(app)
    first = admin.post("/admin/terms", data=AUTUMN).headers["Location"]
    terms_page = admin.get("/admin/terms").data.decode()
    assert first in terms_page  # a running recount is pointed out on the terms page
    second = admin.post("/admin/terms?term=2026-autumn", data=AUTUMN | {"starts_on": "2026-09-01"}).headers["Location"]
    assert second != first
    assert "A later change of terms" in admin.post(first, headers={"HX-Request": "true"}).data.decode()
    admin.post(second)
    assert_totals_agree(app)


def test_unknown_recounts_and_terms_answer_404(app):
    admin = signed_in(app)
    assert admin.get("/admin/terms/recount/999").status_code == 404
    assert admin.post("/admin/terms/recount/999").status_code == 404
    assert admin.get("/admin/terms?term=nope").status_code == 404


# --- derived keys ---------------------------------------------------------------------------

def test_term_keys_are_derived_from_the_dates_not_typed(app):
    admin = signed_in(app)
    page = admin.get("/admin/terms").data.decode()
    assert 'name="key"' not in page
    admin.post("/admin/terms", data=AUTUMN | {"key": "typed-key"})  # a typed key is ignored
    admin.post("/admin/terms", data={"name_en": "Spring 2027", "name_zh": "2027年春季学期",
                                     "starts_on": "2027-02-22", "ends_on": "2027-06-30"})
    admin.post("/admin/terms", data={"name_en": "Late spring 2027", "name_zh": "2027年晚春学期",
                                     "starts_on": "2027-07-01", "ends_on": "2027-07-20"})
    admin.post("/admin/terms", data={"name_en": "Short 2027", "name_zh": "2027年短学期",
                                     "starts_on": "2027-07-25", "ends_on": "2027-08-20"})
    with app.extensions["engage.db"].session() as session:
        keys = session.execute(select(Term.key).order_by(Term.starts_on)).scalars().all()
    assert keys == ["2026-autumn", "2027-spring", "2027-summer", "2027-summer-2"]


def test_changing_a_term_keeps_its_key(app):
    admin = signed_in(app)
    admin.post("/admin/terms", data=AUTUMN)
    page = admin.get("/admin/terms?term=2026-autumn").data.decode()
    assert 'value="Autumn 2026"' in page and 'action="/admin/terms?term=2026-autumn"' in page
    admin.post("/admin/terms?term=2026-autumn", data=AUTUMN | {"starts_on": "2026-10-05"})
    with app.extensions["engage.db"].session() as session:
        [term] = session.execute(select(Term)).scalars().all()
    assert term.key == "2026-autumn" and term.starts_on.isoformat() == "2026-10-05"


# --- no shell for administrators -------------------------------------------------------------

def _commands() -> list[str]:
    return sorted(engage_cli.commands) + ["rebuild-totals", "check"]


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_no_admin_page_tells_an_administrator_to_run_a_command(app, readers, locale):
    admin = signed_in(app, locale=locale)
    pages = [rule.rule for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static"
             and not rule.rule.endswith((".js", ".csv", ".json", ".css", ".txt", "/metrics", "/healthz"))]
    assert "/admin/terms" in pages and "/admin/" in pages
    texts = {path: admin.get(path, follow_redirects=True).data.decode(errors="replace") for path in pages}
    app.config["TERM_RECOUNT_INLINE_ROWS"] = 0
    progress = admin.post("/admin/terms", data=AUTUMN).headers["Location"]
    texts[progress] = admin.get(progress).data.decode()
    texts["after saving"] = admin.post(progress, follow_redirects=True).data.decode()
    pattern = re.compile(r"engage (" + "|".join(re.escape(c) for c in _commands()) + r")\b")
    told = {path: pattern.search(text).group(0) for path, text in texts.items() if pattern.search(text)}
    assert told == {}


def test_the_job_queue_finishes_a_recount_nobody_watches(app, readers):
    from core.term_recount_job import JOB, finish_running

    ada, _bo = readers
    app.config["TERM_RECOUNT_INLINE_ROWS"] = 0
    signed_in(app).post("/admin/terms", data=AUTUMN)  # the administrator leaves the progress page
    assert term_totals(app)[(ada, "2026-autumn")] == 15
    assert JOB in app.extensions["engage.jobs"].periodic
    with app.app_context():
        assert finish_running() == "done"
        assert finish_running() == "done"  # idempotent: nothing left to do
    assert term_totals(app) == {(ada, "2026-autumn"): 5}
    assert_totals_agree(app)
