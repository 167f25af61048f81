"""Email in an account's life, against a real SMTP server (aiosmtpd on loopback): the messages are
read as received and their links followed. Reset links work once and expire; the reset form
answers alike for any address; changes need the current password; notices reach the old address."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from core.mail import deliver_pending
from core.mail.models import MailOutbox
from core.models import AuditEntry, User
from core.testing import PASSWORD, create_test_user
from test_mail import SENDER, parts, smtp  # noqa: F401  (the SMTP server fixture)

BASE = "https://engage.library.test"
NEW_PASSWORD = "violet lantern orchard"


@pytest.fixture
def mail_app(app_factory, smtp):  # noqa: F811
    return app_factory(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port,
                       MAIL_DEFAULT_SENDER=SENDER, PUBLIC_BASE_URL=BASE)


def sign_in(client, email, password=PASSWORD):
    return client.post("/auth/login", data={"email": email, "password": password})


def delivered(app, smtp, address):  # noqa: F811
    deliver_pending(app, 50)
    return smtp.to(address)


def link_in(message, path: str) -> str:
    """The site path of the first link to ``path`` in both parts of ``message`` (they must agree)."""
    text, html = parts(message)
    found = re.search(re.escape(BASE) + re.escape(path) + r"[\w.\-]+", text).group(0)
    assert found in html
    return found[len(BASE):]


def user_row(app, user_id) -> User:
    with app.extensions["engage.db"].session() as session:
        return session.get(User, user_id)


def test_a_forgotten_password_is_reset_through_the_emailed_link_once(mail_app, smtp):  # noqa: F811
    reader = create_test_user(mail_app)
    other_device = mail_app.test_client()
    sign_in(other_device, reader.email)
    client = mail_app.test_client()
    page = client.post("/auth/reset", data={"email": reader.email.upper() + " "})
    assert page.status_code == 200 and "Check your email" in page.get_data(as_text=True)
    [message] = delivered(mail_app, smtp, reader.email)
    assert "Reset your password" in message["Subject"]
    link = link_in(message, "/auth/reset/")
    assert client.get(link).status_code == 200
    answer = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/auth/login")
    assert sign_in(client, reader.email, NEW_PASSWORD).status_code == 302
    assert sign_in(mail_app.test_client(), reader.email, PASSWORD).status_code == 400
    assert other_device.get("/me").status_code == 302  # every other session ended
    # used once: the same link is refused, with a clear page and nothing changed
    again = mail_app.test_client().post(link, data={"password": "another fine phrase", "confirm": "another fine phrase"})
    assert again.status_code == 400 and "expired or was already used" in again.get_data(as_text=True)
    assert sign_in(mail_app.test_client(), reader.email, NEW_PASSWORD).status_code == 302
    notice = delivered(mail_app, smtp, reader.email)[-1]
    assert "Your password was changed" in notice["Subject"]
    row = user_row(mail_app, reader.id)
    assert row.email_verified_at is not None  # the link reached the address


def test_an_expired_reset_link_is_refused(app_factory, smtp):  # noqa: F811
    app = app_factory(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, PUBLIC_BASE_URL=BASE,
                      RESET_TOKEN_SECONDS=1)
    reader = create_test_user(app)
    client = app.test_client()
    client.post("/auth/reset", data={"email": reader.email})
    link = link_in(delivered(app, smtp, reader.email)[0], "/auth/reset/")
    time.sleep(2.1)
    answer = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert answer.status_code == 400 and "has expired" in answer.get_data(as_text=True)
    assert sign_in(app.test_client(), reader.email).status_code == 302  # the old password still works


@pytest.mark.parametrize("token", ["nonsense", "eyJ1IjoxLCJmIjoiYWJjIn0.forged.signature"])
def test_a_forged_reset_link_is_refused(app, token):
    create_test_user(app)
    response = app.test_client().get(f"/auth/reset/{token}")
    assert response.status_code == 400 and "Ask for a new one" in response.get_data(as_text=True)


def test_the_reset_form_answers_alike_for_an_unknown_address(mail_app, smtp):  # noqa: F811
    reader = create_test_user(mail_app)
    client = mail_app.test_client()
    known = client.post("/auth/reset", data={"email": reader.email})
    unknown = client.post("/auth/reset", data={"email": "nobody@test.library"})
    assert known.status_code == unknown.status_code == 200
    strip = lambda r: re.sub(r"[\w-]{20,}\.[\w-]+\.[\w-]+", "<csrf>", r.get_data(as_text=True))  # noqa: E731
    assert strip(known) == strip(unknown)
    deliver_pending(mail_app, 50)
    assert [m["To"] for m in smtp.messages] == [reader.email]
    # asking again at once sends nothing more (no inbox flooding), with the same answer
    assert strip(client.post("/auth/reset", data={"email": reader.email})) == strip(known)
    deliver_pending(mail_app, 50)
    assert len(smtp.messages) == 1


def test_reset_requests_are_rate_limited(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, RESET_RATE_LIMIT="2 per hour")
    client = app.test_client()
    codes = [client.post("/auth/reset", data={"email": f"x{n}@test.library"}).status_code for n in range(3)]
    assert codes == [200, 200, 429]


def test_the_reset_email_is_in_the_readers_language(mail_app, smtp):  # noqa: F811
    reader = create_test_user(mail_app, locale="zh_Hans")
    mail_app.test_client().post("/auth/reset", data={"email": reader.email})
    [message] = delivered(mail_app, smtp, reader.email)
    text, html = parts(message)
    assert "重置密码" in message["Subject"] and "重置" in text and 'lang="zh-Hans"' in html


def test_a_new_reader_confirms_their_address_from_the_email(mail_app, smtp):  # noqa: F811
    client = mail_app.test_client()
    client.post("/auth/register", data={"email": "new@test.library", "display_name": "New Reader",
                                        "password": PASSWORD, "confirm": PASSWORD, "locale": "en"})
    [message] = delivered(mail_app, smtp, "new@test.library")
    link = link_in(message, "/account/verify/")
    assert client.get(link).status_code == 200  # asks first: a link scanner changes nothing
    with mail_app.extensions["engage.db"].session() as session:
        user = session.execute(select(User).where(User.email == "new@test.library")).scalar_one()
    assert user.email_verified_at is None
    assert client.post(link).status_code == 302
    assert user_row(mail_app, user.id).email_verified_at is not None
    assert client.post(link).status_code == 400  # used


def test_an_unconfirmed_reader_reads_but_cannot_take_part_while_required(app_factory):
    app = app_factory(EMAIL_VERIFICATION_REQUIRED=True)
    reader = create_test_user(app)
    client = app.test_client()
    assert sign_in(client, reader.email).status_code == 302
    home = client.get("/")
    assert home.status_code == 200 and "Confirm your email address to take part" in home.get_data(as_text=True)
    held = client.post("/me/password", data={})  # their own account: allowed (a form error, not a redirect)
    assert held.status_code == 400
    blocked = client.post("/notifications/read-all")
    assert blocked.status_code in (302, 303)  # notifications are their own too
    staff_only = client.post("/admin/users/1/adjust", data={"amount": "5", "reason": "x"})
    assert staff_only.status_code == 302 and staff_only.headers["Location"].endswith("/account/verify")
    # not required: nothing is held back
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        from core.identity.settings import save

        save(session, verification=False, years=0, actor_id=None)
    assert "to take part in activities" not in client.get("/").get_data(as_text=True)
    assert client.post("/admin/users/1/adjust", data={"amount": "5", "reason": "x"}).status_code == 403


def test_changing_the_address_needs_the_password_and_counts_once_confirmed(mail_app, smtp):  # noqa: F811
    reader = create_test_user(mail_app)
    old = reader.email
    client = mail_app.test_client()
    sign_in(client, old)
    wrong = client.post("/account/email", data={"email": "moved@test.library", "current": "not my password"})
    assert wrong.status_code == 400 and "current password is not right" in wrong.get_data(as_text=True)
    assert user_row(mail_app, reader.id).pending_email is None
    assert client.post("/account/email", data={"email": "Moved@test.library", "current": PASSWORD}).status_code == 302
    assert user_row(mail_app, reader.id).email == old  # not yet
    [confirm] = delivered(mail_app, smtp, "moved@test.library")
    [heads_up] = smtp.to(old)
    assert "new email address was given" in heads_up["Subject"] and "moved@test.library" in parts(heads_up)[0]
    assert client.post(link_in(confirm, "/account/verify/")).status_code == 302
    row = user_row(mail_app, reader.id)
    assert (row.email, row.pending_email) == ("moved@test.library", None) and row.email_verified_at
    changed = delivered(mail_app, smtp, old)[-1]
    assert "Your email address was changed" in changed["Subject"]
    assert sign_in(mail_app.test_client(), "moved@test.library").status_code == 302


def test_an_address_another_account_holds_gets_the_same_answer_and_no_link(mail_app, smtp):  # noqa: F811
    reader, other = create_test_user(mail_app), create_test_user(mail_app)
    client = mail_app.test_client()
    sign_in(client, reader.email)
    answer = client.post("/account/email", data={"email": other.email, "current": PASSWORD})
    assert answer.status_code == 302
    deliver_pending(mail_app, 50)
    assert smtp.to(other.email) == []
    assert user_row(mail_app, reader.id).email == reader.email


def test_changing_the_password_tells_the_owner_and_keeps_this_session_only(mail_app, smtp):  # noqa: F811
    reader = create_test_user(mail_app)
    here, there = mail_app.test_client(), mail_app.test_client()
    sign_in(here, reader.email)
    sign_in(there, reader.email)
    wrong = here.post("/me/password", data={"current": "wrong one", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert wrong.status_code == 400
    assert there.get("/me").status_code == 200
    assert here.post("/me/password", data={"current": PASSWORD, "password": NEW_PASSWORD,
                                           "confirm": NEW_PASSWORD}).status_code == 302
    assert here.get("/me").status_code == 200
    assert there.get("/me").status_code == 302
    [notice] = delivered(mail_app, smtp, reader.email)
    assert "Your password was changed" in notice["Subject"]
    assert "/auth/reset" in parts(notice)[0]


def test_an_administrator_sends_a_reset_link(mail_app, smtp):  # noqa: F811
    from core.models import Role

    admin, reader = create_test_user(mail_app, role=Role.admin), create_test_user(mail_app)
    client = mail_app.test_client()
    sign_in(client, admin.email)
    page = client.get(f"/admin/users/{reader.id}").get_data(as_text=True)
    assert "How this person signs in" in page and "Local password" in page
    assert client.post(f"/admin/users/{reader.id}/send-reset").status_code == 302
    [message] = delivered(mail_app, smtp, reader.email)
    assert "A librarian sent you this link" in parts(message)[0]
    with mail_app.extensions["engage.db"].session() as session:
        assert session.execute(select(AuditEntry.action).where(AuditEntry.target == f"user:{reader.id}")).scalars().all() \
            == ["password.reset_sent"]


def test_campus_identities_show_on_the_admin_page(app_factory):
    from core.identity.providers_models import IdentityLink
    from core.models import Role

    app = app_factory()
    admin, reader = create_test_user(app, role=Role.admin), create_test_user(app)
    client = app.test_client()
    sign_in(client, admin.email)
    page = client.get(f"/admin/users/{reader.id}").get_data(as_text=True)
    assert "Campus sign-in" in page and "None linked." in page
    with app.extensions["engage.db"].write_session() as session:  # as a sign-in provider links them
        session.add(IdentityLink(user_id=reader.id, provider="cas", subject="nju-2026001"))
    page = client.get(f"/admin/users/{reader.id}").get_data(as_text=True)
    assert "cas:" in page and "nju-2026001" in page and "None linked." not in page


def test_a_deactivated_account_gets_no_reset_and_its_links_stop_working(mail_app, smtp):  # noqa: F811
    from core.accounts import set_active

    reader = create_test_user(mail_app)
    client = mail_app.test_client()
    client.post("/auth/reset", data={"email": reader.email})
    link = link_in(delivered(mail_app, smtp, reader.email)[0], "/auth/reset/")
    with mail_app.app_context(), mail_app.extensions["engage.db"].write_session() as session:
        set_active(session, user=session.get(User, reader.id), active=False, actor_id=None, reason="left the university")
    assert client.get(link).status_code == 400
    with mail_app.extensions["engage.db"].write_session() as session:
        session.execute(MailOutbox.__table__.delete())
    client.post("/auth/reset", data={"email": reader.email})
    assert delivered(mail_app, smtp, reader.email) == smtp.to(reader.email) and len(smtp.to(reader.email)) == 1
