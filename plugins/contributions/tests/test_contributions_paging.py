"""The gallery and the moderation queue show a page at a time, with the shared "Show more"."""

from __future__ import annotations

from plugins.contributions.models import Submission

HX = {"HX-Request": "true"}


def add_pieces(app, challenge_id, user_id, status, count):
    with app.extensions["engage.db"].write_session() as session:
        session.add_all([Submission(challenge_id=challenge_id, user_id=user_id, status=status,
                                    text=f"{status} piece number {n:02d}") for n in range(count)])


def test_the_gallery_pages_newest_first_and_appends_in_place(app, people, challenge):
    ann, _client = people["ann"]
    add_pieces(app, challenge.id, ann.id, "approved", 30)
    reader = app.test_client()
    first = reader.get("/contributions/gallery").get_data(as_text=True)
    assert "approved piece number 29" in first and "approved piece number 05" not in first
    assert 'href="/contributions/gallery?page=2"' in first and 'hx-select="#contrib-gallery > *"' in first
    second = reader.get("/contributions/gallery?page=2", headers=HX).get_data(as_text=True)
    assert "approved piece number 05" in second and "approved piece number 29" not in second
    assert "gallery?page=3" not in second
    challenge_page = reader.get(f"/contributions/challenges/{challenge.id}").get_data(as_text=True)
    assert f"/contributions/challenges/{challenge.id}?page=2" in challenge_page


def test_the_moderation_queue_pages_and_keeps_its_filters(app, people, challenge):
    ann, _client = people["ann"]
    _lib, librarian = people["lib"]
    add_pieces(app, challenge.id, ann.id, "pending", 55)
    first = librarian.get("/contributions/moderation?status=pending").get_data(as_text=True)
    assert "pending piece number 49" in first and "pending piece number 50" not in first
    assert "status=pending&amp;page=2" in first
    second = librarian.get("/contributions/moderation?status=pending&page=2").get_data(as_text=True)
    assert "pending piece number 54" in second and "pending piece number 00" not in second
