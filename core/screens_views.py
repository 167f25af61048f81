"""Library screens: the librarians' pages (``/screens/``) and the TV's own page (``/screen/<token>``).

The TV page needs no login; its token is the secret. The slide fragment answers 304 from
the per-worker version cache before any query or rendering (see ``core.screens``).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs

from flask import Blueprint, abort, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from jinja2_fragments.flask import render_block
from sqlmodel import select
from werkzeug.http import parse_etags

from core import boards, boards_staff
from core import screens as service
from core.confirm import ask, confirmed
from core.db import get_session
from core.forms import ConfirmForm
from core.i18n import pick
from core.models import Role, Screen, utcnow
from core.plugins import get_host
from core.points import current_calendar
from core.security import role_required
from core.security.headers import BASIC_HEADERS
from core.source_tags import read_tag, tagged_url
from core.ui import render

bp = Blueprint("screens", __name__, url_prefix="/screens")
public_bp = Blueprint("screen", __name__)
TOP = 10
LOCALE_NAMES = {"en": "English", "zh_Hans": "简体中文"}


# --- librarians ---------------------------------------------------------------------------

def _screen_or_404(screen_id: int) -> Screen:
    screen = get_session().get(Screen, screen_id)
    if screen is None:
        abort(404)
    return screen


def _after_change() -> None:
    """This worker sees the change at once; the others within SCREEN_VERSION_SECONDS."""
    current_app.extensions["engage.screens"].refresh(current_app.extensions["engage.db"], force=True)


@bp.route("/")
@role_required(Role.librarian)
def index():
    """Every screen with its secret URL."""
    db = get_session()
    rows = db.exec(select(Screen).order_by(Screen.name)).all()
    listed = [(screen, url_for("screen.show", token=service.make_token(screen), _external=True),
               len(service.slide_keys(screen))) for screen in rows]
    return render("screens/index.html", screens=listed, form=ConfirmForm(), locale_names=LOCALE_NAMES)


def _edit_page(screen: Screen | None, values: dict, error: str | None = None, status: int = 200):
    db = get_session()
    info = service.ScreenInfo.of(screen) if screen is not None else \
        service.ScreenInfo(None, "", "en", 15, (), 1)
    choices = service.available_slides(db, info)
    return render("screens/edit.html", screen=screen, values=values, choices=choices, error=error,
                  form=ConfirmForm(), locales=list(LOCALE_NAMES.items()), status=status,
                  low=service.MIN_SECONDS, high=service.MAX_SECONDS)


def _save(screen: Screen | None):
    db = get_session()
    form = ConfirmForm()
    values = {"name": request.form.get("name", ""), "locale": request.form.get("locale", ""),
              "seconds": request.form.get("seconds_per_slide", ""), "slides": request.form.getlist("slides")}
    if not form.validate_on_submit():
        return _edit_page(screen, values, _("The form has expired. Please reload the page and try again."), 400)
    info = service.ScreenInfo.of(screen) if screen is not None else service.ScreenInfo(None, "", "en", 15, (), 1)
    allowed = {key for key, _label in service.available_slides(db, info)}
    try:
        saved = service.save_screen(db, screen=screen, name=values["name"], locale=values["locale"],
                                    seconds_per_slide=values["seconds"], slides=values["slides"],
                                    allowed=allowed, actor_id=current_user.id)
    except service.ScreenError as exc:
        db.rollback()
        return _edit_page(screen, values, str(exc), 400)
    db.commit()
    _after_change()
    flash(_("The screen “%(name)s” is saved.", name=saved.name), "success")
    return redirect(url_for("screens.index"))


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.librarian)
def create():
    """A new screen."""
    if request.method == "POST":
        return _save(None)
    return _edit_page(None, {"name": "", "locale": "en", "seconds": 15, "slides": ["board:all", "board:week"]})


@bp.route("/<int:screen_id>", methods=["GET", "POST"])
@role_required(Role.librarian)
def edit(screen_id: int):
    """Change a screen's name, language, pace and slides."""
    screen = _screen_or_404(screen_id)
    if request.method == "POST":
        return _save(screen)
    return _edit_page(screen, {"name": screen.name, "locale": screen.locale, "seconds": screen.seconds_per_slide,
                               "slides": service.slide_keys(screen)})


@bp.route("/<int:screen_id>/rotate", methods=["POST"])
@role_required(Role.librarian)
def rotate(screen_id: int):
    """A new secret URL; the old one stops working."""
    screen = _screen_or_404(screen_id)
    if not confirmed():
        return ask(title=_("Give “%(name)s” a new address?", name=screen.name),
                   consequence=_("The TV showing this screen now stops at once; open the new address on it "
                                 "afterwards."),
                   confirm_label=_("Make a new address"), cancel_url=url_for("screens.index"))
    db = get_session()
    service.rotate_token(db, screen=screen, actor_id=current_user.id)
    db.commit()
    _after_change()
    flash(_("The screen “%(name)s” has a new address. Open it on the TV; the old address no longer works.",
            name=screen.name), "success")
    return redirect(url_for("screens.index"))


@bp.route("/<int:screen_id>/delete", methods=["POST"])
@role_required(Role.librarian)
def delete(screen_id: int):
    """Delete a screen; its address stops working."""
    screen = _screen_or_404(screen_id)
    name = screen.name
    if not confirmed():
        return ask(title=_("Delete the screen “%(name)s”?", name=name),
                   consequence=_("Its address stops working and the TV showing it goes blank. This cannot be "
                                 "undone."),
                   confirm_label=_("Delete the screen"), cancel_url=url_for("screens.index"))
    db = get_session()
    service.delete_screen(db, screen=screen, actor_id=current_user.id)
    db.commit()
    _after_change()
    flash(_("The screen “%(name)s” is deleted.", name=name), "success")
    return redirect(url_for("screens.index"))


# --- the TV -------------------------------------------------------------------------------

def _denied():
    """The same bare 403 for a forged, revoked or deleted address: nothing about any screen."""
    response = make_response(render_template("screen_denied.html"), 403)
    response.headers["Cache-Control"] = "no-store"
    return response


def _active(info: service.ScreenInfo) -> list[str]:
    """The screen's slides that can be shown now (a switched-off plugin's slides drop out)."""
    host = get_host()
    keys = []
    for key in info.slides:
        plugin = service.split_plugin_key(key)
        if plugin is None or host.is_enabled(plugin[0]):
            keys.append(key)
    return keys


def _board_slide(key: str) -> dict | None:
    parts = key.split(":", 2)
    if parts[0] != "board" or len(parts) < 2:
        return None
    if key == service.STAFF_SLIDE:
        return _staff_slide()
    if parts[1] == "cohort" and len(parts) == 3:
        period, cohort = "all", parts[2]
    elif parts[1] in boards.PERIODS and len(parts) == 2:
        period, cohort = parts[1], None
    else:
        return None
    db = get_session()
    calendar = current_calendar()
    now = utcnow()
    rows = boards.top(db, period=period, cohort=cohort, limit=TOP, calendar=calendar, at=now)
    term = calendar.term_of(calendar.local_date(now)) if period == "term" else None
    url = url_for("boards.board", period=period, cohort=cohort, _external=True) if cohort else \
        url_for("boards.board", period=period, _external=True)
    return {"kind": "board", "title": boards.BOARDS[period], "cohort": cohort, "rows": rows,
            "term_name": pick({"en": term.name_en, "zh_Hans": term.name_zh}) if term else None,
            "no_term": period == "term" and term is None, "url": url}


def _staff_slide() -> dict:
    """The staff's all-time board: librarians and administrators, apart from readers."""
    rows = boards_staff.top(get_session(), period="all", limit=TOP, calendar=current_calendar(), at=utcnow())
    return {"kind": "board", "title": _("Library staff"), "cohort": None, "rows": rows, "term_name": None,
            "no_term": False, "url": url_for("boards.staff_board", _external=True)}


def _plugin_slide(key: str, info: service.ScreenInfo) -> dict | None:
    found = service.split_plugin_key(key)
    if found is None:
        return None
    plugin, slide_key = found
    for _name, slide in service.plugin_slides(info, only=plugin):
        if slide.key == slide_key:
            return {"kind": "plugin", "title": slide.title, "html": slide.html, "url": service.absolute(slide.url)}
    return None


def _slide_context(info: service.ScreenInfo, token: str, n: int) -> dict:
    """Slide ``n`` (modulo the active slides) with its QR code and the address of the next one."""
    keys = _active(info)
    slide, position = None, 0
    for step in range(len(keys)):
        position = (n + step) % len(keys)
        key = keys[position]
        slide = _plugin_slide(key, info) if key.startswith("plugin:") else _board_slide(key)
        if slide is not None:
            break
    count = len(keys)
    following = (position + 1) % count if count else 0
    if slide is not None:
        # The QR code carries a source tag, so a campaign's reach counts scans from the lobby.
        campaign = key.removeprefix("plugin:")
        slide["qr"] = service.qr_svg(tagged_url(slide["url"], campaign=campaign, medium="screen")
                                     if read_tag(f"screen.{campaign}") else slide["url"])
    return {"screen": info, "slide": slide, "position": position, "count": count,
            "next_url": url_for("screen.slide", token=token, n=following)}


def _with_etag(response, etag: str):
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response


@public_bp.route("/screen/<token>")
def show(token: str):
    """The full-screen page a TV opens; its slide area rotates by polling."""
    info = service.get_versions().lookup(token)
    if info is None:
        return _denied()
    g.menu = []  # the TV page has no menu; skip building it
    with force_locale(info.locale):
        body = render_template("screen.html", token=token, **_slide_context(info, token, 0))
    response = make_response(body)
    response.headers["Cache-Control"] = "no-cache"
    return response


@public_bp.route("/screen/<token>/slide")
def slide(token: str):
    """One slide as an htmx fragment, or 304 when the browser's copy is still current."""
    versions = service.get_versions()
    info = versions.lookup(token)
    if info is None:
        return _denied()
    position, etag = _version(versions, info, request.args.get("n", 0, type=int))
    if request.if_none_match.contains(etag):
        return _with_etag(current_app.response_class(status=304), etag)
    g.menu = []
    with force_locale(info.locale):
        body = render_block("screen.html", "slide", token=token, **_slide_context(info, token, position))
    response = _with_etag(make_response(body), etag)
    versions.remember(etag, response.get_data(), keep=current_app.config["SCREEN_FRAGMENT_CACHE"])
    return response


def _version(versions: service.ScreenVersions, info: service.ScreenInfo, n: int) -> tuple[int, str]:
    """Which of the active slides ``n`` means, and the ETag of its current version."""
    keys = _active(info)
    position = n % len(keys) if keys else 0
    return position, versions.etag(info, position, keys[position] if keys else "", get_host().generation)


class SlidePollFastPath:
    """WSGI middleware for the TVs' polls, ``GET /screen/<token>/slide?n=…``.

    A lobby TV asks every few seconds; nearly always nothing changed. This answers from the
    worker's version cache before Flask builds a request (no routing, session, sign-in,
    locale, rate limiter or plugin guard): 304 when the TV's ETag is current, or the
    fragment already rendered for that ETag. Anything else (a first render, a bad token)
    goes on to the Flask view, which gives the same answers the slow way.
    """

    def __init__(self, app, wsgi_app) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        prefix = re.escape(app.config.get("APPLICATION_ROOT", "/").rstrip("/"))
        self.pattern = re.compile(rf"^{prefix}/screen/([^/]+)/slide$")

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET":
            found = self.pattern.match(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
            if found:
                answer = self._answer(found.group(1), environ)
                if answer is not None:
                    status, body, etag = answer
                    headers = [("ETag", f'"{etag}"'), ("Cache-Control", "no-cache"),
                               ("Content-Length", str(len(body))), *BASIC_HEADERS]
                    if body:
                        headers.append(("Content-Type", "text/html; charset=utf-8"))
                    start_response(status, headers)
                    return [body]
        return self.wsgi_app(environ, start_response)

    def _answer(self, token: str, environ) -> tuple[str, bytes, str] | None:
        with self.app.app_context():
            versions = service.get_versions()
            info = versions.lookup(token)
            if info is None:
                return None
            get_host().refresh(self.app.extensions["engage.db"])
            try:
                n = int(parse_qs(environ.get("QUERY_STRING", "")).get("n", ["0"])[0])
            except ValueError:
                n = 0
            _position, etag = _version(versions, info, n)
        if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains(etag):
            return "304 Not Modified", b"", etag
        body = versions.body(etag)
        return None if body is None else ("200 OK", body, etag)
