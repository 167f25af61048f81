"""Marshmallow's field messages in the caller's language.

webargs reports a body that does not fit its schema with marshmallow's English messages
("Missing data for required field.", "Length must be between 1 and 32."); the problem answer
(``core.api.problems``) passes each through ``translate``. A message not known here (a
plugin's own validator) is left as it was written.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _


def _fixed() -> dict[str, str]:
    return {
        "Missing data for required field.": _("This field is required."),
        "Field may not be null.": _("This field cannot be empty (null)."),
        "Unknown field.": _("This field is not part of the request."),
        "Invalid input type.": _("This value has the wrong type."),
        "Invalid type.": _("This value has the wrong type."),
        "Invalid value.": _("This value is not valid."),
        "Not a valid string.": _("Enter text."),
        "Not a valid integer.": _("Enter a whole number."),
        "Not a valid number.": _("Enter a number."),
        "Number too large.": _("This number is too large."),
        "Not a valid boolean.": _("Enter true or false."),
        "Not a valid list.": _("Enter a list."),
        "Not a valid mapping type.": _("Enter an object."),
        "Not a valid email address.": _("Enter a valid email address."),
        "Not a valid URL.": _("Enter a valid web address."),
        "Not a valid datetime.": _("Enter a date and time in ISO 8601 (2026-11-30T09:00:00+08:00)."),
        "Not a valid date.": _("Enter a date in ISO 8601 (2026-11-30)."),
        "String does not match expected pattern.": _("This value does not have the expected form."),
        "Special numeric values (nan or infinity) are not permitted.": _("Enter a finite number."),
    }


_PATTERNS = [
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"),
     lambda m: _("Enter between %(min)s and %(max)s characters or items.", min=m[1], max=m[2])),
    (re.compile(r"^Length must be (\d+)\.$"), lambda m: _("Enter exactly %(n)s characters or items.", n=m[1])),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"),
     lambda m: _("Enter at least %(min)s characters or items.", min=m[1])),
    (re.compile(r"^Longer than maximum length (\d+)\.$"),
     lambda m: _("Enter at most %(max)s characters or items.", max=m[1])),
    (re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
     lambda m: _("Enter a number from %(min)s to %(max)s.", min=m[1], max=m[2])),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), lambda m: _("Enter at least %(min)s.", min=m[1])),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), lambda m: _("Enter at most %(max)s.", max=m[1])),
    (re.compile(r"^Must be one of: (.*)\.$"), lambda m: _("Choose one of: %(choices)s.", choices=m[1])),
]


def translate(message: str) -> str:
    """One marshmallow message in the caller's language (unknown ones unchanged)."""
    fixed = _fixed().get(message)
    if fixed is not None:
        return fixed
    for pattern, say in _PATTERNS:
        found = pattern.match(message)
        if found:
            return say(found)
    return message


def translate_all(messages):
    """Every message of a (nested) webargs error structure, translated."""
    if isinstance(messages, str):
        return translate(messages)
    if isinstance(messages, dict):
        return {key: translate_all(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [translate_all(value) for value in messages]
    return messages
