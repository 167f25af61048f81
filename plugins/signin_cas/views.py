"""CAS sign-in: send the browser to the CAS server, validate the service ticket it comes back with
(the server's answer carries the user and released attributes), and end sessions when the server
sends a single-logout request."""

from __future__ import annotations

import hashlib
import logging
from xml.etree.ElementTree import ParseError

import requests
from flask import Blueprint, abort, redirect, request, url_for
from sqlalchemy import delete, select

from core.accounts import end_sessions
from core.db import get_session
from core.hookspecs import VerifiedIdentity
from core.identity.providers import provider_settings
from core.identity.providers_signin import finish, refused, remember_next

from .client import client_for, tickets_to_end
from .i18n import _
from .models import CasSession

KEY = "cas"
bp = Blueprint("signin_cas", __name__, url_prefix="/signin/cas")
log = logging.getLogger(__name__)


def service_url() -> str:
    """This site's CAS service address (the same at login and at validation, as CAS requires)."""
    return url_for("signin_cas.callback", _external=True)


def _settings() -> dict | None:
    settings = provider_settings(get_session(), KEY)
    return settings if settings.get("server_url") else None


def ticket_hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


@bp.route("/start")
def start():
    """Off to the CAS server's login page."""
    settings = _settings()
    if settings is None:
        abort(404)
    remember_next(request.args.get("next"))
    return redirect(client_for(settings, service_url()).get_login_url())


@bp.route("/callback", methods=["GET", "POST"])
def callback():
    """The CAS server sends the browser back with a ticket (GET), or asks to end a session (POST)."""
    settings = _settings()
    if settings is None:
        abort(404)
    if request.method == "POST":
        return _single_logout()
    ticket = (request.args.get("ticket") or "").strip()
    if not ticket or len(ticket) > 256:
        return refused(_("The campus sign-in server did not send a ticket. Start again from the sign-in page."), 400)
    try:
        user, attributes, _pgtiou = client_for(settings, service_url()).verify_ticket(ticket)
    except requests.Timeout:
        return refused(_("The campus sign-in server did not answer in time. Try again in a few minutes."), 504)
    except (requests.RequestException, ParseError, IndexError, AttributeError, ValueError):
        log.warning("CAS validation of a ticket failed", exc_info=True)
        return refused(_("The campus sign-in server could not be reached or gave an answer that could not be "
                         "read. Try again in a few minutes."), 502)
    if not user:
        # A forged ticket, or one used before: CAS tickets are good for one validation only.
        return refused(_("The campus sign-in server did not accept this sign-in (the ticket is unknown, used or "
                         "expired). Start again from the sign-in page."), 400)
    response = finish(VerifiedIdentity(KEY, user, attributes or {}))
    if response.status_code in (301, 302, 303):  # signed in: remember the ticket for single logout
        from flask_login import current_user

        if current_user.is_authenticated:
            db = get_session()
            db.merge(CasSession(ticket_hash=ticket_hash(ticket), user_id=current_user.id))
            db.commit()
    return response


def _single_logout():
    """End the sessions of the account a ticket signed in (the server names only the ticket)."""
    tickets = tickets_to_end(request.form.get("logoutRequest", ""))
    if not tickets:
        return "", 400
    db = get_session()
    hashes = [ticket_hash(t) for t in tickets]
    for user_id in db.execute(select(CasSession.user_id).where(CasSession.ticket_hash.in_(hashes))).scalars().all():
        end_sessions(db, user_id=user_id)
    db.execute(delete(CasSession).where(CasSession.ticket_hash.in_(hashes)))
    db.commit()
    return "", 200


def logout_url(_data: dict) -> str | None:
    """The CAS server's logout address, coming back to this site's home page."""
    settings = _settings()
    if settings is None:
        return None
    return client_for(settings, service_url()).get_logout_url(url_for("main.home", _external=True))
