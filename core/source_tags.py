"""Source tags on the site's own links: which share page, QR code, screen slide or message
brought a visitor (``?src=<medium>.<campaign>``), for plugins that count reach.

Core and plugins tag the addresses they hand out with ``tagged_url``; whoever counts reads the
tag back with ``read_tag``. A tag names no person: only the medium and the thing shared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

PARAM = "src"
MEDIA = ("share", "qr", "screen", "message")
_CAMPAIGN = re.compile(r"^[a-z][a-z0-9_]{0,39}(:[A-Za-z0-9_.-]{1,60}){0,3}$")
MAX_LENGTH = 120


@dataclass(frozen=True)
class SourceTag:
    """Where a visit came from: ``medium`` (one of MEDIA) and ``campaign`` (``"<plugin>:<kind>:<id>"``)."""

    medium: str
    campaign: str

    def __str__(self) -> str:
        return f"{self.medium}.{self.campaign}"


def tagged_url(url: str, *, campaign: str, medium: str) -> str:
    """``url`` (absolute or a path) with its source tag; any earlier tag is replaced.

    ``campaign`` is what is shared, ``"<plugin>:<kind>:<id>"`` (e.g. ``"brand_stories:poll:12"``);
    ``medium`` is how: ``"share"`` (an address to copy), ``"qr"``, ``"screen"`` or ``"message"``.
    """
    tag = SourceTag(medium, campaign)
    if read_tag(str(tag)) is None:
        raise ValueError(f"not a valid source tag: {tag}")
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != PARAM]
    query.append((PARAM, str(tag)))
    return urlunsplit(parts._replace(query=urlencode(query, safe=":")))


def read_tag(value: str | None) -> SourceTag | None:
    """The tag in a ``src`` value, or None when it is missing or not one of ours."""
    if not value or len(value) > MAX_LENGTH or "." not in value:
        return None
    medium, campaign = value.split(".", 1)
    if medium not in MEDIA or not _CAMPAIGN.match(campaign):
        return None
    return SourceTag(medium, campaign)
