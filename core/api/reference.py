"""The OpenAPI 3.1 document (``/api/v1/openapi.json``) and a reference page made from it with the
site's own templates (``/developers/api``): no CDN, no script, both languages.

The document is English. The page shows each part's title, description and operations in the
reader's language, through the catalogue of the part's owner (core's, or the plugin's that added
the blueprint): ``extract_python`` is the Babel extraction method both ``babel.cfg`` files use, which
collects the docstrings and blueprint descriptions the document is made from besides the usual
``_()`` calls.
"""

from __future__ import annotations

import ast
import io
import json
import re

from babel.messages.extract import extract_python as babel_extract_python
from flask import Blueprint, current_app, make_response
from flask_smorest.utils import load_info_from_docstring
from markupsafe import Markup, escape

from core.api.blueprint import ERRORS
from core.api.keys import all_scopes
from core.i18n import stored_words
from core.ui import render

bp = Blueprint("api_reference", __name__)
METHODS = ("get", "put", "post", "patch", "delete")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")  # CommonMark's code span: ``faculty`` or `faculty`


def document() -> dict:
    """The OpenAPI document, generated from the API's blueprints and schemas."""
    return current_app.extensions["engage.api"].spec.to_dict()


@bp.route("/api/v1/openapi.json")
def openapi_json():
    response = make_response(json.dumps(document(), ensure_ascii=False, indent=1))
    response.mimetype = "application/json"
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


def _sections(spec: dict) -> list[dict]:
    """One section per tag (an API blueprint) of core or a switched-on plugin, in the document's
    order, with its operations; the texts in the reader's language through the owner's catalogue."""
    host = current_app.extensions["engage.plugins"]
    scopes = all_scopes()
    sections = {}
    for tag in spec.get("tags", []):
        name = tag["name"]
        blueprint = current_app.blueprints.get(name)
        owner = host.blueprint_owner.get(name, "core")
        if owner != "core" and not host.is_enabled(owner):
            continue  # a switched-off plugin's endpoints answer 404
        sections[name] = {"name": name, "title": str(getattr(blueprint, "title", None) or name),
                          "description": stored_words(tag.get("description"), owner), "owner": owner,
                          "operations": []}
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            section = sections.get((op.get("tags") or [""])[0])
            if section is None:
                continue
            body = (op.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
            responses = {int(code): _ref_name(next(iter((r.get("content") or {}).values()), {}).get("schema"))
                         for code, r in op.get("responses", {}).items()}
            scope = op.get("x-scope")
            section["operations"].append({
                "method": method.upper(), "path": path,
                "summary": _prose(stored_words(op.get("summary"), section["owner"])),
                "description": _prose(stored_words(op.get("description"), section["owner"])),
                "scope": scope, "scope_label": str(scopes.get(scope, "")),
                "parameters": op.get("parameters", []), "body": _ref_name(body),
                "answers": sorted((code, schema) for code, schema in responses.items() if code < 400),
                "errors": sorted(code for code in responses if code >= 400)})
    return list(sections.values())


def _prose(text: str) -> Markup:
    """A docstring's text as HTML: escaped, its code spans as ``<code>``."""
    return Markup(CODE_SPAN.sub(lambda m: f"<code>{m.group(2)}</code>", str(escape(text))))


def _ref_name(schema) -> str | None:
    if not schema:
        return None
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] or schema.get("type")


@bp.route("/developers/api")
def page():
    """The API reference, for the library's developers."""
    spec = document()
    schemas = spec.get("components", {}).get("schemas", {})
    errors = {code: stored_words(text) for code, text in ERRORS.items()}
    return render("api_reference.html", spec=spec, sections=_sections(spec), errors=errors, schemas=schemas)


def extract_python(fileobj, keywords, comment_tags, options):
    """Babel's Python extraction, plus the English the OpenAPI document takes from the code: each
    API operation's summary and description (its docstring, split as flask-smorest splits it; an
    operation is a function under ``needs(scope)``) and each API blueprint's ``description``."""
    source = fileobj.read()
    yield from babel_extract_python(io.BytesIO(source), keywords, comment_tags, options)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and any(_called(d) == "needs" for d in node.decorator_list):
            docstring = ast.get_docstring(node, clean=False)
            if docstring:
                info = load_info_from_docstring(docstring)
                for text in (info.get("summary"), info.get("description")):
                    if text:
                        yield node.body[0].lineno, None, text, []
        elif isinstance(node, ast.Call) and (_called(node) or "").endswith("Blueprint"):
            for keyword in node.keywords:
                if keyword.arg == "description" and isinstance(keyword.value, ast.Constant) \
                        and isinstance(keyword.value.value, str):
                    yield keyword.value.lineno, None, keyword.value.value, []


def _called(node) -> str | None:
    """The name a call calls: ``needs`` for ``needs(…)``, ``Blueprint`` for ``smorest.Blueprint(…)``."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
