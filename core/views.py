"""Pages every user sees: home, own profile and history, language switch, the menu fragment."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import js_lib_htmx
from flask import Blueprint, abort, current_app, flash, g, redirect, request, send_from_directory, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlmodel import Session

from core.accounts import AccountError, change_password as change_password_service
from core.db import get_session
from core.identity.account_email import password_changed_notice
from core.forms import LANGUAGE_CHOICES, PasswordForm, ProfileForm
from core.i18n import pick
from core.identity.faculties import faculty_choices
from core.models import PointEntry, User
from core.plugins import get_host
from core.levels import progress
from core.points import period_totals, user_total
from core.points_chart import points_chart, weekly_totals
from core.security.redirects import safe_redirect
from core.security.sessions import restamp
from core.ui import MenuItem, Panel, collect, current_item, render

bp = Blueprint("main", __name__)
HISTORY_PAGE = 20
CORE_RULES = {"manual-adjustment": _l("Manual adjustment"), "demo-activity": _l("Library activity")}


def menu_items() -> list[MenuItem]:
    """Core's menu plus every enabled plugin's, for the current user."""
    items = [MenuItem(_("Home"), url_for("main.home"), 0, "home"),
             MenuItem(_("Leaderboards"), url_for("boards.board"), 20, "boards"),
             MenuItem(_("Badges"), url_for("badges.index"), 30, "badges")]
    if current_user.is_authenticated:
        items.append(MenuItem(_("My points"), url_for("main.profile"), 10, "profile"))
        if current_user.has_role("librarian"):
            # The administration's own sub-pages live outside /admin/ too.
            items.append(MenuItem(_("Administration"), url_for("admin.index"), 900, "admin",
                                  also=(url_for("screens.index"), url_for("badges.manage"))))
    return collect([items, *get_host().hooks.engage_menu_items(user=current_user)], MenuItem)


def _labels_by_plugin(hook: str) -> dict[str, dict]:
    """Every installed plugin's ``{name: label}`` from ``hook``, asked once per app: switched-off
    plugins included, since what they recorded stays in readers' histories."""
    key = f"engage.labels.{hook}"
    labels = current_app.extensions.get(key)
    if labels is None:
        labels = {impl.plugin_name: impl.function() or {}
                  for impl in getattr(get_host().pm.hook, hook).get_hookimpls()}
        current_app.extensions[key] = labels
    return labels


def plugin_rule_labels() -> dict[str, dict]:
    """Every installed plugin's ``{rule: label}`` (hook ``engage_point_rules``)."""
    return _labels_by_plugin("engage_point_rules")


def activity_label(plugin: str, kind: str) -> str:
    """A readable name for a kind of activity a plugin records (hook ``engage_activity_kinds``), in
    the page's language; a kind its plugin did not name reads as its key, spaced out."""
    label = _labels_by_plugin("engage_activity_kinds").get(plugin, {}).get(kind)
    if label is not None:
        return pick(label) if isinstance(label, dict) else str(label)
    return kind.replace("_", " ").replace("-", " ")


@bp.app_template_global()
def rule_label(entry: PointEntry) -> str:
    """A readable name for the rule that paid an entry, in the reader's language."""
    if entry.plugin == "core":
        return str(CORE_RULES.get(entry.rule, _("Points")))
    label = plugin_rule_labels().get(entry.plugin, {}).get(entry.rule)
    if label is not None:
        return pick(label) if isinstance(label, dict) else str(label)
    # A rule nobody named: say which activity paid, never the rule's internal name.
    info = get_host().infos.get(entry.plugin)
    return pick(info.title) if info else _("Points")


def history(db: Session, user_id: int, before: int | None) -> list[PointEntry]:
    """One page of a user's ledger, newest first; ``before`` is the last id already shown."""
    query = select(PointEntry).where(PointEntry.user_id == user_id)
    if before:
        query = query.where(PointEntry.id < before)
    return list(db.execute(query.order_by(PointEntry.id.desc()).limit(HISTORY_PAGE)).scalars())


def menu_here(items: list[MenuItem], path: str | None) -> MenuItem | None:
    """The menu item the page at ``path`` (a path on this site, without the script root)
    belongs to, marked as the current page."""
    if path is None:
        return None
    root = request.script_root
    return current_item(items, root + path, root + "/")


@bp.app_context_processor
def _layout_context():
    if "menu" not in g:
        g.menu = menu_items()
    return {"menu": g.menu, "menu_page": request.path, "menu_current": menu_here(g.menu, request.path),
            "languages": LANGUAGE_CHOICES}


@bp.route("/")
def home():
    """The home page: your points and what the activities offer."""
    db = get_session()
    panels = collect(get_host().hooks.engage_home_panels(user=current_user), Panel)
    summary = None
    if current_user.is_authenticated:
        total = user_total(db, current_user.id)
        summary = {"total": total, **period_totals(db, current_user.id), "level": progress(total),
                   "recent": history(db, current_user.id, None)[:5]}
    return render("home.html", panels=panels, summary=summary)


@bp.route("/me", methods=["GET", "POST"])
@login_required
def profile():
    """Your points, your history and your settings."""
    db = get_session()
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    form.cohort.choices = faculty_choices(db, keep=user.cohort)
    form.cohort.data = form.cohort.data or ""  # no faculty yet, or none posted: "Not given"
    if form.validate_on_submit():
        form.populate_obj(user)
        user.cohort = (user.cohort or "").strip() or None
        db.add(user)
        db.commit()
        session["locale"] = user.locale
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("main.profile"))
    panels = collect(get_host().hooks.engage_profile_panels(user=user, subject=user), Panel)
    total = user_total(db, user.id)
    weeks = weekly_totals(db, user.id, since=user.created_at)
    chart = points_chart(weeks) if len(weeks) > 1 else None  # one point is not a line
    return render("profile.html", form=form, user=user, panels=panels, total=total, level=progress(total), chart=chart,
                  periods=period_totals(db, user.id), entries=history(db, user.id, None),
                  status=400 if form.errors else 200)


@bp.route("/people/<int:user_id>")
def public_profile(user_id: int):
    """A reader's public page, when they chose to have one: display name, level and badges."""
    db = get_session()
    user = db.get(User, user_id)
    if user is None or not user.public_profile or not user.is_active:
        abort(404)
    return render("public_profile.html", person=user, level=progress(user_total(db, user.id)))


@bp.route("/me/history")
@login_required
def more_history():
    """The next page of your ledger (an htmx fragment, or a page of its own)."""
    before = request.args.get("before", type=int)
    entries = history(get_session(), current_user.id, before)
    return render("history.html", block="rows", entries=entries)


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch the interface language for this browser and, when signed in, for the account."""
    locale = request.form.get("locale", "")
    if locale not in current_app.config["LANGUAGES"]:
        abort(400)
    session["locale"] = locale
    if current_user.is_authenticated:
        db = get_session()
        current_user.locale = locale
        db.add(current_user._get_current_object())
        db.commit()
    return safe_redirect(request.form.get("next"))


@bp.route("/me/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Choose a new password; every other signed-in device is signed out."""
    form = PasswordForm()
    if form.validate_on_submit():
        db = get_session()
        user = db.get(User, current_user.id)
        try:
            change_password_service(db, user=user, current=form.current.data, new=form.password.data)
            password_changed_notice(db, user=user)
        except AccountError as exc:
            db.rollback()
            getattr(form, exc.field).errors.append(str(exc))
        else:
            db.commit()
            restamp(user)
            flash(_("Your password is changed. Other devices where you were signed in are signed out."), "success")
            return redirect(url_for("main.profile"))
    return render("password.html", form=form, status=400 if form.errors else 200)


def page_path(value: str | None) -> str | None:
    """The site path (without the script root) of the page a fragment is for, from a full
    address or a path; None for anything else (another site's address, a path that is not one)."""
    if not value or len(value) > 2048:
        return None
    parts = urlsplit(value)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path
    root = request.script_root
    if root and (path == root or path.startswith(root + "/")):
        path = path[len(root):] or "/"
    return path if path.startswith("/") and not path.startswith("//") else None


@bp.route("/menu")
def menu():
    """The menu alone, re-fetched by htmx when plugins are switched. It marks the page it is
    shown on (``page``, sent by the menu itself; else htmx's HX-Current-URL), never /menu."""
    here = page_path(request.args.get("page")) or page_path(request.headers.get("HX-Current-URL"))
    g.menu = menu_items()
    return render("menu.html", block="menu", menu_page=here, menu_current=menu_here(g.menu, here))


@bp.route("/vendor/htmx.min.js")
def htmx_js():
    """htmx from our own origin (the django-js-lib-htmx package), never a CDN."""
    folder = Path(js_lib_htmx.__file__).parent / "static" / "htmx"
    return send_from_directory(folder, "htmx.min.js", max_age=86400)
