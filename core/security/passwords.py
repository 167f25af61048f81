"""Refusing guessable passwords: common ones, and ones built from the account's own details.

zxcvbn (Dropbox's estimator, ported to Python; its word and password lists ship inside the
package, so nothing is fetched) scores how many guesses a password would take, with the
account's email, name and the library's name as extra words. Its own feedback is English
only, so the message a person sees is chosen here from what zxcvbn matched, in their language.
"""

from __future__ import annotations

import re

from flask import current_app, has_app_context
from flask_babel import gettext as _
from zxcvbn import zxcvbn

MIN_LENGTH = 8
# zxcvbn's score: 3 means "safely unguessable: moderate protection from offline attacks" (about 10^8 guesses).
MIN_SCORE = 3
# zxcvbn's matching grows quickly with length; a longer password is judged by its first characters.
_JUDGED_LENGTH = 72
# Left after taking out the account's own details, fewer characters than this is not a password of its own.
_OWN_REST = 8
_WORD = re.compile(r"[^\w]+", re.UNICODE)


def _normal(text: str) -> str:
    return _WORD.sub("", (text or "").casefold())


def context_words(*, email: str = "", display_name: str = "", extra: tuple[str, ...] = ()) -> list[str]:
    """The words a guesser would try first for this account: the email, its local part and its
    pieces, the display name and its words, and the library's name."""
    words = [email, *re.split(r"[@._+-]+", email or ""), display_name, *(display_name or "").split(), *extra]
    if has_app_context():
        library = current_app.config.get("LIBRARY_NAME") or ""
        words += [library, *library.split(), "library engage", "engage"]
    return [word for word in dict.fromkeys(w.strip() for w in words) if len(word) >= 3]


def password_problem(password: str, *, email: str = "", display_name: str = "",
                     extra: tuple[str, ...] = ()) -> str | None:
    """Why ``password`` is refused for this account (a sentence in the reader's language), or None."""
    if len(password or "") < MIN_LENGTH:
        return _("Use at least %(n)d characters.", n=MIN_LENGTH)
    words = context_words(email=email, display_name=display_name, extra=extra)
    rest = _normal(password)
    for word in sorted((_normal(w) for w in words), key=len, reverse=True):
        if len(word) >= 4:
            rest = rest.replace(word, "")
    if len(rest) < _OWN_REST and len(rest) < len(_normal(password)):
        return _("Do not build your password from your email, your name or the library's name: "
                 "those are the first things a guesser tries.")
    result = zxcvbn(password[:_JUDGED_LENGTH], user_inputs=words, max_length=_JUDGED_LENGTH)
    if result["score"] >= MIN_SCORE:
        return None
    matched = [m for m in result["sequence"] if m.get("pattern") == "dictionary"]
    if any(m.get("dictionary_name") == "user_inputs" for m in matched):
        return _("Do not build your password from your email, your name or the library's name: "
                 "those are the first things a guesser tries.")
    if any(m.get("dictionary_name") == "passwords" and m["token"].casefold() == password.casefold() for m in matched):
        return _("This is one of the most common passwords, so it is guessed in seconds. "
                 "Try three or four words that do not belong together.")
    return _("This password is too easy to guess (common words, names, dates, keyboard rows or "
             "repeats). Try three or four words that do not belong together, or make it longer.")
