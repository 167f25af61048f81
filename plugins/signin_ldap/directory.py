"""Checking a user name and password against the directory with ldap3: a bind as the person
(their DN from a template, or found by a search account), then their entry's attributes.
Every connection has connect and receive timeouts."""

from __future__ import annotations

from dataclasses import dataclass

from ldap3 import ALL_ATTRIBUTES, SUBTREE, Connection, Server
from ldap3.core.exceptions import LDAPException, LDAPSocketOpenError, LDAPSocketReceiveError
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

DEFAULT_TIMEOUT = 10


class DirectoryProblem(Exception):
    """``kind``: ``wrong`` (unknown person or wrong password), ``timeout``, ``unreachable``, ``setup``."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(detail or kind)
        self.kind = kind


@dataclass(frozen=True)
class Person:
    """Who bound: their entry's DN, stable id and attributes."""

    dn: str
    subject: str
    attributes: dict


def _server(settings: dict) -> Server:
    timeout = int(settings.get("timeout") or DEFAULT_TIMEOUT)
    return Server(settings["server_url"], connect_timeout=timeout, get_info=None)


def _connection(settings: dict, user: str | None, password: str | None) -> Connection:
    timeout = int(settings.get("timeout") or DEFAULT_TIMEOUT)
    connection = Connection(_server(settings), user=user, password=password, receive_timeout=timeout,
                            raise_exceptions=False, auto_bind=False)
    try:
        connection.open()
        if (settings.get("starttls") or "no") == "yes":
            connection.start_tls()
        bound = connection.bind()
    except LDAPSocketReceiveError as exc:
        raise DirectoryProblem("timeout", str(exc)) from exc
    except LDAPSocketOpenError as exc:
        kind = "timeout" if "timed out" in str(exc).lower() else "unreachable"
        raise DirectoryProblem(kind, str(exc)) from exc
    except LDAPException as exc:
        raise DirectoryProblem("unreachable", str(exc)) from exc
    if not bound:
        connection.unbind()
        raise DirectoryProblem("wrong" if user else "setup", str(connection.result))
    return connection


def _find_dn(settings: dict, username: str, search_password: str | None) -> str:
    if settings.get("bind_dn_template"):
        return settings["bind_dn_template"].replace("{username}", escape_rdn(username))
    connection = _connection(settings, settings.get("search_dn") or None, search_password)
    try:
        query = (settings.get("user_filter") or "(uid={username})").replace("{username}", escape_filter_chars(username))
        connection.search(settings["base_dn"], query, SUBTREE, attributes=[])
        entries = [e for e in connection.response or [] if e.get("type") == "searchResEntry"]
    except LDAPException as exc:
        raise DirectoryProblem("unreachable", str(exc)) from exc
    finally:
        connection.unbind()
    if len(entries) != 1:
        raise DirectoryProblem("wrong", f"{len(entries)} entries found")
    return entries[0]["dn"]


def check_password(settings: dict, search_password: str | None, username: str, password: str) -> Person:
    """The person whose user name and password these are; DirectoryProblem otherwise."""
    username = (username or "").strip()
    # An empty password is an unauthenticated bind, which many directories accept: never a sign-in.
    if not username or not password:
        raise DirectoryProblem("wrong", "empty user name or password")
    dn = _find_dn(settings, username, search_password)
    connection = _connection(settings, dn, password)
    try:
        connection.search(dn, "(objectClass=*)", "BASE", attributes=ALL_ATTRIBUTES)
        entry = next((e for e in connection.response or [] if e.get("type") == "searchResEntry"), None)
    except LDAPException as exc:
        raise DirectoryProblem("unreachable", str(exc)) from exc
    finally:
        connection.unbind()
    attributes = {}
    for name, value in ((entry or {}).get("attributes") or {}).items():
        if name.lower() == "userpassword":
            continue
        values = value if isinstance(value, list) else [value]
        attributes[name] = [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values]
    subject_attribute = settings.get("subject_attribute") or "uid"
    subject = next(iter(attributes.get(subject_attribute) or []), None) or dn
    return Person(dn, subject, attributes)
