"""OpenID Connect sign-in: send the browser to the provider with state, nonce and a PKCE
challenge; check them when it comes back, verify the ID token and hand the person to core."""

from __future__ import annotations

import logging
import time

from flask import Blueprint, abort, redirect, request, session as browser, url_for

from core.db import get_session
from core.hookspecs import VerifiedIdentity
from core.identity.providers import provider_secret, provider_settings
from core.identity.providers_signin import finish, refused, remember_next

from . import client
from .i18n import _

KEY = "oidc"
PENDING = "_engage_oidc_pending"
PENDING_SECONDS = 600
bp = Blueprint("signin_oidc", __name__, url_prefix="/signin/oidc")
log = logging.getLogger(__name__)


def redirect_uri() -> str:
    return url_for("signin_oidc.callback", _external=True)


def _settings() -> dict | None:
    settings = provider_settings(get_session(), KEY)
    return settings if settings.get("issuer") and settings.get("client_id") else None


def _problem_page(problem: client.ProviderProblem):
    log.warning("OpenID Connect sign-in failed: %s (%s)", problem.kind, problem)
    if problem.kind == "timeout":
        return refused(_("The campus sign-in provider did not answer in time. Try again in a few minutes."), 504)
    if problem.kind == "unreachable":
        return refused(_("The campus sign-in provider could not be reached. Try again in a few minutes."), 502)
    return refused(_("The campus sign-in provider's answer could not be verified, so you were not signed in. "
                     "Start again from the sign-in page."), 400)


@bp.route("/start")
def start():
    """Off to the provider's authorization page."""
    settings = _settings()
    if settings is None:
        abort(404)
    remember_next(request.args.get("next"))
    try:
        url, pending = client.authorization_request(settings, provider_secret(get_session(), KEY), redirect_uri())
    except client.ProviderProblem as problem:
        return _problem_page(problem)
    browser[PENDING] = pending
    return redirect(url)


@bp.route("/callback")
def callback():
    """The provider sends the browser back with a code and the state it was given."""
    settings = _settings()
    if settings is None:
        abort(404)
    pending = browser.pop(PENDING, None)
    if request.args.get("error"):
        return refused(_("The campus sign-in provider did not sign you in (%(reason)s). Start again from the "
                         "sign-in page.", reason=request.args.get("error")[:80]), 400)
    state, code = request.args.get("state", ""), request.args.get("code", "")
    if (not pending or not isinstance(pending, dict) or state != pending.get("state")
            or time.time() - pending.get("at", 0) > PENDING_SECONDS):
        # Another browser's answer, a replay, or one that took too long: never trusted.
        return refused(_("This sign-in answer does not belong to a sign-in started in this browser, or it came "
                         "too late. Start again from the sign-in page."), 400)
    if not code or len(code) > 2000:
        return refused(_("The campus sign-in provider did not send a code. Start again from the sign-in page."), 400)
    try:
        claims, id_token = client.complete(settings, provider_secret(get_session(), KEY), redirect_uri(), code, pending)
    except client.ProviderProblem as problem:
        return _problem_page(problem)
    verified = claims.get("email_verified")
    identity = VerifiedIdentity(KEY, str(claims["sub"]), client.person(claims),
                                email_verified=verified is True or str(verified).lower() == "true")
    return finish(identity, provider_data={"id_token": id_token} if settings.get("end_session") == "yes" else None)


def logout_url(data: dict) -> str | None:
    """The provider's end-session address, when the admin turned it on."""
    settings = _settings()
    if settings is None or settings.get("end_session") != "yes":
        return None
    try:
        return client.end_session_url(settings, data.get("id_token"), url_for("main.home", _external=True))
    except client.ProviderProblem:
        return None
