"""Librarians' pages: the perks, the vouchers (fulfil, cancel, CSV) and new draws."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from core.db import get_session
from core.exports import csv_response
from core.images import ImageError, clean_image
from core.localtime import to_local
from core.models import AuditEntry, Role
from core.security import role_required
from core.ui import render

from . import draws, service
from .blueprint import bp
from .forms import ActionForm, DrawForm, PerkForm
from .i18n import _
from .models import Draw, Perk, Voucher
from .views import refused, voucher_or_404

MAX_IMAGE_BYTES = 2 * 1024 * 1024


@bp.app_template_global("rewards_state")
def state_label(state: str) -> str:
    return {"issued": _("Waiting at the desk"), "fulfilled": _("Fulfilled"), "cancelled": _("Cancelled")}.get(state, state)


@bp.route("/manage")
@role_required(Role.librarian)
def manage():
    """Perks with their stock, open vouchers and draws."""
    db = get_session()
    perks = db.execute(select(Perk).order_by(Perk.position, Perk.id)).scalars().all()
    waiting = db.execute(select(func.count()).select_from(Voucher).where(Voucher.state == "issued")).scalar_one()
    all_draws = db.execute(select(Draw).order_by(Draw.draw_at.desc())).scalars().all()
    return render("rewards/manage.html", perks=perks, waiting=waiting, draws=all_draws, draw_state=draws.state)


def _audience_choices(form: PerkForm) -> None:
    faculties = service.faculties(get_session())
    current = form.audience.data or ""
    if current and current not in faculties:
        faculties.append(current)
    form.audience.choices = [("", _("Everyone"))] + [(f, f) for f in faculties]


def _perk_page(perk: Perk | None):
    db = get_session()
    form = PerkForm(obj=perk)
    _audience_choices(form)
    if form.validate_on_submit():
        upload = form.image.data
        clean = None
        if upload and getattr(upload, "filename", ""):
            try:
                clean = clean_image(upload.read(), max_bytes=MAX_IMAGE_BYTES)
            except ImageError as error:
                form.image.errors.append(str(error))
        if not form.image.errors:
            creating = perk is None
            perk = perk or Perk(name_en="", name_zh="", cost=1)
            for name in ("name_en", "name_zh", "description_en", "description_zh", "cost", "stock", "per_reader",
                         "audience", "active"):
                value = getattr(form, name).data
                setattr(perk, name, value.strip() if isinstance(value, str) else value)
            perk.position = form.position.data or 0
            if clean is not None:
                perk.image, perk.image_type, perk.image_sha = clean.data, clean.content_type, clean.sha256
            elif form.remove_image.data:
                perk.image = perk.image_type = perk.image_sha = None
            db.add(perk)
            db.flush()
            db.add(AuditEntry(actor_id=current_user.id, action="rewards.perk-create" if creating else "rewards.perk-edit",
                              target=f"rewards:perk:{perk.id}", detail=f"cost {perk.cost}, stock {perk.stock}"))
            db.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("rewards.manage"), 303)
    status = 400 if request.method == "POST" else 200
    return render("rewards/perk_form.html", form=form, perk=perk, status=status)


@bp.route("/manage/perks/new", methods=["GET", "POST"])
@role_required(Role.librarian)
def perk_new():
    return _perk_page(None)


@bp.route("/manage/perks/<int:perk_id>", methods=["GET", "POST"])
@role_required(Role.librarian)
def perk_edit(perk_id: int):
    perk = get_session().get(Perk, perk_id)
    if perk is None:
        abort(404)
    return _perk_page(perk)


@bp.route("/manage/vouchers")
@role_required(Role.librarian)
def vouchers():
    """Every voucher, newest first; ``?state=issued`` for those waiting at the desk; a code to look up."""
    state = request.args.get("state")
    code = (request.args.get("code") or "").strip()
    if code:
        found = service.voucher_by_code(get_session(), code)
        if found is not None:
            return redirect(url_for("rewards.voucher", code=found.code))
        flash(_("No voucher has this code."), "error")
    rows = service.all_vouchers(get_session(), state)[:500]
    return render("rewards/vouchers.html", rows=rows, state=state if state in service.STATES else None)


@bp.route("/manage/vouchers.csv")
@role_required(Role.librarian)
def vouchers_csv():
    rows = service.all_vouchers(get_session())
    return csv_response("vouchers.csv", ["code", "perk", "reader", "email", "cost", "state", "issued", "handled"],
                        ([v.code, p.name_en, u.display_name if u else "", u.email if u else "", v.cost, v.state,
                          to_local(v.created_at).strftime("%Y-%m-%d %H:%M"),
                          to_local(v.handled_at).strftime("%Y-%m-%d %H:%M") if v.handled_at else ""]
                         for v, p, u in rows))


def _voucher_action(code: str, action):
    found = voucher_or_404(code)
    form = ActionForm()
    if not form.validate():
        abort(400)
    db = get_session()
    try:
        action(db, voucher=found, actor_id=current_user.id)
    except service.RewardsError as error:
        return refused(error, url_for("rewards.voucher", code=found.code))
    db.add(AuditEntry(actor_id=current_user.id, action=f"rewards.voucher-{found.state}",
                      target=f"rewards:voucher:{found.id}", detail=found.code))
    db.commit()
    flash(_("The voucher is now: %(state)s.", state=state_label(found.state)), "success")
    return redirect(url_for("rewards.voucher", code=found.code), 303)


@bp.route("/vouchers/<code>/fulfil", methods=["POST"])
@role_required(Role.librarian)
def fulfil(code: str):
    return _voucher_action(code, service.fulfil)


@bp.route("/vouchers/<code>/cancel", methods=["POST"])
@role_required(Role.librarian)
def cancel(code: str):
    return _voucher_action(code, service.cancel)


@bp.route("/manage/draws/new", methods=["GET", "POST"])
@role_required(Role.librarian)
def draw_new():
    """A new draw: its seed is made now and only its SHA-256 is shown until the draw."""
    form = DrawForm()
    if form.validate_on_submit():
        db = get_session()
        fields = {name: getattr(form, name).data for name in ("title_en", "title_zh", "prize_en", "prize_zh", "winners",
                                                                 "ticket_cost", "max_bought", "earn_per_activity",
                                                                 "max_earned", "opens_at", "draw_at")}
        fields = {k: v.strip() if isinstance(v, str) else v for k, v in fields.items()}
        draw = draws.create(db, actor_id=current_user.id, **fields)
        db.add(AuditEntry(actor_id=current_user.id, action="rewards.draw-create", target=f"rewards:draw:{draw.id}",
                          detail=draw.seed_hash))
        db.commit()
        flash(_("The draw is set. Its seed's hash is published on its page."), "success")
        return redirect(url_for("rewards.draw", draw_id=draw.id), 303)
    return render("rewards/draw_form.html", form=form, status=400 if request.method == "POST" else 200)
