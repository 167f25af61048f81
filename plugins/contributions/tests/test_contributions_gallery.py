"""Gallery, likes (once, never one's own, capped per author), featuring (bonus once) and badges."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from core.models import BadgeAward, PointEntry, utcnow
from core.testing import create_test_user
from plugins.contributions.models import Like, Submission

from .conftest import login, make_challenge, rows, send, submissions
from .test_contributions_moderation import decide


def approved(app, client, librarian, challenge_id, text):
    send(client, challenge_id, text=text)
    newest = max(submissions(app), key=lambda s: s.id)
    decide(librarian, [newest.id])
    return newest


def test_the_gallery_shows_approved_work_only(app, people, challenge):
    _ann, client = people["ann"]
    _lib, librarian = people["lib"]
    approved(app, client, librarian, challenge.id, "An approved review of a classic novel.")
    send(client, challenge.id, text="A pending review nobody else sees yet.")
    for path in ("/contributions/gallery", f"/contributions/challenges/{challenge.id}", "/contributions/"):
        page = app.test_client().get(path).data.decode()
        assert "An approved review" in page and "A pending review" not in page, path


def test_a_like_counts_once_and_never_on_ones_own_work(app, people, challenge):
    _ann, client = people["ann"]
    _bob, bob = people["bob"]
    _lib, librarian = people["lib"]
    piece = approved(app, client, librarian, challenge.id, "A review worth liking, about a long river.")
    url = f"/contributions/submissions/{piece.id}/like"
    assert bob.post(url).status_code == 302
    twice = bob.post(url)
    assert twice.status_code == 409
    own = client.post(url, headers={"HX-Request": "true"})
    assert own.status_code == 403 and "cannot like your own work" in own.data.decode()
    assert len(rows(app, Like)) == 1 and submissions(app)[0].like_count == 1


def test_the_htmx_like_button_updates_in_place(app, people, challenge):
    _ann, client = people["ann"]
    _bob, bob = people["bob"]
    _lib, librarian = people["lib"]
    piece = approved(app, client, librarian, challenge.id, "A review for the htmx like button test.")
    assert 'hx-post="/contributions/submissions/%d/like"' % piece.id in bob.get("/contributions/gallery").data.decode()
    response = bob.post(f"/contributions/submissions/{piece.id}/like", headers={"HX-Request": "true"})
    body = response.data.decode()
    assert response.status_code == 200 and "<html" not in body
    assert f'id="like-{piece.id}"' in body and '<span class="contrib-count">1</span>' in body
    assert f'hx-post="/contributions/submissions/{piece.id}/unlike"' in body and 'aria-pressed="true"' in body


def test_a_like_can_be_taken_back_once_and_given_again(app, people, challenge):
    _ann, client = people["ann"]
    _bob, bob = people["bob"]
    _lib, librarian = people["lib"]
    piece = approved(app, client, librarian, challenge.id, "A review to like and then unlike.")
    bob.post(f"/contributions/submissions/{piece.id}/like")
    assert submissions(app)[0].like_count == 1
    response = bob.post(f"/contributions/submissions/{piece.id}/unlike", headers={"HX-Request": "true"})
    body = response.data.decode()
    assert response.status_code == 200 and "<html" not in body
    assert f'hx-post="/contributions/submissions/{piece.id}/like"' in body and 'aria-pressed="false"' in body
    assert rows(app, Like) == [] and submissions(app)[0].like_count == 0
    # Idempotent: a second unlike (a double click, a stale page) changes nothing.
    again = bob.post(f"/contributions/submissions/{piece.id}/unlike")
    assert again.status_code == 302 and submissions(app)[0].like_count == 0
    # Liking again works, and the author's own unlike of nothing never goes below zero.
    assert bob.post(f"/contributions/submissions/{piece.id}/like").status_code == 302
    assert client.post(f"/contributions/submissions/{piece.id}/unlike").status_code == 302
    assert submissions(app)[0].like_count == 1 and len(rows(app, Like)) == 1


def test_unlike_needs_sign_in_and_speaks_chinese(app, people, challenge):
    _ann, client = people["ann"]
    _bob, bob = people["bob"]
    _lib, librarian = people["lib"]
    piece = approved(app, client, librarian, challenge.id, "A review liked in Chinese.")
    assert app.test_client().post(f"/contributions/submissions/{piece.id}/unlike").status_code in (302, 401)
    bob.post(f"/contributions/submissions/{piece.id}/like")
    bob.post("/language", data={"locale": "zh_Hans"})
    page = bob.get(f"/contributions/submissions/{piece.id}").data.decode()
    assert 'title="取消点赞"' in page
    done = bob.post(f"/contributions/submissions/{piece.id}/unlike", follow_redirects=True).data.decode()
    assert "你已取消点赞。" in done


def test_pending_work_cannot_be_liked(app, people, challenge):
    _ann, client = people["ann"]
    _lib, librarian = people["lib"]
    send(client, challenge.id)
    (pending,) = submissions(app)
    assert librarian.post(f"/contributions/submissions/{pending.id}/like").status_code == 409
    assert rows(app, Like) == []


def test_likes_from_one_account_to_one_author_are_capped(app_factory):
    app = app_factory(CONTRIBUTIONS_LIKES_PER_AUTHOR_PER_WEEK=2)
    author, fan = create_test_user(app), create_test_user(app)
    lib = create_test_user(app, "librarian")
    client, fan_client, librarian = login(app, author), login(app, fan), login(app, lib)
    challenge = make_challenge(app, max_per_user=5)
    pieces = [approved(app, client, librarian, challenge.id, f"Review number {n} of a different book entirely.")
              for n in range(4)]
    assert [fan_client.post(f"/contributions/submissions/{p.id}/like").status_code for p in pieces[:2]] == [302, 302]
    capped = fan_client.post(f"/contributions/submissions/{pieces[2].id}/like", headers={"HX-Request": "true"})
    assert capped.status_code == 409 and "2 times this week" in capped.data.decode()
    assert len(rows(app, Like)) == 2
    with app.app_context(), app.extensions["engage.db"].write_session() as session:  # a week later
        session.execute(update(Like).values(created_at=utcnow() - timedelta(days=8)))
    assert fan_client.post(f"/contributions/submissions/{pieces[2].id}/like").status_code == 302


def test_featuring_pays_a_bonus_once_and_grants_the_badge(app, people, challenge):
    ann, client = people["ann"]
    _lib, librarian = people["lib"]
    piece = approved(app, client, librarian, challenge.id, "A review good enough to be featured.")
    assert librarian.post(f"/contributions/submissions/{piece.id}/feature").status_code == 302
    assert librarian.post(f"/contributions/submissions/{piece.id}/feature").status_code == 302
    bonus = rows(app, PointEntry, PointEntry.rule == "contributions:featured")
    assert [(b.amount, b.idempotency_key) for b in bonus] == [(20, f"contributions:featured:{piece.id}")]
    badges = {b.badge_key for b in rows(app, BadgeAward, BadgeAward.user_id == ann.id)}
    assert {"contributions:first", "contributions:featured"} <= badges
    assert "Featured" in app.test_client().get("/contributions/gallery").data.decode()


def test_pending_work_cannot_be_featured(app, people, challenge):
    _ann, client = people["ann"]
    _lib, librarian = people["lib"]
    send(client, challenge.id)
    (pending,) = submissions(app)
    assert librarian.post(f"/contributions/submissions/{pending.id}/feature").status_code == 409
    assert submissions(app, Submission.featured_at.is_not(None)) == []


def test_five_approved_contributions_earn_the_five_badge(app, people):
    ann, client = people["ann"]
    _lib, librarian = people["lib"]
    challenge = make_challenge(app, max_per_user=5)
    for n in range(5):
        keys = {b.badge_key for b in rows(app, BadgeAward, BadgeAward.user_id == ann.id)}
        assert "contributions:five" not in keys
        approved(app, client, librarian, challenge.id, f"Contribution number {n}: notes on a different book.")
    keys = {b.badge_key for b in rows(app, BadgeAward, BadgeAward.user_id == ann.id)}
    assert {"contributions:first", "contributions:five"} <= keys


def test_pages_speak_the_readers_language(app, challenge):
    client = app.test_client()
    chinese = client.get("/contributions/", headers={"Accept-Language": "zh-CN"}).data.decode()
    assert "知识贡献挑战" in chinese and "写一篇书评" in chinese and "Review a book" not in chinese
    english = client.get("/contributions/", headers={"Accept-Language": "en"}).data.decode()
    assert "Contribution challenges" in english and "Review a book" in english
