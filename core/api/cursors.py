"""Opaque, signed cursors for the API's lists: the position after the last item of a page.

A cursor is the last item's sort key, signed with the app's secret (itsdangerous), so a caller
can neither read meaning into it nor forge one; a tampered cursor is a 400 problem.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from core.api.problems import Problem


def _serializer(kind: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"engage.api.cursor.{kind}")


def make(kind: str, position: list) -> str:
    """The cursor for the page that starts after ``position`` in the list ``kind``."""
    return _serializer(kind).dumps(position)


def read(kind: str, cursor: str | None) -> list | None:
    """The position a cursor holds (None for the first page); a forged one raises a 400 Problem."""
    if not cursor:
        return None
    try:
        position = _serializer(kind).loads(cursor)
    except BadSignature:
        raise Problem(400, _("The cursor is not valid"), _("Use the cursor of a page this API gave you.")) from None
    if not isinstance(position, list):
        raise Problem(400, _("The cursor is not valid"), _("Use the cursor of a page this API gave you."))
    return position


def page(kind: str, rows: list, limit: int, key) -> tuple[list, str | None]:
    """Cut ``rows`` (fetched with ``limit + 1``) to a page and the cursor of the next one."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, make(kind, key(rows[-1]))
