"""Demo data: a bilingual rubric, three published monthly rounds, one open round, readers'
ratings of answers and kudos, among at least five librarians."""

from __future__ import annotations

from datetime import timedelta

from core.accounts import create_user
from core.models import Role, utcnow

from . import service, staff_board
from .models import AnswerScore, Review, ReviewMark, Round

CRITERIA = [
    ("Helpfulness", "乐于助人", "Goes out of the way to solve readers' problems.", "主动为读者解决问题。",
     ["Rarely helps", "Helps when asked", "Helps reliably", "Helps beyond the question", "Readers seek them out"],
     ["很少帮助", "被请求时帮助", "稳定可靠地帮助", "超出问题本身地帮助", "读者专门来找他/她"]),
    ("Expertise", "专业能力", "Knows the collections, databases and services.", "熟悉馆藏、数据库与服务。",
     ["Often unsure", "Knows the basics", "Solid knowledge", "Deep knowledge", "The team's reference point"],
     ["常常不确定", "掌握基础", "知识扎实", "知识深入", "团队的参照标准"]),
    ("Teamwork", "团队协作", "Shares work and knowledge with colleagues.", "与同事分担工作、分享知识。",
     ["Works alone", "Joins in when asked", "A good colleague", "Lifts the team", "Brings everyone along"],
     ["单打独斗", "被邀请时参与", "好同事", "带动团队", "带领大家共同进步"]),
    ("Initiative", "主动创新", "Suggests and tries new ways to serve readers.", "提出并尝试服务读者的新方法。",
     ["Keeps to routine", "Occasional ideas", "Regular ideas", "Leads improvements", "Changes how we work"],
     ["固守常规", "偶有想法", "经常提出想法", "主导改进", "改变我们的工作方式"]),
]
COMMENTS = ["Always patient with first-year students.", "耐心细致，值得学习。", "Great help during exam week.",
            "数据库培训讲得很清楚。", "Could share more of what they know.", "", "", ""]
EXTRA = [("Li Na 李娜", "librarian4"), ("Sun Hao 孙浩", "librarian5")]


def _staff(session, librarians):
    """The given librarians, plus colleagues until there are five (sharing the demo password)."""
    people = list(librarians)
    template = people[0].password_hash if people else service.staff(session)[0].password_hash
    for name, handle in EXTRA[:max(0, 5 - len(people))]:
        people.append(create_user(session, email=f"{handle}@demo.library", password="", password_hash=template,
                                  display_name=name, role=Role.librarian, cohort="LIB"))
    return people


def populate(session, rng, librarians) -> None:
    """Make the demo's rubric, rounds, ratings, readers' ratings and kudos."""
    people = _staff(session, librarians)
    rubric = service.save_rubric(session, rubric=None, actor_id=people[0].id, criteria=[
        {"name_en": en, "name_zh": zh, "description_en": den, "description_zh": dzh,
         "anchors_en": "\n".join(aen), "anchors_zh": "\n".join(azh)}
        for en, zh, den, dzh, aen, azh in CRITERIA])
    criteria = service.criteria_of(session, rubric.id)
    quality = {p.id: rng.uniform(-0.8, 0.8) for p in people}
    now = utcnow()
    for index, ago in enumerate((4, 3, 2, 1)):  # three published monthly rounds, then the open one
        opens = now - timedelta(days=30 * ago + 5) if ago > 1 else now - timedelta(days=3)
        closes = opens + timedelta(days=14)
        round_ = Round(title_en=f"{opens:%B %Y} round", title_zh=f"{opens.year}年{opens.month}月互评", rubric_id=rubric.id, opens_at=opens,
                       closes_at=closes, created_by=people[0].id, opened_notice=True, closed_notice=ago > 1,
                       published_at=closes + timedelta(days=1) if ago > 1 else None)
        session.add(round_)
        session.flush()
        for rater in people:
            leniency = rng.uniform(-1, 1)
            for ratee in people:
                if ago == 1 and rng.random() < 0.4:
                    continue  # the open round is only partly rated
                review = Review(round_id=round_.id, rater_id=rater.id, ratee_id=ratee.id,
                                comment=rng.choice(COMMENTS), updated_at=opens + timedelta(days=2))
                session.add(review)
                session.flush()
                growth = 0.15 * index if ratee == people[-1] else 0
                for criterion in criteria:
                    mark = round(3.3 + quality[ratee.id] + growth + leniency + rng.gauss(0, 0.5))
                    session.add(ReviewMark(review_id=review.id, criterion_id=criterion.id, value=min(5, max(1, mark))))
        for n in range(rng.randint(15, 30)):
            staff_id = rng.choice(people).id
            session.add(AnswerScore(staff_id=staff_id, score=min(5, max(1, round(4 + quality[staff_id] + rng.gauss(0, 0.8)))),
                                    plugin="feedback", source_ref=f"demo:{round_.id}:{n}",
                                    rated_at=opens + timedelta(hours=rng.randint(1, 300))))
    thanks = ["Thanks for covering my desk shift!", "谢谢你帮我整理新书上架。", "Your database workshop was excellent.",
              "感谢你耐心地帮助那位研究生。", "Thank you for fixing the scanner."]
    for message in thanks:
        giver, receiver = rng.sample(people, 2)
        staff_board.give_kudos(session, giver_id=giver.id, receiver=receiver, message=message)
    session.flush()
