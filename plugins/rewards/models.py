"""Tables of the rewards plugin; every name starts with ``rewards_``.

Spending lives here, not in core's ledger: core's ledger and its totals count what a reader
*earned* (boards and levels read them), while ``rewards_spend`` is this plugin's own append-only
ledger of what was *spent* (negative) and refunded (positive), with ``rewards_wallet.spent``
maintained in the same transaction. Spendable points = earned total − spent, so spending never
lowers anyone's rank.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models import UTCDateTime, utcnow


def _ts(nullable: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable)


class Perk(SQLModel, table=True):
    """Something in the catalogue: a longer loan, a study-room slot, printing credit, merchandise…

    ``stock`` None means unlimited; ``per_reader`` None means no limit per reader; ``audience``
    empty means everyone, else the faculty (``core_user.cohort``) it is offered to.
    """

    __tablename__ = "rewards_perk"

    id: int | None = Field(default=None, primary_key=True)
    name_en: str = Field(max_length=80)
    name_zh: str = Field(max_length=80)
    description_en: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    description_zh: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    cost: int
    stock: int | None = None
    redeemed: int = 0
    per_reader: int | None = None
    audience: str = Field(default="", max_length=80)
    active: bool = True
    position: int = 0
    image: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    image_type: str | None = Field(default=None, max_length=40)
    image_sha: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Wallet(SQLModel, table=True):
    """What a reader has spent so far (the sum of their ``rewards_spend`` rows, negated)."""

    __tablename__ = "rewards_wallet"

    user_id: int = Field(primary_key=True, foreign_key="core_user.id")
    spent: int = 0


class Spend(SQLModel, table=True):
    """One row of the spending ledger: ``amount`` < 0 spends, > 0 refunds (``reverses_id``).
    Append-only, one row per ``idempotency_key``."""

    __tablename__ = "rewards_spend"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="core_user.id", index=True)  # None once forgotten
    amount: int
    what: str = Field(max_length=16)  # "perk", "ticket", "refund"
    source_ref: str = Field(max_length=80)
    reverses_id: int | None = Field(default=None, foreign_key="rewards_spend.id")
    idempotency_key: str = Field(max_length=120, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Claim(SQLModel, table=True):
    """How many of a perk a reader holds now (issued or fulfilled vouchers), for the per-reader limit."""

    __tablename__ = "rewards_claim"

    perk_id: int = Field(primary_key=True, foreign_key="rewards_perk.id")
    user_id: int = Field(primary_key=True, foreign_key="core_user.id")
    count: int = 0


class Voucher(SQLModel, table=True):
    """What a reader gets for a redemption: a code to show at the desk (also as a QR code)."""

    __tablename__ = "rewards_voucher"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    perk_id: int = Field(foreign_key="rewards_perk.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="core_user.id", index=True)
    cost: int
    state: str = Field(default="issued", max_length=16, index=True)  # issued, fulfilled, cancelled
    spend_id: int = Field(foreign_key="rewards_spend.id", unique=True)
    handled_by: int | None = Field(default=None, foreign_key="core_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    handled_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Draw(SQLModel, table=True):
    """A prize draw: tickets until ``draw_at``, then winners picked from a seed committed in advance.

    ``seed_hash`` (SHA-256 of ``seed``) is public from the start; ``seed`` is shown once drawn.
    ``ticket_cost`` 0 means tickets cannot be bought; ``earn_per_activity`` gives a ticket for
    each activity a reader records while the draw is open, up to ``max_earned`` each.
    """

    __tablename__ = "rewards_draw"

    id: int | None = Field(default=None, primary_key=True)
    title_en: str = Field(max_length=120)
    title_zh: str = Field(max_length=120)
    prize_en: str = Field(max_length=200)
    prize_zh: str = Field(max_length=200)
    winners: int = 1
    ticket_cost: int = 0
    max_bought: int = 10
    earn_per_activity: bool = False
    max_earned: int = 0
    opens_at: datetime = Field(sa_column=_ts())
    draw_at: datetime = Field(sa_column=_ts())
    seed: str = Field(max_length=64)
    seed_hash: str = Field(max_length=64)
    drawn_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    created_by: int | None = Field(default=None, foreign_key="core_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Ticket(SQLModel, table=True):
    """One ticket in a draw; its number is its id. ``source`` is ``bought`` or ``earned``."""

    __tablename__ = "rewards_ticket"

    id: int | None = Field(default=None, primary_key=True)
    draw_id: int = Field(foreign_key="rewards_draw.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="core_user.id", index=True)
    source: str = Field(max_length=8)
    # Set when drawn: the holder's lowest ticket number in the draw, as published (kept if the
    # reader is later forgotten, so the published list and a recomputation never change).
    holder: int | None = None
    idempotency_key: str = Field(max_length=120, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Winner(SQLModel, table=True):
    """A winning ticket of a drawn draw, in the order drawn (``place`` 1 first)."""

    __tablename__ = "rewards_winner"
    __table_args__ = (UniqueConstraint("draw_id", "place"),)

    id: int | None = Field(default=None, primary_key=True)
    draw_id: int = Field(foreign_key="rewards_draw.id", index=True)
    ticket_id: int = Field(foreign_key="rewards_ticket.id", unique=True)
    user_id: int | None = Field(default=None, foreign_key="core_user.id", index=True)
    place: int
