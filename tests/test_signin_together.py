"""Several sign-in providers on at once (issue 15): CAS, OpenID Connect and the directory set up on
one site, each with its button beside the password form; people sign in through each against the
real servers on loopback and get their own account and link, and a person who comes through two
providers gets one account with two links."""

from __future__ import annotations

import json
from urllib.parse import quote, urlsplit

from sqlalchemy import func, select

from core.identity.providers import save_provider_settings
from core.identity.providers_models import IdentityLink, SignInSetting
from core.models import User
from tests.identity_servers import campus_faculties
from tests.identity_servers.clients import cas_ticket, oidc_callback
from tests.identity_servers.servers import cas_server, ldap_server, oidc_factory, oidc_server, run_once  # noqa: F401

pytestmark = run_once


def configure(app, key, secret=None, mapping=None, **values):
    with app.test_request_context(), app.extensions["engage.db"].write_session() as session:
        save_provider_settings(session, key=key, values=values, secret=secret, actor_id=None)
        session.flush()
        row = session.get(SignInSetting, key)
        row.mapping = json.dumps(mapping)
        session.add(row)


def test_cas_oidc_and_the_directory_side_by_side(app, cas_server, oidc_server, ldap_server):  # noqa: F811
    campus_faculties(app)
    configure(app, "cas", server_url=cas_server, version="3", timeout=5,
              mapping={"display_name": "displayName", "email": "mail", "member_number": "employeeNumber"})
    configure(app, "oidc", secret="engage-secret", issuer=oidc_server, client_id="engage",
              scopes="openid email profile campus", timeout=5,
              mapping={"display_name": "name", "email": "email", "member_number": "student_number"})
    configure(app, "ldap", server_url=ldap_server, bind_dn_template="uid={username},ou=people,dc=campus,dc=edu",
              timeout=5, mapping={"display_name": "displayName", "email": "mail", "member_number": "employeeNumber"})
    page = app.test_client().get("/auth/login").get_data(as_text=True)
    for start in ("/signin/cas/start", "/signin/oidc/start", "/signin/ldap/"):
        assert start in page, start
    assert 'name="password"' in page  # local passwords stay on beside them

    service = quote("http://localhost/signin/cas/callback", safe="")

    def through_cas(username, password):
        client = app.test_client()
        ticket = cas_ticket(f"{cas_server}login?service={service}", username, password)
        assert client.get(f"/signin/cas/callback?ticket={ticket}").status_code == 302
        return client

    def through_oidc(login):
        client = app.test_client()
        back = urlsplit(oidc_callback(client.get("/signin/oidc/start").headers["Location"], login))
        assert client.get(f"{back.path}?{back.query}").status_code == 302
        return client

    ldap = app.test_client()
    signed_in = [through_cas("carol", "carol-pw"), through_oidc("numbered"), ldap]
    assert ldap.post("/signin/ldap/", data={"username": "dana", "password": "dana-pw"}).status_code == 302
    # The same person through two providers (same number and verified address): one account, two
    # links, and the first sign-in's session goes on.
    signed_in += [through_cas("alice", "alice-pw"), through_oidc("alice")]
    for client in signed_in:
        assert client.get("/me").status_code == 200
    with app.app_context(), app.extensions["engage.db"].session() as session:
        links = session.execute(select(IdentityLink.provider, IdentityLink.subject, User.email)
                                .join(User, User.id == IdentityLink.user_id)
                                .order_by(IdentityLink.provider, IdentityLink.subject)).all()
        assert session.execute(select(func.count()).select_from(User)).scalar_one() == 4
    assert [tuple(link) for link in links] == [
        ("cas", "alice", "alice@campus.edu"), ("cas", "carol", "carol@campus.edu"), ("ldap", "dana", "dana@campus.edu"),
        ("oidc", "alice", "alice@campus.edu"), ("oidc", "numbered", "someone.else@campus.edu")]
