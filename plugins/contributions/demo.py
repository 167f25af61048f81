"""Demo data: challenges in both languages — open, upcoming and closed — with work in every state.

Pictures are drawn with Pillow (a different pattern each, so none is flagged as a copy) and go
through the same ``submit`` and ``decide`` a reader and a librarian use, so points, badges and
notifications in the demo are real.
"""

from __future__ import annotations

import io
from datetime import timedelta

from core.models import utcnow

from . import likes, moderation, service

CHALLENGES = [
    dict(title_en="Review a book that changed your mind", title_zh="书评：一本改变你想法的书", kind="review",
         description_en="Tell other readers about a book from our shelves that changed how you think. **300 words** is plenty.",
         description_zh="向其他读者介绍馆藏中一本改变你想法的书，**300 字**左右即可。",
         days=(-10, 20), points=15, max_per_user=2, allow_image=True),
    dict(title_en="Library life in pictures", title_zh="镜头里的图书馆", kind="photo",
         description_en="A photo of a quiet corner, a busy desk or the light in the reading room.",
         description_zh="拍下安静的角落、忙碌的书桌，或阅览室里的光。",
         days=(-5, 9), points=10, max_per_user=3, require_text=False, require_image=True, allow_image=True),
    dict(title_en="Old books of our city", title_zh="老城旧书知识", kind="local",
         description_en="What do you know about the old books, printers and bookshops of our city?",
         description_zh="关于本地的古籍、刻书坊和旧书店，你知道些什么？",
         days=(-40, -3), points=20, max_per_user=2, allow_image=True),
    dict(title_en="Voices of the library: a story", title_zh="图书馆之声：一个故事", kind="story",
         description_en="A short story about civility in the library, for our next video.",
         description_zh="讲一个关于图书馆文明的小故事，它可能成为我们下一部短片。",
         days=(7, 30), points=15, max_per_user=1, allow_image=False),
]
TEXTS = [
    "《人类简史》让我第一次从物种的角度看待历史，读完后我对“想象的共同体”有了新的理解。",
    "*The Structure of Scientific Revolutions* made me see that science moves in leaps, not steps.",
    "《乡土中国》短小却深刻，费孝通先生对“差序格局”的描述至今仍然适用。",
    "Reading **Invisible Cities** in the east reading room felt like travelling without leaving my seat.",
    "老门东一带曾有多家刻书坊，金陵刻经处至今仍以雕版印刷佛经。",
    "My grandfather bought his first dictionary at the old bookshop near the drum tower in 1962.",
    "清晨七点的阅览室，阳光从高窗斜射进来，只听得见翻书声。",
    "The night before exams the third floor is full, but everyone keeps their voices down.",
]


def _picture(rng, n: int) -> bytes:
    """A small PNG with stripes and circles in colours chosen by ``rng``."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 420), tuple(rng.randint(120, 230) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for i in range(6 + n):
        x = rng.randint(0, 600)
        draw.rectangle([x, 0, x + rng.randint(10, 60), 420], fill=tuple(rng.randint(20, 160) for _ in range(3)))
    for _i in range(3):
        x, y, r = rng.randint(60, 580), rng.randint(60, 360), rng.randint(20, 70)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tuple(rng.randint(180, 255) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def populate_demo(session, rng, students, librarians) -> None:
    """Write the demo challenges and submissions (the caller commits)."""
    if not students or not librarians:
        return
    now = utcnow()
    librarian = librarians[0]
    made = []
    for spec in CHALLENGES:
        spec = dict(spec)
        start, end = spec.pop("days")
        fields = {"description_en": "", "description_zh": "", "require_text": True, "require_link": False,
                  "require_image": False, "feature_points": 20, **spec,
                  "opens_at": now + timedelta(days=start), "closes_at": now + timedelta(days=end)}
        made.append(service.save_challenge(session, challenge=None, actor_id=librarian.id, **fields))
    authors = rng.sample(students, k=min(8, len(students)))
    texts = iter(TEXTS)
    plan = [(made[0], "approve"), (made[0], "approve"), (made[0], "pending"), (made[1], "approve"),
            (made[1], "approve"), (made[1], "pending"), (made[2], "approve"), (made[2], "changes")]
    featured = []
    for n, ((challenge, outcome), author) in enumerate(zip(plan, authors)):
        when = min(now, challenge.opens_at + timedelta(days=1))
        picture = _picture(rng, n) if challenge.require_image or n % 3 == 0 else None
        text = "" if challenge.require_image and n % 2 else next(texts, "")
        submission = service.submit(session, challenge=challenge, user_id=author.id, text=text,
                                    image_data=picture, now=when)
        if outcome == "approve":
            moderation.decide(session, [submission], actor_id=librarian.id, decision="approve")
            featured.append(submission)
        elif outcome == "changes":
            moderation.decide(session, [submission], actor_id=librarian.id, decision="changes",
                           reason="Please add where the photo was taken. 请注明拍摄地点。")
    for submission in featured[::2]:
        moderation.feature(session, submission=submission, actor_id=librarian.id)
    for submission in featured:  # a few likes from other readers
        for reader in rng.sample(students, k=min(3, len(students))):
            if reader.id != submission.user_id:
                likes.like(session, submission=submission, user_id=reader.id)
