"""Two languages from day one: the user's choice, else the session's, else the browser's.

Core's words live in core's catalogue (Flask-Babel's default domain). Each plugin has a Babel
domain of its own, its ``translations`` folder alone, so a plugin's catalogue can never change
core's words or another plugin's: the same English "Open" may be 查看 in core and 进行中 in a
plugin. Plugin code translates through ``plugin_domain(__file__)``; plugin templates need nothing:
``_``/``gettext``/``ngettext`` in a template file under a plugin's ``templates`` folder are bound
to that plugin's domain when the template is compiled (``PluginWords``).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel, Domain, get_locale, gettext
from flask_login import current_user
from jinja2.ext import Extension, _make_new_gettext, _make_new_ngettext, _make_new_npgettext, _make_new_pgettext
from jinja2.lexer import TOKEN_DOT, TOKEN_LPAREN, TOKEN_NAME, Token

TRANSLATIONS = Path(__file__).parent / "translations"
# The template callables the i18n extension installs, and Jinja's own newstyle wrapper for each
# (the escaping and %-formatting every template string gets; private, but stable across Jinja 3).
_CALLABLES = {"_": ("gettext", _make_new_gettext), "gettext": ("gettext", _make_new_gettext),
              "ngettext": ("ngettext", _make_new_ngettext), "pgettext": ("pgettext", _make_new_pgettext),
              "npgettext": ("npgettext", _make_new_npgettext)}
# One Domain per translations folder, shared by a plugin's code and its templates (a catalogue
# is a file on disk, the same for every app in the process; Domain caches it per locale).
_DOMAINS: dict[Path, Domain] = {}


def plugin_domain(module_file: str | Path) -> Domain:
    """The Babel domain of the plugin whose module is ``module_file``: its ``translations`` folder.

    Use its ``gettext``, ``ngettext`` and ``lazy_gettext`` (imported as ``_``, ``ngettext``, ``_l``)
    for every string of the plugin's Python code."""
    folder = (Path(module_file).resolve().parent / "translations")
    domain = _DOMAINS.get(folder)
    if domain is None:
        domain = _DOMAINS[folder] = Domain(translation_directories=[str(folder)])
    return domain


class PluginWords(Extension):
    """Binds the translation calls of each plugin's templates to that plugin's own domain.

    The source stays ordinary ``_("…")`` (so ``pybabel extract`` reads it as usual); at compile
    time the names are renamed to the owning plugin's callables, which the environment holds as
    globals. Core's templates, and core macros a plugin page imports, keep core's catalogue."""

    def __init__(self, environment) -> None:
        super().__init__(environment)
        environment.extend(engage_plugin_template_folders={})

    def filter_stream(self, stream):
        owner = self._owner(stream.filename)
        if owner is None:
            yield from stream
            return
        previous = None
        for token in stream:
            if (token.type == TOKEN_NAME and token.value in _CALLABLES and stream.current.type == TOKEN_LPAREN
                    and (previous is None or previous.type != TOKEN_DOT)):
                token = Token(token.lineno, TOKEN_NAME, f"_engage_{owner}_{_CALLABLES[token.value][0]}")
            previous = token
            yield token

    def _owner(self, filename: str | None) -> str | None:
        if not filename:
            return None
        path = Path(filename).resolve()
        for folder, name in self.environment.engage_plugin_template_folders.items():
            if path.is_relative_to(folder):
                return name
        return None


def bind_plugin_words(app: Flask, plugin_folders: dict[str, Path]) -> None:
    """Give each plugin's templates its own domain (``{name: the plugin's folder}``)."""
    env = app.jinja_env
    for name, folder in plugin_folders.items():
        env.engage_plugin_template_folders[(folder / "templates").resolve()] = name
        raw = _catalogue_calls(plugin_domain(folder / "plugin.py"))
        for kind, wrap in set(_CALLABLES.values()):
            env.globals[f"_engage_{name}_{kind}"] = wrap(raw[kind])


def _catalogue_calls(domain: Domain) -> dict:
    """The raw catalogue calls, as Flask-Babel installs them for core (Jinja's newstyle wrappers
    add the escaping and the %-formatting)."""
    translations = domain.get_translations
    return {"gettext": lambda s: translations().ugettext(s),
            "ngettext": lambda s, p, n: translations().ungettext(s, p, n),
            "pgettext": lambda c, s: translations().upgettext(c, s),
            "npgettext": lambda c, s, p, n: translations().unpgettext(c, s, p, n)}


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
    if request.path.startswith("/api/"):  # API calls carry no session: the caller's Accept-Language
        return negotiate(request.accept_languages)
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    return negotiate(request.accept_languages)


def html_lang() -> str:
    """The BCP 47 tag for ``<html lang>``."""
    return "zh-Hans" if str(get_locale()) == "zh_Hans" else "en"


def N_(text: str) -> str:
    """Marks English that is stored as written and translated when it is shown (``stored_words``);
    ``pybabel extract`` collects it (``N_`` is one of Babel's default keywords)."""
    return text


def stored_words(text: str | None, owner: str = "core") -> str:
    """A note kept in the database (a ledger entry's or an audit row's reason), in the reader's
    language. Notes that code writes are English source strings marked with ``N_`` where they are
    written, so they are translated here through their owner's catalogue (``owner`` is ``core`` or
    a plugin's name); a note a person typed matches no entry and is shown as written."""
    if not text:
        return ""
    if owner == "core":
        return gettext(text)
    from core.plugins import get_host  # the plugin host is built after this module is imported

    host = get_host()
    if owner not in host.infos:
        return text
    return plugin_domain(host.folder(owner) / "plugin.py").gettext(text)


def pick(texts: dict) -> str:
    """The text for the reader's language from ``{"en": …, "zh_Hans": …}``."""
    return texts.get(str(get_locale())) or texts.get("en") or ""


def init_app(app: Flask, plugin_folders: dict[str, Path]) -> None:
    """Set up Flask-Babel with core's catalogue, and each plugin's templates with its own domain."""
    # Times on pages are shown in the library's own time zone.
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["TIMEZONE"])
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    Babel(app, locale_selector=select_locale)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.add_extension(PluginWords)
    bind_plugin_words(app, plugin_folders)
    app.jinja_env.globals.update(html_lang=html_lang, pick=pick, get_locale=get_locale, stored_words=stored_words)
