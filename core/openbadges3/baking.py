"""Baking: the badge's PNG with its Open Badges 3.0 credential inside, in an ``iTXt`` chunk keyworded
``openbadgecredential`` (what 3.0 specifies; 2.0's bakery writes ``openbadges``). Pillow writes the
chunk uncompressed, and reads it back for the verification page.
"""

from __future__ import annotations

import io
import json

from PIL import Image, PngImagePlugin, UnidentifiedImageError

KEYWORD = "openbadgecredential"


class NotBaked(ValueError):
    """An image that is not a PNG carrying an Open Badges 3.0 credential."""


def bake(png: bytes, credential: dict) -> bytes:
    """``png`` re-encoded with ``credential`` as its only text chunk (other metadata is dropped)."""
    info = PngImagePlugin.PngInfo()
    info.add_itxt(KEYWORD, json.dumps(credential, ensure_ascii=False), zip=False)
    out = io.BytesIO()
    with Image.open(io.BytesIO(png)) as image:
        image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def unbake(data: bytes) -> str:
    """The credential text baked into a PNG (NotBaked when there is none or it is not a PNG)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise NotBaked("not a PNG image")
            image.load()
            text = getattr(image, "text", {}).get(KEYWORD)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise NotBaked("not a readable PNG image") from error
    if not text:
        raise NotBaked("the image carries no Open Badges 3.0 credential")
    return str(text)
