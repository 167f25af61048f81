"""Readers' pages: the catalogue, redeeming, the wallet and a voucher with its QR code."""

from __future__ import annotations

import secrets

import segno
from flask import abort, flash, redirect, url_for
from flask_login import current_user, login_required

from core.db import get_session
from core.files import file_response
from core.models import Role, User
from core.ui import render

from . import service
from .blueprint import bp
from .forms import ActionForm, TokenForm
from .i18n import _
from .models import Perk


def refused(error: service.RewardsError, back: str):
    """A refused action: roll back, say why in the reader's language, answer its status."""
    get_session().rollback()
    return render("rewards/refused.html", message=error.message, back=back, status=error.status)


def fresh_token() -> TokenForm:
    """A redeem form with a new token: each form shown redeems at most once."""
    return TokenForm(formdata=None, data={"token": secrets.token_urlsafe(16)})


@bp.route("/")
@login_required
def index():
    """The catalogue of perks offered to me, with my spendable points."""
    db = get_session()
    perks = service.catalogue(db, current_user)
    return render("rewards/index.html", perks=perks, balance=service.balance(db, current_user.id),
                  forms={p.id: fresh_token() for p in perks})


@bp.route("/perks/<int:perk_id>/image")
def perk_image(perk_id: int):
    perk = get_session().get(Perk, perk_id)
    if perk is None or perk.image is None:
        abort(404)
    return file_response(perk.image, perk.image_type, visible=True, public=True, etag=perk.image_sha)


@bp.route("/perks/<int:perk_id>/redeem", methods=["POST"])
@login_required
def redeem(perk_id: int):
    """Spend points on a perk: a voucher, or a clear refusal that changes nothing."""
    db = get_session()
    form = TokenForm()
    if not form.validate():
        return refused(service.RewardsError(_("This form has expired. Reload the page and try again."), 400),
                       url_for("rewards.index"))
    try:
        voucher, new = service.redeem(db, perk_id=perk_id, user=current_user, key=form.token.data)
    except service.RewardsError as error:
        return refused(error, url_for("rewards.index"))
    db.commit()
    if new:
        flash(_("Done! Show this voucher at the desk."), "success")
    return redirect(url_for("rewards.voucher", code=voucher.code), 303)


@bp.route("/wallet")
@login_required
def wallet():
    """My points to spend, my vouchers and my spending."""
    db = get_session()
    return render("rewards/wallet.html", balance=service.balance(db, current_user.id),
                  vouchers=service.vouchers_of(db, current_user.id),
                  spending=service.spending_of(db, current_user.id))


def voucher_or_404(code: str):
    """The voucher, seen by its holder or a librarian; anyone else gets 404 (codes are secrets)."""
    db = get_session()
    voucher = service.voucher_by_code(db, code)
    if voucher is None or not (voucher.user_id == current_user.id or current_user.has_role(Role.librarian)):
        abort(404)
    return voucher


@bp.route("/vouchers/<code>")
@login_required
def voucher(code: str):
    """A voucher: its code in big letters and a QR code the desk scans to open this page."""
    found = voucher_or_404(code)
    db = get_session()
    perk = db.get(Perk, found.perk_id)
    link = url_for("rewards.voucher", code=found.code, _external=True)
    qr = segno.make(link, error="m").svg_data_uri(scale=6, dark="#0b1f24")
    return render("rewards/voucher.html", voucher=found, perk=perk, qr=qr, form=ActionForm(),
                  holder=db.get(User, found.user_id) if found.user_id else None)
