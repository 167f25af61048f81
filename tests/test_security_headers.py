"""What every response tells the browser: CSP, no sniffing, referrers, features, framing, cookies."""

from __future__ import annotations

import pytest

from core.models import Role
from core.screens import make_token, save_screen
from core.testing import PASSWORD


def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split(None, 1)[1] if " " in part.strip() else ""
            for part in (p.strip() for p in policy.split(";")) if part}


def test_pages_carry_a_strict_policy(client):
    response = client.get("/")
    csp = _csp(response)
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'" and csp["base-uri"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]


@pytest.mark.parametrize("path", ["/static/engage.css", "/static/engage.js", "/vendor/htmx.min.js", "/nowhere",
                                  "/auth/login"])
def test_every_response_says_nosniff(client, path):
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_template_carries_inline_script_handlers_or_styles():
    """The policy would block them; behaviour lives in static files, looks in stylesheets."""
    import re
    from pathlib import Path

    root = Path(__file__).parent.parent
    bad = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>|\son[a-z]+\s*=|\sstyle\s*=|<style\b|javascript:", re.I)
    found = [f"{path.relative_to(root)}: {match.group(0)}"
             for path in [*root.glob("templates/**/*.html"), *root.glob("plugins/*/templates/**/*.html")]
             for match in bad.finditer(path.read_text(encoding="utf-8"))]
    assert not found, "\n".join(found)


def _screen(app, **config):
    with app.app_context(), app.extensions["engage.db"].write_session() as session:
        screen = save_screen(session, screen=None, name="Lobby", locale="en", seconds_per_slide=10,
                             slides=["board:all"], allowed={"board:all"}, actor_id=None)
        return f"/screen/{make_token(screen)}"


def test_the_screen_page_may_be_framed_only_by_the_listed_origins(app_factory):
    app = app_factory(SCREEN_FRAME_ANCESTORS=["https://signage.library.example", "'self'"])
    client = app.test_client()
    path = _screen(app)
    response = client.get(path)
    assert _csp(response)["frame-ancestors"] == "https://signage.library.example 'self'"
    assert "X-Frame-Options" not in response.headers
    assert _csp(client.get("/"))["frame-ancestors"] == "'none'"
    # the TV's polls, answered before Flask by the fast path, say nosniff too
    slide = client.get(path + "/slide?n=0")
    again = client.get(path + "/slide?n=0", headers={"If-None-Match": slide.headers["ETag"]})
    assert again.status_code == 304 and again.headers["X-Content-Type-Options"] == "nosniff"


def test_by_default_the_screen_page_cannot_be_framed(app):
    response = app.test_client().get(_screen(app))
    assert _csp(response)["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("origins", [["*"], ["https://a.example/path"], ["evil.example; script-src *"]])
def test_a_bad_frame_ancestor_stops_the_app(app_factory, origins):
    with pytest.raises(ValueError, match="SCREEN_FRAME_ANCESTORS"):
        app_factory(SCREEN_FRAME_ANCESTORS=origins)


def _session_cookie(response) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))


def test_cookies_are_secure_behind_a_trusted_proxy_that_says_https(app_factory, make_user):
    app = app_factory(TRUSTED_PROXIES=1)
    user = make_user()
    client = app.test_client()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD},
                           headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"})
    assert "; Secure" in _session_cookie(response) and "; HttpOnly" in _session_cookie(response)


def test_a_forged_proto_header_is_ignored_without_trusted_proxies(client, make_user):
    user = make_user()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD},
                           headers={"X-Forwarded-Proto": "https"})
    assert "; Secure" not in _session_cookie(response)


def test_secure_cookies_can_be_forced_and_hsts_sent(app_factory, make_user):
    app = app_factory(SECURE_COOKIES=True, HSTS_SECONDS=31536000)
    user = make_user()
    response = app.test_client().post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert "; Secure" in _session_cookie(response)
    secure = app.test_client().get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in app.test_client().get("/").headers


def test_the_admin_user_page_has_the_account_switch(app, make_user):
    admin = make_user(Role.admin)
    reader = make_user()
    client = app.test_client()
    client.post("/auth/login", data={"email": admin.email, "password": PASSWORD})
    page = client.get(f"/admin/users/{reader.id}").data.decode()
    assert "Deactivate account" in page and 'id="account-reason"' in page
