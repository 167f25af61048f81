"""A submission's image is cached as public only once the work is approved; before (and after a
rejection) only its author and librarians get it, and no shared cache keeps it."""

from __future__ import annotations

import io

from .conftest import make_challenge, picture, send, submissions


def test_an_image_is_private_until_its_work_is_approved(app, people):
    _ann, client = people["ann"]
    _lib, librarian = people["lib"]
    send(client, make_challenge(app).id, image=(io.BytesIO(picture()), "p.png"))
    (stored,) = submissions(app)
    path = f"/contributions/images/{stored.image_id}"
    for viewer in (client, librarian):
        cache = viewer.get(path).headers["Cache-Control"]
        assert "private" in cache and "public" not in cache
    assert librarian.post("/contributions/moderation", data={"ids": [stored.id], "decision": "approve"}
                          ).status_code == 302
    response = app.test_client().get(path)
    assert response.status_code == 200 and "public" in response.headers["Cache-Control"]


def test_a_rejected_pieces_image_goes_back_to_its_author(app, people):
    _ann, client = people["ann"]
    _bob, other = people["bob"]
    _lib, librarian = people["lib"]
    send(client, make_challenge(app).id, image=(io.BytesIO(picture()), "p.png"))
    (stored,) = submissions(app)
    librarian.post("/contributions/moderation", data={"ids": [stored.id], "decision": "reject",
                                                      "reason": "Not a review"})
    path = f"/contributions/images/{stored.image_id}"
    assert other.get(path).status_code == 404 and app.test_client().get(path).status_code == 404
    assert "private" in client.get(path).headers["Cache-Control"]
