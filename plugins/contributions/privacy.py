"""Readers' rights for contributions: a reader's submissions, pictures and likes, and forgetting them.

Forgetting withdraws every submission (it leaves the gallery), blanks its text and link and
deletes the reader's pictures; moderators' decisions and the likes stay as counts.
"""

from __future__ import annotations

from sqlalchemy import delete, update

from core.identity.privacy import table_rows

from .models import ContributionImage, Like, Submission


def user_data(session, user_id):
    """The reader's submissions, the pictures' details (not their bytes) and their likes."""
    return {"submissions": table_rows(session, Submission, Submission.user_id == user_id),
            "pictures": table_rows(session, ContributionImage, ContributionImage.user_id == user_id,
                                   leave_out=("data",)),
            "likes": table_rows(session, Like, Like.user_id == user_id)}


def forget_user(session, user_id):
    """Withdraw and blank the reader's submissions; delete their pictures."""
    session.execute(update(Submission).where(Submission.user_id == user_id)
                    .values(text="", link=None, image_id=None, status="withdrawn", featured_at=None))
    session.execute(delete(ContributionImage).where(ContributionImage.user_id == user_id))
