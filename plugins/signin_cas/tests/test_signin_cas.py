"""Sign-in through a real CAS server (django-cas-server on loopback): service validation, released
attributes, single logout, and every refusal with a clear page and nothing written."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests
from sqlalchemy import func, select

from core.identity.providers_models import IdentityLink
from core.models import Role, User
from core.testing import serve
from tests.identity_servers.clients import cas_ticket, form_on
from tests.identity_servers.servers import run_once

from ..models import CasSession
from .conftest import configure

pytestmark = run_once
SERVICE = "http://localhost/signin/cas/callback"


def login_url(cas_server):
    return f"{cas_server}login?service={quote(SERVICE, safe='')}"


def users(app):
    with app.app_context(), app.extensions["engage.db"].session() as session:
        return session.execute(select(func.count()).select_from(User)).scalar()


def sign_in(client, cas_server, username, password):
    ticket = cas_ticket(login_url(cas_server), username, password)
    return client.get(f"/signin/cas/callback?ticket={ticket}"), ticket


def test_login_page_offers_the_cas_button_once_set_up(app, cas_app):
    page = app.test_client().get("/auth/login").get_data(as_text=True)
    assert "/signin/cas/start" in page and "Sign in with your campus account" in page
    start = app.test_client().get("/signin/cas/start")
    assert start.status_code == 302 and start.headers["Location"].endswith("login?service=" + quote(SERVICE, safe=""))


def test_first_sign_in_creates_the_account_from_released_attributes(cas_app, cas_server):
    client = cas_app.test_client()
    answer, _ = sign_in(client, cas_server, "alice", "alice-pw")
    assert answer.status_code == 302
    with cas_app.app_context(), cas_app.extensions["engage.db"].session() as session:
        user = session.execute(select(User).where(User.email == "alice@campus.edu")).scalar_one()
        assert (user.display_name, user.member_number, user.cohort, user.role) == ("Alice Li", "S1001", "HIST", "student")
        link = session.execute(select(IdentityLink).where(IdentityLink.user_id == user.id)).scalar_one()
        assert (link.provider, link.subject) == ("cas", "alice") and link.last_sign_in_at is not None
    assert client.get("/me").status_code == 200


def test_role_rule_makes_staff_librarians_and_chinese_names_pass(cas_app, cas_server):
    answer, _ = sign_in(cas_app.test_client(), cas_server, "carol", "carol-pw")
    assert answer.status_code == 302
    answer, _ = sign_in(cas_app.test_client(), cas_server, "张三", "zhang-pw")
    assert answer.status_code == 302
    with cas_app.app_context(), cas_app.extensions["engage.db"].session() as session:
        assert session.execute(select(User.role).where(User.email == "carol@campus.edu")).scalar_one() == Role.librarian.value
        assert session.execute(select(User.cohort).where(User.email == "zhangsan@campus.edu")).scalar_one() == "HIST"


def test_later_sign_in_updates_mapped_fields_and_links_once(cas_app, cas_server):
    sign_in(cas_app.test_client(), cas_server, "alice", "alice-pw")
    with cas_app.app_context(), cas_app.extensions["engage.db"].write_session() as session:
        user = session.execute(select(User).where(User.email == "alice@campus.edu")).scalar_one()
        user.display_name, user.cohort = "Old Name", "Old Faculty"
    sign_in(cas_app.test_client(), cas_server, "alice", "alice-pw")
    with cas_app.app_context(), cas_app.extensions["engage.db"].session() as session:
        user = session.execute(select(User).where(User.email == "alice@campus.edu")).scalar_one()
        assert (user.display_name, user.cohort) == ("Alice Li", "HIST")
        assert session.execute(select(func.count()).select_from(IdentityLink)).scalar() == 1


def test_existing_local_account_is_linked_by_email(cas_app, cas_server, make_user):
    local = make_user(email="alice@campus.edu", display_name="Alice (local)")
    answer, _ = sign_in(cas_app.test_client(), cas_server, "alice", "alice-pw")
    assert answer.status_code == 302
    with cas_app.app_context(), cas_app.extensions["engage.db"].session() as session:
        assert session.execute(select(IdentityLink.user_id)).scalar_one() == local.id
        assert session.execute(select(func.count()).select_from(User)).scalar() == 1


def test_replayed_ticket_is_refused_and_writes_nothing(cas_app, cas_server):
    client = cas_app.test_client()
    answer, ticket = sign_in(client, cas_server, "alice", "alice-pw")
    assert answer.status_code == 302
    before = users(cas_app)
    again = cas_app.test_client().get(f"/signin/cas/callback?ticket={ticket}")
    assert again.status_code == 400
    assert "ticket is unknown, used or expired" in again.get_data(as_text=True)
    assert users(cas_app) == before


@pytest.mark.parametrize("ticket", ["ST-forged-1234567890", "", "x" * 300, "<script>"])
def test_forged_or_malformed_ticket_is_refused(cas_app, ticket):
    answer = cas_app.test_client().get("/signin/cas/callback", query_string={"ticket": ticket})
    assert answer.status_code == 400
    assert users(cas_app) == 0


def test_refusals_speak_chinese(cas_app):
    client = cas_app.test_client()
    answer = client.get("/signin/cas/callback?ticket=ST-forged", headers={"Accept-Language": "zh-CN"})
    assert answer.status_code == 400
    assert "统一身份认证服务器" in answer.get_data(as_text=True)


def test_people_outside_the_allow_rule_get_a_clear_page(cas_app, cas_server):
    answer, _ = sign_in(cas_app.test_client(), cas_server, "guest", "guest-pw")
    assert answer.status_code == 403
    assert "not among those allowed" in answer.get_data(as_text=True)
    assert users(cas_app) == 0


def test_missing_or_malformed_attributes_are_refused(cas_app, cas_server):
    configure(cas_app, server_url=cas_server, version="3", mapping={"display_name": "displayName", "email": "mail"})
    answer, _ = sign_in(cas_app.test_client(), cas_server, "noattrs", "noattrs-pw")
    assert answer.status_code == 400 and "did not send an email address" in answer.get_data(as_text=True)
    answer, _ = sign_in(cas_app.test_client(), cas_server, "bademail", "bademail-pw")
    assert answer.status_code == 400 and "not a valid address" in answer.get_data(as_text=True)
    assert users(cas_app) == 0


def test_cas_2_validation_signs_in_a_linked_person_by_user_name(cas_app, cas_server):
    """CAS 2.0 validation (/serviceValidate) works too: the person linked earlier signs in again."""
    assert sign_in(cas_app.test_client(), cas_server, "alice", "alice-pw")[0].status_code == 302
    configure(cas_app, server_url=cas_server, version="2")
    client = cas_app.test_client()
    assert sign_in(client, cas_server, "alice", "alice-pw")[0].status_code == 302
    assert client.get("/me").status_code == 200
    with cas_app.app_context(), cas_app.extensions["engage.db"].session() as session:
        assert session.execute(select(User.display_name).where(User.email == "alice@campus.edu")).scalar_one() == "Alice Li"
        assert session.execute(select(func.count()).select_from(IdentityLink)).scalar() == 1


def test_server_down_or_slow_gives_a_clear_page_within_the_timeout(app, silent_server, closed_port_url):
    import time

    configure(app, server_url=closed_port_url, version="3", timeout=1)
    answer = app.test_client().get("/signin/cas/callback?ticket=ST-1")
    assert answer.status_code == 502 and "could not be reached" in answer.get_data(as_text=True)
    configure(app, server_url=silent_server, version="3", timeout=1)
    began = time.monotonic()
    answer = app.test_client().get("/signin/cas/callback?ticket=ST-1")
    assert answer.status_code == 504 and "did not answer in time" in answer.get_data(as_text=True)
    assert time.monotonic() - began < 5
    assert users(app) == 0


def logout_request(ticket):
    """A SAML single-logout message in the form CAS servers send (django-cas-server's own)."""
    return ('<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="x" Version="2.0" '
            'IssueInstant="2026-01-01T00:00:00Z"><saml:NameID xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">'
            f'</saml:NameID><samlp:SessionIndex>{ticket}</samlp:SessionIndex></samlp:LogoutRequest>')


def test_single_logout_from_the_server_ends_the_session(cas_app, cas_server):
    """Signed in through the live site; signing out at the CAS server makes it post its
    single-logout request to this site, which ends the session here."""
    import time

    with serve(cas_app) as base:
        browser = requests.Session()
        login = browser.get(f"{base}/signin/cas/start", timeout=10)
        action, fields = form_on(login)
        fields.update(username="alice", password="alice-pw")
        browser.post(action, data=fields, timeout=10)
        assert browser.get(f"{base}/me", allow_redirects=False, timeout=10).status_code == 200
        browser.get(f"{cas_server}logout", timeout=10)
        for _ in range(50):
            if browser.get(f"{base}/me", allow_redirects=False, timeout=10).status_code == 302:
                break
            time.sleep(0.1)
        assert browser.get(f"{base}/me", allow_redirects=False, timeout=10).status_code == 302
    with cas_app.app_context(), cas_app.extensions["engage.db"].session() as session:
        assert session.execute(select(func.count()).select_from(CasSession)).scalar() == 0


def test_bad_single_logout_requests_change_nothing(cas_app, cas_server):
    client = cas_app.test_client()
    sign_in(client, cas_server, "alice", "alice-pw")
    for body in ("", "<root/>", "not xml", logout_request("ST-someone-else")):
        assert cas_app.test_client().post("/signin/cas/callback", data={"logoutRequest": body}).status_code in (200, 400)
    assert client.get("/me").status_code == 200


def test_signing_out_here_ends_the_cas_session_too(cas_app, cas_server):
    client = cas_app.test_client()
    sign_in(client, cas_server, "alice", "alice-pw")
    answer = client.post("/auth/logout")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/auth/signed-out")
    onward = client.get("/auth/signed-out")
    assert onward.headers["Refresh"].startswith(f"0; url={cas_server}logout?service=")


def test_unconfigured_provider_has_no_button_and_no_routes(app):
    assert "/signin/cas/start" not in app.test_client().get("/auth/login").get_data(as_text=True)
    assert app.test_client().get("/signin/cas/start").status_code == 404


def test_test_button_shows_the_released_attributes_without_signing_in(cas_app, cas_server, make_user):
    admin = make_user(Role.admin)
    client = cas_app.test_client()
    client.post("/auth/login", data={"email": admin.email, "password": "correct horse battery"})
    answer = client.post("/admin/sign-in/cas/test")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/signin/cas/start")
    report, _ = sign_in(client, cas_server, "carol", "carol-pw")
    text = report.get_data(as_text=True)
    assert report.status_code == 200 and "eduPersonAffiliation" in text and "T2002" in text
    assert users(cas_app) == 1
