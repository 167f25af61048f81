"""Uploaded images, made safe: checked by content (never by name), size-limited, re-encoded
without metadata, and fingerprinted so a plugin can spot the same picture uploaded twice.

A public service for plugins: ``clean_image(data)`` returns a ``CleanImage`` or raises
``ImageError`` with a message in the reader's language. Plugins store the result's bytes in
their own tables and serve them with their own access rules.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from flask_babel import gettext as _

ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2048


class ImageError(ValueError):
    """An upload that is not an acceptable image; the message is for the uploader."""


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded image: ``data`` in ``content_type``, its size, and two fingerprints.

    ``sha256`` identifies these exact bytes; ``fingerprint`` (a 64-bit difference hash, as
    16 hex digits) is the same for the same picture re-saved, resized or stripped of metadata.
    """

    data: bytes
    content_type: str
    width: int
    height: int
    sha256: str
    fingerprint: str

    @property
    def extension(self) -> str:
        return "png" if self.content_type == "image/png" else "jpg"


def difference_hash(image) -> str:
    """A 64-bit dHash of a Pillow image: 9×8 greyscale, one bit per horizontal gradient."""
    from PIL import Image

    small = image.convert("L").resize((9, 8), Image.LANCZOS)
    pixels = small.tobytes()  # one byte per pixel in mode "L"
    bits = 0
    for row in range(8):
        for col in range(8):
            left, right = pixels[row * 9 + col], pixels[row * 9 + col + 1]
            bits = (bits << 1) | (left > right)
    return f"{bits:016x}"


def clean_image(data: bytes, *, max_bytes: int = MAX_BYTES, max_side: int = MAX_SIDE,
                square: int | None = None, png: bool = False) -> CleanImage:
    """Check ``data`` is a PNG, JPEG, WebP or GIF by its content, then re-encode it.

    The result is at most ``max_side`` pixels on its longer side (or ``square``×``square``,
    cropped to fit, when given), turned upright from its EXIF orientation, and carries no
    metadata: a PNG when the picture has transparency (or ``png`` is true), else a JPEG.
    Raises ``ImageError``.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise ImageError(_("The file is empty."))
    if len(data) > max_bytes:
        raise ImageError(_("The image is larger than %(size)s MB.", size=f"{max_bytes / 1024 / 1024:g}"))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            width, height = probe.size
            probe.verify()
        if kind not in ACCEPTED_FORMATS:
            raise ImageError(_("Upload a PNG, JPEG, WebP or GIF image."))
        if width * height > MAX_PIXELS:
            raise ImageError(_("The image has too many pixels."))
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
            has_alpha = has_alpha or png
            image = image.convert("RGBA" if has_alpha else "RGB")
            if square:
                image = ImageOps.fit(image, (square, square), Image.LANCZOS)
            elif max(image.size) > max_side:
                image.thumbnail((max_side, max_side), Image.LANCZOS)
    except ImageError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ImageError(_("This file is not a PNG, JPEG, WebP or GIF image.")) from None
    clean = Image.new(image.mode, image.size)  # a fresh image: no EXIF, no text chunks, no profile
    clean.paste(image)
    out = io.BytesIO()
    if has_alpha:
        clean.save(out, format="PNG", optimize=True)
        content_type = "image/png"
    else:
        clean.save(out, format="JPEG", quality=85, optimize=True)
        content_type = "image/jpeg"
    encoded = out.getvalue()
    return CleanImage(encoded, content_type, clean.width, clean.height,
                      hashlib.sha256(encoded).hexdigest(), difference_hash(clean))
