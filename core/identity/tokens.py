"""Signed links sent by email: a password reset (single-use, short-lived) and an address check.

Both are itsdangerous timed tokens signed with ``SECRET_KEY`` under a salt of their own, so one
kind can never stand in for the other (or for an unsubscribe token). A reset token carries a
fingerprint of the password hash it was made for: once the password changes (by this link or
any other way) every earlier link stops working, which makes each link single-use without a
table of used tokens. An address token names the address it proves; it works while that address
is still the account's unverified or pending one, so it too works once.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

RESET_SALT = "engage-password-reset"
VERIFY_SALT = "engage-verify-email"


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def password_fingerprint(password_hash: str) -> str:
    """A short digest of a password hash: a token bound to it dies when the password changes."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:20]


def reset_token(user) -> str:
    """A reset link's token for ``user``, valid until the password changes or it expires."""
    return _serializer(RESET_SALT).dumps({"u": user.id, "f": password_fingerprint(user.password_hash)})


def read_reset_token(token: str) -> tuple[int, str] | None:
    """``(user_id, fingerprint)`` of a reset token this site signed within ``RESET_TOKEN_SECONDS``, else None."""
    data = _loads(RESET_SALT, token, current_app.config["RESET_TOKEN_SECONDS"])
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("f"), str):
        return None
    return data["u"], data["f"]


def verify_token(user_id: int, address: str) -> str:
    """A token proving that whoever holds it reads ``address`` (sent to that address only)."""
    return _serializer(VERIFY_SALT).dumps({"u": user_id, "e": address})


def read_verify_token(token: str) -> tuple[int, str] | None:
    """``(user_id, address)`` of an address token signed within ``VERIFY_TOKEN_SECONDS``, else None."""
    data = _loads(VERIFY_SALT, token, current_app.config["VERIFY_TOKEN_SECONDS"])
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("e"), str):
        return None
    return data["u"], data["e"]


def _loads(salt: str, token: str, max_age: int):
    if not isinstance(token, str) or len(token) > 1000:
        return None
    try:
        return _serializer(salt).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
