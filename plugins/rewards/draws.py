"""Prize draws: tickets bought with points or earned by activity, drawn at a time set in advance.

The draw is checkable by anyone. When a draw is created a random seed is made and only its
SHA-256 is published; once drawn, the seed and every ticket (number and holder, a holder named
by their lowest ticket number) are published, and the winners follow from them by ``pick``:

1. each ticket number ``n`` gets the score ``SHA-256("<seed>:<n>")`` (hexadecimal, UTF-8);
2. tickets are taken in ascending order of score (then of number);
3. a ticket whose holder has already won is passed over (one prize per reader);
4. the first ``winners`` tickets left are the winners, in that order.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlmodel import Session

from core.ledger_sql import insert_for
from core.models import utcnow
from core.notifications import notify
from core.ui import path_for

from .i18n import _
from .models import Draw, Ticket, Winner
from .service import NAME, RewardsError, spend_points


def new_seed() -> tuple[str, str]:
    """A fresh seed (64 hexadecimal digits) and its SHA-256, the commitment published in advance."""
    seed = secrets.token_hex(32)
    return seed, seed_hash(seed)


def seed_hash(seed: str) -> str:
    """The SHA-256 of a seed, as published before the draw."""
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def score(seed: str, number: int) -> str:
    """A ticket's score: SHA-256 of ``"<seed>:<number>"`` in hexadecimal."""
    return hashlib.sha256(f"{seed}:{number}".encode("utf-8")).hexdigest()


def pick(seed: str, tickets: list[tuple[int, object]], winners: int) -> list[int]:
    """The winning ticket numbers from ``(number, holder)`` pairs, in the order drawn (see above)."""
    chosen, holders = [], set()
    for number, holder in sorted(tickets, key=lambda t: (score(seed, t[0]), t[0])):
        if len(chosen) >= winners:
            break
        if holder in holders:
            continue
        holders.add(holder)
        chosen.append(number)
    return chosen


def state(draw: Draw, now: datetime | None = None) -> str:
    """``upcoming``, ``open`` (tickets can be had), ``due`` (waiting for the job) or ``drawn``."""
    now = now or utcnow()
    if draw.drawn_at is not None:
        return "drawn"
    if now < draw.opens_at:
        return "upcoming"
    return "open" if now < draw.draw_at else "due"


def create(session: Session, *, actor_id: int, **fields) -> Draw:
    """A new draw with its seed made now and its hash ready to publish."""
    seed, digest = new_seed()
    draw = Draw(seed=seed, seed_hash=digest, created_by=actor_id, **fields)
    session.add(draw)
    session.flush()
    return draw


def tickets_of(session: Session, draw_id: int, user_id: int) -> list[Ticket]:
    """A reader's tickets in a draw."""
    return session.execute(select(Ticket).where(Ticket.draw_id == draw_id, Ticket.user_id == user_id)
                           .order_by(Ticket.id)).scalars().all()


def ticket_count(session: Session, draw_id: int) -> int:
    return session.execute(select(func.count()).select_from(Ticket).where(Ticket.draw_id == draw_id)).scalar_one()


def buy_ticket(session: Session, *, draw: Draw, user_id: int, key: str) -> Ticket | None:
    """Buy one ticket with points, once per ``key``; None when ``key`` was used already."""
    if state(draw) != "open":
        raise RewardsError(_("Tickets for this draw are not on sale now."))
    if draw.ticket_cost <= 0:
        raise RewardsError(_("Tickets for this draw cannot be bought; they are earned by taking part."))
    key = f"ticket:{draw.id}:{user_id}:{key}"
    spend_id = spend_points(session, user_id=user_id, cost=draw.ticket_cost, what="ticket",
                            source_ref=f"draw:{draw.id}", key=key)
    if spend_id is None:
        return None
    # The wallet row is locked by now, so this reader's purchases are counted one at a time.
    bought = session.execute(select(func.count()).select_from(Ticket).where(
        Ticket.draw_id == draw.id, Ticket.user_id == user_id, Ticket.source == "bought")).scalar_one()
    if bought >= draw.max_bought:
        raise RewardsError(_("You already have the most tickets one reader may buy (%(n)d).", n=draw.max_bought))
    ticket = Ticket(draw_id=draw.id, user_id=user_id, source="bought", idempotency_key=key)
    session.add(ticket)
    session.flush()
    return ticket


def earn_tickets(session: Session, *, user_id: int, now: datetime | None = None) -> int:
    """A ticket in every open draw that gives them for activity, up to each draw's ``max_earned``.

    The key numbers a reader's earned tickets 1…max, so two activities at once cannot pass the cap.
    """
    return earn_tickets_for(session, [user_id], now=now)


def earn_tickets_for(session: Session, user_ids: list[int], *, now: datetime | None = None) -> int:
    """``earn_tickets`` for a list of readers, a ticket per time a reader is named (one per
    activity): the draws read once, each draw's tickets counted in one query per 500 readers."""
    now = now or utcnow()
    draws = session.execute(select(Draw.id, Draw.max_earned).where(
        Draw.earn_per_activity.is_(True), Draw.drawn_at.is_(None), Draw.opens_at <= now, Draw.draw_at > now)).all()
    if not draws or not user_ids:
        return 0
    wanted = Counter(user_ids)
    readers = sorted(wanted)
    tickets = Ticket.__table__
    made = 0
    for draw_id, cap in draws:
        have: dict[int, int] = {}
        for i in range(0, len(readers), 500):
            have.update(session.execute(select(Ticket.user_id, func.count()).where(
                Ticket.draw_id == draw_id, Ticket.user_id.in_(readers[i:i + 500]), Ticket.source == "earned")
                .group_by(Ticket.user_id)).all())
        rows = [{"draw_id": draw_id, "user_id": user_id, "source": "earned", "created_at": now,
                 "idempotency_key": f"earned:{draw_id}:{user_id}:{number}"}
                for user_id in readers
                for number in range(have.get(user_id, 0) + 1, min(cap, have.get(user_id, 0) + wanted[user_id]) + 1)]
        for i in range(0, len(rows), 500):
            made += len(session.execute(insert_for(session)(tickets).on_conflict_do_nothing(
                index_elements=["idempotency_key"]).returning(tickets.c.id), rows[i:i + 500]).all())
    return made


def published_tickets(session: Session, draw_id: int) -> list[tuple[int, int]]:
    """Every ticket of a draw as ``(number, holder)``, the holder named by their lowest ticket number
    (as stored when the draw was drawn, else worked out from the tickets' owners now)."""
    rows = session.execute(select(Ticket.id, Ticket.user_id, Ticket.holder).where(Ticket.draw_id == draw_id)
                           .order_by(Ticket.id)).all()
    if rows and all(holder is not None for _n, _u, holder in rows):
        return [(number, holder) for number, _u, holder in rows]
    rows = [(number, user_id) for number, user_id, _h in rows]
    first: dict = {}
    for number, user_id in rows:
        first.setdefault(user_id if user_id is not None else f"gone:{number}", number)
    return [(number, first[user_id if user_id is not None else f"gone:{number}"]) for number, user_id in rows]


def winners_of(session: Session, draw_id: int) -> list[Winner]:
    return session.execute(select(Winner).where(Winner.draw_id == draw_id).order_by(Winner.place)).scalars().all()


def run(session: Session, draw: Draw, now: datetime | None = None) -> bool:
    """Draw ``draw`` now if it is due and not drawn yet (claimed by a conditional update, so two
    workers draw it once); True when this call drew it."""
    now = now or utcnow()
    draws = Draw.__table__
    claimed = session.execute(update(draws).where(draws.c.id == draw.id, draws.c.drawn_at.is_(None),
                                                  draws.c.draw_at <= now).values(drawn_at=now)).rowcount
    if not claimed:
        return False
    session.refresh(draw)
    tickets = published_tickets(session, draw.id)
    if tickets:
        session.execute(update(Ticket.__table__).where(Ticket.__table__.c.id == bindparam("number"))
                        .values(holder=bindparam("holder_of")),
                        [{"number": n, "holder_of": h} for n, h in tickets])
    owners = dict(session.execute(select(Ticket.id, Ticket.user_id).where(Ticket.draw_id == draw.id)).all())
    for place, number in enumerate(pick(draw.seed, tickets, draw.winners), 1):
        session.add(Winner(draw_id=draw.id, ticket_id=number, user_id=owners[number], place=place))
        if owners[number] is not None:
            notify(session, user_id=owners[number], plugin=NAME, kind="draw-won",
                   message={"en": f"Your ticket {number} won in the draw “{draw.title_en}”: {draw.prize_en}.",
                            "zh_Hans": f"你的 {number} 号奖券在“{draw.title_zh}”抽奖中获奖：{draw.prize_zh}。"},
                   url=path_for("rewards.draw", draw_id=draw.id))
    session.flush()
    return True


def run_due(session: Session, now: datetime | None = None) -> int:
    """Draw every draw whose time has come (the periodic job); how many were drawn."""
    now = now or utcnow()
    due = session.execute(select(Draw).where(Draw.drawn_at.is_(None), Draw.draw_at <= now)
                          .order_by(Draw.draw_at)).scalars().all()
    return sum(run(session, draw, now) for draw in due)
