"""Hostile input refused once, centrally, before any view or query sees it.

* ``<int:…>`` in every route is bounded to the database's ``INTEGER`` range: a larger id
  matches no route (404) instead of overflowing the query.
* ``request.args.get(…, type=int)`` and ``request.form.getlist(…, type=int)`` treat a number
  outside that range as not a number (the default), like any other unreadable value.
* A NUL byte anywhere in a request (path, query, form names and values, file names, the keys
  and strings of a JSON body) is refused with 400: PostgreSQL cannot store one in a text column and no browser sends one.
  Other control characters are refused with a message per field by the form layer
  (``core.forms.Form``).
"""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

# The range of an SQL INTEGER (PostgreSQL's int4; every id and count column in the schema).
INT_MIN, INT_MAX = -(2**31) + 1, 2**31 - 1


def bounded_int(value) -> int:
    """``int(value)`` for a value within ``INT_MIN``..``INT_MAX``; anything else raises
    ``ValueError`` (so ``MultiDict.get(…, type=bounded_int)`` falls back to its default)."""
    if isinstance(value, str) and len(value) > 20:
        raise ValueError("too long for a number")
    number = int(value)
    if not INT_MIN <= number <= INT_MAX:
        raise ValueError("out of range")
    return number


class BoundedIntConverter(IntegerConverter):
    """Werkzeug's ``int`` converter with the INTEGER range as its default bounds."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False) -> None:
        super().__init__(map, fixed_digits, INT_MIN if min is None else min, INT_MAX if max is None else max, signed)

    def to_python(self, value: str):
        if len(value) > 20:  # not worth converting: no INTEGER has that many digits
            from werkzeug.routing import ValidationError

            raise ValidationError()
        return super().to_python(value)


def _bounded(type):
    return bounded_int if type is int else type


class BoundedMultiDict(ImmutableMultiDict):
    """Request arguments and form values whose ``type=int`` stays within the INTEGER range."""

    def get(self, key, default=None, type=None):
        return super().get(key, default, _bounded(type))

    def getlist(self, key, type=None):
        return super().getlist(key, _bounded(type))


def bound_parameters(app: Flask) -> None:
    """Make the app's request class (whichever extension set it last) read its arguments and
    form values into ``BoundedMultiDict``; call after every extension that replaces it."""
    base = app.request_class
    if not issubclass(base.parameter_storage_class, BoundedMultiDict):
        app.request_class = type(base.__name__, (base,), {"parameter_storage_class": BoundedMultiDict})


def has_nul(text) -> bool:
    return isinstance(text, str) and "\x00" in text


def refuse_nul() -> None:
    """Answer 400 for a request with a NUL byte anywhere a view or a form could read it."""
    if has_nul(request.path) or any(has_nul(k) or has_nul(v) for k, v in request.args.items(multi=True)):
        abort(400)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if any(has_nul(k) or has_nul(v) for k, v in request.form.items(multi=True)):
        abort(400)
    if any(has_nul(k) or has_nul(f.filename) for k, f in request.files.items(multi=True)):
        abort(400)
    if request.is_json and b"\\u0000" in request.get_data(cache=True) and _json_has_nul(request.get_json(silent=True)):
        abort(400)


def _json_has_nul(document) -> bool:
    """True when a string or key anywhere in a parsed JSON document holds a NUL byte."""
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def init_app(app: Flask) -> None:
    """Bound the ``int`` converter (before any blueprint adds a rule), bound ``type=int``
    arguments (``bound_parameters`` again once extensions have set their request class), and
    refuse NUL bytes before any view runs."""
    app.url_map.converters["int"] = BoundedIntConverter
    bound_parameters(app)
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_nul)
