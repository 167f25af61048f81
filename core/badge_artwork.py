"""Badge artwork: a generated SVG emblem by default, or an uploaded image checked and re-encoded."""

from __future__ import annotations

import colorsys
import hashlib
import math

from sqlmodel import Session

from core.badges import BadgeError, BadgeRule
from core.images import ImageError, clean_image
from core.models import AuditEntry, BadgeImage, utcnow

MAX_UPLOAD_BYTES = 1024 * 1024
ARTWORK_SIZE = 256


def badge_colour(key: str) -> tuple[str, str]:
    """A deterministic (main, dark) colour pair for a badge key."""
    digest = hashlib.sha256(key.encode()).digest()
    hue = digest[0] / 255
    light, sat = 0.34 + digest[1] / 255 * 0.06, 0.55 + digest[2] / 255 * 0.2

    def hexa(l: float) -> str:
        r, g, b = colorsys.hls_to_rgb(hue, l, sat)
        return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"

    return hexa(light), hexa(light - 0.18)


def star_points(key: str) -> list[tuple[float, float]]:
    """The emblem's mark: a star centred on the medal, five to eight points chosen by the badge key.
    A shape, not letters, so the same image reads in every language (the page names the badge)."""
    digest = hashlib.sha256(key.encode()).digest()
    points, outer, inner = 5 + digest[3] % 4, 56, 56 * (0.42 + digest[4] / 255 * 0.12)
    corners = []
    for n in range(points * 2):
        angle = math.pi * n / points - math.pi / 2
        radius = outer if n % 2 == 0 else inner
        corners.append((round(128 + radius * math.cos(angle), 1), round(110 + radius * math.sin(angle), 1)))
    return corners


def emblem_svg(rule: BadgeRule) -> str:
    """A generated medal on a ribbon for badges without uploaded artwork."""
    main, dark = badge_colour(rule.key)
    star = " ".join(f"{x},{y}" for x, y in star_points(rule.key))
    return f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 256 256" width="256" height="256" aria-hidden="true">
<path d="M82 150 L52 244 L88 228 L108 254 L128 170 Z" fill="{dark}"/>
<path d="M174 150 L204 244 L168 228 L148 254 L128 170 Z" fill="{dark}"/>
<circle cx="128" cy="110" r="96" fill="#e9b765"/>
<circle cx="128" cy="110" r="84" fill="{main}"/>
<circle cx="128" cy="110" r="70" fill="none" stroke="#ffffff" stroke-opacity="0.55" stroke-width="3" stroke-dasharray="6 6"/>
<polygon points="{star}" fill="#ffffff"/>
</svg>
"""


def process_upload(data: bytes) -> bytes:
    """Check an uploaded image by its content and re-encode it as a 256×256 PNG without metadata."""
    try:
        return clean_image(data, max_bytes=MAX_UPLOAD_BYTES, square=ARTWORK_SIZE, png=True).data
    except ImageError as exc:
        raise BadgeError(str(exc)) from None


def save_artwork(session: Session, *, key: str, data: bytes, actor_id: int) -> None:
    """Store uploaded artwork for a badge after checking and re-encoding it; audited."""
    png = process_upload(data)
    row = session.get(BadgeImage, key) or BadgeImage(badge_key=key, data=png)
    row.data, row.content_type, row.updated_at = png, "image/png", utcnow()
    session.add(row)
    session.add(AuditEntry(actor_id=actor_id, action="badge.artwork", target=f"badge:{key}",
                           detail=f"{len(png)} bytes"))
