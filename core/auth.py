"""Register, sign in and sign out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from core.accounts import AccountError, authenticate, create_user
from core.db import get_session
from core.forms import LoginForm, RegisterForm
from core.security import redirect_next
from core.ui import render

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create a student account and sign it in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    # Preselect the language the page is shown in, so a Chinese reader stays in Chinese.
    form = RegisterForm(locale=str(get_locale()))
    if form.validate_on_submit():
        db = get_session()
        try:
            user = create_user(db, email=form.email.data, password=form.password.data,
                               display_name=form.display_name.data, member_number=form.member_number.data,
                               cohort=form.cohort.data, locale=form.locale.data,
                               hide_from_boards=form.hide_from_boards.data)
            db.commit()
        except AccountError as exc:
            db.rollback()
            getattr(form, exc.field).errors.append(str(exc))
        else:
            login_user(user)
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.display_name), "success")
            return redirect(url_for("main.home"))
    return render("auth/register.html", form=form, status=400 if form.errors else 200)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with email and password (rate-limited per address)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        db = get_session()
        user = authenticate(db, email=form.email.data, password=form.password.data)
        db.commit()
        if user is not None:
            login_user(user)
            return redirect_next()
        form.password.errors.append(_("The email or password is not right."))
    return render("auth/login.html", form=form, status=400 if form.errors else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out."""
    # CSRFProtect has already checked the token, so another site cannot sign you out.
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("main.home"))
