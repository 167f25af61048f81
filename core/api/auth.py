"""Who is calling: the API key of the request, its scopes, its rate limit and its audit name.

Every API request must carry ``Authorization: Bearer <token>``. The limiter counts per key (its
public prefix, which the token carries) with each key's own limit; views ask for a scope with
``@needs("readers:read")``.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, request
from flask_babel import gettext as _

from core.api.keys import find_key, prefix_of, touch
from core.api.models import ApiKey
from core.api.problems import Problem
from core.db import get_db, get_session
from core.models import AuditEntry
from core.security.limits import SAFE_METHODS, client_address


def _token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def limit_key() -> str:
    """The rate-limit bucket: the key's prefix, else the client's address (calls without a key)."""
    prefix = prefix_of(_token() or "")
    return f"apikey:{prefix}" if prefix else f"addr:{client_address()}"


def limit_value() -> str:
    """The calling key's own rate limit. Calls without a valid key count per address: writes as any
    anonymous write (``WRITE_RATE_LIMIT``, which also slows guessing tokens), reads at ``API_RATE_LIMIT``."""
    key = _lookup()
    if key is not None:
        return key.rate_limit
    config = current_app.config
    if request.method not in SAFE_METHODS and config.get("WRITE_RATE_LIMIT"):
        return config["WRITE_RATE_LIMIT"]
    return config["API_RATE_LIMIT"]


def _lookup() -> ApiKey | None:
    """The request's key, read in a short session of its own: the request's session of a write
    would take SQLite's write lock here, before the view has even read its body, and hold it
    while the view checks the body (a batch of a thousand events), so writers would queue for it."""
    if "api_key" not in g:
        token = _token()
        key = None
        if token:
            with get_db().session() as session:
                key = find_key(session, token)
        g.api_key = key
    return g.api_key


def authenticate() -> ApiKey:
    """The request's active key (raises a 401 Problem without one), with its last use noted."""
    key = _lookup()
    if key is None:
        raise Problem(401, _("An API key is needed"),
                      _("Send a valid, unrevoked key as \"Authorization: Bearer <key>\"."))
    if key.revoked_at is not None:
        raise Problem(401, _("This API key has been revoked"), _("Ask an administrator for a new key."))
    touch(get_session(), key, writing=request.method not in SAFE_METHODS)
    return key


def current_key() -> ApiKey:
    """The key the current request authenticated with."""
    return g.api_key


def needs(scope: str):
    """Only a key holding ``scope`` reaches the view; others get a 403 problem naming it."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            key = authenticate()
            if scope not in key.scope_set:
                raise Problem(403, _("This key lacks a scope"),
                              _("This needs the scope \"%(scope)s\", which this key does not have.", scope=scope),
                              scope=scope)
            return view(*args, **kwargs)
        wrapped.required_scope = scope
        # The OpenAPI document shows the key and scope each operation needs.
        wrapped._apidoc = dict(getattr(wrapped, "_apidoc", {}))
        manual = dict(wrapped._apidoc.get("manual_doc", {}))
        manual.update({"security": [{"apiKey": []}], "x-scope": scope})
        wrapped._apidoc["manual_doc"] = manual
        return wrapped
    return decorator


def audit(action: str, target: str, detail: str, reason: str | None = None) -> None:
    """Record a write made through the current key, with the key's name (in the caller's transaction)."""
    key = current_key()
    get_session().add(AuditEntry(actor_id=key.created_by, action=action, target=target,
                                 detail=f"[{_key_label(key)}] {detail}"[:1000], reason=reason))


def _key_label(key: ApiKey) -> str:
    return f"API key {key.name} ({key.prefix})"
