"""Email: notifications reach a real SMTP server (aiosmtpd on loopback), in the reader's language,
as often as the reader chose, with one-click unsubscribe links that need no sign-in."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from core.mail import deliver_pending, send_address_taken_notice, send_digests
from core.mail.compose import unsubscribe_token
from core.mail.models import MailOutbox, MailPreference
from core.models import Role, utcnow
from core.notifications import notify
from core.testing import create_test_user

SENDER = "Library <engage@library.test>"


class Inbox:
    """Collects what the SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def mail_app(app_factory, smtp):
    return app_factory(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port,
                       MAIL_DEFAULT_SENDER=SENDER, PUBLIC_BASE_URL="https://engage.library.test")


def tell(app, user, kind="badge-revoked", plugin="core", en="Your badge was taken back", zh="你的徽章被收回",
         url="/notifications/"):
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        return notify(session, user_id=user.id, plugin=plugin, kind=kind, message={"en": en, "zh_Hans": zh}, url=url)


def outbox_rows(app, **where):
    with app.extensions["engage.db"].session() as session:
        query = select(MailOutbox)
        for column, value in where.items():
            query = query.where(getattr(MailOutbox, column) == value)
        return list(session.execute(query).scalars())


def choose(app, user, kind, cadence):
    from core.mail.kinds import choose as store

    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        store(session, user_id=user.id, kind=kind, cadence=cadence)


def parts(message) -> tuple[str, str]:
    return (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content())


def test_an_immediate_notification_arrives_with_text_html_and_one_click_unsubscribe(mail_app, smtp):
    reader = create_test_user(mail_app)
    tell(mail_app, reader)
    assert smtp.messages == []  # the request only queued it
    assert deliver_pending(mail_app, 10) == 1
    [message] = smtp.to(reader.email)
    assert message["From"] == SENDER
    assert "Your badge was taken back" in message["Subject"]
    text, html = parts(message)
    assert "Your badge was taken back" in text and "https://engage.library.test/notifications/" in text
    assert "<p>Your badge was taken back</p>" in html
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<https://engage\.library\.test/mail/unsubscribe/[\w.-]+>", message["List-Unsubscribe"].strip())
    assert [row.status for row in outbox_rows(mail_app)] == ["sent"]
    assert deliver_pending(mail_app, 10) == 0  # sent once, never again


def test_the_message_is_in_the_readers_language(mail_app, smtp):
    reader = create_test_user(mail_app, locale="zh_Hans")
    tell(mail_app, reader)
    deliver_pending(mail_app, 10)
    [message] = smtp.to(reader.email)
    text, html = parts(message)
    assert "你的徽章被收回" in message["Subject"] and "你的徽章被收回" in text
    assert "Your badge" not in text
    assert "全部通知" in text  # the template's own words too
    assert 'lang="zh-Hans"' in html


def test_preferences_are_respected(mail_app, smtp):
    reader = create_test_user(mail_app)
    choose(mail_app, reader, "core:badge-revoked", "never")
    tell(mail_app, reader)
    tell(mail_app, reader, kind="level-up", en="You reached level 2", zh="你升到了 2 级")  # weekly by default
    assert outbox_rows(mail_app) == []
    choose(mail_app, reader, "core:achievements", "immediate")
    tell(mail_app, reader, kind="badge", en="New badge: Reader", zh="新徽章")
    choose(mail_app, reader, "*", "never")  # stop everything before delivery: nothing goes
    assert deliver_pending(mail_app, 10) == 0
    assert [row.status for row in outbox_rows(mail_app)] == ["skipped"]
    assert smtp.messages == []


def test_a_digest_gathers_what_happened_since_the_last_one(mail_app, smtp):
    reader = create_test_user(mail_app)
    quiet = create_test_user(mail_app)
    choose(mail_app, quiet, "core:achievements", "never")
    for n in (2, 3):
        tell(mail_app, reader, kind="level-up", en=f"You reached level {n}", zh=f"你升到了 {n} 级")
    tell(mail_app, quiet, kind="level-up", en="Quiet level", zh="安静")
    now = utcnow() + timedelta(minutes=1)
    assert send_digests(mail_app, now) == 1  # weekly by default; the quiet reader chose never
    assert send_digests(mail_app, now) == 0  # idempotent
    assert deliver_pending(mail_app, 10) == 1
    [message] = smtp.to(reader.email)
    text, html = parts(message)
    assert "2 new notifications" in message["Subject"]
    assert "You reached level 2" in text and "You reached level 3" in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # the next week's digest holds only what came after
    tell(mail_app, reader, kind="badge", en="New badge: Regular", zh="新徽章")
    assert send_digests(mail_app, now + timedelta(days=1)) == 0  # not a week yet
    assert send_digests(mail_app, now + timedelta(days=7)) == 1
    deliver_pending(mail_app, 10)
    text = parts(smtp.to(reader.email)[-1])[0]
    assert "New badge: Regular" in text and "level 2" not in text


def test_a_daily_digest_in_chinese(mail_app, smtp):
    reader = create_test_user(mail_app, locale="zh_Hans")
    choose(mail_app, reader, "core:other", "daily")
    tell(mail_app, reader, plugin="someplugin", kind="news", en="Something happened", zh="发生了一件事")
    assert send_digests(mail_app, utcnow() + timedelta(seconds=5)) == 1
    deliver_pending(mail_app, 10)
    [message] = smtp.to(reader.email)
    assert "每日摘要" in message["Subject"]
    assert "发生了一件事" in parts(message)[0]


def test_one_click_unsubscribe_needs_no_sign_in_or_csrf_token(app_factory, smtp):
    app = app_factory(WTF_CSRF_ENABLED=True)
    reader = create_test_user(app)
    with app.app_context():
        token = unsubscribe_token(reader.id, "core:badge-revoked")
    response = app.test_client().post(f"/mail/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "no more emails about “A badge taken back”" in response.get_data(as_text=True)
    with app.extensions["engage.db"].session() as session:
        assert session.get(MailPreference, (reader.id, "core:badge-revoked")).cadence == "never"
    tell(app, reader)
    assert outbox_rows(app) == []


def test_the_unsubscribe_link_in_a_browser_asks_first(app_factory):
    app = app_factory()
    reader = create_test_user(app)
    with app.app_context():
        token = unsubscribe_token(reader.id, "*")
    client = app.test_client()
    page = client.get(f"/mail/unsubscribe/{token}")
    assert page.status_code == 200 and "Stop all emails about news" in page.get_data(as_text=True)
    with app.extensions["engage.db"].session() as session:
        assert session.get(MailPreference, (reader.id, "*")) is None  # a GET changes nothing
    page = client.get(f"/mail/unsubscribe/{token}", headers={"Accept-Language": "zh-Hans"})
    assert "退订" in page.get_data(as_text=True)


@pytest.mark.parametrize("token", ["nonsense", "eyJ1IjoxLCJrIjoiKiJ9.forged-signature"])
def test_a_bad_or_forged_token_is_refused_with_a_clear_message(app_factory, token):
    app = app_factory()
    reader = create_test_user(app)
    client = app.test_client()
    for response in (client.get(f"/mail/unsubscribe/{token}"), client.post(f"/mail/unsubscribe/{token}")):
        assert response.status_code == 400
        assert "This unsubscribe link is not valid" in response.get_data(as_text=True)
    with app.extensions["engage.db"].session() as session:
        assert session.execute(select(func.count()).select_from(MailPreference)).scalar_one() == 0
    assert reader.id


def test_a_token_signed_with_another_key_is_refused(app_factory):
    app, other = app_factory(), app_factory(SECRET_KEY="another-secret")
    reader = create_test_user(app)
    with other.app_context():
        token = unsubscribe_token(reader.id, "*")
    assert app.test_client().post(f"/mail/unsubscribe/{token}").status_code == 400


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_the_preferences_page_saves_choices_in_both_languages(app_factory, locale):
    app = app_factory()
    reader = create_test_user(app, locale=locale)
    client = app.test_client()
    client.post("/auth/login", data={"email": reader.email, "password": "correct horse battery"})
    page = client.get("/notifications/email").get_data(as_text=True)
    assert ("Email settings" if locale == "en" else "邮件设置") in page
    assert "SLA" not in page  # staff alerts are not offered to readers
    fields = re.findall(r'<select[^>]*name="(kind_\d+)"', page)
    data = {name: "never" for name in fields}
    assert client.post("/notifications/email", data=data).status_code == 302
    with app.extensions["engage.db"].session() as session:
        stored = session.execute(select(MailPreference.kind, MailPreference.cadence)
                                 .where(MailPreference.user_id == reader.id)).all()
    assert ("core:achievements", "never") in stored and ("*", "immediate") in stored
    bad = client.post("/notifications/email", data={fields[0]: "hourly"})
    assert bad.status_code == 400
    assert "notifications" in client.get("/notifications/").get_data(as_text=True)


def test_staff_can_set_sla_and_moderation_alerts(app_factory):
    app = app_factory()
    librarian = create_test_user(app, Role.librarian)
    client = app.test_client()
    client.post("/auth/login", data={"email": librarian.email, "password": "correct horse battery"})
    page = client.get("/notifications/email").get_data(as_text=True)
    assert "SLA" in page and "waiting for review" in page


def test_the_notifications_page_links_to_email_settings(app_factory):
    app = app_factory()
    reader = create_test_user(app)
    client = app.test_client()
    client.post("/auth/login", data={"email": reader.email, "password": "correct horse battery"})
    assert "/notifications/email" in client.get("/notifications/").get_data(as_text=True)


def test_the_address_taken_notice(mail_app, smtp):
    owner = create_test_user(mail_app)
    with mail_app.app_context():
        assert send_address_taken_notice(owner) is True
        assert send_address_taken_notice(owner) is False  # one an hour, however often someone tries
    with mail_app.test_request_context("/auth/register", method="POST"):  # inside a request's transaction
        from core.db import get_session

        get_session().get(type(owner), owner.id)
        assert send_address_taken_notice(owner) is False
    deliver_pending(mail_app, 10)
    [message] = smtp.to(owner.email)
    text, _ = parts(message)
    assert "Someone tried to create an account" in message["Subject"]
    assert "If it was you" in text and "https://engage.library.test/auth/login" in text
    assert message["List-Unsubscribe"] is None  # a security notice, not news


def test_a_refused_message_is_retried_later_and_nothing_is_lost(app_factory):
    app = app_factory(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port(), MAIL_TIMEOUT=2)
    reader = create_test_user(app)
    tell(app, reader)
    assert deliver_pending(app, 10) == 0
    [row] = outbox_rows(app)
    assert row.status == "pending" and row.attempts == 1 and row.last_error and row.due_at > utcnow()


def test_two_deliverers_send_each_message_once(mail_app, app_factory, smtp):
    """Two servers (apps with their own connection pools) drain one outbox at once."""
    second = app_factory(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port,
                         MAIL_DEFAULT_SENDER=SENDER, PUBLIC_BASE_URL="https://engage.library.test", CREATE_TABLES=False)
    readers = [create_test_user(mail_app) for _ in range(4)]
    for reader in readers:
        for n in range(10):
            tell(mail_app, reader, en=f"News {n}", zh=f"消息 {n}")
    sent, errors = [], []

    def deliverer(app):
        try:
            while (count := deliver_pending(app, 3)):
                sent.append(count)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=deliverer, args=(app,)) for app in (mail_app, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(sent) == 40 and len(smtp.messages) == 40
    subjects = [(m["To"], m["Subject"]) for m in smtp.messages]
    assert len(set(subjects)) == 40
    assert {row.status for row in outbox_rows(mail_app)} == {"sent"}


def test_the_mail_commands(mail_app, smtp):
    reader = create_test_user(mail_app)
    tell(mail_app, reader, kind="level-up", en="Level 2", zh="2 级")
    tell(mail_app, reader)
    runner = mail_app.test_cli_runner()
    from core.mail.cli import mail_group

    result = runner.invoke(mail_group, ["digests"])
    assert result.exit_code == 0 and "1 digests queued" in result.output
    result = runner.invoke(mail_group, ["deliver"])
    assert result.exit_code == 0 and "2 messages sent" in result.output
    assert len(smtp.to(reader.email)) == 2


def test_a_librarian_gets_sla_alerts_at_once_and_readers_settings_need_sign_in(mail_app, smtp):
    librarian = create_test_user(mail_app, Role.librarian)
    tell(mail_app, librarian, plugin="feedback", kind="sla-warning-first-response", en="Feedback #7 is due in 2 hours",
         zh="反馈 #7 将在 2 小时后超时", url="/feedback/7")
    assert deliver_pending(mail_app, 10) == 1
    [message] = smtp.to(librarian.email)
    assert "Feedback #7 is due in 2 hours" in message["Subject"]
    with mail_app.extensions["engage.db"].session() as session:
        assert session.execute(select(MailOutbox.kind)).scalar_one() == "feedback:sla"
    assert mail_app.test_client().get("/notifications/email").status_code == 302


def test_a_message_waits_for_its_retry_time_and_a_dead_deliverers_claim_expires(mail_app, smtp):
    from sqlalchemy import update

    reader = create_test_user(mail_app)
    tell(mail_app, reader)
    tell(mail_app, reader, en="Second", zh="第二")
    first, second = (row.id for row in outbox_rows(mail_app))
    with mail_app.extensions["engage.db"].write_session() as session:
        session.execute(update(MailOutbox).where(MailOutbox.id == first)
                        .values(status="pending", due_at=utcnow() + timedelta(minutes=5)))
        session.execute(update(MailOutbox).where(MailOutbox.id == second)
                        .values(status="sending", claimed_at=utcnow() - timedelta(seconds=30)))
    assert deliver_pending(mail_app, 10) == 0  # not due yet; claimed by another a moment ago
    with mail_app.extensions["engage.db"].write_session() as session:
        session.execute(update(MailOutbox).where(MailOutbox.id == second)
                        .values(claimed_at=utcnow() - timedelta(hours=1)))
    assert deliver_pending(mail_app, 10) == 1  # that deliverer died: its claim expired
    assert [m["Subject"].endswith("Second") for m in smtp.messages] == [True]


def test_the_job_queue_delivers_what_a_transaction_queued_once_it_commits(app_factory, smtp):
    """With ``MAIL_JOBS`` on, the commit that queued a message queues its delivery (jobs run at
    once in tests); a rolled-back notification sends nothing; the scheduled jobs are registered."""
    app = app_factory(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port,
                      MAIL_DEFAULT_SENDER=SENDER, PUBLIC_BASE_URL="https://engage.library.test", MAIL_JOBS=True)
    reader = create_test_user(app)
    tell(app, reader)
    assert len(smtp.to(reader.email)) == 1
    assert [row.status for row in outbox_rows(app)] == ["sent"]
    with app.app_context(), app.extensions["engage.db"].session() as session:
        notify(session, user_id=reader.id, plugin="core", kind="badge-revoked",
               message={"en": "Never sent", "zh_Hans": "不发送"}, url="/")
        session.rollback()
    assert len(smtp.to(reader.email)) == 1 and len(outbox_rows(app)) == 1
    assert {"core:deliver-mail", "core:mail-digests", "core:forget-sent-mail"} <= set(app.extensions["engage.jobs"].periodic)


def test_retention_forgets_sent_mail_after_its_days(mail_app, smtp):
    from core.mail.jobs import forget_sent

    reader = create_test_user(mail_app)
    tell(mail_app, reader)
    tell(mail_app, reader, en="Second", zh="第二")
    deliver_pending(mail_app, 10)
    with mail_app.app_context():
        with mail_app.extensions["engage.db"].write_session() as session:
            session.execute(MailOutbox.__table__.update().where(MailOutbox.id == min(r.id for r in outbox_rows(mail_app)))
                            .values(created_at=utcnow() - timedelta(days=31)))
        assert forget_sent() == 1
    assert len(outbox_rows(mail_app)) == 1
