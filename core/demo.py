"""A populated demo library: students across faculties, librarians, an admin and a term of points."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import click
from sqlalchemy import func, select

from core.accounts import create_user, hash_password
from core.i18n import N_
from core.models import Counter, Role, User
from core.plugins import get_host
from core.identity.faculties import Faculty
from core.points import adjust, award, current_calendar
from core.rewards import pay_all

DEMO_PASSWORD = "demo-pass-2024"
# The demo library's faculties (code, English name, Chinese name); the last one is the library's own staff.
FACULTIES = [("ARTS", "Liberal Arts", "文学院"), ("HIST", "History", "历史学院"), ("PHYS", "Physics", "物理学院"),
             ("CHEM", "Chemistry and Chemical Engineering", "化学化工学院"), ("CS", "Computer Science", "计算机学院"),
             ("BUS", "Business", "商学院"), ("LAW", "Law", "法学院"), ("MED", "Medicine", "医学院"),
             ("FS", "Foreign Studies", "外国语学院"), ("ASTRO", "Astronomy and Space Science", "天文与空间科学学院"),
             ("LIB", "Library", "图书馆")]
COHORTS = [code for code, _en, _zh in FACULTIES[:-1]]
# Readers' names: Chinese students as they write their names (in characters for Chinese-speaking
# readers, in pinyin for those who use the site in English), and a few exchange students.
SURNAMES = [("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
            ("赵", "Zhao"), ("黄", "Huang"), ("周", "Zhou"), ("吴", "Wu"), ("徐", "Xu"), ("孙", "Sun"),
            ("胡", "Hu"), ("朱", "Zhu"), ("高", "Gao"), ("林", "Lin"), ("何", "He"), ("郭", "Guo"),
            ("马", "Ma"), ("罗", "Luo"), ("梁", "Liang"), ("宋", "Song"), ("郑", "Zheng"), ("谢", "Xie"),
            ("韩", "Han"), ("唐", "Tang"), ("冯", "Feng"), ("于", "Yu"), ("董", "Dong"), ("萧", "Xiao")]
GIVEN = [("思远", "Siyuan"), ("雨桐", "Yutong"), ("子涵", "Zihan"), ("浩然", "Haoran"), ("欣怡", "Xinyi"),
         ("宇轩", "Yuxuan"), ("梓萱", "Zixuan"), ("一诺", "Yinuo"), ("明哲", "Mingzhe"), ("婉清", "Wanqing"),
         ("嘉怡", "Jiayi"), ("俊杰", "Junjie"), ("诗涵", "Shihan"), ("博文", "Bowen"), ("晓雯", "Xiaowen"),
         ("天翊", "Tianyi"), ("佳琪", "Jiaqi"), ("子墨", "Zimo"), ("若溪", "Ruoxi"), ("泽宇", "Zeyu"),
         ("静怡", "Jingyi"), ("文轩", "Wenxuan"), ("可馨", "Kexin"), ("昊天", "Haotian"), ("语嫣", "Yuyan"),
         ("志强", "Zhiqiang"), ("美琳", "Meilin"), ("书瑶", "Shuyao"), ("乐天", "Letian"), ("安琪", "Anqi"),
         ("立诚", "Licheng"), ("沐阳", "Muyang"), ("清扬", "Qingyang"), ("雅婷", "Yating"), ("鹏飞", "Pengfei"),
         ("晨曦", "Chenxi"), ("梦洁", "Mengjie"), ("嘉豪", "Jiahao"), ("舒宁", "Shuning"), ("逸凡", "Yifan")]
VISITORS = ["Emma Schulz", "Arjun Mehta", "Lucas Moreau", "Hana Sato", "Olivia Brown", "Mateo García",
            "Nguyen Minh Anh", "Sofia Rossi", "Daniel Kim", "Amara Okafor", "Jonas Lindqvist", "Leila Haddad"]


def _names(rng, count: int) -> list[tuple[str, str]]:
    """``count`` different (Chinese, pinyin) names, drawn by ``rng``."""
    pairs = [(s, g) for s in SURNAMES for g in GIVEN]
    picked = rng.sample(pairs, k=min(count, len(pairs)))
    picked += [rng.choice(pairs) for _ in range(count - len(picked))]
    return [(s[0] + g[0], f"{s[1]} {g[1]}") for s, g in picked]


ACTIVITY_RULES = [("demo-activity", 10), ("demo-activity", 20), ("demo-activity", 5), ("demo-activity", 30)]


class NotEmpty(RuntimeError):
    """The database has accounts that are not the demo's: the demo's never join them."""


def populate(db, *, students: int = 200, seed: int = 2024, progress_label: str | None = None) -> bool:
    """Fill an empty database with the demo library; returns False if it was already there.

    Raises NotEmpty, adding nothing, when the database has accounts that are not the demo's.
    """
    from core.backup.guard import DEMO_DOMAIN, MARKER

    rng = random.Random(seed)
    with db.write_session() as session:
        others = session.execute(select(func.count()).select_from(User)
                                 .where(~func.lower(User.email).like("%" + DEMO_DOMAIN))).scalar()
        if others:
            raise NotEmpty(f"the database has {others} accounts that are not the demo's; the demo's accounts "
                           "never join them")
        if session.execute(select(User.id).where(User.email == "admin@demo.library")).first():
            return False
        session.merge(Counter(name=MARKER, value=1))  # says this database is a demo
        shared_hash = hash_password(DEMO_PASSWORD)  # one hash: argon2 is slow on purpose

        def person(email, name, role, **kw):
            return create_user(session, email=email, password="", password_hash=shared_hash,
                               display_name=name, role=role, **kw)

        for order, (code, name_en, name_zh) in enumerate(FACULTIES):
            session.add(Faculty(code=code, name_en=name_en, name_zh=name_zh, order=order))
        person("admin@demo.library", "Admin 管理员", Role.admin, locale="en")
        librarians = [person(f"librarian{i}@demo.library", name, Role.librarian, cohort="LIB")
                      for i, name in enumerate(["Wang Lin 王琳", "Chen Yu 陈宇", "Zhao Min 赵敏"], 1)]
        people = []
        names = _names(rng, students)
        for i in range(1, students + 1):
            zh_name, pinyin = names[i - 1]
            visitor = i // 14 - 1 if i % 14 == 0 and i // 14 <= len(VISITORS) else None
            name = zh_name if i % 2 else (VISITORS[visitor] if visitor is not None else pinyin)
            people.append(person(f"student{i}@demo.library", name, Role.student,
                                 member_number=f"DEMO{i:05d}", cohort=COHORTS[i % len(COHORTS)],
                                 locale="zh_Hans" if i % 2 else "en", hide_from_boards=(i % 17 == 0)))
    _point_history(db, people, librarians, rng, progress_label)
    with db.write_session() as session:
        get_host().hooks.engage_demo_data(session=session, rng=rng, students=people, librarians=librarians)
    pay_all(db)  # the rewards plugins queued (demo votes, say), so the demo opens with them paid
    with db.write_session() as session:
        _lobby_screens(session, admin_id=librarians[0].id)
    return True


def _lobby_screens(session, *, admin_id: int) -> None:
    """Two lobby screens, one per language, rotating every board and every plugin's slides."""
    from flask import current_app

    from core.screens import ScreenInfo, available_slides, save_screen

    # Plugins build their slides' links with url_for, which needs a request context.
    with current_app.test_request_context("/"):
        for name, locale in (("Lobby", "en"), ("大厅", "zh_Hans")):
            probe = ScreenInfo(None, name, locale, 12, (), 0)
            slides = [key for key, _label in available_slides(session, probe) if not key.startswith("board:cohort:")]
            save_screen(session, screen=None, name=name, locale=locale, seconds_per_slide=12, slides=slides,
                        allowed=set(slides), actor_id=admin_id)


def screen_addresses(db, base_url: str) -> list[tuple[str, str]]:
    """(name, secret address) of every screen, for the demo's welcome message."""
    from core.models import Screen
    from core.screens import make_token

    with db.session() as session:
        screens = session.execute(select(Screen).order_by(Screen.id)).scalars().all()
        return [(screen.name, f"{base_url.rstrip('/')}/screen/{make_token(screen)}") for screen in screens]


def _point_history(db, people, librarians, rng, progress_label) -> None:
    """About a term of weekly activity: keen readers earn often, others now and then."""
    calendar = current_calendar()
    now = datetime.now(timezone.utc)
    term = calendar.term_of(calendar.local_date(now))
    start = datetime.combine(term.starts_on, datetime.min.time(), tzinfo=calendar.tz) if term else now - timedelta(weeks=12)
    weeks = max(1, (now - start).days // 7 + 1)
    keenness = {p.id: rng.random() ** 2 for p in people}
    with click.progressbar(people, label=progress_label or "Demo points") as bar:
        for person in bar:
            events = [(min(now, start + timedelta(weeks=week, hours=rng.randint(8, 24 * 7 - 8))), week, n)
                      for week in range(weeks) for n in range(rng.randint(0, round(6 * keenness[person.id])))]
            with db.write_session() as session:
                for at, week, n in sorted(events):  # in time order, as they would have happened
                    rule, amount = rng.choice(ACTIVITY_RULES)
                    award(session, user_id=person.id, amount=amount, rule=rule, plugin="core",
                          idempotency_key=f"demo:{person.id}:{week}:{n}", at=at, calendar=calendar)
    with db.write_session() as session:
        for person in rng.sample(people, k=min(8, len(people))):
            adjust(session, user_id=person.id, amount=rng.choice([15, 25, 50]), actor_id=librarians[0].id,
                   reason=N_("Helped at the reading-week book fair"), idempotency_key=f"demo-adjust:{person.id}")
