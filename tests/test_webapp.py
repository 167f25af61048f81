"""The favicon, the home-screen icons and the web app manifest a phone reads to install the site."""

from __future__ import annotations

import io

import pytest
from PIL import Image


def test_every_page_links_the_icons_and_the_manifest(client):
    page = client.get("/").get_data(as_text=True)
    for link in ('<link rel="icon" href="/favicon.svg" type="image/svg+xml">', '<link rel="manifest" href="/manifest.webmanifest">',
                 '<link rel="apple-touch-icon" href="/icons/180.png">', '<meta name="theme-color"'):
        assert link in page


def test_the_manifest_lets_a_phone_install_the_site(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert manifest["name"] == "Library Engage" and manifest["display"] == "standalone"
    assert manifest["start_url"] == "/"
    sizes = {icon["sizes"] for icon in manifest["icons"] if icon["type"] == "image/png"}
    assert {"192x192", "512x512"} <= sizes  # what browsers need to offer "Add to home screen"
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200, icon


def test_the_manifest_speaks_chinese(client):
    manifest = client.get("/manifest.webmanifest", headers={"Accept-Language": "zh-CN"}).get_json(force=True)
    assert manifest["name"] == "图书馆互动平台"


@pytest.mark.parametrize("size", [32, 180, 192, 512])
def test_png_icons_have_the_size_they_claim(client, size):
    response = client.get(f"/icons/{size}.png")
    assert response.mimetype == "image/png" and "public" in response.headers["Cache-Control"]
    assert Image.open(io.BytesIO(response.data)).size == (size, size)


def test_the_maskable_icon_fills_its_square_and_other_sizes_are_refused(client):
    maskable = Image.open(io.BytesIO(client.get("/icons/maskable.png").data)).convert("RGBA")
    assert maskable.getpixel((0, 0))[3] == 255  # no transparent corners for the launcher to show
    assert client.get("/icons/4096.png").status_code == 404
    assert client.get("/icons/-1.png").status_code == 404


def test_favicons(client):
    svg = client.get("/favicon.svg")
    assert svg.mimetype == "image/svg+xml" and b"<script" not in svg.data and b"<style" not in svg.data
    ico = client.get("/favicon.ico")
    assert ico.mimetype == "image/x-icon" and Image.open(io.BytesIO(ico.data)).format == "ICO"
