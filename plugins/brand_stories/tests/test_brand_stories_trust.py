"""Pictures follow what they belong to: a draft episode's picture, a design waiting for
moderation or rejected, and a picture nothing uses are not anyone's to fetch by guessing ids;
only what anyone may see is cached as public. Unpublished episodes are never offered to other
plugins as link targets (their titles would reach readers). A librarian never moderates (and
so pays) their own design."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlmodel import select

from core.models import utcnow
from core.plugins import get_host
from plugins.brand_stories.models import Character, Design, Episode, Poll, PollOption, StoryImage

from .conftest import png


def picture(stories) -> int:
    with stories.session() as session:
        row = StoryImage(data=png(), content_type="image/png", width=64, height=64)
        session.add(row)
        session.flush()
        return row.id


def draft_episode(stories) -> Episode:
    """An episode published next week, with a picture and a poll whose option has a picture."""
    pictures = picture(stories), picture(stories)
    with stories.session() as session:
        first = session.execute(select(Episode).order_by(Episode.id)).scalars().first()
        episode = Episode(series_id=first.series_id, number=9, title_en="The secret ending", title_zh="秘密结局",
                          body_en="Not yet.", body_zh="还没有。", publish_at=utcnow() + timedelta(days=7),
                          image_id=pictures[0])
        session.add(episode)
        session.flush()
        poll = Poll(episode_id=episode.id, question_en="Q?", question_zh="问？", opens_at=utcnow(),
                    closes_at=utcnow() + timedelta(days=9))
        session.add(poll)
        session.flush()
        session.add(PollOption(poll_id=poll.id, text_en="A", text_zh="甲", image_id=pictures[1]))
        session.flush()
        session.expunge_all()
        return episode


def design(stories, status: str) -> Design:
    contest, image_id = stories.new_contest("moderating"), picture(stories)
    with stories.session() as session:
        row = Design(contest_id=contest.id, user_id=stories.students[0].id, title="Mine", status=status,
                     image_id=image_id)
        session.add(row)
        session.flush()
        session.expunge(row)
        return row


def fetch(stories, user, image_id: int):
    return stories.client(user).get(f"/stories/images/{image_id}")


def assert_private(response):
    assert response.status_code == 200
    cache = response.headers["Cache-Control"]
    assert "private" in cache and "public" not in cache, cache


def assert_public(response):
    assert response.status_code == 200 and "public" in response.headers["Cache-Control"]


def test_a_draft_episodes_pictures_are_for_librarians_only(stories):
    episode = draft_episode(stories)
    with stories.db.session() as session:
        option_image = session.execute(select(PollOption.image_id).where(PollOption.text_en == "A")).scalar_one()
    for image_id in (episode.image_id, option_image):
        assert fetch(stories, None, image_id).status_code == 404
        assert fetch(stories, stories.students[1], image_id).status_code == 404
        assert_private(fetch(stories, stories.librarian, image_id))
    # Published, the same picture is anyone's, and cached as such.
    with stories.session() as session:
        session.get(Episode, episode.id).publish_at = utcnow() - timedelta(minutes=1)
    assert_public(fetch(stories, None, episode.image_id))
    assert_public(fetch(stories, None, option_image))


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_a_design_not_accepted_is_seen_by_its_author_and_librarians(stories, status):
    entry = design(stories, status)
    assert fetch(stories, None, entry.image_id).status_code == 404
    assert fetch(stories, stories.students[1], entry.image_id).status_code == 404
    assert_private(fetch(stories, stories.students[0], entry.image_id))
    assert_private(fetch(stories, stories.librarian, entry.image_id))


def test_an_accepted_design_and_a_portrait_are_public(stories):
    entry = design(stories, "accepted")
    assert_public(fetch(stories, None, entry.image_id))
    with stories.db.session() as session:
        portrait = session.execute(select(Character.image_id)).scalars().first()
    assert_public(fetch(stories, None, portrait))


def test_a_picture_nothing_uses_is_for_librarians_only(stories):
    orphan = picture(stories)
    assert fetch(stories, stories.students[0], orphan).status_code == 404
    assert_private(fetch(stories, stories.librarian, orphan))


def test_a_librarians_upload_for_a_draft_stays_private(stories):
    episode = draft_episode(stories)
    client = stories.client(stories.librarian)
    response = client.post(f"/stories/manage/episodes/{episode.id}", content_type="multipart/form-data",
                           data={"image": (io.BytesIO(png(colour="#123456")), "new.png")})
    assert response.status_code == 303
    with stories.db.session() as session:
        image_id = session.get(Episode, episode.id).image_id
    assert image_id != episode.image_id
    assert fetch(stories, stories.students[0], image_id).status_code == 404


def test_unpublished_episodes_are_not_offered_as_link_targets(stories):
    episode = draft_episode(stories)
    with stories.app.test_request_context():
        groups = get_host().hooks.engage_content_targets(user=stories.librarian)
    targets = [t for group in groups for t in (group if isinstance(group, list) else [group])]
    keys = {t.key for t in targets}
    assert f"brand_stories:episode:{episode.id}" not in keys and len(keys) == 3
    assert all("The secret ending" not in str(t.title) for t in targets)
    assert all(t.url.startswith("/") and not t.url.startswith("//") for t in targets)


def test_a_librarian_cannot_moderate_their_own_design(stories):
    from sqlalchemy import func

    from core.models import PointEntry

    contest, image_id = stories.new_contest("moderating"), picture(stories)
    with stories.session() as session:
        own = Design(contest_id=contest.id, user_id=stories.librarian.id, title="Mine", image_id=image_id)
        session.add(own)
        session.flush()
        design_id = own.id
    client = stories.client(stories.librarian)
    response = client.post(f"/stories/manage/designs/{design_id}/accept")
    assert response.status_code == 403 and "your own design" in response.text
    with stories.db.session() as session:
        assert session.get(Design, design_id).status == "pending"
        assert session.execute(select(func.count()).select_from(PointEntry).where(
            PointEntry.user_id == stories.librarian.id)).scalar_one() == 0
