"""The plugin host: loads built-in and installed plugins, and switches them at runtime.

Each app owns its own pluggy manager (no module-global state, so tests can run several apps).
The enabled state lives in ``core_plugin_state`` with a generation counter in ``core_counter``;
each worker re-reads the counter at most every ``PLUGIN_REFRESH_SECONDS`` and, when it moved,
the switches. Per-request hook calls go through ``subset_hook_caller`` with the disabled
plugins removed; the manager itself is never changed while requests are in flight.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

import pluggy
from flask import Blueprint, Flask, abort, current_app, request
from sqlalchemy import select, update
from sqlmodel import Session

from core import hookspecs
from core.models import AuditEntry, Counter, PluginState, utcnow

log = logging.getLogger(__name__)

# Core lists its built-in plugins by module name only; it never imports them directly.
BUILTIN_PLUGINS = (
    "plugins.contributions.plugin",
    "plugins.brand_stories.plugin",
    "plugins.staff_scores.plugin",
    "plugins.feedback.plugin",
    # rewards: perks, vouchers and prize draws
    "plugins.rewards.plugin",

    "plugins.signin_cas.plugin",
    "plugins.signin_oidc.plugin",
    "plugins.signin_ldap.plugin",
    # The relationship dashboard.
    "plugins.insights.plugin",
    "plugins.badgemaker.plugin",
    # events: registration, waitlists, reminders, calendar feeds and QR check-in
    "plugins.events.plugin",
    # inbound: events from the library's own systems (loans, gate entries…) paid by librarians' rules
    "plugins.inbound.plugin",
)
# Core's own listeners to the ledger's events, registered like plugins but never switched off:
# levels and badges hear of awards and activities through the hooks, so the ledger imports
# nothing above it. Registered oldest-first; their hooks are ``tryfirst`` and pluggy calls the
# newest first, so levels speak before badges, and both before any plugin.
CORE_LISTENERS = ("core.badges", "core.levels")
ENTRY_POINT_GROUP = "engage.plugins"
GENERATION = "plugins"
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


class UnknownPlugin(LookupError):
    """No installed plugin has this name."""


@dataclass
class PluginInfo:
    """What the admin page shows about one plugin."""

    name: str
    version: str
    title: dict
    description: dict
    source: str
    obj: object = field(repr=False)

    def localized(self, text: dict, locale: str) -> str:
        return text.get(locale) or text.get("en") or self.name


@dataclass
class LoadFailure:
    """A plugin that could not be loaded, and why."""

    source: str
    error: str


class FilteredHooks:
    """Hook callers that leave out the disabled plugins, built once per generation."""

    def __init__(self, pm: pluggy.PluginManager, disabled: list[object]) -> None:
        self._pm = pm
        self._disabled = disabled
        self._callers: dict[str, object] = {}

    def __getattr__(self, name: str):
        caller = self._callers.get(name)
        if caller is None:
            if not self._disabled:
                caller = getattr(self._pm.hook, name)
            else:
                caller = self._pm.subset_hook_caller(name, remove_plugins=self._disabled)
            self._callers[name] = caller
        return caller


class PluginHost:
    """One app's plugins: what is installed, what is switched on, and the hooks to call."""

    def __init__(self, refresh_seconds: float) -> None:
        self.pm = pluggy.PluginManager("engage")
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.failures: list[LoadFailure] = []
        self.blueprint_owner: dict[str, str] = {}
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._checked_at = float("-inf")
        self._disabled: frozenset[str] = frozenset()
        self._hooks = FilteredHooks(self.pm, [])
        for module_name in CORE_LISTENERS:
            self.pm.register(importlib.import_module(module_name), name=module_name)
        self.pm.check_pending()

    # --- loading -------------------------------------------------------------------------

    def load(self, builtins=BUILTIN_PLUGINS, extra: tuple = (), group: str | None = ENTRY_POINT_GROUP) -> None:
        """Register built-in plugins, then installed ones, then ``extra`` objects (tests)."""
        for module_name in builtins:
            self._try(module_name, lambda m=module_name: importlib.import_module(m))
        if group:
            for ep in entry_points(group=group):
                self._try(f"{ep.name} ({ep.value})", ep.load)
        for obj in extra:
            self._try(getattr(obj, "NAME", repr(obj)), lambda o=obj: o)

    def _try(self, source: str, load) -> None:
        try:
            obj = load()
            self.register(obj, source)
        except Exception as exc:  # a broken plugin must not take the app down
            log.exception("plugin %s failed to load", source)
            self.failures.append(LoadFailure(source, f"{type(exc).__name__}: {exc}"))

    def register(self, obj: object, source: str) -> PluginInfo:
        """Check a plugin object's metadata and hooks, then register it."""
        name = getattr(obj, "NAME", None)
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"plugin NAME must match {_NAME.pattern}, got {name!r}")
        if name in self.infos or name == "core":
            raise ValueError(f"a plugin named {name!r} is already installed")
        title, description = getattr(obj, "TITLE", None), getattr(obj, "DESCRIPTION", None)
        for label, text in (("TITLE", title), ("DESCRIPTION", description)):
            if not isinstance(text, dict) or not {"en", "zh_Hans"} <= set(text):
                raise ValueError(f"plugin {name}: {label} needs 'en' and 'zh_Hans' texts")
        self.pm.register(obj, name=name)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError:
            self.pm.unregister(obj)
            raise
        info = PluginInfo(name, str(getattr(obj, "VERSION", "0")), title, description, source, obj)
        self.infos[name] = info
        return info

    def folder(self, name: str) -> Path:
        """The folder of plugin ``name``'s module, where its translations and migrations live."""
        obj = self.infos[name].obj
        return Path(inspect.getfile(obj if inspect.ismodule(obj) else type(obj))).parent

    def migration_dirs(self) -> dict[str, Path]:
        """Each plugin's own ``migrations/versions`` folder (its Alembic branch), where it has one."""
        folders = {name: self.folder(name) / "migrations" / "versions" for name in self.infos}
        return {name: folder for name, folder in folders.items() if folder.is_dir()}

    def register_blueprints(self, app: Flask) -> None:
        """Register every plugin's blueprints (enabled or not: Flask forbids adding them later)."""
        for impl in self.pm.hook.engage_blueprints.get_hookimpls():
            result = impl.function()
            for bp in result if isinstance(result, (list, tuple)) else [result]:
                if not isinstance(bp, Blueprint):
                    raise TypeError(f"plugin {impl.plugin_name}: engage_blueprints returned {bp!r}")
                if bp.name != impl.plugin_name and not bp.name.startswith(impl.plugin_name + "_"):
                    raise ValueError(f"plugin {impl.plugin_name}: blueprint {bp.name!r} must be named "
                                     f"{impl.plugin_name!r} or start with {impl.plugin_name + '_'!r}")
                self.blueprint_owner[bp.name] = impl.plugin_name
                app.register_blueprint(bp)

    # --- switching -----------------------------------------------------------------------

    def refresh(self, db, *, force: bool = False) -> None:
        """Re-read the switches if the generation moved; cheap enough to call on every request."""
        now = time.monotonic()
        if not force and now - self._checked_at < self.refresh_seconds:
            return
        with db.engine.connect() as conn:
            generation = conn.execute(select(Counter.value).where(Counter.name == GENERATION)).scalar() or 0
            if generation != self._generation or force:
                off = conn.execute(select(PluginState.name).where(PluginState.enabled.is_(False))).scalars()
                self._apply(generation, frozenset(off))
        self._checked_at = now

    def _apply(self, generation: int, disabled: frozenset[str]) -> None:
        with self._lock:
            if disabled != self._disabled or self._generation is None:
                objs = [self.infos[n].obj for n in disabled if n in self.infos]
                self._hooks = FilteredHooks(self.pm, objs)
                self._disabled = disabled
            self._generation = generation

    def is_enabled(self, name: str) -> bool:
        """Whether an installed plugin is switched on in this worker's current view."""
        return name in self.infos and name not in self._disabled

    @property
    def generation(self) -> int | None:
        """The switch generation this worker last read (library screens put it in their ETags)."""
        return self._generation

    @property
    def hooks(self) -> FilteredHooks:
        """Callers for per-request and event hooks, without the disabled plugins."""
        return self._hooks

    def guard_request(self) -> None:
        """Answer 404 for any route of a disabled plugin (its blueprint stays registered)."""
        if request.blueprint:
            owner = self.blueprint_owner.get(request.blueprint.split(".")[0])
            if owner and owner in self._disabled:
                abort(404)


def set_enabled(session: Session, *, name: str, enabled: bool, actor_id: int | None,
                host: PluginHost | None = None) -> bool:
    """Switch a plugin on or off for every worker; returns False when it already was. Audited."""
    host = host or get_host()
    if name not in host.infos:
        raise UnknownPlugin(name)
    state = session.get(PluginState, name)
    if (state.enabled if state else True) == enabled:
        return False
    state = state or PluginState(name=name)
    state.enabled, state.changed_at = enabled, utcnow()
    session.add(state)
    if session.get(Counter, GENERATION) is None:
        session.add(Counter(name=GENERATION, value=0))
        session.flush()
    session.execute(update(Counter).where(Counter.name == GENERATION).values(value=Counter.value + 1))
    session.add(AuditEntry(actor_id=actor_id, action="plugin.enable" if enabled else "plugin.disable",
                           target=f"plugin:{name}"))
    return True


def get_host() -> PluginHost:
    """The current app's plugin host."""
    return current_app.extensions["engage.plugins"]


def current_hooks() -> FilteredHooks:
    """Hook callers for the current app without its disabled plugins (refreshed when stale)."""
    host = get_host()
    host.refresh(current_app.extensions["engage.db"])
    return host.hooks


def init_app(app: Flask, extra_plugins: tuple = ()) -> PluginHost:
    """Load plugins, register their blueprints and refuse disabled plugins' routes."""
    host = PluginHost(app.config["PLUGIN_REFRESH_SECONDS"])
    host.load(builtins=app.config.get("BUILTIN_PLUGINS", BUILTIN_PLUGINS), extra=extra_plugins,
              group=app.config.get("PLUGIN_ENTRY_POINT_GROUP", ENTRY_POINT_GROUP))
    app.extensions["engage.plugins"] = host
    host.register_blueprints(app)

    @app.before_request
    def _honour_switches():
        host.refresh(app.extensions["engage.db"])
        host.guard_request()

    return host
