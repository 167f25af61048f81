"""Plugin object for `signin_ldap`: sign-in with the campus directory's user name and password."""

from __future__ import annotations

from flask import url_for

from core.db import get_session
from core.hookspecs import ProviderSetting, SignInProvider, hookimpl
from core.identity.providers import provider_settings

from .i18n import _l
from .views import KEY, bp

NAME = "signin_ldap"
VERSION = "0.1.0"
TITLE = {"en": "Sign-in with the campus directory (LDAP)", "zh_Hans": "校园目录（LDAP）登录"}
DESCRIPTION = {
    "en": "Readers and staff sign in with their directory user name and password, checked by an LDAP bind.",
    "zh_Hans": "读者和馆员用目录账号和密码登录，由 LDAP 绑定验证。",
}

SETTINGS = (
    ProviderSetting("server_url", _l("Directory address"), required=True,
                    help=_l("ldap://ldap.example.edu or ldaps://ldap.example.edu:636")),
    ProviderSetting("bind_dn_template", _l("DN of a person (template)"),
                    help=_l("e.g. uid={username},ou=people,dc=example,dc=edu; leave empty to search for the person instead")),
    ProviderSetting("base_dn", _l("Where to search for people (base DN)"), help=_l("e.g. ou=people,dc=example,dc=edu")),
    ProviderSetting("user_filter", _l("Search filter"), default="(uid={username})"),
    ProviderSetting("search_dn", _l("Search account DN"), help=_l("Leave empty to search anonymously.")),
    ProviderSetting("search_password", _l("Search account password"), kind="secret"),
    ProviderSetting("subject_attribute", _l("Attribute that identifies a person for good"), default="uid"),
    ProviderSetting("starttls", _l("Use STARTTLS"), default="no", choices=(("no", _l("No")), ("yes", _l("Yes")))),
    ProviderSetting("timeout", _l("Timeout in seconds"), kind="number", default="10"),
    ProviderSetting("button_en", _l("Button text in English"), default="Sign in with your directory account"),
    ProviderSetting("button_zh", _l("Button text in Chinese"), default="使用目录账号登录"),
)
DEFAULT_MAPPING = {"display_name": "displayName", "email": "mail", "member_number": "employeeNumber",
                   "faculty": "departmentNumber", "role_rules": "", "allow": ""}


@hookimpl
def engage_blueprints():
    return bp


@hookimpl
def engage_rate_limits():
    # Each try is a password guess against the directory.
    return {"signin_ldap.start": "10 per minute"}


@hookimpl
def engage_sign_in_providers():
    settings = provider_settings(get_session(), KEY)
    label = {"en": settings.get("button_en") or "Sign in with your directory account",
             "zh_Hans": settings.get("button_zh") or "使用目录账号登录"}
    configured = bool(settings.get("server_url") and (settings.get("bind_dn_template") or settings.get("base_dn")))
    return SignInProvider(KEY, label, url_for("signin_ldap.start"), order=30, settings=SETTINGS,
                          configured=configured, default_mapping=DEFAULT_MAPPING)
