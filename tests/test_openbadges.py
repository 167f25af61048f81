"""Open Badges 2.0: hosted assertions, BadgeClass and Issuer documents a verifier can follow,
the salted recipient hash it recomputes, 410 for withdrawn awards, baked PNGs; plus the
withdraw page and the opt-in public profile."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from urllib.parse import urlsplit

import pytest
from openbadges_bakery import unbake
from PIL import Image
from sqlalchemy import select

from core.models import AuditEntry, BadgeAward, Notification, Role
from core.points import award
from core.testing import PASSWORD

CONTEXT = "https://w3id.org/openbadges/v2"
EMAIL = "Reader.One@Test.Library"
KEY = "core:first-points"


@pytest.fixture
def holder(app, make_user, db):
    """A reader who has earned core's first-points badge, and the award's id."""
    make_user(Role.admin, email="desk@test.library")
    user = make_user(email=EMAIL)
    with app.app_context(), db.write_session() as session:
        award(session, user_id=user.id, amount=5, rule="read", plugin="core", idempotency_key="ob:1")
    with db.session() as session:
        award_id = session.execute(select(BadgeAward.id).where(BadgeAward.user_id == user.id,
                                                               BadgeAward.badge_key == KEY)).scalar_one()
    return user, award_id


def fetch(client, url, status=200):
    """Follow a document's URL as a verifier would: on this site's origin, as JSON-LD."""
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("http", "localhost"), f"{url} is not on the issuer's origin"
    response = client.get(parts.path)
    assert response.status_code == status, (url, response.status_code)
    if response.mimetype != "image/png":
        assert response.mimetype == "application/ld+json"
    return response


def test_assertion_badge_class_and_issuer_are_conformant(client, holder):
    user, award_id = holder
    document = fetch(client, f"http://localhost/openbadges/assertions/{award_id}").get_json()
    # Every required Assertion property, with the v2 context and hosted verification.
    assert document["@context"] == CONTEXT and document["type"] == "Assertion"
    assert document["id"] == f"http://localhost/openbadges/assertions/{award_id}"
    assert document["verification"] == {"type": "hosted"}
    issued = datetime.fromisoformat(document["issuedOn"].replace("Z", "+00:00"))
    assert issued.tzinfo is not None
    # The recipient: hashed, salted, recomputable from the email (case-insensitively) and the salt.
    recipient = document["recipient"]
    assert recipient["type"] == "email" and recipient["hashed"] is True and len(recipient["salt"]) >= 8
    expected = "sha256$" + hashlib.sha256((EMAIL.lower() + recipient["salt"]).encode()).hexdigest()
    assert recipient["identity"] == expected and EMAIL.lower() not in str(document).lower()

    badge = fetch(client, document["badge"]).get_json()
    assert badge["@context"] == CONTEXT and badge["type"] == "BadgeClass" and badge["id"] == document["badge"]
    assert badge["name"] and badge["description"] and badge["criteria"]["narrative"]
    assert client.get(urlsplit(badge["criteria"]["id"]).path).status_code == 200  # the human page
    with Image.open(io.BytesIO(fetch(client, badge["image"]).data)) as image:
        assert image.format == "PNG" and image.size == (256, 256)

    issuer = fetch(client, badge["issuer"]).get_json()
    assert issuer["@context"] == CONTEXT and issuer["type"] == "Issuer" and issuer["id"] == badge["issuer"]
    assert issuer["name"] and issuer["url"].startswith("http") and issuer["email"] == "desk@test.library"
    # Hosted verification: the assertion lives on the issuer's own origin.
    assert urlsplit(document["id"]).netloc == urlsplit(issuer["id"]).netloc
    # Stable: asked again, the same document (same salt, same hash).
    assert fetch(client, document["id"]).get_json() == document


def test_salts_differ_between_awards(app, client, holder, make_user, db):
    _user, first = holder
    other = make_user(email="other@test.library")
    with app.app_context(), db.write_session() as session:
        award(session, user_id=other.id, amount=5, rule="read", plugin="core", idempotency_key="ob:2")
    second = first + 1
    one = client.get(f"/openbadges/assertions/{first}").get_json()["recipient"]["salt"]
    two = client.get(f"/openbadges/assertions/{second}").get_json()["recipient"]["salt"]
    assert one != two


def test_baked_png_carries_the_assertion(client, holder):
    _user, award_id = holder
    response = client.get(f"/openbadges/assertions/{award_id}/badge.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "attachment" in response.headers["Content-Disposition"]
    import json

    baked = json.loads(unbake(io.BytesIO(response.data)))
    assert baked == client.get(f"/openbadges/assertions/{award_id}").get_json()


def test_withdrawn_award_answers_410_and_the_reader_is_told(app, client, holder, make_user, auth, db):
    user, award_id = holder
    librarian = make_user(Role.librarian)
    auth.login(librarian.email)
    assert b"Withdraw this badge" in client.get(f"/badges/{KEY}").data
    # A missing reason changes nothing.
    refused = client.post(f"/badges/{KEY}/revoke", data={"who": EMAIL, "reason": ""})
    assert refused.status_code == 400 and client.get(f"/openbadges/assertions/{award_id}").status_code == 200
    done = client.post(f"/badges/{KEY}/revoke", data={"who": EMAIL, "reason": "Awarded by mistake"})
    assert done.status_code == 302

    gone = client.get(f"/openbadges/assertions/{award_id}")
    assert gone.status_code == 410
    assert gone.get_json()["revoked"] is True and gone.get_json()["revocationReason"] == "Awarded by mistake"
    assert client.get(f"/openbadges/assertions/{award_id}/badge.png").status_code == 410
    with db.session() as session:
        note = session.execute(select(Notification).where(Notification.user_id == user.id,
                                                          Notification.kind == "badge-revoked")).scalar_one()
        assert "Awarded by mistake" in note.text_en and "Awarded by mistake" in note.text_zh
        assert session.execute(select(AuditEntry).where(AuditEntry.action == "badge.revoke")).scalar_one()
    again = client.post(f"/badges/{KEY}/revoke", data={"who": EMAIL, "reason": "Awarded by mistake"})
    assert again.status_code == 400 and b"does not hold" in again.data


def test_students_cannot_withdraw(client, holder, make_user, auth):
    _user, award_id = holder
    auth.login(make_user().email)
    assert client.post(f"/badges/{KEY}/revoke", data={"who": EMAIL, "reason": "because"}).status_code == 403
    assert client.get(f"/openbadges/assertions/{award_id}").status_code == 200


def test_unknown_documents_answer_404(client, make_user):
    make_user(Role.admin)  # the issuer's contact
    assert client.get("/openbadges/assertions/999").status_code == 404
    assert client.get("/openbadges/assertions/999/badge.png").status_code == 404
    assert client.get("/openbadges/badges/no:such-badge").status_code == 404
    assert client.get("/openbadges/assertions/not-a-number").status_code == 404


def test_holder_sees_download_and_verification_links(client, holder, auth):
    user, award_id = holder
    auth.login(user.email)
    page = client.get(f"/badges/{KEY}").get_data(as_text=True)
    assert f"/openbadges/assertions/{award_id}/badge.png" in page and f"/badges/verify/{award_id}\"" in page


def test_public_profile_is_opt_in(app, client, holder, auth, make_user):
    user, award_id = holder
    assert client.get(f"/people/{user.id}").status_code == 404
    auth.login(user.email)
    response = client.post("/me", data={"display_name": "Reader One", "locale": "en", "public_profile": "y"})
    assert response.status_code == 302
    assert f"/people/{user.id}" in client.get("/me").get_data(as_text=True)
    auth.logout()
    page = client.get(f"/people/{user.id}").get_data(as_text=True)
    assert "Reader One" in page and "Level 1" in page and f"/badges/verify/{award_id}" in page
    assert EMAIL.lower() not in page.lower()  # only name, level and badges
    zh = app.test_client().get(f"/people/{user.id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in zh
    auth.login(user.email, PASSWORD)
    client.post("/me", data={"display_name": "Reader One", "locale": "en"})  # unticked: private again
    auth.logout()
    assert client.get(f"/people/{user.id}").status_code == 404
    assert client.get("/people/424242").status_code == 404
