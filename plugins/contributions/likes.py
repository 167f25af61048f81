"""Likes: one per reader per piece, never on one's own work, capped per author per week (anti-farming);
a reader may take a like back."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.models import utcnow

from .i18n import _, ngettext
from .models import Like, Submission
from .service import ContributionError

DEFAULT_LIKES_PER_AUTHOR_PER_WEEK = 5


def like(session: Session, *, submission: Submission, user_id: int,
         per_author_per_week: int = DEFAULT_LIKES_PER_AUTHOR_PER_WEEK) -> int:
    """One reader likes an approved piece of someone else's; returns the new count.

    Refused on one's own work, twice on the same piece (also a database constraint), and past
    ``per_author_per_week`` likes from one account to one author in seven days (anti-farming).
    """
    if submission.status != "approved":
        raise ContributionError(_("Only approved work can be liked."), 409)
    if submission.user_id == user_id:
        raise ContributionError(_("You cannot like your own work."), 403)
    already = session.execute(select(Like.id).where(Like.submission_id == submission.id,
                                                    Like.user_id == user_id)).first()
    if already:
        raise ContributionError(_("You already like this."), 409)
    since = utcnow() - timedelta(days=7)
    given = session.execute(select(func.count()).select_from(Like).where(
        Like.user_id == user_id, Like.author_id == submission.user_id, Like.created_at >= since)).scalar_one()
    if given >= per_author_per_week:
        raise ContributionError(ngettext("You have liked this author's work %(num)d time this week; that is the "
                                         "most one reader may.", "You have liked this author's work %(num)d times "
                                         "this week; that is the most one reader may.", per_author_per_week), 409)
    try:
        with session.begin_nested():  # a racing double click meets the unique constraint, not a 500
            session.add(Like(submission_id=submission.id, user_id=user_id, author_id=submission.user_id))
    except IntegrityError:
        raise ContributionError(_("You already like this."), 409) from None
    session.execute(update(Submission).where(Submission.id == submission.id)
                    .values(like_count=Submission.like_count + 1))
    session.refresh(submission)
    return submission.like_count


def unlike(session: Session, *, submission: Submission, user_id: int) -> int:
    """Take back one's like of a piece; returns the new count. Idempotent: unliking what one does
    not like changes nothing. The row goes, so the per-author weekly cap counts likes still given."""
    gone = session.execute(delete(Like).where(Like.submission_id == submission.id, Like.user_id == user_id))
    if gone.rowcount:  # only the request that removed the row lowers the count (a double click lowers it once)
        session.execute(update(Submission).where(Submission.id == submission.id)
                        .values(like_count=Submission.like_count - gone.rowcount))
    session.refresh(submission)
    return submission.like_count


def liked_by(session: Session, user_id: int | None, submission_ids: list[int]) -> set[int]:
    """Which of these submissions the reader already likes."""
    if not user_id or not submission_ids:
        return set()
    return set(session.execute(select(Like.submission_id).where(
        Like.user_id == user_id, Like.submission_id.in_(submission_ids))).scalars())
