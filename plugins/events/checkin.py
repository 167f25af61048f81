"""Checking readers in: by the rotating code, by a reader's personal code, or by a librarian's tick.

A check-in is one row per reader and event (a unique constraint), and pays the event's points
through the ledger with an idempotency key and records an ``attended`` activity (which badges
count), all in the caller's transaction. Two scans at once give one check-in: the second insert
meets the constraint inside a savepoint and is answered "already checked in".
"""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.activity import record_activity
from core.models import User, utcnow
from core.points import award

from . import codes
from .i18n import _
from .models import CheckIn, Event, Registration
from .service import NAME, EventError, in_window, title_of

RULE = "events:attended"
ACTIVITY = "attended"


def window_open(event: Event) -> bool:
    opens, closes = codes.checkin_window(event.starts_at, event.ends_at)
    return opens <= utcnow() <= closes


def check_code(session: Session, *, event: Event, code: str) -> None:
    """Refuse, with a message that says why, a code that is not this event's current one."""
    if not window_open(event):
        if utcnow() < event.starts_at:
            raise EventError(_("Check-in for this event has not opened yet."), 400)
        raise EventError(_("Check-in for this event has closed."), 400)
    if codes.code_matches(event.id, code):
        return
    for other in in_window(session):
        if other.id != event.id and codes.code_matches(other.id, code):
            raise EventError(_("This code is for another event: “%(title)s”.", title=title_of(other)), 400)
    raise EventError(_("This code has expired or is not valid. Scan the code on the screen again."), 400)


def check_in(session: Session, *, event: Event, user_id: int, method: str, actor_id: int | None = None) -> CheckIn:
    """Record that the reader attended, pay the event's points and count the activity, once.
    A librarian never checks themselves in by hand (whoever makes an award never receives it)."""
    if actor_id is not None and actor_id == user_id:
        raise EventError(_("Nobody can check themselves in by hand; scan the code or ask a colleague."), 403)
    if session.exec(select(CheckIn.id).where(CheckIn.event_id == event.id, CheckIn.user_id == user_id)).first():
        raise EventError(_("Already checked in."), 409)
    row = CheckIn(event_id=event.id, user_id=user_id, method=method, actor_id=actor_id, created_at=utcnow())
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # a second scan committed between our look and our insert
        raise EventError(_("Already checked in."), 409) from None
    if event.points > 0:
        award(session, user_id=user_id, amount=event.points, rule=RULE, plugin=NAME,
              idempotency_key=f"events:attended:{event.id}:{user_id}", source_ref=f"event:{event.id}")
    record_activity(session, user_id=user_id, plugin=NAME, kind=ACTIVITY, source_ref=f"event:{event.id}")
    return row


def check_in_with_code(session: Session, *, event: Event, code: str, user: User) -> CheckIn:
    """A reader who scanned the event's code: the code must be current and the event's own."""
    check_code(session, event=event, code=code)
    return check_in(session, event=event, user_id=user.id, method="code")


def checked_in(session: Session, event_id: int, user_id: int) -> bool:
    return session.exec(select(CheckIn.id).where(CheckIn.event_id == event_id, CheckIn.user_id == user_id)).first() \
        is not None


def attended_counts(session: Session, *, scope, user_id: int | None = None) -> dict[int, int]:
    """``{user_id: events attended}`` within ``scope`` (a ``core.badge_criteria.CriterionScope``:
    a term's dates in SQL, hours of the day by ``scope.admits``), for one reader or for every
    reader who attended one: what a made badge such as "attend 5 events after 18:00" counts."""
    query = select(CheckIn.user_id, CheckIn.created_at)
    if user_id is not None:
        query = query.where(CheckIn.user_id == user_id)
    if scope.since is not None:
        query = query.where(CheckIn.created_at >= scope.since)
    if scope.until is not None:
        query = query.where(CheckIn.created_at < scope.until)
    counts: dict[int, int] = {}
    for who, at in session.execute(query):
        if scope.hours is None or scope.admits(at):
            counts[who] = counts.get(who, 0) + 1
    return counts


def attended_count(session: Session, user_id: int) -> int:
    """How many events ``user_id`` has attended (checked in to): for badges such as "attend N events"."""
    return session.execute(select(func.count()).select_from(CheckIn).where(CheckIn.user_id == user_id)).scalar_one()


def attendance(session: Session, event: Event) -> list[dict]:
    """Everyone registered, waiting or checked in, with what became of them (for the list and the CSV).

    ``outcome`` is ``attended``, ``no-show`` (held a seat, the event ended, never checked in),
    ``expected`` (holds a seat, not checked in yet), ``waitlisted`` or ``cancelled``."""
    ended = utcnow() >= event.ends_at
    regs = {r.user_id: r for r in session.exec(select(Registration).where(Registration.event_id == event.id))}
    ins = {c.user_id: c for c in session.exec(select(CheckIn).where(CheckIn.event_id == event.id))}
    ids = set(regs) | set(ins)
    users = {u.id: u for u in session.exec(select(User).where(User.id.in_(ids)))} if ids else {}
    rows = []
    for user_id in ids:
        reg, done = regs.get(user_id), ins.get(user_id)
        if done:
            outcome = "attended"
        elif reg and reg.status == "registered":
            outcome = "no-show" if ended else "expected"
        else:
            outcome = reg.status if reg else "cancelled"
        user = users.get(user_id)
        rows.append({"user_id": user_id, "name": user.display_name if user else "", "email": user.email if user else "",
                     "member_number": (user.member_number or "") if user else "",
                     "faculty": (user.cohort or "") if user else "", "status": reg.status if reg else "",
                     "registered_at": reg.queued_at if reg else None, "checked_in_at": done.created_at if done else None,
                     "method": done.method if done else "", "outcome": outcome})
    order = {"attended": 0, "expected": 1, "no-show": 2, "waitlisted": 3, "cancelled": 4}
    rows.sort(key=lambda r: (order[r["outcome"]], r["name"].casefold(), r["user_id"]))
    return rows
