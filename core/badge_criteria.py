"""What plugins can count toward badges librarians make (hook ``engage_badge_criteria``).

A criterion names something countable per reader — points, activities of a kind, weeks in a
row, events attended — and counts it with one function for one reader (in the earning
transaction) or for every reader at once (a preview, granting to those who already qualify).
A badge then asks for a goal of each of one or more criteria, optionally limited by a
``CriterionScope``: a term's dates and hours of the day in library time ("after 22:00").
Core only carries the shape; the plugins that offer and use criteria do the counting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CriterionScope:
    """Which moments count: from ``since`` (inclusive) to ``until`` (exclusive), aware UTC, and,
    when ``hours`` is set, only between two times of day in ``tz`` given as minutes after
    midnight, ``(start, end)``; a window that wraps past midnight (22:00–06:00) is allowed."""

    since: datetime | None = None
    until: datetime | None = None
    hours: tuple[int, int] | None = None
    tz: ZoneInfo | None = None

    @property
    def limited(self) -> bool:
        return self.since is not None or self.until is not None or self.hours is not None

    def admits(self, moment: datetime) -> bool:
        """Whether something done at ``moment`` counts."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        if self.since is not None and moment < self.since:
            return False
        if self.until is not None and moment >= self.until:
            return False
        if self.hours is not None:
            local = moment.astimezone(self.tz or timezone.utc)
            minute, (start, end) = local.hour * 60 + local.minute, self.hours
            return start <= minute < end if start < end else minute >= start or minute < end
        return True


@dataclass(frozen=True)
class BadgeCriterion:
    """Something a plugin counts per reader for made badges.

    * ``key`` — unique, ``"<plugin>:<name>"`` (``"events:attended"``);
    * ``label`` — lazy text or ``{"en": …, "zh_Hans": …}`` ("Events attended");
    * ``count(session, *, option, scope, user_id=None)`` — ``{user_id: count}``, for one reader
      when ``user_id`` is given (the earning transaction: keep it to a query or two), else for
      every reader with a count above zero (one grouped query, not one per reader);
    * ``options(session)`` — ``[(value, label)]`` of what can be counted (an activity kind…);
      None when there is nothing to choose (``option`` is then ``""``);
    * ``triggers(option)`` — the activities, ``(plugin, kind)`` pairs (None: any activity), whose
      recording can raise the count: a badge asking for it is checked when one is recorded;
    * ``points`` — the count is the reader's all-time points: checked when an award crosses the goal;
    * ``scopes`` — which limits the count honours (``"term"``, ``"hours"``); a badge that sets one
      its criteria ignore is refused as contradictory;
    * ``max_goal`` — the largest goal that makes sense (weeks in a streak…).
    """

    key: str
    label: object
    count: Callable[..., dict[int, int]] = field(compare=False)
    options: Callable | None = field(default=None, compare=False)
    triggers: Callable[[str], tuple] = field(default=lambda option: (), compare=False)
    points: bool = False
    scopes: frozenset = frozenset({"term", "hours"})
    max_goal: int = 100_000
    order: int = 100

    @property
    def plugin(self) -> str:
        return self.key.partition(":")[0]


def collect_criteria(hooks) -> dict[str, BadgeCriterion]:
    """The criteria of the switched-on plugins (``hooks`` is ``core.plugins.current_hooks()``),
    by key, in their order; a second criterion with a key already taken is left out and logged."""
    found: dict[str, BadgeCriterion] = {}
    for result in hooks.engage_badge_criteria():
        for criterion in result if isinstance(result, (list, tuple)) else [result]:
            if not isinstance(criterion, BadgeCriterion):
                continue
            if criterion.key in found:
                log.error("badge criterion %r is offered twice; the second is left out", criterion.key)
                continue
            found[criterion.key] = criterion
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))
