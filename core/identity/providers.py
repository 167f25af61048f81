"""The sign-in providers on offer: the plugins' (``engage_sign_in_providers``) and local
passwords, which core keeps as one provider an administrator can switch off; and each
provider's settings as the administrator left them."""

from __future__ import annotations

import json

from flask_babel import gettext as _
from sqlmodel import Session

from core.hookspecs import SignInProvider
from core.models import AuditEntry, utcnow
from core.identity.providers_models import SignInSetting
from core.identity import providers_secrets

PASSWORD = "password"
# Where the sign-in page keeps which provider signed this browser in (for single logout).
SESSION_PROVIDER = "_engage_signin_provider"
SESSION_PROVIDER_DATA = "_engage_signin_data"


class ProviderError(ValueError):
    """A refused change to the sign-in settings, said in the reader's language."""


def sign_in_providers(*, configured_only: bool = True) -> list[SignInProvider]:
    """The providers of the plugins switched on, in their order; by default only those set up."""
    from core.plugins import current_hooks

    found, keys = [], set()
    for result in current_hooks().engage_sign_in_providers():
        for provider in result if isinstance(result, (list, tuple)) else [result]:
            if provider is None:
                continue
            if not isinstance(provider, SignInProvider):
                raise TypeError(f"expected SignInProvider, a plugin returned {provider!r}")
            if provider.key == PASSWORD or provider.key in keys:
                raise ValueError(f"two sign-in providers use the key {provider.key!r}")
            keys.add(provider.key)
            if provider.configured or not configured_only:
                found.append(provider)
    return sorted(found, key=lambda p: (p.order, p.key))


def find_provider(key: str, *, configured_only: bool = False) -> SignInProvider | None:
    """The provider with this key among the plugins switched on, or None."""
    return next((p for p in sign_in_providers(configured_only=configured_only) if p.key == key), None)


def setting(session: Session, key: str) -> SignInSetting:
    """Provider ``key``'s stored settings (a blank one, not added, when there are none yet)."""
    return session.get(SignInSetting, key) or SignInSetting(key=key)


def provider_settings(session: Session, key: str) -> dict:
    """Provider ``key``'s settings as a dict (the secret is not among them: ``provider_secret``)."""
    try:
        values = json.loads(setting(session, key).settings or "{}")
    except ValueError:
        values = {}
    return values if isinstance(values, dict) else {}


def provider_secret(session: Session, key: str) -> str | None:
    """Provider ``key``'s secret: the configuration's (``SIGNIN_SECRETS``), else the stored one."""
    return providers_secrets.configured_secret(key) or providers_secrets.decrypt(setting(session, key).secret)


def save_provider_settings(session: Session, *, key: str, values: dict, secret: str | None,
                           actor_id: int | None) -> None:
    """Store provider ``key``'s settings; a new ``secret`` replaces the stored one (None keeps it). Audited."""
    row = setting(session, key)
    row.settings = json.dumps(values, ensure_ascii=False, sort_keys=True)
    if secret:
        row.secret = providers_secrets.encrypt(secret)
    row.updated_at = utcnow()
    session.add(row)
    session.add(AuditEntry(actor_id=actor_id, action="signin.settings", target=f"signin:{key}",
                           detail=", ".join(sorted(values)) + (" + secret" if secret else "")))
    session.flush()


def password_sign_in_on(session: Session) -> bool:
    """Whether readers may sign in (and register) with a local password."""
    row = session.get(SignInSetting, PASSWORD)
    return True if row is None else row.enabled


def set_password_sign_in(session: Session, *, enabled: bool, actor_id: int | None, check: bool = True) -> bool:
    """Switch local passwords on or off; returns False when they already were. Audited.

    Switching them off is refused while no other provider is set up and on (``check``), so an
    administrator cannot lock everyone out by mistake (``engage signin passwords on`` mends it).
    """
    row = setting(session, PASSWORD)
    if session.get(SignInSetting, PASSWORD) is not None and row.enabled == enabled:
        return False
    if session.get(SignInSetting, PASSWORD) is None and enabled:
        return False
    if not enabled and check and not sign_in_providers():
        raise ProviderError(_("Set up and switch on another way to sign in before you switch off passwords."))
    row.enabled, row.updated_at = enabled, utcnow()
    session.add(row)
    session.add(AuditEntry(actor_id=actor_id, action="signin.passwords_on" if enabled else "signin.passwords_off",
                           target=f"signin:{PASSWORD}"))
    session.flush()
    return True


class SignInRefused(Exception):
    """A sign-in that must not go on: ``message`` is said to the person (in their language) and
    nothing is written. ``status`` is the page's HTTP status."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.message, self.status = message, status
