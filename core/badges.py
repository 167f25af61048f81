"""Badges: rules from core and plugins, granted once per user inside the earning transaction.

Rules come from core (``CORE_RULES``) and from plugins (hook ``engage_badge_rules``); they are
collected and checked once at start-up (a duplicate key stops the app with an error naming
both plugins). The rules of switched-off plugins are left out of every evaluation and page;
the badges they granted stay in ``core_badge_award`` and show again when the plugin is back.

Kinds of criteria:

* ``points`` — all-time points reach ``threshold`` (checked when an award crosses a
  threshold, so the hot path costs a bisect and no query);
* ``activity_count`` — ``count`` recorded activities ``activity = (plugin, kind)``;
* ``weekly_streak`` — ``weeks`` consecutive weeks with an activity (of ``activity``, or of any
  kind when it is None); weeks in the ``HOLIDAY_WEEKS`` setting neither break nor extend it;
* ``first`` — the first user ever to do ``activity``;
* ``manual`` — a librarian awards it with a reason (audited);
* ``criteria`` — a rule a plugin builds from its own data (``qualifies(session, user_id)``),
  asked when an award crosses ``threshold`` or an activity in ``triggers`` is recorded.

Rules defined at run time (badges librarians make) come from the hook
``engage_runtime_badge_rules(session)``. Each process asks it once, then again whenever the
``badge_rules`` counter in ``core_counter`` has moved (``runtime_rules_changed``), read at most
every ``PLUGIN_REFRESH_SECONDS`` as the plugin switches are: gunicorn workers and job workers
agree within that interval. A retired rule (``retired=True``) is never granted again, and its
badges, once issued, stay visible and verifiable.

A grant is ``INSERT … ON CONFLICT DO NOTHING`` on UNIQUE(user_id, badge_key), so it happens
exactly once even under concurrency; it notifies the user and fires ``engage_badge_granted``
in the same transaction.

Badges hear of awards and activities through ``engage_points_awarded`` and
``engage_activity_recorded``, as a plugin would: the module is registered with the plugin host
as a built-in listener, so the ledger (``core.points``, ``core.activity``) never imports it.
"""

from __future__ import annotations

import bisect
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterable, NamedTuple

from flask import Flask, current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, func, select, update
from sqlmodel import Session

from core.hookspecs import hookimpl
from core.ledger_sql import bind_time, compiled, insert_for, select_in
from core.ledger_sql import cursor as ledger_cursor
from core.models import ActivityEntry, AuditEntry, BadgeAward, Counter, PointTotal, User, utcnow
from core.ui import path_for

log = logging.getLogger(__name__)
KINDS = ("points", "activity_count", "weekly_streak", "first", "manual", "criteria")
MAX_STREAK_WEEKS = 520
RUNTIME_COUNTER = "badge_rules"


class BadgeError(ValueError):
    """A grant or upload that cannot be accepted; ``str()`` is safe to show a user."""


class BadgeRuleError(ValueError):
    """Badge rules that cannot be accepted at start-up (a developer's mistake)."""


@dataclass(frozen=True)
class BadgeRule:
    """How a badge is earned. ``name`` and ``how_to_earn`` are ``{"en": …, "zh_Hans": …}``.

    ``key`` is unique across core and every plugin, by convention ``"<plugin>:<key>"``.
    ``plugin`` is filled in by core from the plugin that returned the rule.
    """

    key: str
    name: dict
    how_to_earn: dict
    kind: str
    plugin: str = ""
    threshold: int | None = None
    activity: tuple[str, str] | None = None
    count: int | None = None
    weeks: int | None = None
    order: int = 100
    # ``criteria`` rules: whether a user qualifies now, and the activities whose recording may
    # make them qualify ((plugin, kind) pairs; None stands for any activity).
    qualifies: Callable[[Session, int], bool] | None = field(default=None, compare=False)
    triggers: tuple = ()
    retired: bool = False

    def check(self) -> None:
        """Refuse a rule whose kind or parameters do not make sense."""
        where = f"badge rule {self.key!r} of {self.plugin or 'core'}"
        if not isinstance(self.key, str) or not 3 <= len(self.key) <= 80 or "/" in self.key:
            raise BadgeRuleError(f"{where}: the key must be 3-80 characters without '/'")
        for label, text in (("name", self.name), ("how_to_earn", self.how_to_earn)):
            if not isinstance(text, dict) or not {"en", "zh_Hans"} <= set(text):
                raise BadgeRuleError(f"{where}: {label} needs 'en' and 'zh_Hans' texts")
        if self.kind not in KINDS:
            raise BadgeRuleError(f"{where}: kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        needs = {"points": ("threshold",), "activity_count": ("activity", "count"), "weekly_streak": ("weeks",),
                 "first": ("activity",), "manual": (), "criteria": ("qualifies",)}[self.kind]
        for name in needs:
            if getattr(self, name) is None:
                raise BadgeRuleError(f"{where}: a {self.kind} rule needs {name}")
        for name in ("threshold", "count", "weeks"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise BadgeRuleError(f"{where}: {name} must be a positive whole number")
        if self.activity is not None and (len(self.activity) != 2 or not all(isinstance(a, str) for a in self.activity)):
            raise BadgeRuleError(f"{where}: activity must be a (plugin, kind) pair")
        if self.kind == "criteria":
            if not callable(self.qualifies):
                raise BadgeRuleError(f"{where}: qualifies must be a function of (session, user_id)")
            if self.threshold is None and not self.triggers:
                raise BadgeRuleError(f"{where}: a criteria rule needs a threshold or triggers to be checked on")
            for pair in self.triggers:
                if pair is not None and (len(pair) != 2 or not all(isinstance(a, str) for a in pair)):
                    raise BadgeRuleError(f"{where}: each trigger is a (plugin, kind) pair or None")

    def text(self, texts: dict) -> str:
        return texts.get(str(get_locale())) or texts.get("en") or self.key

    @property
    def label(self) -> str:
        """The name in the reader's language."""
        return self.text(self.name)

    @property
    def how(self) -> str:
        """How to earn it, in the reader's language."""
        return self.text(self.how_to_earn)

    @property
    def goal(self) -> int | None:
        """The number progress counts toward (points, activities or weeks), if any."""
        return {"points": self.threshold, "activity_count": self.count, "weekly_streak": self.weeks}.get(self.kind)


def _both(en: str, zh: str) -> dict:
    return {"en": en, "zh_Hans": zh}


# Core's own badges.
CORE_RULES = (
    BadgeRule("core:first-points", _both("First points", "初次得分"),
              _both("Earn your first point in any library activity.", "在任意图书馆活动中获得第一个积分。"),
              "points", "core", threshold=1, order=10),
    BadgeRule("core:points-100", _both("Century", "百分读者"),
              _both("Reach 100 points in total.", "累计获得 100 积分。"), "points", "core", threshold=100, order=20),
    BadgeRule("core:points-500", _both("Five hundred", "五百积分"),
              _both("Reach 500 points in total.", "累计获得 500 积分。"), "points", "core", threshold=500, order=30),
    BadgeRule("core:points-1000", _both("Thousand club", "千分俱乐部"),
              _both("Reach 1,000 points in total.", "累计获得 1000 积分。"), "points", "core", threshold=1000,
              order=40),
    BadgeRule("core:streak-4", _both("Four-week regular", "连续四周"),
              _both("Take part in an activity every week for four weeks in a row (holiday weeks do not count).",
                    "连续四周每周参加至少一项活动（假期周不计）。"), "weekly_streak", "core", weeks=4, order=50),
    BadgeRule("core:champion", _both("Library champion", "图书馆之星"),
              _both("Awarded by a librarian to a reader who has done something remarkable for the library.",
                    "由馆员授予为图书馆做出突出贡献的读者。"), "manual", "core", order=90),
)


@dataclass
class ActiveRules:
    """The rules of core and the switched-on plugins, indexed for the events that grant them."""

    rules: dict[str, BadgeRule]
    thresholds: list[int] = field(default_factory=list)
    points: list[BadgeRule] = field(default_factory=list)
    by_activity: dict[tuple[str, str], list[BadgeRule]] = field(default_factory=dict)
    any_activity: list[BadgeRule] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.points = sorted((r for r in self.rules.values()
                              if r.kind == "points" or (r.kind == "criteria" and r.threshold is not None)),
                             key=lambda r: r.threshold)
        self.thresholds = [r.threshold for r in self.points]
        for rule in self.rules.values():
            if rule.kind in ("activity_count", "first", "weekly_streak"):
                if rule.activity is None:
                    self.any_activity.append(rule)
                else:
                    self.by_activity.setdefault(tuple(rule.activity), []).append(rule)
            elif rule.kind == "criteria":
                for pair in dict.fromkeys(rule.triggers):
                    if pair is None:
                        self.any_activity.append(rule)
                    else:
                        self.by_activity.setdefault(tuple(pair), []).append(rule)

    def crossed(self, old_total: int, new_total: int) -> list[BadgeRule]:
        """Points rules whose threshold lies in (old_total, new_total]."""
        lo = bisect.bisect_right(self.thresholds, old_total)
        hi = bisect.bisect_right(self.thresholds, new_total)
        return self.points[lo:hi]

    def ordered(self) -> list[BadgeRule]:
        return sorted(self.rules.values(), key=lambda r: (r.order, r.key))


class BadgeRegistry:
    """Every installed rule: the start-up ones, collected once, and the run-time ones, re-read when
    their counter moves; the active subset is cached per set of switched-off plugins and rules."""

    def __init__(self, rules: list[BadgeRule], refresh_seconds: float = 1.0) -> None:
        self.static: dict[str, BadgeRule] = {}
        for rule in rules:
            rule.check()
            other = self.static.get(rule.key)
            if other is not None:
                raise BadgeRuleError(f"badge key {rule.key!r} is defined twice: by {other.plugin or 'core'} "
                                     f"and by {rule.plugin or 'core'}")
            self.static[rule.key] = rule
        self.all: dict[str, BadgeRule] = dict(self.static)
        self.refresh_seconds = refresh_seconds
        self.runtime_version: int | None = None
        self.stale = True
        self._checked_at = float("-inf")
        self._lock = threading.Lock()
        self._cache: tuple[frozenset, dict, ActiveRules] | None = None

    def active(self, host) -> ActiveRules:
        disabled, known = host._disabled, self.all
        cached = self._cache
        if cached is None or cached[0] is not disabled or cached[1] is not known:
            rules = {k: r for k, r in known.items()
                     if not r.retired and (r.plugin == "core" or host.is_enabled(r.plugin))}
            cached = self._cache = (disabled, known, ActiveRules(rules))
        return cached[2]

    def refresh_runtime(self, db, host) -> None:
        """Re-read the run-time rules when their counter moved (read at most every
        ``refresh_seconds``, or at once after ``runtime_rules_changed`` in this process)."""
        now = time.monotonic()
        if not self.stale and now - self._checked_at < self.refresh_seconds:
            return
        with self._lock:
            self.stale = False
            self._checked_at = now
            with db.engine.connect() as conn:
                version = conn.execute(select(Counter.value).where(Counter.name == RUNTIME_COUNTER)).scalar() or 0
            if version == self.runtime_version:
                return
            rules = dict(self.static)
            with db.session() as session:
                for rule in collect_runtime_rules(host, session):
                    if rule.key in rules:
                        log.error("badge key %r of %s is taken; the run-time rule is left out", rule.key, rule.plugin)
                        continue
                    rules[rule.key] = rule
            self.all = rules
            self.runtime_version = version


def collect_rules(host) -> list[BadgeRule]:
    """Core's rules plus every installed plugin's (switched on or not), each tagged with its plugin."""
    rules = list(CORE_RULES)
    for impl in host.pm.hook.engage_badge_rules.get_hookimpls():
        result = impl.function()
        for rule in result if isinstance(result, (list, tuple)) else [result]:
            if rule is None:
                continue
            if not isinstance(rule, BadgeRule):
                raise BadgeRuleError(f"plugin {impl.plugin_name}: engage_badge_rules returned {rule!r}")
            if rule.plugin != impl.plugin_name:
                rule = BadgeRule(**{**rule.__dict__, "plugin": impl.plugin_name})
            rules.append(rule)
    return rules


def collect_runtime_rules(host, session: Session) -> list[BadgeRule]:
    """Every installed plugin's run-time rules (switched on or not, retired ones included), each
    checked and tagged with its plugin; a rule whose key does not start with ``<plugin>:`` or
    fails its check is left out with an error in the log (a live site must keep granting)."""
    rules = []
    for impl in host.pm.hook.engage_runtime_badge_rules.get_hookimpls():
        try:
            result = impl.function(session=session)
        except Exception:  # noqa: BLE001  (a plugin's tables may be missing or broken: keep the rest)
            log.exception("plugin %s: engage_runtime_badge_rules failed", impl.plugin_name)
            continue
        for rule in result if isinstance(result, (list, tuple)) else [result]:
            if rule is None:
                continue
            try:
                if not isinstance(rule, BadgeRule):
                    raise BadgeRuleError(f"engage_runtime_badge_rules returned {rule!r}")
                if rule.plugin != impl.plugin_name:
                    rule = BadgeRule(**{**rule.__dict__, "plugin": impl.plugin_name})
                if not rule.key.startswith(impl.plugin_name + ":"):
                    raise BadgeRuleError(f"run-time badge key {rule.key!r} must start with {impl.plugin_name}:")
                rule.check()
            except BadgeRuleError as exc:
                log.error("plugin %s: %s", impl.plugin_name, exc)
                continue
            rules.append(rule)
    return rules


def runtime_rules_changed(session: Session) -> None:
    """Public service for plugins: say that the rules ``engage_runtime_badge_rules`` returns have
    changed (a badge made, edited or retired). Moves the ``badge_rules`` counter in the caller's
    transaction, so every process re-reads the rules within ``PLUGIN_REFRESH_SECONDS`` of the
    commit, and this process at its next look."""
    table = Counter.__table__
    session.execute(insert_for(session)(table).values(name=RUNTIME_COUNTER, value=0).on_conflict_do_nothing())
    session.execute(update(table).where(table.c.name == RUNTIME_COUNTER).values(value=table.c.value + 1))
    current_app.extensions["engage.badges"].stale = True


def init_app(app: Flask, host) -> BadgeRegistry:
    """Collect and check every start-up badge rule; duplicate keys stop the app. Run-time rules
    are read when badges are first needed (the database may not exist yet at start-up)."""
    with app.app_context():
        registry = BadgeRegistry(collect_rules(host), refresh_seconds=host.refresh_seconds)
    app.extensions["engage.badges"] = registry
    return registry


def _registry() -> BadgeRegistry:
    from core.plugins import get_host

    db = current_app.extensions["engage.db"]
    host = get_host()
    host.refresh(db)  # cheap: re-reads only when the interval has passed
    registry = current_app.extensions["engage.badges"]
    registry.refresh_runtime(db, host)
    return registry


def active_rules() -> ActiveRules:
    """The rules of core and the switched-on plugins, for this worker's current view."""
    from core.plugins import get_host

    return _registry().active(get_host())


def get_rule(key: str) -> BadgeRule | None:
    """An active rule by key (None when unknown or its plugin is switched off)."""
    return active_rules().rules.get(key)


def known_rule(key: str) -> BadgeRule | None:
    """Any installed rule by key, its plugin switched on or off (None when no plugin has it).

    Badges already issued stay verifiable and visible whatever their plugin's state: only new
    awards stop while it is switched off. Pages and documents about issued badges ask this.
    """
    return _registry().all.get(key)


def issued(session: Session, key: str) -> bool:
    """Whether anyone holds (or once held) the badge ``key``."""
    return session.execute(select(BadgeAward.id).where(BadgeAward.badge_key == key).limit(1)).first() is not None


def shown_rule(session: Session, key: str) -> BadgeRule | None:
    """The rule a badge's pages and Open Badges documents describe: an active rule, or the rule of
    a switched-off plugin once the badge has been issued (None otherwise)."""
    rule = get_rule(key)
    if rule is not None:
        return rule
    rule = known_rule(key)
    return rule if rule is not None and issued(session, key) else None


# --- granting ---------------------------------------------------------------------------

class Granted(NamedTuple):
    """A badge just granted, as listeners of ``engage_badges_granted`` read it (the columns of
    ``BadgeAward``; a plain tuple, cheap to build by the hundred)."""

    id: int
    user_id: int
    badge_key: str
    granted_at: datetime
    reason: str | None
    actor_id: int | None
    sole_key: str | None
    salt: str


def grant(session: Session, *, user_id: int, rule: BadgeRule, reason: str | None = None,
          actor_id: int | None = None, at: datetime | None = None) -> BadgeAward | None:
    """Give ``rule``'s badge to a user, once; returns the award, or None when already held.

    Runs in the caller's transaction: the notification and ``engage_badge_granted`` land with it.
    """
    made = grant_many(session, [(user_id, rule)], at=at, reason=reason, actor_id=actor_id)
    return BadgeAward(**made[0]._asdict()) if made else None


def grant_many(session: Session, grants: Iterable[tuple[int, BadgeRule]], *, at: datetime | None = None,
               reason: str | None = None, actor_id: int | None = None) -> list[Granted]:
    """``grant`` for many ``(user_id, rule)`` pairs at once, in the caller's transaction: one insert
    per 500, the notifications in one more, the listeners told once. Pairs already held (or
    repeated) grant nothing; returns what was granted, in the order given."""
    at = at or utcnow()
    rules, rows = {}, []
    for user_id, rule in grants:
        if (user_id, rule.key) not in rules:
            rules[(user_id, rule.key)] = rule
            rows.append(_award_values(user_id, rule, at, reason, actor_id))
    made = []
    if len(rows) == 1:  # one grant (the usual award): the compiled single insert is cheaper
        values = rows.pop()
        award_id = _insert_award(session, values)
        made = [Granted(award_id, **values)] if award_id is not None else []
    table = BadgeAward.__table__
    for i in range(0, len(rows), 500):
        stmt = (insert_for(session)(table).on_conflict_do_nothing()
                .returning(table.c.id, table.c.user_id, table.c.badge_key))
        ids = {(user_id, key): award_id for award_id, user_id, key in session.execute(stmt, rows[i:i + 500])}
        made.extend(Granted(ids[(values["user_id"], values["badge_key"])], **values) for values in rows[i:i + 500]
                    if (values["user_id"], values["badge_key"]) in ids)
    if made:
        _tell(session, [(granted, rules[(granted.user_id, granted.badge_key)]) for granted in made])
    return made


def _insert_award(session: Session, values: dict) -> int | None:
    """Insert one award; its id, or None when the user already holds the badge."""
    with ledger_cursor(session) as cursor:  # a grant is on the award path: compiled once, run on the cursor
        cursor.execute(compiled(session, "badges.grant", _grant_sql),
                       {**values, "granted_at": bind_time(session, values["granted_at"])})
        row = cursor.fetchone()
    return row[0] if row is not None else None


def _award_values(user_id: int, rule: BadgeRule, at: datetime, reason: str | None, actor_id: int | None) -> dict:
    return dict(user_id=user_id, badge_key=rule.key, granted_at=at, reason=reason, actor_id=actor_id,
                sole_key=rule.key if rule.kind == "first" else None, salt=secrets.token_hex(8))


def _tell(session: Session, made: list[tuple[Granted, BadgeRule]]) -> None:
    """Each grant's notification, then listeners of ``engage_badges_granted`` (the list once)
    and ``engage_badge_granted`` (each award, as a ``BadgeAward``)."""
    from core.notifications import notify_many
    from core.plugins import current_hooks

    notify_many(session, [(granted.user_id, rule.plugin or "core", "badge", _news(rule),
                           path_for("badges.detail", key=rule.key)) for granted, rule in made])
    hooks = current_hooks()
    hooks.engage_badges_granted(session=session, awards=[granted for granted, _rule in made])
    one_by_one = hooks.engage_badge_granted
    if one_by_one.get_hookimpls():
        for granted, _rule in made:
            one_by_one(session=session, award=BadgeAward(**granted._asdict()))


def _grant_sql(insert):
    table = BadgeAward.__table__
    names = ("user_id", "badge_key", "granted_at", "reason", "actor_id", "sole_key", "salt")
    return (insert(table).values({name: bindparam(name) for name in names}).on_conflict_do_nothing()
            .returning(table.c.id))


_NEWS: dict[int, tuple] = {}


def _news(rule: BadgeRule) -> dict[str, str]:
    """A grant's notification in both languages, rendered once per rule (its words are the
    rule's own): rendering in two locales costs more than the grant's insert."""
    found = _NEWS.get(id(rule))
    if found is None or found[0] is not rule:
        from core.notifications import both_languages

        english, chinese = both_languages(lambda: _("New badge: %(name)s. %(how)s", name=rule.label, how=rule.how))
        if len(_NEWS) > 2000:  # run-time rules are built again when librarians change them
            _NEWS.clear()
        found = _NEWS[id(rule)] = (rule, {"en": english, "zh_Hans": chinese})
    return found[1]


def grant_badge(session: Session, *, user_id: int, key: str, reason: str | None = None,
                actor_id: int | None = None) -> BadgeAward | None:
    """Public service for plugins: grant an active badge by key (None when already held)."""
    rule = get_rule(key)
    if rule is None:
        raise BadgeError(_("There is no such badge."))
    return grant(session, user_id=user_id, rule=rule, reason=reason, actor_id=actor_id)


def award_manually(session: Session, *, user_id: int, key: str, actor_id: int, reason: str) -> BadgeAward:
    """A librarian awards a manual badge to someone else, with a mandatory reason; audited."""
    rule = get_rule(key)
    if rule is None or rule.kind != "manual":
        raise BadgeError(_("This badge cannot be awarded by hand."))
    if actor_id == user_id:
        raise BadgeError(_("You cannot award a badge to yourself; ask another librarian."))
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise BadgeError(_("A reason is required."))
    award = grant(session, user_id=user_id, rule=rule, reason=reason[:500], actor_id=actor_id)
    if award is None:
        raise BadgeError(_("This reader already holds this badge."))
    session.add(AuditEntry(actor_id=actor_id, action="badge.award", target=f"user:{user_id}", detail=key,
                           reason=reason[:500]))
    return award


def revoke(session: Session, *, user_id: int, key: str, actor_id: int, reason: str) -> None:
    """Withdraw a badge (its row stays, so it is never granted again by itself); audited."""
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise BadgeError(_("A reason is required."))
    award = session.execute(select(BadgeAward).where(BadgeAward.user_id == user_id, BadgeAward.badge_key == key,
                                                     BadgeAward.revoked_at.is_(None))).scalar()
    if award is None:
        raise BadgeError(_("This reader does not hold this badge."))
    award.revoked_at, award.revoke_reason = utcnow(), reason[:500]
    session.add(award)
    rule = known_rule(key)
    from core.notifications import notify

    notify(session, user_id=user_id, plugin=(rule.plugin if rule else "") or "core", kind="badge-revoked",
           message=lambda: _("Your badge %(name)s was withdrawn: %(reason)s",
                             name=rule.label if rule else key, reason=award.revoke_reason),
           url=path_for("badges.detail", key=key) if rule else None)
    session.add(AuditEntry(actor_id=actor_id, action="badge.revoke", target=f"user:{user_id}", detail=key,
                           reason=reason[:500]))


def _held_by(session: Session, user_ids: set[int], keys: set[str]) -> set[tuple[int, str]]:
    """Which of ``keys`` each of ``user_ids`` holds, as (user, key) pairs."""
    ordered, held = sorted(user_ids), set()
    for i in range(0, len(ordered), 500):
        held.update(select_in(session, "badges.held_by", lambda: select(BadgeAward.user_id, BadgeAward.badge_key).where(
            BadgeAward.user_id.in_(bindparam("users", expanding=True)),
            BadgeAward.badge_key.in_(bindparam("keys", expanding=True))), users=ordered[i:i + 500], keys=sorted(keys)))
    return held


# --- evaluation on events -----------------------------------------------------------------

@hookimpl(tryfirst=True)
def engage_points_awarded_many(session, awards):
    """Grant the points badges awards have just crossed into (before plugins hear of them)."""
    check_points_many(session, [(a.user_id, a.total - a.amount, a.total) for a in awards])


@hookimpl(tryfirst=True)
def engage_activities_recorded(session, activities):
    """Grant the count, first and streak badges recorded activities have just earned."""
    check_activities(session, activities)


def check_points(session: Session, *, user_id: int, old_total: int, new_total: int) -> None:
    """After an award: grant the points badges whose threshold was just crossed."""
    check_points_many(session, [(user_id, old_total, new_total)])


def check_points_many(session: Session, moves: list[tuple[int, int, int]]) -> None:
    """After awards, each ``(user_id, old_total, new_total)``: grant the points badges whose
    threshold was just crossed, together."""
    rules = active_rules()
    due = []
    for user_id, old_total, new_total in moves:
        if new_total > old_total:
            due.extend((user_id, rule) for rule in rules.crossed(old_total, new_total))  # usually none
    if not due:
        return
    criteria = [(user_id, rule) for user_id, rule in due if rule.kind == "criteria"]
    held = _held_by(session, {user_id for user_id, _rule in criteria}, {rule.key for _user_id, rule in criteria}) \
        if criteria else set()
    grant_many(session, [(user_id, rule) for user_id, rule in due if rule.kind != "criteria" or (
        (user_id, rule.key) not in held and rule.qualifies(session, user_id))])


def check_activity(session: Session, activity) -> None:
    """After an activity is recorded: counts, firsts and streaks for this activity."""
    check_activities(session, [activity])


def check_activities(session: Session, activities: list) -> None:
    """After activities are recorded: counts, firsts and streaks, read for every user at once.

    Each (user, rule) is judged once, on the user's first activity in the list: the counts and
    streaks already include the others, as they were all written before this runs."""
    active = active_rules()
    todo: dict[tuple[int, str], tuple[BadgeRule, object]] = {}
    for activity in activities:
        for rule in active.by_activity.get((activity.plugin, activity.kind), []) + active.any_activity:
            todo.setdefault((activity.user_id, rule.key), (rule, activity))
    if not todo:
        return
    held = _held_by(session, {user_id for user_id, _key in todo}, {key for _user, key in todo})
    by_rule: dict[str, list] = {}
    for (user_id, key), (rule, activity) in todo.items():
        if (user_id, key) not in held:
            by_rule.setdefault(key, []).append((rule, activity))
    granting = []
    for pairs in by_rule.values():
        rule, users = pairs[0][0], [activity.user_id for _rule, activity in pairs]
        if rule.kind == "activity_count":
            from core.activity import activity_counts

            counts = activity_counts(session, users, plugin=rule.activity[0], kind=rule.activity[1])
            earned = [user_id for user_id in users if counts.get(user_id, 0) >= rule.count]
        elif rule.kind == "first":  # only the earliest of them can be the first ever
            earliest = min((activity for _rule, activity in pairs), key=lambda a: a.id)
            earned = [earliest.user_id] if _is_first(session, earliest, rule) else []
        elif rule.kind == "weekly_streak":
            streaks = weekly_streaks(session, users, activity=rule.activity, at=pairs[0][1].created_at,
                                     enough=rule.weeks, active_that_week=True)
            earned = [user_id for user_id in users if streaks.get(user_id, 0) >= rule.weeks]
        elif rule.kind == "criteria":
            earned = [user_id for user_id in users if rule.qualifies(session, user_id)]
        else:
            earned = []
        granting.extend((user_id, rule) for user_id in earned)
    grant_many(session, granting)


def _is_first(session: Session, activity: ActivityEntry, rule: BadgeRule) -> bool:
    """Whether ``activity`` is the first ever of its kind and nobody holds the badge yet."""
    query = select(ActivityEntry.id).where(ActivityEntry.id < activity.id)
    if rule.activity is not None:
        query = query.where(ActivityEntry.plugin == activity.plugin, ActivityEntry.kind == activity.kind)
    if session.execute(query.limit(1)).first() is not None:
        return False
    return session.execute(select(BadgeAward.id).where(BadgeAward.sole_key == rule.key)).first() is None


# --- weekly streaks -------------------------------------------------------------------------

def _calendar():
    from core.points import current_calendar

    return current_calendar()


def holiday_weeks() -> frozenset[str]:
    """Weeks ("YYYY-Www") that neither break nor extend a streak (setting ``HOLIDAY_WEEKS``)."""
    return frozenset(current_app.config.get("HOLIDAY_WEEKS") or ())


def weekly_streak(session: Session, user_id: int, *, activity: tuple[str, str] | None = None,
                  at: datetime | None = None, calendar=None, holidays=None, enough: int | None = None) -> int:
    """The user's current run of consecutive weeks with at least one activity.

    Counted back from the week of ``at`` (now by default). The current week may still be
    empty without breaking the run; holiday weeks are skipped (they neither break nor extend it).
    With ``enough``, a run of more weeks is counted as at least ``enough`` (see ``weekly_streaks``).
    """
    return weekly_streaks(session, [user_id], activity=activity, at=at, calendar=calendar,
                          holidays=holidays, enough=enough).get(user_id, 0)


def weekly_streaks(session: Session, user_ids, *, activity: tuple[str, str] | None = None,
                   at: datetime | None = None, calendar=None, holidays=None, enough: int | None = None,
                   active_that_week: bool = False) -> dict[int, int]:
    """``weekly_streak`` for many users in one query per 500 (users with no run left out).

    With ``enough``, only as many weeks are read as it takes to tell whether a run reaches
    ``enough`` weeks: a longer run is then counted as at least ``enough``, never more exactly.
    With ``active_that_week``, the caller knows each user was active in the week of ``at`` (they
    have just done the activity): only the weeks before it are read, not that week's activities,
    which on a busy day are most of them."""
    calendar = calendar or _calendar()
    holidays = holiday_weeks() if holidays is None else frozenset(holidays)
    at = at or utcnow()
    weeks_back = MAX_STREAK_WEEKS if enough is None else min(MAX_STREAK_WEEKS, enough + 1 + len(holidays))
    day = calendar.local_date(at)
    monday = day - timedelta(days=day.weekday())
    # Each week's first instant (local midnight on Monday), newest first: the database tells which
    # weeks each user was active in (one row per user and week), never every activity.
    starts = [datetime.combine(monday - timedelta(weeks=k), datetime.min.time(), tzinfo=calendar.tz)
              for k in range(-1, weeks_back)]
    names = [f"{iso.year}-W{iso.week:02d}" for iso in (start.date().isocalendar() for start in starts[1:])]

    def statement():
        created = ActivityEntry.created_at
        week_of = case(*[(created >= bindparam(f"week{k}"), k) for k in range(len(names))], else_=-1)
        query = select(ActivityEntry.user_id, week_of).distinct().where(
            ActivityEntry.user_id.in_(bindparam("users", expanding=True)), created >= bindparam("oldest"),
            created < bindparam("newest"))
        if activity is not None:
            query = query.where(ActivityEntry.plugin == bindparam("plugin"), ActivityEntry.kind == bindparam("kind"))
        return query

    name = f"badges.streaks.{len(names)}.{'one' if activity else 'any'}"
    params = {f"week{k}": start for k, start in enumerate(starts[1:])}
    params.update(oldest=starts[-1], newest=starts[1] if active_that_week else starts[0],
                  plugin=activity and activity[0], kind=activity and activity[1])
    ordered = sorted(set(user_ids))
    active = {user_id: {names[0]} for user_id in ordered} if active_that_week else {}
    for i in range(0, len(ordered), 500):
        for user_id, k in select_in(session, name, statement, users=ordered[i:i + 500], **params):
            active.setdefault(user_id, set()).add(names[k])
    if not active:
        return {}
    current = names[0]
    back = [week for week in names if week not in holidays]
    streaks = {}
    for user_id, weeks in active.items():
        streak = 0
        for week in back:
            if week in weeks:
                streak += 1
            elif week != current:  # this week is not over yet
                break
        if streak:
            streaks[user_id] = streak
    return streaks


# --- progress, rarity, holders ---------------------------------------------------------------

@dataclass(frozen=True)
class BadgeView:
    """A badge as a page shows it to one reader."""

    rule: BadgeRule
    holders: int
    share: float
    earned: BadgeAward | None = None
    current: int | None = None
    taken: bool = False

    @property
    def percent(self) -> int:
        if self.earned:
            return 100
        goal = self.rule.goal
        if not goal or self.current is None:
            return 0
        return max(0, min(100, self.current * 100 // goal))


def active_user_count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(User).where(User.is_active.is_(True))).scalar_one()


def holder_counts(session: Session) -> dict[str, int]:
    """How many active users hold each badge (revoked awards left out)."""
    rows = session.execute(select(BadgeAward.badge_key, func.count()).join(User, User.id == BadgeAward.user_id)
                           .where(BadgeAward.revoked_at.is_(None), User.is_active.is_(True))
                           .group_by(BadgeAward.badge_key)).all()
    return dict(rows)


def user_awards(session: Session, user_id: int) -> dict[str, BadgeAward]:
    """A user's badges that are not revoked, by key (of every plugin, switched on or not)."""
    rows = session.execute(select(BadgeAward).where(BadgeAward.user_id == user_id,
                                                    BadgeAward.revoked_at.is_(None))).scalars()
    return {row.badge_key: row for row in rows}


def progress_value(session: Session, rule: BadgeRule, user_id: int, total: int | None = None) -> int | None:
    """How far a user is toward ``rule``: points, activities or weeks (None when not countable)."""
    if rule.kind == "points":
        if total is None:
            row = session.get(PointTotal, user_id)
            total = row.total if row else 0
        return total
    if rule.kind == "activity_count":
        from core.activity import activity_count

        return activity_count(session, user_id=user_id, plugin=rule.activity[0], kind=rule.activity[1])
    if rule.kind == "weekly_streak":
        return weekly_streak(session, user_id, activity=rule.activity, enough=rule.weeks)
    return None


def views(session: Session, user_id: int | None, rules: list[BadgeRule] | None = None) -> list[BadgeView]:
    """Every active badge (or ``rules``) with rarity and, for a signed-in reader, their progress."""
    rules = rules if rules is not None else active_rules().ordered()
    counts = holder_counts(session)
    population = max(active_user_count(session), 1)
    mine = user_awards(session, user_id) if user_id else {}
    total = None
    if user_id:
        row = session.get(PointTotal, user_id)
        total = row.total if row else 0
    taken = set()
    firsts = [r.key for r in rules if r.kind == "first"]
    if firsts:
        taken = set(session.execute(select(BadgeAward.badge_key).where(BadgeAward.badge_key.in_(firsts))).scalars())
    result = []
    for rule in rules:
        held = counts.get(rule.key, 0)
        earned = mine.get(rule.key)
        current = progress_value(session, rule, user_id, total) if user_id and not earned else None
        result.append(BadgeView(rule, held, held / population, earned, current, rule.key in taken))
    return result


def holders(session: Session, key: str, *, limit: int = 100) -> tuple[list[tuple[str, datetime]], int]:
    """Public holders (display name, when granted), earliest first, and how many others opted out."""
    base = (select(User.display_name, BadgeAward.granted_at, User.hide_from_boards)
            .join(User, User.id == BadgeAward.user_id)
            .where(BadgeAward.badge_key == key, BadgeAward.revoked_at.is_(None), User.is_active.is_(True)))
    rows = session.execute(base.order_by(BadgeAward.granted_at, BadgeAward.id)).all()
    public = [(name, at) for name, at, hidden in rows if not hidden]
    hidden = sum(1 for row in rows if row[2])
    return public[:limit], hidden + max(0, len(public) - limit)


# How a badge is earned, in readers' words (the kinds themselves are internal names).
KIND_LABELS = {"points": _l("Earned with points"), "activity_count": _l("Earned by taking part"),
               "weekly_streak": _l("Earned by coming back every week"), "first": _l("For the first to do it"),
               "manual": _l("Awarded by a librarian"), "criteria": _l("Earned as the library sets out")}
