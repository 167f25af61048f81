"""Demo data: one made badge, given by the job queue to the demo readers who qualify."""

from __future__ import annotations

from core.badges import runtime_rules_changed

from .models import Backfill, MadeBadge, Requirement
from .service import grant_after_commit


def populate(session, rng, students, librarians) -> None:
    """"Night owl": three activities of any kind between 20:00 and 06:00, library time."""
    badge = MadeBadge(key="badgemaker:night-owl", name_en="Night owl", name_zh="夜猫子",
                      how_en="Take part in three library activities between 8 pm and 6 am.",
                      how_zh="在晚上 8 点到早上 6 点之间参加三次图书馆活动。",
                      hours_from=20 * 60, hours_to=6 * 60, created_by=librarians[0].id if librarians else None)
    session.add(badge)
    session.flush()
    session.add(Requirement(badge_id=badge.id, position=0, criterion="badgemaker:activities", option="*", goal=3))
    session.add(Backfill(badge_id=badge.id))
    runtime_rules_changed(session)
    grant_after_commit(session)
