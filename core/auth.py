"""Register, sign in and sign out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from core.accounts import AccountError, authenticate, end_sessions, register as register_account
from core.db import get_session
from core.forms import LoginForm, RegisterForm
from core.identity.account_email import send_verification
from core.identity.faculties import faculty_choices
from core.identity.providers import password_sign_in_on, sign_in_providers
from core.identity.providers_forms import label_text
from core.identity.providers_signin import logout_redirect, refused, remember_next
from core.security.redirects import safe_redirect
from core.security.sessions import start_session, stop_session
from core.ui import render

bp = Blueprint("auth", __name__, url_prefix="/auth")
SIGNED_OUT_NEXT = "_engage_signed_out_next"


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create a student account, then send the reader to sign in.

    A taken email gets exactly the same answer (nothing is created, the owner is told through
    ``core.accounts.address_taken``), so this form cannot be used to find out who has an account.
    """
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    if not password_sign_in_on(get_session()):
        return refused(_("Accounts with a password are switched off here: sign in with your campus account."))
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
    """Sign in with email and password (rate-limited per address and per account), or through one
    of the sign-in providers' buttons, then go to ``next`` when it is a path on this site.
    Switched off (``core.identity.providers``), the password form is gone and a POST is refused."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    passwords_on = password_sign_in_on(get_session())
    if request.method == "POST" and not passwords_on:
        return refused(_("Sign-in with a password is switched off here: use your campus account."))
    remember_next(request.args.get("next"))
    form = LoginForm()
    if form.validate_on_submit():
        db = get_session()
        user = authenticate(db, email=form.email.data, password=form.password.data)
        db.commit()
        if user is not None:
            start_session(user)
            return safe_redirect(request.args.get("next") or request.form.get("next"))
        form.password.errors.append(_("The email or password is not right."))
    return render("auth/login.html", form=form, providers=sign_in_providers(), passwords_on=passwords_on,
                  label_text=label_text, status=400 if form.errors else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out, here and on every other device (a copied session cookie stops working too)."""
    # CSRFProtect has already checked the token, so another site cannot sign you out.
    provider_logout = logout_redirect()  # read before the session is emptied
    if current_user.is_authenticated:
        db = get_session()
        end_sessions(db, user_id=current_user.id)
        db.commit()
    stop_session()
    flash(_("You have signed out."), "info")
    if provider_logout:
        # Signed in through a campus provider: end the session there too (single logout). The
        # Content-Security-Policy's form-action forbids this POST to redirect to another site,
        # so a page of ours sends the browser on.
        session[SIGNED_OUT_NEXT] = provider_logout
        return redirect(url_for("auth.signed_out"))
    return redirect(url_for("main.home"))


@bp.route("/signed-out")
def signed_out():
    """After signing out here, on to the campus provider's own sign-out (a ``Refresh``, no script)."""
    target = session.pop(SIGNED_OUT_NEXT, None)
    if not target:
        return redirect(url_for("main.home"))
    response = render("auth/signed_out.html", target=target)
    response.headers["Refresh"] = f"0; url={target}"
    return response
