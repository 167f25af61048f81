"""Configuration: defaults, then instance/config.py, then ENGAGE_* environment, then test overrides."""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask


class Defaults:
    """Settings every deployment starts from; each can be overridden later in the chain."""

    # Filled from the instance folder when left empty (see ensure_secret_key).
    SECRET_KEY = None
    # Left empty, the database is a SQLite file in the instance folder.
    DATABASE_URL = None
    # Alembic owns the schema (`engage db upgrade`): the app refuses to start against a database
    # that is not at every migration head. Tests create tables from the models instead and skip it.
    SCHEMA_CHECK = True
    CREATE_TABLES = False
    # How old a cached view of the plugin switches may be before a worker re-reads it.
    PLUGIN_REFRESH_SECONDS = 1.0
    # Local time decides what "today", "this week" and "this term" mean.
    TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("en", "zh_Hans")
    BABEL_DEFAULT_LOCALE = "en"
    # Largest single manual adjustment a librarian may make, either sign.
    MAX_ADJUSTMENT = 10_000
    # Manual adjustments above this many points (either sign) wait for a second librarian's approval.
    ADJUSTMENT_APPROVAL_ABOVE = 500
    # Saving or deleting a term recounts term totals at once when the ledger has at most this many
    # rows; a larger ledger is recounted in chunks behind a progress page.
    TERM_RECOUNT_INLINE_ROWS = 20_000
    # The store rate limits count in, shared by every worker: left empty, a SQLite file in the
    # instance folder (one machine); redis://host:6379/0 when several servers share the load.
    RATELIMIT_STORAGE_URI = None
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "10 per minute"  # sign-in attempts per client address
    LOGIN_ACCOUNT_RATE_LIMIT = "10 per minute; 50 per hour"  # failed sign-ins per account tried
    REGISTER_RATE_LIMIT = "20 per hour"  # per client address
    PASSWORD_RATE_LIMIT = "10 per hour"  # password changes per account
    # Every form that uploads a picture (per signed-in account): decoding pictures is costly.
    UPLOAD_RATE_LIMIT = "10 per minute;100 per day"
    # Every other write (POST…) per signed-in account, else per address, unless core, a plugin
    # (hook engage_rate_limits) or RATE_LIMITS ({endpoint: limit}) says otherwise.
    WRITE_RATE_LIMIT = "120 per minute"
    # API reads without a valid key, per address (each key carries its own limit; writes without a
    # key count as WRITE_RATE_LIMIT).
    API_RATE_LIMIT = "600 per minute"
    RATE_LIMITS: dict[str, str] = {}
    # How many reverse proxies stand in front of the app and add X-Forwarded-For/-Proto/-Host;
    # 0 believes none of those headers (a client could forge them).
    TRUSTED_PROXIES = 0
    # Session cookies marked Secure: None (whenever the request came over HTTPS, as a trusted
    # proxy reports it), True (always) or False (never).
    SECURE_COOKIES = None
    # Strict-Transport-Security max-age sent on HTTPS responses; 0 sends none.
    HSTS_SECONDS = 0
    # Origins allowed to frame the lobby screen page /screen/<token> (e.g. a digital-signage
    # player: ["https://signage.library.example"]); every other page may be framed by none.
    SCREEN_FRAME_ANCESTORS: list[str] = []
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024

    # Roster imports (core.identity.roster): the largest file and the most rows one import takes.
    ROSTER_MAX_BYTES = 8 * 1024 * 1024
    ROSTER_MAX_ROWS = 50_000

    # Background jobs (core.jobs), run by `engage worker`: left empty, the queue is a SQLite file in
    # the instance folder (one machine); redis://host:6379/0 when several servers share the work.
    # JOBS_IMMEDIATE runs each job at once in the process that queues it (tests). A failing job
    # is retried JOBS_RETRIES times, after JOBS_RETRY_DELAY seconds, doubling each time.
    JOBS_URL = None
    JOBS_NAME = "engage"
    JOBS_IMMEDIATE = False
    JOBS_RETRIES = 3
    JOBS_RETRY_DELAY = 10
    # How often an idle worker looks at a SQLite queue at most (a Redis queue wakes it at once).
    JOBS_POLL_SECONDS = 0.5
    # The reward queue (core.rewards): with REWARD_JOBS on, a transaction that queued a reward
    # queues a "pay rewards" job as it commits (one waits at a time); a periodic job pays too.
    # The job pays REWARD_BATCH rewards per transaction once no reward has arrived for
    # REWARD_QUIET_SECONDS (a burst is over), or once the oldest has waited REWARD_MAX_DELAY_SECONDS.
    REWARD_JOBS = True
    REWARD_QUIET_SECONDS = 0.3
    REWARD_MAX_DELAY_SECONDS = 10.0
    REWARD_BATCH = 50
    # Weeks ("2026-W05") that neither break nor extend a badge's weekly streak, e.g. exam breaks.
    HOLIDAY_WEEKS: list[str] = []
    # This site's public address (https://engage.library.edu, or with a path if the app is served
    # under one). Open Badge ids and links are built from it, never from a request's Host header;
    # left empty, Open Badge documents are not served and the administration page says why.
    PUBLIC_BASE_URL = None
    # The library as the issuer of Open Badges (ISSUER_URL defaults to this site's home page,
    # ISSUER_EMAIL to the first administrator's address; without either, no documents are served).
    LIBRARY_NAME = "University Library"
    ISSUER_URL = None
    ISSUER_EMAIL = None
    ISSUER_DESCRIPTION = None
    # Open Badges 3.0 signing key (Ed25519, as a Multikey secretKeyMultibase "z3u2…"). Left empty,
    # a key is made on first use in the instance folder (openbadges3-keys.json, mode 0600) and
    # `engage openbadges rotate-key` replaces it. Sites served by several machines set it here, and
    # list the public keys of earlier ones (publicKeyMultibase "z6Mk…", comma-separated) so that
    # credentials signed with them still verify.
    OPENBADGES3_ISSUER_KEY = None
    OPENBADGES3_RETIRED_KEYS = None
    # Email (Flask-Mailman). MAIL_BACKEND: "smtp" for a real server (MAIL_SERVER, MAIL_PORT,
    # MAIL_USE_TLS / MAIL_USE_SSL, MAIL_USERNAME, MAIL_PASSWORD, MAIL_TIMEOUT), "console" prints
    # messages (development), "file" writes them to MAIL_FILE_PATH. Links in messages are built
    # on PUBLIC_BASE_URL.
    MAIL_BACKEND = "console"
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_TIMEOUT = 30
    MAIL_DEFAULT_SENDER = "Library Engage <noreply@localhost>"
    # Whether notifications go by email at all (readers then choose per kind).
    MAIL_NOTIFICATIONS = True
    # A message the server refuses is retried after MAIL_RETRY_SECONDS × 2^(attempt-1), up to
    # MAIL_MAX_ATTEMPTS; a deliverer that died mid-send leaves its rows to another after
    # MAIL_CLAIM_TIMEOUT_SECONDS.
    MAIL_MAX_ATTEMPTS = 5
    MAIL_RETRY_SECONDS = 60
    MAIL_CLAIM_TIMEOUT_SECONDS = 600
    # MAIL_JOBS: a message queued by a request is delivered by a worker at once (off: by the
    # minute's scheduled delivery only). Sent messages are kept MAIL_KEEP_DAYS, then deleted.
    MAIL_JOBS = True
    MAIL_KEEP_DAYS = 30
    # How far back digests look for readers with news (a little over a week).
    MAIL_DIGEST_LOOKBACK_DAYS = 8
    # Accounts (core.identity). The two settings an administrator can change under
    # Administration → Accounts start from these values: whether readers verify their address
    # before taking part, and after how many years without a sign-in an account is anonymised (0: never).
    EMAIL_VERIFICATION_REQUIRED = False
    RETENTION_YEARS = 0
    # A password-reset link works this long, once; an address-verification link this long.
    RESET_TOKEN_SECONDS = 3600
    VERIFY_TOKEN_SECONDS = 7 * 24 * 3600
    RESET_RATE_LIMIT = "5 per hour"  # reset requests per client address (and one email per account per 5 minutes)
    ACCOUNT_RATE_LIMIT = "10 per hour"  # address changes, deletions and verification resends per account

    # Webhooks out (core.webhooks). WEBHOOK_ALLOW_PRIVATE lets administrators send to this site
    # itself and to private, loopback and link-local addresses (off: such URLs are refused when
    # saved and at every delivery). A POST waits at most WEBHOOK_TIMEOUT_SECONDS and reads at most
    # WEBHOOK_RESPONSE_BYTES of the answer. A failed attempt is retried after
    # WEBHOOK_RETRY_SECONDS × 2^(attempt-1), up to WEBHOOK_MAX_ATTEMPTS; WEBHOOK_DISABLE_AFTER
    # failed attempts in a row switch the endpoint off and tell the administrators. WEBHOOK_JOBS:
    # an event's deliveries leave as its transaction commits (off: with the minute's run only).
    WEBHOOK_ALLOW_PRIVATE = False
    WEBHOOK_TIMEOUT_SECONDS = 10.0
    WEBHOOK_RESPONSE_BYTES = 64 * 1024
    WEBHOOK_RETRY_SECONDS = 30
    WEBHOOK_MAX_ATTEMPTS = 8
    WEBHOOK_DISABLE_AFTER = 15
    WEBHOOK_CLAIM_TIMEOUT_SECONDS = 300
    # Deliveries a worker sends at once (receivers are often slow; events of one endpoint may then
    # arrive out of order, as the Standard Webhooks format allows).
    WEBHOOK_CONCURRENCY = 4
    WEBHOOK_JOBS = True
    WEBHOOK_KEEP_DAYS = 30
    WEBHOOK_REFRESH_SECONDS = 1.0
    # Embeddable boards (core.embeds, /embed/boards/…): the origins whose pages may frame the HTML
    # board (e.g. ["https://library.example.edu"]); empty: none may.
    EMBED_FRAME_ANCESTORS: list[str] = []


def load_config(app: Flask, test_config: dict | None) -> None:
    """Apply the configuration chain to ``app`` in its documented order."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("ENGAGE")
    if test_config:
        app.config.update(test_config)
    ensure_secret_key(app)
    app.config["PUBLIC_BASE_URL"] = public_base_url(app.config.get("PUBLIC_BASE_URL"))
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = "sqlite:///" + str(Path(app.instance_path) / "engage.sqlite")


def ensure_secret_key(app: Flask) -> None:
    """Generate a secret key into the instance folder on first run so sessions survive restarts."""
    if app.config.get("SECRET_KEY"):
        return
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()


def public_base_url(value: str | None) -> str | None:
    """``PUBLIC_BASE_URL`` checked and without a trailing slash; None when unset.

    A value that is not an absolute http(s) address without query or fragment stops the app
    with a message saying so: badge ids built from it would be wrong forever.
    """
    value = (value or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"ENGAGE_PUBLIC_BASE_URL must be this site's absolute http(s) address, such as "
                         f"https://engage.library.edu, without a query or fragment; got {value!r}")
    return value.rstrip("/")
