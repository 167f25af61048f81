"""Notes the library system writes into an item's history (a merge, an automatic close). They are
stored in English with their numbers and shown in the reader's language: ``event_note`` reads
the numbers back out of a stored note and translates the sentence they came from. Notes stored
earlier in Chinese (written in the language of whoever merged) are recognised too."""

from __future__ import annotations

import re

from flask_babel import force_locale

from .i18n import N_, _

MERGED = N_("Merged into feedback #%(id)d, which is about the same thing.")
AUTO_CLOSED = N_("Closed automatically: no reply within %(days)d days.")
SYSTEM_NOTES = (MERGED, AUTO_CLOSED)
_FIELD = re.compile(r"%\((\w+)\)d")


def stored(template: str, **numbers: int) -> str:
    """The note as it is stored: the English sentence with its numbers."""
    return template % numbers


def _pattern(text: str) -> re.Pattern:
    parts = _FIELD.split(text)  # literal, name, literal, name, …
    regex = "".join(re.escape(part) if n % 2 == 0 else f"(?P<{part}>\\d+)" for n, part in enumerate(parts))
    return re.compile(f"^{regex}$")


def event_note(note: str | None) -> str:
    """A history note in the reader's language: the system's own notes translated, a person's note as written."""
    if not note:
        return ""
    for template in SYSTEM_NOTES:
        with force_locale("zh_Hans"):
            chinese = _(template)
        for form in (template, chinese):
            match = _pattern(form).match(note.strip())
            if match:
                return _(template, **{name: int(value) for name, value in match.groupdict().items()})
    return note
