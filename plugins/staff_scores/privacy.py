"""Readers' rights for staff scores: a librarian's reviews, kudos and board preference.

Only staff appear here, and staff accounts are not deleted by their owners; retention and an
administrator's deletion of a former librarian blank the kudos they wrote and drop their
preference. Reviews stay (a published round must not change), held by the anonymised account.
"""

from __future__ import annotations

from sqlalchemy import delete, or_, update

from core.identity.privacy import table_rows

from .models import AnswerScore, Kudos, Preference, Review


def user_data(session, user_id):
    """Reviews given and received, readers' ratings of the librarian's answers, kudos, preference."""
    return {"reviews": table_rows(session, Review, or_(Review.rater_id == user_id, Review.ratee_id == user_id)),
            "answer_ratings": table_rows(session, AnswerScore, AnswerScore.staff_id == user_id),
            "kudos": table_rows(session, Kudos, or_(Kudos.giver_id == user_id, Kudos.receiver_id == user_id)),
            "board_preference": table_rows(session, Preference, Preference.user_id == user_id)}


def forget_user(session, user_id):
    """Blank the kudos the person wrote and drop their preference."""
    session.execute(update(Kudos).where(Kudos.giver_id == user_id).values(message=""))
    session.execute(delete(Preference).where(Preference.user_id == user_id))
