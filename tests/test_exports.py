"""core.exports: CSV downloads that open in a spreadsheet in Chinese and never run a formula."""

from __future__ import annotations

import csv
import io

from core.exports import csv_response, spreadsheet_safe


def test_formulas_are_neutralised_and_numbers_kept():
    assert spreadsheet_safe("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert [spreadsheet_safe(v) for v in ("+1", "-2", "@a", "plain", "图书馆", None)] == \
        ["'+1", "'-2", "'@a", "plain", "图书馆", ""]
    assert spreadsheet_safe(-3) == -3 and spreadsheet_safe(2.5) == 2.5


def test_csv_response_has_a_bom_and_is_an_attachment(app):
    with app.test_request_context():
        response = csv_response("items.csv", ["名称", "n"], [["=1+1", 3], ["读者", -1]])
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff") and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="items.csv"'
    assert list(csv.reader(io.StringIO(body.lstrip("\ufeff")))) == [["名称", "n"], ["'=1+1", "3"], ["读者", "-1"]]


def test_times_are_on_the_librarys_clock(app):
    from datetime import datetime, timezone

    from core.exports import local_time

    with app.app_context():  # TIMEZONE is Asia/Shanghai, eight hours ahead of UTC
        assert local_time(datetime(2026, 11, 30, 18, 5, tzinfo=timezone.utc)) == "2026-12-01 02:05"
        assert local_time(datetime(2026, 11, 30, 18, 5)) == "2026-12-01 02:05"  # naive values are UTC
        assert local_time(None) == ""
