"""Prize draws: the committed seed, recomputing the winners from what is published, and an empty draw."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import timedelta

import pytest

from core.activity import record_activity
from core.models import Notification, utcnow
from plugins.rewards import draws, service
from plugins.rewards.models import Draw, Ticket, Winner
from sqlalchemy import select


def independent_winners(seed: str, rows: list[tuple[int, int]], n: int) -> list[int]:
    """The algorithm as the draw page states it, written again from the page's words."""
    ranked = sorted(rows, key=lambda r: (hashlib.sha256(f"{seed}:{r[0]}".encode()).hexdigest(), r[0]))
    chosen, holders = [], set()
    for ticket, holder in ranked:
        if holder not in holders and len(chosen) < n:
            chosen.append(ticket)
            holders.add(holder)
    return chosen


def test_the_published_hash_commits_to_the_seed(shop):
    draw = shop.draw()
    assert hashlib.sha256(draw.seed.encode()).hexdigest() == draw.seed_hash and len(draw.seed) == 64


def test_winners_can_be_recomputed_from_the_published_seed_and_tickets(shop, client, login):
    readers = [shop.reader(100) for _ in range(5)]
    draw = shop.draw(winners=3)
    with shop.write() as session:
        for n, reader in enumerate(readers):
            for k in range(n + 1):
                draws.buy_ticket(session, draw=session.get(Draw, draw.id), user_id=reader.id, key=f"{n}-{k}")
    page = login(readers[0]).get(f"/rewards/draws/{draw.id}").get_data(as_text=True)
    assert draw.seed_hash in page and draw.seed not in page  # committed, not revealed
    assert client.get(f"/rewards/draws/{draw.id}/tickets.csv").status_code == 404  # not before the draw
    with shop.write() as session:
        row = session.get(Draw, draw.id)
        row.draw_at = utcnow() - timedelta(seconds=1)
    with shop.write() as session:
        assert draws.run_due(session) == 1
        assert draws.run_due(session) == 0  # once
    page = client.get(f"/rewards/draws/{draw.id}").get_data(as_text=True)
    assert draw.seed in page
    published = list(csv.reader(io.StringIO(client.get(f"/rewards/draws/{draw.id}/tickets.csv")
                                            .get_data(as_text=True).lstrip("\ufeff"))))
    assert published[0] == ["ticket", "holder"] and len(published) == 1 + 15
    rows = [(int(t), int(h)) for t, h in published[1:]]
    with shop.read() as session:
        stored = [w.ticket_id for w in draws.winners_of(session, draw.id)]
        holders = {w.user_id for w in draws.winners_of(session, draw.id)}
        won = session.execute(select(Notification.user_id).where(Notification.kind == "draw-won")).scalars().all()
    assert stored == independent_winners(draw.seed, rows, 3) and len(set(holders)) == 3
    assert sorted(won) == sorted(holders)


def test_a_draw_with_no_tickets_has_a_clear_outcome(shop, client):
    draw = shop.draw(open_now=False)
    with shop.write() as session:
        assert draws.run_due(session) == 1
    with shop.read() as session:
        assert draws.winners_of(session, draw.id) == []
    page = client.get(f"/rewards/draws/{draw.id}").get_data(as_text=True)
    assert "Nobody had a ticket when the draw took place, so there is no winner." in page


def test_tickets_cost_points_and_respect_the_limit(shop):
    reader = shop.reader(25)
    draw = shop.draw(ticket_cost=10, max_bought=5)
    with shop.write() as session:
        draws.buy_ticket(session, draw=session.get(Draw, draw.id), user_id=reader.id, key="a")
        assert draws.buy_ticket(session, draw=session.get(Draw, draw.id), user_id=reader.id, key="a") is None
    with shop.write() as session:
        draws.buy_ticket(session, draw=session.get(Draw, draw.id), user_id=reader.id, key="b")
    with shop.write() as session, pytest.raises(service.RewardsError, match="You need 10 points and have 5"):
        draws.buy_ticket(session, draw=session.get(Draw, draw.id), user_id=reader.id, key="c")
    rich = shop.reader(1000)
    limited = shop.draw(ticket_cost=1, max_bought=1)
    with shop.write() as session:
        draws.buy_ticket(session, draw=session.get(Draw, limited.id), user_id=rich.id, key="a")
    with shop.write() as session, pytest.raises(service.RewardsError, match=r"\(1\)"):
        draws.buy_ticket(session, draw=session.get(Draw, limited.id), user_id=rich.id, key="b")
    closed = shop.draw(open_now=False)
    with shop.write() as session, pytest.raises(service.RewardsError, match="not on sale"):
        draws.buy_ticket(session, draw=session.get(Draw, closed.id), user_id=rich.id, key="x")


def test_activity_earns_tickets_up_to_the_cap(shop):
    reader = shop.reader()
    draw = shop.draw(ticket_cost=0, max_bought=0, earn_per_activity=True, max_earned=2)
    for n in range(4):
        with shop.write() as session:
            record_activity(session, user_id=reader.id, plugin="core", kind="visit", source_ref=f"visit:{n}")
    with shop.read() as session:
        tickets = session.execute(select(Ticket).where(Ticket.draw_id == draw.id)).scalars().all()
    assert [t.source for t in tickets] == ["earned", "earned"]


def test_activities_recorded_together_earn_a_ticket_each_up_to_the_cap(shop):
    from core.activity import record_activities

    keen, casual = shop.reader(), shop.reader()
    draw = shop.draw(ticket_cost=0, max_bought=0, earn_per_activity=True, max_earned=3)
    with shop.write() as session:
        record_activity(session, user_id=keen.id, plugin="core", kind="visit", source_ref="visit:0")
    with shop.write() as session:  # one earned already: three more would pass the cap of three
        record_activities(session, [(keen.id, "core", "visit", f"visit:{n}") for n in range(1, 4)]
                          + [(casual.id, "core", "visit", "visit:1")])
    with shop.read() as session:
        tickets = session.execute(select(Ticket.user_id, Ticket.idempotency_key).where(Ticket.draw_id == draw.id)
                                  .order_by(Ticket.id)).all()
    assert sorted(tickets) == sorted([(keen.id, f"earned:{draw.id}:{keen.id}:{n}") for n in (1, 2, 3)]
                                     + [(casual.id, f"earned:{draw.id}:{casual.id}:1")])


def test_pick_follows_the_published_rules():
    seed = "00" * 32
    rows = [(1, 1), (2, 1), (3, 3), (4, 4)]
    assert draws.pick(seed, rows, 10) == independent_winners(seed, rows, 10)
    assert len(draws.pick(seed, rows, 10)) == 3  # one prize per holder
    assert draws.pick(seed, [], 3) == []


def test_forgetting_a_reader_leaves_the_published_draw_unchanged(shop):
    from plugins.rewards import privacy

    readers = [shop.reader(100) for _ in range(3)]
    draw = shop.draw(winners=2)
    with shop.write() as session:
        for n, reader in enumerate(readers):
            for k in range(2):
                draws.buy_ticket(session, draw=session.get(Draw, draw.id), user_id=reader.id, key=f"{n}-{k}")
        row = session.get(Draw, draw.id)
        row.draw_at = utcnow() - timedelta(seconds=1)
    with shop.write() as session:
        draws.run_due(session)
    with shop.read() as session:
        before = draws.published_tickets(session, draw.id)
        winner = draws.winners_of(session, draw.id)[0].user_id
    with shop.write() as session:
        privacy.forget_user(session, winner)
    with shop.read() as session:
        assert draws.published_tickets(session, draw.id) == before
        assert session.execute(select(Ticket).where(Ticket.user_id == winner)).first() is None
        assert [w.user_id for w in draws.winners_of(session, draw.id)][0] is None


def test_the_worker_job_and_the_commands_draw_when_due_and_check_wallets(shop, app):
    draw = shop.draw(open_now=False)
    jobs = app.extensions["engage.jobs"].periodic
    assert jobs["rewards:draw-due"].plugin == "rewards"
    app.extensions["engage.plugins"].hooks.engage_cli_commands(cli=app.cli)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["rewards", "draw-due"])
    assert result.exit_code == 0 and "1 draw(s) drawn." in result.output
    assert "0 draw(s) drawn." in runner.invoke(args=["rewards", "draw-due"]).output
    with shop.read() as session:
        assert session.get(Draw, draw.id).drawn_at is not None
    check = runner.invoke(args=["rewards", "check"])
    assert check.exit_code == 0 and "Every wallet agrees" in check.output
