"""The site's icon and web app manifest, so a phone can add the library to its home screen.

The brand mark (an open book with a bookmark on the header's teal) is drawn once here, as
shapes: ``/favicon.svg`` writes them as SVG and the PNG sizes a phone asks for (and
``/favicon.ico``) are painted from the same shapes with Pillow, so the mark has one source
and no binary files to keep in step. ``/manifest.webmanifest`` names the site in the
reader's language (browsers fetch it without cookies, so by ``Accept-Language``).
"""

from __future__ import annotations

import io
import json
from functools import lru_cache

from flask import Blueprint, abort, make_response, url_for
from flask_babel import gettext as _

from core.files import file_response

bp = Blueprint("webapp", __name__)

TEAL, AMBER, PAGE_LINE, RIBBON = "#0e4a50", "#e9b765", "#c9923e", "#a4481c"
SIZES = (32, 180, 192, 512)  # the favicon, Apple's touch icon, and the manifest's two
# On a 512 × 512 canvas: the background, then polygons drawn in order.
RADIUS = 112


def _lines(x_outer: int, x_spine: int) -> tuple:
    """Lines of text on one page, parallel to its top edge (which dips toward the spine)."""
    lines, slope = [], 30 / (x_spine - x_outer)
    for k in (52, 92, 132, 172):
        a, b = x_outer + (22 if x_outer < x_spine else -22), x_spine + (-22 if x_outer < x_spine else 22)
        ya, yb = 148 + k + slope * (a - x_outer), 148 + k + slope * (b - x_outer)
        lines.append((PAGE_LINE, ((a, round(ya)), (b, round(yb)), (b, round(yb) + 10), (a, round(ya) + 10))))
    return tuple(lines)


SHAPES: tuple = (
    (AMBER, ((92, 148), (246, 178), (246, 394), (92, 364))),      # left page
    (AMBER, ((420, 148), (266, 178), (266, 394), (420, 364))),    # right page
    (PAGE_LINE, ((246, 178), (266, 178), (266, 394), (246, 394))),  # the spine's shadow
    *_lines(92, 246), *_lines(420, 266),
    (RIBBON, ((330, 160), (370, 152), (370, 290), (350, 268), (330, 294))),  # the bookmark
)


def icon_svg() -> str:
    """The mark as an SVG document (no style element or script: any policy may show it)."""
    shapes = "".join(f'<polygon fill="{fill}" points="{" ".join(f"{x},{y}" for x, y in points)}"/>'
                     for fill, points in SHAPES)
    return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">'
            f'<rect width="512" height="512" rx="{RADIUS}" fill="{TEAL}"/>{shapes}</svg>')


@lru_cache(maxsize=len(SIZES) + 2)
def icon_png(size: int, fmt: str = "PNG", rounded: bool = True) -> bytes:
    """The mark as a ``size`` px square PNG (or ICO), painted large and scaled down for smooth edges.
    ``rounded=False`` fills the square, for launchers that cut their own shape (a "maskable" icon:
    the book stays inside the central circle they keep)."""
    from PIL import Image, ImageDraw

    big = size * 4
    scale = big / 512
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=int(RADIUS * scale) if rounded else 0, fill=TEAL)
    for fill, points in SHAPES:
        draw.polygon([(x * scale, y * scale) for x, y in points], fill=fill)
    image = image.resize((size, size), Image.LANCZOS)
    out = io.BytesIO()
    image.save(out, format=fmt, **({"sizes": [(size, size)]} if fmt == "ICO" else {"optimize": True}))
    return out.getvalue()


@bp.route("/favicon.svg")
def favicon_svg():
    return file_response(icon_svg().encode(), "image/svg+xml", visible=True, public=True, max_age=86400)


@bp.route("/favicon.ico")
def favicon_ico():
    """For browsers and tools that ask for the classic address whatever the page links to."""
    return file_response(icon_png(32, "ICO"), "image/x-icon", visible=True, public=True, max_age=86400)


@bp.route("/icons/<int:size>.png")
def icon(size: int):
    if size not in SIZES:
        abort(404)
    return file_response(icon_png(size), "image/png", visible=True, public=True, max_age=86400)


@bp.route("/icons/maskable.png")
def maskable_icon():
    return file_response(icon_png(512, rounded=False), "image/png", visible=True, public=True, max_age=86400)


@bp.route("/manifest.webmanifest")
def manifest():
    """The web app manifest: name, colours, start page and icons, in the reader's language."""
    document = {
        "name": _("Library Engage"),
        "short_name": _("Engage"),
        "description": _("Library Engage — the library and its readers, together."),
        "start_url": url_for("main.home"),
        "scope": url_for("main.home"),
        "display": "standalone",
        "background_color": "#f7f4ee",
        "theme_color": TEAL,
        "icons": [
            {"src": url_for("webapp.favicon_svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": url_for("webapp.icon", size=192), "sizes": "192x192", "type": "image/png"},
            {"src": url_for("webapp.icon", size=512), "sizes": "512x512", "type": "image/png"},
            {"src": url_for("webapp.maskable_icon"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    }
    response = make_response(json.dumps(document, ensure_ascii=False, indent=2))
    response.headers["Content-Type"] = "application/manifest+json"
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response
