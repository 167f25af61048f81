"""Where a webhook may be sent: http(s) URLs whose host resolves to public addresses only.

A URL that points at this server, or whose host resolves to a private, loopback, link-local,
multicast, reserved or unspecified address, is refused (server-side request forgery: an
administrator's form must not become a way to reach the campus network or the cloud metadata
service) unless the ``WEBHOOK_ALLOW_PRIVATE`` setting allows it. The check runs when the URL is
saved and again at each delivery against the addresses then resolved, and the request goes to
exactly the address checked (DNS rebinding cannot swap it in between).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _


class AddressRefused(ValueError):
    """The URL may not receive webhooks; the message says why in the reader's language."""


@dataclass(frozen=True)
class Target:
    """A checked URL: its scheme, host name, port, and the address to connect to."""

    scheme: str
    host: str
    port: int
    address: str


def _is_public(address: ipaddress._BaseAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _own_hosts() -> set[str]:
    hosts = {"localhost"}
    for setting in ("PUBLIC_BASE_URL", "SERVER_NAME"):
        value = current_app.config.get(setting) or ""
        host = urlsplit(value if "//" in value else f"//{value}").hostname
        if host:
            hosts.add(host.lower())
    return hosts


def _own_addresses(resolve) -> set:
    """The addresses this site's own host names resolve to (kept a minute): a URL that reaches
    them by another name, or by number, is this site too."""
    cached = current_app.extensions.get("engage.webhooks.own")
    if cached and time.monotonic() - cached[0] < 60:
        return cached[1]
    found = set()
    for host in _own_hosts() - {"localhost"}:
        try:
            found |= {ipaddress.ip_address(info[4][0].split("%", 1)[0])
                      for info in resolve(host, None, type=socket.SOCK_STREAM)}
        except (OSError, UnicodeError, ValueError):
            continue
    current_app.extensions["engage.webhooks.own"] = (time.monotonic(), found)
    return found


def check_url(url: str, *, resolve=socket.getaddrinfo) -> Target:
    """The address ``url`` may be sent to, or AddressRefused with a message saying why."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise AddressRefused(_("This is not a web address.")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressRefused(_("The address must start with https:// or http:// and name a host."))
    if parts.username or parts.password:
        raise AddressRefused(_("The address may not carry a user name or password."))
    host = parts.hostname.lower()
    port = port or (443 if parts.scheme == "https" else 80)
    allow_private = bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE"))
    if not allow_private and host in _own_hosts():
        raise AddressRefused(_("The address points at this site itself."))
    try:
        found = resolve(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise AddressRefused(_("The host %(host)s cannot be found.", host=host)) from None
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in found]
    if not addresses:
        raise AddressRefused(_("The host %(host)s cannot be found.", host=host))
    if not allow_private:
        if set(addresses) & _own_addresses(resolve):
            raise AddressRefused(_("The address points at this site itself."))
        for address in addresses:
            if not _is_public(address):
                raise AddressRefused(_("The address %(host)s leads to a private or local network "
                                       "address (%(address)s), where webhooks are not sent.",
                                       host=host, address=str(address)))
    return Target(parts.scheme, host, port, str(addresses[0]))
