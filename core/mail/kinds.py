"""Kinds of news by email: core's own, the plugins' (hook ``engage_mail_kinds``), and readers' choices."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlmodel import Session

from core.hookspecs import MailKind
from core.mail.models import MailPreference

CADENCES = ("immediate", "daily", "weekly", "never")
CADENCE_LABELS = {"immediate": _l("At once"), "daily": _l("Daily digest"), "weekly": _l("Weekly digest"),
                  "never": _l("Never")}
ALL = "*"  # the preference row that stops every email of news
OTHER = MailKind("core:other", _l("Other news"), default="daily", order=900)
CORE_KINDS = (
    MailKind("core:achievements", _l("New levels and badges"), kinds=("level-up", "badge"), default="weekly",
             order=10),
    MailKind("core:badge-revoked", _l("A badge taken back"), kinds=("badge-revoked",), default="immediate",
             order=11),
    MailKind("core:approvals", _l("Decisions on adjustments you asked for"),
             kinds=("adjustment-approved", "adjustment-rejected"), default="immediate", staff_only=True, order=20),
)


def registry() -> list[MailKind]:
    """Every kind on offer now (switched-off plugins' kinds are left out), in page order."""
    from core.plugins import get_host

    hooks = get_host().hooks  # as fresh as the request's (or notify's) own look at the switches
    cached = current_app.extensions.get("engage.mail.kinds")
    if cached and cached[0] is hooks:
        return cached[1]
    _build(hooks)
    return current_app.extensions["engage.mail.kinds"][1]


def _build(hooks) -> None:
    found = list(CORE_KINDS)
    for result in hooks.engage_mail_kinds():
        found.extend(result if isinstance(result, (list, tuple)) else [result])
    for kind in found:
        if kind.default not in CADENCES or ":" not in kind.key:
            raise ValueError(f"mail kind {kind.key!r}: key must be '<plugin>:<name>', default one of {CADENCES}")
    kinds = sorted(found, key=lambda k: (k.order, k.key)) + [OTHER]
    current_app.extensions["engage.mail.kinds"] = (hooks, kinds, {})


def resolve(plugin: str, kind: str) -> MailKind:
    """The mail kind a notification of ``plugin``/``kind`` belongs to (core's own under ``core``)."""
    kinds = registry()
    known = current_app.extensions["engage.mail.kinds"][2]  # answers for this registry, on the award path
    found = known.get((plugin, kind))
    if found is None:
        found = known[(plugin, kind)] = _match(kinds, plugin, kind)
    return found


def _match(kinds: list[MailKind], plugin: str, kind: str) -> MailKind:
    catch_all = None
    for candidate in kinds:
        if candidate.key.split(":", 1)[0] != plugin:
            continue
        if kind in candidate.kinds:
            return candidate
        if not candidate.kinds and catch_all is None:
            catch_all = candidate
    return catch_all or OTHER


def offered_to(user) -> list[MailKind]:
    """The kinds ``user`` may set: staff-only kinds for librarians and administrators alone."""
    staff = user.has_role("librarian")
    return [kind for kind in registry() if staff or not kind.staff_only]


def stored(session: Session, user_id: int) -> dict[str, str]:
    """The user's own choices, ``{kind key: cadence}`` (``"*": "never"`` when they stopped all email)."""
    rows = session.execute(select(MailPreference.kind, MailPreference.cadence)
                           .where(MailPreference.user_id == user_id)).all()
    return dict(rows)


def cadence_of(kind: MailKind, choices: dict[str, str]) -> str:
    """How often news of ``kind`` goes by email, given the user's stored ``choices``."""
    if choices.get(ALL) == "never":
        return "never"
    return choices.get(kind.key, kind.default)


def choose(session: Session, *, user_id: int, kind: str, cadence: str) -> None:
    """Store how often ``user_id`` wants ``kind`` (a kind key, or ``*`` for all email) by email."""
    from core.models import utcnow

    if cadence not in CADENCES:
        raise ValueError(f"cadence must be one of {CADENCES}")
    row = session.get(MailPreference, (user_id, kind))
    if row is None:
        row = MailPreference(user_id=user_id, kind=kind, cadence=cadence)
    row.cadence, row.changed_at = cadence, utcnow()
    session.add(row)
