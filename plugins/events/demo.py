"""Demo data: events in both languages — one on now (its check-in open), some to come (one full,
with a waitlist), some past with attendance and no-shows.

Registrations and check-ins go through the same service functions readers and librarians use,
so seats, the waitlist, points and badges in the demo are real.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from core.models import utcnow

from . import checkin, service
from .models import Registration

EVENTS = [
    dict(title_en="Reading club: Invisible Cities", title_zh="读书会：《看不见的城市》", place="East reading room 东阅览室",
         description_en="We read Calvino's **Invisible Cities** together. Bring a city you remember.",
         description_zh="一起读卡尔维诺的**《看不见的城市》**，带上一座你记得的城市。",
         hours=(-0.5, 1.5), capacity=25, points=15),
    dict(title_en="Workshop: finding articles fast", title_zh="工作坊：快速查找文献", place="Training room 2 培训室二",
         description_en="Databases, alerts and a citation manager, in one hour.",
         description_zh="一小时学会数据库检索、订阅提醒与文献管理工具。", hours=(26, 27.5), capacity=6, points=10),
    dict(title_en="Author talk: the old bookshops of our city", title_zh="作者讲座：老城旧书店",
         place="Lecture hall 报告厅", description_en="A local historian on printers, bookshops and readers.",
         description_zh="本地学者讲述刻书坊、旧书店与读者的故事。", hours=(24 * 6, 24 * 6 + 2), capacity=120, points=20),
    dict(title_en="Calligraphy afternoon", title_zh="书法下午茶", place="Art space 艺术空间",
         description_en="Brushes and ink provided.", description_zh="提供笔墨纸砚。", hours=(-24 * 8, -24 * 8 + 2),
         capacity=20, points=10),
    dict(title_en="Reading club: The Earth is Flat?", title_zh="读书会：地球是平的吗？", place="East reading room 东阅览室",
         description_en="A lively discussion.", description_zh="热烈的讨论。", hours=(-24 * 20, -24 * 20 + 2),
         capacity=15, points=15, faculties="HIST"),
]


def populate_demo(session, rng, students, librarians) -> None:
    """Create the events; past ones get registrations before their start and check-ins at it."""
    now = utcnow()
    author = librarians[0].id if librarians else None
    for spec in EVENTS:
        spec = dict(spec)
        start, end = (now + timedelta(hours=h) for h in spec.pop("hours"))
        spec.setdefault("faculties", "")
        # Written as if announced a fortnight earlier, so registering was open before it began.
        event = service.save_event(session, event=None, actor_id=author, starts_at=now + timedelta(days=30),
                                   ends_at=now + timedelta(days=30, hours=2), **spec)
        pool = [s for s in students if service.is_for(event, s)]
        wanted = min(len(pool), event.capacity + (3 if event.capacity < 10 else 0), 40)
        for reader in rng.sample(pool, wanted):
            service.register(session, event=event, user=reader)
        event.starts_at, event.ends_at = start, end
        session.flush()
        if start < now:  # happening or over: most of those with a seat came
            regs = [r for r in session.exec(select(Registration).where(
                Registration.event_id == event.id, Registration.status == "registered").order_by(Registration.id))]
            share = 0.4 if end > now else 0.8
            for reg in regs[: int(len(regs) * share)]:
                checkin.check_in(session, event=event, user_id=reg.user_id, method=rng.choice(["code", "code", "list"]),
                                 actor_id=author)
