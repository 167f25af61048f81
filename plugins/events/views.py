"""Readers' pages: the list of events, one event, registering and cancelling, my events, check-in
by the rotating code, and the calendar feeds."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required

from core.db import get_session
from core.identity.faculties import names_by_code
from core.models import User
from core.ui import render

from . import checkin, codes, ical, service
from .blueprint import bp
from .forms import STATE_LABELS, STATUS_LABELS, ActionForm
from .i18n import _
from .models import Event
from .qr import qr_svg
from .service import EventError


@bp.app_template_global()
def events_labels() -> dict:
    """Translated names of states and statuses for the plugin's templates."""
    return {"state": STATE_LABELS, "status": STATUS_LABELS}


def event_or_404(event_id: int) -> Event:
    event = get_session().get(Event, event_id)
    if event is None:
        abort(404)
    return event


@bp.route("/")
def index():
    """Events to come (those meant for the reader) and the latest past ones."""
    db = get_session()
    upcoming = service.events(db, when="upcoming", user=current_user)
    past = service.events(db, when="past", user=current_user, limit=10)
    mine = {}
    if current_user.is_authenticated:
        mine = {e.id: r.status for e, r in service.my_registrations(db, current_user.id)}
    return render("events/index.html", upcoming=upcoming, past=past, mine=mine,
                  counts=service.counts(db, [e.id for e in upcoming]))


def show_event(event: Event, status: int = 200):
    db = get_session()
    registration = position = None
    attended = False
    if current_user.is_authenticated:
        registration = service.registration_of(db, event.id, current_user.id)
        if registration and registration.status == "waitlisted":
            position = service.waitlist_position(db, registration)
        attended = checkin.checked_in(db, event.id, current_user.id)
    names = names_by_code(db)  # an event's audience is a list of faculty codes
    return render("events/event.html", event=event, state=service.state_of(event),
                  counts=service.counts(db, [event.id])[event.id], registration=registration, position=position,
                  attended=attended, allowed=service.is_for(event, current_user),
                  faculties=[names.get(code, code) for code in service.faculties_of(event)], form=ActionForm(),
                  status=status)


@bp.route("/<int:event_id>")
def event(event_id: int):
    """One event: what, when, where, seats left, and the reader's place."""
    return show_event(event_or_404(event_id))


def _refused(event: Event, exc: EventError):
    db = get_session()
    db.rollback()
    flash(str(exc), "error")
    return show_event(db.get(Event, event.id), exc.status)


@bp.route("/<int:event_id>/register", methods=["POST"])
@login_required
def register(event_id: int):
    """Take a seat, or a place on the waitlist when the event is full."""
    event = event_or_404(event_id)
    if not ActionForm().validate_on_submit():
        return _refused(event, EventError(_("The form has expired; please try again."), 400))
    db = get_session()
    try:
        row = service.register(db, event=event, user=current_user)
    except EventError as exc:
        return _refused(event, exc)
    db.commit()
    if row.status == "registered":
        flash(_("You are registered. See you there!"), "success")
    else:
        flash(_("The event is full: you are on the waitlist and will move up if a seat comes free."), "success")
    return redirect(url_for("events.event", event_id=event.id))


@bp.route("/<int:event_id>/cancel", methods=["POST"])
@login_required
def cancel(event_id: int):
    """Give up a seat or a place on the waitlist."""
    event = event_or_404(event_id)
    if not ActionForm().validate_on_submit():
        return _refused(event, EventError(_("The form has expired; please try again."), 400))
    db = get_session()
    try:
        service.cancel(db, event=event, user_id=current_user.id)
    except EventError as exc:
        return _refused(event, exc)
    db.commit()
    flash(_("Your registration is cancelled."), "success")
    return redirect(url_for("events.event", event_id=event.id))


@bp.route("/mine")
@login_required
def mine():
    """The reader's seats and waitlist places, their personal code, and their calendar address."""
    db = get_session()
    rows = [(e, r) for e, r in service.my_registrations(db, current_user.id) if service.state_of(e) != "ended"]
    personal = codes.personal_url(db, current_user.id)
    return render("events/mine.html", rows=rows, qr=qr_svg(personal), personal=personal,
                  feed=codes.feed_url(db, current_user.id), attended=checkin.attended_count(db, current_user.id),
                  form=ActionForm())


@bp.route("/mine/new-<any(code, feed):which>", methods=["POST"])
@login_required
def replace_secret(which: str):
    """A new personal code or calendar address for the reader; the old one stops working."""
    if not ActionForm().validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
        return redirect(url_for("events.mine"))
    db = get_session()
    codes.replace(db, current_user.id, which)
    db.commit()
    flash(_("Your check-in code is new. The old one no longer works.") if which == "code" else
          _("Your calendar address is new. The old one no longer works: add this one to your calendar app."),
          "success")
    return redirect(url_for("events.mine"))  # the message at the top says what changed


@bp.route("/check-in/<int:event_id>/<code>", methods=["GET", "POST"])
@login_required
def check_in(event_id: int, code: str):
    """The address the rotating QR code opens: a button to check in (POST), or why the code is refused."""
    event = event_or_404(event_id)
    db = get_session()
    form = ActionForm()
    error, status = None, 200
    if checkin.checked_in(db, event.id, current_user.id):
        return render("events/checkin.html", event=event, done=True, form=form)
    try:
        checkin.check_code(db, event=event, code=code)
    except EventError as exc:
        error, status = str(exc), exc.status
    if error is None and form.is_submitted():
        if not form.validate():
            error, status = _("The form has expired; please scan the code again."), 400
        else:
            try:
                checkin.check_in_with_code(db, event=event, code=code, user=current_user)
            except EventError as exc:
                db.rollback()
                if exc.status == 409:
                    return render("events/checkin.html", event=event, done=True, form=form)
                error, status = str(exc), exc.status
            else:
                db.commit()
                return render("events/checkin.html", event=event, done=True, just_now=True, form=form,
                              trigger="pointsChanged")
    return render("events/checkin.html", event=event, code=code, error=error, form=form, status=status)


@bp.route("/calendar.ics")
def calendar():
    """Every event to come and of the last months, for a calendar app."""
    db = get_session()
    found = service.events(db, when="upcoming") + service.events(db, when="past", limit=50)
    return ical.response(ical.calendar(found, name=_("Library events"), locale=str(get_locale())), "events.ics")


@bp.route("/feed/<int:user_id>/<token>.ics")
def feed(user_id: int, token: str):
    """One reader's events (seats and waitlist places), at a secret address a calendar app polls."""
    db = get_session()
    user = db.get(User, user_id)
    if user is None or not codes.feed_token_matches(db, user_id, token):
        abort(404)
    found = [e for e, _r in service.my_registrations(db, user_id)]
    return ical.response(ical.calendar(found, name=_("My library events"), locale=user.locale or "en"),
                         "my-events.ics")
