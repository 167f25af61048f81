"""Helpers for the contributions tests: signed-in clients, challenges and pictures."""

from __future__ import annotations

import io
import random
from datetime import timedelta

import pytest
from PIL import Image, ImageDraw
from sqlmodel import select

from core.models import Role, utcnow
from core.testing import PASSWORD, create_test_user
from plugins.contributions import service
from plugins.contributions.models import Challenge, Submission


def login(app, user):
    """A test client signed in as ``user``."""
    client = app.test_client()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def picture(color=(200, 40, 40), size=(120, 80), fmt="PNG", plain=False, **save) -> bytes:
    """A small image with blocks of light and dark placed by ``color``, so each colour has a
    fingerprint of its own (a plain one hashes to nothing in particular)."""
    image = Image.new("RGB", size, color)
    if not plain:
        rng = random.Random(str(color))
        draw = ImageDraw.Draw(image)
        for _ in range(12):
            x, y = rng.randrange(size[0]), rng.randrange(size[1])
            shade = rng.choice([(0, 0, 0), (255, 255, 255), color[::-1]])
            draw.rectangle([x, y, x + size[0] // 5, y + size[1] // 4], fill=shade)
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def make_challenge(app, **fields) -> Challenge:
    """A challenge open now (unless told otherwise), written through the service."""
    now = utcnow()
    values = dict(title_en="Review a book", title_zh="写一篇书评", description_en="Tell us.", description_zh="告诉我们。",
                  kind="review", opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=7), points=15,
                  feature_points=20, max_per_user=2, require_text=True, require_link=False, require_image=False,
                  allow_image=True)
    values.update(fields)
    with app.test_request_context("/"), app.extensions["engage.db"].write_session() as session:
        return service.save_challenge(session, challenge=None, actor_id=None, **values)


def rows(app, model, *where):
    with app.app_context(), app.extensions["engage.db"].session() as session:
        return list(session.exec(select(model).where(*where).order_by(model.id)))


@pytest.fixture
def people(app):
    """A librarian and two students, each with a signed-in client."""
    lib = create_test_user(app, Role.librarian, display_name="Librarian Li")
    ann = create_test_user(app, Role.student, display_name="Ann")
    bob = create_test_user(app, Role.student, display_name="Bob")
    return {"lib": (lib, login(app, lib)), "ann": (ann, login(app, ann)), "bob": (bob, login(app, bob))}


@pytest.fixture
def challenge(app):
    return make_challenge(app)


def send(client, challenge_id, text="A thoughtful review of a wonderful book.", **data):
    """POST a submission; returns the response."""
    form = {"text": text, "link": ""}
    form.update(data)
    return client.post(f"/contributions/challenges/{challenge_id}/submit", data=form,
                       content_type="multipart/form-data")


def submissions(app, *where):
    return rows(app, Submission, *where)
