"""Open Badges 3.0: signed OpenBadgeCredentials for every award, the issuer's Multikeys, the 1EdTech
revocation list and baked PNGs — each credential checked by pyld here and by Digital Bazaar's
JavaScript verifier (tests/ob3_verifier), which must also refuse a tampered, a wrongly signed and
a revoked credential."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from sqlalchemy import select

from core.badges import revoke
from core.models import BadgeAward, Role
from core.openbadges3 import baking, contexts, keys, proof
from core.openbadges3.cli import openbadges_group
from core.points import award
from core.testing import PASSWORD

EMAIL = "Reader.Three@Test.Library"
KEY = "core:first-points"
VERIFIER = Path(__file__).with_name("ob3_verifier")
VC_LD = "application/vc+ld+json"


@pytest.fixture
def holder(app, make_user, db):
    """A reader who has earned core's first-points badge, and the award's id."""
    make_user(Role.admin, email="desk@test.library")
    user = make_user(email=EMAIL)
    with app.app_context(), db.write_session() as session:
        award(session, user_id=user.id, amount=5, rule="read", plugin="core", idempotency_key="ob3:1")
    with db.session() as session:
        award_id = session.execute(select(BadgeAward.id).where(BadgeAward.user_id == user.id,
                                                               BadgeAward.badge_key == KEY)).scalar_one()
    return user, award_id


def get(client, url, status=200):
    """Follow a document's id as a verifier would: on this site's origin."""
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("http", "localhost"), f"{url} is not on the issuer's origin"
    response = client.get(parts.path)
    assert response.status_code == status, (url, response.status_code, response.data[:300])
    return response


def download(client, auth, user, award_id):
    auth.login(user.email)
    response = client.get(f"/openbadges/v3/credentials/{award_id}")
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == VC_LD
    return response


def independent_verifier(credentials: list[dict], profile: dict | None, revocations: dict | None,
                         *, fetch: bool = False) -> list[dict]:
    """Digital Bazaar's verifier on ``credentials`` (npm ci in tests/ob3_verifier first: .ci/run does);
    with ``fetch`` it fetches the issuer profile and revocation list from their ids itself."""
    if not (VERIFIER / "node_modules").is_dir() or shutil.which("node") is None:
        pytest.fail("the independent verifier is not installed: run `npm ci` in tests/ob3_verifier (.ci/run does)")
    done = subprocess.run(["node", "verify.mjs"], cwd=VERIFIER, capture_output=True, text=True, timeout=120,
                          input=json.dumps({"credentials": credentials, "issuerProfile": profile,
                                            "revocationList": revocations, "fetch": fetch}))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_credential_is_a_conformant_open_badge_credential(client, auth, holder):
    user, award_id = holder
    credential = download(client, auth, user, award_id).get_json()
    assert credential["@context"] == [contexts.CREDENTIALS_V2, contexts.OPEN_BADGES_V3, contexts.EXTENSIONS]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"] == f"http://localhost/openbadges/v3/credentials/{award_id}"
    assert credential["issuer"]["id"] == "http://localhost/openbadges/v3/issuer"
    # The recipient: the award's salt and the salted hash of the email, as in the 2.0 assertion.
    identity = credential["credentialSubject"]["identifier"][0]
    assert identity["type"] == "IdentityObject" and identity["hashed"] is True
    assert identity["identityType"] == "emailAddress"
    expected = "sha256$" + hashlib.sha256((EMAIL.lower() + identity["salt"]).encode()).hexdigest()
    assert identity["identityHash"] == expected and EMAIL.lower() not in json.dumps(credential).lower()
    assertion = get(client, f"http://localhost/openbadges/assertions/{award_id}").get_json()
    assert assertion["recipient"]["salt"] == identity["salt"]
    assert credential["validFrom"] == assertion["issuedOn"]
    # The Achievement: both languages, each pointing at the other; criteria, image.
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["type"] == ["Achievement"] and achievement["criteria"]["narrative"]
    assert achievement["inLanguage"] == "en"
    with Image.open(io.BytesIO(get(client, achievement["image"]["id"]).data)) as image:
        assert image.format == "PNG"
    chinese = get(client, achievement["related"][0]["id"]).get_json()
    assert chinese["inLanguage"] == "zh-Hans" and chinese["name"] != achievement["name"]
    assert chinese["related"][0]["id"] == achievement["id"]
    assert get(client, achievement["id"]).get_json()["name"] == achievement["name"]
    # The proof: eddsa-rdfc-2022 by a key the issuer profile lists, created at the award's time.
    signature = credential["proof"]
    assert signature["type"] == "DataIntegrityProof" and signature["cryptosuite"] == "eddsa-rdfc-2022"
    assert signature["proofPurpose"] == "assertionMethod" and signature["created"] == credential["validFrom"]
    profile = get(client, credential["issuer"]["id"]).get_json()
    assert signature["verificationMethod"] in profile["assertionMethod"]
    method = next(m for m in profile["verificationMethod"] if m["id"] == signature["verificationMethod"])
    assert method["type"] == "Multikey" and method["controller"] == profile["id"]
    assert method["id"] == f"{profile['id']}#{method['publicKeyMultibase']}"
    assert proof.verify(credential, keys.public_key_from(method["publicKeyMultibase"]), contexts.document_loader)
    # The status: the revocation list, at a stable URL.
    assert credential["credentialStatus"] == {"id": "http://localhost/openbadges/v3/revocations",
                                              "type": "1EdTechRevocationList"}
    assert get(client, credential["credentialStatus"]["id"]).get_json()["revokedCredentials"] == []


def test_same_bytes_on_every_download(client, auth, holder):
    user, award_id = holder
    first = download(client, auth, user, award_id).data
    assert download(client, auth, user, award_id).data == first
    baked = client.get(f"/openbadges/v3/credentials/{award_id}/badge.png")
    assert baked.status_code == 200
    assert client.get(f"/openbadges/v3/credentials/{award_id}/badge.png").data == baked.data


def test_baked_png_carries_the_credential_under_the_3_0_keyword(client, auth, holder):
    user, award_id = holder
    credential = download(client, auth, user, award_id).get_json()
    png = client.get(f"/openbadges/v3/credentials/{award_id}/badge.png").data
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and set(image.text) == {"openbadgecredential"}
    assert json.loads(baking.unbake(png)) == credential
    # The iTXt chunk itself, read from the bytes: keyword, then uncompressed UTF-8 JSON.
    assert b"iTXtopenbadgecredential\x00\x00\x00" in png


def test_key_is_made_once_in_the_instance_folder_readable_by_its_owner_only(app, client, holder):
    first = client.get("/openbadges/v3/issuer").get_json()
    path = Path(app.instance_path) / keys.KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert client.get("/openbadges/v3/issuer").get_json() == first
    assert len(first["verificationMethod"]) == 1


def test_rotation_keeps_the_retired_key_listed_and_old_credentials_verify(app, client, auth, runner, holder):
    user, award_id = holder
    before = download(client, auth, user, award_id).get_json()
    result = runner.invoke(openbadges_group, ["rotate-key"])
    assert result.exit_code == 0, result.output
    profile = client.get("/openbadges/v3/issuer").get_json()
    assert len(profile["verificationMethod"]) == 2 and before["proof"]["verificationMethod"] in profile["assertionMethod"]
    after = download(client, auth, user, award_id).get_json()
    assert after["proof"]["verificationMethod"] != before["proof"]["verificationMethod"]
    assert after["proof"]["verificationMethod"] == profile["assertionMethod"][0]
    revocations = client.get("/openbadges/v3/revocations").get_json()
    results = independent_verifier([before, after], profile, revocations)
    assert [r["verified"] for r in results] == [True, True], results


def test_configured_key_is_used_and_ids_come_from_the_public_address(app_factory, make_user, tmp_path):
    secret = keys.secret_multibase(Ed25519PrivateKey.generate())
    retired = keys.public_multibase(Ed25519PrivateKey.generate().public_key())
    app = app_factory(OPENBADGES3_ISSUER_KEY=secret, OPENBADGES3_RETIRED_KEYS=retired,
                      PUBLIC_BASE_URL="https://engage.library.edu", ISSUER_EMAIL="desk@library.edu")
    profile = app.test_client().get("/openbadges/v3/issuer", headers={"Host": "evil.example"}).get_json()
    current = keys.public_multibase(keys.private_key_from(secret).public_key())
    assert [m["publicKeyMultibase"] for m in profile["verificationMethod"]] == [current, retired]
    assert profile["id"] == "https://engage.library.edu/openbadges/v3/issuer"
    assert not (Path(app.instance_path) / keys.KEY_FILE).exists()
    assert app.test_cli_runner().invoke(openbadges_group, ["rotate-key"]).exit_code != 0


def test_independent_verifier_accepts_issued_and_refuses_tampered_wrong_key_and_revoked(app, client, auth, db,
                                                                                        make_user, holder):
    user, award_id = holder
    other = make_user(email="second@test.library")
    with app.app_context(), db.write_session() as session:
        award(session, user_id=other.id, amount=5, rule="read", plugin="core", idempotency_key="ob3:2")
    with db.session() as session:
        other_award = session.execute(select(BadgeAward.id).where(BadgeAward.user_id == other.id)).scalar_one()
    issued = download(client, auth, user, award_id).get_json()
    auth.logout()
    second = download(client, auth, other, other_award).get_json()
    profile = client.get("/openbadges/v3/issuer").get_json()
    revocations = client.get("/openbadges/v3/revocations").get_json()

    tampered = copy.deepcopy(issued)
    tampered["credentialSubject"]["achievement"]["name"] = "Grand Master of Everything"
    wrong_key = proof.sign({k: v for k, v in issued.items() if k != "proof"}, Ed25519PrivateKey.generate(),
                           verification_method=issued["proof"]["verificationMethod"],
                           created=issued["proof"]["created"], loader=contexts.document_loader)
    unsigned_term = {**issued, "grade": "A+"}  # pyld would drop it; a strict verifier refuses it
    results = independent_verifier([issued, second, tampered, wrong_key, unsigned_term], profile, revocations)
    assert [r["verified"] for r in results] == [True, True, False, False, False], results
    assert all("signature" in r["error"].lower() for r in results[2:4]), results
    assert "safe mode" in results[4]["error"].lower(), results

    admin_id = make_user(Role.admin).id
    with app.app_context(), db.write_session() as session:
        revoke(session, user_id=other.id, key=KEY, actor_id=admin_id, reason="Awarded by mistake")
    revocations = client.get("/openbadges/v3/revocations").get_json()
    assert revocations["revokedCredentials"] == [{"id": second["id"], "revoked": True,
                                                 "revocationReason": "Awarded by mistake"}]
    results = independent_verifier([issued, second], profile, revocations)
    assert [r["verified"] for r in results] == [True, False] and "revoked" in results[1]["error"], results


def test_withdrawn_award_has_no_credential_and_says_why(app, client, auth, db, make_user, holder):
    user, award_id = holder
    admin_id = make_user(Role.admin).id
    with app.app_context(), db.write_session() as session:
        revoke(session, user_id=user.id, key=KEY, actor_id=admin_id, reason="Awarded by mistake")
    auth.login(user.email)
    for path in (f"/openbadges/v3/credentials/{award_id}", f"/openbadges/v3/credentials/{award_id}/badge.png"):
        response = client.get(path)
        assert response.status_code == 410
        assert b"withdrew this badge" in response.data and b"Awarded by mistake" in response.data
    client.post("/language", data={"locale": "zh_Hans"})
    response = client.get(f"/openbadges/v3/credentials/{award_id}")
    assert response.status_code == 410 and "图书馆已于" in response.get_data(as_text=True)


def test_private_badge_is_the_holders_to_download(app, client, auth, db, make_user, holder):
    user, award_id = holder
    for path in (f"/openbadges/v3/credentials/{award_id}", f"/openbadges/v3/credentials/{award_id}/badge.png"):
        response = client.get(path)  # nobody signed in
        assert response.status_code == 403 and b"Only the reader who earned this badge" in response.data
    chinese = client.get(f"/openbadges/v3/credentials/{award_id}", headers={"Accept-Language": "zh-CN"})
    assert chinese.status_code == 403 and "只有获得这枚徽章的读者本人" in chinese.get_data(as_text=True)
    stranger = make_user(email="stranger@test.library")
    auth.login(stranger.email)
    assert client.get(f"/openbadges/v3/credentials/{award_id}").status_code == 403
    auth.logout()
    with app.app_context(), db.write_session() as session:
        from core.models import User

        session.get(User, user.id).public_profile = True
    assert client.get(f"/openbadges/v3/credentials/{award_id}").status_code == 200
    assert client.get("/openbadges/v3/credentials/999999").status_code == 404


def test_nothing_is_served_without_a_public_address(app_factory):
    app = app_factory(PUBLIC_BASE_URL=None)
    response = app.test_client().get("/openbadges/v3/issuer")
    assert response.status_code == 503 and "ENGAGE_PUBLIC_BASE_URL" in response.get_json()["error"]


def test_a_mistyped_configured_key_stops_the_app_with_the_reason(app_factory):
    with pytest.raises(ValueError, match="OPENBADGES3_ISSUER_KEY"):
        app_factory(OPENBADGES3_ISSUER_KEY="not-a-key")
    with pytest.raises(ValueError, match="not an Ed25519 Multikey"):
        app_factory(OPENBADGES3_RETIRED_KEYS="z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2,zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme")


def test_two_processes_making_the_key_at_once_end_up_with_one(tmp_path):
    """The key file is linked into place only if absent: the second writer keeps the first key."""
    first = keys.keyring({}, str(tmp_path))
    keys._write_new(tmp_path / keys.KEY_FILE, {"current": {"secretKeyMultibase": "zzz"}}, replace=False)
    assert keys.keyring({}, str(tmp_path)).current == first.current
    assert [p.name for p in tmp_path.iterdir()] == [keys.KEY_FILE]  # no temporary file left behind


def _keys_everywhere(node) -> set:
    if isinstance(node, dict):
        return {k for k in node if k != "@context"} | set().union(*(_keys_everywhere(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_keys_everywhere(v) for v in node)) if node else set()
    return set()


def test_every_term_of_every_document_is_defined_by_its_contexts(client, auth, holder):
    """pyld drops undefined terms silently, so a term left out of the contexts would go unsigned:
    expanding and compacting again with the same contexts must keep every property."""
    from pyld import jsonld

    user, award_id = holder
    documents = [download(client, auth, user, award_id).get_json(), client.get("/openbadges/v3/issuer").get_json(),
                 client.get("/openbadges/v3/achievements/core:first-points").get_json(),
                 client.get("/openbadges/v3/achievements/core:first-points/zh-Hans").get_json()]
    for document in documents:
        options = {"base": None, "documentLoader": contexts.document_loader}
        again = jsonld.compact(jsonld.expand(document, options), document["@context"], options)
        assert _keys_everywhere(again) == _keys_everywhere(document), document.get("type")


def test_badge_pages_offer_3_0_beside_2_0(app, client, auth, db, holder):
    user, award_id = holder
    auth.login(user.email)
    page = client.get(f"/badges/{KEY}").get_data(as_text=True)
    assert "Download Open Badge 2.0" in page and "Download Open Badge 3.0" in page
    assert f"/openbadges/v3/credentials/{award_id}/badge.png" in page and f"/openbadges/v3/credentials/{award_id}\"" in page
    assert "下载 Open Badge 3.0" in client.get(f"/badges/{KEY}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    auth.logout()
    # The public verification page links the credential only when its holder keeps a public page.
    assert f"/openbadges/v3/credentials/{award_id}\"" not in client.get(f"/badges/verify/{award_id}").get_data(as_text=True)
    with app.app_context(), db.write_session() as session:
        from core.models import User

        session.get(User, user.id).public_profile = True
    verify_page = client.get(f"/badges/verify/{award_id}").get_data(as_text=True)
    assert f"/openbadges/v3/credentials/{award_id}\"" in verify_page and "/badges/verify/credential" in verify_page


def test_every_badge_of_core_and_the_plugins_issues_a_credential_the_independent_verifier_accepts(
        app, client, db, make_user):
    """One award of every installed badge rule (core's and each built-in plugin's, by hand with a
    reason or not, with the holder's page public so the credential can be fetched), all checked
    by Digital Bazaar's verifier in one run."""
    from core.badges import grant
    from core.models import User

    make_user(Role.admin, email="desk@test.library")
    rules = list(app.extensions["engage.badges"].all.values())
    assert len(rules) > 5
    holders = [make_user(email=f"holder{n}@test.library").id for n in range(len(rules))]
    award_ids = []
    with app.app_context(), db.write_session() as session:
        for n, (rule, holder_id) in enumerate(zip(rules, holders)):
            session.get(User, holder_id).public_profile = True
            granted = grant(session, user_id=holder_id, rule=rule, reason="Helped at the book fair 书展" if n % 2 else None)
            award_ids.append(granted.id)
    credentials = []
    for award_id in award_ids:
        response = client.get(f"/openbadges/v3/credentials/{award_id}")
        assert response.status_code == 200 and response.mimetype == VC_LD
        credentials.append(response.get_json())
    assert any("description" in c for c in credentials)
    results = independent_verifier(credentials, client.get("/openbadges/v3/issuer").get_json(),
                                   client.get("/openbadges/v3/revocations").get_json())
    assert all(r["verified"] for r in results), [(c["credentialSubject"]["achievement"]["id"], r)
                                                 for c, r in zip(credentials, results) if not r["verified"]]


@pytest.mark.skipif(bool(os.environ.get("ENGAGE_TEST_DATABASE_URL")),
                    reason="HTTP and the verifier, not the database, are under test: the SQLite pass runs it")
def test_a_verifier_elsewhere_fetches_the_key_and_revocation_list_from_a_real_server(app, db, make_user, holder):
    """The site served on a loopback port: the independent verifier dereferences the proof's
    verificationMethod and the credentialStatus over HTTP, as an employer's verifier would."""
    from urllib.request import urlopen

    from core.models import User
    from core.testing import serve

    user, award_id = holder
    with app.app_context(), db.write_session() as session:
        session.get(User, user.id).public_profile = True
    with serve(app) as base:
        app.config["PUBLIC_BASE_URL"] = base  # ids on the address the verifier reaches
        with urlopen(f"{base}/openbadges/v3/credentials/{award_id}") as response:
            assert response.headers["Content-Type"] == VC_LD
            issued = json.loads(response.read())
        assert issued["proof"]["verificationMethod"].startswith(base + "/openbadges/v3/issuer#z6Mk")
        assert independent_verifier([issued], None, None, fetch=True)[0]["verified"] is True
        admin_id = make_user(Role.admin).id
        with app.app_context(), db.write_session() as session:
            revoke(session, user_id=user.id, key=KEY, actor_id=admin_id, reason="Awarded by mistake")
        result = independent_verifier([issued], None, None, fetch=True)[0]
        assert result["verified"] is False and "revoked" in result["error"], result


def test_an_unreadable_key_file_answers_503_with_the_reason(app, client, auth, holder):
    user, award_id = holder
    assert client.get("/openbadges/v3/issuer").status_code == 200  # the key is made
    (Path(app.instance_path) / keys.KEY_FILE).write_text("{broken", encoding="utf-8")
    response = client.get("/openbadges/v3/issuer")
    assert response.status_code == 503 and "signing key cannot be read" in response.get_json()["error"]
    auth.login(user.email)
    assert client.get(f"/openbadges/v3/credentials/{award_id}").status_code == 503


@pytest.mark.bare_database
def test_engage_openbadges_rotate_key_from_the_command_line(database_url, tmp_path, monkeypatch):
    """``engage openbadges rotate-key`` as an operator types it: the instance folder's key is replaced
    and the old one listed as retired."""
    from click.testing import CliRunner

    from core.cli import main

    monkeypatch.setenv("ENGAGE_DATABASE_URL", database_url)
    monkeypatch.setenv("ENGAGE_INSTANCE_PATH", str(tmp_path / "instance"))
    runner = CliRunner()
    assert runner.invoke(main, ["init-db"], catch_exceptions=False).exit_code == 0
    first = keys.keyring({}, str(tmp_path / "instance"))
    result = runner.invoke(main, ["openbadges", "rotate-key"], catch_exceptions=False)
    assert result.exit_code == 0 and f"Retired, still listed: {first.current}" in result.output
    after = keys.keyring({}, str(tmp_path / "instance"))
    assert after.current != first.current and after.retired == (first.current,)
    assert stat.S_IMODE(os.stat(tmp_path / "instance" / keys.KEY_FILE).st_mode) == 0o600


def _urls(node, found=None) -> list[str]:
    """Every http(s) address in a document outside its ``@context``."""
    found = [] if found is None else found
    if isinstance(node, dict):
        for key, value in node.items():
            if key != "@context":
                _urls(value, found)
    elif isinstance(node, list):
        for value in node:
            _urls(value, found)
    elif isinstance(node, str) and node.startswith(("http://", "https://")):
        found.append(node)
    return found


def test_every_id_of_every_document_is_on_the_configured_address_whatever_the_request_says(app, client, db, holder):
    """A request for another Host (or one a proxy says it forwarded) changes no id: the credential,
    its baked copy, the issuer profile, the Achievements and the revocation list all stay on
    PUBLIC_BASE_URL, path prefix included."""
    from core.models import User

    user, award_id = holder
    with app.app_context(), db.write_session() as session:
        session.get(User, user.id).public_profile = True
    base = "https://engage.library.edu/engage"
    app.config["PUBLIC_BASE_URL"] = base
    hostile = {"Host": "evil.example", "X-Forwarded-Host": "evil2.example", "X-Forwarded-Proto": "http"}
    documents = {}
    for path in (f"/openbadges/v3/credentials/{award_id}", "/openbadges/v3/issuer", "/openbadges/v3/revocations",
                 f"/openbadges/v3/achievements/{KEY}", f"/openbadges/v3/achievements/{KEY}/zh-Hans"):
        response = client.get(path, headers=hostile)
        assert response.status_code == 200, (path, response.status_code)
        documents[path] = response.get_json()
    png = client.get(f"/openbadges/v3/credentials/{award_id}/badge.png", headers=hostile)
    assert png.status_code == 200
    documents["badge.png"] = json.loads(baking.unbake(png.data))
    assert documents["badge.png"] == documents[f"/openbadges/v3/credentials/{award_id}"]
    for where, document in documents.items():
        urls = _urls(document)
        assert urls and all(url.startswith(base + "/") for url in urls), (where, urls)
    issued = documents[f"/openbadges/v3/credentials/{award_id}"]
    assert issued["id"] == f"{base}/openbadges/v3/credentials/{award_id}"
    assert issued["proof"]["verificationMethod"].startswith(f"{base}/openbadges/v3/issuer#z6Mk")
    assert issued["credentialStatus"]["id"] == f"{base}/openbadges/v3/revocations"
