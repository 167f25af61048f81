"""Open Badges a verifier can rely on: issued badges stay verifiable and visible when their
plugin is switched off; ids come from PUBLIC_BASE_URL, never the Host header; no documents
without that address or an issuer email (and administrators are told why); recipient salts
are stored per award, so rotating SECRET_KEY changes no issued badge."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from openbadges_bakery import unbake
from sqlalchemy import select, update

import example_plugin
from core.models import BadgeAward, Role
from core.openbadges import fill_missing_salts, legacy_salt
from core.testing import create_test_user, make_app
from test_badges import ex_app, ex_db, login, pay, quest, switch, user_in  # noqa: F401  (fixtures)
from test_i18n import EN, ZH, zh

EMAIL = "reader@test.library"


def award_id(db, user, key):
    with db.session() as session:
        return session.execute(select(BadgeAward.id).where(BadgeAward.user_id == user.id,
                                                           BadgeAward.badge_key == key)).scalar_one()


@pytest.fixture
def holder(ex_app, ex_db, user_in):
    """An administrator (the issuer's contact) and a reader holding example:pioneer and core:first-points."""
    user_in(Role.admin, email="desk@test.library")
    user = user_in(email=EMAIL)
    quest(ex_app, ex_db, user, "1")
    pay(ex_app, ex_db, user, 5, "ob")
    return user


def test_issued_badges_stay_verifiable_and_visible_when_their_plugin_is_off(ex_app, ex_db, holder):
    pioneer = award_id(ex_db, holder, "example:pioneer")
    client = ex_app.test_client()
    before = client.get(f"/openbadges/assertions/{pioneer}").get_json()
    switch(ex_app, "example", False)
    after = client.get(f"/openbadges/assertions/{pioneer}")
    assert after.status_code == 200 and after.get_json() == before
    assert client.get("/openbadges/badges/example:pioneer").get_json()["name"] == "Pioneer"
    assert client.get("/openbadges/badges/example:pioneer/image.png").status_code == 200
    baked = client.get(f"/openbadges/assertions/{pioneer}/badge.png")
    assert baked.status_code == 200 and json.loads(unbake(io.BytesIO(baked.data))) == before
    assert client.get("/badges/example:pioneer/image").status_code == 200
    assert client.get("/badges/example:pioneer").status_code == 200  # the criteria page
    # A badge of the switched-off plugin nobody was ever given is gone with its plugin.
    assert client.get("/openbadges/badges/example:quester").status_code == 404
    reader = login(ex_app, holder)
    assert "Pioneer" in reader.get("/me").get_data(as_text=True)
    reader.post("/me", data={"display_name": "Reader", "locale": "en", "public_profile": "y"})
    profile = client.get(f"/people/{holder.id}").get_data(as_text=True)
    assert "Pioneer" in profile and f"/badges/verify/{pioneer}" in profile
    verify = client.get(f"/badges/verify/{pioneer}").get_data(as_text=True)  # the page behind the link, too
    assert "Pioneer" in verify and "Valid:" in verify and f"/openbadges/assertions/{pioneer}" in verify
    # New awards stop while it is off: another reader's quest earns nothing.
    other = create_test_user(ex_app)
    quest(ex_app, ex_db, other, "2")
    with ex_db.session() as session:
        assert session.execute(select(BadgeAward).where(BadgeAward.user_id == other.id)).first() is None


def test_ids_come_from_the_configured_address_not_the_host_header(app_factory, make_user):
    app = app_factory(PUBLIC_BASE_URL="https://library.example.edu/engage/")
    make_user(Role.admin)
    user = create_test_user(app, email=EMAIL)
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        from core.points import award

        award(session, user_id=user.id, amount=5, rule="read", plugin="core", idempotency_key="host")
    with app.extensions["engage.db"].session() as session:
        first = session.execute(select(BadgeAward.id)).scalar_one()
    client = app.test_client()
    document = client.get(f"/openbadges/assertions/{first}", headers={"Host": "evil.example"}).get_json()
    base = "https://library.example.edu/engage/openbadges"
    assert document["id"] == f"{base}/assertions/{first}" and document["badge"].startswith(base + "/badges/")
    assert document["image"] == f"{base}/assertions/{first}/badge.png"
    badge = client.get("/openbadges/badges/core:first-points", headers={"Host": "evil.example"}).get_json()
    assert badge["issuer"] == f"{base}/issuer" and badge["criteria"]["id"].startswith("https://library.example.edu/")
    issuer = client.get("/openbadges/issuer", headers={"Host": "evil.example"}).get_json()
    assert issuer["url"] == "https://library.example.edu/engage/" and "evil" not in json.dumps(issuer)


@pytest.mark.parametrize("value", ["library.example.edu", "ftp://library.example.edu", "https://",
                                   "https://library.example.edu/?x=1", "https://user@library.example.edu"])
def test_a_malformed_public_address_stops_the_app(tmp_path, database_url, value):
    with pytest.raises(ValueError, match="ENGAGE_PUBLIC_BASE_URL must be"):
        make_app(database_url, tmp_path, PUBLIC_BASE_URL=value)


def test_without_a_public_address_no_documents_are_served(app_factory, make_user):
    app = app_factory(PUBLIC_BASE_URL=None)
    admin = create_test_user(app, Role.admin)
    user = create_test_user(app)
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        from core.points import award

        award(session, user_id=user.id, amount=5, rule="read", plugin="core", idempotency_key="none")
    client = app.test_client()
    for path in ("/openbadges/issuer", "/openbadges/badges/core:first-points", "/openbadges/assertions/1",
                 "/openbadges/assertions/1/badge.png"):
        response = client.get(path, headers={"Host": "evil.example"})
        assert response.status_code == 503 and "ENGAGE_PUBLIC_BASE_URL" in response.get_json()["error"], path
        assert "no-store" in response.headers["Cache-Control"]
    page = login(app, user).get("/badges/core:first-points").get_data(as_text=True)
    assert "Earned on" in page and "/openbadges/assertions/1" not in page
    staff = login(app, admin)
    assert "ENGAGE_PUBLIC_BASE_URL" in staff.get("/admin/", headers=EN).get_data(as_text=True)
    chinese = staff.get("/admin/", headers=ZH).get_data(as_text=True)
    assert "ENGAGE_PUBLIC_BASE_URL" in chinese and '<html lang="zh-Hans">' in chinese


def test_without_an_issuer_email_no_documents_are_served(app, client, make_user, auth):
    librarian = make_user(Role.librarian)  # no administrator and no ISSUER_EMAIL: nobody to contact
    assert client.get("/openbadges/issuer").status_code == 503
    auth.login(librarian.email)
    page = client.get("/admin/", headers=EN).get_data(as_text=True)
    assert "ENGAGE_ISSUER_EMAIL" in page
    app.config["ISSUER_EMAIL"] = "badges@test.library"
    issuer = client.get("/openbadges/issuer").get_json()
    assert issuer["email"] == "badges@test.library"
    assert "ENGAGE_ISSUER_EMAIL" not in client.get("/admin/", headers=EN).get_data(as_text=True)


def test_salts_are_stored_per_award_and_survive_a_new_secret_key(tmp_path, database_url, holder, ex_app, ex_db):
    first = award_id(ex_db, holder, "core:first-points")
    pioneer = award_id(ex_db, holder, "example:pioneer")
    with ex_db.session() as session:
        salts = dict(session.execute(select(BadgeAward.id, BadgeAward.salt)).all())
    assert len(salts[first]) == 16 and salts[first] != salts[pioneer]
    before = ex_app.test_client().get(f"/openbadges/assertions/{first}").get_json()["recipient"]
    assert before["salt"] == salts[first]
    assert before["identity"] == "sha256$" + hashlib.sha256((EMAIL + salts[first]).encode()).hexdigest()
    rotated = make_app(database_url, tmp_path, plugins=(example_plugin,), SECRET_KEY="a brand new secret")
    try:
        after = rotated.test_client().get(f"/openbadges/assertions/{first}").get_json()["recipient"]
    finally:
        rotated.extensions["engage.db"].dispose()
    assert after == before


def test_awards_issued_before_salts_were_stored_keep_theirs(tmp_path, database_url, holder, ex_app, ex_db):
    first = award_id(ex_db, holder, "core:first-points")
    with ex_db.write_session() as session:  # as a database made before the column would hold it
        session.execute(update(BadgeAward).values(salt=None))
    issued = ex_app.test_client().get(f"/openbadges/assertions/{first}").get_json()["recipient"]
    assert issued["salt"] == legacy_salt("test-secret", first)
    with ex_db.write_session() as session:  # the data migration, with the key they were issued under
        assert fill_missing_salts(session, secret_key="test-secret", batch=1) == 2
    with ex_db.write_session() as session:
        assert fill_missing_salts(session, secret_key="test-secret") == 0
    rotated = make_app(database_url, tmp_path, plugins=(example_plugin,), SECRET_KEY="a brand new secret")
    try:
        after = rotated.test_client().get(f"/openbadges/assertions/{first}").get_json()["recipient"]
    finally:
        rotated.extensions["engage.db"].dispose()
    assert after == issued


def test_the_admin_message_is_translated(app_factory):
    app = app_factory(PUBLIC_BASE_URL=None)
    with app.test_request_context(headers=ZH):
        from core.openbadges import problems

        with app.extensions["engage.db"].session() as session:
            assert zh("Open Badges are switched off: set ENGAGE_PUBLIC_BASE_URL to this site's public address "
                      "(such as https://engage.library.edu) so that badges can be verified.") in problems(session)
