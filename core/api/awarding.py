"""Awards through the API: one or a batch, each once per idempotency key, within the key's cap per day.

Each award is ``core.points.award`` with the ledger key ``api:<idempotency key>``: a repeated key
pays nothing and answers with the entry the first call made (``replayed``). A batch is one
transaction: an unknown reader, or points beyond the key's cap per day, refuse the whole batch and
nothing is written. The positive points each key pays per day are kept in ``core_api_key_day``,
updated in the same transaction (PostgreSQL locks that row, so two racing batches of one key
cannot both pass the cap; SQLite's write transactions are serial anyway).
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlmodel import Session

from core.api.models import ApiKey, ApiKeyDay
from core.api.problems import Problem
from core.ledger_sql import insert_for, select_in
from core.models import PointEntry, PointTotal, Role, User, utcnow
from core.points import Payment, award_many, current_calendar

BATCH_MAX = 1000
CHUNK = 500  # bound the IN lists


def ledger_key(idempotency_key: str) -> str:
    return f"api:{idempotency_key}"


def readers_by_number(session: Session, numbers: set[str]) -> dict[str, int]:
    """Reader ids by student number (readers only: staff are not paid through the API)."""
    found: dict[str, int] = {}
    ordered = sorted(numbers)
    for i in range(0, len(ordered), CHUNK):
        found.update(select_in(session, "api.readers_by_number", lambda: select(User.member_number, User.id).where(
            User.member_number.in_(bindparam("numbers", expanding=True)), User.role == bindparam("role")),
            numbers=ordered[i:i + CHUNK], role=Role.student.value))
    return found


def award_batch(session: Session, *, key: ApiKey, awards: list[dict]) -> dict:
    """Pay ``awards`` (dicts of reader, amount, idempotency_key, rule, reason) in the caller's
    transaction; raises a Problem, having written nothing that will be kept, when it cannot."""
    if len(awards) > BATCH_MAX:
        raise Problem(413, _("The batch is too large"),
                      _("A batch holds at most %(max)d awards; this one has %(count)d. Nothing was changed.",
                        max=BATCH_MAX, count=len(awards)))
    ids = readers_by_number(session, {a["reader"] for a in awards})
    unknown = sorted({a["reader"] for a in awards} - set(ids))
    if unknown:
        raise Problem(404, _("Unknown readers"),
                      _("No reader has these student numbers: %(numbers)s. Nothing was changed.",
                        numbers=", ".join(unknown[:20])), errors={"readers": unknown[:100]})
    calendar = current_calendar()
    now = utcnow()
    results: list[dict] = [{} for _ in awards]
    paid, replays = 0, []
    # award_many pays in reader order and writes the shared rank counts, summed and sorted, at
    # commit, so two batches lock rows in one order and never deadlock on PostgreSQL.
    outcomes = award_many(session, [
        Payment(ids[item["reader"]], item["amount"], f"api:{item['rule']}", "api", ledger_key(item["idempotency_key"]),
                source_ref=f"apikey:{key.id}", reason=item.get("reason")) for item in awards], at=now, calendar=calendar)
    for index, (item, outcome) in enumerate(zip(awards, outcomes)):
        user_id = ids[item["reader"]]
        if outcome.status == "duplicate":
            replays.append(index)
        else:
            paid += outcome.amount
        results[index] = {"idempotency_key": item["idempotency_key"], "status": outcome.status,
                          "replayed": outcome.status == "duplicate", "reader": item["reader"],
                          "amount": outcome.amount, "entry_id": outcome.entry_id, "user_id": user_id}
    _answer_replays(session, results, replays)
    if paid:
        _count_against_cap(session, key, paid, calendar.local_date(now))
    totals = _totals(session, {r["user_id"] for r in results})
    for result in results:
        result["total"] = totals.get(result.pop("user_id"), 0)
    return {"results": results, "points": paid}


def _answer_replays(session: Session, results: list[dict], replays: list[int]) -> None:
    """Fill each repeated key's answer with what the first call did (its ledger entry)."""
    if not replays:
        return
    keys = [ledger_key(results[i]["idempotency_key"]) for i in replays]
    entries = {}
    for i in range(0, len(keys), CHUNK):
        rows = session.execute(select(PointEntry.idempotency_key, PointEntry.id, PointEntry.amount, PointEntry.user_id)
                               .where(PointEntry.idempotency_key.in_(keys[i:i + CHUNK])))
        entries.update({row[0]: row[1:] for row in rows})
    for i in replays:
        result = results[i]
        entry_id, amount, user_id = entries[ledger_key(result["idempotency_key"])]
        result.update(status="awarded", entry_id=entry_id, amount=amount, user_id=user_id)
        if user_id != result["user_id"]:  # the key was first used for someone else: say who
            number = session.get(User, user_id).member_number
            result["reader"] = number or result["reader"]


def _count_against_cap(session: Session, key: ApiKey, paid: int, day) -> None:
    table = ApiKeyDay.__table__
    stmt = insert_for(session)(ApiKeyDay).values(key_id=key.id, day=day, points=paid)
    stmt = stmt.on_conflict_do_update(index_elements=["key_id", "day"],
                                      set_={"points": table.c.points + stmt.excluded.points}).returning(table.c.points)
    used = session.execute(stmt).scalar_one()
    if key.daily_points_cap is not None and used > key.daily_points_cap:
        left = max(0, key.daily_points_cap - (used - paid))
        raise Problem(429, _("The key's daily cap is reached"),
                      _("This key may award %(cap)d points a day; %(left)d are left today and this call asks "
                        "for %(asked)d. Nothing was changed.", cap=key.daily_points_cap, left=left, asked=paid),
                      cap=key.daily_points_cap)


def _totals(session: Session, user_ids: set[int]) -> dict[int, int]:
    ordered = sorted(user_ids)
    totals: dict[int, int] = {}
    for i in range(0, len(ordered), CHUNK):
        rows = session.execute(select(PointTotal.user_id, PointTotal.total).where(
            PointTotal.user_id.in_(ordered[i:i + CHUNK])))
        totals.update(dict(rows.all()))
    return totals
