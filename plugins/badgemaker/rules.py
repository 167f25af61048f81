"""A made badge as core sees it: its requirements, the scope they are counted in, who qualifies.

The same ``Spec`` serves a badge being drafted (the live preview) and a saved one (the rule core
grants in the earning transaction, and the first grant to readers who already qualify), so the
preview counts exactly what the badge will grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlmodel import Session

from core.badge_criteria import BadgeCriterion, CriterionScope, collect_criteria
from core.badges import BadgeRule
from core.models import Term, User

from .models import MadeBadge, Requirement

NAME = "badgemaker"


@dataclass(frozen=True)
class Need:
    """One requirement: ``goal`` of ``criterion`` (counting ``option``)."""

    criterion: str
    option: str
    goal: int


@dataclass(frozen=True)
class Spec:
    """How a badge is earned: every need met, counted within the term and the hours (if set)."""

    needs: tuple[Need, ...]
    term_key: str | None = None
    hours: tuple[int, int] | None = None  # minutes after local midnight


def criteria() -> dict[str, BadgeCriterion]:
    """The criteria of the switched-on plugins."""
    from core.plugins import current_hooks

    return collect_criteria(current_hooks())


def term_span(session: Session, term_key: str | None) -> tuple[datetime, datetime] | None:
    """A term's first and last instants (UTC), from its dates in library time."""
    if not term_key:
        return None
    term = session.get(Term, term_key)
    if term is None:
        return None
    from core.points import current_calendar

    tz = current_calendar().tz
    since = datetime.combine(term.starts_on, time(0), tzinfo=tz)
    until = datetime.combine(term.ends_on + timedelta(days=1), time(0), tzinfo=tz)
    return since, until


def scope_of(session: Session, spec: Spec) -> CriterionScope:
    from core.points import current_calendar

    span = term_span(session, spec.term_key)
    return CriterionScope(since=span[0] if span else None, until=span[1] if span else None, hours=spec.hours,
                          tz=current_calendar().tz)


def meets(session: Session, spec: Spec, scope: CriterionScope, user_id: int, offered=None) -> bool:
    """Whether one reader meets every need now (False while a need's plugin is switched off)."""
    offered = criteria() if offered is None else offered
    for need in spec.needs:
        criterion = offered.get(need.criterion)
        if criterion is None:
            return False
        if criterion.count(session, option=need.option, scope=scope, user_id=user_id).get(user_id, 0) < need.goal:
            return False
    return True


def qualifying(session: Session, spec: Spec) -> set[int]:
    """Every active reader who meets every need today: one count per need for all readers,
    the rarest first, intersected (never a query per reader)."""
    offered = criteria()
    scope = scope_of(session, spec)
    found: set[int] | None = None
    for need in spec.needs:
        criterion = offered.get(need.criterion)
        if criterion is None:
            return set()
        counts = criterion.count(session, option=need.option, scope=scope)
        met = {who for who, n in counts.items() if n >= need.goal}
        found = met if found is None else found & met
        if not found:
            return set()
    if not found:
        return set()
    active = set()
    ids = sorted(found)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        active |= set(session.execute(select(User.id).where(User.id.in_(chunk), User.is_active.is_(True))).scalars())
    return active


def spec_of(badge: MadeBadge, needs: list[Requirement]) -> Spec:
    hours = (badge.hours_from, badge.hours_to) if badge.hours_from is not None and badge.hours_to is not None else None
    return Spec(tuple(Need(n.criterion, n.option, n.goal) for n in sorted(needs, key=lambda n: n.position)),
                badge.term_key, hours)


def rule_for(session: Session, badge: MadeBadge, needs: list[Requirement]) -> BadgeRule:
    """The rule core grants a made badge by: asked when an activity one of its needs counts is
    recorded, or when an award crosses a points goal."""
    from core.plugins import get_host

    spec = spec_of(badge, needs)
    offered = collect_criteria(get_host().pm.hook)  # every installed plugin's: one may be switched on later
    triggers, threshold = [], None
    for need in spec.needs:
        criterion = offered.get(need.criterion)
        if criterion is None:
            continue
        if criterion.points:
            threshold = max(threshold or 0, need.goal)
        triggers.extend(criterion.triggers(need.option))

    def qualifies(session: Session, user_id: int) -> bool:
        return meets(session, spec, scope_of(session, spec), user_id)  # the term's dates as they are now

    if threshold is None and not triggers:
        triggers = [("badgemaker", "never")]  # its criteria are switched off: nothing earns it meanwhile
    return BadgeRule(badge.key, {"en": badge.name_en, "zh_Hans": badge.name_zh},
                     {"en": badge.how_en, "zh_Hans": badge.how_zh}, kind="criteria", plugin=NAME,
                     threshold=threshold, triggers=tuple(dict.fromkeys(triggers)), qualifies=qualifies,
                     retired=badge.retired_at is not None, order=200 + (badge.id or 0))


def all_rules(session: Session) -> list[BadgeRule]:
    """Every made badge's rule, retired ones included (their awards stay verifiable)."""
    badges = session.execute(select(MadeBadge).order_by(MadeBadge.id)).scalars().all()
    if not badges:
        return []
    needs: dict[int, list[Requirement]] = {}
    for need in session.execute(select(Requirement)).scalars():
        needs.setdefault(need.badge_id, []).append(need)
    return [rule_for(session, badge, needs.get(badge.id, [])) for badge in badges]
