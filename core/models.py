"""Core tables. Every name starts with ``core_``; plugin tables start with their plugin's name."""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, TypeDecorator, UniqueConstraint, false, or_, true
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


# SQLite only auto-numbers a column declared exactly INTEGER PRIMARY KEY.
LedgerId = BigInteger().with_variant(Integer, "sqlite")


class UTCDateTime(TypeDecorator):
    """A timezone-aware instant on both databases: stored in UTC, read back with tzinfo=UTC.

    SQLite has no time zones and would hand back naive datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value

    def bind_processor(self, dialect):
        """The processor, remembering the last instant it converted: a bulk insert binds the same
        instant (its "now") in every row, and on SQLite formatting it as text each time costs more
        than the row's other values together."""
        process = super().bind_processor(dialect)
        if process is None:
            return None
        memo = [(None, None)]  # (instant, converted), replaced whole so threads never see half

        def remembering(value):
            last = memo[0]
            if value is last[0] and value is not None:  # held by the memo, so never another object's id
                return last[1]
            converted = process(value)
            memo[0] = (value, converted)
            return converted
        return remembering


def _ts(**kwargs) -> Column:
    return Column(UTCDateTime(), **kwargs)


class Role(str, enum.Enum):
    """What a person may do; each role includes the ones before it."""

    student = "student"
    librarian = "librarian"
    admin = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class User(SQLModel, table=True):
    """A library user or staff member."""

    __tablename__ = "core_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    display_name: str = Field(max_length=60)
    member_number: str | None = Field(default=None, max_length=32, unique=True)
    cohort: str | None = Field(default=None, max_length=80, index=True)
    role: str = Field(default=Role.student.value, max_length=16)
    locale: str | None = Field(default=None, max_length=10)
    hide_from_boards: bool = Field(default=False)
    # Opt-in: a public page with the display name, level and badges (nothing else).
    public_profile: bool = Field(default=False)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    # Stamped into each session at sign-in; bumping it ends every session of this user
    # (core.accounts.end_sessions: sign-out, a new password, a role change, deactivation).
    # A server default only: hot-path inserts compiled from the table need not name it.
    session_generation: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    # When the reader proved the address is theirs (a link sent to it, or a password reset by it);
    # None: not yet. core.identity.account_email keeps it and ``pending_email`` (a new address
    # waiting for its link: it counts only once verified).
    email_verified_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    pending_email: str | None = Field(default=None, max_length=254)
    # The last sign-in: the retention setting anonymises accounts unseen for N years.
    last_seen_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    # Set when the account was deleted (by its owner) or anonymised (retention): the row stays as
    # the ledger's anonymous holder, with no name, address or number left.
    anonymised_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))

    # Flask-Login's interface.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def has_role(self, role: Role | str) -> bool:
        """True when this user's role is ``role`` or above it."""
        return Role(self.role).rank >= Role(role).rank


def on_readers_boards(hide_from_boards: bool, is_active: bool, role: str) -> bool:
    """Whether a user is listed on readers' boards (and counted in the rank counts): an active
    reader (role student) who has not opted out. Staff have a board of their own."""
    return bool(is_active) and not hide_from_boards and role == Role.student.value


# The few users kept off readers' boards (opted out, deactivated, or staff), found through this
# small index: library screens watch their count and id-sum to notice an opt-out or a role change.
# Its WHERE clause is the one core/screens.py queries with (SQLite matches it term for term).
OFF_BOARDS = or_(User.__table__.c.hide_from_boards == true(), User.__table__.c.is_active == false(),
                 User.__table__.c.role != Role.student.value)
Index("ix_core_user_off_boards", User.__table__.c.hide_from_boards, User.__table__.c.is_active, User.__table__.c.id,
      sqlite_where=OFF_BOARDS, postgresql_where=OFF_BOARDS)
# A cohort's public members straight from the index, for cohort boards.
Index("ix_core_user_cohort_public", User.__table__.c.cohort, User.__table__.c.hide_from_boards,
      User.__table__.c.is_active, User.__table__.c.role)
# Staff (librarians and administrators) straight from a tiny index, for the staff board.
STAFF = User.__table__.c.role != Role.student.value
Index("ix_core_user_staff", User.__table__.c.role, User.__table__.c.id, sqlite_where=STAFF, postgresql_where=STAFF)


class PointEntry(SQLModel, table=True):
    """One row of the append-only points ledger. Corrections are new rows, never edits."""

    __tablename__ = "core_point_entry"
    # The one index by user: a reader's entries, per rule and in time (the daily caps).
    __table_args__ = (Index("ix_core_point_entry_user_rule_at", "user_id", "rule", "created_at"),)

    id: int | None = Field(default=None, sa_column=Column(LedgerId, primary_key=True, autoincrement=True))
    user_id: int = Field(foreign_key="core_user.id")
    amount: int
    rule: str = Field(max_length=80)
    plugin: str = Field(max_length=40)
    source_ref: str | None = Field(default=None, max_length=120)
    actor_id: int | None = Field(default=None, foreign_key="core_user.id")
    reason: str | None = Field(default=None, max_length=500)
    reverses_id: int | None = Field(default=None, sa_column=Column(LedgerId, nullable=True))
    idempotency_key: str = Field(max_length=200, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class PointTotal(SQLModel, table=True):
    """A user's all-time total, maintained in the same transaction as each ledger row."""

    __tablename__ = "core_point_total"
    __table_args__ = (Index("ix_core_point_total_rank", "total", "reached_at"),)

    user_id: int = Field(foreign_key="core_user.id", primary_key=True)
    total: int = 0
    # When the total last changed: among equal totals, who got there first ranks higher.
    reached_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class PeriodTotal(SQLModel, table=True):
    """A user's total for one week, month or term, maintained like PointTotal."""

    __tablename__ = "core_period_total"
    __table_args__ = (Index("ix_core_period_total_rank", "period", "period_key", "total", "reached_at"),)

    user_id: int = Field(foreign_key="core_user.id", primary_key=True)
    period: str = Field(max_length=8, primary_key=True)
    period_key: str = Field(max_length=24, primary_key=True)
    total: int = 0
    reached_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class RankCount(SQLModel, table=True):
    """How many public users hold each total on one board, kept with the totals.

    "My rank" is 1 + the public users with a greater total. Level 0 counts users per exact
    total; level 1 per block of ``RANK_BLOCK`` totals (``total`` holds the block number). The
    users above me are then the blocks above mine plus the exact totals above mine within my
    block: a sum over at most a few hundred rows, however many users, opted-out users, ledger
    rows or distinct totals there are. The all-time board is ``period = "all"`` with an empty
    key. Only public users (active, not opted out) with a total above zero count. Clustered on
    its key on SQLite (WITHOUT ROWID), so each sum reads one short range.
    """

    __tablename__ = "core_rank_count"
    __table_args__ = {"sqlite_with_rowid": False}

    period: str = Field(max_length=8, primary_key=True)
    period_key: str = Field(max_length=24, primary_key=True)
    level: int = Field(primary_key=True)
    total: int = Field(primary_key=True)
    users: int = 0


RANK_BLOCK = 64


class ActivityEntry(SQLModel, table=True):
    """Something a user did in an activity, recorded once per (plugin, kind, ref, user)."""

    __tablename__ = "core_activity"
    __table_args__ = (UniqueConstraint("plugin", "kind", "source_ref", "user_id"),
                      Index("ix_core_activity_user_at", "user_id", "created_at"))  # streaks read the index alone

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="core_user.id")
    plugin: str = Field(max_length=40)
    kind: str = Field(max_length=60)
    source_ref: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class PendingReward(SQLModel, table=True):
    """Points (and the activity they count for badges) queued by a hot write, paid a moment later
    by the reward queue (``core.rewards``); deleted once paid."""

    __tablename__ = "core_pending_reward"

    id: int | None = Field(default=None, sa_column=Column(LedgerId, primary_key=True, autoincrement=True))
    user_id: int = Field(foreign_key="core_user.id")
    amount: int
    rule: str = Field(max_length=80)
    plugin: str = Field(max_length=40)
    idempotency_key: str = Field(max_length=200, unique=True)
    source_ref: str | None = Field(default=None, max_length=120)
    activity: str | None = Field(default=None, max_length=60)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False, index=True))
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)


class AuditEntry(SQLModel, table=True):
    """A manual change of points, roles, plugin state or settings: who, what, why, when."""

    __tablename__ = "core_audit"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="core_user.id")
    action: str = Field(max_length=40, index=True)
    target: str = Field(max_length=120)
    detail: str = Field(default="", max_length=1000)
    reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False, index=True))


class AdjustmentRequest(SQLModel, table=True):
    """A manual adjustment above ``ADJUSTMENT_APPROVAL_ABOVE`` points, waiting for a second
    librarian (four eyes): neither the requester nor the recipient may approve it. The points
    are paid on approval, with their own idempotency key (``adjust-approved:<id>``)."""

    __tablename__ = "core_adjustment_request"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="core_user.id", index=True)
    amount: int
    reason: str = Field(max_length=500)
    requested_by: int = Field(foreign_key="core_user.id")
    requested_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    # The form's nonce: a form submitted twice asks once.
    nonce: str = Field(max_length=64, unique=True)
    status: str = Field(default="pending", max_length=12, index=True)  # pending, approved, rejected
    decided_by: int | None = Field(default=None, foreign_key="core_user.id")
    decided_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    decision_note: str | None = Field(default=None, max_length=500)
    entry_id: int | None = Field(default=None, sa_column=Column(LedgerId, nullable=True))


class PluginState(SQLModel, table=True):
    """Whether a plugin is switched on. A missing row means on."""

    __tablename__ = "core_plugin_state"

    name: str = Field(primary_key=True, max_length=40)
    enabled: bool = True
    changed_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class Counter(SQLModel, table=True):
    """Named counters; ``plugins`` is the generation that tells workers to re-read the switches."""

    __tablename__ = "core_counter"

    name: str = Field(primary_key=True, max_length=40)
    value: int = 0


class BoardVersion(SQLModel, table=True):
    """How often committed awards have changed the boards, kept in a few slots.

    Each transaction that pays points adds one to one slot as it commits; the boards' version is
    the sum of the slots. It moves when the award becomes visible (an id is taken at insert, so
    ``max(id)`` can miss a lower id that commits later), and the slots spread PostgreSQL's row
    lock so concurrent transactions seldom wait on one another.
    """

    __tablename__ = "core_board_version"

    slot: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    value: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))


class Term(SQLModel, table=True):
    """An academic term: period totals for "this term" follow these dates."""

    __tablename__ = "core_term"

    key: str = Field(primary_key=True, max_length=24)
    name_en: str = Field(max_length=80)
    name_zh: str = Field(max_length=80)
    starts_on: date
    ends_on: date


class TermRecount(SQLModel, table=True):
    """Recounting every reader's term totals after term dates change, a chunk of readers at a time.

    ``next_user_id`` is the last reader done (readers are taken in id order); ``state`` is
    ``running``, ``done`` or ``superseded`` (a later change started a new recount)."""

    __tablename__ = "core_term_recount"

    id: int | None = Field(default=None, primary_key=True)
    state: str = Field(default="running", max_length=12)
    next_user_id: int = 0
    users_done: int = 0
    users_total: int = 0
    actor_id: int | None = Field(default=None, foreign_key="core_user.id")
    started_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Notification(SQLModel, table=True):
    """A message in a user's in-app inbox, stored in both languages when it is made."""

    __tablename__ = "core_notification"
    __table_args__ = (Index("ix_core_notification_inbox", "user_id", "read_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="core_user.id")
    plugin: str = Field(max_length=40)
    kind: str = Field(max_length=60)
    text_en: str = Field(max_length=500)
    text_zh: str = Field(max_length=500)
    url: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    read_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Level(SQLModel, table=True):
    """A level reached at ``threshold`` all-time points; thresholds rise with the number."""

    __tablename__ = "core_level"

    number: int = Field(primary_key=True)
    threshold: int = Field(unique=True)
    name_en: str = Field(max_length=60)
    name_zh: str = Field(max_length=60)


class Screen(SQLModel, table=True):
    """A library screen (a lobby TV): its slides, language and pace, shown at a secret URL.

    ``slides`` is a JSON list of slide keys ("board:all", "board:cohort:<name>",
    "plugin:<plugin>:<key>"…). The URL carries ``token_version``; raising it revokes the URL.
    """

    __tablename__ = "core_screen"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    locale: str = Field(default="en", max_length=10)
    seconds_per_slide: int = 15
    slides: str = Field(default="[]", max_length=4000)
    token_version: int = 1
    created_by: int | None = Field(default=None, foreign_key="core_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class BadgeAward(SQLModel, table=True):
    """A badge a user holds. UNIQUE(user_id, badge_key) makes "granted exactly once" hold under races.

    ``sole_key`` is set (to the badge key) only for "first to do something" badges: its unique
    index lets a single user ever hold such a badge, even when two transactions race for it.
    A revoked award keeps its row, so the badge is never granted again automatically.
    """

    __tablename__ = "core_badge_award"
    __table_args__ = (UniqueConstraint("user_id", "badge_key"), Index("ix_core_badge_award_key", "badge_key"))

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="core_user.id")
    badge_key: str = Field(max_length=80)
    sole_key: str | None = Field(default=None, max_length=80, unique=True)
    granted_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))
    reason: str | None = Field(default=None, max_length=500)
    actor_id: int | None = Field(default=None, foreign_key="core_user.id")
    revoked_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    revoke_reason: str | None = Field(default=None, max_length=500)
    # The Open Badges recipient salt, random, made at grant: the hashed recipient of an issued
    # badge never changes, whatever happens to SECRET_KEY. (Awards made before this column get
    # the salt they always had from core.openbadges.fill_missing_salts.)
    salt: str | None = Field(default=None, max_length=32)


class BadgeImage(SQLModel, table=True):
    """Uploaded artwork for a badge, re-encoded to a 256×256 PNG without metadata."""

    __tablename__ = "core_badge_image"

    badge_key: str = Field(primary_key=True, max_length=80)
    data: bytes
    content_type: str = Field(default="image/png", max_length=40)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False))


class JobFailure(SQLModel, table=True):
    """One failed run of a background job (``core.jobs``): kept for the administration page and
    ``engage check``. ``final`` marks the run after which no retry was left; an administrator
    marks a failure dealt with (``cleared_at``) once its cause is mended."""

    __tablename__ = "core_job_failure"

    id: int | None = Field(default=None, primary_key=True)
    task: str = Field(max_length=200, index=True)
    task_id: str = Field(max_length=64)
    retries_left: int = 0
    final: bool = False
    error: str = Field(max_length=2000)
    failed_at: datetime = Field(default_factory=utcnow, sa_column=_ts(nullable=False, index=True))
    cleared_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
