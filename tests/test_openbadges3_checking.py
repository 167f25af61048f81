"""The page where anyone checks an Open Badges 3.0 credential (pasted, uploaded as JSON or as the
baked PNG): valid ones say so, and every bad input — altered, another issuer, an unknown key,
withdrawn, not JSON, an image without a credential, a corrupt file — gets a clear message in the
reader's language and no 500."""

from __future__ import annotations

import copy
import io
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from sqlalchemy import select

from core.badges import revoke
from core.models import BadgeAward, Role
from core.openbadges3 import contexts, keys, proof
from core.points import award

KEY = "core:first-points"
EMAIL = "holder@test.library"
PAGE = "/badges/verify/credential"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


@pytest.fixture
def issued(app, client, auth, make_user, db):
    """A reader's award, the signed credential and the baked PNG they downloaded."""
    make_user(Role.admin, email="desk@test.library")
    user = make_user(email=EMAIL)
    with app.app_context(), db.write_session() as session:
        award(session, user_id=user.id, amount=5, rule="read", plugin="core", idempotency_key="ob3:c")
    with db.session() as session:
        award_id = session.execute(select(BadgeAward.id).where(BadgeAward.user_id == user.id)).scalar_one()
    auth.login(EMAIL)
    credential = client.get(f"/openbadges/v3/credentials/{award_id}").get_json()
    png = client.get(f"/openbadges/v3/credentials/{award_id}/badge.png").data
    auth.logout()
    return user, award_id, credential, png


def paste(client, document, headers=None, **extra):
    text = document if isinstance(document, str) else json.dumps(document)
    return client.post(PAGE, data={"text": text, **extra}, headers=headers or {})


def upload(client, data: bytes, name: str, headers=None):
    return client.post(PAGE, data={"upload": (io.BytesIO(data), name)}, headers=headers or {},
                       content_type="multipart/form-data")


def test_a_pasted_credential_is_valid_and_its_recipient_can_be_confirmed(client, issued):
    _user, award_id, credential, _png = issued
    page = paste(client, credential, email=EMAIL.upper())
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Valid: signed by" in text and "Yes: this badge was awarded to that address." in text
    assert f"/badges/verify/{award_id}" in text
    assert "No: this badge was not awarded" in paste(client, credential, email="else@where.org").get_data(as_text=True)


def test_an_uploaded_baked_png_or_json_file_is_checked(client, issued):
    _user, _award_id, credential, png = issued
    assert "Valid: signed by" in upload(client, png, "badge.png").get_data(as_text=True)
    assert "Valid: signed by" in upload(client, json.dumps(credential).encode(), "badge.json").get_data(as_text=True)


def test_the_page_speaks_chinese(client, issued):
    _user, _award_id, credential, _png = issued
    assert "核对 Open Badge 3.0 凭证" in client.get(PAGE, headers=ZH).get_data(as_text=True)
    assert "有效：由" in paste(client, credential, headers=ZH).get_data(as_text=True)
    tampered = copy.deepcopy(credential)
    tampered["validFrom"] = "2001-01-01T00:00:00Z"
    assert "签名不符" in paste(client, tampered, headers=ZH).get_data(as_text=True)


def altered(credential):
    changed = copy.deepcopy(credential)
    changed["credentialSubject"]["achievement"]["name"] = "Grand Master of Everything"
    return changed


def resigned(credential, key):
    return proof.sign({k: v for k, v in credential.items() if k != "proof"}, key,
                      verification_method=credential["proof"]["verificationMethod"],
                      created=credential["proof"]["created"], loader=contexts.document_loader)


@pytest.mark.parametrize("change, message", [
    (altered, "The signature does not match"),
    (lambda c: resigned(c, Ed25519PrivateKey.generate()), "The signature does not match"),
    (lambda c: {**c, "issuer": {**c["issuer"], "id": "https://elsewhere.example/issuer"}},
     "not issued by this library"),
    (lambda c: {**c, "proof": {**c["proof"], "verificationMethod": c["issuer"]["id"] + "#"
               + keys.public_multibase(Ed25519PrivateKey.generate().public_key())}}, "not signed with any key"),
    (lambda c: {**c, "proof": {**c["proof"], "cryptosuite": "ecdsa-rdfc-2019"}}, "proof is not one this library"),
    (lambda c: {**c, "proof": {**c["proof"], "proofValue": "z0OIl"}}, "proof is not one this library"),
    (lambda c: {**c, "@context": [*c["@context"], "https://evil.example/context.json"]}, "could not be read as JSON-LD"),
    (lambda c: {**c, "type": ["VerifiableCredential"]}, "not an Open Badges 3.0 credential"),
    (lambda c: {**c, "grade": "A+"}, "not covered by the signature"),
    (lambda c: {**c, "credentialSubject": {**c["credentialSubject"], "honours": "first class"}},
     "not covered by the signature"),
    (lambda c: [c], "not an Open Badges 3.0 credential"),
])
def test_bad_credentials_get_a_clear_answer(client, issued, change, message):
    _user, _award_id, credential, _png = issued
    page = paste(client, change(credential))
    assert page.status_code == 200 and message in page.get_data(as_text=True), page.get_data(as_text=True)[:2000]
    assert "Valid: signed by" not in page.get_data(as_text=True)


@pytest.mark.parametrize("data, name, message", [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "broken.png", "carries no Open Badges 3.0 credential"),
    (b"\xff\xfe\x00garbage", "badge.json", "could not be read as JSON"),
    (b"{" * 50_000, "deep.json", "could not be read as JSON"),
    (b"[" * 70_000, "large.json", "too large"),
])
def test_corrupt_uploads_get_a_clear_answer(client, issued, data, name, message):
    page = upload(client, data, name)
    assert page.status_code == 200 and message in page.get_data(as_text=True)


@pytest.mark.parametrize("data, name, message", [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "broken.png", "这张图片里没有 Open Badges 3.0 凭证"),
    (b"\xff\xfe\x00garbage", "badge.json", "这不是凭证：无法按 JSON 读取"),
    (b"[" * 70_000, "large.json", "内容太大，不可能是本馆的凭证"),
])
def test_corrupt_uploads_are_answered_in_chinese(client, issued, data, name, message):
    page = upload(client, data, name, headers=ZH)
    assert page.status_code == 200 and message in page.get_data(as_text=True)
    assert "Paste a credential" not in page.get_data(as_text=True)


def test_an_empty_form_is_answered_in_chinese(client, issued):
    page = client.post(PAGE, data={"text": "  "}, headers=ZH)
    assert page.status_code == 400 and "请粘贴凭证，或选择它的文件。" in page.get_data(as_text=True)


def test_an_image_without_a_credential(client, issued):
    plain = io.BytesIO()
    Image.new("RGB", (8, 8)).save(plain, format="PNG")
    assert "carries no Open Badges 3.0 credential" in upload(client, plain.getvalue(), "x.png").get_data(as_text=True)


def test_an_empty_form_asks_for_a_credential(client, issued):
    page = client.post(PAGE, data={"text": "  "})
    assert page.status_code == 400 and "Paste a credential or choose its file." in page.get_data(as_text=True)


def test_a_withdrawn_award_fails_with_its_reason(app, client, db, make_user, issued):
    user, _award_id, credential, png = issued
    admin_id = make_user(Role.admin).id
    with app.app_context(), db.write_session() as session:
        revoke(session, user_id=user.id, key=KEY, actor_id=admin_id, reason="Awarded by mistake")
    for page in (paste(client, credential), upload(client, png, "badge.png")):
        text = page.get_data(as_text=True)
        assert "This badge was withdrawn by the library" in text and "Awarded by mistake" in text
        assert "Valid: signed by" not in text


def test_a_credential_of_an_award_no_longer_on_record(app, client, db, issued):
    _user, award_id, credential, _png = issued
    with app.app_context(), db.write_session() as session:
        session.delete(session.get(BadgeAward, award_id))
    assert "not in its records any more" in paste(client, credential).get_data(as_text=True)


def test_the_page_is_gone_while_open_badges_are_switched_off(app_factory):
    assert app_factory(PUBLIC_BASE_URL=None).test_client().get(PAGE).status_code == 404


def test_a_graph_of_many_blank_nodes_is_refused_before_canonicalisation(client, issued):
    """RDFC-1.0 can be made to take exponential time with look-alike blank nodes: refused, quickly."""
    _user, _award_id, credential, _png = issued
    crafted = copy.deepcopy(credential)
    crafted["credentialSubject"]["achievement"]["alignment"] = [{"type": ["Alignment"], "targetName": str(n)}
                                                                for n in range(40)]
    page = paste(client, crafted)
    assert page.status_code == 200 and "could not be read as JSON-LD" in page.get_data(as_text=True)


def test_a_credential_signed_before_a_key_rotation_still_checks_valid(client, runner, issued):
    """The checking page accepts every key the issuer profile lists: a credential handed out before
    ``engage openbadges rotate-key`` is signed with the now retired key and stays valid."""
    from core.openbadges3.cli import openbadges_group

    _user, _award_id, credential, png = issued
    assert runner.invoke(openbadges_group, ["rotate-key"]).exit_code == 0
    profile = client.get("/openbadges/v3/issuer").get_json()
    assert credential["proof"]["verificationMethod"] == profile["assertionMethod"][1]  # retired, still listed
    assert "Valid: signed by" in paste(client, credential).get_data(as_text=True)
    assert "Valid: signed by" in upload(client, png, "badge.png").get_data(as_text=True)
