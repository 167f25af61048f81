"""Readers' rights for feedback: what a reader wrote and backed, and forgetting it.

Forgetting blanks the words and place of the reader's own items, drops their photos, takes the
items off the public board and blanks the notes the reader wrote on them; the items themselves
stay (answered, rated, counted in the measures), held by the anonymised account.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from core.identity.privacy import table_rows

from .models import FeedbackEvent, FeedbackItem, FeedbackMeToo, FeedbackPhoto


def user_data(session, user_id):
    """The reader's feedback items, the notes they wrote, and the items they said "me too" to."""
    return {"feedback": table_rows(session, FeedbackItem, FeedbackItem.submitter_id == user_id),
            "feedback_notes": table_rows(session, FeedbackEvent, FeedbackEvent.actor_id == user_id),
            "feedback_me_too": table_rows(session, FeedbackMeToo, FeedbackMeToo.user_id == user_id)}


def forget_user(session, user_id):
    """Blank the reader's words and photos; their items leave the public board."""
    own = select(FeedbackItem.id).where(FeedbackItem.submitter_id == user_id)
    session.execute(delete(FeedbackPhoto).where(FeedbackPhoto.item_id.in_(own)))
    session.execute(update(FeedbackItem).where(FeedbackItem.submitter_id == user_id)
                    .values(text="", location="", show_name=False, allow_publish=False, published=False))
    session.execute(update(FeedbackEvent).where(FeedbackEvent.actor_id == user_id).values(note=""))
