"""Readers' rights: what this plugin holds about a person, and forgetting it.

Made badges name the librarian who made or retired them; readers' awards live in core
(``core_badge_award``) and are exported and forgotten there."""

from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlmodel import Session

from .models import MadeBadge


def user_data(session: Session, user_id: int) -> dict[str, list[dict]]:
    """The badges this person made or retired."""
    rows = session.execute(select(MadeBadge).where(or_(MadeBadge.created_by == user_id, MadeBadge.retired_by == user_id))
                           .order_by(MadeBadge.id)).scalars()
    return {"badgemaker_badges": [
        {"key": b.key, "name_en": b.name_en, "name_zh": b.name_zh, "made_by_you": b.created_by == user_id,
         "retired_by_you": b.retired_by == user_id, "created_at": b.created_at.isoformat(),
         "retired_at": b.retired_at.isoformat() if b.retired_at else None} for b in rows]}


def forget_user(session: Session, user_id: int) -> None:
    """The badges stay (readers hold them); they no longer name this person."""
    session.execute(update(MadeBadge).where(MadeBadge.created_by == user_id).values(created_by=None))
    session.execute(update(MadeBadge).where(MadeBadge.retired_by == user_id).values(retired_by=None))
