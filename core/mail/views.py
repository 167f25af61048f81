"""Readers' email pages: how often each kind of news comes, and the one-click unsubscribe.

The unsubscribe link works without signing in and without a CSRF token: its signed token
authenticates it (RFC 8058: a mail client POSTs ``List-Unsubscribe=One-Click`` to it). Opened
in a browser (GET), it asks for confirmation first, so a link scanner changes nothing.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField

from core.db import get_session
from core.i18n import pick
from core.mail import kinds
from core.mail.compose import read_token
from core.models import User
from core.ui import render

bp = Blueprint("mail", __name__)


def _label(kind) -> str:
    return pick(kind.label) if isinstance(kind.label, dict) else str(kind.label)


def _form_for(user, choices: dict[str, str]):
    """A form with one choice per kind offered to ``user``, filled with their current settings."""
    offered = kinds.offered_to(user)

    class PreferencesForm(FlaskForm):
        pass

    options = [(value, str(label)) for value, label in kinds.CADENCE_LABELS.items()]
    for index, kind in enumerate(offered):
        setattr(PreferencesForm, f"kind_{index}", SelectField(_label(kind), choices=options,
                                                              default=choices.get(kind.key, kind.default)))
    PreferencesForm.stop_all = BooleanField(_l("Send me no email about news at all"),
                                            default=choices.get(kinds.ALL) == "never")
    return PreferencesForm(), offered


@bp.route("/notifications/email", methods=["GET", "POST"])
@login_required
def preferences():
    """Choose, per kind of news, email at once, in a daily or weekly digest, or never."""
    session = get_session()
    form, offered = _form_for(current_user, kinds.stored(session, current_user.id))
    if form.validate_on_submit():
        for index, kind in enumerate(offered):
            kinds.choose(session, user_id=current_user.id, kind=kind.key, cadence=form[f"kind_{index}"].data)
        kinds.choose(session, user_id=current_user.id, kind=kinds.ALL,
                     cadence="never" if form.stop_all.data else "immediate")
        session.commit()
        flash(_("Your email settings are saved."), "success")
        return redirect(url_for("mail.preferences"))
    fields = [form[f"kind_{index}"] for index in range(len(offered))]
    return render("mail/preferences.html", form=form, fields=fields, status=400 if form.errors else 200)


def _unsubscribe_target(token: str):
    """The user and kind a token names, or None with the page that says why."""
    found = read_token(token)
    user = get_session().get(User, found[0]) if found else None
    if user is None:
        return None, None, render("mail/unsubscribe.html", state="invalid", status=400)
    return user, found[1], None


def _kind_label(key: str) -> str | None:
    if key == kinds.ALL:
        return None
    for kind in kinds.registry():
        if kind.key == key:
            return _label(kind)
    return key


@bp.route("/mail/unsubscribe/<token>", methods=["GET"])
def unsubscribe(token: str):
    """Ask before stopping the email this link came with (a GET never changes anything)."""
    user, key, refusal = _unsubscribe_target(token)
    if refusal:
        return refusal
    return render("mail/unsubscribe.html", state="confirm", token=token, kind_label=_kind_label(key))


@bp.route("/mail/unsubscribe/<token>", methods=["POST"])
def unsubscribe_now(token: str):
    """Stop that kind of email (or all of it) for the token's reader: one click, no sign-in."""
    user, key, refusal = _unsubscribe_target(token)
    if refusal:
        return refusal
    session = get_session()
    kinds.choose(session, user_id=user.id, kind=key, cadence="never")
    session.commit()
    return render("mail/unsubscribe.html", state="done", kind_label=_kind_label(key))


def init_app(app) -> None:
    """Register the pages; the one-click POST carries no CSRF token (the signed token stands in)."""
    app.register_blueprint(bp)
    app.extensions["csrf"].exempt(unsubscribe_now)
