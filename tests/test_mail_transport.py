"""How email leaves the site, as an administrator sets it up in config: SMTP with STARTTLS or
SSL and a user name and password, against a real aiosmtpd that insists on them; a wrong password
loses nothing; and the console and file backends for development."""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from core.mail import deliver_pending
from core.mail.models import MailOutbox
from core.testing import create_test_user
from test_mail import SENDER, Inbox, _free_port

BASE = "https://engage.library.test"
LOGIN, PASSWORD = "engage-mailer", "s3cret mail password"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (key and certificate files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("smtp-tls")
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def trusted(certificate, monkeypatch):
    """The site trusts the test certificate, as it would a real server's (its default context)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    return certificate


def server_context(certificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, certificate))
    return context


class Logins:
    """aiosmtpd's authenticator: the one user name and password, and who tried what."""

    def __init__(self) -> None:
        self.tried: list[tuple[str, bool]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        login = auth_data.login.decode() if isinstance(auth_data.login, bytes) else auth_data.login
        password = auth_data.password.decode() if isinstance(auth_data.password, bytes) else auth_data.password
        ok = (login, password) == (LOGIN, PASSWORD)
        self.tried.append((mechanism, ok, session.ssl is not None))
        return AuthResult(success=ok, handled=False)


def start(certificate, **kwargs):
    inbox, logins = Inbox(), Logins()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), authenticator=logins,
                            auth_required=True, **kwargs)
    controller.start()
    return controller, inbox, logins


def ask_for_a_reset(app) -> str:
    reader = create_test_user(app)
    app.test_client().post("/auth/reset", data={"email": reader.email})
    return reader.email


def smtp_app(app_factory, port, **settings):
    """The site sending through the test server on ``port`` with ``settings`` (TLS, login)."""
    return app_factory(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=5,
                       MAIL_DEFAULT_SENDER=SENDER, PUBLIC_BASE_URL=BASE, **settings)


def outbox(app):
    with app.extensions["engage.db"].session() as session:
        return list(session.execute(select(MailOutbox)).scalars())


def test_starttls_with_a_user_name_and_password(app_factory, trusted):
    controller, inbox, logins = start(trusted, tls_context=server_context(trusted), require_starttls=True)
    try:
        app = smtp_app(app_factory, controller.port, MAIL_USE_TLS=True, MAIL_USERNAME=LOGIN, MAIL_PASSWORD=PASSWORD)
        address = ask_for_a_reset(app)
        assert deliver_pending(app, 10) == 1
    finally:
        controller.stop()
    [message] = inbox.to(address)
    assert "Reset your password" in message["Subject"]
    assert logins.tried and all(ok and over_tls for _, ok, over_tls in logins.tried)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_ssl_from_the_first_byte(app_factory, trusted):
    # aiosmtpd counts only STARTTLS as TLS; here the whole connection is TLS (SMTP_SSL on the site's side)
    controller, inbox, logins = start(trusted, ssl_context=server_context(trusted), auth_require_tls=False)
    try:
        app = smtp_app(app_factory, controller.port, MAIL_USE_SSL=True, MAIL_USERNAME=LOGIN, MAIL_PASSWORD=PASSWORD)
        address = ask_for_a_reset(app)
        assert deliver_pending(app, 10) == 1
    finally:
        controller.stop()
    assert len(inbox.to(address)) == 1 and logins.tried[-1][1]


def test_a_wrong_mail_password_sends_nothing_and_loses_nothing(app_factory, trusted):
    controller, inbox, logins = start(trusted, tls_context=server_context(trusted), require_starttls=True)
    try:
        app = smtp_app(app_factory, controller.port, MAIL_USE_TLS=True, MAIL_USERNAME=LOGIN, MAIL_PASSWORD="not it")
        ask_for_a_reset(app)
        assert deliver_pending(app, 10) == 0
    finally:
        controller.stop()
    assert inbox.messages == [] and logins.tried and not any(ok for _, ok, _ in logins.tried)
    [row] = outbox(app)
    # The login's own refusal is recorded, not the "authentication required" a send would meet after it.
    assert row.status == "pending" and row.attempts == 1 and "SMTPAuthenticationError" in row.last_error


def test_without_starttls_the_server_that_requires_it_gets_no_password(app_factory, trusted):
    controller, inbox, logins = start(trusted, tls_context=server_context(trusted), require_starttls=True)
    try:
        app = smtp_app(app_factory, controller.port, MAIL_USERNAME=LOGIN, MAIL_PASSWORD=PASSWORD)
        ask_for_a_reset(app)
        assert deliver_pending(app, 10) == 0
    finally:
        controller.stop()
    assert inbox.messages == [] and logins.tried == []
    assert outbox(app)[0].status == "pending"


def test_the_file_backend_writes_each_message(app_factory, tmp_path):
    folder = tmp_path / "outgoing-mail"
    app = app_factory(MAIL_BACKEND="file", MAIL_FILE_PATH=str(folder), MAIL_DEFAULT_SENDER=SENDER,
                      PUBLIC_BASE_URL=BASE)
    address = ask_for_a_reset(app)
    assert deliver_pending(app, 10) == 1
    [written] = list(folder.iterdir())
    message = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert message["To"] == address and "Reset your password" in message["Subject"]
    assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None


def test_the_console_backend_prints_each_message(app_factory, capsys):
    app = app_factory(MAIL_BACKEND="console", MAIL_DEFAULT_SENDER=SENDER, PUBLIC_BASE_URL=BASE)
    address = ask_for_a_reset(app)
    assert deliver_pending(app, 10) == 1
    printed = capsys.readouterr().out
    assert f"To: {address}" in printed and "Reset your password" in printed
