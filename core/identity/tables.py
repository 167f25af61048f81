"""Reading a table an administrator uploads: CSV in whatever encoding the campus's software
saved it (UTF-8 with or without a byte-order mark, UTF-16 from Excel's "Unicode text", GBK or
GB18030 from Excel on a Chinese Windows) or an Excel workbook (.xlsx, through openpyxl).

Everything that goes wrong is a ``TableError`` whose message is in the reader's language; nothing
here touches the database.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from charset_normalizer import from_bytes
from flask_babel import gettext as _

from core.forms import CONTROL_CHARACTERS

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
# An .xlsx is a zip of XML; more than this many bytes unpacked is a zip bomb, not a roster.
XLSX_MAX_UNPACKED = 200 * 1024 * 1024


class TableError(ValueError):
    """A file that cannot be read as a table, said in the reader's language."""


@dataclass
class Table:
    """A table's header (as written) and its rows (``line`` numbers as a spreadsheet shows them)."""

    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    encoding: str = ""


def decode(data: bytes) -> tuple[str, str]:
    """``(text, encoding)`` of a CSV file's bytes; TableError when it is not text in a known encoding.

    Tried strictly in this order: a byte-order mark, UTF-8, then GB18030 (a superset of GBK and
    GB2312, what Excel on a Chinese Windows writes), then charset-normalizer's best guess for the
    rest (Big5, Latin-1 and friends)."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding), "UTF-16" if encoding == "utf-16" else "UTF-8"
            except UnicodeDecodeError:
                raise TableError(_("The file says it is %(encoding)s but is not: save it again as “CSV UTF-8”.",
                                   encoding="UTF-16" if encoding == "utf-16" else "UTF-8")) from None
    if b"\x00" in data:
        raise TableError(_("This is not a text file. Upload a CSV file or an Excel workbook (.xlsx)."))
    for encoding, label in (("utf-8", "UTF-8"), ("gb18030", "GB18030")):
        try:
            return data.decode(encoding), label
        except UnicodeDecodeError:
            pass
    best = from_bytes(data).best()
    if best is None:
        raise TableError(_("The file's encoding could not be recognised: save it again as “CSV UTF-8”."))
    return str(best), best.encoding.upper()


def _cell(value) -> str:
    """A spreadsheet cell as text: whole numbers without ".0" (a student number typed as a number)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _finish(lines, *, max_rows: int, encoding: str) -> Table:
    header: list[str] | None = None
    table = Table(header=[], encoding=encoding)
    for number, cells in lines:
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue  # blank lines between blocks are common in hand-kept lists
        if header is None:
            header = cells
            table.header = header
            continue
        if len(table.rows) >= max_rows:
            raise TableError(_("The file has more than %(count)d rows: split it into smaller files.", count=max_rows))
        if any(CONTROL_CHARACTERS.search(c) for c in cells):
            raise TableError(_("Line %(line)d holds invisible control characters: is this really a table?",
                               line=number))
        table.rows.append((number, cells))
    if header is None:
        raise TableError(_("The file is empty."))
    return table


def _read_csv(text: str, *, max_rows: int, encoding: str) -> Table:
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect, strict=True)
    try:
        return _finish(((reader.line_num, cells) for cells in reader), max_rows=max_rows, encoding=encoding)
    except csv.Error as exc:
        raise TableError(_("The CSV file is broken near line %(line)d.", line=reader.line_num)) from exc


def _read_xlsx(data: bytes, *, max_rows: int) -> Table:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > XLSX_MAX_UNPACKED:
                raise TableError(_("The workbook is too large once unpacked: split it into smaller files."))
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except TableError:
        raise
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many kinds for a damaged file
        raise TableError(_("This file is not an Excel workbook (.xlsx) that can be read.")) from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise TableError(_("The file is empty."))
        lines = ((number, [_cell(v) for v in values])
                 for number, values in enumerate(sheet.iter_rows(values_only=True), 1))
        return _finish(lines, max_rows=max_rows, encoding="XLSX")
    except TableError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise TableError(_("This file is not an Excel workbook (.xlsx) that can be read.")) from exc
    finally:
        workbook.close()


def read_table(data: bytes, filename: str = "", *, max_bytes: int, max_rows: int) -> Table:
    """The table in an uploaded file (CSV or .xlsx, told apart by content, not only by name)."""
    name = (filename or "").lower()
    if not data or not data.strip():
        raise TableError(_("The file is empty."))
    if len(data) > max_bytes:
        raise TableError(_("The file is larger than %(size)d MB: split it into smaller files.",
                           size=max(1, max_bytes // (1024 * 1024))))
    if data.startswith(OLE_MAGIC) or name.endswith(".xls"):
        raise TableError(_("Old Excel files (.xls) cannot be read: save it as .xlsx or as “CSV UTF-8”."))
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data, max_rows=max_rows)
    if name.endswith((".xlsx", ".xlsm")):
        raise TableError(_("This file is not an Excel workbook (.xlsx) that can be read."))
    text, encoding = decode(data)
    return _read_csv(text, max_rows=max_rows, encoding=encoding)
