"""Uploaded images, made safe: checked by content (never by name), size-limited, re-encoded
without metadata, and fingerprinted so a plugin can spot the same picture uploaded twice.

A public service for plugins: ``clean_image(data)`` returns a ``CleanImage`` or raises
``ImageError`` with a message in the reader's language. Plugins store the result's bytes in
their own tables and serve them with their own access rules (``core.files``). Decoding is
bounded by memory, not only by pixels: a 154 KB PNG that unpacks to 40 megapixels is refused
from its header, before a byte of it is decoded.
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass

from flask_babel import gettext as _

ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2048
# What one picture may take in a worker's memory while it is cleaned: the decoded picture plus
# its 4-byte-per-pixel copy when its mode must be converted. A 12-megapixel photo fits; a small
# file that unpacks to a huge picture does not, and is refused from its header before decoding.
MAX_DECODED_BYTES = 64 * 1024 * 1024
# A file that would unpack to more than this many times its own size, and too much memory, is a
# decompression bomb rather than merely a big picture.
BOMB_RATIO = 100
# EXIF orientation → the transposition that turns the picture upright (as ImageOps.exif_transpose).
_UPRIGHT = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE", 6: "ROTATE_270",
            7: "TRANSVERSE", 8: "ROTATE_90"}


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


def pixel_bytes(mode: str) -> int:
    """Bytes a Pillow image of ``mode`` takes per pixel in memory (multi-band pictures use 4)."""
    if mode in ("1", "L", "P"):
        return 1
    if mode.startswith("I;16"):
        return 2
    return 4


# Modes Pillow can shrink as they are; others (palettes, 16-bit) are converted at full size first.
_SHRINKABLE = ("RGB", "RGBA", "L", "LA", "CMYK", "YCbCr")


def decoded_bytes(mode: str, size: tuple[int, int], alpha: bool) -> int:
    """Memory a picture of ``mode`` and ``size`` needs at most while it is cleaned: decoded, plus
    the full-size copy Pillow makes to shrink it (premultiplied when it has an alpha channel) or
    to convert it first (to RGB, or to RGBA and then premultiplied)."""
    pixels = size[0] * size[1]
    if mode in _SHRINKABLE:
        copy = 4 if mode in ("RGBA", "LA") else 0
    else:
        copy = 8 if alpha else 4
    return pixels * (pixel_bytes(mode) + copy)


def _target(size: tuple[int, int], max_side: int, square: int | None) -> tuple[int, int]:
    """The smallest size the picture must keep to make the result: both sides at least ``square``,
    or the longer side ``max_side`` (never larger than the picture itself)."""
    width, height = size
    if square:
        scale = square / max(1, min(width, height))
    else:
        scale = max_side / max(1, width, height)
    scale = min(scale, 1.0)
    return max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))


def clean_image(data: bytes, *, max_bytes: int = MAX_BYTES, max_side: int = MAX_SIDE,
                square: int | None = None, png: bool = False,
                max_decoded_bytes: int = MAX_DECODED_BYTES) -> CleanImage:
    """Check ``data`` is a PNG, JPEG, WebP or GIF by its content, then re-encode it.

    The result is at most ``max_side`` pixels on its longer side (or ``square``×``square``,
    cropped to fit, when given), turned upright from its EXIF orientation, and carries no
    metadata: a PNG when the picture has transparency (or ``png`` is true), else a JPEG.

    Decoding is bounded: only the four formats' parsers run; the header's size is checked
    before any pixel is decoded (pixels, and memory: width × height × bytes per pixel, at most
    ``max_decoded_bytes``); a JPEG is decoded at a reduced scale when that is all the result
    needs; a large picture is shrunk before it is converted. A decompression bomb (a small file
    that unpacks to a huge picture) is refused with a message saying so. Raises ``ImageError``.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise ImageError(_("The file is empty."))
    if len(data) > max_bytes:
        raise ImageError(_("The image is larger than %(size)s MB.", size=f"{max_bytes / 1024 / 1024:g}"))
    try:
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as probe:
            probe.verify()  # the file's structure (chunks and checksums); decodes no pixels
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ImageError(_("The image has too many pixels (%(width)d × %(height)d); at most %(most)d "
                                   "million are accepted.", width=image.width, height=image.height,
                                   most=MAX_PIXELS // 1_000_000))
            target = _target(image.size, max_side, square)
            if image.format == "JPEG":
                image.draft(image.mode, target)  # decode at 1/2, 1/4 or 1/8 scale when that is enough
            has_alpha = png or image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            needed = decoded_bytes(image.mode, image.size, has_alpha)
            if needed > max_decoded_bytes:
                raise _too_big(image.size, needed, len(data), max_decoded_bytes)
            image.load()
            orientation = image.getexif().get(0x0112)
            mode = "RGBA" if has_alpha else "RGB"
            if image.mode in _SHRINKABLE:  # shrink first: the conversion then copies far fewer pixels
                image = _shrink(image, target)
            image = _shrink(image.convert(mode), target) if image.mode != mode else image
            if orientation in _UPRIGHT:
                image = image.transpose(getattr(Image.Transpose, _UPRIGHT[orientation]))
            if square:
                image = ImageOps.fit(image, (square, square), Image.LANCZOS)
            elif max(image.size) > max_side:
                image.thumbnail((max_side, max_side), Image.LANCZOS)
    except ImageError:
        raise
    except Image.DecompressionBombError:
        raise ImageError(_bomb_message()) from None
    except ValueError as exc:
        if "Decompressed" in str(exc):  # a PNG text or profile chunk that unpacks to too much
            raise ImageError(_bomb_message()) from None
        raise ImageError(_("This file is not a PNG, JPEG, WebP or GIF image.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, EOFError):
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


def _shrink(image, target: tuple[int, int]):
    """A picture much larger than ``target`` reduced by a whole factor first (cheap, and the
    resampling that follows then works on far fewer pixels)."""
    factor = min(image.width // target[0], image.height // target[1])
    return image.reduce(factor) if factor >= 2 else image


def _bomb_message() -> str:
    return _("This file is a “decompression bomb”: a small file that unpacks to a huge picture. It is refused.")


def _too_big(size: tuple[int, int], needed: int, file_bytes: int, limit: int) -> ImageError:
    """The refusal of a picture whose decoding would take more memory than ``limit``."""
    if needed > BOMB_RATIO * file_bytes:
        return ImageError(_bomb_message())
    return ImageError(_("The image is too large to process (%(width)d × %(height)d pixels, about %(mb)d MB once "
                        "opened; at most %(most)d MB). Upload a smaller picture.", width=size[0], height=size[1],
                        mb=-(-needed // (1024 * 1024)), most=limit // (1024 * 1024)))
