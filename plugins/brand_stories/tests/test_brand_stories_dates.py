"""Saving an episode never moves its dates: a field left out, or sent back as shown, keeps the
stored instant exactly (it once moved 8 hours earlier on every save in Asia/Shanghai)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import select

from plugins.brand_stories.models import Contest, Episode

STORED = datetime(2030, 5, 1, 1, 2, 3, tzinfo=timezone.utc)  # 09:02:03 library time


def episode_with_a_stored_time(stories) -> int:
    with stories.session() as session:
        episode = session.execute(select(Episode).order_by(Episode.id)).scalars().first()
        episode.publish_at = STORED
        session.add(episode)
        return episode.id


def stored(stories, episode_id: int) -> Episode:
    with stories.db.session() as session:
        return session.get(Episode, episode_id)


def test_an_episode_saved_without_its_publish_time_keeps_it_exactly(stories):
    episode_id = episode_with_a_stored_time(stories)
    client = stories.client(stories.librarian)
    for _ in range(3):  # each save used to move it 8 hours earlier
        response = client.post(f"/stories/manage/episodes/{episode_id}", data={"title_en": "Renamed"})
        assert response.status_code == 303
    after = stored(stories, episode_id)
    assert after.publish_at == STORED and after.title_en == "Renamed"


def test_an_episode_saved_with_its_page_unchanged_keeps_every_value(stories):
    episode_id = episode_with_a_stored_time(stories)
    before = stored(stories, episode_id)
    client = stories.client(stories.librarian)
    page = client.get(f"/stories/manage/episodes/{episode_id}").text
    assert 'value="2030-05-01T09:02"' in page  # shown in library time
    response = client.post(f"/stories/manage/episodes/{episode_id}", data={
        "series_id": before.series_id, "number": before.number, "title_en": before.title_en,
        "title_zh": before.title_zh, "body_en": before.body_en, "body_zh": before.body_zh,
        "publish_at": "2030-05-01T09:02"})
    assert response.status_code == 303
    after = stored(stories, episode_id)
    assert after.model_dump() == before.model_dump()  # the seconds too


def test_a_changed_publish_time_is_read_in_library_time(stories):
    episode_id = episode_with_a_stored_time(stories)
    response = stories.client(stories.librarian).post(f"/stories/manage/episodes/{episode_id}",
                                                      data={"publish_at": "2030-06-01T20:30"})
    assert response.status_code == 303
    assert stored(stories, episode_id).publish_at == datetime(2030, 6, 1, 12, 30, tzinfo=timezone.utc)


def test_an_empty_or_bad_publish_time_changes_nothing(stories):
    episode_id = episode_with_a_stored_time(stories)
    client = stories.client(stories.librarian)
    for value in ("", "next week"):
        response = client.post(f"/stories/manage/episodes/{episode_id}", data={"publish_at": value,
                                                                             "title_en": "Changed"})
        assert response.status_code == 400 and "Enter a date and time." in response.text
    after = stored(stories, episode_id)
    assert after.publish_at == STORED and after.title_en != "Changed"


def test_a_new_contest_stores_its_dates_as_typed_in_library_time(stories):
    response = stories.client(stories.librarian).post("/stories/manage/contests/new", data={
        "title_en": "Mascot", "title_zh": "吉祥物", "brief_en": "Draw", "brief_zh": "画", "subject": "character",
        "submissions_close_at": "2030-01-01T08:00", "voting_opens_at": "2030-01-02T08:00",
        "voting_closes_at": "2030-01-03T08:00"})
    assert response.status_code == 303
    with stories.db.session() as session:
        contest = session.execute(select(Contest).where(Contest.title_en == "Mascot")).scalar_one()
    assert contest.submissions_close_at == datetime(2030, 1, 1, 0, 0, tzinfo=timezone.utc)
    assert contest.voting_closes_at == datetime(2030, 1, 3, 0, 0, tzinfo=timezone.utc)
