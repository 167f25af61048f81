"""The end of every outside sign-in: a provider's verified identity becomes a signed-in account.

``finish`` maps the attributes, finds the account linked to this identity or links an existing
one by a verified email or by student or staff number (never by a name), creates one just in time
otherwise, updates the mapped fields, and starts the session the way the password form does.
Anything refused is said on a clear page and nothing is written. While an administrator tests a
provider (``start_test``) the same path shows what was received instead of signing in.
"""

from __future__ import annotations

import logging
import secrets

from flask import Response, current_app, session as browser, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlmodel import Session

from core.accounts import create_user, end_sessions, normalise_email
from core.db import get_session
from core.i18n import N_
from core.hookspecs import VerifiedIdentity
from core.models import AuditEntry, Role, User, utcnow
from core.identity.providers import SESSION_PROVIDER, SESSION_PROVIDER_DATA, SignInRefused, find_provider
from core.identity.providers_mapping import MappedProfile, map_attributes, mapping_for, normalise_attributes
from core.identity.providers_models import IdentityLink
from core.security.redirects import safe_redirect
from core.security.sessions import start_session
from core.ui import render

log = logging.getLogger(__name__)
TEST_KEY = "_engage_signin_test"
NEXT_KEY = "_engage_signin_next"


def account_for(session: Session, identity: VerifiedIdentity, profile: MappedProfile) -> User:
    """The account this identity signs in to, linked, created or updated in ``session`` (not
    committed); SignInRefused when it cannot be told safely which account it is."""
    subject = (identity.subject or "").strip()
    if not subject or len(subject) > 255:
        raise SignInRefused(_("The campus server did not say who you are. Try again, or ask the library."), 400)
    link = session.execute(select(IdentityLink).where(IdentityLink.provider == identity.provider,
                                                      IdentityLink.subject == subject)).scalar_one_or_none()
    if link is not None:
        user = session.get(User, link.user_id)
    else:
        user = _existing_account(session, identity, profile)
        if user is None:
            user = _new_account(session, identity, profile)
        elif session.execute(select(IdentityLink.id).where(IdentityLink.user_id == user.id,
                                                           IdentityLink.provider == identity.provider)).first():
            raise SignInRefused(_("The account with your email or number is already linked to another "
                                  "campus identity. Ask the library to sort it out."), 409)
        else:
            session.add(AuditEntry(actor_id=None, action="signin.link", target=f"user:{user.id}",
                                   detail=f"{identity.provider}: {subject}"))
            _take_over_unconfirmed(session, user, identity, profile)
        link = IdentityLink(user_id=user.id, provider=identity.provider, subject=subject)
    if not user.is_active:
        raise SignInRefused(_("This account has been deactivated. Ask the library if you think this is a mistake."))
    _update_fields(session, user, profile, email_verified=identity.email_verified)
    link.last_sign_in_at = utcnow()
    session.add(link)
    session.flush()
    return user


def _existing_account(session: Session, identity: VerifiedIdentity, profile: MappedProfile) -> User | None:
    """A local account with the same verified email or the same number; refused when the two
    name different accounts."""
    by_email = by_number = None
    if profile.email and identity.email_verified:
        by_email = session.execute(select(User).where(func.lower(User.email) == profile.email)).scalar_one_or_none()
    if profile.member_number:
        by_number = session.execute(select(User).where(User.member_number == profile.member_number)).scalar_one_or_none()
    if by_email is not None and by_number is not None and by_email.id != by_number.id:
        raise SignInRefused(_("Your email and your student or staff number belong to two different accounts "
                              "here. Ask the library to sort it out."), 409)
    return by_email or by_number


def _take_over_unconfirmed(session: Session, user: User, identity: VerifiedIdentity, profile: MappedProfile) -> None:
    """Linking an account whose address nobody ever confirmed here: whoever chose its password
    may not be the person the campus vouches for (someone can sign up with another's address
    first). That password and every session of the account end; the campus sign-in, or a reset
    sent to the address, is the way in from now on. The campus's verified address confirms it."""
    if user.email_verified_at is not None:
        return
    user.password_hash = "!" + secrets.token_hex(16)
    if identity.email_verified and profile.email and normalise_email(user.email) == profile.email:
        user.email_verified_at = utcnow()
    session.add(user)
    session.flush()
    end_sessions(session, user_id=user.id)


def _new_account(session: Session, identity: VerifiedIdentity, profile: MappedProfile) -> User:
    if not profile.email:
        raise SignInRefused(_("Your campus account did not send an email address, which a new account here "
                              "needs. Ask the library."), 400)
    if not profile.display_name:
        raise SignInRefused(_("Your campus account did not send your name, which a new account here needs. "
                              "Ask the library."), 400)
    if session.execute(select(User.id).where(func.lower(User.email) == profile.email)).first():
        # The address is here but was not verified by the provider: never take the account over.
        raise SignInRefused(_("An account with your email address already exists, and the campus server did not "
                              "confirm that the address is yours. Ask the library to link them."), 409)
    # No password: the account signs in through its provider (an unusable hash never verifies).
    user = create_user(session, email=profile.email, password="", display_name=profile.display_name,
                       role=Role(profile.role or Role.student.value), member_number=profile.member_number,
                       cohort=profile.cohort, password_hash="!" + secrets.token_hex(16))
    if identity.email_verified:
        user.email_verified_at = utcnow()  # the campus vouches for it: nothing to confirm here
    session.add(AuditEntry(actor_id=None, action="signin.create", target=f"user:{user.id}",
                           detail=f"{identity.provider}: {identity.subject}"))
    return user


def _update_fields(session: Session, user: User, profile: MappedProfile, *, email_verified: bool) -> None:
    """Later sign-ins bring the mapped fields up to date; a value another account holds is refused.
    A new address counts as confirmed only when the provider vouches for it."""
    if profile.display_name and user.display_name != profile.display_name:
        user.display_name = profile.display_name
    if profile.email and normalise_email(user.email) != profile.email:
        if session.execute(select(User.id).where(func.lower(User.email) == profile.email, User.id != user.id)).first():
            raise SignInRefused(_("Your campus email address belongs to another account here. "
                                  "Ask the library to sort it out."), 409)
        user.email = profile.email
        user.email_verified_at = utcnow() if email_verified else None
    if profile.member_number and user.member_number != profile.member_number:
        if session.execute(select(User.id).where(User.member_number == profile.member_number,
                                                 User.id != user.id)).first():
            raise SignInRefused(_("Your student or staff number belongs to another account here. "
                                  "Ask the library to sort it out."), 409)
        user.member_number = profile.member_number
    if profile.cohort and user.cohort != profile.cohort:
        user.cohort = profile.cohort
    if profile.role and user.role != profile.role:
        session.add(AuditEntry(actor_id=None, action="role.change", target=f"user:{user.id}",
                               detail=f"{user.role} → {profile.role}", reason=N_("set by a sign-in role rule")))
        user.role = profile.role
        session.add(user)
        session.flush()
        end_sessions(session, user_id=user.id)
    session.add(user)


def remember_next(next_url: str | None) -> None:
    """Keep where to go after the provider sends the browser back."""
    if next_url:
        browser[NEXT_KEY] = next_url


def start_test(key: str) -> None:
    """The next sign-in through provider ``key`` in this browser reports what it received instead
    of signing in (the administrator's "test this provider")."""
    browser[TEST_KEY] = key


def refused(message: str, status: int = 403) -> Response:
    """The clear page for a refused sign-in."""
    return render("auth/signin_refused.html", message=message, status=status)


def finish(identity: VerifiedIdentity, *, provider_data: dict | None = None) -> Response:
    """Sign the browser in as ``identity`` (or report it, while testing the provider).

    ``provider_data`` is kept in the session for the provider's single logout (an ID token, a
    ticket). Called by a provider plugin's callback with what its server verified.
    """
    db = get_session()
    provider = find_provider(identity.provider)
    identity = VerifiedIdentity(identity.provider, (identity.subject or "").strip(),
                                normalise_attributes(identity.attributes), identity.email_verified)
    mapping = mapping_for(db, identity.provider, provider.default_mapping if provider else None)
    if browser.get(TEST_KEY) == identity.provider and current_user.is_authenticated and current_user.has_role(Role.admin):
        browser.pop(TEST_KEY, None)
        return _report(db, identity, mapping)
    try:
        profile = map_attributes(db, mapping, identity.attributes)
        user = account_for(db, identity, profile)
        db.commit()
    except SignInRefused as refusal:
        db.rollback()
        log.info("sign-in through %s refused for %r: %s", identity.provider, identity.subject, refusal.message)
        return refused(refusal.message, refusal.status)
    db.refresh(user)
    next_url = browser.pop(NEXT_KEY, None)
    start_session(user)
    browser[SESSION_PROVIDER] = identity.provider
    if provider_data:
        browser[SESSION_PROVIDER_DATA] = provider_data
    return safe_redirect(next_url)


def _report(db: Session, identity: VerifiedIdentity, mapping: dict) -> Response:
    """What a test sign-in received and what it would do; nothing is written."""
    try:
        profile, problem = map_attributes(db, mapping, identity.attributes), None
    except SignInRefused as refusal:
        profile, problem = None, refusal.message
    return render("auth/signin_test_report.html", identity=identity, profile=profile, problem=problem,
                  back=url_for("signin_admin.provider", key=identity.provider))


def logout_redirect() -> str | None:
    """Where to send a browser that just signed out so the provider ends its session too (read
    before the session is emptied), or None."""
    key = browser.get(SESSION_PROVIDER)
    if not key:
        return None
    provider = find_provider(key, configured_only=True)
    if provider is None or provider.logout_url is None:
        return None
    try:
        return provider.logout_url(browser.get(SESSION_PROVIDER_DATA) or {})
    except Exception:  # a provider's hiccup must not stop a sign-out here
        current_app.logger.exception("single logout address of %s", key)
        return None
