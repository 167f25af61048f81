"""The librarians' page of adjustments waiting for a second librarian: ``/admin/approvals``."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core.approvals import service
from core.db import get_session
from core.forms import ApprovalForm, RejectionForm
from core.models import Role, User
from core.security import role_required
from core.ui import render

bp = Blueprint("approvals", __name__, url_prefix="/admin/approvals")


def _page(error: str | None = None, status: int = 200, failed: int | None = None, reject_form=None):
    db = get_session()
    waiting, done = service.pending(db), service.decided(db)
    people = {r.user_id for r in waiting + done} | {r.requested_by for r in waiting + done} | \
        {r.decided_by for r in done if r.decided_by}
    names = dict(db.execute(select(User.id, User.display_name).where(User.id.in_(people))).all()) if people else {}
    return render("admin/approvals.html", waiting=waiting, done=done, names=names, error=error, failed=failed,
                  approve_form=ApprovalForm(), reject_form=reject_form or RejectionForm(), status=status,
                  limit=current_app.config.get("ADJUSTMENT_APPROVAL_ABOVE"))


@bp.route("/")
@role_required(Role.librarian)
def index():
    """Adjustments waiting for a decision (approve or turn down those you neither asked for nor receive)."""
    return _page()


@bp.route("/<int:request_id>/approve", methods=["POST"])
@role_required(Role.librarian)
def approve(request_id: int):
    """Approve a request: the points are paid now."""
    form = ApprovalForm()
    if not form.validate_on_submit():
        return _page(_("The form has expired. Please reload the page and try again."), 400, request_id)
    db = get_session()
    try:
        request = service.approve(db, request_id=request_id, actor_id=current_user.id, note=form.note.data,
                                  max_amount=current_app.config["MAX_ADJUSTMENT"])
    except service.ApprovalError as exc:
        db.rollback()
        if exc.status == 404:
            abort(404)
        return _page(str(exc), exc.status, request_id)
    db.commit()
    flash(_("Approved: %(amount)+d points recorded.", amount=request.amount), "success")
    return redirect(url_for("approvals.index"))


@bp.route("/<int:request_id>/reject", methods=["POST"])
@role_required(Role.librarian)
def reject(request_id: int):
    """Turn a request down, with a reason; nothing is paid."""
    form = RejectionForm()
    db = get_session()
    if not form.validate_on_submit():
        return _page(None, 400, request_id, reject_form=form)
    try:
        service.reject(db, request_id=request_id, actor_id=current_user.id, note=form.note.data)
    except service.ApprovalError as exc:
        db.rollback()
        if exc.status == 404:
            abort(404)
        return _page(str(exc), exc.status, request_id, reject_form=form)
    db.commit()
    flash(_("The adjustment was turned down; nothing was paid."), "success")
    return redirect(url_for("approvals.index"))
