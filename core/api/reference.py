"""The OpenAPI 3.1 document (``/api/v1/openapi.json``) and a reference page made from it with the
site's own templates (``/developers/api``): no CDN, no script, both languages."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, make_response

from core.ui import render

bp = Blueprint("api_reference", __name__)
METHODS = ("get", "put", "post", "patch", "delete")


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


def _operations(spec: dict) -> list[dict]:
    """Each operation, grouped by tag, in the document's order."""
    operations = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            body = (op.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
            operations.append({
                "tag": (op.get("tags") or ["api"])[0], "method": method.upper(), "path": path,
                "summary": op.get("summary", ""), "description": op.get("description", ""),
                "scope": op.get("x-scope"), "parameters": op.get("parameters", []),
                "body": _ref_name(body), "responses": {code: _ref_name(
                    next(iter((r.get("content") or {}).values()), {}).get("schema")) for code, r in
                    op.get("responses", {}).items()}})
    return operations


def _ref_name(schema) -> str | None:
    if not schema:
        return None
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] or schema.get("type")


@bp.route("/developers/api")
def page():
    """The API reference, for the library's developers."""
    spec = document()
    tags = [t["name"] for t in spec.get("tags", [])]
    schemas = spec.get("components", {}).get("schemas", {})
    return render("api_reference.html", spec=spec, tags=tags, operations=_operations(spec), schemas=schemas)
