"""The feedback state machine: who may move an item from which state to which, as data, and the
one function that does it (``transition``), appending an event row for every step.

A refused step raises ``WorkflowError`` before anything is written, so the caller can show the
message (HTTP 400) and the item is untouched.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlmodel import Session

from core.hookspecs import AnswerRating
from core.models import Role, User, utcnow

from .i18n import _, _l
from .models import FeedbackEvent, FeedbackItem

SUBMITTED, TRIAGED, ASSIGNED, RESPONDED, CONFIRMED, REOPENED, CLOSED = (
    "submitted", "triaged", "assigned", "responded", "confirmed", "reopened", "closed")

STATE_LABELS = {SUBMITTED: _l("Submitted"), TRIAGED: _l("Triaged"), ASSIGNED: _l("Assigned"),
                RESPONDED: _l("Answered"), CONFIRMED: _l("Confirmed"), REOPENED: _l("Reopened"),
                CLOSED: _l("Closed")}
# Librarians still have to act on these.
ACTIVE = (SUBMITTED, TRIAGED, ASSIGNED, REOPENED)
# Not finished yet: others may still say "me too".
OPEN = ACTIVE + (RESPONDED,)
FINAL = (CONFIRMED, CLOSED)

# Who may take which step. "submitter" is the reader who wrote the item; "system" is auto-close.
TRANSITIONS: dict[str, set[tuple[str, str]]] = {
    "librarian": {(SUBMITTED, TRIAGED), (SUBMITTED, ASSIGNED), (TRIAGED, ASSIGNED), (ASSIGNED, ASSIGNED),
                  (REOPENED, ASSIGNED), (TRIAGED, RESPONDED), (ASSIGNED, RESPONDED), (REOPENED, RESPONDED),
                  (RESPONDED, RESPONDED)}
                 | {(state, CLOSED) for state in OPEN},
    "submitter": {(RESPONDED, CONFIRMED), (RESPONDED, REOPENED), (CONFIRMED, REOPENED), (CLOSED, REOPENED)},
    "system": {(RESPONDED, CLOSED)},
}

ACTION_LABELS = {TRIAGED: _l("Triage"), ASSIGNED: _l("Assign"), RESPONDED: _l("Answer"),
                 CONFIRMED: _l("Confirm and rate"), REOPENED: _l("Reopen"), CLOSED: _l("Close")}


class WorkflowError(ValueError):
    """A step the workflow refuses; ``str()`` is a message for the person who tried it."""


def roles_of(item: FeedbackItem, actor: User | None) -> set[str]:
    """The workflow roles ``actor`` plays for ``item``."""
    if actor is None:
        return {"system"}
    roles = set()
    if actor.id == item.submitter_id:
        roles.add("submitter")
    if actor.has_role(Role.librarian):
        roles.add("librarian")
    return roles


def allowed_steps(item: FeedbackItem, actor: User | None) -> list[str]:
    """The states ``actor`` may move ``item`` to now (reopening only inside its window)."""
    steps = {to for role in roles_of(item, actor) for frm, to in TRANSITIONS[role] if frm == item.state}
    if REOPENED in steps and not can_reopen(item):
        steps.discard(REOPENED)
    if actor is not None and actor.id == item.responder_id:
        steps.discard(CONFIRMED)  # nobody rates their own answer
    order = [TRIAGED, ASSIGNED, RESPONDED, CONFIRMED, REOPENED, CLOSED]
    return [s for s in order if s in steps]


def _config_days(key: str) -> int:
    return int(current_app.config.get(key, 14))


def reopen_deadline(item: FeedbackItem) -> datetime | None:
    """Until when the submitter may reopen an answered or closed item."""
    since = item.closed_at or item.responded_at
    return since + timedelta(days=_config_days("FEEDBACK_REOPEN_DAYS")) if since else None


def can_reopen(item: FeedbackItem, now: datetime | None = None) -> bool:
    deadline = reopen_deadline(item)
    return item.merged_into_id is None and deadline is not None and (now or utcnow()) <= deadline


def _check(item: FeedbackItem, actor: User | None, to_state: str, note: str, public: bool, *,
           assignee: User | None, department_id: int | None, score: int | None, now: datetime) -> None:
    roles = roles_of(item, actor)
    if to_state not in STATE_LABELS:
        raise WorkflowError(_("There is no such step."))
    if not any((item.state, to_state) in TRANSITIONS[role] for role in roles):
        if to_state == CONFIRMED and item.state != RESPONDED and "submitter" in roles:
            raise WorkflowError(_("You can rate an item only after the library has answered it."))
        if to_state in (ASSIGNED, TRIAGED, RESPONDED) and "librarian" not in roles:
            raise WorkflowError(_("Only librarians can do this."))
        if "submitter" not in roles and "librarian" not in roles:
            raise WorkflowError(_("This is another reader's feedback."))
        raise WorkflowError(_("An item that is “%(state)s” cannot be moved to “%(to)s”.",
                              state=STATE_LABELS[item.state], to=STATE_LABELS[to_state]))
    if to_state == REOPENED and not can_reopen(item, now):
        raise WorkflowError(_("This item can no longer be reopened: the %(days)d-day window has passed.",
                              days=_config_days("FEEDBACK_REOPEN_DAYS")))
    if to_state == ASSIGNED:
        if (assignee is None) == (department_id is None):
            raise WorkflowError(_("Assign the item to one librarian or to one department."))
        if assignee is not None and (not assignee.is_active or not assignee.has_role(Role.librarian)):
            raise WorkflowError(_("Items can only be assigned to librarians."))
    if to_state == RESPONDED and (not note.strip() or not public):
        raise WorkflowError(_("An answer needs a public note for the reader."))
    if to_state == CONFIRMED and actor is not None and actor.id == item.responder_id:
        # A librarian's own feedback answered by that librarian: the rating would be a self-rating
        # in staff scores, and confirming pays points to oneself.
        raise WorkflowError(_("You answered this item yourself, so you cannot rate the answer; close it instead."))
    if to_state == CONFIRMED and score not in (1, 2, 3, 4, 5):
        raise WorkflowError(_("Choose a rating from 1 to 5."))
    if to_state == REOPENED and not note.strip():
        raise WorkflowError(_("Say why you are reopening the item."))
    if len(note) > 4000:
        raise WorkflowError(_("The note is too long (at most 4,000 characters)."))


def transition(session: Session, item: FeedbackItem, actor: User | None, to_state: str, note: str = "",
               public: bool = True, *, assignee: User | None = None, department_id: int | None = None,
               score: int | None = None, now: datetime | None = None) -> FeedbackEvent:
    """Move ``item`` to ``to_state`` as ``actor`` (None for the system) and log the step.

    Checks everything first and raises ``WorkflowError`` without writing. Stamps the times the
    measures use, notifies the submitter of public steps taken by others, and on a rating pays
    the submitter once and offers the rating to other plugins (``engage_answer_rated``).
    """
    now = now or utcnow()
    note = (note or "").strip()
    _check(item, actor, to_state, note, public, assignee=assignee, department_id=department_id, score=score,
           now=now)
    event = FeedbackEvent(item_id=item.id, actor_id=actor.id if actor else None, from_state=item.state,
                          to_state=to_state, note=note, public=public, created_at=now)
    staff_step = actor is not None and actor.id != item.submitter_id
    if staff_step and public and item.first_response_at is None and (note or to_state == RESPONDED):
        item.first_response_at = now
    if to_state == ASSIGNED:
        item.assignee_id = assignee.id if assignee else None
        item.department_id = department_id
    elif to_state == RESPONDED:
        item.responder_id = actor.id
        item.responded_at = now
        item.closed_at = None
    elif to_state == REOPENED:
        item.reopen_count += 1
        item.closed_at = None
        item.published = False
    elif to_state in FINAL:
        item.closed_at = now
    if to_state == CONFIRMED:
        item.rating, item.rated_at = score, now
    item.state, item.updated_at = to_state, now
    session.add(item)
    session.add(event)
    session.flush()
    from . import credit  # credit uses workflow's names; imported late to avoid a cycle

    if to_state == CONFIRMED:
        credit.on_confirmed(session, item, now)
    if public and actor is not None and actor.id != item.submitter_id:
        credit.tell_submitter(session, item, to_state)
    if to_state == ASSIGNED and assignee is not None and (actor is None or assignee.id != actor.id):
        credit.tell_assignee(session, item, assignee)
    return event


def rating_for(item: FeedbackItem) -> AnswerRating:
    """The rating of ``item``'s answer as offered to other plugins."""
    return AnswerRating(staff_id=item.responder_id, score=item.rating, plugin="feedback",
                        source_ref=f"feedback:item:{item.id}", rated_at=item.rated_at)
