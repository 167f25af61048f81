"""Register, sign in and sign out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from core.accounts import AccountError, authenticate, end_sessions, register as register_account
from core.db import get_session
from core.forms import LoginForm, RegisterForm
from core.identity.account_email import send_verification
from core.identity.faculties import faculty_choices
from core.security.redirects import safe_redirect
from core.security.sessions import start_session, stop_session
from core.ui import render

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create a student account, then send the reader to sign in.

    A taken email gets exactly the same answer (nothing is created, the owner is told through
    ``core.accounts.address_taken``), so this form cannot be used to find out who has an account.
    """
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    # Preselect the language the page is shown in, so a Chinese reader stays in Chinese.
    form = RegisterForm(locale=str(get_locale()))
    form.cohort.choices = faculty_choices(get_session())
    if form.validate_on_submit():
        db = get_session()
        try:
            user = register_account(db, email=form.email.data, password=form.password.data,
                             display_name=form.display_name.data, member_number=form.member_number.data,
                             cohort=form.cohort.data, locale=form.locale.data,
                             hide_from_boards=form.hide_from_boards.data)
            if user is not None:
                send_verification(db, user=user)
            db.commit()
        except AccountError as exc:
            db.rollback()
            getattr(form, exc.field).errors.append(str(exc))
        else:
            flash(_("Thank you. If this email was new to us, your account is ready: sign in with it now. "
                    "If it already had an account, sign in with that account's password."), "success")
            return redirect(url_for("auth.login"))
    return render("auth/register.html", form=form, status=400 if form.errors else 200)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with email and password (rate-limited per address and per account), then go to
    ``next`` when it is a path on this site."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        db = get_session()
        user = authenticate(db, email=form.email.data, password=form.password.data)
        db.commit()
        if user is not None:
            start_session(user)
            return safe_redirect(request.args.get("next") or request.form.get("next"))
        form.password.errors.append(_("The email or password is not right."))
    return render("auth/login.html", form=form, status=400 if form.errors else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out, here and on every other device (a copied session cookie stops working too)."""
    # CSRFProtect has already checked the token, so another site cannot sign you out.
    if current_user.is_authenticated:
        db = get_session()
        end_sessions(db, user_id=current_user.id)
        db.commit()
    stop_session()
    flash(_("You have signed out."), "info")
    return redirect(url_for("main.home"))
