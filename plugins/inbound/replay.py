"""Replays: paying the stored events again for one rule after it is switched on or changed.

A librarian asks for one (``request_replay``); the job ``inbound:replay`` runs it through the job
queue (at once after the commit, and every minute for whatever is left), in chunks of events in
id order, each chunk its own transaction, with its progress kept in ``inbound_replay``. Payments
are unique per (rule, event), so a replay pays only what was not paid, however often it runs.
Before paying, unmatched events whose number now belongs to a reader are matched.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlmodel import Session

from core.db import get_db
from core.jobs import run_soon_after_commit
from core.models import utcnow

from .matching import match_known_numbers
from .models import InboundEvent, InboundPayment, InboundReplay, InboundRule
from .paying import event_rows, pay

JOB = "inbound:replay"
CHUNK = 5000


def request_replay(session: Session, *, rule: InboundRule, actor_id: int | None) -> InboundReplay:
    """Queue a replay of ``rule`` over every stored event of its type (run after the commit)."""
    waiting = session.execute(select(InboundReplay).where(InboundReplay.rule_id == rule.id,
                                                          InboundReplay.status != "done")).scalar()
    if waiting is not None:
        return waiting
    table = InboundEvent.__table__
    total = session.execute(select(func.count()).select_from(table).where(table.c.kind == rule.kind)).scalar_one()
    replay = InboundReplay(rule_id=rule.id, total=total, requested_by=actor_id)
    session.add(replay)
    session.flush()
    run_soon_after_commit(session, JOB)
    return replay


def run() -> int:
    """Run every waiting replay to its end; the number of events paid (the job's body)."""
    db = get_db()
    paid = 0
    while True:
        with db.write_session() as session:
            replay = session.execute(select(InboundReplay).where(InboundReplay.status != "done")
                                     .order_by(InboundReplay.id)).scalar()
            if replay is None:
                return paid
            replay_id = replay.id
            if replay.status == "waiting":
                match_known_numbers(session)
                replay.status = "running"
        while True:
            with db.write_session() as session:
                step = run_chunk(session, replay_id)
            if step < 0:
                break
            paid += step


def run_chunk(session: Session, replay_id: int) -> int:
    """Pay one chunk of a replay in the caller's transaction; -1 once the replay is done."""
    replay = session.get(InboundReplay, replay_id)
    rule = session.get(InboundRule, replay.rule_id)
    table = InboundEvent.__table__
    events = event_rows(session, (table.c.kind == rule.kind) & table.c.user_id.is_not(None),
                        after=replay.last_event_id, limit=CHUNK) if rule.active else []
    if not events:
        replay.status, replay.finished_at = "done", utcnow()
        replay.done = replay.total
        return -1
    # Skip what this rule already paid, so a replay of a million events pays only the difference.
    ids = [e["id"] for e in events]
    already = set(session.execute(select(InboundPayment.event_id).where(
        InboundPayment.rule_id == rule.id, InboundPayment.event_id.between(ids[0], ids[-1]))).scalars())
    fresh = [e for e in events if e["id"] not in already]
    paid = pay(session, fresh, rules={rule.kind: [rule]}) if fresh else {}
    session.execute(update(InboundReplay).where(InboundReplay.id == replay_id).values(
        last_event_id=ids[-1], done=min(replay.total, replay.done + len(events)),
        events_paid=InboundReplay.events_paid + len(paid), points=InboundReplay.points + sum(paid.values())))
    return len(paid)
