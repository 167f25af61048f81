"""Redirects to a target taken from input (``next=``, ``back=``, a stored link): this site's paths only.

A target is judged the way a browser will read it, not the way it looks: the WHATWG URL
parser drops tabs and newlines anywhere and C0 controls and spaces at either end, reads a
backslash as a slash, and takes ``//host`` (or ``/\\host``) as another site. Anything a
browser could read as another origin, or that would need cleaning to be safe, is refused
whole rather than repaired.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import redirect, url_for

MAX_LENGTH = 2048
# How many rounds of percent-decoding are looked through (``%252F`` is ``%2F`` is ``/``).
_DECODE_ROUNDS = 3


def _unsafe_character(text: str) -> bool:
    """True for ASCII control characters, spaces and backslashes, and for the Unicode
    whitespace and controls a browser or a proxy might also drop or fold."""
    return any(ch <= " " or ch == "\x7f" or ch == "\\" or (ch > "\x7f" and (ch.isspace() or not ch.isprintable()))
               for ch in text)


def _looks_local(text: str) -> bool:
    """A path on this site: starts with one slash, not two, and names no scheme or host."""
    if not text.startswith("/") or text.startswith("//"):
        return False
    parts = urlsplit(text)
    return not parts.scheme and not parts.netloc


def _decoded_reads_elsewhere(text: str) -> bool:
    """True when a percent-decoded form of the target would read as another origin (or carry
    control characters) to a server or proxy that decodes before redirecting again."""
    if any(ch < " " or ch == "\x7f" for ch in text):
        return True
    return not _looks_local(text.replace("\\", "/"))


def local_target(target: str | None) -> str | None:
    """``target`` when it is a path on this site that every browser reads as one, else None.

    Refused: other sites (``//x``, ``/\\x``, ``https://x``), schemes (``javascript:``), any
    ASCII control character, space or backslash, and the same behind percent-encoding
    (``/%2F/x``, ``/%09/x``, ``/%5Cx``; an encoded space is fine). Accepted targets are
    returned unchanged.
    """
    if not isinstance(target, str) or not target or len(target) > MAX_LENGTH:
        return None
    if _unsafe_character(target) or not _looks_local(target):
        return None
    text = target
    for _round in range(_DECODE_ROUNDS):
        decoded = unquote(text)
        if decoded == text:
            return target
        if _decoded_reads_elsewhere(decoded):
            return None
        text = decoded
    return target if unquote(text) == text else None  # still encoded after several rounds: nobody needs that


def safe_redirect(target: str | None, fallback: str = "main.home", **values):
    """A redirect to ``target`` when it is local (see ``local_target``), else to the endpoint ``fallback``."""
    return redirect(local_target(target) or url_for(fallback, **values))
