"""core.images: uploads are checked by content, re-encoded without metadata, and fingerprinted."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from core.images import ImageError, clean_image


def encoded(image, fmt, **kwargs) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def gradient(size=(300, 200)):
    image = Image.new("RGB", size)
    image.putdata([(x % 256, y % 256, (x * y) % 256) for y in range(size[1]) for x in range(size[0])])
    return image


def test_photo_is_reencoded_without_metadata(app):
    exif = Image.Exif()
    exif[0x0110] = "SecretCamera"  # camera model
    exif[0x0112] = 6  # orientation: rotate 90°
    data = encoded(gradient(), "JPEG", exif=exif.tobytes())
    with app.test_request_context():
        clean = clean_image(data)
    assert clean.content_type == "image/jpeg" and clean.extension == "jpg"
    assert b"SecretCamera" not in clean.data
    with Image.open(io.BytesIO(clean.data)) as image:
        assert not image.getexif() and (image.width, image.height) == (200, 300)  # turned upright


def test_transparency_keeps_png_and_large_images_shrink(app):
    big = Image.new("RGBA", (3000, 1000), (10, 20, 30, 0))
    with app.test_request_context():
        clean = clean_image(encoded(big, "PNG"))
        square = clean_image(encoded(gradient(), "PNG"), square=64, png=True)
    assert clean.content_type == "image/png" and (clean.width, clean.height) == (2048, 683)
    assert square.content_type == "image/png" and (square.width, square.height) == (64, 64)


def test_same_picture_resaved_has_the_same_fingerprint(app):
    picture = gradient()
    with app.test_request_context():
        first = clean_image(encoded(picture, "PNG"))
        again = clean_image(encoded(picture, "JPEG", quality=70))
        other = clean_image(encoded(picture.transpose(Image.FLIP_LEFT_RIGHT), "PNG"))
    assert first.fingerprint == again.fingerprint
    assert first.fingerprint != other.fingerprint and first.sha256 != again.sha256


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty."),
    (b"<script>alert(1)</script>" * 4, "not a PNG, JPEG, WebP or GIF"),
    (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "not a PNG, JPEG, WebP or GIF"),  # a PNG signature, then junk
    (encoded(Image.new("RGB", (8, 8)), "BMP"), "Upload a PNG, JPEG, WebP or GIF image."),
    (b"0" * (6 * 1024 * 1024), "larger than 5 MB"),
])
def test_disguised_empty_or_oversized_uploads_are_refused(app, data, message):
    with app.test_request_context(), pytest.raises(ImageError, match=message):
        clean_image(data)
