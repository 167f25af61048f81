"""Manual adjustments above ``ADJUSTMENT_APPROVAL_ABOVE`` points wait for a second librarian.

A librarian's adjustment at or below the limit is paid at once (``core.points.adjust``); above it,
it is stored as an ``AdjustmentRequest`` and paid only when another librarian — not the one who
asked, not the one who would receive it — approves it, under its own idempotency key. Both steps
land in the audit trail; the requester is told of the decision. A request is decided once: the
decision is a conditional UPDATE of a pending row, so two librarians deciding at once cannot
both win.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlmodel import Session

from core.models import AdjustmentRequest, AuditEntry, Role, User, utcnow
from core.notifications import notify
from core.points import AwardResult, PointsError, adjust, check_adjustment, needs_approval
from core.ui import path_for

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


class ApprovalError(ValueError):
    """A request or decision the rules refuse; ``str()`` is for the librarian. ``status`` is the HTTP code."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Outcome:
    """What a librarian's adjustment did: paid at once (``result``) or waiting (``request``)."""

    result: AwardResult | None = None
    request: AdjustmentRequest | None = None


def request_adjustment(session: Session, *, user_id: int, amount: int, actor_id: int, reason: str, nonce: str,
                       max_amount: int) -> Outcome:
    """Adjust a user's points: at once when small enough, else as a request for a second librarian.

    Raises ``PointsError`` for an adjustment nobody may make (one's own points, no reason, an
    amount out of range). The same ``nonce`` (a form submitted twice) pays or asks once.
    """
    reason = (reason or "").strip()
    check_adjustment(user_id=user_id, amount=amount, actor_id=actor_id, reason=reason, max_amount=max_amount)
    if not needs_approval(amount):
        return Outcome(result=adjust(session, user_id=user_id, amount=amount, actor_id=actor_id, reason=reason,
                                     idempotency_key=f"adjust:{nonce}", max_amount=max_amount))
    existing = session.execute(select(AdjustmentRequest).where(AdjustmentRequest.nonce == nonce)).scalar()
    if existing is not None:
        return Outcome(request=existing)
    request = AdjustmentRequest(user_id=user_id, amount=amount, reason=reason[:500], requested_by=actor_id,
                                nonce=nonce)
    session.add(request)
    session.flush()
    session.add(AuditEntry(actor_id=actor_id, action="points.adjust.request", target=f"user:{user_id}",
                           detail=f"{amount:+d} (request {request.id})", reason=reason[:500]))
    return Outcome(request=request)


def _decidable(session: Session, request_id: int, actor_id: int) -> AdjustmentRequest:
    request = session.get(AdjustmentRequest, request_id)
    if request is None:
        raise ApprovalError(_("There is no such request."), 404)
    actor = session.get(User, actor_id)
    if actor is None or not actor.is_active or not actor.has_role(Role.librarian):
        raise ApprovalError(_("Only a librarian can decide on an adjustment."), 403)
    if request.status != PENDING:
        raise ApprovalError(_("This request has already been decided."), 409)
    if actor_id == request.requested_by:
        raise ApprovalError(_("You asked for this adjustment; another librarian must decide on it."), 403)
    if actor_id == request.user_id:
        raise ApprovalError(_("This adjustment is for you; another librarian must decide on it."), 403)
    return request


def _decide(session: Session, request: AdjustmentRequest, actor_id: int, status: str, note: str | None) -> None:
    """Mark a pending request decided, or refuse when someone else decided it a moment ago."""
    changed = session.execute(
        update(AdjustmentRequest)
        .where(AdjustmentRequest.id == request.id, AdjustmentRequest.status == PENDING)
        .values(status=status, decided_by=actor_id, decided_at=utcnow(), decision_note=note)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise ApprovalError(_("This request has already been decided."), 409)
    session.refresh(request)


def approve(session: Session, *, request_id: int, actor_id: int, max_amount: int,
            note: str | None = None) -> AdjustmentRequest:
    """A second librarian approves a request: the points are paid now, once, and both are audited."""
    request = _decidable(session, request_id, actor_id)
    note = (note or "").strip()[:500] or None
    _decide(session, request, actor_id, APPROVED, note)
    try:
        result = adjust(session, user_id=request.user_id, amount=request.amount, actor_id=request.requested_by,
                        reason=request.reason, idempotency_key=f"adjust-approved:{request.id}",
                        max_amount=max_amount, approved_by=actor_id)
    except PointsError as exc:
        raise ApprovalError(str(exc)) from exc
    request.entry_id = result.entry_id
    session.add(request)
    session.add(AuditEntry(actor_id=actor_id, action="points.adjust.approve", target=f"user:{request.user_id}",
                           detail=f"{request.amount:+d} (request {request.id})", reason=note))
    _tell_requester(session, request)
    return request


def reject(session: Session, *, request_id: int, actor_id: int, note: str) -> AdjustmentRequest:
    """A second librarian turns a request down, with a reason; nothing is paid; audited."""
    note = (note or "").strip()
    if len(note) < 3:
        raise ApprovalError(_("Give a reason for turning the adjustment down."))
    request = _decidable(session, request_id, actor_id)
    _decide(session, request, actor_id, REJECTED, note[:500])
    session.add(AuditEntry(actor_id=actor_id, action="points.adjust.reject", target=f"user:{request.user_id}",
                           detail=f"{request.amount:+d} (request {request.id})", reason=note[:500]))
    _tell_requester(session, request)
    return request


def _tell_requester(session: Session, request: AdjustmentRequest) -> None:
    url = path_for("approvals.index")
    if request.status == APPROVED:
        message = lambda: _("Your adjustment of %(amount)+d points was approved and recorded.",  # noqa: E731
                            amount=request.amount)
    else:
        message = lambda: _("Your adjustment of %(amount)+d points was turned down: %(note)s",  # noqa: E731
                            amount=request.amount, note=request.decision_note or "")
    notify(session, user_id=request.requested_by, plugin="core", kind=f"adjustment-{request.status}",
           message=message, url=url)


def pending(session: Session, *, user_id: int | None = None) -> list[AdjustmentRequest]:
    """Requests waiting for a decision, oldest first (only those for ``user_id`` when given)."""
    query = select(AdjustmentRequest).where(AdjustmentRequest.status == PENDING)
    if user_id is not None:
        query = query.where(AdjustmentRequest.user_id == user_id)
    return list(session.execute(query.order_by(AdjustmentRequest.id)).scalars())


def decided(session: Session, *, limit: int = 20) -> list[AdjustmentRequest]:
    """The latest decided requests, newest first."""
    return list(session.execute(select(AdjustmentRequest).where(AdjustmentRequest.status != PENDING)
                                .order_by(AdjustmentRequest.decided_at.desc(), AdjustmentRequest.id.desc())
                                .limit(limit)).scalars())
