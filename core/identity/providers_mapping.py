"""Attribute mapping: what a provider released becomes account fields, by rules an administrator
sets per provider. Display name, email, student or staff number, faculty; role rules (an
attribute's value makes a librarian or an administrator); and who may sign in at all."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlmodel import Session

from core.identity.faculties import resolve_faculty
from core.identity.providers import SignInRefused, setting
from core.models import Role

FIELDS = ("display_name", "email", "member_number", "faculty")
DEFAULT_MAPPING = {"display_name": "displayName", "email": "mail", "member_number": "", "faculty": "",
                   "role_rules": "", "allow": ""}
NUMBER = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
_RULE = re.compile(r"^\s*([^=\s]+)\s*=\s*(.+?)\s*->\s*(student|librarian|admin)\s*$")
_ALLOW = re.compile(r"^\s*([^=\s]+)\s*=\s*(.+?)\s*$")


class MappingError(ValueError):
    """A rule an administrator wrote that cannot be read; ``field`` names the form field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class MappedProfile:
    """Account fields from one sign-in's attributes (None: the provider did not say)."""

    display_name: str | None
    email: str | None
    member_number: str | None
    cohort: str | None
    role: str | None


def normalise_attributes(raw) -> dict[str, list[str]]:
    """Attributes as ``{name: [text, …]}`` whatever shape the server sent (one value or a list)."""
    attributes = {}
    for name, value in (raw or {}).items():
        values = value if isinstance(value, (list, tuple, set)) else [value]
        attributes[str(name)] = [str(v) for v in values if v is not None and str(v).strip() != ""]
    return attributes


def parse_rules(text: str) -> list[tuple[str, str, str]]:
    """Role rules, one a line: ``attribute=value -> role`` (role: student, librarian or admin)."""
    rules = []
    for number, line in enumerate((text or "").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _RULE.match(line)
        if not match:
            raise MappingError(_("Line %(n)d is not a rule like “groups=staff -> librarian”.", n=number), "role_rules")
        rules.append((match.group(1), match.group(2), match.group(3)))
    return rules


def parse_allow(text: str) -> list[tuple[str, str]]:
    """Who may sign in, one condition a line: ``attribute=value`` (``*`` for any value); any
    condition met lets the person in; no conditions let everyone in."""
    conditions = []
    for number, line in enumerate((text or "").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _ALLOW.match(line)
        if not match or "->" in line:
            raise MappingError(_("Line %(n)d is not a condition like “affiliation=student”.", n=number), "allow")
        conditions.append((match.group(1), match.group(2)))
    return conditions


def check_mapping(mapping: dict) -> dict:
    """``mapping`` cleaned (attribute names trimmed, rules readable), or MappingError."""
    cleaned = {name: (mapping.get(name) or "").strip() for name in FIELDS}
    for name in FIELDS:
        if len(cleaned[name]) > 100 or any(ch.isspace() for ch in cleaned[name]):
            raise MappingError(_("An attribute name is one word, at most 100 characters."), name)
    cleaned["role_rules"] = (mapping.get("role_rules") or "").strip()
    cleaned["allow"] = (mapping.get("allow") or "").strip()
    parse_rules(cleaned["role_rules"])
    parse_allow(cleaned["allow"])
    return cleaned


def mapping_for(session: Session, key: str, default: dict | None = None) -> dict:
    """Provider ``key``'s mapping: the administrator's, else the provider's default."""
    try:
        stored = json.loads(setting(session, key).mapping or "{}")
    except ValueError:
        stored = {}
    return {**DEFAULT_MAPPING, **(default or {}), **(stored if isinstance(stored, dict) else {})}


def faculty_for(session: Session, value: str | None) -> str | None:
    """The faculty an attribute names, as stored in ``User.cohort``: the code of the managed
    faculty whose code or English or Chinese name it is (``core.identity.faculties.resolve_faculty``),
    or None when the library's list has no such faculty — a campus's free text never becomes one."""
    faculty = resolve_faculty(session, value)
    return faculty.code if faculty is not None else None


def _matches(attributes: dict, name: str, wanted: str) -> bool:
    values = attributes.get(name) or []
    if wanted == "*":
        return bool(values)
    return any(v.strip().casefold() == wanted.strip().casefold() for v in values)


def _first(attributes: dict, name: str) -> str | None:
    if not name:
        return None
    values = attributes.get(name) or []
    return values[0].strip() if values else None


def map_attributes(session: Session, mapping: dict, attributes: dict) -> MappedProfile:
    """The account fields ``attributes`` give under ``mapping``; SignInRefused when the person may
    not sign in, or an attribute is malformed."""
    attributes = normalise_attributes(attributes)
    conditions = parse_allow(mapping.get("allow", ""))
    if conditions and not any(_matches(attributes, name, value) for name, value in conditions):
        raise SignInRefused(_("Your campus account is not among those allowed to use this site. "
                              "Ask the library if you think it should be."))
    display_name = _first(attributes, mapping.get("display_name", ""))
    if display_name is not None:
        display_name = " ".join(display_name.split())
        if not display_name or len(display_name) > 60:
            raise SignInRefused(_("The name your campus account sent is empty or longer than 60 characters."), 400)
    email = _first(attributes, mapping.get("email", ""))
    if email is not None:
        try:
            email = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            raise SignInRefused(_("The email address your campus account sent is not a valid address."), 400) from None
        if len(email) > 254:
            raise SignInRefused(_("The email address your campus account sent is not a valid address."), 400)
    number = _first(attributes, mapping.get("member_number", ""))
    if number is not None and not NUMBER.match(number):
        raise SignInRefused(_("The student or staff number your campus account sent is not a valid number."), 400)
    cohort = faculty_for(session, _first(attributes, mapping.get("faculty", "")))
    role = None
    ranks = {r.value: r.rank for r in Role}
    for name, value, rule_role in parse_rules(mapping.get("role_rules", "")):
        if _matches(attributes, name, value) and (role is None or ranks[rule_role] > ranks[role]):
            role = rule_role
    return MappedProfile(display_name, email, number, cohort, role)
