"""The demo library's made badge, and readers' rights: what the plugin holds about a librarian, and forgetting it."""

from __future__ import annotations

from sqlalchemy import select

from core.badges import get_rule
from core.models import BadgeAward, Role

from plugins.badgemaker import privacy, service
from plugins.badgemaker.models import Backfill, MadeBadge
from plugins.badgemaker.rules import Need, Spec


def test_the_demo_makes_one_badge_and_the_job_gives_it(bm_app):
    from core.demo import populate

    db = bm_app.extensions["engage.db"]
    with bm_app.app_context():
        populate(db, students=30)
    with bm_app.test_request_context(), db.session() as session:
        badge = session.execute(select(MadeBadge)).scalar_one()
        assert badge.key == "badgemaker:night-owl" and get_rule(badge.key) is not None
        backfill = session.execute(select(Backfill)).scalar_one()
        assert backfill.state == "done"
        holders = session.execute(select(BadgeAward.id).where(BadgeAward.badge_key == badge.key)).all()
        assert backfill.readers_done == backfill.readers_total <= len(holders)  # and others earned it as they went


def test_a_librarian_can_export_and_be_forgotten(ctx, person):
    maker, retirer = person(Role.librarian), person(Role.librarian)
    with ctx() as session:
        badge = service.make(session, name_en="Owl", name_zh="猫头鹰", how_en="Do.", how_zh="做。",
                             spec=Spec((Need("badgemaker:activities", "*", 1),)), actor_id=maker.id)
        service.retire(session, badge=badge, actor_id=retirer.id)
    with ctx() as session:
        rows = privacy.user_data(session, maker.id)["badgemaker_badges"]
        assert [(r["key"], r["made_by_you"], r["retired_by_you"]) for r in rows] == [(badge.key, True, False)]
        assert privacy.user_data(session, retirer.id)["badgemaker_badges"][0]["retired_by_you"] is True
        privacy.forget_user(session, maker.id)
        privacy.forget_user(session, retirer.id)
    with ctx() as session:
        kept = session.get(MadeBadge, badge.id)
        assert (kept.created_by, kept.retired_by, kept.name_en) == (None, None, "Owl")
        assert privacy.user_data(session, maker.id) == {"badgemaker_badges": []}
