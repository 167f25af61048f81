"""Uploads are rate-limited per signed-in account (``core.security.rate_limit(per_user=True)``):
one person's burst of pictures is stopped, a colleague at the same address is not."""

from __future__ import annotations

import io

from PIL import Image

from core.models import Role
from core.testing import PASSWORD, create_test_user


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "#335577").save(out, format="PNG")
    return out.getvalue()


def signed_in(app, user):
    client = app.test_client()
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    return client


def upload(client):
    return client.post("/badges/core:champion/artwork", data={"image": (io.BytesIO(png()), "a.png")},
                       content_type="multipart/form-data")


def test_uploads_are_limited_per_account(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, UPLOAD_RATE_LIMIT="2 per minute", LOGIN_RATE_LIMIT="100 per minute")
    first, second = create_test_user(app, Role.admin), create_test_user(app, Role.admin)
    one, two = signed_in(app, first), signed_in(app, second)
    assert [upload(one).status_code for _ in range(3)] == [302, 302, 429]
    assert upload(two).status_code == 302  # same address, another person
    assert one.get("/badges/manage").status_code == 200  # only uploads are limited


def test_plugin_upload_forms_are_limited_too(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, UPLOAD_RATE_LIMIT="1 per minute", LOGIN_RATE_LIMIT="100 per minute")
    reader = signed_in(app, create_test_user(app))
    codes = [reader.post("/feedback/new", data={"category": "0", "text": ""}).status_code for _ in range(2)]
    assert codes[-1] == 429
