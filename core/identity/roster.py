"""Importing readers and staff from the campus's roster, idempotently by student or staff number.

Two steps, so that nothing is half-written: ``check_users`` reads a table and says, row by row,
what is wrong (malformed numbers or emails, duplicates in the file, unknown faculties, an email
that belongs to the account of another number) and what would change; ``apply_users`` writes a
checked roster in the caller's one transaction, after checking it again against the accounts as
they are then. Importing the same file twice changes nothing the second time.

Imported accounts get no usable password: their owners sign in through the campus's sign-in or
set a password with a reset. Nobody is emailed. A reader's display name is theirs once the
account exists (it is shown on boards; a pseudonym is fine), so re-imports leave it alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import insert, select, update
from sqlmodel import Session

from core.accounts import normalise_email
from core.forms import CONTROL_CHARACTERS
from core.identity.columns import USER_COLUMNS, USER_REQUIRED, cell, map_columns, yes_no
from core.identity.faculties import faculty_index, fold, list_faculties
from core.identity.tables import Table
from core.models import AuditEntry, Role, User, utcnow

NUMBER = re.compile(r"^[A-Za-z0-9-]{1,32}$")
# Stored instead of a hash: argon2 refuses it, so no password signs in until one is set.
UNUSABLE_PASSWORD = "!imported"
ROLE_WORDS = {fold(w): Role.student.value for w in ("student", "reader", "teacher", "学生", "读者", "本科生",
                                                    "研究生", "教师", "教工")}
ROLE_WORDS |= {fold(w): Role.librarian.value for w in ("librarian", "staff", "library staff", "馆员", "图书馆员",
                                                      "馆员工")}


@dataclass
class RowError:
    """What is wrong with one row (``line`` as the spreadsheet numbers it; 0 for the whole file)."""

    line: int
    column: str
    message: str


@dataclass
class Plan:
    """A checked roster: its rows as they would be stored, what they change, what is wrong."""

    rows: list[dict] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list[dict] = field(default_factory=list)  # the first rows that change, for the preview
    encoding: str = ""

    @property
    def ok(self) -> bool:
        """True when the roster may be applied."""
        return not self.errors


PREVIEW_ROWS = 50
# An unquoted ASCII local part (RFC 5322 dot-atom), the form nearly every campus address takes.
_DOT_ATOM = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


@lru_cache(maxsize=256)
def _domain(domain: str) -> str:
    """A domain as email_validator normalises it (a roster has a handful, checked once each)."""
    return validate_email(f"x@{domain}", check_deliverability=False).ascii_domain


def checked_email(value: str) -> str:
    """An address as stored (normalised, lower-case); EmailNotValidError when it is not one.

    email_validator checks every address; a plain ASCII local part is checked here and only its
    domain there (once per domain), which makes a 20,000-row roster's check several times faster."""
    local, at, domain = value.rpartition("@")
    if at and len(local) <= 64 and _DOT_ATOM.match(local) and domain.isascii():
        return normalise_email(f"{local}@{_domain(domain)}")
    return normalise_email(validate_email(value, check_deliverability=False).normalized)


def _row(line: int, cells: list[str], columns: dict[str, int], faculties: dict, errors: list[RowError]) -> dict:
    number, name, email = (cell(cells, columns, key) for key in ("number", "name", "email"))
    row: dict = {"line": line, "number": number}
    if not NUMBER.match(number):
        errors.append(RowError(line, "number", _("“%(value)s” is not a student or staff number (letters, digits "
                                                 "and hyphens, at most 32).", value=number[:40])))
    if not name or len(name) > 60 or CONTROL_CHARACTERS.search(name):
        errors.append(RowError(line, "name", _("A name has 1 to 60 characters.")))
    row["name"] = name
    try:
        row["email"] = checked_email(email)
    except EmailNotValidError:
        errors.append(RowError(line, "email", _("“%(value)s” is not an email address.", value=email[:80])))
        row["email"] = email
    if "faculty" in columns:
        value = cell(cells, columns, "faculty")
        faculty = faculties.get(fold(value)) if value else None
        if value and (faculty is None or not faculty.active):
            errors.append(RowError(line, "faculty", _("“%(value)s” is not on the list of faculties.", value=value[:80])))
        row["faculty"] = faculty.code if faculty is not None else None
    # An empty optional cell leaves an existing account's value as it is (a new account gets the default).
    if "role" in columns:
        value = cell(cells, columns, "role")
        row["role"] = ROLE_WORDS.get(fold(value), "") if value else None
        if row["role"] == "":
            errors.append(RowError(line, "role", _("“%(value)s” is not a role: write reader or librarian "
                                                   "(administrators are appointed on their account page).",
                                                   value=value[:40])))
    if "active" in columns:
        value = cell(cells, columns, "active")
        row["active"] = yes_no(value) if value else None
        if value and row["active"] is None:
            errors.append(RowError(line, "active", _("“%(value)s” is neither yes nor no.", value=value[:40])))
    return row


def read_users(session: Session, table: Table) -> Plan:
    """The rows of a roster table, checked on their own and against each other (not yet against
    the accounts); TableError for missing or doubled columns."""
    columns, ignored = map_columns(table, USER_COLUMNS, USER_REQUIRED)
    plan = Plan(columns=sorted(columns), ignored=ignored, encoding=table.encoding)
    faculties = faculty_index(list_faculties(session))
    seen_numbers: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    checks = (("number", seen_numbers, _("This number")), ("email", seen_emails, _("This email")))
    for line, cells in table.rows:
        row = _row(line, cells, columns, faculties, plan.errors)
        for key, seen, what in checks:
            value = row[key].lower() if key == "number" else row[key]
            if value and value in seen:
                plan.errors.append(RowError(line, key, _("%(what)s is also on line %(line)d.", what=what,
                                                         line=seen[value])))
            seen.setdefault(value, line)
        plan.rows.append(row)
    if not plan.rows:
        plan.errors.append(RowError(0, "", _("The file has a header but no rows.")))
    return plan


def _changes(row: dict, user) -> dict:
    """What ``row`` changes on an existing account (``user`` a row of id, number, email, cohort,
    role, is_active)."""
    change = {}
    if row["email"] != user.email:
        change["email"] = row["email"]
    if user.member_number != row["number"]:
        change["member_number"] = row["number"]
    if row.get("faculty") is not None and row["faculty"] != user.cohort:
        change["cohort"] = row["faculty"]
    if row.get("role") is not None and row["role"] != user.role:
        change["role"] = row["role"]
    if row.get("active") is not None and row["active"] != user.is_active:
        change["is_active"] = row["active"]
    return change


def compare_users(session: Session, plan: Plan) -> list[tuple[dict, object, dict]]:
    """Check ``plan``'s rows against the accounts as they are: fills its counts, preview and
    errors; returns ``(row, existing account or None, changes)`` for every row."""
    accounts = session.execute(select(User.id, User.member_number, User.email, User.display_name, User.cohort,
                                      User.role, User.is_active)).all()
    by_number = {a.member_number.lower(): a for a in accounts if a.member_number}
    by_email = {a.email.lower(): a for a in accounts}
    plan.created = plan.updated = plan.unchanged = 0
    plan.changes = []
    out = []
    for row in plan.rows:
        user = by_number.get(row["number"].lower())
        owner = by_email.get(row["email"])
        if owner is not None and user is not None and owner.id != user.id:
            plan.errors.append(RowError(row["line"], "email", _("This email belongs to the account of number "
                                                                "%(number)s.", number=owner.member_number or "—")))
            continue
        if user is None and owner is not None:
            if owner.member_number:
                plan.errors.append(RowError(row["line"], "email", _("This email belongs to the account of number "
                                                                    "%(number)s.", number=owner.member_number)))
                continue
            user = owner  # an account its owner made before the roster: the number joins it
        if user is not None and user.role == Role.admin.value and (
                (row.get("role") is not None and row["role"] != user.role) or row.get("active") is False):
            plan.errors.append(RowError(row["line"], "role", _("This is an administrator's account: change its "
                                                               "role or state on its own page.")))
            continue
        change = _changes(row, user) if user is not None else {}
        if user is None:
            plan.created += 1
        elif change:
            plan.updated += 1
        else:
            plan.unchanged += 1
        if (user is None or change) and len(plan.changes) < PREVIEW_ROWS:
            plan.changes.append({"line": row["line"], "number": row["number"], "name": row["name"],
                                 "new": user is None, "fields": sorted(change)})
        out.append((row, user, change))
    return out


def check_users(session: Session, table: Table) -> Plan:
    """Read and compare a roster table: the preview an administrator sees before applying it."""
    plan = read_users(session, table)
    compare_users(session, plan)
    plan.errors.sort(key=lambda e: e.line)
    return plan


class RosterChanged(ValueError):
    """The accounts changed since the roster was checked, so that it no longer applies cleanly."""


def apply_users(session: Session, plan: Plan, *, actor_id: int | None, source: str,
                progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Write a checked roster in the caller's transaction (no commit) and audit it; returns the
    counts. Raises RosterChanged, writing nothing, when a check against the accounts now fails."""
    plan.errors = []
    work = compare_users(session, plan)
    if plan.errors:
        raise RosterChanged("; ".join(f"{e.line}: {e.message}" for e in plan.errors[:5]))
    now, total, done = utcnow(), len(work), 0
    new = []
    for row, user, change in work:
        if user is None:
            new.append({"email": row["email"], "password_hash": UNUSABLE_PASSWORD, "display_name": row["name"],
                        "member_number": row["number"], "cohort": row.get("faculty"),
                        "role": row.get("role") or Role.student.value, "locale": None, "hide_from_boards": False,
                        "public_profile": False, "is_active": row.get("active") is not False, "created_at": now,
                        "session_generation": 0})
        elif change:
            values = dict(change)
            if "role" in change or change.get("is_active") is False:
                values["session_generation"] = User.session_generation + 1  # their sessions end
            session.execute(update(User).where(User.id == user.id).values(**values))
        done += 1
        if len(new) >= 1000:
            session.execute(insert(User), new)
            new = []
        if progress is not None and done % 500 == 0:
            progress(done, total)
    if new:
        session.execute(insert(User), new)
    counts = {"created": plan.created, "updated": plan.updated, "unchanged": plan.unchanged}
    session.add(AuditEntry(actor_id=actor_id, action="roster.import", target="roster",
                           detail=f"{source}: {counts['created']} created, {counts['updated']} updated, "
                                  f"{counts['unchanged']} unchanged"))
    session.flush()
    if progress is not None:
        progress(total, total)
    return counts
