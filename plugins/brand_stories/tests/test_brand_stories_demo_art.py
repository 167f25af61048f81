"""The demo's brand characters are drawn, each differently, with no words baked into the pictures."""

from __future__ import annotations

import hashlib
import io
import random

from PIL import Image
from sqlmodel import select

from plugins.brand_stories import artwork, demo
from plugins.brand_stories.models import Character, StoryImage


def _sketches():
    return [artwork.character(kind, colour, n) for n, (_en, _zh, (kind, colour), *_bio) in enumerate(demo.CHARACTERS)]


def test_each_character_is_drawn_differently_and_without_text():
    svgs = [artwork.to_svg(sketch) for sketch in _sketches()]
    assert len({hashlib.sha256(svg.encode()).hexdigest() for svg in svgs}) == len(svgs) == 4
    for svg in svgs:
        assert svg.startswith("<svg") and "<text" not in svg and "<tspan" not in svg and "<script" not in svg
        assert svg.count("<polygon") > 15  # a figure, not a placeholder circle
    assert len({kind for _en, _zh, (kind, _c), *_bio in demo.CHARACTERS}) == 4


def test_the_same_seed_draws_the_same_picture():
    assert artwork.to_png(artwork.character("owl", "#f2d48f", 3)) == artwork.to_png(artwork.character("owl", "#f2d48f", 3))


def test_the_stored_character_pictures_are_distinct_drawings(stories):
    with stories.db.session() as session:
        rows = session.exec(select(StoryImage).join(Character, Character.image_id == StoryImage.id)).all()
    assert len(rows) == 4
    assert len({hashlib.sha256(row.data).hexdigest() for row in rows}) == 4
    for row in rows:
        image = Image.open(io.BytesIO(row.data)).convert("RGB")
        assert len(image.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 50  # drawn, not a flat card


def test_episode_and_design_pictures_differ_from_each_other(app):
    from core.testing import create_test_user
    students = [create_test_user(app) for _ in range(4)]
    with app.test_request_context(), app.extensions["engage.db"].write_session() as session:
        demo.populate(session, random.Random(3), students, [])
    with app.extensions["engage.db"].session() as session:
        digests = [hashlib.sha256(row.data).hexdigest() for row in session.exec(select(StoryImage)).all()]
    assert len(digests) == 4 + 3 + 4 and len(set(digests)) == len(digests)
