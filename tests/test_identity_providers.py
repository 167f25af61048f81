"""Sign-in providers in core: the local password switch, attribute mapping, accounts made just in
time, linking by a verified email or a number (never a name), refusals that write nothing, the
administrator's settings (secrets encrypted) and "test this provider". A probe provider stands in
for the campus servers (their plugins test against real ones); these run on both databases."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

import signin_probe_plugin
from core.identity.providers import provider_secret, save_provider_settings
from core.identity.providers_mapping import (MappingError, check_mapping, faculty_for, map_attributes, parse_allow,
                                             parse_rules)
from core.identity.providers_models import IdentityLink, SignInSetting
from core.models import AuditEntry, Role, User, utcnow
from core.testing import PASSWORD, create_test_user
from tests.identity_servers import campus_faculties

ALICE = {"name": "Alice Li", "mail": "Alice@Campus.edu", "number": "S1001", "college": "  School of  History ",
         "affiliation": ["student"], "groups": ["readers"]}


@pytest.fixture
def probe_app(app_factory):
    app = app_factory(plugins=(signin_probe_plugin,))
    campus_faculties(app)
    return app


@pytest.fixture
def person(probe_app):
    return lambda role=Role.student, **fields: create_test_user(probe_app, role, **fields)


def set_mapping(app, **mapping):
    base = {"display_name": "name", "email": "mail", "member_number": "number", "faculty": "college"}
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        row = session.get(SignInSetting, "probe") or SignInSetting(key="probe")
        row.mapping = json.dumps({**base, **mapping})
        session.add(row)


def come_back(client, subject="alice", attributes=ALICE, verified=True):
    query = urlencode({"subject": subject, "attributes": json.dumps(attributes), "verified": "1" if verified else "0"})
    return client.get(f"/probe-signin/callback?{query}")


def counts(app):
    with app.app_context(), app.extensions["engage.db"].session() as session:
        return (session.execute(select(func.count()).select_from(User)).scalar(),
                session.execute(select(func.count()).select_from(IdentityLink)).scalar())


def user_by_email(app, email):
    with app.app_context(), app.extensions["engage.db"].session() as session:
        return session.execute(select(User).where(User.email == email)).scalar_one_or_none()


def admin_client(app, admin):
    client = app.test_client()
    client.post("/auth/login", data={"email": admin.email, "password": PASSWORD})
    return client


# --- the mapping, on its own ----------------------------------------------------------------

def test_rules_and_conditions_are_read_line_by_line():
    assert parse_rules("groups=staff -> librarian\n# a note\n\nmemberOf = cn=admins,dc=x -> admin") == [
        ("groups", "staff", "librarian"), ("memberOf", "cn=admins,dc=x", "admin")]
    assert parse_allow("affiliation=student\naffiliation=*") == [("affiliation", "student"), ("affiliation", "*")]
    with pytest.raises(MappingError) as refused:
        parse_rules("groups=staff -> wizard")
    assert refused.value.field == "role_rules" and "Line 1" in str(refused.value)
    with pytest.raises(MappingError):
        check_mapping({"email": "two words"})


def test_mapping_picks_fields_roles_and_refuses_malformed_values(probe_app):
    mapping = {"display_name": "name", "email": "mail", "member_number": "number", "faculty": "college",
               "role_rules": "groups=staff -> librarian\ngroups=admins -> admin", "allow": ""}
    with probe_app.test_request_context(), probe_app.extensions["engage.db"].session() as session:
        profile = map_attributes(session, mapping, {**ALICE, "groups": ["staff", "admins"]})
        assert (profile.email, profile.member_number, profile.cohort, profile.role) == (
            "alice@campus.edu", "S1001", "HIST", "admin")
        from core.identity.providers import SignInRefused

        for bad in ({"mail": ["not an address"]}, {"number": ["12 34"]}, {"name": ["x" * 61]}):
            with pytest.raises(SignInRefused):
                map_attributes(session, mapping, {**ALICE, **bad})
        assert faculty_for(session, "  law   SCHOOL ") == "LAW" and faculty_for(session, "法学院") == "LAW"
        assert faculty_for(session, "School of Magic") is None and faculty_for(session, "   ") is None


# --- just in time, linking, updating ----------------------------------------------------------

def test_first_sign_in_creates_the_account_then_updates_it(probe_app):
    set_mapping(probe_app)
    client = probe_app.test_client()
    answer = come_back(client)
    assert answer.status_code == 302
    assert client.get("/me").status_code == 200
    user = user_by_email(probe_app, "alice@campus.edu")
    assert (user.display_name, user.member_number, user.cohort, user.role) == ("Alice Li", "S1001", "HIST", "student")
    # No password: a password sign-in with any guess never works for this account.
    assert probe_app.test_client().post("/auth/login", data={"email": "alice@campus.edu", "password": ""}).status_code == 400
    come_back(probe_app.test_client(), attributes={**ALICE, "name": "Alice Li-Wang", "college": "Law School"})
    user = user_by_email(probe_app, "alice@campus.edu")
    assert (user.display_name, user.cohort) == ("Alice Li-Wang", "LAW")
    assert counts(probe_app) == (1, 1)
    with probe_app.app_context(), probe_app.extensions["engage.db"].session() as session:
        assert session.execute(select(AuditEntry.action).where(AuditEntry.action == "signin.create")).scalar_one()


def test_an_address_the_provider_vouches_for_counts_as_confirmed(app_factory):
    """A campus account's address needs no confirming email (the docs say CAS and LDAP addresses,
    and OpenID Connect's with email_verified, count as verified), so a required confirmation does
    not hold a campus reader back; an address the provider did not vouch for is still to confirm."""
    app = app_factory(plugins=(signin_probe_plugin,), EMAIL_VERIFICATION_REQUIRED=True)
    campus_faculties(app)
    set_mapping(app)
    client = app.test_client()
    assert come_back(client).status_code == 302
    assert user_by_email(app, "alice@campus.edu").email_verified_at is not None
    assert "Confirm your email address to take part" not in client.get("/").get_data(as_text=True)
    bob = {"name": "Bob", "mail": "bob@campus.edu", "number": "T2002"}
    other = app.test_client()
    assert come_back(other, subject="bob", attributes=bob, verified=False).status_code == 302
    assert user_by_email(app, "bob@campus.edu").email_verified_at is None
    assert "Confirm your email address to take part" in other.get("/").get_data(as_text=True)


def test_a_changed_address_is_confirmed_only_if_the_provider_vouches_for_it(probe_app):
    set_mapping(probe_app)
    come_back(probe_app.test_client())
    come_back(probe_app.test_client(), attributes={**ALICE, "mail": "alice.li@campus.edu"}, verified=False)
    assert user_by_email(probe_app, "alice.li@campus.edu").email_verified_at is None
    come_back(probe_app.test_client(), attributes={**ALICE, "mail": "a.li@campus.edu"})
    assert user_by_email(probe_app, "a.li@campus.edu").email_verified_at is not None


def test_existing_account_is_linked_by_email_or_number(probe_app, person):
    set_mapping(probe_app)
    by_email = person(email="alice@campus.edu")
    by_number = person(email="bob.old@campus.edu", member_number="T2002")
    assert come_back(probe_app.test_client()).status_code == 302
    bob = {"name": "Bob", "mail": "bob@campus.edu", "number": "T2002"}
    assert come_back(probe_app.test_client(), subject="bob", attributes=bob).status_code == 302
    with probe_app.app_context(), probe_app.extensions["engage.db"].session() as session:
        links = dict(session.execute(select(IdentityLink.subject, IdentityLink.user_id)).all())
        assert links == {"alice": by_email.id, "bob": by_number.id}
        assert session.get(User, by_number.id).email == "bob@campus.edu"
    assert counts(probe_app) == (2, 2)


def test_linking_an_unconfirmed_account_ends_its_password_and_sessions(probe_app, person):
    """Someone signed up with Alice's address before she came: their password must not reach her account."""
    set_mapping(probe_app)
    squatter = person(email="alice@campus.edu")
    early = probe_app.test_client()
    assert early.post("/auth/login", data={"email": squatter.email, "password": PASSWORD}).status_code == 302
    assert come_back(probe_app.test_client()).status_code == 302
    assert early.get("/me").status_code == 302  # the squatter's session ended
    assert probe_app.test_client().post("/auth/login", data={"email": squatter.email,
                                                              "password": PASSWORD}).status_code == 400
    assert user_by_email(probe_app, "alice@campus.edu").email_verified_at is not None


def test_a_confirmed_account_keeps_its_password_when_linked(probe_app, person):
    set_mapping(probe_app)
    alice = person(email="alice@campus.edu")
    with probe_app.app_context(), probe_app.extensions["engage.db"].write_session() as session:
        session.get(User, alice.id).email_verified_at = utcnow()
    assert come_back(probe_app.test_client()).status_code == 302
    assert probe_app.test_client().post("/auth/login", data={"email": alice.email,
                                                              "password": PASSWORD}).status_code == 302


def test_a_name_alone_never_links(probe_app, person):
    set_mapping(probe_app)
    namesake = person(email="other.alice@campus.edu", display_name="Alice Li")
    assert come_back(probe_app.test_client()).status_code == 302
    with probe_app.app_context(), probe_app.extensions["engage.db"].session() as session:
        assert session.execute(select(IdentityLink.user_id)).scalar_one() != namesake.id
    assert counts(probe_app) == (2, 1)


@pytest.mark.parametrize("case", ["unverified", "split", "deactivated", "not_allowed", "no_email", "bad_number",
                                  "no_subject", "linked_elsewhere"])
def test_refusals_are_clear_and_write_nothing(probe_app, person, case):
    set_mapping(probe_app, allow="affiliation=student\naffiliation=staff")
    verified, attributes, subject = True, dict(ALICE), "alice"
    if case == "unverified":
        person(email="alice@campus.edu")
        verified = False
    elif case == "split":
        person(email="alice@campus.edu")
        person(email="someone@campus.edu", member_number="S1001")
    elif case == "deactivated":
        user = person(email="alice@campus.edu")
        with probe_app.app_context(), probe_app.extensions["engage.db"].write_session() as session:
            session.get(User, user.id).is_active = False
    elif case == "not_allowed":
        attributes["affiliation"] = ["alumni"]
    elif case == "no_email":
        attributes.pop("mail")
    elif case == "bad_number":
        attributes["number"] = "S1001; DROP TABLE"
    elif case == "no_subject":
        subject = "  "
    elif case == "linked_elsewhere":
        assert come_back(probe_app.test_client(), subject="alice-old").status_code == 302
    before = counts(probe_app)
    answer = come_back(probe_app.test_client(), subject=subject, attributes=attributes, verified=verified)
    assert answer.status_code in (400, 403, 409)
    assert "You could not be signed in" in answer.get_data(as_text=True)
    assert counts(probe_app) == before


def test_refusal_is_said_in_chinese(probe_app):
    set_mapping(probe_app, allow="affiliation=staff")
    client = probe_app.test_client()
    client.post("/language", data={"locale": "zh_Hans"})
    answer = come_back(client)
    assert answer.status_code == 403
    text = answer.get_data(as_text=True)
    assert "无法登录" in text and "您" not in text


def test_role_rules_promote_and_are_audited(probe_app, person):
    set_mapping(probe_app, role_rules="groups=staff -> librarian")
    person(email="alice@campus.edu")
    assert come_back(probe_app.test_client(), attributes={**ALICE, "groups": ["staff"]}).status_code == 302
    assert user_by_email(probe_app, "alice@campus.edu").role == Role.librarian.value
    # No rule matches now: the role is kept, not taken away.
    assert come_back(probe_app.test_client()).status_code == 302
    assert user_by_email(probe_app, "alice@campus.edu").role == Role.librarian.value
    with probe_app.app_context(), probe_app.extensions["engage.db"].session() as session:
        assert session.execute(select(AuditEntry.detail).where(AuditEntry.action == "role.change")).scalar_one() == "student → librarian"


def test_next_page_is_kept_across_the_provider_round_trip(probe_app):
    set_mapping(probe_app)
    client = probe_app.test_client()
    client.get("/auth/login?next=/me/history")
    assert come_back(client).headers["Location"].endswith("/me/history")


def test_signing_out_goes_on_to_the_providers_logout(probe_app):
    set_mapping(probe_app)
    client = probe_app.test_client()
    come_back(client)
    answer = client.post("/auth/logout")
    # The form's POST may not redirect to another site (CSP form-action): a page of ours sends it on.
    assert answer.headers["Location"].endswith("/auth/signed-out")
    onward = client.get("/auth/signed-out")
    assert onward.headers["Refresh"] == "0; url=https://probe.example.edu/logout?token=probe-token"
    assert "https://probe.example.edu/logout?token=probe-token" in onward.get_data(as_text=True)
    assert client.get("/auth/signed-out").status_code == 302  # used up
    assert client.get("/me").status_code == 302


# --- local passwords as a provider an administrator switches off ---------------------------

def test_passwords_can_be_switched_off_only_with_another_way_in(app_factory):
    bare = app_factory()
    admin = create_test_user(bare, Role.admin)
    client = admin_client(bare, admin)
    answer = client.post("/admin/sign-in/passwords", data={"enabled": "0"}, follow_redirects=True)
    assert "Set up and switch on another way to sign in" in answer.get_data(as_text=True)
    assert "<form method=\"post\" novalidate>" in bare.test_client().get("/auth/login").get_data(as_text=True)


def test_switched_off_passwords_leave_the_page_and_are_refused(probe_app, person):
    admin = person(Role.admin)
    reader = person()
    client = admin_client(probe_app, admin)
    assert client.post("/admin/sign-in/passwords", data={"enabled": "0"}).status_code == 302
    page = probe_app.test_client().get("/auth/login").get_data(as_text=True)
    assert 'name="password"' not in page and "Sign in with Probe" in page
    answer = probe_app.test_client().post("/auth/login", data={"email": reader.email, "password": PASSWORD})
    assert answer.status_code == 403 and "switched off" in answer.get_data(as_text=True)
    assert probe_app.test_client().post("/auth/register", data={"email": "new@campus.edu"}).status_code == 403
    with probe_app.app_context(), probe_app.extensions["engage.db"].session() as session:
        assert session.execute(select(AuditEntry.action).where(AuditEntry.action == "signin.passwords_off")).scalar_one()
    assert client.post("/admin/sign-in/passwords", data={"enabled": "1"}).status_code == 302
    ok = probe_app.test_client().post("/auth/login", data={"email": reader.email, "password": PASSWORD})
    assert ok.status_code == 302


# --- the administrator's pages ----------------------------------------------------------------

def test_settings_page_stores_the_secret_encrypted(probe_app, person):
    client = admin_client(probe_app, person(Role.admin))
    assert "Sign in with Probe" in client.get("/admin/sign-in/").get_data(as_text=True)
    answer = client.post("/admin/sign-in/probe", data={"server_url": "https://cas.example.edu/cas/",
                                                       "client_secret": "s3cret-value", "display_name": "cn",
                                                       "email": "mail", "role_rules": "groups=staff -> librarian"})
    assert answer.status_code == 302
    with probe_app.test_request_context(), probe_app.extensions["engage.db"].session() as session:
        row = session.get(SignInSetting, "probe")
        assert "s3cret-value" not in row.secret and provider_secret(session, "probe") == "s3cret-value"
        assert json.loads(row.mapping)["display_name"] == "cn"
    page = client.get("/admin/sign-in/probe").get_data(as_text=True)
    assert "s3cret-value" not in page and "A secret is stored" in page


def test_configured_secret_wins(app_factory):
    app = app_factory(plugins=(signin_probe_plugin,), SIGNIN_SECRETS={"probe": "from-config"})
    with app.test_request_context(), app.extensions["engage.db"].write_session() as session:
        save_provider_settings(session, key="probe", values={}, secret="from-db", actor_id=None)
        assert provider_secret(session, "probe") == "from-config"


def test_bad_settings_are_refused_with_the_line_named(probe_app, person):
    client = admin_client(probe_app, person(Role.admin))
    answer = client.post("/admin/sign-in/probe", data={"server_url": "https://x.example.edu/",
                                                       "role_rules": "groups=staff => librarian"})
    assert answer.status_code == 400 and "Line 1" in answer.get_data(as_text=True)
    answer = client.post("/admin/sign-in/probe", data={"server_url": "not a url"})
    assert answer.status_code == 400
    with probe_app.app_context(), probe_app.extensions["engage.db"].session() as session:
        assert session.get(SignInSetting, "probe") is None


def test_test_button_reports_what_the_provider_sent_and_signs_nobody_in(probe_app, person):
    admin = person(Role.admin)
    client = admin_client(probe_app, admin)
    set_mapping(probe_app)
    answer = client.post("/admin/sign-in/probe/test")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/probe-signin/start")
    before = counts(probe_app)
    report = come_back(client)
    text = report.get_data(as_text=True)
    assert report.status_code == 200 and "School of History" in text and "S1001" in text and "affiliation" in text
    assert counts(probe_app) == before
    assert client.get("/admin/sign-in/").status_code == 200  # still the administrator
    # The test is used up: the next answer signs in as usual.
    assert come_back(client).status_code == 302


def test_only_admins_see_the_sign_in_settings(probe_app, person):
    librarian = admin_client(probe_app, person(Role.librarian))
    assert librarian.get("/admin/sign-in/").status_code == 403
    assert librarian.post("/admin/sign-in/passwords", data={"enabled": "0"}).status_code == 403


def test_command_line_switches_passwords_back_on(app_factory):
    app = app_factory()
    from core.identity.providers_cli import signin_group

    runner = app.test_cli_runner()
    assert "switched off" in runner.invoke(signin_group, ["passwords", "off"]).output
    assert "password: off" in runner.invoke(signin_group, ["list"]).output
    assert app.test_client().post("/auth/login", data={"email": "x@campus.edu", "password": "y"}).status_code == 403
    assert "switched on" in runner.invoke(signin_group, ["passwords", "on"]).output


def test_a_provider_switched_off_leaves_the_sign_in_page_and_its_settings(probe_app, person):
    from core.plugins import set_enabled

    client = admin_client(probe_app, person(Role.admin))
    assert client.get("/admin/sign-in/probe").status_code == 200
    with probe_app.app_context(), probe_app.extensions["engage.db"].write_session() as session:
        set_enabled(session, name="signin_probe", enabled=False, actor_id=None)
    assert "Sign in with Probe" not in probe_app.test_client().get("/auth/login").get_data(as_text=True)
    assert client.get("/admin/sign-in/probe").status_code == 404
    assert come_back(probe_app.test_client()).status_code == 404
