"""Read-side queries: galleries, a reader's own work, the moderation queue and the CSV export."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from core.exports import local_time
from core.models import User

from .forms import FLAG_LABELS, STATUS_LABELS
from .models import Challenge, Submission


@dataclass(frozen=True)
class Item:
    """A submission with what a page shows beside it."""

    submission: Submission
    author: str
    challenge: Challenge


def _items(session: Session, query) -> list[Item]:
    query = query.join(User, User.id == Submission.user_id).join(Challenge, Challenge.id == Submission.challenge_id)
    return [Item(s, name, c) for s, name, c in session.execute(query.add_columns(User.display_name, Challenge))]


def gallery(session: Session, *, challenge_id: int | None = None, limit: int = 60, offset: int = 0) -> list[Item]:
    """Approved work, featured pieces first, newest first (``offset`` rows skipped, for later pages)."""
    query = select(Submission).where(Submission.status == "approved")
    if challenge_id is not None:
        query = query.where(Submission.challenge_id == challenge_id)
    return _items(session, query.order_by(Submission.featured_at.is_(None), Submission.featured_at.desc(),
                                          Submission.id.desc()).offset(offset).limit(limit))


def featured(session: Session, limit: int = 3) -> list[Item]:
    """The most recently featured pieces (for screens)."""
    query = select(Submission).where(Submission.status == "approved", Submission.featured_at.is_not(None))
    return _items(session, query.order_by(Submission.featured_at.desc()).limit(limit))


def of_user(session: Session, user_id: int, *, approved_only: bool = False, limit: int = 100) -> list[Item]:
    """A reader's submissions, newest first (only approved ones for others' eyes)."""
    query = select(Submission).where(Submission.user_id == user_id)
    query = query.where(Submission.status == "approved") if approved_only else query
    return _items(session, query.order_by(Submission.id.desc()).limit(limit))


def queue(session: Session, *, challenge_id: int | None, status: str | None, flagged: bool,
          limit: int = 200, offset: int = 0) -> list[Item]:
    """The moderation queue, oldest first so nobody waits longest."""
    query = select(Submission)
    if challenge_id:
        query = query.where(Submission.challenge_id == challenge_id)
    if status:
        query = query.where(Submission.status == status)
    if flagged:
        query = query.where(Submission.flags != "")
    return _items(session, query.order_by(Submission.id).offset(offset).limit(limit))


def export_rows(session: Session, challenge: Challenge):
    """Every submission to ``challenge``, one row each, for the CSV download: statuses and flags in
    the reader's language, times in the library's."""
    query = select(Submission).where(Submission.challenge_id == challenge.id).order_by(Submission.id)
    rows = session.execute(query.join(User, User.id == Submission.user_id).add_columns(User.display_name, User.email))
    for s, name, email in rows:
        flags = "; ".join(str(FLAG_LABELS.get(flag, flag)) for flag in s.flags.split())
        yield (s.id, name, email, str(STATUS_LABELS.get(s.status, s.status)), local_time(s.created_at), s.text,
               s.link or "", s.image_id or "", flags, s.like_count, local_time(s.featured_at), s.reason or "")
