"""Two languages from day one: the user's choice, else the session's, else the browser's."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel, get_locale
from flask_login import current_user

TRANSLATIONS = Path(__file__).parent / "translations"


def negotiate(accept_languages) -> str:
    """Pick ``zh_Hans`` or ``en`` from an Accept-Language header, in the browser's order."""
    for value, _quality in accept_languages:
        tag = value.lower().replace("_", "-")
        if tag.startswith("zh"):
            return "zh_Hans"
        if tag.startswith("en"):
            return "en"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_locale() -> str:
    """The locale for this request."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # command line and background work speak the default
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    return negotiate(request.accept_languages)


def html_lang() -> str:
    """The BCP 47 tag for ``<html lang>``."""
    return "zh-Hans" if str(get_locale()) == "zh_Hans" else "en"


def pick(texts: dict) -> str:
    """The text for the reader's language from ``{"en": …, "zh_Hans": …}``."""
    return texts.get(str(get_locale())) or texts.get("en") or ""


def init_app(app: Flask, plugin_dirs: list[str]) -> None:
    """Set up Flask-Babel with core's catalogue and every plugin's."""
    # Times on pages are shown in the library's own time zone.
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["TIMEZONE"])
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join([str(TRANSLATIONS), *plugin_dirs])
    Babel(app, locale_selector=select_locale)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(html_lang=html_lang, pick=pick, get_locale=get_locale)
