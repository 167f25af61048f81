"""Readers' rights (PIPL, GDPR): take out everything held about you; delete your account.

Every part of the site answers for its own data through two hooks, called for every installed
plugin whether switched on or off (their data is kept while off): ``engage_user_data`` (file
stem → rows) and ``engage_forget_user`` (remove or anonymise, in the caller's transaction).

Deleting keeps the ledger whole: the account's row stays as the anonymous holder of its ledger
rows and totals (no name, address, number, faculty or password left; deactivated and off every
board), so every total still equals the ledger and the boards simply lose the person. Their
badges are withdrawn (an Open Badge assertion answers 410), their public page goes.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime
from tempfile import SpooledTemporaryFile

from flask_babel import gettext as _
from sqlalchemy import select
from sqlmodel import Session

from core import accounts
from core.accounts import AccountError, end_sessions, normalise_email
from core.exports import spreadsheet_safe
from core.models import AuditEntry, User, utcnow

SPOOL_BYTES = 8 * 1024 * 1024  # an export larger than this is written to a temporary file, not kept in memory
DELETED_NAME = "Deleted account"
CORE_NAMES = {"core_privacy": "core"}


def table_rows(session: Session, model, *where, leave_out: tuple = ()) -> list[dict]:
    """Rows of ``model`` matching ``where`` as plain dicts (``leave_out`` names columns to omit),
    for a plugin's ``engage_user_data``."""
    columns = [c for c in model.__table__.columns if c.name not in leave_out]
    query = select(*columns).where(*where).order_by(*model.__table__.primary_key.columns)
    return [dict(row._mapping) for row in session.execute(query)]


def collect(session: Session, *, user_id: int) -> dict[str, dict[str, list[dict]]]:
    """``{part: {stem: rows}}``: what core and every installed plugin hold about ``user_id``."""
    from core.plugins import get_host

    found: dict[str, dict[str, list[dict]]] = {}
    for impl in get_host().pm.hook.engage_user_data.get_hookimpls():
        part = CORE_NAMES.get(impl.plugin_name, impl.plugin_name)
        result = impl.function(session=session, user_id=user_id) or {}
        for stem, rows in result.items():
            found.setdefault(part, {})[stem] = list(rows or [])
    return found


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return None  # pictures are not part of the text export
    return value


def _csv(rows: list[dict]) -> str:
    header: list[str] = []
    for row in rows:
        header.extend(key for key in row if key not in header)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_safe(_plain(row.get(key))) for key in header])
    return out.getvalue()


def export_archive(session: Session, *, user_id: int):
    """A ZIP (a file object at its start) with ``<part>/<stem>.json`` and ``.csv`` for everything
    held about ``user_id``, plus a README; held in memory up to ``SPOOL_BYTES``, then on disk."""
    data = collect(session, user_id=user_id)
    spool = SpooledTemporaryFile(max_size=SPOOL_BYTES)
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        files = []
        for part, stems in sorted(data.items()):
            for stem, rows in sorted(stems.items()):
                plain = [{key: _plain(value) for key, value in row.items()} for row in rows]
                archive.writestr(f"{part}/{stem}.json", json.dumps(plain, ensure_ascii=False, indent=1))
                archive.writestr(f"{part}/{stem}.csv", _csv(plain))
                files.append(f"{part}/{stem}: {len(rows)}")
        archive.writestr("README.txt", "Everything this site holds about account %d, exported %s (UTC).\n"
                         "Each file comes as JSON and as CSV; rows per file:\n\n%s\n"
                         % (user_id, utcnow().strftime("%Y-%m-%d %H:%M"), "\n".join(files)))
    spool.seek(0)
    return spool


def archive_name(user_id: int) -> str:
    """The download's file name."""
    return f"my-data-{user_id}-{utcnow().strftime('%Y%m%d')}.zip"


def forget_user(session: Session, *, user_id: int, actor_id: int | None, action: str = "account.delete",
                reason: str | None = None) -> None:
    """Remove or anonymise everything about ``user_id`` in core and every installed plugin, then
    anonymise the account row itself (it stays as the ledger's anonymous holder). In the caller's
    transaction; idempotent."""
    from core.plugins import get_host

    user = session.get(User, user_id)
    if user is None or user.anonymised_at is not None:
        return
    get_host().pm.hook.engage_forget_user(session=session, user_id=user_id)
    user.email = f"deleted-{user_id}@deleted.invalid"
    user.display_name = DELETED_NAME
    user.password_hash = "!deleted"  # no password ever matches it
    user.member_number = user.cohort = user.locale = user.pending_email = None
    user.email_verified_at = user.last_seen_at = None
    user.public_profile = False
    user.hide_from_boards = True
    user.is_active = False  # off every board; the rank counts follow (core.ranks)
    user.anonymised_at = utcnow()
    session.add(user)
    session.add(AuditEntry(actor_id=actor_id, action=action, target=f"user:{user_id}",
                           detail="personal data removed; ledger rows kept without a person", reason=reason))
    session.flush()
    end_sessions(session, user_id=user_id)


def delete_own_account(session: Session, *, user: User, current: str, typed: str) -> None:
    """A reader deletes their own account: their current password and their address typed out."""
    try:
        accounts._hasher.verify(user.password_hash, current or "")
    except Exception:  # noqa: BLE001 - any failure to verify is a wrong password
        raise AccountError(_("Your current password is not right."), "current") from None
    if normalise_email(typed) != user.email:
        raise AccountError(_("Type your email address exactly as it is on your account."), "confirm_email")
    if user.has_role("librarian"):
        raise AccountError(_("A staff account is not deleted here: ask an administrator to make it a reader's account first."), "confirm_email")
    forget_user(session, user_id=user.id, actor_id=user.id, action="account.delete")
