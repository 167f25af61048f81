"""Email in an account's life: proving an address, resetting a forgotten password, changing the
address, and the notices that tell the owner when the password or address changed.

Service functions take the session explicitly and never commit; every message is queued in the
caller's transaction through core.mail's outbox (a request never talks to the mail server), in
the reader's language, with a text and an HTML part.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlmodel import Session

from core import accounts
from core.accounts import AccountError, check_password, end_sessions, hash_password, normalise_email
from core.identity import tokens
from core.mail.compose import absolute, letter, locale_of
from core.mail.models import MailOutbox
from core.mail.outbox import queue_letter
from core.models import AuditEntry, User, utcnow

log = logging.getLogger(__name__)
RESET, VERIFY, PASSWORD_CHANGED, EMAIL_CHANGE, EMAIL_CHANGED = (
    "core:password-reset", "core:verify-email", "core:password-changed", "core:email-change", "core:email-changed")
RESET_EMAIL_GAP = timedelta(minutes=5)  # at most one reset email per account in this time


def _render(user: User, *, template: str, subject, to: str | None = None, **context):
    with force_locale(locale_of(user)):
        message = letter(user, template=template, subject=str(subject() if callable(subject) else subject),
                         kind=None, **context)
    return dataclasses.replace(message, to=to) if to is not None else message


def _queue(session: Session, user: User, *, kind: str, template: str, subject, to: str | None = None, **context) -> None:
    message = _render(user, template=template, subject=subject, to=to, **context)
    queue_letter(session, user_id=user.id, message="notice", kind=kind, letter=message)


def _sent_lately(session: Session, user_id: int, kind: str, gap: timedelta) -> bool:
    table = MailOutbox.__table__.c
    return bool(session.execute(select(func.count()).select_from(MailOutbox).where(
        table.user_id == user_id, table.kind == kind, table.created_at > utcnow() - gap)).scalar_one())


# --- verification -----------------------------------------------------------------------

def send_verification(session: Session, *, user: User) -> None:
    """Send ``user`` a link that proves their present address (at sign-up, or asked again)."""
    link = absolute("identity.verify_address", token=tokens.verify_token(user.id, user.email))
    _queue(session, user, kind=VERIFY, template="verify_email", subject=lambda: _("Confirm your email address"),
           link=link, address=user.email, change=False)


def verify_address(session: Session, *, token: str) -> User:
    """Accept an address link: the account's address is verified, or its pending new address
    becomes its address (the old one is told). Refuses an expired, forged or used link."""
    found = tokens.read_verify_token(token)
    user = session.get(User, found[0]) if found else None
    if user is None or not user.is_active or user.anonymised_at is not None:
        raise AccountError(_("This confirmation link is not valid or has expired."), "token")
    address = found[1]
    if user.pending_email and user.pending_email == address:
        taken = session.execute(select(User.id).where(func.lower(User.email) == address, User.id != user.id)).first()
        if taken:
            user.pending_email = None
            session.add(user)
            raise AccountError(_("This address now belongs to another account, so it cannot be yours."), "token")
        old = user.email
        user.email, user.pending_email, user.email_verified_at = address, None, utcnow()
        session.add(user)
        session.add(AuditEntry(actor_id=user.id, action="account.email_change", target=f"user:{user.id}",
                               detail="address changed after confirming the new one"))
        session.flush()
        _queue(session, user, kind=EMAIL_CHANGED, template="email_changed", to=old,
               subject=lambda: _("Your email address was changed"), old=old, new=address,
               reset_url=absolute("identity.reset_request"))
        return user
    if user.email == address and user.email_verified_at is None:
        user.email_verified_at = utcnow()
        session.add(user)
        return user
    raise AccountError(_("This confirmation link is not valid or has expired."), "token")


# --- password reset ---------------------------------------------------------------------

def request_reset(session: Session, *, email: str) -> bool:
    """Send a reset link to ``email`` if an active account has it; True if one was queued.

    The caller answers alike either way, so the form never tells whether an address has an
    account; at most one link an account per ``RESET_EMAIL_GAP``, so nobody can flood an inbox.
    """
    address = normalise_email(email)[:254]
    user = session.execute(select(User).where(User.email == address)).scalar_one_or_none()
    eligible = user is not None and user.is_active and user.anonymised_at is None
    # An unknown address goes through the same steps with a stand-in (the message is rendered and
    # dropped), so the answer takes about as long either way: its time tells no more than its words.
    holder = user if eligible else User(id=0, email=address, display_name="", password_hash=address)
    recent = _sent_lately(session, holder.id, RESET, RESET_EMAIL_GAP)
    message = _reset_letter(holder, by_staff=False)
    if not eligible or recent:
        return False
    queue_letter(session, user_id=user.id, message="notice", kind=RESET, letter=message)
    return True


def _reset_letter(user: User, *, by_staff: bool):
    minutes = max(1, int(_config("RESET_TOKEN_SECONDS")) // 60)
    return _render(user, template="password_reset", subject=lambda: _("Reset your password"),
                   link=absolute("identity.reset_password", token=tokens.reset_token(user)), minutes=minutes,
                   by_staff=by_staff)


def send_reset(session: Session, *, user: User, actor_id: int | None = None) -> None:
    """Queue a reset link for ``user`` (an administrator's request is audited)."""
    queue_letter(session, user_id=user.id, message="notice", kind=RESET,
                 letter=_reset_letter(user, by_staff=actor_id is not None))
    if actor_id is not None:
        session.add(AuditEntry(actor_id=actor_id, action="password.reset_sent", target=f"user:{user.id}",
                               detail="password reset email sent by staff"))


def user_for_reset(session: Session, *, token: str) -> User | None:
    """The account a reset link is for, while the link is still good (signed, fresh, unused)."""
    found = tokens.read_reset_token(token)
    user = session.get(User, found[0]) if found else None
    if user is None or not user.is_active or user.anonymised_at is not None:
        return None
    if tokens.password_fingerprint(user.password_hash) != found[1]:
        return None  # the password changed since: the link was used, or superseded
    return user


def reset_password(session: Session, *, token: str, new: str) -> User:
    """Set a new password through a reset link: every session of the account ends, the link and
    every earlier one stop working, the address counts as verified (the link reached it), and
    the owner gets a notice."""
    user = user_for_reset(session, token=token)
    if user is None:
        raise AccountError(_("This reset link is not valid any more: it has expired or was already used. "
                             "Ask for a new one."), "token")
    check_password(new, email=user.email, display_name=user.display_name)
    user.password_hash = hash_password(new)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    session.add(user)
    session.add(AuditEntry(actor_id=user.id, action="password.reset", target=f"user:{user.id}",
                           detail="password reset through an emailed link"))
    session.flush()
    end_sessions(session, user_id=user.id)
    password_changed_notice(session, user=user)
    return user


def password_changed_notice(session: Session, *, user: User) -> None:
    """Tell the owner their password changed ("if it was not you, reset it now")."""
    _queue(session, user, kind=PASSWORD_CHANGED, template="password_changed",
           subject=lambda: _("Your password was changed"), reset_url=absolute("identity.reset_request"))


# --- changing the address ---------------------------------------------------------------

def request_email_change(session: Session, *, user: User, current: str, new_email: str) -> None:
    """Ask to move the account to ``new_email``: after the current password, the new address gets
    a link and counts only once it is followed; the present address is told at once.

    An address another account holds gets the same answer and no link (the form does not tell
    who has an account), so the change simply never completes.
    """
    try:
        accounts._hasher.verify(user.password_hash, current or "")
    except Exception:  # noqa: BLE001 - any failure to verify is a wrong password
        raise AccountError(_("Your current password is not right."), "current") from None
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise AccountError(_("This is already your address."), "email")
    taken = session.execute(select(User.id).where(func.lower(User.email) == new_email)).first()
    user.pending_email = new_email
    session.add(user)
    session.flush()
    if taken:
        log.info("account %s asked to move to an address another account holds", user.id)
    else:
        link = absolute("identity.verify_address", token=tokens.verify_token(user.id, new_email))
        _queue(session, user, kind=VERIFY, template="verify_email", to=new_email,
               subject=lambda: _("Confirm your new email address"), link=link, address=new_email, change=True)
    _queue(session, user, kind=EMAIL_CHANGE, template="email_change_requested",
           subject=lambda: _("A new email address was given for your account"), new=new_email,
           reset_url=absolute("identity.reset_request"))


def cancel_email_change(session: Session, *, user: User) -> None:
    """Forget a pending new address (its link stops working)."""
    user.pending_email = None
    session.add(user)


def _config(key: str):
    from flask import current_app

    return current_app.config[key]
