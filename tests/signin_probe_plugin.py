"""A sign-in provider used only by tests: its callback takes the identity from the query string,
so core's mapping, linking and just-in-time accounts can be tested without a campus server."""

import json

from flask import Blueprint, request, url_for

from core.hookspecs import ProviderSetting, SignInProvider, VerifiedIdentity, hookimpl
from core.identity.providers_signin import finish

NAME = "signin_probe"
VERSION = "1.0"
TITLE = {"en": "Probe sign-in", "zh_Hans": "测试登录"}
DESCRIPTION = {"en": "Used by the tests.", "zh_Hans": "测试使用。"}

bp = Blueprint("signin_probe", __name__, url_prefix="/probe-signin")


@bp.route("/start")
def start():
    return "the probe's login page"


@bp.route("/callback")
def callback():
    attributes = json.loads(request.args.get("attributes") or "{}")
    return finish(VerifiedIdentity("probe", request.args.get("subject", ""), attributes,
                                   email_verified=request.args.get("verified", "1") == "1"),
                  provider_data={"token": "probe-token"})


def logout_url(data):
    return f"https://probe.example.edu/logout?token={data.get('token', '')}"


@hookimpl
def engage_blueprints():
    return bp


@hookimpl
def engage_sign_in_providers():
    return SignInProvider("probe", {"en": "Sign in with Probe", "zh_Hans": "用测试账号登录"}, url_for("signin_probe.start"),
                          settings=(ProviderSetting("server_url", "Server", kind="url", required=True),
                                    ProviderSetting("client_secret", "Secret", kind="secret")),
                          default_mapping={"display_name": "name", "email": "mail", "member_number": "number",
                                           "faculty": "college"},
                          logout_url=logout_url)
