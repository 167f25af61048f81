"""Prize draw pages: open to everyone (the commitment and the result are public), tickets for readers."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from core.db import get_session
from core.exports import csv_response
from core.ui import render

from . import draws, service
from .blueprint import bp
from .forms import TokenForm
from .i18n import _
from .models import Draw
from .views import fresh_token, refused


def draw_or_404(draw_id: int) -> Draw:
    draw = get_session().get(Draw, draw_id)
    if draw is None:
        abort(404)
    return draw


@bp.route("/draws")
def draw_list():
    """Draws to come, then those drawn, newest first."""
    rows = get_session().execute(select(Draw).order_by(Draw.draw_at.desc())).scalars().all()
    return render("rewards/draws.html", draws=rows, state=draws.state)


@bp.route("/draws/<int:draw_id>")
def draw(draw_id: int):
    """A draw: prize, time, the seed's hash; once drawn, the seed, winners and how to check them."""
    found = draw_or_404(draw_id)
    db = get_session()
    mine = draws.tickets_of(db, found.id, current_user.id) if current_user.is_authenticated else []
    state = draws.state(found)
    winners = draws.winners_of(db, found.id) if state == "drawn" else []
    return render("rewards/draw.html", draw=found, state=state, mine=mine, winners=winners,
                  count=draws.ticket_count(db, found.id), form=fresh_token(),
                  balance=service.balance(db, current_user.id) if current_user.is_authenticated else None,
                  won={w.ticket_id for w in winners if w.user_id == getattr(current_user, "id", None)})


@bp.route("/draws/<int:draw_id>/tickets", methods=["POST"])
@login_required
def buy_ticket(draw_id: int):
    found = draw_or_404(draw_id)
    form = TokenForm()
    back = url_for("rewards.draw", draw_id=found.id)
    if not form.validate():
        return refused(service.RewardsError(_("This form has expired. Reload the page and try again."), 400), back)
    db = get_session()
    try:
        ticket = draws.buy_ticket(db, draw=found, user_id=current_user.id, key=form.token.data)
    except service.RewardsError as error:
        return refused(error, back)
    db.commit()
    if ticket is not None:
        flash(_("Your ticket number is %(n)d. Good luck!", n=ticket.id), "success")
    return redirect(back, 303)


@bp.route("/draws/<int:draw_id>/tickets.csv")
def tickets_csv(draw_id: int):
    """Every ticket and its holder (by their lowest ticket number), published once drawn."""
    found = draw_or_404(draw_id)
    if found.drawn_at is None:
        abort(404)
    return csv_response(f"draw-{found.id}-tickets.csv", ["ticket", "holder"],
                        draws.published_tickets(get_session(), found.id))
