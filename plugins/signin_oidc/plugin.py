"""Plugin object for `signin_oidc`: sign-in through an OpenID Connect provider."""

from __future__ import annotations

from flask import url_for

from core.db import get_session
from core.hookspecs import ProviderSetting, SignInProvider, hookimpl
from core.identity.providers import provider_settings

from .i18n import _l
from .views import KEY, bp, logout_url

NAME = "signin_oidc"
VERSION = "0.1.0"
TITLE = {"en": "Sign-in with OpenID Connect", "zh_Hans": "OpenID Connect 登录"}
DESCRIPTION = {
    "en": "Readers and staff sign in through the university's OpenID Connect provider (authorization code with PKCE).",
    "zh_Hans": "读者和馆员通过学校的 OpenID Connect 身份提供方登录（授权码模式，带 PKCE）。",
}

SETTINGS = (
    ProviderSetting("issuer", _l("Issuer address"), kind="url", required=True,
                    help=_l("Its /.well-known/openid-configuration is read from here, e.g. https://id.example.edu/realms/campus")),
    ProviderSetting("client_id", _l("Client ID"), required=True),
    ProviderSetting("client_secret", _l("Client secret"), kind="secret"),
    ProviderSetting("scopes", _l("Scopes"), default="openid email profile",
                    help=_l("Separated by spaces; openid is required.")),
    ProviderSetting("timeout", _l("Timeout in seconds"), kind="number", default="10"),
    ProviderSetting("end_session", _l("Sign out at the provider too"), default="no",
                    choices=(("no", _l("No")), ("yes", _l("Yes")))),
    ProviderSetting("button_en", _l("Button text in English"), default="Sign in with your university account"),
    ProviderSetting("button_zh", _l("Button text in Chinese"), default="使用学校账号登录"),
)
DEFAULT_MAPPING = {"display_name": "name", "email": "email", "member_number": "", "faculty": "",
                   "role_rules": "", "allow": ""}


@hookimpl
def engage_blueprints():
    return bp


@hookimpl
def engage_sign_in_providers():
    settings = provider_settings(get_session(), KEY)
    label = {"en": settings.get("button_en") or "Sign in with your university account",
             "zh_Hans": settings.get("button_zh") or "使用学校账号登录"}
    return SignInProvider(KEY, label, url_for("signin_oidc.start"), order=20, settings=SETTINGS,
                          configured=bool(settings.get("issuer") and settings.get("client_id")),
                          default_mapping=DEFAULT_MAPPING, logout_url=logout_url)
