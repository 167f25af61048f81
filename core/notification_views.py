"""The inbox: the list, the unread badge in the header, and marking notifications read."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user, login_required

from core.db import get_session
from core.models import Notification
from core.notifications import inbox, mark_read, unread_count
from core.security.redirects import safe_redirect
from core.ui import render

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def _unread():
    def unread() -> int:
        return unread_count(get_session(), current_user.id) if current_user.is_authenticated else 0
    return {"unread_notifications": unread}


@bp.route("/")
@login_required
def index():
    """All of your notifications, newest first."""
    before = request.args.get("before", type=int)
    return render("notifications.html", block="list", notes=inbox(get_session(), current_user.id, before=before))


@bp.route("/count")
@login_required
def count():
    """The header badge alone, re-fetched when ``notificationsChanged`` fires."""
    return render("notifications_badge.html", block="badge")


@bp.route("/<int:note_id>/read", methods=["POST"])
@login_required
def read(note_id: int):
    """Mark one notification read and go where it points (or, for htmx, update the list)."""
    db = get_session()
    note = db.get(Notification, note_id)
    if note is None or note.user_id != current_user.id:
        abort(404)
    mark_read(db, user_id=current_user.id, notification_id=note_id)
    db.commit()
    if request.headers.get("HX-Request"):
        return render("notifications.html", block="list", notes=inbox(db, current_user.id),
                      trigger="notificationsChanged")
    return safe_redirect(note.url, "notifications.index")


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    """Mark every notification read."""
    db = get_session()
    mark_read(db, user_id=current_user.id)
    db.commit()
    if request.headers.get("HX-Request"):
        return render("notifications.html", block="list", notes=inbox(db, current_user.id),
                      trigger="notificationsChanged")
    return redirect(url_for("notifications.index"))
