"""Turning stored events into points by the librarians' rules, and previewing what a rule would pay.

A rule pays an event of its type whose reader is known, when the event's library time is inside
the rule's window (which may cross midnight) and weekdays, up to the rule's caps per reader per
day and per week (in points or in events; a points cap cuts the last payment to what is left).
Each payment is one ``inbound_payment`` row, unique per (rule, event), and one ledger entry with
the idempotency key ``inbound:<rule>:<event>``: a replay never pays an event twice.

A batch is paid by ``core.points.award_many``: in reader order, the shared rank counts summed and
sorted at commit, so two batches lock rows in one order on PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import and_, bindparam, func, or_, select, true
from sqlmodel import Session

from core.ledger_sql import insert_rows, select_in
from core.models import utcnow
from core.points import Payment, award_many, current_calendar

from .events import SKEW
from .models import InboundEvent, InboundPayment, InboundRule

RULE = "inbound:event"  # the ledger's rule name; the librarian's rule name is the entry's note
CHUNK = 500


def ledger_key(rule_id: int, event_id: int) -> str:
    return f"inbound:{rule_id}:{event_id}"


def active_rules(session: Session, kinds: set[str] | None = None) -> dict[str, list[InboundRule]]:
    query = select(InboundRule).where(InboundRule.active.is_(True)).order_by(InboundRule.id)
    if kinds is not None:
        query = query.where(InboundRule.kind.in_(sorted(kinds)))
    rules: dict[str, list[InboundRule]] = defaultdict(list)
    for rule in session.execute(query).scalars():
        rules[rule.kind].append(rule)
    return rules


def in_window(rule: InboundRule, minute: int, weekday: int) -> bool:
    """Whether an event at ``minute`` past local midnight on ``weekday`` falls in the rule's hours."""
    if rule.weekdays and str(weekday) not in rule.weekdays:
        return False
    start, end = rule.window_start, rule.window_end
    if start is None or end is None or start == end:
        return True
    return start <= minute < end if start < end else minute >= start or minute < end


def window_condition(rule: InboundRule):
    """The same test as ``in_window``, as SQL over ``inbound_event``."""
    table = InboundEvent.__table__
    conditions = []
    if rule.weekdays:
        conditions.append(table.c.local_weekday.in_([int(d) for d in rule.weekdays]))
    start, end = rule.window_start, rule.window_end
    if start is not None and end is not None and start != end:
        minute = table.c.local_minute
        conditions.append(and_(minute >= start, minute < end) if start < end else or_(minute >= start, minute < end))
    return and_(true(), *conditions)


def has_caps(rule: InboundRule) -> bool:
    return any(v is not None for v in (rule.day_points, rule.day_count, rule.week_points, rule.week_count))


class Caps:
    """What each capped rule has paid each reader per day and week, read once per batch and kept
    up to date as the batch pays."""

    def __init__(self, session: Session, rules: list[InboundRule], events: list[dict]) -> None:
        self.day: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        self.week: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        capped = [r for r in rules if has_caps(r)]
        self.capped = {rule.id for rule in capped}  # the others pay in full and are not counted
        # Only what the capped rules paid, to the readers of their events, in those events' weeks:
        # a replay's chunk spans months, and reading every week of every reader in it would read
        # all the rules ever paid. Asked per 500 readers by reader, week and rule, which the caps
        # index leads with (SQLite looks a row-value IN of (reader, week) pairs up by no index).
        kinds, weeks = {rule.kind for rule in capped}, defaultdict(set)
        for event in events:
            if event["kind"] in kinds:
                weeks[event["user_id"]].add(event["local_week"])
        users, rule_ids = sorted(weeks), [rule.id for rule in capped]
        table = InboundPayment.__table__
        for i in range(0, len(users), CHUNK):
            chunk = users[i:i + CHUNK]
            chunk_weeks = sorted(set().union(*(weeks[user_id] for user_id in chunk)))
            rows = select_in(session, "inbound.caps", lambda: select(
                table.c.rule_id, table.c.user_id, table.c.local_week, table.c.local_date, func.sum(table.c.points),
                func.count()).where(table.c.user_id.in_(bindparam("users", expanding=True)),
                                    table.c.local_week.in_(bindparam("weeks", expanding=True)),
                                    table.c.rule_id.in_(bindparam("rules", expanding=True)))
                .group_by(table.c.rule_id, table.c.user_id, table.c.local_week, table.c.local_date),
                users=chunk, weeks=chunk_weeks, rules=rule_ids)
            for rule_id, user_id, week, day, points, count in rows:
                if week in weeks[user_id]:  # the chunk's weeks hold others of this reader's
                    self._add(rule_id, user_id, week, day, int(points), int(count))

    def _add(self, rule_id, user_id, week, day, points, count) -> None:
        for slot in (self.day[(rule_id, user_id, day)], self.week[(rule_id, user_id, week)]):
            slot[0] += points
            slot[1] += count

    def allowed(self, rule: InboundRule, event: dict) -> int:
        """The points the rule may still pay for this event (0: capped)."""
        if rule.id not in self.capped:
            return rule.points
        day = self.day[(rule.id, event["user_id"], event["local_date"])]
        week = self.week[(rule.id, event["user_id"], event["local_week"])]
        if (rule.day_count is not None and day[1] >= rule.day_count) or (
                rule.week_count is not None and week[1] >= rule.week_count):
            return 0
        points = rule.points
        if rule.day_points is not None:
            points = min(points, rule.day_points - day[0])
        if rule.week_points is not None:
            points = min(points, rule.week_points - week[0])
        return max(points, 0)

    def paid(self, rule: InboundRule, event: dict, points: int) -> None:
        if rule.id in self.capped:
            self._add(rule.id, event["user_id"], event["local_week"], event["local_date"], points, 1)


def pay(session: Session, events: list[dict], *, calendar=None, rules: dict[str, list[InboundRule]] | None = None,
        actor_id: int | None = None) -> dict[int, int]:
    """Pay ``events`` (dicts with id, kind, user_id and the local fields) by the active rules (or
    ``rules``) in the caller's transaction; the points paid per event id."""
    events = [e for e in events if e.get("user_id")]
    if rules is None:
        rules = active_rules(session, {e["kind"] for e in events})
    every = [r for group in rules.values() for r in group]
    paid: dict[int, int] = {}
    if not every or not events:
        return paid
    calendar = calendar or current_calendar()
    now = utcnow()
    caps = Caps(session, every, events)
    due = []
    for event in sorted(events, key=lambda e: (e["user_id"], e["occurred_at"], e["id"])):
        for rule in rules.get(event["kind"], ()):
            if not in_window(rule, event["local_minute"], event["local_weekday"]):
                continue
            points = caps.allowed(rule, event)
            if points <= 0:
                continue
            caps.paid(rule, event, points)
            due.append((rule, event, points))
    if not due:
        return paid
    # Claim each (rule, event) once: a row already there (an earlier run, or a racing replay) pays nothing.
    claimed = _claim(session, due, now)
    due = [(rule, event, points) for rule, event, points in due if (rule.id, event["id"]) in claimed]
    outcomes = award_many(session, [
        Payment(event["user_id"], points, RULE, "inbound", ledger_key(rule.id, event["id"]),
                source_ref=f"inbound:{event['id']}", reason=rule.name,
                actor_id=actor_id if actor_id != event["user_id"] else None)
        for rule, event, points in due], at=now, calendar=calendar)
    for (_rule, event, _points), outcome in zip(due, outcomes):
        if outcome.paid:
            paid[event["id"]] = paid.get(event["id"], 0) + outcome.amount
    return paid


def _claim(session: Session, due: list, now) -> set[tuple[int, int]]:
    table = InboundPayment.__table__
    rows = [(rule.id, event["id"], event["user_id"], event["local_date"], event["local_week"], points, now)
            for rule, event, points in due]
    return set(insert_rows(
        session, "inbound.payments", table,
        ("rule_id", "event_id", "user_id", "local_date", "local_week", "points", "paid_at"), rows,
        finish=lambda insert: insert.on_conflict_do_nothing(index_elements=["rule_id", "event_id"]).returning(
            table.c.rule_id, table.c.event_id)))


EVENT_COLUMNS = ("id", "kind", "user_id", "occurred_at", "local_date", "local_week", "local_minute", "local_weekday")


def event_rows(session: Session, condition, *, after: int = 0, limit: int = 5000) -> list[dict]:
    """Stored events as the dicts ``pay`` takes, in id order after ``after``."""
    table = InboundEvent.__table__
    query = (select(*[table.c[name] for name in EVENT_COLUMNS]).where(condition, table.c.id > after)
             .order_by(table.c.id).limit(limit))
    return [dict(zip(EVENT_COLUMNS, row)) for row in session.execute(query)]


def preview(session: Session, rule: InboundRule, *, days: int) -> dict:
    """What ``rule`` would have paid over the stored events of the last ``days`` days: events
    matched, readers and points, caps and hours applied. Grouped in SQL per reader and day, so it
    reads one row per reader-day, never one per event."""
    table = InboundEvent.__table__
    since = utcnow() - timedelta(days=days)
    rows = session.execute(
        select(table.c.user_id, table.c.local_week, table.c.local_date, func.count())
        .where(table.c.kind == rule.kind, table.c.received_at >= since - SKEW,  # implied; found by the index
               table.c.occurred_at >= since, table.c.user_id.is_not(None), window_condition(rule))
        .group_by(table.c.user_id, table.c.local_week, table.c.local_date)
        .order_by(table.c.user_id, table.c.local_date)).all()
    events = points = 0
    readers: set[int] = set()
    week_used: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for user_id, week, _day, count in rows:
        week_slot = week_used[(user_id, week)]
        day_points = day_count = 0
        for _n in range(int(count)):  # per event, as paying does; count is per reader-day, so small
            if rule.day_count is not None and day_count >= rule.day_count:
                break
            if rule.week_count is not None and week_slot[1] >= rule.week_count:
                break
            pay_now = rule.points
            if rule.day_points is not None:
                pay_now = min(pay_now, rule.day_points - day_points)
            if rule.week_points is not None:
                pay_now = min(pay_now, rule.week_points - week_slot[0])
            if pay_now <= 0:
                break
            day_points += pay_now
            day_count += 1
            week_slot[0] += pay_now
            week_slot[1] += 1
            events += 1
            points += pay_now
            readers.add(user_id)
    return {"days": days, "events": events, "readers": len(readers), "points": points}
