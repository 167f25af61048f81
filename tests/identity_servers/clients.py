"""Walking a real server's own login page with an HTTP client, as a browser would (the tests of
the provider plugins use these to get a ticket or a code the server really issued)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields, self.action = {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action") or ""
        if tag == "input" and attrs.get("name") and attrs.get("type") not in ("checkbox", "submit"):
            self.fields[attrs["name"]] = attrs.get("value") or ""


def form_on(page: requests.Response) -> tuple[str, dict]:
    parser = _Inputs()
    parser.feed(page.text)
    return urljoin(page.url, parser.action or page.url), parser.fields


def cas_ticket(login_url: str, username: str, password: str) -> str:
    """Sign in on the CAS server's login page (``login_url`` carries ``service``); the ticket it issues."""
    browser = requests.Session()
    page = browser.get(login_url, timeout=10)
    action, fields = form_on(page)
    fields.update(username=username, password=password)
    answer = browser.post(action, data=fields, allow_redirects=False, timeout=10)
    location = answer.headers.get("Location", "")
    match = re.search(r"[?&]ticket=([^&]+)", location)
    assert match, f"CAS did not issue a ticket ({answer.status_code}): {answer.text[:500]}"
    return match.group(1)


def oidc_callback(authorize_url: str, login: str, browser: requests.Session | None = None) -> str:
    """Sign in on oidc-provider's own login page; the callback address it sends the browser to."""
    browser = browser or requests.Session()
    answer = browser.get(authorize_url, allow_redirects=False, timeout=10)
    for _ in range(10):
        location = answer.headers.get("Location")
        if location is None:  # the login page
            action, fields = form_on(answer)
            fields.update(login=login, password="any")
            answer = browser.post(action, data=fields, allow_redirects=False, timeout=10)
            continue
        location = urljoin(answer.url, location)
        if "/signin/oidc/callback" in location:
            return location
        answer = browser.get(location, allow_redirects=False, timeout=10)
    raise AssertionError(f"oidc-provider did not send the browser back: {answer.status_code} {answer.text[:500]}")
