"""CSV downloads for librarians: UTF-8 with a byte-order mark (so spreadsheet programs read
Chinese), no cell a spreadsheet would run as a formula, and times as the library's clock shows
them (``local_time``). A public service for plugins; they translate their statuses themselves."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime

from flask import Response

from core.localtime import to_local

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def local_time(instant: datetime | None) -> str:
    """A stored instant as the library's wall clock shows it, ``2026-11-30 18:05`` ("" for None):
    what a librarian reading the spreadsheet expects, not UTC."""
    return to_local(instant).strftime("%Y-%m-%d %H:%M") if instant else ""


def spreadsheet_safe(value):
    """``value`` for a CSV cell: text that starts like a formula gets a leading apostrophe
    (numbers stay numbers, None becomes empty)."""
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Iterable, rows: Iterable[Iterable]) -> str:
    """The CSV document, BOM first, every cell made spreadsheet-safe."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([spreadsheet_safe(cell) for cell in header])
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return out.getvalue()


def csv_response(filename: str, header: Iterable, rows: Iterable[Iterable]) -> Response:
    """A CSV download named ``filename``."""
    response = Response(csv_text(header, rows), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
