"""Readers' rights: what this plugin holds about a person, and forgetting it.

Behind the hooks engage_user_data and engage_forget_user (plugin.py).
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlmodel import Session

from .models import Claim, Draw, Perk, Spend, Ticket, Voucher, Wallet, Winner


def _iso(moment):
    return moment.isoformat() if moment else None


def user_data(session: Session, user_id: int) -> dict[str, list[dict]]:
    """``{file stem: rows}``: the reader's wallet, spending, vouchers and draw tickets."""
    wallet = session.get(Wallet, user_id)
    vouchers = session.execute(select(Voucher, Perk).join(Perk, Perk.id == Voucher.perk_id)
                               .where(Voucher.user_id == user_id).order_by(Voucher.id)).all()
    spends = session.execute(select(Spend).where(Spend.user_id == user_id).order_by(Spend.id)).scalars()
    tickets = session.execute(select(Ticket).where(Ticket.user_id == user_id).order_by(Ticket.id)).scalars()
    won = set(session.execute(select(Winner.ticket_id).where(Winner.user_id == user_id)).scalars())
    return {
        "rewards_wallet": [{"spent": wallet.spent}] if wallet else [],
        "rewards_spending": [{"amount": s.amount, "what": s.what, "reference": s.source_ref,
                              "at": _iso(s.created_at)} for s in spends],
        "rewards_vouchers": [{"code": v.code, "perk": p.name_en, "cost": v.cost, "state": v.state,
                              "issued": _iso(v.created_at), "handled": _iso(v.handled_at)} for v, p in vouchers],
        "rewards_tickets": [{"draw": t.draw_id, "ticket": t.id, "source": t.source, "won": t.id in won,
                             "at": _iso(t.created_at)} for t in tickets],
    }


def forget_user(session: Session, user_id: int) -> None:
    """Forget the reader: wallet, spending and limits go; vouchers, tickets and wins stay (stock
    and published draws must add up) but no longer name anyone. In the caller's transaction."""
    session.execute(update(Voucher.__table__).where(Voucher.__table__.c.user_id == user_id).values(user_id=None))
    session.execute(update(Voucher.__table__).where(Voucher.__table__.c.handled_by == user_id).values(handled_by=None))
    session.execute(update(Ticket.__table__).where(Ticket.__table__.c.user_id == user_id).values(user_id=None))
    session.execute(update(Winner.__table__).where(Winner.__table__.c.user_id == user_id).values(user_id=None))
    session.execute(update(Draw.__table__).where(Draw.__table__.c.created_by == user_id).values(created_by=None))
    session.execute(delete(Claim.__table__).where(Claim.__table__.c.user_id == user_id))
    session.execute(delete(Wallet.__table__).where(Wallet.__table__.c.user_id == user_id))
    # Vouchers point at their spend rows; those rows stay, without the person.
    session.execute(update(Spend.__table__).where(Spend.__table__.c.user_id == user_id).values(user_id=None))
