"""What a step of the loop means for people: notifications, points, activities for badges, and
the rating offered to other plugins. Kept apart from the state machine so the rules stay short."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlmodel import Session

from core.activity import record_activity
from core.notifications import notify
from core.plugins import current_hooks
from core.points import award
from core.ui import path_for

from .i18n import N_, _
from .models import FeedbackItem

PLUGIN = "feedback"
# Notes that ledger rows written before the rule labels were stored with; kept in the catalogue
# so those rows read in the reader's language (core.i18n.stored_words). New rows carry no note:
# the rule's label says it all.
LEGACY_NOTES = (N_("Feedback confirmed"), N_("Feedback inspired a change"))


def _points(key: str, default: int) -> int:
    return int(current_app.config.get(key, default))


def _item_url(item: FeedbackItem) -> str:
    return path_for("feedback.detail", item_id=item.id)


def tell_submitter(session: Session, item: FeedbackItem, to_state: str) -> None:
    """The submitter hears of every public step someone else takes on their item."""
    messages = {
        "triaged": lambda: _("Your feedback #%(id)d has been read and sorted.", id=item.id),
        "assigned": lambda: _("Your feedback #%(id)d has been passed to the right people.", id=item.id),
        "responded": lambda: _("The library has answered your feedback #%(id)d. Please rate the answer.", id=item.id),
        "closed": lambda: _("Your feedback #%(id)d has been closed.", id=item.id),
    }
    message = messages.get(to_state, lambda: _("There is news on your feedback #%(id)d.", id=item.id))
    notify(session, user_id=item.submitter_id, plugin=PLUGIN, kind=to_state, message=message, url=_item_url(item))


def tell_assignee(session: Session, item: FeedbackItem, assignee) -> None:
    """A librarian hears when an item is assigned to them."""
    notify(session, user_id=assignee.id, plugin=PLUGIN, kind="assigned-to-you",
           message=lambda: _("Feedback #%(id)d has been assigned to you.", id=item.id), url=_item_url(item))


def on_confirmed(session: Session, item: FeedbackItem, now: datetime) -> None:
    """The submitter confirmed and rated the answer: pay them once (not on submission, so
    complaints are not farmed), count it for badges and offer the rating to staff evaluation."""
    from .workflow import rating_for

    award(session, user_id=item.submitter_id, amount=_points("FEEDBACK_CONFIRM_POINTS", 10), rule="feedback-confirmed",
          plugin=PLUGIN, idempotency_key=f"feedback:confirmed:{item.id}", source_ref=f"feedback:item:{item.id}")
    record_activity(session, user_id=item.submitter_id, plugin=PLUGIN, kind="confirmed",
                    source_ref=f"feedback:item:{item.id}")
    if item.responder_id is not None:
        current_hooks().engage_answer_rated(session=session, rating=rating_for(item))


def on_inspired(session: Session, item: FeedbackItem, actor_id: int) -> None:
    """The item led to a change or to content: credit the submitter, once."""
    result = award(session, user_id=item.submitter_id, amount=_points("FEEDBACK_INSPIRED_POINTS", 30),
                   rule="feedback-inspired", plugin=PLUGIN, idempotency_key=f"feedback:inspired:{item.id}",
                   source_ref=f"feedback:item:{item.id}", actor_id=actor_id)
    if result.status == "duplicate":
        return
    record_activity(session, user_id=item.submitter_id, plugin=PLUGIN, kind="inspired",
                    source_ref=f"feedback:item:{item.id}")
    notify(session, user_id=item.submitter_id, plugin=PLUGIN, kind="inspired",
           message=lambda: _("Your feedback #%(id)d inspired a change at the library. Thank you!", id=item.id),
           url=_item_url(item))
