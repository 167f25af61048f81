"""CSV (or .xlsx) uploads of events, for systems that can only export files.

The file is read with core's table reader (encodings from Excel, .xlsx), every row is checked as
the API checks an event and shown with its errors; the valid rows wait in ``inbound_upload``
until the librarian applies them, in one transaction through the same path as the API. Source
ids already stored are duplicates, so uploading the same file again changes nothing.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlmodel import Session

from core.identity.tables import TableError, read_table
from core.models import utcnow
from core.points import current_calendar

from .events import check, ingest
from .i18n import _
from .models import InboundEvent, InboundUpload

MAX_BYTES = 8 * 1024 * 1024
MAX_ROWS = 20_000
COLUMNS = {"source_id": "source_id", "type": "type", "reader": "reader", "reader_number": "reader",
           "reader number": "reader", "occurred_at": "occurred_at"}


class UploadError(ValueError):
    """A file that cannot be used at all, said in the librarian's language."""


def read_upload(session: Session, data: bytes, filename: str, *, actor_id: int | None) -> tuple[InboundUpload, list]:
    """Check a file's rows; the upload (valid rows stored, not applied) and each row's verdict
    ``(line, source_id, status, message)``."""
    try:
        table = read_table(data, filename, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
    except TableError as error:
        raise UploadError(str(error)) from error
    names = [COLUMNS.get((h or "").strip().lower()) for h in table.header]
    missing = [c for c in ("source_id", "type", "reader", "occurred_at") if c not in names]
    if missing:
        raise UploadError(_("The file needs the columns source_id, type, reader and occurred_at; missing: %(names)s.",
                            names=", ".join(missing)))
    tz, now = current_calendar().tz, utcnow()
    verdicts, good, seen = [], [], set()
    for line, cells in table.rows:
        item = {name: (cells[i].strip() if i < len(cells) and cells[i] is not None else "")
                for i, name in enumerate(names) if name}
        outcome = check(line, item, tz, now)
        if isinstance(outcome, str):
            verdicts.append((line, item.get("source_id", ""), "rejected", outcome))
        elif outcome.source_id in seen:
            verdicts.append((line, outcome.source_id, "duplicate", _("This source id is already in the file.")))
        else:
            seen.add(outcome.source_id)
            good.append(item)
            verdicts.append((line, outcome.source_id, "ok", ""))
    stored = _already_stored(session, [item["source_id"].strip() for item in good])
    verdicts = [(line, source, "duplicate", _("Already stored: it changes nothing.")) if status == "ok"
                and source in stored else (line, source, status, message) for line, source, status, message in verdicts]
    upload = InboundUpload(filename=(filename or "")[:200], rows=json.dumps(good, ensure_ascii=False),
                           good=len(good) - len(stored), bad=sum(1 for v in verdicts if v[2] == "rejected"),
                           created_by=actor_id)
    session.add(upload)
    session.flush()
    return upload, verdicts


def _already_stored(session: Session, source_ids: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(source_ids), 500):
        found.update(session.execute(select(InboundEvent.source_id).where(
            InboundEvent.source_id.in_(source_ids[i:i + 500]))).scalars())
    return found


def apply_upload(session: Session, upload: InboundUpload) -> dict:
    """Store and pay the upload's rows in the caller's transaction (once: a second apply is refused)."""
    if upload.applied_at is not None:
        raise UploadError(_("This file has already been applied."))
    rows = json.loads(upload.rows)
    answer = {"stored": 0, "duplicate": 0, "unmatched": 0, "rejected": 0, "points": 0}
    for i in range(0, len(rows), 1000):
        part = ingest(session, rows[i:i + 1000], origin=f"upload:{upload.id}")
        for name in answer:
            answer[name] += part[name]
    upload.applied_at = utcnow()
    return answer
