"""Making and retiring badges, and granting a new one to the readers who already qualify.

Every function takes the session and never commits. A badge's requirements never change once it
is saved (readers earned it by them); a librarian retires it and makes another instead.
"""

from __future__ import annotations

import re
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlmodel import Session

from core import badge_artwork, badges
from core.i18n import pick
from core.jobs import run_soon_after_commit
from core.models import AuditEntry, BadgeAward, Term, utcnow

from .i18n import _, ngettext
from .models import Backfill, MadeBadge, Requirement
from .rules import NAME, Spec, criteria, qualifying, term_span

JOB = f"{NAME}:grant"
BATCH = 200


class MakeError(ValueError):
    """A badge that cannot be made as asked; ``messages`` are in the reader's language."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(" ".join(messages))
        self.messages = messages


def minutes(clock: str | None) -> int | None:
    """"22:30" → 1350; empty, or not a time of day, → None."""
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", (clock or "").strip())
    return int(match[1]) * 60 + int(match[2]) if match else None


def clock(value: int | None) -> str:
    return "" if value is None else f"{value // 60:02d}:{value % 60:02d}"


def problems(session: Session, spec: Spec, *, name_en: str = "", name_zh: str = "", hours_half: bool = False) -> list[str]:
    """Why a badge cannot be made as asked (empty when it can): no requirement, one asked twice,
    a goal beyond what can be counted, limits no requirement honours, a streak longer than its
    term, an empty window of hours, a name another badge has."""
    found = []
    offered = criteria()
    if not spec.needs:
        found.append(_("Choose at least one thing to count, with how many a reader needs."))
    seen = set()
    for need in spec.needs:
        criterion = offered.get(need.criterion)
        if criterion is None:
            found.append(_("One of the things to count is no longer offered (its plugin is switched off)."))
            continue
        label = pick(criterion.label) if isinstance(criterion.label, dict) else str(criterion.label)
        if (need.criterion, need.option) in seen:
            found.append(_("“%(what)s” is asked for twice: keep one, with the number you mean.", what=label))
        seen.add((need.criterion, need.option))
        if need.goal > criterion.max_goal:
            found.append(_("“%(what)s” can count at most %(n)d.", what=label, n=criterion.max_goal))
        if spec.term_key and "term" not in criterion.scopes:
            found.append(_("“%(what)s” is counted over all time, so it cannot be limited to a term: "
                           "remove the term or this requirement.", what=label))
        if spec.hours and "hours" not in criterion.scopes:
            found.append(_("“%(what)s” is counted over all time, so it cannot be limited to hours of the day: "
                           "remove the hours or this requirement.", what=label))
        if spec.term_key and need.criterion == "badgemaker:streak":
            span = term_span(session, spec.term_key)
            if span and need.goal > (span[1] - span[0]).days // 7 + 1:
                found.append(_("A run of %(n)d weeks cannot fit in that term.", n=need.goal))
    if hours_half:
        found.append(_("Give both times of day, or neither."))
    if spec.hours and spec.hours[0] == spec.hours[1]:
        found.append(_("The hours start and end at the same time, so nothing would ever count."))
    if spec.term_key and session.get(Term, spec.term_key) is None:
        found.append(_("There is no such term."))
    for label, column, value in ((_("English"), MadeBadge.name_en, name_en), (_("Chinese"), MadeBadge.name_zh, name_zh)):
        if value and _name_taken(session, column, value):
            found.append(_("A badge called “%(name)s” already exists (%(language)s name): choose another name.",
                           name=value, language=label))
    return found


def _name_taken(session: Session, column, value: str) -> bool:
    wanted = value.strip().casefold()
    if session.execute(select(MadeBadge.id).where(func.lower(column) == value.strip().lower())).first():
        return True
    return any(wanted in (rule.name.get("en", "").casefold(), rule.name.get("zh_Hans", "").casefold())
               for rule in badges.active_rules().rules.values())


def slug_key(session: Session, name_en: str) -> str:
    """``badgemaker:<words-of-the-english-name>``, made unique."""
    slug = re.sub(r"[^a-z0-9]+", "-", name_en.lower()).strip("-")[:50] or "badge"
    key, n = f"{NAME}:{slug}", 1
    while session.execute(select(MadeBadge.id).where(MadeBadge.key == key)).first() or badges.known_rule(key):
        n += 1
        key = f"{NAME}:{slug}-{n}"
    return key


def make(session: Session, *, name_en: str, name_zh: str, how_en: str, how_zh: str, spec: Spec,
         actor_id: int | None, image: bytes | None = None, hours_half: bool = False) -> MadeBadge:
    """Make a badge: stored, its artwork checked and stored in core, every process told of the new
    rule, and a grant to those who already qualify queued for the job queue once this commits."""
    name_en, name_zh = name_en.strip(), name_zh.strip()
    found = problems(session, spec, name_en=name_en, name_zh=name_zh, hours_half=hours_half)
    if found:
        raise MakeError(found)
    badge = MadeBadge(key=slug_key(session, name_en), name_en=name_en, name_zh=name_zh, how_en=how_en.strip(),
                      how_zh=how_zh.strip(), term_key=spec.term_key or None,
                      hours_from=spec.hours[0] if spec.hours else None, hours_to=spec.hours[1] if spec.hours else None,
                      created_by=actor_id)
    session.add(badge)
    session.flush()
    for position, need in enumerate(spec.needs):
        session.add(Requirement(badge_id=badge.id, position=position, criterion=need.criterion, option=need.option,
                                goal=need.goal))
    if image:
        try:
            badge_artwork.save_artwork(session, key=badge.key, data=image, actor_id=actor_id)
        except badges.BadgeError as exc:
            raise MakeError([str(exc)]) from None
    session.add(Backfill(badge_id=badge.id))
    session.add(AuditEntry(actor_id=actor_id, action="badgemaker.make", target=f"badge:{badge.key}",
                           detail=badge.name_en))
    badges.runtime_rules_changed(session)
    grant_after_commit(session)
    return badge


def grant_after_commit(session: Session) -> None:
    """Once the session's outermost transaction commits, queue the first grant (coalesced)."""
    run_soon_after_commit(session, JOB)


def retire(session: Session, *, badge: MadeBadge, actor_id: int | None) -> None:
    """Stop granting a badge; the readers who hold it keep it, and it stays verifiable."""
    if badge.retired_at is not None:
        return
    badge.retired_at, badge.retired_by = utcnow(), actor_id
    session.add(badge)
    session.add(AuditEntry(actor_id=actor_id, action="badgemaker.retire", target=f"badge:{badge.key}",
                           detail=badge.name_en))
    badges.runtime_rules_changed(session)


def holder_count(session: Session, key: str) -> int:
    return session.execute(select(func.count()).select_from(BadgeAward).where(
        BadgeAward.badge_key == key, BadgeAward.revoked_at.is_(None))).scalar_one()


def preview_text(count: int) -> str:
    return ngettext("%(num)d reader would hold it today.", "%(num)d readers would hold it today.", count)


# --- the first grant, by the job queue ----------------------------------------------------

def settle_seconds() -> float:
    """How long after a badge is made every process has surely read its rule."""
    return 2 * float(current_app.config.get("PLUGIN_REFRESH_SECONDS", 1.0)) + 1


def grant_waiting(db) -> int:
    """Grant each new badge to the readers who already qualify, a batch per transaction, with the
    progress stored for the badge's page; returns how many were granted. Idempotent: a grant is
    once per reader; a pass that began before every process knew the rule is run once more."""
    granted = 0
    with db.session() as session:
        ids = session.execute(select(Backfill.id).where(or_(Backfill.state != "done", Backfill.settled.is_(False)))
                              .order_by(Backfill.id)).scalars().all()
    for backfill_id in ids:
        granted += _pass(db, backfill_id)
    return granted


def _pass(db, backfill_id: int) -> int:
    from .rules import spec_of

    started = utcnow()
    with db.session() as session:  # counting reads only: SQLite's write lock stays free meanwhile
        backfill = session.get(Backfill, backfill_id)
        badge = session.get(MadeBadge, backfill.badge_id)
        key, retired = badge.key, badge.retired_at is not None
        rule = None if retired else badges.get_rule(key)
        if rule is not None:
            needs = session.execute(select(Requirement).where(Requirement.badge_id == badge.id)).scalars().all()
            readers = qualifying(session, spec_of(badge, list(needs)))
            held = set(session.execute(select(BadgeAward.user_id).where(BadgeAward.badge_key == key)).scalars())
            todo = sorted(readers - held)
    with db.write_session() as session:
        backfill = session.get(Backfill, backfill_id)
        if rule is None:
            if retired:  # nothing more to grant, ever
                backfill.state, backfill.settled, backfill.finished_at = "done", True, utcnow()
            return 0  # switched off: the next pass once it is back on
        backfill.state, backfill.started_at = "running", backfill.started_at or started
        backfill.readers_total, backfill.readers_done = len(readers), len(readers) - len(todo)
    granted = 0
    for start in range(0, len(todo), BATCH):
        with db.write_session() as session:
            rule = badges.get_rule(key)
            if rule is None:  # retired or switched off meanwhile: the next pass decides
                return granted
            batch = todo[start:start + BATCH]
            done = sum(1 for user_id in batch if badges.grant(session, user_id=user_id, rule=rule) is not None)
            session.execute(update(Backfill).where(Backfill.id == backfill_id).values(
                readers_done=Backfill.readers_done + len(batch), granted=Backfill.granted + done))
            granted += done
    with db.write_session() as session:
        backfill = session.get(Backfill, backfill_id)
        badge = session.get(MadeBadge, backfill.badge_id)
        backfill.state, backfill.finished_at = "done", utcnow()
        backfill.settled = started >= badge.created_at + timedelta(seconds=settle_seconds())
    return granted
