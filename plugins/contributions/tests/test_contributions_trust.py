"""What a reader or librarian can see and do: a submission's image is cached as public only once
the work is approved (before, and after a rejection, only its author and librarians get it, and
no shared cache keeps it); a librarian never approves or features, and so pays, their own work."""

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


def test_a_librarian_cannot_approve_or_feature_their_own_work(app, people):
    from core.models import PointEntry, Role
    from core.testing import create_test_user

    from .conftest import login, rows

    lib, librarian = people["lib"]
    challenge = make_challenge(app)
    send(librarian, challenge.id)
    (own,) = submissions(app)
    response = librarian.post("/contributions/moderation", data={"ids": [own.id], "decision": "approve"})
    assert response.status_code == 403 and "your own submission" in response.get_data(as_text=True)
    assert rows(app, PointEntry) == [] and submissions(app)[0].status == "pending"
    colleague = login(app, create_test_user(app, Role.librarian))
    assert colleague.post("/contributions/moderation", data={"ids": [own.id], "decision": "approve"}
                          ).status_code == 302
    assert librarian.post(f"/contributions/submissions/{own.id}/feature").status_code == 403
    assert [e.user_id for e in rows(app, PointEntry)] == [lib.id]  # paid once, by the colleague's decision
