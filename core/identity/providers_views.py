"""The administrator's sign-in pages: local passwords on or off, each provider's settings and
attribute mapping, and "test this provider"."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from core.db import get_session
from core.models import Role
from core.security import role_required
from core.ui import render
from core.identity.providers import (PASSWORD, ProviderError, find_provider, password_sign_in_on, provider_secret,
                                     provider_settings, save_provider_settings, set_password_sign_in, setting,
                                     sign_in_providers)
from core.identity.providers_forms import PasswordSwitchForm, label_text, settings_form
from core.identity.providers_mapping import FIELDS, MappingError, check_mapping, mapping_for
from core.identity.providers_models import IdentityLink
from core.identity.providers_signin import start_test

bp = Blueprint("signin_admin", __name__, url_prefix="/admin/sign-in")


@bp.route("/")
@role_required(Role.admin)
def index():
    """Every way to sign in: local passwords and the providers of the plugins switched on."""
    db = get_session()
    counts = dict(db.execute(select(IdentityLink.provider, func.count()).group_by(IdentityLink.provider)).all())
    return render("admin/signin.html", providers=sign_in_providers(configured_only=False), counts=counts,
                  passwords_on=password_sign_in_on(db), form=PasswordSwitchForm(), label_text=label_text)


@bp.route("/passwords", methods=["POST"])
@role_required(Role.admin)
def passwords():
    """Switch local passwords on or off (off is refused while no other provider is set up)."""
    form = PasswordSwitchForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    try:
        set_password_sign_in(db, enabled=form.enabled.data == "1", actor_id=current_user.id)
        db.commit()
    except ProviderError as exc:
        db.rollback()
        flash(str(exc), "error")
    else:
        flash(_("Sign-in with a password is on.") if form.enabled.data == "1" else
              _("Sign-in with a password is off: the password form is gone from the sign-in page."), "success")
    return redirect(url_for("signin_admin.index"))


def _provider_or_404(key: str):
    provider = find_provider(key)
    if provider is None or key == PASSWORD:
        abort(404)
    return provider


@bp.route("/<key>", methods=["GET", "POST"])
@role_required(Role.admin)
def provider(key: str):
    """One provider's settings and attribute mapping."""
    provider = _provider_or_404(key)
    db = get_session()
    secrets_named = [spec.name for spec in provider.settings if spec.kind == "secret"]
    stored = {**{spec.name: spec.default for spec in provider.settings}, **provider_settings(db, key),
              **mapping_for(db, key, provider.default_mapping)}
    form = settings_form(provider, formdata=request.form if request.method == "POST" else None, data=stored)
    if request.method == "POST" and form.validate_on_submit():
        values = {spec.name: form[spec.name].data for spec in provider.settings if spec.kind != "secret"}
        values = {name: (value.strip() if isinstance(value, str) else value) for name, value in values.items()}
        secret = next((form[name].data for name in secrets_named if form[name].data), None)
        try:
            mapping = check_mapping({name: form[name].data for name in (*FIELDS, "role_rules", "allow")})
        except MappingError as exc:
            form[exc.field].errors = [*form[exc.field].errors, str(exc)]
        else:
            import json

            save_provider_settings(db, key=key, values=values, secret=secret, actor_id=current_user.id)
            row = setting(db, key)
            row.mapping = json.dumps(mapping, ensure_ascii=False, sort_keys=True)
            db.add(row)
            db.commit()
            flash(_("Settings saved."), "success")
            return redirect(url_for("signin_admin.provider", key=key))
    has_secret = bool(secrets_named) and provider_secret(db, key) is not None
    from_config = bool((current_app.config.get("SIGNIN_SECRETS") or {}).get(key))
    return render("admin/signin_provider.html", provider=provider, form=form, has_secret=has_secret,
                  from_config=from_config, title=label_text(provider.label), mapping_fields=(*FIELDS, "role_rules", "allow"),
                  status=400 if form.errors else 200)


@bp.route("/<key>/test", methods=["POST"])
@role_required(Role.admin)
def test(key: str):
    """Begin a test sign-in: the provider's answer is shown here instead of signing anyone in."""
    provider = _provider_or_404(key)
    if not PasswordSwitchForm().validate_on_submit():
        abort(400)
    if not provider.configured:
        flash(_("Save this provider's settings before you test it."), "error")
        return redirect(url_for("signin_admin.provider", key=key))
    start_test(key)
    return redirect(provider.start_url)
