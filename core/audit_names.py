"""Audit rows in words: ``user:207`` becomes the reader's name with a link to their page, and
``student → librarian`` the roles' names. Targets are looked up once per page of rows, one query
per kind."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlmodel import Session

from core.i18n import pick
from core.identity.faculties import Faculty
from core.models import PointEntry, Screen, Term, User


@dataclass(frozen=True)
class Target:
    """A named target, with the page that shows it (``url`` None when there is none any more)."""

    label: str
    url: str | None = None


def _ids(targets: set[str], kind: str) -> dict[int, str]:
    found = {}
    for target in targets:
        prefix, _sep, value = target.partition(":")
        if prefix == kind and value.isdigit():
            found[int(value)] = target
    return found


def name_targets(session: Session, targets: set[str]) -> dict[str, Target]:
    """``{target: Target}`` for the audit rows' ``target`` strings; unknown ones are left out."""
    from core.badges import known_rule
    from core.plugins import get_host

    named: dict[str, Target] = {}
    users = _ids(targets, "user")
    for user_id, name, gone in session.execute(select(User.id, User.display_name, User.anonymised_at)
                                               .where(User.id.in_(users))).all():
        # A deleted (anonymised) account keeps its row for the ledger, but no name.
        named[users[user_id]] = Target(_("a deleted account") if gone else name, url_for("admin.user", user_id=user_id))
    screens = _ids(targets, "screen")
    for screen_id, name in session.execute(select(Screen.id, Screen.name).where(Screen.id.in_(screens))).all():
        named[screens[screen_id]] = Target(name, url_for("screens.edit", screen_id=screen_id))
    entries = _ids(targets, "entry")
    rows = session.execute(select(PointEntry.id, PointEntry.user_id, User.display_name)
                           .join(User, User.id == PointEntry.user_id).where(PointEntry.id.in_(entries))).all()
    for entry_id, user_id, name in rows:
        named[entries[entry_id]] = Target(_("Points entry #%(id)d of %(name)s", id=entry_id, name=name),
                                          url_for("admin.user", user_id=user_id))
    terms = {t.partition(":")[2]: t for t in targets if t.startswith("term:")}
    for term in session.execute(select(Term).where(Term.key.in_(terms))).scalars():
        named[terms[term.key]] = Target(pick({"en": term.name_en, "zh_Hans": term.name_zh}), url_for("admin.terms"))
    faculties = {t.partition(":")[2]: t for t in targets if t.startswith("faculty:")}
    for faculty in session.execute(select(Faculty).where(Faculty.code.in_(faculties))).scalars():
        named[faculties[faculty.code]] = Target(faculty.name, url_for("admin.faculties", faculty=faculty.id))
    for target, label in (("roster", _("Readers and staff")), ("faculties", _("Faculties"))):
        if target in targets:
            named[target] = Target(label, url_for("admin.roster"))
    from core.api.models import ApiKey

    keys = _ids(targets, "apikey")
    for key_id, name in session.execute(select(ApiKey.id, ApiKey.name).where(ApiKey.id.in_(keys))).all():
        named[keys[key_id]] = Target(_("API key %(name)s", name=name), url_for("api_keys.index"))
    host = get_host()
    for target in targets:
        kind, _sep, value = target.partition(":")
        if kind == "badge" and (rule := known_rule(value)) is not None:
            named[target] = Target(pick(rule.name), url_for("badges.detail", key=value))
        elif kind == "plugin" and value in host.infos:
            named[target] = Target(pick(host.infos[value].title), url_for("admin.index"))
        elif target == "levels":
            named[target] = Target(_("Levels"), url_for("admin.levels"))
        elif target == "settings:accounts":
            named[target] = Target(_("Account settings"), url_for("identity.account_settings"))
    for target in targets - named.keys():  # deleted since: say what it was without its key
        kind = target.partition(":")[0]
        label = {"user": _("a deleted account"), "screen": _("a deleted screen"), "term": _("a deleted term"),
                 "entry": _("a points entry"), "badge": _("a badge no longer offered"),
                 "plugin": _("a plugin no longer installed"), "faculty": _("a deleted faculty")}.get(kind)
        named[target] = Target(label or target)
    return named


def describe_detail(action: str, detail: str | None) -> str:
    """An audit row's detail in the reader's language (role changes store the roles' keys)."""
    if not detail:
        return ""
    if action == "role.change":
        names = {"student": _("Student"), "librarian": _("Librarian"), "admin": _("Administrator")}
        return " → ".join(names.get(part.strip(), part.strip()) for part in detail.split("→"))
    return detail
