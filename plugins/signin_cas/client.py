"""Talking to the CAS server with python-cas: the login address, ticket validation with a bounded
timeout, the logout address, and reading the server's single-logout request."""

from __future__ import annotations

import requests
from cas import CASClient, CASClientV3

DEFAULT_TIMEOUT = 10


class BoundedSession(requests.Session):
    """A requests session whose every call gives up after ``timeout`` seconds (python-cas sets none)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


def client_for(settings: dict, service_url: str):
    """A python-cas client for the server in ``settings`` (``server_url``, ``version``, ``timeout``)."""
    server_url = settings["server_url"].rstrip("/") + "/"
    version = 2 if str(settings.get("version") or "3").strip() == "2" else 3
    timeout = int(settings.get("timeout") or DEFAULT_TIMEOUT)
    return CASClient(version=version, service_url=service_url, server_url=server_url,
                     session=BoundedSession(timeout))


def tickets_to_end(logout_request: str) -> list[str]:
    """The service tickets a CAS single-logout request names (none when it is not one)."""
    nodes = CASClientV3.get_saml_slos(logout_request) or []
    return [node.text.strip() for node in nodes if node.text and node.text.strip()]
