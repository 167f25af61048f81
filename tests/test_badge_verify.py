"""The human-readable badge verification page: who earned what, when, from whom, valid or
withdrawn, the Open Badge JSON one click further, and share previews on the public address."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import badges
from core.models import BadgeAward, Role, User
from core.points import award

KEY = "core:first-points"


@pytest.fixture
def earned(app, make_user, db):
    """A reader with a public page who has earned core's first-points badge; (user, award id)."""
    make_user(Role.admin, email="desk@test.library")
    user = make_user(email="ada@test.library", display_name="Ada Reader")
    with app.app_context(), db.write_session() as session:
        session.get(User, user.id).public_profile = True
        award(session, user_id=user.id, amount=5, rule="read", plugin="core", idempotency_key="verify:1")
    with db.session() as session:
        award_id = session.execute(select(BadgeAward.id).where(BadgeAward.user_id == user.id,
                                                               BadgeAward.badge_key == KEY)).scalar_one()
    return user, award_id


def test_verification_page_says_who_earned_what_when_and_from_whom(app, client, earned):
    user, award_id = earned
    page = client.get(f"/badges/verify/{award_id}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    body = page.get_data(as_text=True)
    assert "Valid: awarded by University Library and not withdrawn." in body
    assert "Ada Reader" in body and f'href="/people/{user.id}"' in body
    assert "Earned on" in body and "Awarded by" in body
    # The JSON is one click further, unchanged.
    assert f'href="/openbadges/assertions/{award_id}"' in body
    assert client.get(f"/openbadges/assertions/{award_id}").mimetype == "application/ld+json"
    assert "ada@test.library" not in body


def test_share_previews_use_the_public_address_not_the_host_header(app, client, earned):
    _user, award_id = earned
    body = client.get(f"/badges/verify/{award_id}", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert f'<meta property="og:url" content="http://localhost/badges/verify/{award_id}">' in body
    assert f'<meta property="og:image" content="http://localhost/openbadges/badges/{KEY}/image.png">' in body
    assert '<meta property="og:title"' in body and "Ada Reader earned the badge" in body
    assert "evil.example" not in body


def test_without_a_public_address_the_page_still_answers_without_absolute_links(app_factory, make_user, db):
    app = app_factory(PUBLIC_BASE_URL=None)
    user = make_user(email="bo@test.library")
    with app.app_context(), db.write_session() as session:
        award(session, user_id=user.id, amount=5, rule="read", plugin="core", idempotency_key="verify:2")
    with db.session() as session:
        award_id = session.execute(select(BadgeAward.id)).scalar_one()
    body = app.test_client().get(f"/badges/verify/{award_id}").get_data(as_text=True)
    assert "Valid:" in body and "og:url" not in body and "/openbadges/assertions/" not in body


def test_a_private_holder_stays_anonymous(app, client, earned, db):
    user, award_id = earned
    with db.write_session() as session:
        session.get(User, user.id).public_profile = False
    body = client.get(f"/badges/verify/{award_id}").get_data(as_text=True)
    assert "Ada Reader" not in body and "A reader who keeps their name private" in body
    assert '<meta name="robots" content="noindex">' in body


def test_a_withdrawn_badge_shows_as_withdrawn(app, client, earned, make_user, db):
    user, award_id = earned
    librarian = make_user(Role.librarian)
    with app.app_context(), db.write_session() as session:
        badges.revoke(session, user_id=user.id, key=KEY, actor_id=librarian.id, reason="Awarded by mistake")
    page = client.get(f"/badges/verify/{award_id}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "this badge is no longer valid" in body and "Awarded by mistake" in body
    assert "Valid:" not in body
    assert client.get(f"/openbadges/assertions/{award_id}").status_code == 410  # the JSON says so too


def test_verification_page_in_chinese(app, client, earned, db):
    user, award_id = earned
    with db.write_session() as session:
        session.get(User, user.id).public_profile = False
    body = client.get(f"/badges/verify/{award_id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in body
    assert "有效" in body and "不公开姓名" in body


def test_unknown_awards_answer_404(client):
    assert client.get("/badges/verify/999").status_code == 404
    assert client.get("/badges/verify/abc").status_code == 404


def test_the_public_profile_shows_badges_as_tiles_with_a_share_button(app, client, earned):
    user, award_id = earned
    body = client.get(f"/people/{user.id}", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert 'class="badge-grid"' in body and 'class="badge-tile"' in body and "Level 1" in body
    assert f'data-share-url="http://localhost/people/{user.id}"' in body and "hidden" in body
    assert f'<meta property="og:url" content="http://localhost/people/{user.id}">' in body
    assert f'href="/badges/verify/{award_id}"' in body and "evil.example" not in body
    zh = client.get(f"/people/{user.id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "分享" in zh and "1 枚徽章" in zh


def test_a_verifier_can_check_the_holders_email(app, client, earned, db):
    user, award_id = earned
    url = f"/badges/verify/{award_id}"
    yes = client.post(url, data={"email": "  ADA@test.library "})
    assert yes.status_code == 200 and "Yes: this badge was awarded to that address." in yes.get_data(as_text=True)
    no = client.post(url, data={"email": "someone@else.example"}).get_data(as_text=True)
    assert "No: this badge was not awarded to that address." in no
    bad = client.post(url, data={"email": "not an address"})
    assert bad.status_code == 400 and "Yes:" not in bad.get_data(as_text=True)
    long = client.post(url, data={"email": "a" * 300 + "@x.example"})
    assert long.status_code == 400
    zh = client.post(url, data={"email": "ada@test.library"}, headers={"Accept-Language": "zh-CN"})
    assert "是：这枚徽章颁发给了该地址。" in zh.get_data(as_text=True)


def test_the_email_check_is_offered_only_while_open_badges_are_served(app_factory, make_user, db):
    app = app_factory(PUBLIC_BASE_URL=None)
    user = make_user(email="bo@test.library")
    with app.app_context(), db.write_session() as session:
        award(session, user_id=user.id, amount=5, rule="read", plugin="core", idempotency_key="verify:3")
    with db.session() as session:
        award_id = session.execute(select(BadgeAward.id)).scalar_one()
    client = app.test_client()
    assert 'name="email"' not in client.get(f"/badges/verify/{award_id}").get_data(as_text=True)
    assert client.post(f"/badges/verify/{award_id}", data={"email": "bo@test.library"}).status_code == 404
