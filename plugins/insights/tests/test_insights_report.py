"""The printable term report: a PDF with the CJK font embedded, and clear answers when it cannot be made."""

from __future__ import annotations

import re
import zlib

import pytest

from core.models import Role, utcnow
from core.terms import current_calendar

from plugins.insights.rollups import note_activity


@pytest.fixture
def staff_client(app, make_user):
    librarian = make_user(Role.librarian)
    client = app.test_client()
    client.post("/auth/login", data={"email": librarian.email, "password": "correct horse battery"})
    return client


@pytest.fixture
def active_reader(app, db, make_user):
    reader = make_user(cohort="文学院")
    with app.test_request_context(), db.write_session() as session:
        note_activity(session, user_id=reader.id, plugin="brand_stories", kind="vote")
    return reader


def current_term(app):
    with app.test_request_context():
        calendar = current_calendar()
        return calendar.term_of(calendar.local_date(utcnow()))


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_the_term_report_is_a_pdf_with_its_font_embedded(app, staff_client, active_reader, language):
    term = current_term(app)
    page = staff_client.get("/insights/report", headers={"Accept-Language": language})
    assert page.status_code == 200 and f"report.pdf?term={term.key}" in page.get_data(as_text=True)
    pdf = staff_client.get(f"/insights/report.pdf?term={term.key}", headers={"Accept-Language": language})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    inside = pdf_objects(pdf.data)
    assert pdf.data.startswith(b"%PDF") and b"/FontFile" in inside  # the fonts travel inside the file
    assert b"NotoSansCJK" in inside
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False  # printing left uploads' checks as strict as before


def pdf_objects(data: bytes) -> bytes:
    """The PDF with its compressed streams inflated (font dictionaries sit in object streams)."""
    parts = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            pass
    return b"".join(parts)


def test_a_term_without_data_says_so_instead_of_printing(app, staff_client):
    term = current_term(app)
    answer = staff_client.get(f"/insights/report.pdf?term={term.key}")
    assert answer.status_code == 404 and answer.mimetype == "text/html"
    assert "nothing to report yet" in answer.get_data(as_text=True)
    assert "nothing to report yet" in staff_client.get("/insights/report").get_data(as_text=True)


@pytest.mark.parametrize("term", ["1999-autumn", "2999-spring", "<script>", "x" * 500])
def test_unknown_or_future_terms_are_refused_with_a_message(staff_client, term):
    for path in ("/insights/report", "/insights/report.pdf"):
        answer = staff_client.get(path, query_string={"term": term})
        assert answer.status_code == 400 and "There is no such term" in answer.get_data(as_text=True)


@pytest.mark.parametrize("language,words", [("en", "No term has begun yet"), ("zh-CN", "还没有学期开始")])
def test_when_only_future_terms_are_set_up_the_report_page_says_none_has_begun(app, db, staff_client,
                                                                               language, words):
    from datetime import timedelta

    from core.periods import TermSpan
    from core.terms import save_term

    starts = utcnow().date().replace(year=utcnow().year + 5)
    with app.test_request_context(), db.write_session() as session:
        save_term(session, term=TermSpan("future", "Future term", "未来学期", starts, starts + timedelta(days=90)),
                  actor_id=None)
    page = staff_client.get("/insights/report", headers={"Accept-Language": language})
    assert page.status_code == 200 and words in page.get_data(as_text=True)
    assert staff_client.get("/insights/report.pdf").status_code == 404
