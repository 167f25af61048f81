"""Both languages stay complete: every source string has a Chinese translation, the compiled
catalogue is up to date, placeholders survive, and pages follow the reader's language.

After changing strings, run the commands at the top of babel.cfg (extract, update,
translate, compile); these tests fail until that has been done.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from wtforms.i18n import messages_path as wtforms_messages_path

ROOT = Path(__file__).resolve().parent.parent
BABEL_CFG = ROOT / "babel.cfg"
PLUGIN_BABEL_CFG = ROOT / "plugins" / "babel.cfg"
# The same keywords as the documented `pybabel extract -k _l -k lazy_gettext` (babel.cfg adds them too).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
# A Python %-placeholder, named or not: %(name)s, %(amount)+d, %5.2f, %s …; "%%" is a literal percent sign.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]")
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


@dataclass(frozen=True)
class Catalogue:
    """Where one catalogue's strings come from and where its Chinese translation lives."""

    name: str
    source: Path
    cfg: Path
    translations: Path

    @property
    def po(self) -> Path:
        return self.translations / "zh_Hans" / "LC_MESSAGES" / "messages.po"

    @property
    def mo(self) -> Path:
        return self.po.with_suffix(".mo")


CATALOGUES = [Catalogue("core", ROOT, BABEL_CFG, ROOT / "core" / "translations")] + [
    Catalogue(folder.name, folder, PLUGIN_BABEL_CFG, folder / "translations")
    for folder in sorted((ROOT / "plugins").iterdir()) if (folder / "plugin.py").exists()]


def extracted_messages(catalogue: Catalogue = CATALOGUES[0]) -> dict:
    """``{(msgid, context): [file:line, …]}`` for every string the catalogue's babel.cfg scans."""
    with catalogue.cfg.open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, str(catalogue.cfg))
    found: dict = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            catalogue.source, method_map, options_map, keywords=KEYWORDS):
        found.setdefault((message[0] if isinstance(message, tuple) else message, context), []).append(
            f"{filename}:{lineno}")
    return found


def load_po(catalogue: Catalogue = CATALOGUES[0]):
    with catalogue.po.open("rb") as f:
        return read_po(f, locale="zh_Hans")


def translations(catalog) -> dict:
    """``{(msgid, context): msgstr}`` without the header entry; plural ids and strings are tuples."""
    def freeze(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value

    return {(freeze(m.id), m.context): freeze(m.string) for m in catalog if m.id}


def zh(msgid: str) -> str:
    """The committed Chinese translation of ``msgid``."""
    message = load_po().get(msgid)
    assert message is not None and message.string, f"no Chinese translation of {msgid!r}"
    return message.string


def placeholders(text: str) -> set[str]:
    return {p for p in PLACEHOLDER.findall(text) if p != "%%"}


def test_babel_cfg_scans_core():
    files = {where.rsplit(":", 1)[0] for places in extracted_messages().values() for where in places}
    # Guard against a babel.cfg that silently stops scanning part of the code.
    for expected in ("core/forms.py", "core/errors.py", "core/views.py", "templates/base.html"):
        assert expected in files, f"babel.cfg no longer extracts {expected}"


@pytest.fixture(params=CATALOGUES, ids=lambda c: c.name)
def catalogue(request):
    """Core's catalogue and each plugin's that has strings to translate."""
    catalogue = request.param
    if catalogue.name != "core" and not extracted_messages(catalogue) and not catalogue.po.exists():
        pytest.skip(f"plugin {catalogue.name} has no strings to translate")
    return catalogue


def test_every_source_string_is_translated(catalogue):
    found = extracted_messages(catalogue)
    po_file = catalogue.po
    assert po_file.exists(), (f"{po_file.relative_to(ROOT)} is missing; see the commands at the top of "
                              f"{catalogue.cfg.relative_to(ROOT)}")
    catalog = load_po(catalogue)
    assert not catalog.fuzzy, "the catalogue header is marked fuzzy; pybabel compile would skip it"
    assert catalog.num_plurals == 1, "Chinese has one plural form (nplurals=1; plural=0;)"
    missing = []
    for (msgid, context), places in sorted(found.items(), key=lambda item: item[1][0]):
        message = catalog.get(msgid, context)
        strings = message.string if message and isinstance(message.string, tuple) else (message and message.string,)
        if message is None or message.fuzzy or not all(strings) or len(strings) != (
                catalog.num_plurals if message.pluralizable else 1):
            state = "missing" if message is None else "fuzzy" if message.fuzzy else "untranslated"
            missing.append(f"  {places[0]}: {msgid!r} ({state})")
    assert not missing, (f"{len(missing)} source strings lack a Chinese translation in "
                         f"{po_file.relative_to(ROOT)}; run extract, update, translate, compile:\n"
                         + "\n".join(missing))


def test_compiled_catalogue_matches_po(catalogue):
    mo_file = catalogue.mo
    compile_cmd = f"pybabel compile -d {catalogue.translations.relative_to(ROOT)}"
    assert mo_file.exists(), f"{mo_file.relative_to(ROOT)} is missing; run `{compile_cmd}`"
    compiled = BytesIO()
    write_mo(compiled, load_po(catalogue))
    compiled.seek(0)
    expected = translations(read_mo(compiled))
    with mo_file.open("rb") as f:
        committed = translations(read_mo(f))
    stale = sorted(str(key[0]) for key in expected.keys() | committed.keys()
                   if expected.get(key) != committed.get(key))
    assert not stale, (f"{mo_file.relative_to(ROOT)} is out of date with messages.po; run `{compile_cmd}`. "
                       f"Differing messages: {stale[:20]}")


def test_placeholders_survive_translation(catalogue):
    problems = []
    for message in load_po(catalogue):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        # A Chinese form stands for every count, so it carries the plural's placeholders.
        wanted = placeholders(ids[-1])
        params = {name: 1 for name in re.findall(r"%\(([^)]*)\)", "".join(ids))}
        for string in strings:
            if not string:
                continue
            if placeholders(string) != wanted:
                problems.append(f"{ids[0]!r}: {sorted(wanted)} became {sorted(placeholders(string))} in {string!r}")
                continue
            # Templates format every string (newstyle gettext), so a stray "%" must not break it.
            try:
                ids[-1] % params
            except (TypeError, ValueError, KeyError):
                continue
            try:
                string % params
            except (TypeError, ValueError, KeyError) as exc:
                problems.append(f"{ids[0]!r}: {string!r} cannot be formatted ({exc})")
    assert not problems, "placeholders differ between English and Chinese:\n" + "\n".join(problems)


def test_pages_follow_browser_language(client):
    chinese, english = zh("Create an account"), "Create an account"
    assert chinese != english

    page = client.get("/", headers=ZH).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page
    assert chinese in page and english not in page

    page = client.get("/", headers=EN).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert english in page and chinese not in page

    # Lazy strings defined at import time (error pages) follow the request too.
    missing = client.get("/no-such-page", headers=ZH)
    assert missing.status_code == 404
    assert zh("Page not found") in missing.get_data(as_text=True)


def test_language_switch(client):
    response = client.post("/language", data={"locale": "zh_Hans", "next": "/"}, headers=EN)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    # The choice is kept in the session and beats the browser's own preference.
    page = client.get("/", headers=EN).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page and zh("Create an account") in page

    client.post("/language", data={"locale": "en", "next": "/"})
    page = client.get("/", headers=ZH).get_data(as_text=True)
    assert '<html lang="en">' in page and "Create an account" in page

    refused = client.post("/language", data={"locale": "xx", "next": "/"})
    assert refused.status_code == 400
    assert '<html lang="en">' in client.get("/", headers=ZH).get_data(as_text=True)  # choice unchanged


def test_signed_in_users_own_language_wins(client, make_user, auth):
    user = make_user(locale="zh_Hans")
    auth.login(user.email)
    page = client.get("/", headers=EN).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page and zh("Home") in page


def test_form_errors_are_chinese(client):
    wtforms_zh = Translations.load(wtforms_messages_path(), [Locale.parse("zh_Hans")], domain="wtforms")
    required = "This field is required."
    required_zh = wtforms_zh.gettext(required)
    assert required_zh != required, "WTForms ships no Chinese catalogue that zh_Hans falls back to"

    response = client.post("/auth/register", data={}, headers=ZH)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert required_zh in page and required not in page  # WTForms' own messages, via Flask-WTF's i18n
    assert zh("Email") in page  # our lazy field labels

    response = client.post("/auth/register", headers=ZH, data={
        "email": "reader@test.library", "display_name": "Reader", "locale": "zh_Hans",
        "password": "correct horse battery", "confirm": "something else"})
    assert response.status_code == 400
    assert zh("The passwords do not match.") in response.get_data(as_text=True)


def plugin_zh(plugin: str, msgid: str) -> str:
    """The committed Chinese translation of ``msgid`` in a plugin's own catalogue."""
    catalogue = next(c for c in CATALOGUES if c.name == plugin)
    message = load_po(catalogue).get(msgid)
    assert message is not None and message.string, f"{plugin} has no Chinese translation of {msgid!r}"
    return message.string


def test_a_plugins_catalogue_cannot_change_core_words(app, db, client, auth, make_user):
    # The same English word, two meanings: core's "Open" (a link) and brand_stories' (a poll's state).
    core_open, plugin_open = zh("Open"), plugin_zh("brand_stories", "Open")
    assert core_open != plugin_open
    from core.notifications import notify

    user = make_user(locale="zh_Hans")
    with app.app_context(), db.write_session() as session:
        notify(session, user_id=user.id, plugin="core", kind="test", message={"en": "n", "zh_Hans": "消息"}, url="/me")
    auth.login(user.email)
    page = client.get("/notifications/").get_data(as_text=True)
    assert core_open in page and plugin_open not in page  # brand_stories is installed and on

    # In Python code too: core's gettext and the plugin's own domain answer differently.
    from flask_babel import gettext
    from plugins.brand_stories.i18n import _ as stories_gettext

    with app.test_request_context(headers=ZH):
        assert gettext("Open") == core_open
        assert stories_gettext("Open") == plugin_open


def test_plugin_templates_use_their_own_catalogue(app):
    from flask import render_template_string

    # A plugin's template is bound to its domain by where its file lives, not by its name.
    plugin_open = plugin_zh("brand_stories", "Open")
    with app.test_request_context(headers=ZH):
        env = app.jinja_env
        source, filename, _uptodate = env.loader.get_source(env, "brand_stories/manage.html")
        assert "_engage_brand_stories_gettext" in env.compile(source, "brand_stories/manage.html", filename, raw=True)
        assert render_template_string('{{ _("Open") }}') == zh("Open")  # core's own strings stay core's
        template = env.from_string('{{ _("Open") }}')
        assert template.render() == zh("Open") != plugin_open


def test_chinese_uses_one_register(catalogue):
    # One voice for the reader: 你 throughout, never the formal 您.
    formal = [m.id for m in load_po(catalogue) if m.id and "您" in "".join(
        m.string if isinstance(m.string, tuple) else (m.string or "",))]
    assert not formal, f"{catalogue.po.relative_to(ROOT)} uses 您 in: {formal}"


def test_stored_notes_are_translated_when_shown(app, db, client, auth, make_user):
    from core.models import Role
    from core.points import award

    user, librarian = make_user(locale="zh_Hans"), make_user(role=Role.librarian)
    with app.app_context(), db.write_session() as session:
        # A row written before feedback stopped storing English notes, and a librarian's own note.
        award(session, user_id=user.id, amount=10, rule="feedback-confirmed", plugin="feedback",
              idempotency_key="feedback:confirmed:old", reason="Feedback confirmed")
        award(session, user_id=user.id, amount=5, rule="manual-adjustment", plugin="core", actor_id=librarian.id,
              idempotency_key="note", reason="Helped at the book fair")
    auth.login(user.email)
    page = client.get("/me").get_data(as_text=True)
    assert plugin_zh("feedback", "Feedback confirmed") in page and "Feedback confirmed" not in page
    assert plugin_zh("feedback", "Feedback answered and confirmed") in page  # the rule's own label
    assert "Helped at the book fair" in page  # a person's note is shown as written


def test_counts_use_plural_forms_not_parentheses(catalogue):
    # "2 submission(s)" reads badly in English: counted nouns go through ngettext.
    lazy = [m.id for m in load_po(catalogue) if m.id and re.search(r"[a-z]\(s\)", "".join(
        m.id if isinstance(m.id, tuple) else (m.id,)))]
    assert not lazy, f"{catalogue.po.relative_to(ROOT)} counts with “(s)”: {lazy}"


def test_one_point_is_singular(app):
    from flask import render_template_string

    macro = '{% from "_points.html" import level_bar %}{{ level_bar(p) }}'
    level = type("Level", (), {"name_en": "Reader", "name_zh": "读者", "number": 2})
    progress = type("Progress", (), {"level": level, "next": level, "to_next": 1, "percent": 99})
    with app.test_request_context(headers=EN):
        text = render_template_string(macro, p=progress)
    assert "1 more point to reach Reader." in text
