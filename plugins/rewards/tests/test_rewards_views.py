"""The rewards pages: redeeming through the form, the desk's fulfil and cancel, CSV, panels, slides, switch-off."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from core.models import utcnow
from core.plugins import set_enabled
from plugins.rewards import service
from plugins.rewards.models import Perk, Voucher


def token(page: str) -> str:
    return re.search(r'name="token" type="hidden" value="([^"]+)"', page).group(1)


def test_a_reader_redeems_and_a_librarian_fulfils(shop, client, login):
    reader = shop.reader(100)
    perk = shop.perk(cost=60, name_en="Study room, 2 hours", name_zh="研讨室 2 小时")
    page = login(reader).get("/rewards/").get_data(as_text=True)
    assert "Study room, 2 hours" in page and "100" in page
    response = client.post(f"/rewards/perks/{perk.id}/redeem", data={"token": token(page)})
    assert response.status_code == 303
    voucher_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "data:image/svg+xml" in voucher_page and "Fulfil" not in voucher_page
    again = client.post(f"/rewards/perks/{perk.id}/redeem", data={"token": token(page)})  # the same form: no second
    assert again.status_code == 303
    second = client.post(f"/rewards/perks/{perk.id}/redeem", data={"token": "another-tab-token"})
    assert second.status_code == 409 and "You need 60 points and have 40 to spend." in second.get_data(as_text=True)
    with shop.read() as session:
        voucher = session.execute(select(Voucher)).scalar_one()
    assert client.get("/rewards/wallet").get_data(as_text=True).count(voucher.code) >= 1
    assert client.post(f"/rewards/vouchers/{voucher.code}/fulfil").status_code == 403
    librarian = login(shop.librarian)
    desk = librarian.get(f"/rewards/vouchers/{voucher.code}").get_data(as_text=True)
    assert "Fulfil" in desk and reader.display_name in desk
    assert librarian.get(f"/rewards/manage/vouchers?code={voucher.code[:5]}-{voucher.code[5:]}").status_code == 302
    assert librarian.post(f"/rewards/vouchers/{voucher.code}/fulfil").status_code == 303
    refused = librarian.post(f"/rewards/vouchers/{voucher.code}/cancel")
    assert refused.status_code == 409 and "already fulfilled or cancelled" in refused.get_data(as_text=True)
    csv_text = librarian.get("/rewards/manage/vouchers.csv").get_data(as_text=True)
    assert voucher.code in csv_text and "fulfilled" in csv_text


def test_another_reader_cannot_see_a_voucher(shop, client, login):
    owner, other = shop.reader(100), shop.reader(100)
    with shop.write() as session:
        voucher, _ = service.redeem(session, perk_id=shop.perk(cost=10).id, user=owner, key="k")
    assert login(other).get(f"/rewards/vouchers/{voucher.code}").status_code == 404


def test_refusals_are_in_the_readers_language(shop, client, login):
    reader = shop.reader(5, locale="zh_Hans")
    perk = shop.perk(cost=50)
    login(reader)
    response = client.post(f"/rewards/perks/{perk.id}/redeem", data={"token": "tab-token-1"},
                           headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 409 and "你需要 50 积分" in response.get_data(as_text=True)
    assert client.post(f"/rewards/perks/{perk.id}/redeem", data={}).status_code == 400


def test_librarians_manage_perks_and_draws_with_clear_errors(shop, client, login):
    librarian = login(shop.librarian)
    assert librarian.post("/rewards/manage/perks/new", data={"name_en": "", "cost": "-3"}).status_code == 400
    ok = librarian.post("/rewards/manage/perks/new", data={
        "name_en": "Tote bag", "name_zh": "帆布袋", "cost": "150", "stock": "30", "per_reader": "1", "audience": "",
        "active": "y"})
    assert ok.status_code == 303
    with shop.read() as session:
        perk = session.execute(select(Perk)).scalar_one()
    assert (perk.cost, perk.stock, perk.per_reader) == (150, 30, 1)
    soon = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    now = utcnow().strftime("%Y-%m-%dT%H:%M")
    base = {"title_en": "Draw", "title_zh": "抽奖", "prize_en": "Book", "prize_zh": "书", "winners": "1",
            "ticket_cost": "0", "max_bought": "0", "max_earned": "0", "opens_at": now, "draw_at": soon}
    nothing = librarian.post("/rewards/manage/draws/new", data=base)
    assert nothing.status_code == 400 and "Readers need a way to get tickets" in nothing.get_data(as_text=True)
    backwards = librarian.post("/rewards/manage/draws/new", data={**base, "ticket_cost": "5", "max_bought": "2",
                                                                   "draw_at": now, "opens_at": soon})
    assert backwards.status_code == 400
    made = librarian.post("/rewards/manage/draws/new", data={**base, "ticket_cost": "5", "max_bought": "2"})
    assert made.status_code == 303
    assert "SHA-256" in librarian.get(made.headers["Location"]).get_data(as_text=True)


def test_home_panel_and_screen_slide(shop, app, client, login):
    reader = shop.reader(80)
    shop.perk(cost=30, name_en="Printing credit (50 pages)")
    home = login(reader).get("/").get_data(as_text=True)
    assert "80 points to spend" in home
    from plugins.rewards import plugin
    with app.test_request_context():
        slide = plugin.engage_screen_slides(screen=None)
    assert "Printing credit" in slide.html and slide.key == "perks"


def test_switched_off_the_pages_are_gone_and_the_data_kept(shop, app, client, login):
    reader = shop.reader(100)
    with shop.write() as session:
        voucher, _ = service.redeem(session, perk_id=shop.perk(cost=10).id, user=reader, key="k")
        set_enabled(session, name="rewards", enabled=False, actor_id=None)
    login(reader)
    assert client.get("/rewards/").status_code == 404
    assert client.get(f"/rewards/vouchers/{voucher.code}").status_code == 404
    assert "points to spend" not in client.get("/").get_data(as_text=True)
    with shop.write() as session:
        set_enabled(session, name="rewards", enabled=True, actor_id=None)
    assert client.get(f"/rewards/vouchers/{voucher.code}").status_code == 200
    with shop.read() as session:
        assert session.execute(select(func.count()).select_from(Voucher)).scalar_one() == 1


def test_a_draw_form_with_bad_numbers_is_refused_not_a_crash(shop, login):
    librarian = login(shop.librarian)
    response = librarian.post("/rewards/manage/draws/new", data={"title_en": "Draw", "title_zh": "抽奖",
                                                                 "prize_en": "Book", "prize_zh": "书", "winners": "1",
                                                                 "ticket_cost": "lots", "max_bought": "",
                                                                 "max_earned": "x", "opens_at": "soon", "draw_at": ""})
    assert response.status_code == 400


def test_a_perk_picture_is_cleaned_stored_and_served(shop, client, login):
    from io import BytesIO

    from PIL import Image

    raw = BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(raw, "PNG")
    librarian = login(shop.librarian)
    form = {"name_en": "Tote bag", "name_zh": "帆布袋", "cost": "150", "audience": "", "active": "y"}
    bad = librarian.post("/rewards/manage/perks/new", data={**form, "image": (BytesIO(b"not a picture"), "x.png")},
                         content_type="multipart/form-data")
    assert bad.status_code == 400
    with shop.read() as session:
        assert session.execute(select(func.count()).select_from(Perk)).scalar_one() == 0
    good = librarian.post("/rewards/manage/perks/new", data={**form, "image": (BytesIO(raw.getvalue()), "bag.png")},
                          content_type="multipart/form-data")
    assert good.status_code == 303
    with shop.read() as session:
        perk = session.execute(select(Perk)).scalar_one()
    picture = client.get(f"/rewards/perks/{perk.id}/image")
    assert picture.status_code == 200 and picture.mimetype.startswith("image/")
    assert f"/rewards/perks/{perk.id}/image" in client.get("/rewards/").get_data(as_text=True)
