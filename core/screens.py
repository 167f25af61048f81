"""Library screens: lobby TVs that rotate through leaderboards and plugin slides at a secret URL.

A librarian makes a ``Screen`` (name, language, seconds per slide, a list of slide keys).
Slide keys are ``board:all``, ``board:week``, ``board:month``, ``board:term``,
``board:cohort:<name>`` (a faculty's all-time board), ``board:staff`` (the staff's all-time
board) and ``plugin:<plugin>:<key>`` for the
slides plugins offer through the ``engage_screen_slides`` hook.

The secret URL
    ``/screen/<token>`` needs no login. The token is ``URLSafeSerializer(SECRET_KEY,
    salt="engage.screen")`` over ``[screen_id, token_version]``. Rotating the URL raises
    ``token_version``, so every older token stops matching; deleting the screen removes it.
    A forged, revoked or deleted token gets the same bare 403.

Polling cheaply (DESIGN contract 7)
    The TV's slide area polls ``/screen/<token>/slide?n=<i>`` every ``seconds_per_slide``;
    each fragment names the next ``n``. Every fragment carries a strong ``ETag`` with
    ``Cache-Control: no-cache``, so the browser revalidates with ``If-None-Match`` and a
    matching request is answered 304 *before any query or template rendering*:

    * Each worker keeps a ``ScreenVersions`` cache (``app.extensions["engage.screens"]``):
      a *data version* and a snapshot of every screen. At most once every
      ``SCREEN_VERSION_SECONDS`` (default 1 s) a request refreshes it with ONE cheap query —
      the board version (``core.ledger_sql.BOARD_VERSION``: the sum of ``core_board_version``,
      which every transaction that pays points raises as it commits — unlike the ledger's
      highest id, it also moves when a lower id commits after a higher one), the count and id-sum of off-board users (the partial index
      ``ix_core_user_off_boards``; an opt-out moves it) and the ``screens`` generation in
      ``core_counter`` (raised by every create, edit, rotate and delete) — plus the current
      week/month/term keys (from the per-minute calendar cache), so a new week changes it
      too. Only when the screens generation moved are the screens re-read (a second query).
    * The ETag is a hash of: screen id, token version, the screens generation, the screen's
      locale, the slide position and key, that data version, the plugin switch generation
      (``PluginHost``, refreshed by its own once-a-second check) and a time bucket of
      ``SCREEN_MAX_AGE_SECONDS`` (default 60 s), a backstop for what no counter sees (a
      renamed user, a plugin slide's own content).
    * Checking a request therefore costs a signature check, a dict lookup and a hash. A
      slide is at most ``SCREEN_VERSION_SECONDS`` + one poll interval stale; a revoked URL
      stops working in other workers within ``SCREEN_VERSION_SECONDS`` (at once in the
      worker that revoked it).
"""

from __future__ import annotations

from collections import OrderedDict

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass, replace
from functools import lru_cache
from urllib.parse import urljoin

import segno
from flask import current_app, request
from flask_babel import get_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup
from sqlalchemy import func, select, update
from sqlmodel import Session

from core.identity.faculties import names_by_code
from core.ledger_sql import BOARD_VERSION
from core.models import OFF_BOARDS, AuditEntry, Counter, Screen, User, utcnow
from core.ui import Slide

log = logging.getLogger(__name__)

SALT = "engage.screen"
GENERATION = "screens"
LOCALES = ("en", "zh_Hans")
MIN_SECONDS, MAX_SECONDS = 5, 300
BOARD_SLIDES = ("board:all", "board:week", "board:month", "board:term")
STAFF_SLIDE = "board:staff"  # librarians and administrators, apart from readers (core.boards_staff)
MAX_SLIDES = 50


class ScreenError(ValueError):
    """Input a screen cannot be saved with; ``str()`` is safe to show a librarian."""


@dataclass(frozen=True)
class ScreenInfo:
    """A worker's snapshot of one screen; this is what plugins receive as ``screen``."""

    id: int | None
    name: str
    locale: str
    seconds_per_slide: int
    slides: tuple[str, ...]
    token_version: int

    @classmethod
    def of(cls, screen: Screen) -> "ScreenInfo":
        return cls(screen.id, screen.name, screen.locale, screen.seconds_per_slide,
                   tuple(slide_keys(screen)), screen.token_version)


def slide_keys(screen: Screen) -> list[str]:
    """The screen's slide keys, in order."""
    try:
        keys = json.loads(screen.slides or "[]")
    except ValueError:
        return []
    return [k for k in keys if isinstance(k, str)] if isinstance(keys, list) else []


# --- the secret URL -----------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(screen: Screen | ScreenInfo) -> str:
    """The token of the screen's current secret URL."""
    return _serializer().dumps([screen.id, screen.token_version])


def read_token(token: str) -> tuple[int, int] | None:
    """(screen id, token version) from a genuine token, else None."""
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        return None
    return value[0], value[1]


# --- what can be shown --------------------------------------------------------------------

def split_plugin_key(key: str) -> tuple[str, str] | None:
    """("plugin", "key") from "plugin:<plugin>:<key>", else None."""
    parts = key.split(":", 2)
    if len(parts) == 3 and parts[0] == "plugin" and parts[1] and parts[2]:
        return parts[1], parts[2]
    return None


def plugin_slides(screen: ScreenInfo, only: str | None = None) -> list[tuple[str, Slide]]:
    """(plugin name, Slide) for every enabled plugin's slides (or ``only`` that plugin's).

    Each implementation is called on its own, so core knows whose slide is whose, and a
    plugin that fails loses its slides instead of taking the screen down.
    """
    from core.plugins import get_host

    out = []
    for impl in get_host().hooks.engage_screen_slides.get_hookimpls():
        if only is not None and impl.plugin_name != only:
            continue
        try:
            result = impl.function(screen=screen)
            items = [] if result is None else list(result) if isinstance(result, (list, tuple)) else [result]
            for item in items:
                if not isinstance(item, Slide):
                    raise TypeError(f"expected Slide, got {item!r}")
                out.append((impl.plugin_name, item))
        except Exception:
            log.exception("plugin %s: engage_screen_slides failed", impl.plugin_name)
    return sorted(out, key=lambda pair: (pair[1].order, str(pair[1].title)))


def available_slides(session: Session, screen: ScreenInfo) -> list[tuple[str, str]]:
    """Every slide key a librarian may pick now, with a label in the reader's language."""
    from core import boards

    choices = [(key, _("Leaderboard: %(name)s", name=boards.BOARDS[key.split(":")[1]])) for key in BOARD_SLIDES]
    choices.append((STAFF_SLIDE, _("Staff points: all time")))
    faculties = names_by_code(session)
    choices += [(f"board:cohort:{name}", _("Leaderboard of %(cohort)s", cohort=faculties.get(name, name)))
                for name in boards.cohorts(session)]
    # Plugins render a slide in the screen's language; the librarian picking slides reads theirs.
    as_reader = replace(screen, locale=str(get_locale()))
    choices += [(f"plugin:{plugin}:{slide.key}", str(slide.title)) for plugin, slide in plugin_slides(as_reader)]
    return choices


# --- the service functions ----------------------------------------------------------------

def _bump(session: Session) -> None:
    if session.get(Counter, GENERATION) is None:
        session.add(Counter(name=GENERATION, value=0))
        session.flush()
    session.execute(update(Counter).where(Counter.name == GENERATION).values(value=Counter.value + 1))


def save_screen(session: Session, *, screen: Screen | None, name: str, locale: str, seconds_per_slide,
                slides: list[str], allowed: set[str], actor_id: int | None) -> Screen:
    """Create (``screen=None``) or change a screen; raises ScreenError and changes nothing on bad input."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ScreenError(_("Give the screen a name of up to 80 characters."))
    if locale not in LOCALES:
        raise ScreenError(_("Choose English or Simplified Chinese."))
    try:
        seconds = int(seconds_per_slide)
    except (TypeError, ValueError):
        seconds = 0
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise ScreenError(_("Seconds per slide must be between %(low)d and %(high)d.", low=MIN_SECONDS,
                            high=MAX_SECONDS))
    slides = list(dict.fromkeys(slides))
    if not slides:
        raise ScreenError(_("Choose at least one slide."))
    unknown = [key for key in slides if key not in allowed]
    if unknown or len(slides) > MAX_SLIDES:
        raise ScreenError(_("Some of the chosen slides do not exist. Please choose again."))
    if screen is None:
        screen = Screen(created_by=actor_id, created_at=utcnow())
    screen.name, screen.locale, screen.seconds_per_slide = name, locale, seconds
    screen.slides = json.dumps(slides)
    session.add(screen)
    session.flush()
    _bump(session)
    session.add(AuditEntry(actor_id=actor_id, action="screen.save", target=f"screen:{screen.id}"))
    return screen


def rotate_token(session: Session, *, screen: Screen, actor_id: int | None) -> Screen:
    """Give the screen a new secret URL; the old one answers 403 from now on."""
    screen.token_version += 1
    session.add(screen)
    _bump(session)
    session.add(AuditEntry(actor_id=actor_id, action="screen.rotate", target=f"screen:{screen.id}"))
    return screen


def delete_screen(session: Session, *, screen: Screen, actor_id: int | None) -> None:
    """Delete a screen; its URL answers 403 from now on."""
    session.add(AuditEntry(actor_id=actor_id, action="screen.delete", target=f"screen:{screen.id}",
                           detail=screen.name[:200]))
    session.delete(screen)
    _bump(session)


# --- the per-worker version cache ----------------------------------------------------------

_OFF = User.__table__.c
_SIGNALS = select(
    BOARD_VERSION.scalar_subquery(),
    select(func.count()).select_from(User.__table__).where(OFF_BOARDS).scalar_subquery(),
    select(func.coalesce(func.sum(_OFF.id), 0)).where(OFF_BOARDS).scalar_subquery(),
    select(Counter.value).where(Counter.name == GENERATION).scalar_subquery(),
)


class ScreenVersions:
    """One worker's view of the screens and of how new the board data is (see the module doc)."""

    def __init__(self, refresh_seconds: float) -> None:
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self.generation: int | None = None
        self.data_version = ""
        self.screens: dict[int, ScreenInfo] = {}
        # Rendered slide fragments by ETag: a TV that polls without one (just switched on) gets
        # the same bytes as its neighbours without rendering them again. Bounded, oldest out.
        self._bodies: OrderedDict[str, bytes] = OrderedDict()

    def refresh(self, db, *, force: bool = False) -> None:
        """Re-read the version signals if they are older than ``refresh_seconds``."""
        now = time.monotonic()
        if not force and now - self._checked_at < self.refresh_seconds:
            return
        with self._lock:
            if not force and now - self._checked_at < self.refresh_seconds:
                return
            from core.points import current_calendar

            keys = sorted(current_calendar().keys(utcnow()).items())
            with db.engine.connect() as conn:
                board_version, off_count, off_sum, generation = conn.execute(_SIGNALS).one()
                generation = generation or 0
                if generation != self.generation or force:
                    rows = conn.execute(select(Screen.__table__)).mappings().all()
                    self.screens = {row["id"]: ScreenInfo.of(Screen(**row)) for row in rows}
                    self.generation = generation
            self.data_version = f"{board_version or 0}.{off_count}.{off_sum}.{keys}"
            self._checked_at = time.monotonic()

    def lookup(self, token: str) -> ScreenInfo | None:
        """The screen a genuine, current token points at, else None (no query)."""
        found = read_token(token)
        if found is None:
            return None
        info = self.screens.get(found[0])
        if info is None or info.token_version != found[1]:
            return None
        return info

    def remember(self, etag: str, body: bytes, keep: int = 256) -> None:
        if keep <= 0:
            return
        with self._lock:
            self._bodies[etag] = body
            while len(self._bodies) > keep:
                self._bodies.popitem(last=False)

    def body(self, etag: str) -> bytes | None:
        return self._bodies.get(etag)

    def etag(self, info: ScreenInfo, position: int, key: str, plugin_generation) -> str:
        max_age = current_app.config["SCREEN_MAX_AGE_SECONDS"]
        bucket = int(time.time() // max_age) if max_age else 0
        raw = f"{info.id}|{info.token_version}|{self.generation}|{info.locale}|{position}|{key}|" \
              f"{self.data_version}|{plugin_generation}|{bucket}"
        return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()


def get_versions() -> ScreenVersions:
    """The current app's screen cache, refreshed when stale."""
    versions = current_app.extensions["engage.screens"]
    versions.refresh(current_app.extensions["engage.db"])
    return versions


def init_app(app) -> ScreenVersions:
    app.config.setdefault("SCREEN_VERSION_SECONDS", 1.0)
    app.config.setdefault("SCREEN_MAX_AGE_SECONDS", 60)
    app.config.setdefault("SCREEN_FRAGMENT_CACHE", 256)  # rendered slides kept per worker; 0: render every time
    versions = ScreenVersions(app.config["SCREEN_VERSION_SECONDS"])
    app.extensions["engage.screens"] = versions
    return versions


# --- QR codes -----------------------------------------------------------------------------

def absolute(url: str) -> str:
    """``url`` made absolute against this request's address, for a phone to open."""
    return urljoin(request.host_url, url)


@lru_cache(maxsize=512)
def qr_svg(url: str) -> Markup:
    """An inline SVG QR code for ``url`` (dark on light, with its quiet zone), cached per URL."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=1, dark="#0b1f24", light="#ffffff", omitsize=True)
    return Markup(svg)
