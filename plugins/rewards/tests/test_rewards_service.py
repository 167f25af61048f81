"""The wallet, redemptions and vouchers: spending never lowers a rank, never overdraws, never oversells."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.models import Notification, PointTotal
from core.points import check_totals
from plugins.rewards import privacy, service
from plugins.rewards.models import Claim, Perk, Spend, Voucher, Wallet


def redeem(shop, perk, user, key="k1"):
    with shop.write() as session:
        return service.redeem(session, perk_id=perk.id, user=user, key=key)


def refused(shop, perk, user, key):
    with pytest.raises(service.RewardsError) as caught:
        redeem(shop, perk, user, key)
    return caught.value.message


def test_redeeming_spends_points_but_keeps_the_earned_total_and_rank(shop):
    reader = shop.reader(120)
    perk = shop.perk(cost=50)
    voucher, new = redeem(shop, perk, reader)
    assert new and voucher.state == "issued" and len(voucher.code) == service.CODE_LENGTH
    with shop.read() as session:
        assert session.get(PointTotal, reader.id).total == 120  # boards count what was earned
        assert service.balance(session, reader.id).spendable == 70
        spend = session.execute(select(Spend).where(Spend.user_id == reader.id)).scalar_one()
        assert spend.amount == -50 and spend.idempotency_key == f"redeem:{reader.id}:k1"
        assert check_totals(session) == [] and service.check_wallets(session) == []
        assert session.execute(select(Notification.kind).where(Notification.user_id == reader.id,
                                                               Notification.plugin == "rewards")).scalars().all() == ["voucher-issued"]


def test_the_same_form_sent_twice_redeems_once(shop):
    reader = shop.reader(200)
    perk = shop.perk(cost=50)
    first, new1 = redeem(shop, perk, reader, "same")
    second, new2 = redeem(shop, perk, reader, "same")
    assert (new1, new2) == (True, False) and first.id == second.id
    with shop.read() as session:
        assert service.balance(session, reader.id).spent == 50


def test_redeeming_beyond_the_spendable_balance_is_refused_and_changes_nothing(shop):
    reader = shop.reader(60)
    perk = shop.perk(cost=50)
    redeem(shop, perk, reader, "a")
    message = refused(shop, perk, reader, "b")
    assert "You need 50 points and have 10 to spend." == message
    with shop.read() as session:
        assert session.execute(select(func.count()).select_from(Voucher)).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(Spend)).scalar_one() == 1
        assert session.get(Perk, perk.id).redeemed == 1


def test_stock_and_the_per_reader_limit_hold(shop):
    first, second = shop.reader(500), shop.reader(500)
    perk = shop.perk(cost=10, stock=3, per_reader=2)
    redeem(shop, perk, first, "1")
    redeem(shop, perk, first, "2")
    assert "(2)" in refused(shop, perk, first, "3")
    redeem(shop, perk, second, "1")
    assert refused(shop, perk, second, "2") == "Sorry, this perk has just run out."
    with shop.read() as session:
        row = session.get(Perk, perk.id)
        assert (row.stock, row.redeemed) == (0, 3)
        assert service.balance(session, first.id).spent == 20 and service.balance(session, second.id).spent == 10


def test_a_perk_for_another_faculty_is_not_offered(shop):
    reader = shop.reader(500, cohort="Physics")
    perk = shop.perk(audience="History")
    with shop.read() as session:
        assert service.catalogue(session, reader) == []
    assert refused(shop, perk, reader, "x") == "This perk is not offered to you."
    chemist = shop.reader(500, cohort="History")
    assert redeem(shop, perk, chemist)[1]


def test_cancelling_refunds_by_a_compensating_entry_and_restores_stock_and_limit(shop):
    reader = shop.reader(100)
    perk = shop.perk(cost=40, stock=1, per_reader=1)
    voucher, _ = redeem(shop, perk, reader)
    with shop.write() as session:
        service.cancel(session, voucher=session.get(Voucher, voucher.id), actor_id=shop.librarian.id)
    with shop.read() as session:
        rows = session.execute(select(Spend.amount, Spend.what, Spend.reverses_id).order_by(Spend.id)).all()
        assert [(a, w) for a, w, _r in rows] == [(-40, "perk"), (40, "refund")] and rows[1][2] is not None
        assert service.balance(session, reader.id).spendable == 100
        assert session.get(Perk, perk.id).stock == 1
        assert session.get(Claim, (perk.id, reader.id)).count == 0
        assert service.check_wallets(session) == []
    with shop.write() as session, pytest.raises(service.RewardsError):
        service.cancel(session, voucher=session.get(Voucher, voucher.id), actor_id=shop.librarian.id)
    assert redeem(shop, perk, reader, "again")[1]  # the stock and the limit are back


def test_fulfilling_is_once(shop):
    reader = shop.reader(100)
    voucher, _ = redeem(shop, shop.perk(cost=10), reader)
    with shop.write() as session:
        service.fulfil(session, voucher=session.get(Voucher, voucher.id), actor_id=shop.librarian.id)
    with shop.write() as session, pytest.raises(service.RewardsError):
        service.cancel(session, voucher=session.get(Voucher, voucher.id), actor_id=shop.librarian.id)
    with shop.read() as session:
        assert session.get(Voucher, voucher.id).state == "fulfilled"
        assert service.balance(session, reader.id).spent == 10


def test_readers_rights_export_and_forget(shop):
    reader = shop.reader(100)
    voucher, _ = redeem(shop, shop.perk(cost=10), reader)
    with shop.read() as session:
        data = privacy.user_data(session, reader.id)
    assert data["rewards_vouchers"][0]["code"] == voucher.code and data["rewards_spending"][0]["amount"] == -10
    with shop.write() as session:
        privacy.forget_user(session, reader.id)
    with shop.read() as session:
        assert session.get(Voucher, voucher.id).user_id is None
        assert session.get(Wallet, reader.id) is None
        assert privacy.user_data(session, reader.id) == {"rewards_wallet": [], "rewards_spending": [],
                                                          "rewards_vouchers": [], "rewards_tickets": []}
        assert service.check_wallets(session) == []
