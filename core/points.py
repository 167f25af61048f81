"""The points ledger: public service functions plugins call to pay, correct and check points.

Every award is one append-only ledger row with a unique idempotency key; the all-time total
and the week, month and term totals change in the same transaction, so boards never sum
the ledger per request. ``INSERT … ON CONFLICT DO NOTHING`` makes a repeated event a
no-op on both databases, even when two processes race with the same key.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Callable, Iterable, NamedTuple

from flask import current_app
from sqlalchemy import bindparam, delete, func, select, text
from flask_babel import gettext as _
from sqlmodel import Session

from core import ranks  # also keeps rank counts right when users opt out of boards
from core.ledger_sql import (ENTRY_COLUMNS, adding_to_total, award_sql, boards_changed, insert_rows,
                             rank_counts_at_commit, select_in, write_rank_changes)
from core.ledger_sql import cursor as ledger_cursor
from core.models import AuditEntry, PeriodTotal, PointEntry, PointTotal, on_readers_boards, utcnow
from core.periods import PERIODS, Calendar


CHUNK = 500


class PointsError(ValueError):
    """An award or adjustment that the rules refuse; ``str()`` is safe to show a user."""


@dataclass(frozen=True)
class AwardResult:
    """What an award did: ``awarded`` (possibly cut to the daily cap), ``duplicate`` or ``capped``."""

    status: str
    amount: int
    entry_id: int | None = None

    @property
    def paid(self) -> bool:
        return self.status == "awarded"


def award(
    session: Session,
    *,
    user_id: int,
    amount: int,
    rule: str,
    plugin: str,
    idempotency_key: str,
    source_ref: str | None = None,
    actor_id: int | None = None,
    reason: str | None = None,
    daily_cap: int | None = None,
    reverses_id: int | None = None,
    at: datetime | None = None,
    calendar: Calendar | None = None,
) -> AwardResult:
    """Pay ``amount`` points to a user for ``rule``, once per ``idempotency_key``.

    Runs inside the caller's transaction (commit is the caller's), so a plugin's own
    writes and the award land together or not at all. With ``daily_cap`` the user's
    points for this rule today never exceed the cap: the award is cut to what is left,
    or refused with status ``capped``.
    """
    if amount == 0:
        raise PointsError(_("An award must not be zero."))
    if actor_id is not None and actor_id == user_id:  # whoever makes an award never receives it
        raise PointsError(_("Nobody can award points to themselves; ask a colleague."))
    at = at or utcnow()
    calendar = calendar or current_calendar()
    if daily_cap is not None and amount > 0:
        amount = min(amount, _left_today(session, user_id, rule, daily_cap, at, calendar))
        if amount <= 0:
            return AwardResult("capped", 0)

    sql = award_sql(session)
    stamp = sql.time(at)
    with ledger_cursor(session) as cursor:
        cursor.execute(sql.entry, {
            "user_id": user_id, "amount": amount, "rule": rule, "plugin": plugin, "source_ref": source_ref,
            "actor_id": actor_id, "reason": reason, "reverses_id": reverses_id,
            "idempotency_key": idempotency_key, "created_at": stamp})
        row = cursor.fetchone()
        if row is None:
            return AwardResult("duplicate", 0)
        entry_id = row[0]
        cursor.execute(sql.total, {"user_id": user_id, "total": amount, "reached_at": stamp})
        new_total = cursor.fetchone()[0]
        boards = [("all", "", new_total)]
        for period, key in calendar.keys(at).items():
            cursor.execute(sql.period, {"user_id": user_id, "period": period, "period_key": key, "total": amount,
                                        "reached_at": stamp})
            boards.append((period, key, cursor.fetchone()[0]))
        cursor.execute(sql.public, {"user_id": user_id})
        if on_readers_boards(*cursor.fetchone()):  # staff and opted-out readers are not counted
            write_rank_changes(session, cursor, [(boards, amount)])
    boards_changed(session)
    _announce(session, [(entry_id, Payment(user_id, amount, rule, plugin, idempotency_key, source_ref, reason,
                                           actor_id, reverses_id), new_total)], at)
    return AwardResult("awarded", amount, entry_id)


def _announce(session: Session, paid: list[tuple[int, "Payment", int]], at: datetime) -> None:
    """Tell listeners of each paid ``(entry id, payment, total after it)``, in order:
    ``engage_points_awarded_many`` hears the list once, ``engage_points_awarded`` each award.

    Levels and badges listen here as plugins do: the ledger knows nothing above it."""
    from core.plugins import current_hooks  # late: the plugin host is built with the app

    hooks = current_hooks()
    hooks.engage_points_awarded_many(session=session, awards=[
        Awarded(entry_id, p.user_id, p.amount, total, p.rule, p.plugin) for entry_id, p, total in paid])
    listeners = hooks.engage_points_awarded
    impls = listeners.get_hookimpls()
    if not impls:
        return
    # Built only for listeners that take it: it costs more than the rest of the call.
    wants_entry = any("entry" in impl.argnames for impl in impls)
    for entry_id, p, total in paid:
        entry = None
        if wants_entry:
            entry = PointEntry(id=entry_id, user_id=p.user_id, amount=p.amount, rule=p.rule, plugin=p.plugin,
                               source_ref=p.source_ref, actor_id=p.actor_id, reason=p.reason,
                               reverses_id=p.reverses_id, idempotency_key=p.idempotency_key, created_at=at)
        listeners(session=session, entry=entry, user_id=p.user_id, amount=p.amount, total=total)


class Awarded(NamedTuple):
    """A paid award as listeners of ``engage_points_awarded_many`` read it."""

    entry_id: int
    user_id: int
    amount: int
    total: int  # the user's all-time total after this award
    rule: str
    plugin: str


class Payment(NamedTuple):
    """One award of ``award_many`` (the arguments of ``award`` it takes)."""

    user_id: int
    amount: int
    rule: str
    plugin: str
    idempotency_key: str
    source_ref: str | None = None
    reason: str | None = None
    actor_id: int | None = None
    reverses_id: int | None = None


def award_many(session: Session, payments: list[Payment], *, at: datetime | None = None,
               calendar: Calendar | None = None) -> list[AwardResult]:
    """``award`` for many payments at once, in the caller's transaction; the results in order.

    What a loop of ``award`` calls would do, with the SQL done per batch instead of per award:
    one insert per 500 ledger rows, the totals and period totals upserted once per user, the
    rank counts summed per user and written sorted at commit (two batches lock rows in one order).
    Listeners hear each paid award with the user's total after it, in user order. A repeated
    idempotency key (already in the ledger, or earlier in the list) is ``duplicate``. No daily
    caps here: a caller that caps counts for itself. Nothing is written when a payment is refused.
    """
    for p in payments:
        if p.amount == 0:
            raise PointsError(_("An award must not be zero."))
        if p.actor_id is not None and p.actor_id == p.user_id:
            raise PointsError(_("Nobody can award points to themselves; ask a colleague."))
    results = [AwardResult("duplicate", 0)] * len(payments)
    if not payments:
        return results
    at = at or utcnow()
    calendar = calendar or current_calendar()
    first: dict[str, int] = {}  # a key repeated in the list is paid for its first payment only
    for index, p in enumerate(payments):
        first.setdefault(p.idempotency_key, index)
    order = sorted(first.values(), key=lambda i: (payments[i].user_id, i))
    entries = PointEntry.__table__
    ids = {key: entry_id for entry_id, key in insert_rows(
        session, "points.entries", entries, ENTRY_COLUMNS,
        [(p.user_id, p.amount, p.rule, p.plugin, p.source_ref, p.actor_id, p.reason, p.reverses_id,
          p.idempotency_key, at) for p in (payments[j] for j in order)], chunk=CHUNK,
        finish=lambda insert: insert.on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(
            entries.c.id, entries.c.idempotency_key))}
    paid: list[tuple[int, int]] = []  # (index, entry id), in user order
    sums: dict[int, int] = defaultdict(int)
    for index in order:
        entry_id = ids.get(payments[index].idempotency_key)
        if entry_id is not None:
            paid.append((index, entry_id))
            sums[payments[index].user_id] += payments[index].amount
            results[index] = AwardResult("awarded", payments[index].amount, entry_id)
    if not paid:
        return results
    totals = _add_to_totals(session, sums, at, calendar)
    if len(sums) > 1:
        rank_counts_at_commit(session)
    public = _on_boards(session, sorted(sums))
    with ledger_cursor(session) as cursor:
        write_rank_changes(session, cursor, [(totals[user_id], sums[user_id]) for user_id in sorted(sums)
                                             if user_id in public])
    boards_changed(session)
    running = {user_id: boards[0][2] - sums[user_id] for user_id, boards in totals.items()}
    told = []
    for index, entry_id in paid:
        p = payments[index]
        running[p.user_id] += p.amount
        told.append((entry_id, p, running[p.user_id]))
    _announce(session, told, at)
    return results


def _add_to_totals(session: Session, sums: dict[int, int], at: datetime,
                   calendar: Calendar) -> dict[int, list[tuple[str, str, int]]]:
    """Add each user's sum to their all-time and period totals; each user's boards as
    ``add_rank_changes`` takes them: ``[("all", "", total), (period, key, total)…]``."""
    keys = calendar.keys(at)
    users = sorted(sums)
    totals, periods = PointTotal.__table__, PeriodTotal.__table__
    boards: dict[int, list] = {user_id: [("all", "", total)] for user_id, total in insert_rows(
        session, "points.totals", totals, ("user_id", "total", "reached_at"), [(u, sums[u], at) for u in users],
        chunk=CHUNK, finish=lambda insert: adding_to_total(insert, ["user_id"]).returning(
            totals.c.user_id, totals.c.total))}
    found = {(user_id, period): total for user_id, period, total in insert_rows(
        session, "points.period_totals", periods, ("user_id", "period", "period_key", "total", "reached_at"),
        [(u, period, key, sums[u], at) for u in users for period, key in keys.items()], chunk=CHUNK,
        finish=lambda insert: adding_to_total(insert, ["user_id", "period", "period_key"]).returning(
            periods.c.user_id, periods.c.period, periods.c.total))}
    for user_id in users:
        boards[user_id] += [(period, key, found[(user_id, period)]) for period, key in keys.items()]
    return boards


def _on_boards(session: Session, user_ids: list[int]) -> set[int]:
    """Which of ``user_ids`` are counted on readers' boards."""
    from core.models import User

    public = set()
    for i in range(0, len(user_ids), CHUNK):
        rows = select_in(session, "points.on_boards", lambda: select(
            User.id, User.hide_from_boards, User.is_active, User.role).where(
            User.id.in_(bindparam("ids", expanding=True))), ids=user_ids[i:i + CHUNK])
        public.update(user_id for user_id, *flags in rows if on_readers_boards(*flags))
    return public


def _left_today(session: Session, user_id: int, rule: str, cap: int, at: datetime, calendar: Calendar) -> int:
    if session.get_bind().dialect.name == "postgresql":
        # Serialise this user's capped awards so two racing requests cannot both fit under the cap.
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": user_id})
    day = calendar.local_date(at)
    start = datetime.combine(day, time.min, tzinfo=calendar.tz)
    used = session.execute(
        select(func.coalesce(func.sum(PointEntry.amount), 0)).where(
            PointEntry.user_id == user_id, PointEntry.rule == rule,
            PointEntry.created_at >= start, PointEntry.created_at < start + timedelta(days=1))
    ).scalar_one()
    return cap - used


def adjust(
    session: Session,
    *,
    user_id: int,
    amount: int,
    actor_id: int,
    reason: str,
    idempotency_key: str,
    max_amount: int = 10_000,
    approved_by: int | None = None,
) -> AwardResult:
    """A librarian's manual correction: a ledger entry with a mandatory reason and an audit row.

    Nobody adjusts their own points. An amount above ``ADJUSTMENT_APPROVAL_ABOVE`` needs a
    second librarian: ``core.approvals`` stores the request and calls this with ``approved_by``.
    """
    reason = (reason or "").strip()
    check_adjustment(user_id=user_id, amount=amount, actor_id=actor_id, reason=reason, max_amount=max_amount)
    if approved_by is None and needs_approval(amount):
        raise PointsError(_("Adjustments above %(limit)d points need a second librarian's approval.",
                            limit=approval_limit()))
    result = award(session, user_id=user_id, amount=amount, rule="manual-adjustment", plugin="core",
                   idempotency_key=idempotency_key, actor_id=actor_id, reason=reason)
    if result.paid:
        session.add(AuditEntry(actor_id=actor_id, action="points.adjust", target=f"user:{user_id}",
                               detail=f"{amount:+d}", reason=reason))
    return result


def check_adjustment(*, user_id: int, amount: int, actor_id: int, reason: str, max_amount: int) -> None:
    """Refuse a manual adjustment that no one may make (raises PointsError)."""
    if actor_id == user_id:
        raise PointsError(_("You cannot adjust your own points; ask another librarian."))
    if not (reason or "").strip():
        raise PointsError(_("A reason is required for a manual adjustment."))
    if amount == 0 or abs(amount) > max_amount:
        raise PointsError(_("The amount must be between -%(max)d and %(max)d, and not zero.", max=max_amount))


def approval_limit() -> int | None:
    """``ADJUSTMENT_APPROVAL_ABOVE``: adjustments larger than this wait for a second librarian."""
    limit = current_app.config.get("ADJUSTMENT_APPROVAL_ABOVE")
    return None if limit is None else int(limit)


def needs_approval(amount: int) -> bool:
    """Whether an adjustment of ``amount`` points (either sign) needs a second librarian."""
    limit = approval_limit()
    return limit is not None and abs(amount) > limit


def reverse(session: Session, *, entry_id: int, actor_id: int | None, reason: str) -> AwardResult:
    """Cancel a ledger entry with a compensating one; an entry can be reversed only once."""
    original = session.get(PointEntry, entry_id)
    if original is None:
        raise PointsError(_("No such ledger entry."))
    if original.reverses_id is not None:
        raise PointsError(_("A reversal cannot itself be reversed; make a new adjustment instead."))
    result = award(session, user_id=original.user_id, amount=-original.amount, rule=original.rule,
                   plugin=original.plugin, source_ref=original.source_ref, actor_id=actor_id,
                   reason=reason, reverses_id=original.id, idempotency_key=f"reverse:{original.id}")
    if result.paid and actor_id is not None:
        session.add(AuditEntry(actor_id=actor_id, action="points.reverse", target=f"entry:{entry_id}",
                               detail=f"{-original.amount:+d}", reason=reason))
    return result


def user_total(session: Session, user_id: int) -> int:
    """A user's all-time points."""
    row = session.get(PointTotal, user_id)
    return row.total if row else 0


def period_totals(session: Session, user_id: int, at: datetime | None = None,
                  calendar: Calendar | None = None) -> dict[str, int]:
    """A user's points for the current week, month and term."""
    keys = (calendar or current_calendar()).keys(at or utcnow())
    rows = session.execute(select(PeriodTotal.period, PeriodTotal.period_key, PeriodTotal.total)
                           .where(PeriodTotal.user_id == user_id)).all()
    found = {(p, k): t for p, k, t in rows}
    return {p: found.get((p, keys[p]), 0) if p in keys else 0 for p in PERIODS}


# --- proving and rebuilding the maintained totals -------------------------------------

Progress = Callable[[int], None]


def _expected(session: Session, calendar: Calendar, progress: Progress | None):
    totals: dict[int, list] = {}
    periods: dict[tuple, list] = defaultdict(lambda: [0, None])
    rows = session.execute(select(PointEntry.user_id, PointEntry.amount, PointEntry.created_at)
                           .execution_options(yield_per=20_000))
    for count, (user_id, amount, at) in enumerate(rows, 1):
        total = totals.setdefault(user_id, [0, at])
        total[0] += amount
        total[1] = max(total[1], at)
        for period, key in calendar.keys(at).items():
            slot = periods[(user_id, period, key)]
            slot[0] += amount
            slot[1] = at if slot[1] is None else max(slot[1], at)
        if progress and count % 20_000 == 0:
            progress(20_000)
    return totals, periods


def ledger_size(session: Session) -> int:
    """How many ledger rows there are (for progress bars)."""
    return session.execute(select(func.count()).select_from(PointEntry)).scalar_one()


def check_totals(session: Session, *, calendar: Calendar | None = None,
                 progress: Progress | None = None) -> list[str]:
    """Recompute every total from the ledger and list each mismatch; empty means all agree."""
    totals, periods = _expected(session, calendar or current_calendar(), progress)
    problems = []
    stored = {r.user_id: r.total for r in session.execute(select(PointTotal)).scalars()}
    for user_id in sorted(set(stored) | set(totals)):
        want = totals.get(user_id, [0])[0]
        if stored.get(user_id, 0) != want:
            problems.append(f"user {user_id}: total {stored.get(user_id, 0)}, ledger says {want}")
    stored_p = {(r.user_id, r.period, r.period_key): r.total for r in session.execute(select(PeriodTotal)).scalars()}
    for k in sorted(set(stored_p) | set(periods)):
        want = periods[k][0] if k in periods else 0
        if stored_p.get(k, 0) != want:
            problems.append(f"user {k[0]}: {k[1]} {k[2]} total {stored_p.get(k, 0)}, ledger says {want}")
    if not problems:  # the rank counts follow the totals; only worth checking once those agree
        problems += ranks.check(session)
    return problems


def rebuild_totals(session: Session, *, calendar: Calendar | None = None,
                   progress: Progress | None = None) -> int:
    """Throw the maintained totals away and rebuild them from the ledger; returns users rebuilt."""
    totals, periods = _expected(session, calendar or current_calendar(), progress)
    session.execute(delete(PeriodTotal))
    session.execute(delete(PointTotal))
    _bulk(session, PointTotal, [{"user_id": u, "total": t, "reached_at": at} for u, (t, at) in totals.items()])
    _bulk(session, PeriodTotal, [{"user_id": u, "period": p, "period_key": k, "total": t, "reached_at": at}
                                 for (u, p, k), (t, at) in periods.items()])
    ranks.rebuild(session)
    boards_changed(session)
    return len(totals)


def _bulk(session: Session, model, rows: Iterable[dict], size: int = 5_000) -> None:
    rows = list(rows)
    for i in range(0, len(rows), size):
        session.execute(model.__table__.insert(), rows[i:i + size])


def current_calendar() -> Calendar:
    """The calendar of the current app (time zone and academic terms)."""
    from core.terms import current_calendar as calendar

    return calendar()
