"""Account pages: forgotten password, address confirmation and change, my data (export and
delete), and the administrators' account settings and reset emails."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.accounts import AccountError
from core.db import get_session
from core.forms import ConfirmForm
from core.identity import account_email, privacy, settings
from core.identity.account_forms import (AccountSettingsForm, DeleteAccountForm, EmailChangeForm, ResetPasswordForm,
                                 ResetRequestForm)
from core.models import Role, User
from core.security import role_required
from core.security.sessions import stop_session
from core.ui import render

bp = Blueprint("identity", __name__)


def _refuse(form, exc: AccountError) -> None:
    field = getattr(form, exc.field or "", None)
    (field.errors if field is not None and hasattr(field.errors, "append") else form.form_errors).append(str(exc))


# --- forgotten password -----------------------------------------------------------------

@bp.route("/auth/reset", methods=["GET", "POST"])
def reset_request():
    """Ask for a reset link. The answer is the same whether or not the address has an account."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        db = get_session()
        account_email.request_reset(db, email=form.email.data)
        db.commit()
        return render("identity/reset_sent.html")
    return render("identity/reset_request.html", form=form, status=400 if form.errors else 200)


@bp.route("/auth/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password through an emailed link (once, before it expires)."""
    db = get_session()
    if account_email.user_for_reset(db, token=token) is None:
        return render("identity/reset_invalid.html", status=400)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            account_email.reset_password(db, token=token, new=form.password.data)
        except AccountError as exc:
            db.rollback()
            if exc.field == "token":
                return render("identity/reset_invalid.html", status=400)
            _refuse(form, exc)
        else:
            db.commit()
            if current_user.is_authenticated:
                stop_session()
            flash(_("Your password is changed. Sign in with it now."), "success")
            return redirect(url_for("auth.login"))
    return render("identity/reset_password.html", form=form, status=400 if form.errors else 200)


# --- confirming an address --------------------------------------------------------------

@bp.route("/account/verify", methods=["GET", "POST"])
@login_required
def verify_needed():
    """Where an unconfirmed reader is asked to confirm their address, and can have the link again."""
    db = get_session()
    form = ConfirmForm()
    if form.validate_on_submit():
        user = db.get(User, current_user.id)
        if user.email_verified_at is None:
            account_email.send_verification(db, user=user)
            db.commit()
        flash(_("We have sent a new link to %(address)s.", address=user.email), "success")
        return redirect(url_for("identity.verify_needed"))
    return render("identity/verify_needed.html", form=form, required=settings.verification_required(db))


@bp.route("/account/verify/<token>", methods=["GET"])
def verify_address_page(token: str):
    """Ask before confirming (a link scanner's GET changes nothing)."""
    return render("identity/verify_confirm.html", form=ConfirmForm(), token=token)


@bp.route("/account/verify/<token>", methods=["POST"])
def verify_address(token: str):
    """Confirm an address (or a new address) from its emailed link."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render("identity/verify_confirm.html", form=form, token=token, status=400)
    db = get_session()
    try:
        account_email.verify_address(db, token=token)
    except AccountError as exc:
        db.commit()  # a pending address someone else took meanwhile is dropped
        return render("identity/verify_confirm.html", form=form, token=token, error=str(exc), status=400)
    db.commit()
    flash(_("Thank you: your email address is confirmed."), "success")
    return redirect(url_for("main.profile") if current_user.is_authenticated else url_for("auth.login"))


# --- changing the address ---------------------------------------------------------------

@bp.route("/account/email", methods=["GET", "POST"])
@login_required
def change_email():
    """Move the account to a new address: the current password first; the new one counts once confirmed."""
    db = get_session()
    user = db.get(User, current_user.id)
    form = EmailChangeForm()
    cancel = ConfirmForm(prefix="cancel")
    if request.method == "POST" and request.form.get("cancel") == "1":
        if cancel.validate_on_submit():
            account_email.cancel_email_change(db, user=user)
            db.commit()
            flash(_("The change of address is cancelled."), "info")
        return redirect(url_for("identity.change_email"))
    if form.validate_on_submit():
        try:
            account_email.request_email_change(db, user=user, current=form.current.data, new_email=form.email.data)
        except AccountError as exc:
            db.rollback()
            _refuse(form, exc)
        else:
            db.commit()
            flash(_("We have sent a link to %(address)s. Your address changes when you follow it.",
                    address=user.pending_email), "success")
            return redirect(url_for("identity.change_email"))
    return render("identity/change_email.html", form=form, cancel=cancel, user=user,
                  status=400 if form.errors else 200)


# --- my data ----------------------------------------------------------------------------

@bp.route("/account/data", methods=["GET"])
@login_required
def my_data():
    """What the site holds about you: download it all, or delete your account."""
    return render("identity/my_data.html", form=DeleteAccountForm())


@bp.route("/account/data/export", methods=["GET"])
@login_required
def export():
    """Everything held about you, as a ZIP of JSON and CSV files (built in a temporary file)."""
    archive = privacy.export_archive(get_session(), user_id=current_user.id)
    return send_file(archive, mimetype="application/zip", as_attachment=True,
                     download_name=privacy.archive_name(current_user.id), max_age=0)


@bp.route("/account/delete", methods=["POST"])
@login_required
def delete_account():
    """Delete your account: your current password and your address typed out, then it is gone."""
    db = get_session()
    user = db.get(User, current_user.id)
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            privacy.delete_own_account(db, user=user, current=form.current.data, typed=form.confirm_email.data)
        except AccountError as exc:
            db.rollback()
            _refuse(form, exc)
        else:
            db.commit()
            stop_session()
            flash(_("Your account is deleted. Thank you for taking part."), "info")
            return redirect(url_for("main.home"))
    return render("identity/my_data.html", form=form, status=400)


# --- administrators ---------------------------------------------------------------------

@bp.route("/admin/accounts", methods=["GET", "POST"])
@role_required(Role.admin)
def account_settings():
    """Whether readers confirm their address before taking part, and how long accounts are kept."""
    db = get_session()
    form = AccountSettingsForm()
    if request.method == "GET":
        form.verification.data = settings.verification_required(db)
        form.retention_years.data = settings.retention_years(db)
    elif form.validate_on_submit():
        settings.save(db, verification=form.verification.data, years=form.retention_years.data,
                      actor_id=current_user.id)
        db.commit()
        flash(_("The account settings are saved."), "success")
        return redirect(url_for("identity.account_settings"))
    return render("identity/settings.html", form=form, status=400 if form.errors else 200)


@bp.route("/admin/users/<int:user_id>/send-reset", methods=["POST"])
@role_required(Role.admin)
def send_reset(user_id: int):
    """Email a person a link to choose a new password (audited)."""
    db = get_session()
    user = db.get(User, user_id)
    if user is None:
        abort(404)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if not user.is_active or user.anonymised_at is not None:
        flash(_("A deactivated account gets no reset email; reactivate it first."), "error")
    else:
        account_email.send_reset(db, user=user, actor_id=current_user.id)
        db.commit()
        flash(_("A reset link is on its way to %(address)s.", address=user.email), "success")
    return redirect(url_for("admin.user", user_id=user.id))


