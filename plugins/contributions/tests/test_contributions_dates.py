"""Editing a challenge never moves its dates: a time left out of the form, or sent back as the
page showed it, keeps the stored instant exactly; a changed one is read in library time."""

from __future__ import annotations

from datetime import datetime, timezone

from plugins.contributions.models import Challenge

from .conftest import make_challenge, rows

OPENS = datetime(2030, 3, 1, 1, 0, 42, tzinfo=timezone.utc)    # 09:00:42 library time
CLOSES = datetime(2030, 3, 10, 10, 0, 7, tzinfo=timezone.utc)  # 18:00:07 library time


def test_a_partial_edit_keeps_what_it_does_not_send(app, people):
    challenge = make_challenge(app, opens_at=OPENS, closes_at=CLOSES)
    _lib, librarian = people["lib"]
    for _ in range(2):
        response = librarian.post(f"/contributions/challenges/{challenge.id}/edit",
                                  data={"title_en": "Photos of spring", "require_text": "y", "allow_image": "y"})
        assert response.status_code == 302, response.data
    (saved,) = rows(app, Challenge)
    assert (saved.opens_at, saved.closes_at) == (OPENS, CLOSES)
    assert saved.title_en == "Photos of spring" and saved.points == challenge.points
    assert saved.max_per_user == challenge.max_per_user and saved.description_zh == challenge.description_zh


def test_an_unchanged_edit_keeps_the_dates_to_the_second(app, people):
    challenge = make_challenge(app, opens_at=OPENS, closes_at=CLOSES)
    _lib, librarian = people["lib"]
    page = librarian.get(f"/contributions/challenges/{challenge.id}/edit").data.decode()
    assert 'value="2030-03-01T09:00"' in page and 'value="2030-03-10T18:00"' in page
    form = {"title_en": challenge.title_en, "title_zh": challenge.title_zh, "kind": challenge.kind,
            "description_en": challenge.description_en, "description_zh": challenge.description_zh,
            "opens_at": "2030-03-01T09:00", "closes_at": "2030-03-10T18:00", "points": str(challenge.points),
            "feature_points": str(challenge.feature_points), "max_per_user": str(challenge.max_per_user),
            "require_text": "y", "allow_image": "y"}
    assert librarian.post(f"/contributions/challenges/{challenge.id}/edit", data=form).status_code == 302
    (saved,) = rows(app, Challenge)
    assert saved.model_dump() == challenge.model_dump()


def test_a_changed_time_is_read_in_library_time(app, people):
    challenge = make_challenge(app, opens_at=OPENS, closes_at=CLOSES)
    _lib, librarian = people["lib"]
    response = librarian.post(f"/contributions/challenges/{challenge.id}/edit",
                              data={"closes_at": "2030-03-20T08:30", "require_text": "y", "allow_image": "y"})
    assert response.status_code == 302
    (saved,) = rows(app, Challenge)
    assert saved.opens_at == OPENS and saved.closes_at == datetime(2030, 3, 20, 0, 30, tzinfo=timezone.utc)


def test_an_empty_time_is_refused_and_changes_nothing(app, people):
    challenge = make_challenge(app, opens_at=OPENS, closes_at=CLOSES)
    _lib, librarian = people["lib"]
    response = librarian.post(f"/contributions/challenges/{challenge.id}/edit",
                              data={"opens_at": "", "title_en": "Changed"})
    assert response.status_code == 400 and "Enter a date and time." in response.data.decode()
    (saved,) = rows(app, Challenge)
    assert saved.model_dump() == challenge.model_dump()
