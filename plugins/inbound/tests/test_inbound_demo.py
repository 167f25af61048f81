"""The demo library's events from library systems: rules, a month of events paid as the API pays
them, numbers left for a librarian to match, and a rule in draft whose preview has something to show."""

from __future__ import annotations

from sqlalchemy import func, select

from core.api.models import ApiKey
from core.models import PointEntry
from core.points import check_totals

from plugins.inbound import demo
from plugins.inbound.matching import unmatched_numbers
from plugins.inbound.models import InboundEvent, InboundPayment, InboundRule
from plugins.inbound.paying import RULE, preview


def test_the_demo_library_has_rules_a_month_of_paid_events_and_numbers_to_match(app):
    from core.demo import populate

    db = app.extensions["engage.db"]
    with app.app_context():
        assert populate(db, students=24)
    with app.test_request_context(), db.session() as session:
        rules = {rule.kind: rule for rule in session.execute(select(InboundRule)).scalars()}
        assert set(rules) == {fields["kind"] for fields in demo.RULES}
        assert [kind for kind, rule in rules.items() if not rule.active] == ["workshop-attendance"]
        [key] = session.execute(select(ApiKey)).scalars()
        origins = set(session.execute(select(InboundEvent.origin).distinct()).scalars())
        assert origins == {f"apikey:{key.id}"}
        stored = session.execute(select(InboundEvent.kind, func.count()).group_by(InboundEvent.kind)).all()
        assert {kind for kind, count in stored if count > 20} >= {"gate-entry", "loan", "e-resource-session"}
        payments = session.execute(select(func.count()).select_from(InboundPayment)).scalar_one()
        entries = session.execute(select(func.count()).select_from(PointEntry).where(PointEntry.rule == RULE))
        assert payments > 50 and entries.scalar_one() == payments
        owls = session.execute(select(InboundPayment.local_date, InboundPayment.user_id, func.count())
                               .where(InboundPayment.rule_id == rules["gate-entry"].id)
                               .group_by(InboundPayment.local_date, InboundPayment.user_id)).all()
        assert owls and all(count == 1 for *_key, count in owls)  # once a night per reader
        assert {number for number, *_rest in unmatched_numbers(session)} == set(demo.UNKNOWN)
        assert preview(session, rules["workshop-attendance"], days=30)["events"] > 0
        assert check_totals(session) == []
