"""Errors as RFC 9457 problem details (``application/problem+json``), in the caller's language.

Every error under ``/api/`` answers this way, whoever raised it: the API's own refusals
(``problem(...)``), Werkzeug's (an unknown path, a wrong method), webargs' (a body that is not
JSON or does not fit the schema) and the rate limiter's.
"""

from __future__ import annotations

import json

from flask import Response, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

PROBLEM_TYPE = "about:blank"


class Problem(Exception):
    """Raised by a view to answer with a problem: ``status``, ``title``, ``detail`` and extra members."""

    def __init__(self, status: int, title: str | None = None, detail: str | None = None, **extra) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


def titles() -> dict[int, str]:
    """Short titles per status, in the caller's language."""
    return {
        400: _("The request could not be understood"),
        401: _("An API key is needed"),
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("Too large"),
        415: _("Unsupported media type"),
        422: _("Some fields are not valid"),
        429: _("Too many requests"),
        500: _("Something went wrong"),
    }


def details() -> dict[int, str]:
    return {
        400: _("Something in the request was missing or not valid. Nothing was changed."),
        401: _("Send a valid, unrevoked key as \"Authorization: Bearer <key>\"."),
        403: _("This key does not have the scope this needs."),
        404: _("There is nothing at this address."),
        405: _("This address does not accept that kind of request."),
        413: _("The request is larger than allowed. Nothing was changed."),
        422: _("Some fields are missing or not valid. Nothing was changed."),
        429: _("This key has made too many requests; wait and try again."),
        500: _("The library has been told. Please try again later."),
    }


def response(status: int, title: str | None = None, detail: str | None = None, headers=None, **extra) -> Response:
    """A problem details answer (never cached, no cookies)."""
    body = {"type": PROBLEM_TYPE, "title": title or titles().get(status, titles()[500]), "status": status,
            "detail": detail or details().get(status, ""), "instance": request.path, **extra}
    answer = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/problem+json")
    answer.headers["Cache-Control"] = "no-store"
    answer.vary.add("Accept-Language")
    for name, value in (headers or {}).items() if isinstance(headers, dict) else (headers or []):
        answer.headers[name] = value
    return answer


def from_exception(exc: Exception) -> Response:
    """A problem for any exception an API request ended with."""
    if isinstance(exc, Problem):
        return response(exc.status, exc.title, exc.detail, **exc.extra)
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        extra = {}
        messages = (getattr(exc, "data", None) or {}).get("messages")
        if messages:
            if "json" in messages and isinstance(messages["json"], list) and status == 400:
                return response(400, detail=_("The body is not valid JSON. Nothing was changed."))
            status = 422 if status == 400 else status
            extra["errors"] = _flatten(messages)
        headers = exc.get_headers() if status in (405, 429) else None
        headers = [(k, v) for k, v in (headers or []) if k.lower() in ("allow", "retry-after")]
        return response(status, headers=headers, **extra)
    return response(500)


def _flatten(messages) -> dict:
    """webargs' ``{"json": {"field": [...]}}`` as ``{"field": [...]}`` (where the field was is obvious),
    each message in the caller's language."""
    from core.api.field_errors import translate_all

    messages = translate_all(messages)
    flat: dict = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update({str(k): v for k, v in fields.items()})
        else:
            flat[location] = fields
    return flat
