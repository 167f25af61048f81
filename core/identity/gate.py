"""Readers who have not confirmed their address, while an administrator requires it.

The least annoying correct behaviour: such a reader signs in and reads every page as usual,
with a notice at the top of each page linking to where the confirmation link is sent again;
only taking part is held back: any write outside their own account (a vote, a submission, a
like, feedback) answers by sending them to that page. Their account, language, email settings
and sign-out keep working, so they can always fix their address or leave. Staff are never held
back (an administrator created or promoted them).
"""

from __future__ import annotations

from flask import Flask, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.security.limits import SAFE_METHODS

# Writes an unconfirmed reader may still make: their own account and sign-in.
ALLOWED_BLUEPRINTS = frozenset({"auth", "identity", "mail"})
ALLOWED_ENDPOINTS = frozenset({"main.set_language", "main.profile", "main.change_password",
                               "notifications.read", "notifications.read_all"})


def waiting_for_confirmation() -> bool:
    """Whether the signed-in reader must still confirm their address (asked once per request)."""
    if "verify_waiting" not in g:
        waiting = False
        if (current_user.is_authenticated and current_user.email_verified_at is None
                and not current_user.has_role("librarian")):
            from core.db import get_session
            from core.identity.settings import verification_required

            waiting = verification_required(get_session())
        g.verify_waiting = waiting
    return g.verify_waiting


def _hold_back():
    if request.method in SAFE_METHODS or request.endpoint is None:
        return None
    if request.blueprint in ALLOWED_BLUEPRINTS or request.endpoint in ALLOWED_ENDPOINTS:
        return None
    if not waiting_for_confirmation():
        return None
    flash(_("Confirm your email address to take part: follow the link we sent you."), "info")
    target = url_for("identity.verify_needed")
    if request.headers.get("HX-Request"):
        response = redirect(target)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def init_app(app: Flask) -> None:
    """Hold back unconfirmed readers' writes, and tell every page whether to show the notice."""
    app.before_request(_hold_back)
    app.context_processor(lambda: {"verify_waiting": waiting_for_confirmation})
