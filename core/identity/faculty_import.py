"""Importing the list of faculties from a table (code, name_en, name_zh, optionally active and
order), idempotently by code: the same file twice changes nothing the second time."""

from __future__ import annotations

from sqlmodel import Session
from flask_babel import gettext as _

from core.identity.columns import FACULTY_COLUMNS, FACULTY_REQUIRED, cell, map_columns, yes_no
from core.identity.faculties import CODE_PATTERN, Faculty, fold, list_faculties
from core.identity.roster import Plan, RosterChanged, RowError
from core.identity.tables import Table
from core.models import AuditEntry


def _read(table: Table) -> Plan:
    columns, ignored = map_columns(table, FACULTY_COLUMNS, FACULTY_REQUIRED)
    plan = Plan(columns=sorted(columns), ignored=ignored, encoding=table.encoding)
    for line, cells in table.rows:
        row = {"line": line, **{key: " ".join((cell(cells, columns, key) or "").split())
                                for key in ("code", "name_en", "name_zh")}}
        if not CODE_PATTERN.match(row["code"]):
            plan.errors.append(RowError(line, "code", _("A code has 1 to 80 characters and no slash, question "
                                                         "mark, hash or percent sign.")))
        for key in ("name_en", "name_zh"):
            if not row[key] or len(row[key]) > 120:
                plan.errors.append(RowError(line, key, _("A name has 1 to 120 characters.")))
        if "active" in columns:
            value = cell(cells, columns, "active")
            row["active"] = yes_no(value) if value else True
            if row["active"] is None:
                plan.errors.append(RowError(line, "active", _("“%(value)s” is neither yes nor no.", value=value[:40])))
        if "order" in columns:
            value = cell(cells, columns, "order") or "0"
            try:
                row["order"] = int(value)
                if not -100_000 <= row["order"] <= 100_000:
                    raise ValueError
            except ValueError:
                plan.errors.append(RowError(line, "order", _("“%(value)s” is not a whole number.", value=value[:40])))
                row["order"] = 0
        plan.rows.append(row)
    if not plan.rows:
        plan.errors.append(RowError(0, "", _("The file has a header but no rows.")))
    return plan


def _compare(session: Session, plan: Plan) -> list[tuple[dict, Faculty | None, dict]]:
    existing = {f.code.casefold(): f for f in list_faculties(session)}
    in_file = {row["code"].casefold() for row in plan.rows}
    # Every code and name, of the file's rows and of the faculties the file leaves as they are,
    # must name one faculty only: they are matched case-insensitively.
    owners: dict[str, str] = {}
    for f in existing.values():
        if f.code.casefold() not in in_file:
            for value in (f.code, f.name_en, f.name_zh):
                owners.setdefault(fold(value), f.code.casefold())
    plan.created = plan.updated = plan.unchanged = 0
    plan.changes, out = [], []
    seen: dict[str, int] = {}
    for row in plan.rows:
        key = row["code"].casefold()
        if key in seen:
            plan.errors.append(RowError(row["line"], "code", _("This code is also on line %(line)d.", line=seen[key])))
            continue
        seen[key] = row["line"]
        clash = None
        for column in ("code", "name_en", "name_zh"):
            owner = owners.setdefault(fold(row[column]), key)
            if owner != key and clash is None:
                clash = column
        if clash:
            plan.errors.append(RowError(row["line"], clash, _("“%(value)s” is already the code or a name of "
                                                              "another faculty.", value=row[clash])))
            continue
        faculty = existing.get(key)
        wanted = {k: row[k] for k in ("name_en", "name_zh", "active", "order") if k in row}
        change = {k: v for k, v in wanted.items() if faculty is None or getattr(faculty, k) != v}
        if faculty is None:
            plan.created += 1
        elif change:
            plan.updated += 1
        else:
            plan.unchanged += 1
        if (faculty is None or change) and len(plan.changes) < 50:
            plan.changes.append({"line": row["line"], "number": row["code"], "name": row["name_en"],
                                 "new": faculty is None, "fields": sorted(change) if faculty else []})
        out.append((row, faculty, change))
    return out


def check_faculties(session: Session, table: Table) -> Plan:
    """Read a faculties table and say what it would change and what is wrong."""
    plan = _read(table)
    _compare(session, plan)
    plan.errors.sort(key=lambda e: e.line)
    return plan


def apply_faculties(session: Session, plan: Plan, *, actor_id: int | None, source: str,
                    progress=None) -> dict[str, int]:
    """Write a checked faculties table in the caller's transaction (no commit), audited."""
    plan.errors = []
    work = _compare(session, plan)
    if plan.errors:
        raise RosterChanged("; ".join(f"{e.line}: {e.message}" for e in plan.errors[:5]))
    for row, faculty, change in work:
        if faculty is None:
            session.add(Faculty(code=row["code"], name_en=row["name_en"], name_zh=row["name_zh"],
                                active=row.get("active", True), order=row.get("order", 0)))
        elif change:
            for key, value in change.items():
                setattr(faculty, key, value)
            session.add(faculty)
    counts = {"created": plan.created, "updated": plan.updated, "unchanged": plan.unchanged}
    session.add(AuditEntry(actor_id=actor_id, action="faculties.import", target="faculties",
                           detail=f"{source}: {counts['created']} created, {counts['updated']} updated, "
                                  f"{counts['unchanged']} unchanged"))
    session.flush()
    if progress is not None:
        progress(len(work), len(work))
    return counts
