"""Demo data: the five kinds of perk, vouchers in every state, an open draw and a drawn one."""

from __future__ import annotations

from datetime import timedelta

from core.models import utcnow

from . import draws, service
from .models import Perk, Ticket

PERKS = [
    ("Longer loan (+14 days)", "延长借期 14 天", "One loan of your choice kept two more weeks.", "任选一本书多借两周。",
     60, None, 2, ""),
    ("Study room, 2 hours", "研讨室 2 小时", "Book a group study room for two hours this week.", "本周预约研讨室两小时。",
     80, 20, 1, ""),
    ("Printing credit (50 pages)", "打印额度 50 页", "Fifty pages of printing on your card.", "校园卡增加 50 页打印额度。",
     40, 100, 3, ""),
    ("Four Little Ones tote bag", "“南大四小”帆布袋", "A tote bag with the library's four characters.", "印有图书馆四位原创角色的帆布袋。",
     150, 30, 1, ""),
    ("Seat at the author talk", "作家讲座座位", "A reserved seat at this month's author talk.", "本月作家讲座预留座位一个。",
     120, 10, 1, ""),
]


def populate(session, rng, students, librarians) -> None:
    perks = []
    for i, (en, zh, den, dzh, cost, stock, per_reader, audience) in enumerate(PERKS):
        perk = Perk(name_en=en, name_zh=zh, description_en=den, description_zh=dzh, cost=cost, stock=stock,
                    per_reader=per_reader, audience=audience, position=i)
        session.add(perk)
        perks.append(perk)
    session.flush()
    handled = 0
    for n, student in enumerate(rng.sample(students, k=min(24, len(students)))):
        perk = perks[n % len(perks)]
        if service.balance(session, student.id).spendable < perk.cost:
            continue
        try:
            with session.begin_nested():  # a refusal leaves nothing half-written
                voucher, _new = service.redeem(session, perk_id=perk.id, user=student, key=f"demo-{n}")
        except service.RewardsError:
            continue
        if librarians and n % 3 == 0:
            service.fulfil(session, voucher=voucher, actor_id=librarians[0].id)
            handled += 1
        elif librarians and n % 7 == 0:
            service.cancel(session, voucher=voucher, actor_id=librarians[0].id)
    now = utcnow()
    actor = librarians[0].id if librarians else None
    past = draws.create(session, actor_id=actor, title_en="Reading week draw", title_zh="读书周抽奖",
                        prize_en="A signed copy of the library's picture book", prize_zh="图书馆绘本签名本",
                        winners=3, ticket_cost=0, max_bought=0, earn_per_activity=True, max_earned=5,
                        opens_at=now - timedelta(days=21), draw_at=now - timedelta(days=7))
    for n, student in enumerate(rng.sample(students, k=min(30, len(students)))):
        for k in range(rng.randint(1, 3)):
            session.add(Ticket(draw_id=past.id, user_id=student.id, source="earned",
                               idempotency_key=f"earned:{past.id}:{student.id}:{k + 1}",
                               created_at=now - timedelta(days=14)))
    session.flush()
    draws.run(session, past, now)
    open_draw = draws.create(session, actor_id=actor, title_en="End-of-term draw", title_zh="期末抽奖",
                             prize_en="An e-reader", prize_zh="电子阅读器一台", winners=1, ticket_cost=20,
                             max_bought=5, earn_per_activity=True, max_earned=3,
                             opens_at=now - timedelta(days=3), draw_at=now + timedelta(days=10))
    for n, student in enumerate(rng.sample(students, k=min(15, len(students)))):
        try:
            with session.begin_nested():
                draws.buy_ticket(session, draw=open_draw, user_id=student.id, key=f"demo-{n}")
        except service.RewardsError:
            continue
