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
    (encoded(Image.new("RGB", (8, 8)), "BMP"), "not a PNG, JPEG, WebP or GIF"),  # no other parser runs
    (b"0" * (6 * 1024 * 1024), "larger than 5 MB"),
])
def test_disguised_empty_or_oversized_uploads_are_refused(app, data, message):
    with app.test_request_context(), pytest.raises(ImageError, match=message):
        clean_image(data)


# --- bounded decoding ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bomb() -> bytes:
    """The crafted upload: a 154 KB PNG that unpacks to 7290 × 5450 RGBA pixels (39.7 megapixels,
    under the pixel limit; 159 MB decoded)."""
    from bench.image_upload import crafted_png

    return crafted_png()


def never_decoded(monkeypatch):
    """Fail the test if any picture's pixels are decoded."""
    from PIL import ImageFile

    def refuse(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


def test_a_decompression_bomb_is_refused_from_its_header(app, bomb, monkeypatch):
    assert len(bomb) < 160_000
    never_decoded(monkeypatch)
    with app.test_request_context(), pytest.raises(ImageError, match="decompression bomb"):
        clean_image(bomb)


def test_pillows_own_bomb_check_gives_the_same_clear_message(app):
    from bench.image_upload import crafted_png

    huge = crafted_png(20_000, 9_000)  # 180 megapixels: Pillow itself refuses to open it
    with app.test_request_context(), pytest.raises(ImageError, match="decompression bomb"):
        clean_image(huge)


def test_a_text_chunk_bomb_is_refused(app):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("comment", "0" * (2 * 1024 * 1024), zip=True)  # 2 MB of text in a few KB
    data = encoded(Image.new("RGB", (8, 8)), "PNG", pnginfo=info)
    assert len(data) < 20_000
    with app.test_request_context(), pytest.raises(ImageError, match="decompression bomb"):
        clean_image(data)


def test_a_picture_too_big_for_memory_is_refused_with_its_size(app, monkeypatch):
    import random

    rng = random.Random(3)
    noisy = Image.frombytes("RGB", (400, 300), bytes(rng.randrange(256) for _ in range(400 * 300 * 3)))
    data = encoded(noisy, "PNG")
    never_decoded(monkeypatch)
    with app.test_request_context(), pytest.raises(ImageError, match=r"too large to process \(400 × 300 pixels"):
        clean_image(data, max_decoded_bytes=100_000)


def test_memory_is_counted_by_bytes_per_pixel_not_pixels_alone(app):
    from core.images import decoded_bytes

    assert decoded_bytes("RGB", (1000, 1000), False) == 4_000_000      # Pillow keeps RGB in 4 bytes
    assert decoded_bytes("RGBA", (1000, 1000), True) == 8_000_000      # plus its premultiplied copy
    assert decoded_bytes("L", (1000, 1000), False) == 1_000_000
    assert decoded_bytes("P", (1000, 1000), True) == 9_000_000         # converted, then premultiplied


def test_a_big_jpeg_is_decoded_at_a_reduced_scale(app):
    photo = Image.linear_gradient("L").resize((6000, 4000)).convert("RGB")
    data = encoded(photo, "JPEG", quality=60)
    # Decoded in full it would need 96 MB; at half scale 24 MB, within a 64 MB budget.
    with app.test_request_context():
        clean = clean_image(data, max_bytes=10 * 1024 * 1024)
    assert (clean.width, clean.height) == (2048, 1365)


def test_orientation_survives_the_reduced_decode(app):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90°
    wide = Image.linear_gradient("L").resize((5000, 2000)).convert("RGB")
    data = encoded(wide, "JPEG", exif=exif.tobytes(), quality=60)
    with app.test_request_context():
        clean = clean_image(data, max_bytes=10 * 1024 * 1024)
    assert (clean.width, clean.height) == (819, 2048)  # upright: the wide picture stands
