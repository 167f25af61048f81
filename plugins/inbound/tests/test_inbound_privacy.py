"""Readers' rights: a reader's inbound events are in their data, and forgetting them removes them."""

from __future__ import annotations

from sqlalchemy import func, select

from plugins.inbound import privacy
from plugins.inbound.models import InboundEvent, InboundPayment

from .conftest import event
from .test_inbound_api import URL, add_rule


def test_a_readers_events_are_theirs_to_see_and_to_have_forgotten(app, client, headers, person, ctx):
    reader = person(member_number="S1")
    other = person(member_number="S2")
    add_rule(ctx)
    client.post(URL, headers=headers, json={"events": [event("f1"), event("f2", reader="S2")]})
    with ctx() as session:
        mine = privacy.user_data(session, reader.id)["inbound_events"]
        assert [e["source_id"] for e in mine] == ["f1"]
        privacy.forget_user(session, reader.id)
    with ctx() as session:
        left = session.execute(select(InboundEvent.source_id)).scalars().all()
        assert left == ["f2"]
        assert session.execute(select(func.count()).select_from(InboundPayment)
                               .where(InboundPayment.user_id == reader.id)).scalar_one() == 0
        assert privacy.user_data(session, other.id)["inbound_events"][0]["source_id"] == "f2"
