"""Providers' secrets at rest: a client secret or a bind password, encrypted with a key derived
from the site's SECRET_KEY (Fernet: AES with an HMAC). A deployment that keeps secrets out of
the database sets ``SIGNIN_SECRETS = {"oidc": "…"}`` in its configuration, which wins."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

_INFO = b"library-engage sign-in provider secrets"


def _fernet() -> Fernet:
    secret_key = current_app.config["SECRET_KEY"]
    secret_key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(plain: str) -> str:
    """``plain`` encrypted for the database."""
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str | None) -> str | None:
    """The plain secret, or None when there is none or SECRET_KEY changed since it was stored
    (the admin then enters it again)."""
    if not token:
        return None
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def configured_secret(key: str) -> str | None:
    """The secret the configuration gives provider ``key``, if any."""
    return (current_app.config.get("SIGNIN_SECRETS") or {}).get(key) or None
