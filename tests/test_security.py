"""Sign-in and browser security: redirects from input, sessions that end, headers, passwords, rate limits."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.accounts import AccountError, create_user, end_sessions
from core.models import AuditEntry, Role, User
from core.security import local_target
from core.security.passwords import password_problem
from core.testing import PASSWORD

# --- redirects ------------------------------------------------------------------------------

HOSTILE = [
    "//evil.example/path", "/%09/evil.example/path", "/\t/evil.example/path", "\t//evil.example",
    "/\n/evil.example", "/\r/evil.example", " //evil.example", "/ /evil.example", "/\\evil.example",
    "\\\\evil.example", "/\\/evil.example", "\\/evil.example", "https://evil.example/", "http:evil.example",
    "HTTPS:/evil.example", "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "evil.example",
    "/%2F/evil.example", "/%2f%2fevil.example", "%2F%2Fevil.example", "/%5Cevil.example", "/%5cevil.example",
    "/%252F%252Fevil.example", "/%2525252F%2525252Fevil.example", "/%0d%0aSet-Cookie:%20a=b",
    "/x\r\nSet-Cookie: a=b", "/\x00/evil.example", "/\x7f/evil.example", "/\u3000/evil.example",
    "/\u00a0/evil.example", "/\u2028/evil.example", "///evil.example", "", None, "/" + "a" * 3000,
]
LOCAL = ["/", "/me", "/boards?period=week&cohort=Law", "/stories/polls/3#vote", "/people/7", "/搜索?q=书",
         "/feedback/board?page=2", "/a%20b"]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_redirect_targets_are_refused(target):
    assert local_target(target) is None


@pytest.mark.parametrize("target", LOCAL)
def test_local_redirect_targets_are_kept(target):
    assert local_target(target) == target


@pytest.mark.parametrize("target", [t for t in HOSTILE if t])
def test_sign_in_never_sends_a_reader_elsewhere(client, make_user, target):
    user = make_user()
    response = client.post("/auth/login", query_string={"next": target},
                           data={"email": user.email, "password": PASSWORD})
    if "\x00" in target:  # a NUL byte anywhere is refused before any view (core.security.inputs)
        assert response.status_code == 400 and "Location" not in response.headers
    else:
        assert response.status_code == 302 and response.headers["Location"] == "/"


def test_sign_in_goes_to_a_local_next_from_the_form_too(client, make_user):
    user = make_user()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD, "next": "/boards/"})
    assert response.headers["Location"] == "/boards/"


@pytest.mark.parametrize("target", ["/%09/evil.example/path", "/\\evil.example", "/x\r\nSet-Cookie: a=b", "/me"])
def test_the_language_switch_redirects_only_to_local_paths(client, target):
    response = client.post("/language", data={"locale": "zh_Hans", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == ("/me" if target == "/me" else "/")


# --- sessions -------------------------------------------------------------------------------

def _copy_of(client, app):
    """A second browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    cookie = client.get_cookie("session")
    thief.set_cookie("session", cookie.value)
    return thief


def _signed_in(client) -> bool:
    return client.get("/me").status_code == 200


def test_a_copied_session_stops_working_after_sign_out(app, client, auth, make_user):
    auth.login(make_user().email)
    thief = _copy_of(client, app)
    assert _signed_in(thief)
    auth.logout()
    assert not _signed_in(thief) and not _signed_in(client)
    assert thief.get("/me").headers["Location"].startswith("/auth/login")


def test_signing_out_ends_the_sessions_on_other_devices_too(app, make_user):
    user = make_user()
    phone, laptop = app.test_client(), app.test_client()
    for device in (phone, laptop):
        device.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    phone.post("/auth/logout")
    assert not _signed_in(laptop)
    laptop.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert _signed_in(laptop)


def _admin_client(app, make_user):
    admin = make_user(Role.admin)
    client = app.test_client()
    client.post("/auth/login", data={"email": admin.email, "password": PASSWORD})
    return client


def test_a_role_change_by_an_administrator_ends_the_users_sessions(app, client, auth, make_user):
    librarian = make_user(Role.librarian)
    auth.login(librarian.email)
    thief = _copy_of(client, app)
    assert thief.get("/admin/").status_code == 200
    admin = _admin_client(app, make_user)
    response = admin.post(f"/admin/users/{librarian.id}/role", data={"role": "student", "reason": "left the team"})
    assert response.status_code == 302
    assert not _signed_in(thief) and not _signed_in(client)
    assert thief.get("/admin/").status_code == 302  # to the sign-in page, not a librarian's view


def test_deactivation_ends_sessions_and_refuses_sign_in(app, client, auth, make_user):
    reader = make_user()
    auth.login(reader.email)
    thief = _copy_of(client, app)
    admin = _admin_client(app, make_user)
    assert admin.post(f"/admin/users/{reader.id}/active", data={"active": "0"}).status_code == 400  # no reason
    assert _signed_in(thief)
    response = admin.post(f"/admin/users/{reader.id}/active", data={"active": "0", "account-reason": "graduated"})
    assert response.status_code == 302
    assert not _signed_in(thief) and not _signed_in(client)
    assert client.post("/auth/login", data={"email": reader.email, "password": PASSWORD}).status_code == 400
    with app.extensions["engage.db"].session() as session:
        actions = session.execute(select(AuditEntry.action).where(AuditEntry.target == f"user:{reader.id}")).scalars()
        assert list(actions) == ["user.deactivate"]
    admin.post(f"/admin/users/{reader.id}/active", data={"active": "1", "account-reason": "came back"})
    assert client.post("/auth/login", data={"email": reader.email, "password": PASSWORD}).status_code == 302


def test_an_administrator_cannot_deactivate_themself(app, make_user):
    admin = make_user(Role.admin)
    client = app.test_client()
    client.post("/auth/login", data={"email": admin.email, "password": PASSWORD})
    response = client.post(f"/admin/users/{admin.id}/active", data={"active": "0", "account-reason": "oops"})
    assert response.status_code == 400 and b"cannot deactivate your own account" in response.data
    assert _signed_in(client)


def test_a_new_password_ends_other_sessions_and_keeps_this_one(app, client, auth, make_user):
    user = make_user()
    auth.login(user.email)
    thief = _copy_of(client, app)
    new = "quiet lantern orchard 42"
    refused = client.post("/me/password", data={"current": "not it", "password": new, "confirm": new})
    assert refused.status_code == 400 and b"current password is not right" in refused.data
    assert _signed_in(thief)
    response = client.post("/me/password", data={"current": PASSWORD, "password": new, "confirm": new})
    assert response.status_code == 302
    assert _signed_in(client) and not _signed_in(thief)
    client.post("/auth/logout")
    assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 400
    assert client.post("/auth/login", data={"email": user.email, "password": new}).status_code == 302


def test_end_sessions_as_a_service(app, client, auth, make_user):
    user = make_user()
    auth.login(user.email)
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        end_sessions(session, user_id=user.id)
    assert not _signed_in(client)


def test_the_csrf_secret_changes_at_sign_in(app_factory, make_user):
    app = app_factory(WTF_CSRF_ENABLED=True)
    user = create_user_in(app)
    client = app.test_client()
    before = _token(client.get("/auth/login").data)
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": before})
    assert response.status_code == 302
    after = _token(client.get("/me").data)
    assert after != before
    # a token from before sign-in (which a page of another site might have planted) no longer works
    assert client.post("/language", data={"locale": "en", "csrf_token": before}).status_code == 400
    assert client.post("/language", data={"locale": "en", "csrf_token": after}).status_code == 302


def create_user_in(app):
    from core.testing import create_test_user

    return create_test_user(app)


def _token(page: bytes) -> str:
    return page.decode().split('name="csrf-token" content="')[1].split('"')[0]


# --- passwords ------------------------------------------------------------------------------

@pytest.mark.parametrize("password, word", [
    ("12345678", "common"), ("password", "common"), ("qwertyuiop", "common"), ("iloveyou", "common"),
    ("li.hua@uni.edu", "email"), ("li.hua2024", "email"), ("Li Hua Li Hua", "email"),
    ("University Library", "email"), ("aaaaaaaaaaaa", "guess"), ("abcdefgh123", "guess"),
])
def test_guessable_passwords_are_refused_with_a_helpful_reason(app, password, word):
    with app.test_request_context():
        problem = password_problem(password, email="li.hua@uni.edu", display_name="Li Hua")
    assert problem is not None
    expected = {"common": "most common passwords", "email": "your email, your name or the library",
                "guess": "too easy to guess"}[word]
    assert expected in problem


@pytest.mark.parametrize("password", [PASSWORD, "quiet lantern orchard 42", "Tr0ub4dor&3 horse",
                                      "li.hua walks past seven purple kettles"])
def test_strong_passwords_are_accepted(app, password):
    with app.test_request_context():
        assert password_problem(password, email="li.hua@uni.edu", display_name="Li Hua") is None


def test_registration_refuses_a_guessable_password_in_the_readers_language(client, app):
    form = {"email": "li.hua@uni.edu", "display_name": "Li Hua", "locale": "en", "password": "12345678",
            "confirm": "12345678"}
    response = client.post("/auth/register", data=form)
    assert response.status_code == 400 and b"most common passwords" in response.data
    form.update(password="li.hua@uni.edu", confirm="li.hua@uni.edu")
    response = client.post("/auth/register", data=form, headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 400 and "你的邮箱" in response.data.decode()
    with app.extensions["engage.db"].session() as session:
        assert session.execute(select(User)).first() is None


def test_create_user_checks_the_password_unless_given_a_hash(app):
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        with pytest.raises(AccountError) as refused:
            create_user(session, email="a@uni.edu", password="password", display_name="A")
        assert refused.value.field == "password"
        create_user(session, email="b@uni.edu", password="", password_hash="$argon2id$imported", display_name="B")


def test_create_admin_refuses_a_guessable_password(app, database_url, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from core.cli import main

    monkeypatch.setenv("ENGAGE_DATABASE_URL", database_url)
    monkeypatch.setenv("ENGAGE_INSTANCE_PATH", str(tmp_path / "instance"))
    runner = CliRunner()
    result = runner.invoke(main, ["create-admin", "--email", "head@uni.edu", "--name", "Head",
                                  "--password", "password1"])
    assert result.exit_code != 0 and "most common passwords" in result.output
    result = runner.invoke(main, ["create-admin", "--email", "head@uni.edu", "--name", "Head",
                                  "--password", "head@uni.edu"])
    assert result.exit_code != 0 and "your email" in result.output
    with app.extensions["engage.db"].session() as session:
        assert session.execute(select(User)).first() is None
