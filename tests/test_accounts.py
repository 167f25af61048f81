"""Registering, signing in and out, roles, CSRF and rate limits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.testing import PASSWORD, AuthActions
from core.models import Role, User

FORM = {"email": "li.hua@uni.edu", "display_name": "Li Hua", "member_number": "2024001", "cohort": "",
        "locale": "en", "password": "a long password", "confirm": "a long password"}


def add_faculties(app, *codes):
    """Put faculties on the managed list, which the registration and profile forms offer."""
    from core.identity.faculties import Faculty

    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        for code in codes:
            session.add(Faculty(code=code, name_en=code, name_zh=code))


def count_users(app):
    with app.extensions["engage.db"].session() as session:
        return session.execute(select(func.count()).select_from(User)).scalar_one()


def test_register_creates_a_student_with_an_argon2_hash_then_asks_to_sign_in(client, app, auth):
    add_faculties(app, "History")
    response = client.post("/auth/register", data=FORM | {"hide_from_boards": "y", "cohort": "History"})
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    with app.extensions["engage.db"].session() as session:
        user = session.execute(select(User)).scalar_one()
    assert user.role == "student" and user.hide_from_boards and user.cohort == "History"
    assert user.password_hash.startswith("$argon2id$")
    assert b"Hello, Li Hua" not in client.get("/").data  # not signed in: the answer is the same for a taken email
    assert auth.login(FORM["email"], FORM["password"]).status_code == 302
    assert b"Hello, Li Hua" in client.get("/").data


@pytest.mark.parametrize("field, value, message", [
    ("email", "not-an-email", b"Invalid email address"),
    ("confirm", "something else", b"The passwords do not match"),
    ("password", "short", b"between 8 and 200 characters"),
    ("display_name", "", b"This field is required"),
    ("member_number", "12 34<script>", b"letters, digits and hyphens"),
])
def test_register_refuses_bad_input_and_stores_nothing(client, app, field, value, message):
    data = FORM | {field: value}
    if field == "password":
        data["confirm"] = value
    response = client.post("/auth/register", data=data)
    assert response.status_code == 400 and message in response.data
    assert count_users(app) == 0


def test_register_refuses_a_taken_member_number(client, app):
    client.post("/auth/register", data=FORM)
    other = FORM | {"email": "other@uni.edu"}
    response = client.post("/auth/register", data=other)
    assert response.status_code == 400 and b"already exists" in response.data
    assert count_users(app) == 1


def registration_answer(client, data, headers=None):
    """What a stranger sees after registering: status, where it sends them, and the next page's text."""
    response = client.post("/auth/register", data=data, headers=headers or {})
    page = client.get(response.headers.get("Location", "/auth/login"), headers=headers or {})
    text = page.get_data(as_text=True)
    flashes = text[text.index('class="flashes"'):].split("</div>")[0] if 'class="flashes"' in text else ""
    return response.status_code, response.headers.get("Location"), page.status_code, flashes


@pytest.mark.parametrize("headers", [{}, {"Accept-Language": "zh-CN"}], ids=["en", "zh_Hans"])
def test_registering_a_taken_email_answers_exactly_as_a_new_one(app, headers):
    """Registration does not enumerate accounts: a taken email (in any case) gets the answer a new
    one gets, creates nothing, signs no one in, keeps the owner's password, and is audited for the
    owner to be told."""
    from core.models import AuditEntry

    new = registration_answer(app.test_client(), FORM, headers)
    stranger = app.test_client()
    taken = registration_answer(stranger, FORM | {"email": "LI.HUA@uni.edu", "member_number": "",
                                                  "password": "another long secret", "confirm": "another long secret"},
                                headers)
    assert new == taken and new[0] == 302 and new[1] == "/auth/login"
    assert ("请用它登录" if headers else "sign in with it now") in new[3]
    assert count_users(app) == 1
    assert b"Hello, Li Hua" not in stranger.get("/").data
    assert AuthActions(stranger).login(FORM["email"], "another long secret").status_code == 400
    with app.extensions["engage.db"].session() as session:
        audit = session.execute(select(AuditEntry).where(AuditEntry.action == "account.register_taken")).scalars().all()
        owner = session.execute(select(User)).scalar_one()
    assert [a.target for a in audit] == [f"user:{owner.id}"]
    from core.mail.models import MailOutbox
    from core.mail.outbox import ADDRESS_TAKEN

    with app.extensions["engage.db"].session() as session:
        told = session.execute(select(MailOutbox.user_id).where(MailOutbox.kind == ADDRESS_TAKEN)).scalars().all()
    assert told == [owner.id]  # the owner hears of it by email, the stranger learns nothing


def test_a_taken_member_number_is_refused_alike_with_a_taken_or_a_new_email(client, app):
    client.post("/auth/register", data=FORM)
    for email in (FORM["email"], "new.person@uni.edu"):
        response = client.post("/auth/register", data=FORM | {"email": email})
        assert response.status_code == 400 and b"student or staff number already exists" in response.data
    assert count_users(app) == 1


def test_a_taken_email_still_gets_the_password_advice_a_new_one_would(client, app):
    client.post("/auth/register", data=FORM)
    response = client.post("/auth/register", data=FORM | {"member_number": "", "password": "12345678",
                                                          "confirm": "12345678"})
    assert response.status_code == 400 and b"most common passwords" in response.data


def test_a_new_and_a_taken_email_cost_one_password_hash_each(app, monkeypatch):
    """The same work on both paths, so the time of the answer does not tell them apart
    (bench/registration_timing.py measures it with the real argon2 settings)."""
    import core.accounts

    hashed = []
    real = core.accounts.hash_password
    monkeypatch.setattr(core.accounts, "hash_password", lambda password: hashed.append(1) or real(password))
    client = app.test_client()
    client.post("/auth/register", data=FORM)
    client.post("/auth/register", data=FORM | {"member_number": ""})
    assert len(hashed) == 2 and count_users(app) == 1


def test_address_taken_is_the_single_hook_for_telling_the_owner(app, monkeypatch):
    """Registration calls ``core.accounts.address_taken`` with the existing account, and only then."""
    import core.accounts

    told = []
    monkeypatch.setattr(core.accounts, "address_taken", lambda session, *, user: told.append(user.email))
    client = app.test_client()
    client.post("/auth/register", data=FORM)
    assert told == []
    client.post("/auth/register", data=FORM | {"member_number": ""})
    assert told == [FORM["email"]]


def test_wrong_password_is_refused_without_saying_which_part(client, auth, make_user):
    user = make_user()
    for email, password in [(user.email, "wrong password"), ("nobody@uni.edu", PASSWORD)]:
        response = auth.login(email, password)
        assert response.status_code == 400 and b"The email or password is not right" in response.data
    assert auth.login(user.email).status_code == 302


def test_logout_needs_post_and_signs_out(client, auth, make_user):
    auth.login(make_user().email)
    assert client.get("/auth/logout").status_code == 405
    auth.logout()
    assert client.get("/me").status_code == 302


def test_login_redirects_only_to_local_paths(client, make_user):
    user = make_user()
    response = client.post("/auth/login?next=//evil.example/x", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"
    client.post("/auth/logout")
    response = client.post("/auth/login?next=/me", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/me"


def test_login_attempts_are_rate_limited(app_factory, make_user):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [client.post("/auth/login", data={"email": "x@uni.edu", "password": "nope"}).status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]
    assert b"Too many attempts" in client.post("/auth/login", data={"email": "x@uni.edu", "password": "n"}).data
    assert client.get("/auth/login").status_code == 200  # reading the form is not limited


def test_state_changing_requests_need_a_csrf_token(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/auth/register", data=FORM)
    assert response.status_code == 400 and b"The form has expired" in response.data
    assert count_users(app) == 0
    page = client.get("/auth/register").data.decode()
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    # htmx sends the token in a header instead of the form
    assert client.post("/auth/register", data=FORM, headers={"X-CSRFToken": token}).status_code == 302
    assert count_users(app) == 1


@pytest.mark.parametrize("path", ["/admin/", "/admin/users", "/admin/audit"])
def test_students_cannot_reach_administration(client, auth, make_user, path):
    auth.login(make_user().email)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["/me", "/admin/"])
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_profile_settings_are_saved(client, auth, make_user, app):
    user = make_user()
    add_faculties(app, "Law")
    auth.login(user.email)
    response = client.post("/me", data={"display_name": "Night Owl", "cohort": "Law", "locale": "zh_Hans",
                                        "hide_from_boards": "y"})
    assert response.status_code == 302
    with app.extensions["engage.db"].session() as session:
        saved = session.get(User, user.id)
    assert (saved.display_name, saved.cohort, saved.locale, saved.hide_from_boards) == ("Night Owl", "Law", "zh_Hans", True)
    assert "积分".encode() in client.get("/me").data


def test_role_order(make_user):
    librarian = make_user(Role.librarian)
    assert librarian.has_role("student") and librarian.has_role("librarian") and not librarian.has_role("admin")
