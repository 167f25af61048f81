"""The demo's brand characters and scenes, drawn as shapes by code.

Each picture is a list of shapes on a 400 × 400 canvas: filled outlines (``fill``) and brush
strokes (``stroke``). Round shapes are traced with a slight, seeded wobble so the artwork looks
hand-drawn. ``to_svg`` writes the shapes as an SVG document (polygons and polylines only: no
text is ever baked in, the page around a picture names it in the reader's language) and
``to_png`` paints the same shapes with Pillow, since stored pictures are raster images.
"""

from __future__ import annotations

import io
import math
import random

SIZE = 400
INK = "#2b2118"
CREAM = "#fdf3df"


def _wobbly_ellipse(rng, cx, cy, rx, ry, points=40, wobble=0.025, turn=0.0):
    out = []
    for k in range(points):
        a = 2 * math.pi * k / points
        r = 1 + rng.uniform(-wobble, wobble)
        x, y = rx * r * math.cos(a), ry * r * math.sin(a)
        out.append((cx + x * math.cos(turn) - y * math.sin(turn), cy + x * math.sin(turn) + y * math.cos(turn)))
    return out


class Sketch:
    """Shapes in drawing order; ``at``/``scale`` place a figure inside a larger scene."""

    def __init__(self, rng: random.Random, background: str):
        self.rng, self.background, self.shapes = rng, background, []
        self.dx, self.dy, self.k = 0.0, 0.0, 1.0

    def _p(self, pts):
        return [(round(self.dx + x * self.k, 1), round(self.dy + y * self.k, 1)) for x, y in pts]

    def place(self, dx=0.0, dy=0.0, k=1.0) -> Sketch:
        self.dx, self.dy, self.k = dx, dy, k
        return self

    def blob(self, fill, cx, cy, rx, ry=None, turn=0.0, wobble=0.025):
        self.shapes.append(("fill", fill, self._p(_wobbly_ellipse(self.rng, cx, cy, rx, ry or rx, wobble=wobble,
                                                                  turn=turn))))

    def poly(self, fill, pts):
        self.shapes.append(("fill", fill, self._p(pts)))

    def stroke(self, colour, pts, width=4):
        self.shapes.append(("stroke", colour, self._p(pts), max(1.0, round(width * self.k, 1))))

    def arc(self, colour, cx, cy, r, start, end, width=4):
        steps = 12
        pts = [(cx + r * math.cos(math.radians(start + (end - start) * i / steps)),
                cy + r * math.sin(math.radians(start + (end - start) * i / steps))) for i in range(steps + 1)]
        self.stroke(colour, pts, width)

    def eye(self, cx, cy, r, iris=INK, white="#ffffff"):
        self.blob(white, cx, cy, r)
        self.blob(iris, cx + r * 0.15, cy + r * 0.1, r * 0.5)
        self.blob("#ffffff", cx + r * 0.3, cy - r * 0.15, r * 0.16)


def to_svg(sketch: Sketch) -> str:
    """The shapes as an SVG document (no style element, script or text)."""
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}">',
             f'<rect width="{SIZE}" height="{SIZE}" rx="28" fill="{sketch.background}"/>']
    for shape in sketch.shapes:
        points = " ".join(f"{x:g},{y:g}" for x, y in shape[2])
        if shape[0] == "fill":
            parts.append(f'<polygon fill="{shape[1]}" points="{points}"/>')
        else:
            parts.append(f'<polyline fill="none" stroke="{shape[1]}" stroke-width="{shape[3]:g}" '
                         f'stroke-linecap="round" stroke-linejoin="round" points="{points}"/>')
    parts.append("</svg>")
    return "".join(parts)


def to_png(sketch: Sketch, size: tuple[int, int] = (SIZE, SIZE)) -> bytes:
    """The same shapes painted with Pillow at twice the size, then scaled down for smooth edges."""
    from PIL import Image, ImageDraw

    w, h = size
    s = 2 * min(w, h) / SIZE
    big = Image.new("RGB", (w * 2, h * 2), sketch.background)
    draw = ImageDraw.Draw(big)
    ox, oy = (w * 2 - SIZE * s) / 2, (h * 2 - SIZE * s) / 2  # a wide picture shows more of the sides
    for shape in sketch.shapes:
        pts = [(ox + x * s, oy + y * s) for x, y in shape[2]]
        if shape[0] == "fill":
            draw.polygon(pts, fill=shape[1])
        else:
            width = max(1, round(shape[3] * s))
            draw.line(pts, fill=shape[1], width=width, joint="curve")
            r = width / 2
            for x, y in (pts[0], pts[-1]):
                draw.ellipse((x - r, y - r, x + r, y + r), fill=shape[1])
    out = io.BytesIO()
    big.resize((w, h), Image.LANCZOS).save(out, "PNG", compress_level=1)  # clean_image re-encodes it
    return out.getvalue()


# --- the four characters ------------------------------------------------------------------


def bookworm(d: Sketch) -> None:
    """Little Scroll: a green bookworm with round glasses, rising out of an open book."""
    d.poly("#9b2226", [(60, 300), (200, 320), (340, 300), (350, 345), (200, 365), (50, 345)])  # cover
    d.poly(CREAM, [(70, 290), (196, 312), (196, 345), (66, 330)])
    d.poly("#f4e6c8", [(330, 290), (204, 312), (204, 345), (334, 330)])
    for k in range(3):
        d.stroke("#d9c29a", [(90, 302 + 9 * k), (180, 318 + 9 * k)], 3)
        d.stroke("#d9c29a", [(220, 318 + 9 * k), (312, 302 + 9 * k)], 3)
    for i, (x, y, r) in enumerate([(170, 300, 30), (150, 258, 32), (160, 212, 34), (195, 178, 36)]):
        d.blob("#7fb24a" if i % 2 else "#8cc152", x, y, r)
        d.stroke("#5e8f34", [(x - r * 0.7, y + r * 0.55), (x + r * 0.7, y + r * 0.55)], 3)
    d.blob("#9fd160", 238, 140, 58)  # head
    d.blob("#f4a6a0", 212, 168, 10)
    d.blob("#f4a6a0", 272, 170, 10)
    d.eye(220, 134, 15)
    d.eye(260, 136, 15)
    d.arc(INK, 220, 134, 22, 0, 360, 4)
    d.arc(INK, 262, 136, 22, 0, 360, 4)
    d.stroke(INK, [(242, 134), (240, 134)], 4)
    d.arc(INK, 242, 160, 12, 20, 160, 4)  # smile
    d.stroke("#5e8f34", [(220, 86), (206, 58)], 4)  # antennae
    d.stroke("#5e8f34", [(254, 84), (266, 56)], 4)
    d.blob("#e9b765", 205, 55, 8)
    d.blob("#e9b765", 268, 53, 8)


def cat(d: Sketch) -> None:
    """Little Ink: an ink-black cat with green eyes, holding a calligraphy brush."""
    d.stroke("#2f2a36", [(250, 330), (310, 320), (335, 280), (320, 240)], 16)  # tail
    d.blob("#3b3545", 190, 280, 82, 70)  # body
    d.blob("#4a4356", 190, 170, 72, 64)  # head
    d.poly("#3b3545", [(128, 140), (132, 80), (172, 118)])  # ears
    d.poly("#3b3545", [(252, 140), (248, 80), (208, 118)])
    d.poly("#e7a0a6", [(138, 128), (140, 96), (162, 118)])
    d.poly("#e7a0a6", [(242, 128), (240, 96), (218, 118)])
    for x in (162, 218):
        d.blob("#b7d36b", x, 168, 15, 13)
        d.poly(INK, [(x, 156), (x + 4, 168), (x, 180), (x - 4, 168)])
        d.blob("#ffffff", x + 5, 163, 3)
    d.poly("#e7a0a6", [(182, 192), (198, 192), (190, 201)])
    d.arc("#d9d2e0", 182, 204, 8, 20, 160, 3)
    d.arc("#d9d2e0", 198, 204, 8, 20, 160, 3)
    for y, dy in ((196, -6), (204, 0), (212, 6)):
        d.stroke("#d9d2e0", [(150, y), (110, y + dy)], 2)
        d.stroke("#d9d2e0", [(230, y), (270, y + dy)], 2)
    d.blob("#f2ecf5", 190, 292, 36, 40)  # chest
    d.stroke("#8a5a3b", [(120, 330), (260, 228)], 8)  # the brush's handle
    d.poly(INK, [(252, 222), (286, 196), (292, 206), (264, 236)])  # its tip
    d.blob("#4a4356", 150, 318, 22, 16)  # paws
    d.blob("#4a4356", 230, 318, 22, 16)
    d.blob(INK, 300, 352, 14, 7)  # a drop of ink


def seal(d: Sketch) -> None:
    """Little Seal: a grey harbour seal balancing a red seal-stamp."""
    d.poly("#7f8c9a", [(90, 320), (150, 250), (170, 180), (230, 170), (262, 230), (300, 300),
                       (340, 326), (300, 340), (140, 344)])  # body
    d.blob("#8e9bab", 200, 165, 62, 56)  # head
    d.blob("#c9d1d9", 200, 190, 34, 24)  # muzzle
    d.blob(INK, 200, 176, 10, 7)  # nose
    d.eye(176, 150, 12, iris="#1b1b24")
    d.eye(224, 150, 12, iris="#1b1b24")
    for y, dy in ((188, -6), (196, 2)):
        d.stroke("#5a6470", [(180, y), (146, y + dy)], 2)
        d.stroke("#5a6470", [(220, y), (254, y + dy)], 2)
    d.blob("#6c7885", 130, 300, 34, 14, turn=-0.5)  # flippers
    d.blob("#6c7885", 282, 298, 34, 14, turn=0.5)
    d.blob("#a4b0bd", 170, 236, 10)  # spots
    d.blob("#a4b0bd", 250, 262, 8)
    d.blob("#a4b0bd", 214, 292, 11)
    d.poly("#b83227", [(178, 58), (222, 58), (222, 104), (178, 104)])  # the stamp, on its nose
    d.poly("#8a2219", [(186, 40), (214, 40), (214, 58), (186, 58)])
    d.poly("#c0392b", [(60, 70), (110, 70), (110, 120), (60, 120)])  # a red mark, already stamped
    d.stroke(CREAM, [(72, 82), (98, 82), (98, 108), (72, 108), (72, 82)], 4)
    d.stroke(CREAM, [(85, 82), (85, 108)], 4)


def owl(d: Sketch) -> None:
    """Little Lantern: a brown owl librarian in spectacles, holding up a lantern."""
    d.poly("#7a4b2a", [(130, 110), (142, 60), (176, 100)])  # ear tufts
    d.poly("#7a4b2a", [(270, 110), (258, 60), (224, 100)])
    d.blob("#8a5a3b", 200, 220, 100, 130)  # body
    d.blob("#e8c79a", 200, 262, 62, 78)  # belly
    for y in (230, 258, 286):
        for x in (176, 200, 224):
            d.arc("#c9a26f", x, y, 9, 20, 160, 3)
    d.blob("#a06c45", 112, 240, 28, 70, turn=0.25)  # wings
    d.blob("#a06c45", 288, 240, 28, 70, turn=-0.25)
    d.blob(CREAM, 165, 152, 34)  # eye discs
    d.blob(CREAM, 235, 152, 34)
    d.eye(165, 152, 20, iris="#3a2414", white="#f6c453")
    d.eye(235, 152, 20, iris="#3a2414", white="#f6c453")
    d.arc("#3a2414", 165, 152, 30, 0, 360, 4)  # spectacles
    d.arc("#3a2414", 235, 152, 30, 0, 360, 4)
    d.stroke("#3a2414", [(195, 150), (205, 150)], 4)
    d.poly("#e59f3c", [(190, 180), (210, 180), (200, 204)])  # beak
    d.stroke("#e59f3c", [(170, 348), (170, 362)], 8)  # feet
    d.stroke("#e59f3c", [(230, 348), (230, 362)], 8)
    d.stroke("#5a3a20", [(300, 210), (330, 214), (334, 236)], 4)  # the lantern's handle
    d.blob("#ffe7a3", 334, 276, 46, 46, wobble=0.05)  # its glow
    d.poly("#c0392b", [(316, 240), (352, 240), (360, 292), (308, 292)])
    d.poly("#f6c453", [(322, 252), (346, 252), (350, 284), (318, 284)])
    d.poly("#5a3a20", [(312, 234), (356, 234), (356, 242), (312, 242)])


FIGURES = {"bookworm": bookworm, "cat": cat, "seal": seal, "owl": owl}


def character(kind: str, background: str, seed: int) -> Sketch:
    """One character on its own warm card."""
    d = Sketch(random.Random(seed), background)
    d.blob(_tint(background), 200, 372, 140, 18)  # a soft shadow underfoot
    FIGURES[kind](d)
    return d


def _tint(colour: str, by: float = 0.88) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"#{round(r * by):02x}{round(g * by):02x}{round(b * by):02x}"


def scene(kinds: list[str], background: str, seed: int, *, moon: bool = True, wide: bool = False) -> Sketch:
    """Characters together under a sky: an episode's picture (``wide``, 16:10) or a contest design."""
    rng = random.Random(seed)
    d = Sketch(rng, background)
    span = 640 if wide else 400  # canvas units across the finished picture
    left = (400 - span) / 2
    if moon:
        d.blob("#fbe7a1", left + span - 90, 80, 40)
        for _ in range(16):
            d.blob("#fdf3df", rng.uniform(left + 20, left + span - 20), rng.uniform(30, 150), rng.uniform(1.5, 3.5))
    d.poly(_tint(background, 0.7), [(left, 320), (left + span * 0.3, 300), (left + span * 0.65, 312),
                                    (left + span, 296), (left + span, 400), (left, 400)])
    k = min(0.6, 0.92 * span / (400 * len(kinds)))
    for n, kind in enumerate(kinds):
        x = left + (span - k * 400 * len(kinds)) / 2 + n * k * 400
        FIGURES[kind](d.place(x, 370 - k * 400, k))
    d.place()
    return d
