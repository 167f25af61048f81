"""Levels: all-time point thresholds an admin sets, progress toward the next, level-up news.

Level-up news listens to ``engage_points_awarded`` as a plugin would (the module is registered
with the plugin host as a built-in listener), so the ledger never imports levels.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from dataclasses import dataclass

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlmodel import Session

from core.hookspecs import hookimpl
from core.models import AuditEntry, Level
from core.ui import path_for

# Used until an administrator sets levels of their own.
DEFAULT_LEVELS = (
    (0, "Newcomer", "新读者"),
    (50, "Regular Reader", "常客"),
    (150, "Bookworm", "书虫"),
    (400, "Scholar", "学士"),
    (800, "Master Reader", "硕读"),
    (1500, "Sage of the Stacks", "书海智者"),
)


class LevelError(ValueError):
    """Thresholds that cannot be accepted; ``str()`` is shown to the admin."""


@dataclass(frozen=True)
class LevelSpec:
    number: int
    threshold: int
    name_en: str
    name_zh: str


@dataclass(frozen=True)
class Progress:
    """Where a total stands: the level reached, the next one, and the share of the way there."""

    level: LevelSpec
    next: LevelSpec | None
    total: int

    @property
    def to_next(self) -> int:
        return self.next.threshold - self.total if self.next else 0

    @property
    def percent(self) -> int:
        if self.next is None:
            return 100
        span = self.next.threshold - self.level.threshold
        return max(0, min(100, (self.total - self.level.threshold) * 100 // span))


def _defaults() -> list[LevelSpec]:
    return [LevelSpec(n, t, en, zh) for n, (t, en, zh) in enumerate(DEFAULT_LEVELS, 1)]


def list_levels(session: Session) -> list[LevelSpec]:
    """The configured levels, lowest first (the defaults when none are set)."""
    rows = session.execute(select(Level).order_by(Level.threshold)).scalars().all()
    return [LevelSpec(r.number, r.threshold, r.name_en, r.name_zh) for r in rows] or _defaults()


def validate(levels: list[tuple[int, str, str]]) -> None:
    """Refuse level tables that do not start at 0, are not strictly increasing, or lack names."""
    if not levels:
        raise LevelError(_("Set at least one level."))
    if levels[0][0] != 0:
        raise LevelError(_("The first level must start at 0 points."))
    for (before, *_names), (after, *_rest) in zip(levels, levels[1:]):
        if after <= before:
            raise LevelError(_("Thresholds must increase from one level to the next (%(a)d is not above %(b)d).",
                               a=after, b=before))
    for threshold, name_en, name_zh in levels:
        if not name_en.strip() or not name_zh.strip():
            raise LevelError(_("Every level needs a name in English and in Chinese."))


def save_levels(session: Session, *, levels: list[tuple[int, str, str]], actor_id: int | None) -> None:
    """Replace the level table after validating it; audited."""
    validate(levels)
    session.execute(delete(Level))
    for number, (threshold, name_en, name_zh) in enumerate(levels, 1):
        session.add(Level(number=number, threshold=threshold, name_en=name_en.strip(), name_zh=name_zh.strip()))
    session.add(AuditEntry(actor_id=actor_id, action="levels.save", target="levels",
                           detail=", ".join(str(t) for t, *_n in levels)))
    forget_levels()


_CACHE_SECONDS = 60.0


def current_levels() -> list[LevelSpec]:
    """This worker's copy of the levels, re-read at most once a minute."""
    cached = current_app.extensions.get("engage.levels")
    if cached and time.monotonic() - cached[0] < _CACHE_SECONDS:
        return cached[1]
    with current_app.extensions["engage.db"].session() as session:
        levels = list_levels(session)
    current_app.extensions["engage.levels"] = (time.monotonic(), levels)
    return levels


def forget_levels() -> None:
    current_app.extensions.pop("engage.levels", None)


def progress(total: int, levels: list[LevelSpec] | None = None) -> Progress:
    """The level a total has reached and how far it is to the next."""
    levels = levels or current_levels()
    reached = levels[0]
    following = None
    for spec in levels:
        if total >= spec.threshold:
            reached = spec
        else:
            following = spec
            break
    return Progress(reached, following, total)


def note_level_ups(session: Session, moves: list[tuple[int, int, int]]) -> None:
    """Notify each user of ``(user_id, old_total, new_total)`` who has just crossed into a higher level."""
    levels = current_levels()
    thresholds = [spec.threshold for spec in levels]  # lowest first, the first at 0: as ``progress`` reads them
    notes = []
    for user_id, old_total, new_total in moves:
        if new_total <= old_total:
            continue
        after = bisect_right(thresholds, new_total) - 1
        if after > max(bisect_right(thresholds, old_total) - 1, 0):  # a batch of awards asks this of each
            notes.append((user_id, "core", "level-up", _level_message(levels[after]), path_for("main.profile")))
    if notes:
        from core.notifications import notify_many

        notify_many(session, notes)


def _level_message(level):
    def message() -> str:
        name = level.name_zh if str(get_locale()) == "zh_Hans" else level.name_en
        return _("Level up! You are now level %(number)d: %(name)s.", number=level.number, name=name)
    return message


@hookimpl(tryfirst=True)
def engage_points_awarded_many(session, awards):
    """Level-up news for the users awards have just paid (before plugins hear of the awards)."""
    note_level_ups(session, [(a.user_id, a.total - a.amount, a.total) for a in awards])
