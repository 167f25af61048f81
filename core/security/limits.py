"""Rate limits that hold across workers: a shared store, keys per reader, per account and per address.

* The store: ``RATELIMIT_STORAGE_URI``; left empty, a SQLite file in the instance folder that
  every worker on the machine shares (``core.security.limit_store``); ``redis://…`` when
  several servers share the load.
* Keys: a signed-in reader's writes count against the account (a campus behind one NAT
  address is many readers); anonymous requests against the client's address, which a
  trusted reverse proxy reports (``TRUSTED_PROXIES``, Werkzeug's ``ProxyFix``). Sign-in
  counts per address and, for failed attempts, per account (the email tried).
* Every POST, PUT, PATCH and DELETE has a limit: ``WRITE_RATE_LIMIT`` unless a tighter one is
  declared, by core here, by a plugin through ``engage_rate_limits``, or by the deployment
  in ``RATE_LIMITS``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, request
from flask_limiter import Limiter
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from core.security import limit_store

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]


def client_address() -> str:
    """The client's address (as reported by a trusted proxy when ``TRUSTED_PROXIES`` is set)."""
    return request.remote_addr or "unknown"


def reader_key() -> str:
    """A signed-in reader's account, else the client's address."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"addr:{client_address()}"


def address_key() -> str:
    """The client's address alone (sign-in and registration, before there is an account)."""
    return f"addr:{client_address()}"


def sign_in_account_key() -> str:
    """The account a sign-in tries (the email in the form, hashed: the store need not hold addresses)."""
    from core.accounts import normalise_email

    email = normalise_email(request.form.get("email", ""))[:254]
    return "account:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def _failed(response) -> bool:
    """A sign-in that did not sign anyone in (success redirects)."""
    return response.status_code != 302


def default_storage_uri(app: Flask) -> str:
    """The store when none is configured: a SQLite file in the instance folder, shared by every
    worker on this machine."""
    return f"{limit_store.SCHEME}://{Path(app.instance_path).resolve() / 'ratelimits.sqlite'}"


def trust_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` reverse proxies, take the client's address, scheme and host from
    their ``X-Forwarded-*`` headers (Werkzeug's ProxyFix); with none, those headers are ignored."""
    proxies = app.config.get("TRUSTED_PROXIES") or 0
    if not isinstance(proxies, int) or isinstance(proxies, bool) or proxies < 0:
        try:
            proxies = int(proxies)
        except (TypeError, ValueError):
            proxies = -1
        if proxies < 0:
            raise ValueError("TRUSTED_PROXIES must be 0 (no proxy) or the number of proxies in front of the app")
    if proxies:
        # Each trusted proxy appends one value; only that many are believed, counted from the right.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)


def init_app(app: Flask) -> Limiter:
    """Set up the limiter with its shared store (every write limited, see the module's docstring)."""
    limiter = Limiter(
        reader_key, app=app, storage_uri=app.config.get("RATELIMIT_STORAGE_URI") or default_storage_uri(app),
        default_limits=[app.config["WRITE_RATE_LIMIT"]] if app.config.get("WRITE_RATE_LIMIT") else [],
        default_limits_exempt_when=lambda: request.method in SAFE_METHODS,
        headers_enabled=app.config["RATELIMIT_HEADERS_ENABLED"],
        key_prefix=app.config.get("RATELIMIT_KEY_PREFIX") or "engage")
    app.extensions["engage.limiter"] = limiter
    return limiter


def rate_limit(app: Flask, endpoint: str, limit: str, *, key=reader_key, failed_only: bool = False) -> None:
    """Limit writes to ``endpoint`` (e.g. ``"auth.login"``) to ``limit`` (``"10 per minute"``;
    several separated by ``;``), counted per ``key`` (by default the reader's account or
    address). With ``failed_only``, only answers other than a redirect count.

    Plugins declare their limits with the ``engage_rate_limits`` hook instead.
    """
    limiter: Limiter = app.extensions["engage.limiter"]
    if endpoint not in app.view_functions:
        raise ValueError(f"rate limit for {endpoint!r}: no such endpoint")
    app.view_functions[endpoint] = limiter.limit(
        limit, key_func=key, methods=WRITE_METHODS, deduct_when=_failed if failed_only else None,
    )(app.view_functions[endpoint])


def apply_declared_limits(app: Flask, host) -> None:
    """Core's own limits, each plugin's (``engage_rate_limits``), then the deployment's ``RATE_LIMITS``
    on top; an endpoint left out keeps ``WRITE_RATE_LIMIT``."""
    config = app.config
    rate_limit(app, "auth.login", config["LOGIN_RATE_LIMIT"], key=address_key)
    rate_limit(app, "auth.login", config["LOGIN_ACCOUNT_RATE_LIMIT"], key=sign_in_account_key, failed_only=True)
    rate_limit(app, "auth.register", config["REGISTER_RATE_LIMIT"], key=address_key)
    rate_limit(app, "main.change_password", config["PASSWORD_RATE_LIMIT"])
    rate_limit(app, "badges.artwork", config["UPLOAD_RATE_LIMIT"])
    # Accounts (core.identity): reset requests per address; address changes, resends, deletions per account.
    rate_limit(app, "identity.reset_request", config["RESET_RATE_LIMIT"], key=address_key)
    rate_limit(app, "identity.reset_password", config["RESET_RATE_LIMIT"], key=address_key)
    for endpoint in ("identity.change_email", "identity.verify_needed", "identity.delete_account"):
        rate_limit(app, endpoint, config["ACCOUNT_RATE_LIMIT"])
    declared: dict[str, str] = {}
    for impl in host.pm.hook.engage_rate_limits.get_hookimpls():
        for endpoint, limit in (impl.function() or {}).items():
            if not endpoint.startswith(impl.plugin_name + ".") and not endpoint.startswith(impl.plugin_name + "_"):
                raise ValueError(f"plugin {impl.plugin_name}: engage_rate_limits names {endpoint!r}, "
                                 "which is not one of its own endpoints")
            declared[endpoint] = limit
    declared.update(config.get("RATE_LIMITS") or {})
    for endpoint, limit in declared.items():
        rate_limit(app, endpoint, limit)
