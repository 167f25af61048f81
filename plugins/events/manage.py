"""Librarians' pages: events admin, the attendance list (ticks, no-shows, CSV), the rotating code
on a phone, and a reader's personal code scanned at the door.

Every route checks the role itself (readers get 403, strangers are sent to sign in), except the
live code, which answers whoever holds its signed address (a screen's slide or a librarian's page).
"""

from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_login import current_user

from core.db import get_session
from core.exports import csv_response, local_time
from core.identity.faculties import faculty_choices, names_by_code
from core.models import Role, User
from core.security import role_required
from core.ui import render

from . import checkin, codes, service
from .blueprint import bp
from .forms import OUTCOME_LABELS, ActionForm, EventForm
from .i18n import _
from .models import Event
from .qr import qr_svg
from .service import EventError
from .views import event_or_404

FIELDS = ("title_en", "title_zh", "description_en", "description_zh", "place", "starts_at", "ends_at", "capacity",
          "points", "faculties")


@bp.route("/manage")
@role_required(Role.librarian)
def manage():
    """Every event with its seats, waitlist, check-ins and no-shows."""
    db = get_session()
    found = service.events(db)
    return render("events/manage.html", events=found, counts=service.counts(db, [e.id for e in found]),
                  states={e.id: service.state_of(e) for e in found})


def _event_page(form, event=None, error=None, status=200):
    return render("events/event_form.html", form=form, event=event, error=error, status=status)


def _event_form(event: Event | None = None) -> EventForm:
    """The event form, its audience offered from the library's managed faculties (a faculty the
    event already names stays offered even when it was switched off since)."""
    chosen = service.faculties_of(event) if event else []
    form = EventForm(obj=event, faculties=chosen)
    names = names_by_code(get_session())
    offered = [(code, name) for code, name in faculty_choices(get_session()) if code]
    form.faculties.choices = offered + [(code, names.get(code, code)) for code in chosen
                                        if code not in {c for c, _n in offered}]
    return form


def _save(event: Event | None):
    form = _event_form(event)
    if not form.validate_on_submit():
        return _event_page(form, event, status=400)
    values = {name: getattr(form, name).data for name in FIELDS}
    for name in ("description_en", "description_zh"):
        values[name] = values[name] or ""
    values["faculties"] = "\n".join(values["faculties"] or [])
    db = get_session()
    try:
        saved = service.save_event(db, event=event, actor_id=current_user.id, **values)
    except EventError as exc:
        db.rollback()
        return _event_page(form, event, error=str(exc), status=exc.status)
    db.commit()
    flash(_("The event is saved."), "success")
    return redirect(url_for("events.event", event_id=saved.id))


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.librarian)
def new_event():
    """A librarian announces an event."""
    if request.method == "POST":
        return _save(None)
    return _event_page(_event_form())


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@role_required(Role.librarian)
def edit_event(event_id: int):
    """A librarian changes an event; more seats move the waitlist up."""
    event = event_or_404(event_id)
    if request.method == "POST":
        return _save(event)
    return _event_page(_event_form(event), event)


@bp.route("/<int:event_id>/attendance")
@role_required(Role.librarian)
def attendance(event_id: int):
    """Who came, who is expected, who did not show up; a tick checks a reader in."""
    event = event_or_404(event_id)
    rows = checkin.attendance(get_session(), event)
    return render("events/attendance.html", event=event, rows=rows, labels=OUTCOME_LABELS, form=ActionForm(),
                  open=checkin.window_open(event), noshows=sum(r["outcome"] == "no-show" for r in rows))


@bp.route("/<int:event_id>/attendance/<int:user_id>", methods=["POST"])
@role_required(Role.librarian)
def tick(event_id: int, user_id: int):
    """A librarian checks a reader in by name."""
    event = event_or_404(event_id)
    db = get_session()
    if db.get(User, user_id) is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        flash(_("The form has expired; please try again."), "error")
    else:
        try:
            checkin.check_in(db, event=event, user_id=user_id, method="list", actor_id=current_user.id)
        except EventError as exc:
            db.rollback()
            flash(str(exc), "error")
        else:
            db.commit()
            flash(_("Checked in."), "success")
    return redirect(url_for("events.attendance", event_id=event.id))


@bp.route("/<int:event_id>/attendance.csv")
@role_required(Role.librarian)
def attendance_csv(event_id: int):
    """The attendance list as a spreadsheet."""
    event = event_or_404(event_id)
    rows = checkin.attendance(get_session(), event)
    header = [_("Name"), _("Email"), _("Member number"), _("Faculty"), _("Registered"), _("Checked in"),
              _("How"), _("Outcome")]
    return csv_response(f"event-{event.id}-attendance.csv", header, (
        [r["name"], r["email"], r["member_number"], r["faculty"], local_time(r["registered_at"]),
         local_time(r["checked_in_at"]), r["method"], str(OUTCOME_LABELS[r["outcome"]])] for r in rows))


@bp.route("/<int:event_id>/code")
@role_required(Role.librarian)
def code(event_id: int):
    """The rotating check-in code on a librarian's phone, held up at the door."""
    event = event_or_404(event_id)
    return render("events/code.html", event=event, live=url_for("events.live", token=codes.live_token(event.id)))


@bp.route("/live/<token>")
def live(token: str):
    """The current code of one event as a QR (a fragment, polled by the screen slide and the phone
    page); its signed address is what lets a screen without a login show it."""
    event_id = codes.read_live_token(token)
    event = get_session().get(Event, event_id) if event_id is not None else None
    if event is None:
        abort(404)
    is_open = checkin.window_open(event)
    url = url_for("events.check_in", event_id=event.id, code=codes.checkin_code(event.id), _external=True)
    locale = request.args.get("locale")  # a screen's slide speaks the screen's language
    with force_locale(locale if locale in current_app.config["LANGUAGES"] else get_locale()):
        body = render_template("events/_live.html", event=event, open=is_open, url=url,
                               qr=qr_svg(url) if is_open else None)
    response = make_response(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/readers/<int:user_id>/<code>", methods=["GET", "POST"])
@role_required(Role.librarian)
def reader(user_id: int, code: str):
    """A reader's personal code, scanned by a librarian: check them in to an event open now."""
    db = get_session()
    person = db.get(User, user_id)
    if person is None or not codes.reader_code_matches(db, user_id, code):
        abort(404)
    form = ActionForm()
    if request.method == "POST":
        event = db.get(Event, request.form.get("event_id", type=int) or 0)
        if event is None or not checkin.window_open(event):
            flash(_("Check-in for this event is not open."), "error")
        elif not form.validate_on_submit():
            flash(_("The form has expired; please try again."), "error")
        else:
            try:
                checkin.check_in(db, event=event, user_id=user_id, method="personal", actor_id=current_user.id)
            except EventError as exc:
                db.rollback()
                flash(str(exc), "error")
            else:
                db.commit()
                flash(_("%(name)s is checked in.", name=person.display_name), "success")
        return redirect(url_for("events.reader", user_id=user_id, code=code))
    now_open = service.in_window(db)
    done = {e.id for e in now_open if checkin.checked_in(db, e.id, user_id)}
    return render("events/reader.html", person=person, events=now_open, done=done, form=form)
