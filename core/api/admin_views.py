"""Administrators' pages for API keys: make one (its token shown once), see them, revoke one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core.api.keys import ApiKeyError, all_scopes, create_key, list_keys, revoke_key
from core.db import get_session
from core.forms import CheckboxesField, ConfirmForm, Form
from core.models import Role
from core.security import role_required
from core.ui import render

bp = Blueprint("api_keys", __name__, url_prefix="/admin/api-keys")


class KeyForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)],
                       description=_l("Which system uses it, e.g. \"Library management system\"."))
    scopes = CheckboxesField(_l("Scopes"), validators=[DataRequired(message=_l("Choose at least one scope."))])
    daily_points_cap = IntegerField(_l("Points it may award per day"), validators=[Optional(), NumberRange(1, 10_000_000)],
                                    description=_l("Leave empty for no cap."))
    rate_limit = StringField(_l("Rate limit"), default="600 per minute", validators=[DataRequired(), Length(max=60)],
                             description=_l("Calls allowed, e.g. \"600 per minute\" or \"10 per second\"."))


def _form(*, empty: bool = False) -> KeyForm:
    """The form to make a key: the request's values, or ``empty`` once a key is made (its
    name and scopes left in would make a second key at the next press)."""
    form = KeyForm(formdata=None) if empty else KeyForm()
    form.scopes.choices = [(name, f"{name}: {label}") for name, label in sorted(all_scopes().items())]
    return form


def _page(form: KeyForm, token: str | None = None, status: int = 200):
    response = render("admin/api_keys.html", form=form, keys=list_keys(get_session()), token=token,
                      revoke_form=ConfirmForm(), status=status)
    response.headers["Cache-Control"] = "no-store"  # the page may hold a new key's token
    return response


@bp.route("")
@role_required(Role.admin)
def index():
    """The keys, and a form to make one."""
    return _page(_form())


@bp.route("", methods=["POST"])
@role_required(Role.admin)
def create():
    """Make a key and show its token this once."""
    form = _form()
    if not form.validate_on_submit():
        return _page(form, status=400)
    session = get_session()
    try:
        new = create_key(session, name=form.name.data, scopes=form.scopes.data, actor_id=current_user.id,
                         daily_points_cap=form.daily_points_cap.data, rate_limit=form.rate_limit.data)
    except ApiKeyError as exc:
        form.name.errors = [*form.name.errors, str(exc)]
        return _page(form, status=400)
    session.commit()
    flash(_("Key \"%(name)s\" made. Copy it now: it is not shown again.", name=new.key.name), "success")
    return _page(_form(empty=True), token=new.token)


@bp.route("/<int:key_id>/revoke", methods=["POST"])
@role_required(Role.admin)
def revoke(key_id: int):
    """Revoke a key: calls with it are refused at once."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    session = get_session()
    try:
        key = revoke_key(session, key_id=key_id, actor_id=current_user.id)
    except LookupError:
        abort(404)
    session.commit()
    flash(_("Key \"%(name)s\" revoked.", name=key.name), "success")
    return redirect(url_for("api_keys.index"))
