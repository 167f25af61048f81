"""Stored files answer with their owner's visibility (core.files): 404 when hidden, ``public``
caching only for what anyone may see, ``private`` otherwise; an image answer that says neither
is made private."""

from __future__ import annotations

from flask import make_response

from core.files import file_response


def probe(app):
    """Three image routes: hidden, private and public, and one that forgets its caching."""
    app.add_url_rule("/probe/hidden.png", "probe_hidden",
                     lambda: file_response(b"\x89PNG", "image/png", visible=False, public=True))
    app.add_url_rule("/probe/private.png", "probe_private",
                     lambda: file_response(b"\x89PNG", "image/png", visible=True, public=False))
    app.add_url_rule("/probe/public.png", "probe_public",
                     lambda: file_response(b"\x89PNG", "image/png", visible=True, public=True, max_age=60))

    def forgetful():
        response = make_response(b"\x89PNG")
        response.headers["Content-Type"] = "image/png"
        return response

    app.add_url_rule("/probe/forgetful.png", "probe_forgetful", forgetful)
    return app.test_client()


def test_hidden_files_answer_404(app):
    assert probe(app).get("/probe/hidden.png").status_code == 404


def test_private_files_are_kept_by_no_shared_cache(app):
    response = probe(app).get("/probe/private.png")
    assert response.status_code == 200 and response.headers["X-Content-Type-Options"] == "nosniff"
    cache = response.headers["Cache-Control"]
    assert "private" in cache and "no-cache" in cache and "public" not in cache
    assert "Cookie" in response.headers["Vary"]


def test_public_files_are_cached_and_revalidated_by_etag(app):
    client = probe(app)
    response = client.get("/probe/public.png")
    assert response.headers["Cache-Control"] == "public, max-age=60"
    again = client.get("/probe/public.png", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_an_image_answer_that_forgets_its_caching_is_private(app):
    assert probe(app).get("/probe/forgetful.png").headers["Cache-Control"] == "private"
