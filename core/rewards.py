"""The reward queue: points for a hot write, paid a moment after it commits.

A vote in a lobby burst must be cheap: a thousand readers scanning a QR code at once. Paying its
points in the ballot's own transaction means the ledger row, four totals, rank counts, an
activity, badge checks and notifications, all under SQLite's single write lock. Instead the
plugin calls ``defer_award`` in its transaction: one row in ``core_pending_reward``, which
commits (or rolls back) with the ballot, so a reward is never lost and never paid for a ballot
that did not land. The queue then pays it through ``core.points.award`` and
``core.activity.record_activity`` in a transaction of its own, where the ledger's rule holds as
everywhere (ledger row and totals together); the idempotency key makes paying twice impossible,
even when two processes pay at once.

When: as the caller's transaction commits, a "pay rewards" job is queued (``core.jobs``; one
waits at a time however many ballots land), and an ``engage worker`` pays in small batches so
requests still get the write lock in between; a periodic job pays too, so rewards queued before a
restart are paid whether or not requests arrive. ``engage pay-rewards`` pays everything at once,
and ``engage check`` reports rewards that failed repeatedly.
"""

from __future__ import annotations

import logging

from sqlalchemy import bindparam, delete, func, literal_column, select, update
from sqlmodel import Session

from core.activity import record_activity
from core.db import Database
from core.jobs import wake_rewards_after_commit
from core.ledger_sql import bind_time, compiled, cursor, rank_counts_at_commit
from core.models import PendingReward, utcnow
from core.points import award

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
_COLUMNS = ("user_id", "amount", "rule", "plugin", "idempotency_key", "source_ref", "activity", "created_at")


def _insert(insert):
    table = PendingReward.__table__
    return (insert(table).values({c: bindparam(c) for c in _COLUMNS} | {"attempts": literal_column("0")})
            .on_conflict_do_nothing(index_elements=["idempotency_key"]))


def defer_award(session: Session, *, user_id: int, amount: int, rule: str, plugin: str, idempotency_key: str,
                source_ref: str | None = None, activity: str | None = None) -> None:
    """Queue ``amount`` points for ``rule`` (and, with ``activity``, the activity of that kind in
    ``plugin`` for badges), paid once per ``idempotency_key`` shortly after the caller commits.

    Runs in the caller's transaction, as one insert; queuing the same key again is a no-op.
    """
    with cursor(session) as handle:
        handle.execute(compiled(session, "core.rewards.defer", _insert), {
            "user_id": user_id, "amount": amount, "rule": rule, "plugin": plugin,
            "idempotency_key": idempotency_key, "source_ref": source_ref, "activity": activity,
            "created_at": bind_time(session, utcnow())})
    wake_rewards_after_commit(session)


def _pay(session: Session, row) -> None:
    award(session, user_id=row.user_id, amount=row.amount, rule=row.rule, plugin=row.plugin,
          idempotency_key=row.idempotency_key, source_ref=row.source_ref)
    if row.activity:
        record_activity(session, user_id=row.user_id, plugin=row.plugin, kind=row.activity,
                        source_ref=row.source_ref or row.idempotency_key)


_QUEUE = PendingReward.__table__


def _claim(session: Session, db: Database, query):
    """The queued rows ``query`` selects, locked for this payer: on PostgreSQL ``FOR UPDATE SKIP
    LOCKED``, so several payers (processes, servers) each take rows no other is paying; SQLite's
    write transaction already keeps other payers out. Plain rows, not ORM objects: nothing to
    refresh (and find deleted by another payer) after a rollback."""
    if not db.is_sqlite:
        query = query.with_for_update(skip_locked=True)
    return session.execute(query).all()


def pay_due(db: Database, *, limit: int = 200) -> int:
    """Pay up to ``limit`` queued rewards, oldest first, in one transaction; returns how many.

    Needs an app context (awards notify and check badges). Several payers may run at once on
    PostgreSQL: each claims rows the others have not (``SKIP LOCKED``) and pays them in user order,
    writing the shared rank counts summed and sorted as it commits, so two payers lock rows in
    the same order and never deadlock. A reward that fails is retried alone; one that keeps
    failing is set aside after ``MAX_ATTEMPTS`` with its error.
    """
    with db.session(write=True) as session:
        rows = _claim(session, db, select(_QUEUE).where(_QUEUE.c.attempts < MAX_ATTEMPTS)
                      .order_by(_QUEUE.c.id).limit(limit))
        if not rows:
            return 0
        rows.sort(key=lambda row: (row.user_id, row.id))  # one global order for the totals' row locks
        ids = [row.id for row in rows]
        rank_counts_at_commit(session)
        try:
            for row in rows:
                _pay(session, row)
            session.execute(delete(PendingReward).where(PendingReward.id.in_(ids)))
            session.commit()
            return len(ids)
        except Exception as exc:  # noqa: BLE001 — one bad reward must not hold back the batch
            session.rollback()
            log.info("a batch of %d rewards was paid one by one (%s: %s)", len(ids), type(exc).__name__, exc)
    return sum(_pay_alone(db, reward_id) for reward_id in ids)


def _pay_alone(db: Database, reward_id: int) -> int:
    try:
        with db.write_session() as session:
            found = _claim(session, db, select(_QUEUE).where(_QUEUE.c.id == reward_id))
            if not found:  # paid meanwhile, or being paid by another payer
                return 0
            _pay(session, found[0])
            session.execute(delete(PendingReward).where(PendingReward.id == reward_id))
        return 1
    except Exception as exc:  # noqa: BLE001 — kept with the row for `engage check`
        log.exception("reward %s could not be paid", reward_id)
        with db.write_session() as session:
            session.execute(update(PendingReward).where(PendingReward.id == reward_id).values(
                attempts=PendingReward.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:500]))
        return 0


def pay_all(db: Database) -> int:
    """Pay everything queued now (``engage pay-rewards``, tests); returns how many were paid."""
    paid = 0
    while batch := pay_due(db):
        paid += batch
    return paid


def _waiting(db: Database) -> tuple[int, object]:
    """How many rewards wait to be paid, and when the oldest was queued."""
    with db.session() as session:
        return tuple(session.execute(select(func.count(), func.min(PendingReward.created_at))
                                     .where(PendingReward.attempts < MAX_ATTEMPTS)).one())


def retry_failed(db: Database) -> int:
    """Give rewards set aside after repeated failures another round of attempts; returns how many."""
    with db.write_session() as session:
        return session.execute(update(PendingReward).where(PendingReward.attempts >= MAX_ATTEMPTS)
                               .values(attempts=0)).rowcount


def failed(session: Session) -> list[PendingReward]:
    """Rewards set aside after failing ``MAX_ATTEMPTS`` times, for ``engage check``."""
    return list(session.execute(select(PendingReward).where(PendingReward.attempts >= MAX_ATTEMPTS)
                                .order_by(PendingReward.id)).scalars())
