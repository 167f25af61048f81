"""Pages, librarians' editing, roles, every hook, share pages, and the plugin switch."""

from __future__ import annotations

import io
import random

import pytest
from sqlalchemy import func, select

from core.plugins import get_host, set_enabled
from core.screens import ScreenInfo, plugin_slides
from plugins.brand_stories.models import Character, Episode, Poll, PollOption, Series, StoryImage

from .conftest import png


def switch(app, enabled):
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        set_enabled(session, name="brand_stories", enabled=enabled, actor_id=None)


def total(stories, model):
    with stories.db.session() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_hook_engage_menu_items_and_home_panel(stories):
    page = stories.client(stories.students[0]).get("/").text
    assert 'href="/stories/"' in page and ">Stories<" in page
    assert "The missing seal" in page and "voters so far" in page


def test_hook_engage_admin_panels(stories):
    page = stories.client(stories.librarian).get("/admin/").text
    assert "Brand stories" in page and "/stories/manage" in page


def test_hook_engage_screen_slides_shows_turnout_then_results(stories):
    with stories.app.test_request_context():
        (name, slide), = plugin_slides(ScreenInfo(None, "Lobby", "zh_Hans", 10, (), 0), only="brand_stories")
        assert name == "brand_stories" and slide.key == "poll"
        assert slide.title == "故事投票" and '<p class="tv-big">6 人投票</p>' in slide.html
        assert slide.url.startswith("http://") and f"/stories/polls/{stories.poll.id}" in slide.url
    stories.client(stories.librarian).post(f"/stories/manage/polls/{stories.poll.id}/close", data={"confirmed": "1"})
    with stories.app.test_request_context():
        (_name, slide), = plugin_slides(ScreenInfo(None, "Lobby", "en", 10, (), 0), only="brand_stories")
        assert "The poll has closed." in slide.html and "approval" in slide.html


def test_hook_engage_content_targets_lists_the_published_episodes(stories):
    with stories.app.test_request_context():
        targets = get_host().hooks.engage_content_targets(user=None)
    keys = [t.key for group in targets for t in (group if isinstance(group, list) else [group])]
    assert sorted(keys) == [f"brand_stories:episode:{n}" for n in (1, 2, 3)]


def test_hook_engage_demo_data_builds_the_brand(app):
    from core.testing import create_test_user
    students = [create_test_user(app) for _ in range(5)]
    with app.test_request_context(), app.extensions["engage.db"].write_session() as session:
        # Only this plugin's implementation: the other plugins' demos are not under test here.
        (ours,) = [i for i in get_host().pm.hook.engage_demo_data.get_hookimpls() if i.plugin_name == "brand_stories"]
        ours.function(session=session, rng=random.Random(1), students=students, librarians=[])
    with app.extensions["engage.db"].session() as session:
        assert session.execute(select(func.count()).select_from(Character)).scalar_one() == 4
        assert session.execute(select(func.count()).select_from(Episode)).scalar_one() == 3


def test_hook_engage_badge_rules(stories):
    page = stories.client().get("/badges/").text
    for name in ("First say", "Story shaper", "Designer", "Contest winner"):
        assert name in page


def test_episode_share_page_has_open_graph_tags_and_a_qr_code(stories):
    episode_id = stories.poll.episode_id
    page = stories.client().get(f"/stories/episodes/{episode_id}").text
    assert '<meta property="og:title" content="The missing seal">' in page
    assert 'property="og:description" content="The seal that should close the poem' in page
    assert f'<meta property="og:url" content="http://localhost/stories/episodes/{episode_id}">' in page
    image_url = page.split('property="og:image" content="')[1].split('"')[0]
    assert image_url.startswith("http://localhost/stories/images/")
    picture = stories.client().get(image_url.replace("http://localhost", ""))
    assert picture.status_code == 200 and picture.mimetype in ("image/png", "image/jpeg")
    assert picture.headers["X-Content-Type-Options"] == "nosniff"
    assert "share-qr" in page and "<svg" in page.split("share-qr")[1]
    poll_page = stories.client().get(f"/stories/polls/{stories.poll.id}").text
    assert 'property="og:title" content="Where should they look for the seal next?"' in poll_page


def test_pages_in_chinese(stories):
    client = stories.client()
    client.post("/language", data={"locale": "zh_Hans", "next": "/"})
    page = client.get(f"/stories/episodes/{stories.poll.episode_id}").text
    assert "消失的印章" in page and "<html lang=\"zh-Hans\">" in page
    assert "小卷" in client.get("/stories/").text


def test_unknown_or_unpublished_pages_answer_404(stories):
    client = stories.client(stories.students[0])
    for path in ("/stories/episodes/999", "/stories/characters/999", "/stories/contests/999",
                 "/stories/images/999", "/stories/contests/999/ballots.csv"):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("path", ["/stories/manage", "/stories/manage/characters/new", "/stories/manage/series/new",
                                  "/stories/manage/episodes/new", "/stories/manage/contests/new",
                                  "/stories/manage/episodes/1/polls/new", "/stories/manage/contests/1",
                                  "/stories/manage/polls/1/options"])
def test_management_pages_are_for_librarians(stories, path):
    assert stories.client(stories.students[0]).get(path).status_code == 403
    anonymous = stories.client().get(path)
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.location
    assert stories.client(stories.librarian).get(path).status_code == 200


def test_librarians_write_the_brand_in_both_languages(stories):
    client = stories.client(stories.librarian)
    response = client.post("/stories/manage/characters/new", content_type="multipart/form-data", data={
        "name_en": "Little Brush", "name_zh": "小笔", "bio_en": "Paints.", "bio_zh": "画画。", "position": "5",
        "image": (io.BytesIO(png()), "brush.png")})
    assert response.status_code == 303
    with stories.db.session() as session:
        brush = session.execute(select(Character).where(Character.name_en == "Little Brush")).scalar_one()
        assert brush.image_id is not None
    assert client.post("/stories/manage/series/new", data={"title_en": "Winter", "title_zh": "冬"}).status_code == 303
    with stories.db.session() as session:
        series_id = session.execute(select(Series.id).where(Series.title_en == "Winter")).scalar_one()
    response = client.post("/stories/manage/episodes/new", data={
        "series_id": series_id, "number": "1", "title_en": "Snow", "title_zh": "雪", "body_en": "It snows.",
        "body_zh": "下雪了。", "publish_at": "2030-01-01T08:00"})
    assert response.status_code == 303
    with stories.db.session() as session:
        snow = session.execute(select(Episode).where(Episode.title_en == "Snow")).scalar_one()
    assert snow.publish_at.isoformat() == "2030-01-01T00:00:00+00:00"  # 08:00 library time (Asia/Shanghai)
    assert stories.client(stories.students[0]).get(f"/stories/episodes/{snow.id}").status_code == 404
    response = client.post(f"/stories/manage/episodes/{snow.id}/polls/new", data={
        "question_en": "Next?", "question_zh": "然后？", "options": "Skate | 滑冰\nSleep | 睡觉",
        "opens_at": "2030-01-01T08:00", "closes_at": "2030-01-08T08:00"})
    assert response.status_code == 303
    with stories.db.session() as session:
        poll = session.execute(select(Poll).where(Poll.question_en == "Next?")).scalar_one()
        texts = session.execute(select(PollOption.text_zh).where(PollOption.poll_id == poll.id)).scalars().all()
    assert texts == ["滑冰", "睡觉"]


def test_bad_librarian_input_stores_nothing(stories):
    client = stories.client(stories.librarian)
    before = (total(stories, Poll), total(stories, Character), total(stories, StoryImage))
    one_option = client.post("/stories/manage/episodes/1/polls/new", data={
        "question_en": "Q", "question_zh": "问", "options": "Only | 唯一", "opens_at": "2030-01-01T08:00",
        "closes_at": "2029-01-01T08:00"})
    assert one_option.status_code == 400 and "Give two to eight options." in one_option.text
    assert "The poll must close after it opens." in one_option.text
    half = client.post("/stories/manage/episodes/1/polls/new", data={
        "question_en": "Q", "question_zh": "问", "options": "A | 甲\nB", "opens_at": "2030-01-01T08:00",
        "closes_at": "2030-01-02T08:00"})
    assert half.status_code == 400
    fake = client.post("/stories/manage/characters/new", content_type="multipart/form-data", data={
        "name_en": "X", "name_zh": "叉", "image": (io.BytesIO(b"GIF89a not really"), "x.gif")})
    assert fake.status_code == 400
    assert client.post("/stories/manage/characters/1", data={"name_en": "Little Scroll", "name_zh": "小卷",
                                                            "position": ""}).status_code == 303  # blank order kept
    nameless = client.post("/stories/manage/characters/new", data={"name_en": "", "name_zh": ""})
    assert nameless.status_code == 400 and "This field is required." in nameless.text
    wrong_option = client.post(f"/stories/manage/polls/{stories.poll.id}/options",
                               data={"option_id": "99999", "image": (io.BytesIO(png()), "a.png")},
                               content_type="multipart/form-data")
    assert wrong_option.status_code == 400
    assert (total(stories, Poll), total(stories, Character), total(stories, StoryImage)) == before


def test_an_option_gets_a_picture(stories):
    option = stories.options[0]
    response = stories.client(stories.librarian).post(
        f"/stories/manage/polls/{stories.poll.id}/options", content_type="multipart/form-data",
        data={"option_id": str(option.id), "image": (io.BytesIO(png()), "a.png")})
    assert response.status_code == 303
    with stories.db.session() as session:
        assert session.get(PollOption, option.id).image_id is not None


def test_disabled_plugin_routes_answer_404_and_everything_returns(stories):
    student = stories.client(stories.students[0])
    switch(stories.app, False)
    for path in ("/stories/", f"/stories/polls/{stories.poll.id}", "/stories/manage"):
        assert student.get(path).status_code == 404
    assert student.post(f"/stories/polls/{stories.poll.id}/vote", data={"option": [stories.options[0].id]}
                        ).status_code == 404
    home = student.get("/").text
    assert 'href="/stories/"' not in home and "The missing seal" not in home
    assert "First say" not in student.get("/badges/").text
    switch(stories.app, True)
    assert student.get("/stories/").status_code == 200
    assert "The missing seal" in student.get("/").text
    assert "Where should they look" in student.get(f"/stories/polls/{stories.poll.id}").text
