"""Embeddable boards for the library's website: JSON and a frameable HTML page, 304 on a current ETag."""

from __future__ import annotations

import pytest

from core.models import Role
from core.points import award
from core.testing import create_test_user


def pay(app, user, amount, key):
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        award(session, user_id=user.id, amount=amount, rule="manual", plugin="core", idempotency_key=key)


def test_the_json_board_lists_readers_ranked_and_answers_304_until_something_changes(app_factory):
    app = app_factory(SCREEN_VERSION_SECONDS=0)
    client = app.test_client()
    ada, bo = create_test_user(app, display_name="Ada", cohort="Physics"), create_test_user(app, display_name="Bo")
    create_test_user(app, Role.librarian, display_name="Staff")
    pay(app, ada, 30, "a")
    pay(app, bo, 10, "b")
    first = client.get("/embed/boards/all.json")
    assert first.status_code == 200 and first.headers["Access-Control-Allow-Origin"] == "*"
    assert [(r["rank"], r["name"], r["points"]) for r in first.json["rows"]] == [(1, "Ada", 30), (2, "Bo", 10)]
    etag = first.headers["ETag"]
    again = client.get("/embed/boards/all.json", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    pay(app, bo, 50, "c")
    changed = client.get("/embed/boards/all.json", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json["rows"][0]["name"] == "Bo"
    physics = client.get("/embed/boards/all.json?cohort=Physics&limit=1")
    assert [r["name"] for r in physics.json["rows"]] == ["Ada"]


def test_opted_out_readers_never_appear(app_factory):
    app = app_factory(SCREEN_VERSION_SECONDS=0)
    hidden = create_test_user(app, display_name="Hidden", hide_from_boards=True)
    pay(app, hidden, 5, "h")
    assert app.test_client().get("/embed/boards/all.json").json["rows"] == []


def test_the_html_board_may_be_framed_only_by_the_configured_origins(app_factory):
    app = app_factory(EMBED_FRAME_ANCESTORS=["https://library.example.edu"], SCREEN_VERSION_SECONDS=0)
    client = app.test_client()
    pay(app, create_test_user(app, display_name="Ada"), 30, "a")
    page = client.get("/embed/boards/week?lang=zh_Hans")
    assert page.status_code == 200
    assert "frame-ancestors https://library.example.edu" in page.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in page.headers
    text = page.get_data(as_text=True)
    assert "Ada" in text and 'lang="zh-Hans"' in text and "本周" in text
    assert client.get("/embed/boards/week?lang=zh_Hans", headers={"If-None-Match": page.headers["ETag"]}).status_code == 304
    # every other page still refuses to be framed
    assert "frame-ancestors 'none'" in client.get("/embed/boards/all.json").headers["Content-Security-Policy"]
    assert client.get("/boards/").headers["X-Frame-Options"] == "DENY"


def test_unknown_boards_answer_404_and_bad_arguments_fall_back(app):
    client = app.test_client()
    assert client.get("/embed/boards/decade.json").status_code == 404
    assert client.get("/embed/boards/decade").status_code == 404
    assert client.get("/embed/boards/all.json?cohort=Nowhere").status_code == 404
    assert client.get("/embed/boards/all.json?lang=xx&limit=99999").json["language"] == "en"
    assert client.get("/embed/boards/all.json?limit=abc").status_code == 200


def test_a_bad_embed_frame_ancestor_stops_the_app(app_factory):
    with pytest.raises(ValueError, match="EMBED_FRAME_ANCESTORS"):
        app_factory(EMBED_FRAME_ANCESTORS=["*"])


def test_a_current_etag_with_a_language_is_answered_before_flask(app_factory):
    app = app_factory(SCREEN_VERSION_SECONDS=0)
    client = app.test_client()
    seen = []
    app.before_request(lambda: seen.append(1))
    pay(app, create_test_user(app, display_name="Ada"), 30, "a")
    tags = {}
    for path in ("/embed/boards/month.json?lang=en&limit=5", "/embed/boards/month?lang=zh_Hans&cohort=%20"):
        tags[path] = client.get(path).headers["ETag"]
        seen.clear()
        again = client.get(path, headers={"If-None-Match": tags[path]})
        assert again.status_code == 304 and again.headers["ETag"] == tags[path] and seen == []
    pay(app, create_test_user(app, display_name="Bo"), 40, "b")
    seen.clear()
    path = "/embed/boards/month.json?lang=en&limit=5"
    changed = client.get(path, headers={"If-None-Match": tags[path]})
    assert changed.status_code == 200 and seen == [1] and changed.json["rows"][0]["name"] == "Bo"
