"""Recounting term totals after term dates change, in chunks a progress page can follow.

Only the ``term`` period depends on the configured terms: weeks and months never move. A
recount walks the readers who have points in id order, a chunk at a time; each chunk locks
those readers' all-time totals (an award takes the same row first, so it waits and is then
added on top), reads their ledger with the terms as stored now and replaces their term totals.
The last step recounts the term boards' rank counts. A new change of terms supersedes a
recount still running, since the new one covers every reader again.
"""

from __future__ import annotations

import time
from collections import defaultdict

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from core import ranks
from core.ledger_sql import boards_changed
from core.models import PeriodTotal, PointEntry, PointTotal, TermRecount, utcnow
from core.periods import Calendar

CHUNK_USERS = 200  # readers per transaction: short enough that awards to them barely wait on the locks
STEP_SECONDS = 1.0  # how long one poll of the progress page keeps recounting


def start(session: Session, *, actor_id: int | None) -> TermRecount:
    """Begin recounting every reader's term totals (superseding any recount still running)."""
    session.execute(update(TermRecount).where(TermRecount.state == "running")
                    .values(state="superseded", finished_at=utcnow()))
    total = session.execute(select(func.count()).select_from(PointTotal)).scalar_one()
    recount = TermRecount(actor_id=actor_id, users_total=total)
    session.add(recount)
    session.flush()
    return recount


def latest(session: Session) -> TermRecount | None:
    """The most recent recount, finished or not."""
    return session.execute(select(TermRecount).order_by(TermRecount.id.desc()).limit(1)).scalars().first()


def _calendar(session: Session) -> Calendar:
    from core.terms import list_terms  # the terms as stored now, not a worker's cached copy

    return Calendar(current_app.config["TIMEZONE"], list_terms(session))


def step(session: Session, *, recount_id: int, users: int | None = None) -> TermRecount | None:
    """Recount the next chunk of readers, or finish; returns the recount (None if unknown).

    Two workers stepping the same recount take turns: the recount's row is locked first."""
    recount = session.execute(select(TermRecount).where(TermRecount.id == recount_id)
                              .with_for_update()).scalars().first()
    if recount is None or recount.state != "running":
        return recount
    ids = list(session.execute(select(PointTotal.user_id).where(PointTotal.user_id > recount.next_user_id)
                               .order_by(PointTotal.user_id).limit(users or CHUNK_USERS)
                               .with_for_update()).scalars())
    if not ids:
        ranks.rebuild(session, period="term")
        boards_changed(session)  # screens and cached boards show the recounted term
        recount.state, recount.finished_at = "done", utcnow()
        recount.users_done = max(recount.users_done, recount.users_total)
        session.add(recount)
        return recount
    calendar = _calendar(session)
    sums: dict[tuple[int, str], list] = defaultdict(lambda: [0, None])
    rows = session.execute(select(PointEntry.user_id, PointEntry.amount, PointEntry.created_at)
                           .where(PointEntry.user_id.in_(ids)))
    terms_by_day: dict = {}  # many entries share a day: find each day's term once
    for user_id, amount, at in rows:
        day = calendar.local_date(at)
        if day not in terms_by_day:
            term = calendar.term_of(day)
            terms_by_day[day] = term.key if term else None
        key = terms_by_day[day]
        if key is None:  # a break between configured terms counts towards no term
            continue
        slot = sums[(user_id, key)]
        slot[0] += amount
        slot[1] = at if slot[1] is None else max(slot[1], at)
    session.execute(delete(PeriodTotal).where(PeriodTotal.period == "term", PeriodTotal.user_id.in_(ids)))
    if sums:
        session.execute(PeriodTotal.__table__.insert(),
                        [{"user_id": u, "period": "term", "period_key": k, "total": t, "reached_at": at}
                         for (u, k), (t, at) in sums.items()])
    boards_changed(session)
    recount.next_user_id = ids[-1]
    recount.users_done += len(ids)
    session.add(recount)
    return recount


def advance(db, *, recount_id: int, seconds: float | None = None, users: int | None = None) -> TermRecount | None:
    """Step ``recount_id`` in transactions of one chunk each for about ``seconds``; returns its state."""
    deadline = time.monotonic() + (STEP_SECONDS if seconds is None else seconds)
    while True:
        with db.write_session() as session:
            recount = step(session, recount_id=recount_id, users=users)
        if recount is None or recount.state != "running" or time.monotonic() >= deadline:
            return recount


def percent(recount: TermRecount) -> int:
    """How far a recount is, 0–100 (100 only when finished)."""
    if recount.state != "running":
        return 100
    if not recount.users_total:
        return 99
    return min(99, recount.users_done * 100 // recount.users_total)
