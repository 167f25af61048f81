"""Demo feedback: the default categories, three departments, and items in every state whose
steps are spread over the past weeks, so the queue, the board and the measures show something real."""

from __future__ import annotations

from datetime import timedelta

from core.models import utcnow

from . import service, workflow
from .models import FeedbackDepartment, FeedbackMeToo

DEPARTMENTS = (("Reader services", "读者服务部"), ("Facilities", "后勤保障部"), ("Collections", "文献资源部"))

# category key: (reader's text, what the library did (en), (zh))
SAMPLES = {
    "noise": ("三楼自习区晚上有人大声打电话，能否加强提醒？ / Loud phone calls in the 3rd-floor study area at night.",
              "Quiet-zone signs and an evening patrol on floor 3; a short video about phone calls.",
              "三楼增设静音区标识并安排晚间巡查；拍摄了关于接打电话的短视频。"),
    "seats": ("很多座位被书包占着却没人。 / Many seats are held with bags but nobody is there.",
              "Seats left empty for 30 minutes are now released by the booking system.",
              "座位预约系统现在会释放离座超过 30 分钟的座位。"),
    "facilities": ("二楼东侧的插座坏了。 / The sockets on the east side of floor 2 do not work.",
                   "All sockets on floor 2 were repaired and tested.",
                   "二楼所有插座已维修并测试。"),
    "service": ("希望周末延长开放时间。 / Please open longer at weekends.",
                "Weekend opening extended to 22:00 during exam weeks.",
                "考试周周末开放时间延长至 22:00。"),
    "collection": ("希望购买更多考研参考书。 / Please buy more graduate-exam prep books.",
                   "Forty new titles ordered; request more through the purchase form.",
                   "已订购 40 种新书；可通过荐购表单继续推荐。"),
    "suggestion": ("可以办一次古籍修复体验活动吗？ / Could you run an ancient-book repair workshop?",
                   "A monthly repair workshop now runs in the special collections room.",
                   "特藏室现每月举办一次古籍修复体验活动。"),
    "praise": ("咨询台的老师非常耐心，谢谢！ / The reference desk staff were very patient, thank you!",
               "Your thanks were passed on to the reference team.",
               "你的感谢已转达咨询台团队。"),
}
LOCATIONS = ("3F study area / 三楼自习区", "2F east / 二楼东侧", "1F lobby / 一楼大厅", "4F reading room / 四楼阅览室", "")


def populate(session, rng, students, librarians) -> None:
    """Add demo feedback written by ``students`` and handled by ``librarians``."""
    if not students or not librarians:
        return
    service.ensure_categories(session)
    for en, zh in DEPARTMENTS:
        session.add(FeedbackDepartment(name_en=en, name_zh=zh))
    session.flush()
    departments = service.departments(session)
    categories = service.categories(session)
    now = utcnow()
    for n in range(48):
        category = categories[n % len(categories)]
        text, did_en, did_zh = SAMPLES.get(category.key, SAMPLES["suggestion"])
        author = students[rng.randrange(len(students))]
        at = now - timedelta(days=rng.uniform(0.2, 56))
        item = service.submit(session, user=author, category_id=category.id, text=text,
                              location=rng.choice(LOCATIONS), show_name=rng.random() < 0.6,
                              allow_publish=rng.random() < 0.8, now=at)
        _walk(session, rng, item, librarians, departments, at, now)
        if item.state == workflow.CONFIRMED and item.allow_publish and rng.random() < 0.7:
            service.publish(session, item=item, we_did_en=did_en, we_did_zh=did_zh, published=True)
        if item.state == workflow.CONFIRMED and n % 9 == 0:
            service.link_inspiration(session, item=item, actor=librarians[0],
                                     description=f"Short video story: {did_en}")
        if item.state in workflow.OPEN and item.allow_publish:
            for other in rng.sample(students, min(len(students), rng.randrange(0, 4))):
                if other.id != item.submitter_id:
                    session.add(FeedbackMeToo(item_id=item.id, user_id=other.id, created_at=at))
    session.flush()


def _walk(session, rng, item, librarians, departments, at, now) -> None:
    """Take the item through the loop with realistic gaps, stopping when the next step would be
    in the future (so recent items stay open and some become overdue)."""
    librarian = librarians[rng.randrange(len(librarians))]
    steps = [(workflow.TRIAGED, rng.uniform(0.5, 30), {}, "Thank you, we are looking into it. / 感谢反馈，我们正在处理。"),
             (workflow.ASSIGNED, rng.uniform(1, 24), {"assignee": librarian} if rng.random() < 0.6 else
              {"department_id": departments[rng.randrange(len(departments))].id}, ""),
             (workflow.RESPONDED, rng.uniform(4, 150), {},
              "We have fixed this; please tell us if it works for you. / 已处理，请告诉我们效果。")]
    for to_state, gap, extra, note in steps:
        at += timedelta(hours=gap)
        if at > now or rng.random() < 0.06:
            return
        workflow.transition(session, item, librarian, to_state, note, True, now=at, **extra)
    at += timedelta(hours=rng.uniform(2, 96))
    if at > now:
        return
    roll = rng.random()
    if roll < 0.12:
        workflow.transition(session, item, _author(session, item), workflow.REOPENED,
                            "Still happening. / 问题依然存在。", True, now=at)
        at += timedelta(hours=rng.uniform(4, 72))
        if at < now:
            workflow.transition(session, item, librarian, workflow.RESPONDED,
                                "We checked again and fixed it. / 再次检查并已修复。", True, now=at)
    elif roll < 0.8:
        score = rng.choices([5, 4, 3, 2, 1], weights=[45, 30, 12, 8, 5])[0]
        workflow.transition(session, item, _author(session, item), workflow.CONFIRMED, "", True, score=score, now=at)


def _author(session, item):
    from core.models import User

    return session.get(User, item.submitter_id)
