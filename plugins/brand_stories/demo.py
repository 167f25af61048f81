"""Demo data: "the four little ones of the library", three episodes, an open poll and a closed contest.

Each character is drawn by ``artwork`` (an owl, a bookworm, a cat and a seal, as shapes with no
text in them), painted to PNG and passed through ``clean_image`` like any upload; episodes and
contest designs are scenes of the same characters. Everything is derived from ``rng`` so the
demo is the same every time.
"""

from __future__ import annotations

import json
from datetime import timedelta

from core.images import clean_image
from core.models import utcnow

from . import artwork, voting
from .models import Character, Contest, Design, Episode, Poll, PollOption, RankBallot, Series, StoryImage

# name (en, zh), the figure and its card's colour, biography (en, zh)
CHARACTERS = [
    ("Little Scroll", "小卷", ("bookworm", "#f6e3b4"), "A bookworm who keeps the library's oldest scrolls and knows a poem for every season.",
     "守护图书馆最古老卷轴的书虫，每个节气都能背出一首诗。"),
    ("Little Ink", "小墨", ("cat", "#f3c9a8"), "A calligrapher who turns every notice in the reading room into a piece of art.",
     "一位书法家，能把阅览室里的每张告示都写成艺术品。"),
    ("Little Seal", "小印", ("seal", "#e9d3c6"), "Carves seals from old erasers and stamps a red mark on every good idea.",
     "用旧橡皮刻印章，给每个好点子盖上红印。"),
    ("Little Lantern", "小灯", ("owl", "#f2d48f"), "Lights the way for late readers and never forgets where a book was left.",
     "为夜读的同学照亮道路，从不忘记哪本书放在哪里。"),
]
EPISODES = [
    ("The scroll that hummed", "会唱歌的卷轴",
     "On the first night of the Mid-Autumn holiday, Little Scroll hears a scroll humming in the rare-books room.",
     "中秋假期的第一个夜晚，小卷听见古籍室里有一卷书在轻轻哼唱。"),
    ("Ink on the moon", "月亮上的墨迹",
     "Little Ink follows the tune to the roof and finds a line of calligraphy written across the moon.",
     "小墨循着歌声来到屋顶，发现月亮上写着一行书法。"),
    ("The missing seal", "消失的印章",
     "The seal that should close the poem is gone. Little Seal and Little Lantern search the stacks.",
     "本该为诗落款的印章不见了，小印和小灯在书库里四处寻找。"),
]


# Who appears in each episode's picture, and its sky.
EPISODE_SCENES = ((["bookworm", "owl"], "#23314f"), (["cat"], "#2d3a5a"), (["seal", "owl"], "#3d2c4e"))
DESIGN_SCENES = ((["owl"], "#9b2226"), (["cat", "bookworm"], "#1d3557"), (["seal"], "#bc6c25"),
                 (["bookworm", "seal", "cat"], "#2a6f66"))

DESIGN_NOTES = ("Little Lantern on a deep red lid; the lantern's glow is a gold-foil window.",
                "外盒是夜空蓝，小墨和小卷坐在月光下读书，内衬印着馆藏古籍的纹样。",
                "A warm ochre box with Little Seal balancing the stamp; the lid lifts like a seal's box.",
                "三位小伙伴在青绿色的草地上赏月，盒子可以折成一个小书架。")


def _image(session, sketch, size=(400, 400)) -> int:
    clean = clean_image(artwork.to_png(sketch, size))
    row = StoryImage(data=clean.data, content_type=clean.content_type, width=clean.width, height=clean.height)
    session.add(row)
    session.flush()
    return row.id


def populate(session, rng, students, librarians) -> None:
    """The brand, its stories, an open poll with ballots and a closed, counted design contest."""
    now = utcnow()
    for n, (en, zh, (kind, colour), bio_en, bio_zh) in enumerate(CHARACTERS):
        session.add(Character(name_en=en, name_zh=zh, bio_en=bio_en, bio_zh=bio_zh, position=n,
                              image_id=_image(session, artwork.character(kind, colour, rng.getrandbits(32)))))
    series = Series(title_en="The four little ones of the library", title_zh="图书馆四小",
                    summary_en="Four hand-painted friends keep traditional culture alive among the stacks.",
                    summary_zh="四位手绘小伙伴在书架间传承传统文化。")
    session.add(series)
    session.flush()
    episodes = []
    for n, (en, zh, body_en, body_zh) in enumerate(EPISODES, 1):
        episode = Episode(series_id=series.id, number=n, title_en=en, title_zh=zh, body_en=body_en, body_zh=body_zh,
                          publish_at=now - timedelta(days=7 * (len(EPISODES) - n) + 1),
                          image_id=_image(session, artwork.scene(*EPISODE_SCENES[n - 1], rng.getrandbits(32),
                                                                wide=True), (640, 400)))
        session.add(episode)
        episodes.append(episode)
    session.flush()

    poll = Poll(episode_id=episodes[-1].id, question_en="Where should they look for the seal next?",
                question_zh="他们接下来应该去哪里找印章？", opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=6))
    session.add(poll)
    session.flush()
    options = [PollOption(poll_id=poll.id, text_en=en, text_zh=zh, position=n) for n, (en, zh) in enumerate([
        ("In the rare-books room", "古籍室"), ("On the library roof", "图书馆屋顶"),
        ("Inside the card catalogue", "卡片目录柜里"), ("Ask the night librarian", "问问夜班馆员")])]
    session.add_all(options)
    session.flush()
    for student in rng.sample(students, k=min(24, len(students))):
        voting.cast_approval(session, poll_id=poll.id, user_id=student.id,
                             option_ids=[o.id for o in rng.sample(options, k=rng.randint(1, 3))])

    _closed_contest(session, rng, students, now)


def _closed_contest(session, rng, students, now) -> None:
    """A contest already voted on; its result is counted with the same code as a live one."""
    contest = Contest(title_en="A mooncake box for the four little ones", title_zh="为四小设计月饼盒",
                      brief_en="Design a mooncake box with the four characters.", brief_zh="设计一款印有四小形象的月饼盒。",
                      subject="merchandise", submissions_close_at=now - timedelta(days=20),
                      voting_opens_at=now - timedelta(days=15), voting_closes_at=now - timedelta(days=2))
    session.add(contest)
    session.flush()
    designers = students[:4] if len(students) >= 4 else students
    designs = []
    for n, person in enumerate(designers):
        design = Design(contest_id=contest.id, user_id=person.id, title=["Lantern night", "Ink and moon",
                                                                         "Red seal", "Scroll garden"][n],
                        description=DESIGN_NOTES[n], status="pending",
                        image_id=_image(session, artwork.scene(*DESIGN_SCENES[n], rng.getrandbits(32),
                                                               moon=n % 2 == 0)),
                        submitted_at=now - timedelta(days=25 - n))
        session.add(design)
        session.flush()
        voting.accept_design(session, design=design, accepted=True)
        designs.append(design)
    for student in rng.sample(students, k=min(30, len(students))):
        ranking = rng.sample([d.id for d in designs], k=len(designs))
        session.add(RankBallot(contest_id=contest.id, user_id=student.id, choices=json.dumps(ranking),
                               code=f"{rng.getrandbits(64):016x}", cast_at=now - timedelta(days=5)))
    session.flush()
    voting.settle_due(session, now)

