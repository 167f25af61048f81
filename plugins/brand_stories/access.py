"""Who may see a stored picture: the visibility of what it belongs to.

A picture is a character's portrait, an episode's picture, a poll option's picture or a reader's
design. Anyone sees the portraits, the pictures of published episodes (and of their polls'
options) and accepted designs; a design waiting for moderation or rejected is seen by its
author and librarians; an unpublished episode's pictures, and a picture nothing uses, by
librarians only. Ids are sequential, so the picture route must ask this for every id.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from core.models import Role, utcnow

from .models import Character, Design, Episode, Poll, PollOption


@dataclass(frozen=True)
class Access:
    """``visible``: this viewer may see it; ``public``: anyone may (shared caches may keep it)."""

    visible: bool
    public: bool


def picture_access(session: Session, image_id: int, viewer) -> Access:
    """How ``viewer`` (Flask-Login's user, perhaps anonymous) may see picture ``image_id``."""
    now = utcnow()
    public = bool(
        session.execute(select(Character.id).where(Character.image_id == image_id).limit(1)).first()
        or session.execute(select(Episode.id).where(Episode.image_id == image_id, Episode.publish_at <= now)
                           .limit(1)).first()
        or session.execute(select(PollOption.id).join(Poll, Poll.id == PollOption.poll_id)
                           .join(Episode, Episode.id == Poll.episode_id)
                           .where(PollOption.image_id == image_id, Episode.publish_at <= now).limit(1)).first()
        or session.execute(select(Design.id).where(Design.image_id == image_id, Design.status == "accepted")
                           .limit(1)).first())
    if public:
        return Access(True, True)
    if not viewer.is_authenticated:
        return Access(False, False)
    if viewer.has_role(Role.librarian):
        return Access(True, False)
    own = session.execute(select(Design.id).where(Design.image_id == image_id, Design.user_id == viewer.id)
                          .limit(1)).first()
    return Access(own is not None, False)
