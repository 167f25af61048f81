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


def _in_language_of(text: str, author, zh: str, en: str) -> str:
    """A librarian's note in the language the reader wrote in (or reads in, for a photo alone)."""
    if text:
        return zh if any("\u4e00" <= ch <= "\u9fff" for ch in text) else en
    return zh if author.locale == "zh_Hans" else en


SPINES = ("#9b2226", "#bc6c25", "#1d3557", "#2a6f66", "#6d597a", "#e9b765", "#7a4b2a", "#3a5a40", "#c9a26f")


def _picture(rng, n: int) -> bytes:
    """A reader's "photo", drawn: shelves of books, or the reading room's windows and desks, with
    sizes and colours from ``rng`` so no two are alike (none is flagged as a copy)."""
    from PIL import Image, ImageDraw

    w, h = 640, 420
    if n % 2:  # the reading room: tall windows, light across the floor, rows of desks
        image = Image.new("RGB", (w, h), (236, 222, 196))
        draw = ImageDraw.Draw(image)
        panes = rng.randint(3, 5)
        for k in range(panes):
            x = 40 + k * (w - 80) // panes
            draw.rectangle((x + 10, 30, x + (w - 80) // panes - 10, 200), fill=(198, 224, 236))
            draw.polygon([(x + 10, 200), (x + (w - 80) // panes - 10, 200), (x + (w - 80) // panes + 30, h),
                          (x + 50, h)], fill=(247, 233, 200))
        for row in range(rng.randint(2, 3)):
            y = 250 + row * 60
            for k in range(rng.randint(3, 5)):
                x = 30 + k * 150 + rng.randint(-10, 10)
                draw.rectangle((x, y, x + 120, y + 14), fill=(138, 90, 59))
                if rng.random() < 0.6:
                    draw.rectangle((x + 20, y - 8, x + 50, y), fill=rng.choice(SPINES))
    else:  # shelves of books, each spine its own height and colour
        image = Image.new("RGB", (w, h), (92, 62, 40))
        draw = ImageDraw.Draw(image)
        shelves = rng.randint(3, 4)
        for s in range(shelves):
            bottom = (s + 1) * h // shelves - 12
            draw.rectangle((0, bottom, w, bottom + 12), fill=(150, 104, 66))
            x = rng.randint(6, 30)
            while x < w - 20:
                width, height = rng.randint(14, 34), rng.randint(h // shelves - 60, h // shelves - 22)
                draw.rectangle((x, bottom - height, x + width, bottom), fill=rng.choice(SPINES))
                draw.rectangle((x + 3, bottom - height + 12, x + width - 3, bottom - height + 16), fill=(233, 183, 101))
                x += width + rng.randint(1, 4)
                if rng.random() < 0.08:
                    x += rng.randint(20, 50)  # a gap where a book is out on loan
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
                           reason=_in_language_of(text, author, "请注明拍摄地点。",
                                                  "Please add where the photo was taken."))
    for submission in featured[::2]:
        moderation.feature(session, submission=submission, actor_id=librarian.id)
    for submission in featured:  # a few likes from other readers
        for reader in rng.sample(students, k=min(3, len(students))):
            if reader.id != submission.user_id:
                likes.like(session, submission=submission, user_id=reader.id)
