"""Sign-in through a real OpenID Connect provider (npm oidc-provider on loopback): discovery,
authorization code with PKCE, state and nonce, the ID token verified against the provider's keys,
end-session; every refusal a clear page with nothing written."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from core.identity.providers_models import IdentityLink
from core.models import Role, User
from tests.identity_servers.clients import oidc_callback
from tests.identity_servers.servers import run_once

from .. import client as oidc
from .conftest import configure

pytestmark = run_once
REDIRECT = "http://localhost/signin/oidc/callback"


def users(app):
    with app.app_context(), app.extensions["engage.db"].session() as session:
        return session.execute(select(func.count()).select_from(User)).scalar()


def provider_answer(app_client, login):
    """Start at this site, sign in on the provider's own page; the callback path it sends back."""
    start = app_client.get("/signin/oidc/start")
    assert start.status_code == 302, start.get_data(as_text=True)
    back = urlsplit(oidc_callback(start.headers["Location"], login))
    return f"{back.path}?{back.query}"


def sign_in(app, login):
    client = app.test_client()
    return client, client.get(provider_answer(client, login))


def test_authorization_request_carries_pkce_state_and_nonce(oidc_app):
    start = oidc_app.test_client().get("/signin/oidc/start")
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == [REDIRECT]


def test_first_sign_in_creates_the_account_and_role_rules_apply(oidc_app):
    client, answer = sign_in(oidc_app, "bob")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert client.get("/me").status_code == 200
    with oidc_app.app_context(), oidc_app.extensions["engage.db"].session() as session:
        user = session.execute(select(User).where(User.email == "bob@campus.edu")).scalar_one()
        assert (user.display_name, user.member_number, user.cohort, user.role) == ("Bob Wang", "T2002", "LIB", Role.admin.value)
        assert session.execute(select(IdentityLink.subject)).scalar_one() == "bob"


def test_unverified_email_never_takes_over_an_existing_account(oidc_app, make_user):
    make_user(email="taken@campus.edu")
    _, answer = sign_in(oidc_app, "unverified")
    assert answer.status_code == 409 and "did not confirm that the address is yours" in answer.get_data(as_text=True)
    with oidc_app.app_context(), oidc_app.extensions["engage.db"].session() as session:
        assert session.execute(select(func.count()).select_from(IdentityLink)).scalar() == 0


def test_existing_account_is_linked_by_number(oidc_app, make_user):
    local = make_user(email="old.address@campus.edu", member_number="N3003")
    _, answer = sign_in(oidc_app, "numbered")
    assert answer.status_code == 302
    with oidc_app.app_context(), oidc_app.extensions["engage.db"].session() as session:
        assert session.execute(select(IdentityLink.user_id)).scalar_one() == local.id
        assert session.get(User, local.id).email == "someone.else@campus.edu"


def test_wrong_state_is_refused(oidc_app):
    client = oidc_app.test_client()
    back = provider_answer(client, "alice")
    path, query = back.split("?", 1)
    params = {k: v[0] for k, v in parse_qs(query).items()}
    params["state"] = "forged-state"
    answer = client.get(f"{path}?{urlencode(params)}")
    assert answer.status_code == 400 and "does not belong to a sign-in started in this browser" in answer.get_data(as_text=True)
    assert users(oidc_app) == 0


def test_replayed_answer_is_refused(oidc_app):
    client = oidc_app.test_client()
    back = provider_answer(client, "alice")
    assert client.get(back).status_code == 302
    before = users(oidc_app)
    assert oidc_app.test_client().get(back).status_code == 400
    assert users(oidc_app) == before


def test_code_issued_to_another_application_is_refused(oidc_app, oidc_server):
    """The provider issued the code to another application (another audience): no session here."""
    configure(oidc_app, secret="other-secret", issuer=oidc_server, client_id="other-app")
    client = oidc_app.test_client()
    back = provider_answer(client, "alice")
    configure(oidc_app, secret="engage-secret", issuer=oidc_server, client_id="engage")
    answer = client.get(back)
    assert answer.status_code == 400 and "could not be verified" in answer.get_data(as_text=True)
    assert users(oidc_app) == 0


def _real_id_token(oidc_server, client_id, secret, login="alice"):
    settings = {"issuer": oidc_server, "client_id": client_id, "scopes": "openid email", "timeout": 5}
    url, pending = oidc.authorization_request(settings, secret, REDIRECT)
    code = parse_qs(urlsplit(oidc_callback(url, login)).query)["code"][0]
    claims, id_token = oidc.complete(settings, secret, REDIRECT, code, pending)
    jwks = requests.get(oidc.discover(oidc_server, 5)["jwks_uri"], timeout=5).json()
    return id_token, pending["nonce"], jwks


def test_id_token_is_checked_for_audience_nonce_issuer_and_signature(oidc_server):
    id_token, nonce, jwks = _real_id_token(oidc_server, "other-app", "other-secret")
    assert oidc.verify_id_token(id_token, issuer=oidc_server, client_id="other-app", nonce=nonce, jwks=jwks)["sub"] == "alice"
    bad = [dict(client_id="engage", nonce=nonce, issuer=oidc_server),       # another audience
           dict(client_id="other-app", nonce="another-nonce", issuer=oidc_server),
           dict(client_id="other-app", nonce=nonce, issuer="http://127.0.0.1:1")]
    for case in bad:
        with pytest.raises(oidc.ProviderProblem):
            oidc.verify_id_token(id_token, jwks=jwks, **case)
    header, payload, signature = id_token.split(".")
    forged = ".".join([header, payload, signature[:-4] + ("AAAA" if not signature.endswith("AAAA") else "BBBB")])
    with pytest.raises(oidc.ProviderProblem):
        oidc.verify_id_token(forged, issuer=oidc_server, client_id="other-app", nonce=nonce, jwks=jwks)


def test_provider_error_and_missing_code_are_clear_pages(oidc_app):
    client = oidc_app.test_client()
    client.get("/signin/oidc/start")
    answer = client.get("/signin/oidc/callback?error=access_denied&state=x")
    assert answer.status_code == 400 and "access_denied" in answer.get_data(as_text=True)
    assert oidc_app.test_client().get("/signin/oidc/callback").status_code == 400


def test_missing_or_malformed_attributes_are_refused(oidc_app):
    _, answer = sign_in(oidc_app, "noemail")
    assert answer.status_code == 400 and "did not send an email address" in answer.get_data(as_text=True)
    _, answer = sign_in(oidc_app, "bademail")
    assert answer.status_code == 400 and "not a valid address" in answer.get_data(as_text=True)
    assert users(oidc_app) == 0


def test_provider_down_or_slow_gives_a_clear_page_within_the_timeout(app, silent_server, closed_port_url):
    configure(app, issuer=closed_port_url.rstrip("/"), client_id="engage", timeout=1)
    answer = app.test_client().get("/signin/oidc/start")
    assert answer.status_code == 502 and "could not be reached" in answer.get_data(as_text=True)
    configure(app, issuer=silent_server.rstrip("/"), client_id="engage", timeout=1)
    began = time.monotonic()
    answer = app.test_client().get("/signin/oidc/start")
    assert answer.status_code == 504 and "did not answer in time" in answer.get_data(as_text=True)
    assert time.monotonic() - began < 5


def test_signing_out_ends_the_provider_session_too(oidc_app, oidc_server):
    client, answer = sign_in(oidc_app, "alice")
    assert answer.status_code == 302
    client.post("/auth/logout")
    location = client.get("/auth/signed-out").headers["Refresh"].removeprefix("0; url=")
    assert location.startswith(f"{oidc_server}/session/end?") and "id_token_hint=" in location


def test_test_button_shows_the_claims_without_signing_in(oidc_app, make_user):
    admin = make_user(Role.admin)
    client = oidc_app.test_client()
    client.post("/auth/login", data={"email": admin.email, "password": "correct horse battery"})
    answer = client.post("/admin/sign-in/oidc/test")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/signin/oidc/start")
    report = client.get(provider_answer(client, "alice"))
    text = report.get_data(as_text=True)
    assert report.status_code == 200 and "student_number" in text and "S1001" in text
    assert users(oidc_app) == 1


def test_refusals_speak_chinese(oidc_app, silent_server):
    """A wrong state, a sign-in refused by the provider and a provider that does not answer: each
    page in the reader's language (the CAS tests check the same for CAS)."""
    zh = {"Accept-Language": "zh-CN"}
    client = oidc_app.test_client()
    back = provider_answer(client, "alice")
    path, query = back.split("?", 1)
    params = {k: v[0] for k, v in parse_qs(query).items()}
    params["state"] = "forged-state"
    answer = client.get(f"{path}?{urlencode(params)}", headers=zh)
    assert answer.status_code == 400 and "这个登录回应不属于在本浏览器中发起的登录" in answer.get_data(as_text=True)
    answer = client.get("/signin/oidc/callback?error=access_denied&state=x", headers=zh)
    assert answer.status_code == 400 and "没有让你登录（access_denied）" in answer.get_data(as_text=True)
    configure(oidc_app, issuer=silent_server.rstrip("/"), client_id="engage", timeout=1)
    answer = oidc_app.test_client().get("/signin/oidc/start", headers=zh)
    assert answer.status_code == 504 and "校园登录提供方没有及时回应" in answer.get_data(as_text=True)
    assert users(oidc_app) == 0
