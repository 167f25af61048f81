"""Directory sign-in: a form for the user name and password, checked by a bind (the password is
never stored), then the person's entry goes to core as a verified identity."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, request

from core.db import get_session
from core.hookspecs import VerifiedIdentity
from core.identity.providers import provider_secret, provider_settings
from core.identity.providers_signin import finish, refused, remember_next
from core.ui import render

from .directory import DirectoryProblem, check_password
from .forms import DirectoryLoginForm
from .i18n import _

KEY = "ldap"
bp = Blueprint("signin_ldap", __name__, url_prefix="/signin/ldap", template_folder="templates")
log = logging.getLogger(__name__)


def _settings() -> dict | None:
    settings = provider_settings(get_session(), KEY)
    if not settings.get("server_url") or not (settings.get("bind_dn_template") or settings.get("base_dn")):
        return None
    return settings


@bp.route("/", methods=["GET", "POST"])
def start():
    """The directory sign-in form; a right user name and password sign the person in."""
    settings = _settings()
    if settings is None:
        abort(404)
    form = DirectoryLoginForm()
    if request.method == "GET":
        remember_next(request.args.get("next"))
    if form.validate_on_submit():
        try:
            person = check_password(settings, provider_secret(get_session(), KEY), form.username.data, form.password.data)
        except DirectoryProblem as problem:
            log.info("directory sign-in failed: %s (%s)", problem.kind, problem)
            if problem.kind == "wrong":
                form.password.errors.append(_("The user name or password is not right."))
            elif problem.kind == "timeout":
                return refused(_("The campus directory did not answer in time. Try again in a few minutes."), 504)
            else:
                return refused(_("The campus directory could not be reached. Try again in a few minutes."), 502)
        else:
            return finish(VerifiedIdentity(KEY, person.subject, person.attributes))
    return render("signin_ldap/login.html", form=form, status=400 if form.errors else 200)
