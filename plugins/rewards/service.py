"""The wallet, redemptions and vouchers: service functions that take the session and never commit.

Every guarantee is a conditional ``UPDATE`` checked by its row count, so it holds with many
processes on both databases (SQLite serialises writers with ``BEGIN IMMEDIATE``; PostgreSQL
re-checks the ``WHERE`` on the newest row after waiting for its lock):

* the wallet: ``spent + cost <= earned`` (never a negative spendable balance, two tabs or not);
* the stock: ``stock > 0`` (never oversold);
* the per-reader limit: ``count < per_reader``;
* a spend row per idempotency key (``ON CONFLICT DO NOTHING``): the same form sent twice redeems once.

Locks are taken in one order (spend key, wallet, perk, claim), so two redemptions never deadlock.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, true, update
from sqlmodel import Session

from core.ledger_sql import insert_for
from core.models import Role, User, utcnow
from core.notifications import notify
from core.points import user_total
from core.ui import path_for

from .i18n import _
from .models import Claim, Perk, Spend, Voucher, Wallet

NAME = "rewards"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a desk
CODE_LENGTH = 10
STATES = ("issued", "fulfilled", "cancelled")


class RewardsError(ValueError):
    """A refused redemption or action; ``message`` is in the reader's language."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclass(frozen=True)
class Balance:
    """A reader's wallet: points earned (what boards count), spent, and spendable."""

    earned: int
    spent: int

    @property
    def spendable(self) -> int:
        return max(0, self.earned - self.spent)


def balance(session: Session, user_id: int) -> Balance:
    """The reader's earned, spent and spendable points."""
    spent = session.execute(select(Wallet.spent).where(Wallet.user_id == user_id)).scalar_one_or_none()
    return Balance(user_total(session, user_id), spent or 0)


def offered_to(perk: Perk, user) -> bool:
    """Whether ``user`` may redeem ``perk``: it is active and for everyone or for their faculty."""
    return perk.active and (not perk.audience or perk.audience == (getattr(user, "cohort", None) or ""))


def catalogue(session: Session, user) -> list[Perk]:
    """The perks ``user`` may redeem, in the librarians' order."""
    query = select(Perk).where(Perk.active.is_(True)).order_by(Perk.position, Perk.id)
    return [p for p in session.execute(query).scalars() if offered_to(p, user)]


def left(perk: Perk) -> int | None:
    """How many are left (None: unlimited)."""
    return None if perk.stock is None else perk.stock


def _spend(session: Session, *, user_id: int, amount: int, what: str, source_ref: str, key: str,
           reverses_id: int | None = None) -> int | None:
    """Append a spend row (``amount`` < 0) or refund (> 0) once per ``key``; None when the key was used."""
    insert = insert_for(session)(Spend.__table__).values(
        user_id=user_id, amount=amount, what=what, source_ref=source_ref, reverses_id=reverses_id,
        idempotency_key=key, created_at=utcnow())
    return session.execute(insert.on_conflict_do_nothing(index_elements=["idempotency_key"])
                           .returning(Spend.__table__.c.id)).scalar_one_or_none()


def charge(session: Session, *, user_id: int, cost: int) -> None:
    """Take ``cost`` from the wallet, or refuse when it would leave the spendable balance negative."""
    wallets = Wallet.__table__
    session.execute(insert_for(session)(wallets).values(user_id=user_id, spent=0)
                    .on_conflict_do_nothing(index_elements=["user_id"]))
    earned = user_total(session, user_id)
    done = session.execute(update(wallets).where(wallets.c.user_id == user_id,
                                                 wallets.c.spent + cost <= earned)
                           .values(spent=wallets.c.spent + cost)).rowcount
    if not done:
        have = balance(session, user_id).spendable
        raise RewardsError(_("You need %(cost)d points and have %(have)d to spend.", cost=cost, have=have))


def spend_points(session: Session, *, user_id: int, cost: int, what: str, source_ref: str, key: str) -> int | None:
    """Spend ``cost`` points once per ``key``: the spend row's id, or None if ``key`` was used before."""
    spend_id = _spend(session, user_id=user_id, amount=-cost, what=what, source_ref=source_ref, key=key)
    if spend_id is not None:
        charge(session, user_id=user_id, cost=cost)
    return spend_id


def new_code() -> str:
    """A voucher code: ten letters and digits, easy to read aloud."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def redeem(session: Session, *, perk_id: int, user: User, key: str) -> tuple[Voucher, bool]:
    """Redeem a perk for ``user`` once per ``key`` (one per form shown): ``(voucher, new)``.

    Refused with a RewardsError — nothing written — when the perk is not offered to the reader,
    sold out, at the reader's limit, or costs more than the reader can spend.
    """
    perk = session.get(Perk, perk_id)
    if perk is None or not offered_to(perk, user):
        raise RewardsError(_("This perk is not offered to you."), 404)
    key = f"redeem:{user.id}:{key}"
    spend_id = _spend(session, user_id=user.id, amount=-perk.cost, what="perk", source_ref=f"perk:{perk.id}", key=key)
    if spend_id is None:  # the same form again (a double click, a retried request): the first voucher
        earlier = session.execute(select(Voucher).join(Spend, Spend.id == Voucher.spend_id)
                                  .where(Spend.idempotency_key == key)).scalar_one_or_none()
        if earlier is None:
            raise RewardsError(_("This form was already used. Reload the page and try again."))
        return earlier, False
    charge(session, user_id=user.id, cost=perk.cost)
    perks = Perk.__table__
    taken = session.execute(update(perks).where(perks.c.id == perk.id, perks.c.active.is_(True),
                                                (perks.c.stock.is_(None)) | (perks.c.stock > 0))
                            .values(stock=perks.c.stock - 1, redeemed=perks.c.redeemed + 1)).rowcount
    if not taken:
        raise RewardsError(_("Sorry, this perk has just run out."))
    claims = Claim.__table__
    session.execute(insert_for(session)(claims).values(perk_id=perk.id, user_id=user.id, count=0)
                    .on_conflict_do_nothing(index_elements=["perk_id", "user_id"]))
    limit = perk.per_reader
    within = claims.c.count < limit if limit else true()
    if not session.execute(update(claims).where(claims.c.perk_id == perk.id, claims.c.user_id == user.id, within)
                           .values(count=claims.c.count + 1)).rowcount:
        raise RewardsError(_("You already hold as many of this perk as one reader may (%(n)d).", n=limit))
    voucher = Voucher(code=new_code(), perk_id=perk.id, user_id=user.id, cost=perk.cost, spend_id=spend_id)
    session.add(voucher)
    session.flush()
    name_en, name_zh = perk.name_en, perk.name_zh
    notify(session, user_id=user.id, plugin=NAME, kind="voucher-issued",
           message={"en": f"Your voucher for {name_en} is ready: show it at the desk.",
                    "zh_Hans": f"你兑换的“{name_zh}”凭证已生成，请到服务台出示。"},
           url=path_for("rewards.voucher", code=voucher.code))
    return voucher, True


def voucher_by_code(session: Session, code: str) -> Voucher | None:
    """The voucher with this code (case and dashes ignored)."""
    code = "".join(ch for ch in (code or "").upper() if ch.isalnum())[:CODE_LENGTH + 2]
    return session.execute(select(Voucher).where(Voucher.code == code)).scalar_one_or_none()


def _handle(session: Session, voucher: Voucher, state: str, actor_id: int) -> None:
    vouchers = Voucher.__table__
    done = session.execute(update(vouchers).where(vouchers.c.id == voucher.id, vouchers.c.state == "issued")
                           .values(state=state, handled_by=actor_id, handled_at=utcnow())).rowcount
    if not done:
        raise RewardsError(_("This voucher was already fulfilled or cancelled."))
    session.refresh(voucher)


def fulfil(session: Session, *, voucher: Voucher, actor_id: int) -> None:
    """Mark an issued voucher as handed over (once)."""
    _handle(session, voucher, "fulfilled", actor_id)
    if voucher.user_id is not None:
        perk = session.get(Perk, voucher.perk_id)
        notify(session, user_id=voucher.user_id, plugin=NAME, kind="voucher-fulfilled",
               message={"en": f"Enjoy your {perk.name_en}! Your voucher has been used.",
                        "zh_Hans": f"“{perk.name_zh}”已兑现，祝你使用愉快！"},
               url=path_for("rewards.voucher", code=voucher.code))


def cancel(session: Session, *, voucher: Voucher, actor_id: int) -> None:
    """Cancel an issued voucher: the points come back by a compensating spend row, the stock and
    the reader's limit are restored."""
    _handle(session, voucher, "cancelled", actor_id)
    if voucher.user_id is None:
        return
    refund = _spend(session, user_id=voucher.user_id, amount=voucher.cost, what="refund",
                    source_ref=f"voucher:{voucher.id}", key=f"refund:{voucher.id}", reverses_id=voucher.spend_id)
    if refund is not None:
        wallets = Wallet.__table__
        session.execute(update(wallets).where(wallets.c.user_id == voucher.user_id)
                        .values(spent=wallets.c.spent - voucher.cost))
    perks, claims = Perk.__table__, Claim.__table__
    session.execute(update(perks).where(perks.c.id == voucher.perk_id)
                    .values(stock=perks.c.stock + 1, redeemed=perks.c.redeemed - 1))
    session.execute(update(claims).where(claims.c.perk_id == voucher.perk_id, claims.c.user_id == voucher.user_id)
                    .values(count=claims.c.count - 1))
    perk = session.get(Perk, voucher.perk_id)
    notify(session, user_id=voucher.user_id, plugin=NAME, kind="voucher-cancelled",
           message={"en": f"Your voucher for {perk.name_en} was cancelled; {voucher.cost} points are back in your wallet.",
                    "zh_Hans": f"你的“{perk.name_zh}”凭证已取消，{voucher.cost} 积分已退回。"},
           url=path_for("rewards.wallet"))


def vouchers_of(session: Session, user_id: int) -> list[tuple[Voucher, Perk]]:
    """A reader's vouchers, newest first, with their perks."""
    return session.execute(select(Voucher, Perk).join(Perk, Perk.id == Voucher.perk_id)
                           .where(Voucher.user_id == user_id).order_by(Voucher.id.desc())).all()


def all_vouchers(session: Session, state: str | None = None):
    """Every voucher (optionally of one state), newest first, with perk and reader."""
    query = (select(Voucher, Perk, User).join(Perk, Perk.id == Voucher.perk_id)
             .outerjoin(User, User.id == Voucher.user_id).order_by(Voucher.id.desc()))
    if state in STATES:
        query = query.where(Voucher.state == state)
    return session.execute(query).all()


def spending_of(session: Session, user_id: int, limit: int = 50) -> list[Spend]:
    """A reader's spending ledger, newest first."""
    return session.execute(select(Spend).where(Spend.user_id == user_id).order_by(Spend.id.desc())
                           .limit(limit)).scalars().all()


def check_wallets(session: Session) -> list[str]:
    """Prove each wallet equals its spending ledger; empty means all agree."""
    ledger = dict(session.execute(select(Spend.user_id, -func.sum(Spend.amount)).where(Spend.user_id.is_not(None))
                          .group_by(Spend.user_id)).all())
    stored = dict(session.execute(select(Wallet.user_id, Wallet.spent)).all())
    return [f"user {u}: wallet spent {stored.get(u, 0)}, spending ledger says {ledger.get(u, 0)}"
            for u in sorted(set(ledger) | set(stored)) if (stored.get(u, 0) or 0) != (ledger.get(u, 0) or 0)]


def faculties(session: Session) -> list[str]:
    """The faculties (cohorts) readers belong to, for a perk's audience."""
    return [c for c in session.execute(select(User.cohort).where(User.cohort.is_not(None),
                                                                 User.role == Role.student.value)
                                       .distinct().order_by(User.cohort)).scalars() if c]
