"""The segment builder: filters with the segment's size shown live (htmx), and a message to it."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from core.db import get_session
from core.identity.faculties import names_by_code
from core.models import Role, utcnow
from core.security import role_required
from core.terms import current_calendar
from core.ui import render

from . import segments as segment_service
from .blueprint import bp
from .forms import MessageForm, SegmentForm
from .i18n import _
from .panels import plugin_title
from .roster import roster_sizes
from .views import count_pending


def segment_form() -> SegmentForm:
    form = SegmentForm(request.args)
    from core.plugins import get_host

    db = get_session()
    names = names_by_code(db)  # readers' faculties are the managed list's codes
    form.faculty.choices = [("", _("Every faculty"))] + [(f, names.get(f, f)) for f in sorted(roster_sizes(db))]
    form.plugin.choices = [("", _("Any plugin, or none"))] + sorted(
        ((name, plugin_title(name)) for name in get_host().infos if name != "insights"), key=lambda c: c[1])
    return form


def segment_of(form: SegmentForm) -> segment_service.Segment:
    return segment_service.Segment(faculty=form.faculty.data or "", min_level=form.min_level.data, plugin=form.plugin.data or "",
                            activity=form.activity.data or "any", seen_within=form.seen_within.data,
                            not_seen_for=form.not_seen_for.data, email=form.email.data or "")


def _size(form: SegmentForm) -> int | None:
    if not form.validate():
        return None
    count_pending()
    calendar = current_calendar()
    return segment_service.size(get_session(), segment_of(form), calendar, calendar.local_date(utcnow()))


@bp.route("/segments")
@role_required(Role.librarian)
def segments():
    """The segment builder with the size of the chosen segment."""
    form = segment_form()
    size = _size(form)
    return render("insights/segments.html", form=form, size=size, message=MessageForm(),
                  status=400 if size is None else 200)


@bp.route("/segments/size")
@role_required(Role.librarian)
def segment_size():
    """The live size (an htmx fragment) as the filters change."""
    form = segment_form()
    return render("insights/segments.html", block="size", form=form, size=_size(form), message=MessageForm())


@bp.route("/segments/send", methods=["POST"])
@role_required(Role.librarian)
def segment_send():
    """Queue a message to the segment; refused (nothing stored) when it matches nobody."""
    form, message = segment_form(), MessageForm()
    size = _size(form)
    link = (message.link.data or "").strip()
    valid = message.validate()
    if valid and link and not (link.startswith("/") and not link.startswith("//") and "\\" not in link):
        message.link.errors = [_("Give a path on this site, starting with /.")]
        valid = False
    if valid and size:
        session = get_session()  # this POST's own write transaction, which the size was counted in
        segment_service.queue_message(session, segment=segment_of(form), text=message.text.data, link=link,
                                      sender_id=current_user.id, recipients=size)
        session.commit()
        flash(_("Your message is on its way to %(n)d readers.", n=size), "success")
        return redirect(url_for("insights.segments", **request.args.to_dict()))
    if size == 0:
        flash(_("This segment matches nobody, so nothing was sent. Loosen a filter."), "error")
    return render("insights/segments.html", form=form, size=size, message=message, status=400)
