"""OpenID Connect with Authlib and joserfc: discovery, the authorization request with PKCE,
``state`` and ``nonce``, the code exchange, and the ID token verified against the provider's
published keys (issuer, audience, expiry, nonce). Every call to the provider has a timeout."""

from __future__ import annotations

import time

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

DEFAULT_TIMEOUT = 10
DEFAULT_SCOPES = "openid email profile"
# Token-level claims, not facts about the person: left out of the attributes.
TOKEN_CLAIMS = {"iss", "aud", "exp", "iat", "nbf", "nonce", "auth_time", "at_hash", "c_hash", "azp", "sid", "jti", "acr", "amr"}


class ProviderProblem(Exception):
    """The provider could not be reached or answered wrongly; ``kind`` says which for the page
    (``timeout``, ``unreachable``, ``refused``, ``token``)."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(detail or kind)
        self.kind = kind


def _get_json(url: str, timeout: float, **kwargs) -> dict:
    try:
        answer = requests.get(url, timeout=timeout, **kwargs)
        answer.raise_for_status()
        return answer.json()
    except requests.Timeout as exc:
        raise ProviderProblem("timeout", str(exc)) from exc
    except (requests.RequestException, ValueError) as exc:
        raise ProviderProblem("unreachable", str(exc)) from exc


def discover(issuer: str, timeout: float) -> dict:
    """The provider's metadata (``/.well-known/openid-configuration``), its issuer checked."""
    metadata = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration", timeout)
    if metadata.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
        raise ProviderProblem("unreachable", "the metadata names another issuer")
    return metadata


def authorization_request(settings: dict, secret: str | None, redirect_uri: str) -> tuple[str, dict]:
    """The provider's authorization address for a new sign-in and what to keep until the
    browser comes back (state, nonce, PKCE verifier)."""
    timeout = int(settings.get("timeout") or DEFAULT_TIMEOUT)
    metadata = discover(settings["issuer"], timeout)
    pending = {"state": generate_token(32), "nonce": generate_token(32), "verifier": generate_token(64),
               "at": int(time.time())}
    client = OAuth2Session(settings["client_id"], secret, scope=settings.get("scopes") or DEFAULT_SCOPES,
                           redirect_uri=redirect_uri, code_challenge_method="S256")
    url, _state = client.create_authorization_url(metadata["authorization_endpoint"], state=pending["state"],
                                                  nonce=pending["nonce"], code_verifier=pending["verifier"])
    return url, pending


def verify_id_token(id_token: str, *, issuer: str, client_id: str, nonce: str, jwks: dict) -> dict:
    """The ID token's claims once its signature (the provider's keys), issuer, audience,
    expiry and nonce are right; ProviderProblem("token") otherwise."""
    try:
        token = jwt.decode(id_token, KeySet.import_key_set(jwks))
        registry = jwt.JWTClaimsRegistry(leeway=60, iss={"essential": True, "value": issuer},
                                         sub={"essential": True}, exp={"essential": True},
                                         nonce={"essential": True, "value": nonce})
        registry.validate(token.claims)
    except (JoseError, ValueError, TypeError) as exc:
        raise ProviderProblem("token", f"{type(exc).__name__}: {exc}") from exc
    audience = token.claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences or (len(audiences) > 1 and token.claims.get("azp") != client_id):
        raise ProviderProblem("token", "the ID token was issued to another application")
    return token.claims


def complete(settings: dict, secret: str | None, redirect_uri: str, code: str, pending: dict) -> tuple[dict, str]:
    """Exchange the code (with the PKCE verifier), verify the ID token, and read the user info;
    returns the person's claims and the ID token (for the end-session request)."""
    timeout = int(settings.get("timeout") or DEFAULT_TIMEOUT)
    issuer = settings["issuer"]
    metadata = discover(issuer, timeout)
    client = OAuth2Session(settings["client_id"], secret, scope=settings.get("scopes") or DEFAULT_SCOPES,
                           redirect_uri=redirect_uri, code_challenge_method="S256")
    try:
        token = client.fetch_token(metadata["token_endpoint"], grant_type="authorization_code", code=code,
                                   code_verifier=pending["verifier"], timeout=timeout)
    except requests.Timeout as exc:
        raise ProviderProblem("timeout", str(exc)) from exc
    except requests.RequestException as exc:
        raise ProviderProblem("unreachable", str(exc)) from exc
    except Exception as exc:  # Authlib's OAuthError: the provider refused the code
        raise ProviderProblem("refused", f"{type(exc).__name__}: {exc}") from exc
    if "id_token" not in token:
        raise ProviderProblem("token", "no ID token in the answer")
    jwks = _get_json(metadata["jwks_uri"], timeout)
    claims = verify_id_token(token["id_token"], issuer=issuer, client_id=settings["client_id"],
                             nonce=pending["nonce"], jwks=jwks)
    if metadata.get("userinfo_endpoint"):
        info = _get_json(metadata["userinfo_endpoint"], timeout,
                         headers={"Authorization": f"Bearer {token['access_token']}"})
        if info.get("sub") != claims.get("sub"):
            raise ProviderProblem("token", "the user info is about someone else")
        claims = {**claims, **info}
    return claims, token["id_token"]


def person(claims: dict) -> dict:
    """The claims about the person (attributes for the mapping)."""
    return {name: value for name, value in claims.items() if name not in TOKEN_CLAIMS}


def end_session_url(settings: dict, id_token: str | None, post_logout_uri: str) -> str | None:
    """The provider's end-session address for this sign-in, when it publishes one."""
    timeout = min(int(settings.get("timeout") or DEFAULT_TIMEOUT), 5)
    endpoint = discover(settings["issuer"], timeout).get("end_session_endpoint")
    if not endpoint:
        return None
    from urllib.parse import urlencode

    params = {"post_logout_redirect_uri": post_logout_uri, "client_id": settings["client_id"]}
    if id_token:
        params["id_token_hint"] = id_token
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"
