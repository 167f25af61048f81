"""Plugin object for `signin_cas`: sign-in through the campus CAS server (统一身份认证)."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import delete

from core.db import get_session
from core.hookspecs import ProviderSetting, SignInProvider, hookimpl
from core.identity.providers import provider_settings

from . import models  # (the table must exist before create_all)
from .i18n import _l
from .views import KEY, bp, logout_url

NAME = "signin_cas"
VERSION = "0.1.0"
TITLE = {"en": "Sign-in with CAS", "zh_Hans": "CAS 统一身份认证登录"}
DESCRIPTION = {
    "en": "Readers and staff sign in with their campus account through the university's CAS server (CAS 2.0 or 3.0).",
    "zh_Hans": "读者和馆员通过学校的 CAS 服务器（CAS 2.0 或 3.0）用校园账号登录。",
}

SETTINGS = (
    ProviderSetting("server_url", _l("CAS server address"), kind="url", required=True,
                    help=_l("The address the server's /login, /p3/serviceValidate and /logout live under, "
                            "e.g. https://cas.example.edu/cas/")),
    ProviderSetting("version", _l("CAS protocol version"), default="3", choices=(("3", "CAS 3.0"), ("2", "CAS 2.0")),
                    help=_l("3 releases attributes and supports single logout; 2 sends only the user name.")),
    ProviderSetting("timeout", _l("Timeout in seconds"), kind="number", default="10"),
    ProviderSetting("button_en", _l("Button text in English"), default="Sign in with your campus account"),
    ProviderSetting("button_zh", _l("Button text in Chinese"), default="统一身份认证登录"),
)
DEFAULT_MAPPING = {"display_name": "displayName", "email": "mail", "member_number": "", "faculty": "",
                   "role_rules": "", "allow": ""}


@hookimpl
def engage_blueprints():
    return bp


@hookimpl
def engage_sign_in_providers():
    settings = provider_settings(get_session(), KEY)
    label = {"en": settings.get("button_en") or "Sign in with your campus account",
             "zh_Hans": settings.get("button_zh") or "统一身份认证登录"}
    return SignInProvider(KEY, label, url_for("signin_cas.start"), order=10, settings=SETTINGS,
                          configured=bool(settings.get("server_url")), default_mapping=DEFAULT_MAPPING,
                          logout_url=logout_url)


@hookimpl
def engage_user_data(session, user_id):
    """When this person signed in through CAS (the sessions single logout can still end); the
    ticket's hash means nothing to them and stays out."""
    from core.identity.privacy import table_rows

    return {"sign_ins": table_rows(session, models.CasSession, models.CasSession.user_id == user_id,
                                   leave_out=("ticket_hash", "user_id"))}


@hookimpl
def engage_forget_user(session, user_id):
    """The person's CAS sign-ins go: nothing of them is kept for the ledger's sake."""
    session.execute(delete(models.CasSession).where(models.CasSession.user_id == user_id))
