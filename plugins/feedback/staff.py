"""Librarians' pages: the queue (with overdue items), measures with charts, CSV export,
categories and departments, and the actions on one item that only staff take (merge, publish,
mark as inspiration)."""

from __future__ import annotations


from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, ValidationError

from core.confirm import ask, confirmed
from core.db import get_session
from core.exports import csv_response, local_time
from core.forms import Form
from core.localtime import to_local
from core.models import Role, User, utcnow
from core.pagination import paginate_list
from core.plugins import current_hooks
from core.security import role_required
from core.ui import render

from . import measures, service, workflow
from .i18n import _, _l
from .models import FeedbackCategory, FeedbackDepartment, FeedbackItem
from .views import bp, category_name, ensure_categories, item_or_404, lazy_auto_close, refuse, state_label

librarian_only = role_required(Role.librarian)

QUEUE_PAGE = 50


class CategoryForm(Form):
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=80)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=80)])
    first_response_hours = IntegerField(_l("First response within (hours)"),
                                        validators=[DataRequired(), NumberRange(min=1, max=24 * 90)])
    resolution_hours = IntegerField(_l("Resolved within (hours)"),
                                    validators=[DataRequired(), NumberRange(min=1, max=24 * 365)])
    active = BooleanField(_l("Readers can choose it"), default=True)

    def validate_resolution_hours(self, field):
        if self.first_response_hours.data and field.data and field.data < self.first_response_hours.data:
            raise ValidationError(_("Resolution cannot be due before the first response."))


class DepartmentForm(Form):
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=80)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=80)])
    active = BooleanField(_l("Items can be assigned to it"), default=True)


def content_targets() -> list:
    """What other plugins offer to link an item to (flattened; none when no plugin offers any):
    only paths on this site."""
    found = []
    for result in current_hooks().engage_content_targets(user=current_user):
        found.extend(result if isinstance(result, (list, tuple)) else [result] if result else [])
    return sorted((t for t in found if service.is_local_path(t.url)), key=lambda t: (t.order, str(t.title)))


def staff_context(item: FeedbackItem) -> dict:
    """What the item page adds for librarians: people to assign, items to merge into, targets."""
    session = get_session()
    others = session.execute(select(FeedbackItem).where(FeedbackItem.state.in_(workflow.OPEN),
                                                        FeedbackItem.id != item.id)
                             .order_by(FeedbackItem.id.desc()).limit(100)).scalars().all()
    return {"librarians": service.librarians(session), "departments": service.departments(session, active_only=True),
            "merge_targets": others, "targets": content_targets()}


@bp.route("/queue")
@librarian_only
def queue():
    """Items waiting for the library, soonest due first; filter by state, category or assignee."""
    lazy_auto_close()
    ensure_categories()
    session = get_session()
    state = request.args.get("state", "active")
    if state not in ("active", "overdue", "all", *workflow.STATE_LABELS):
        state = "active"
    category_id = request.args.get("category", type=int)
    mine = request.args.get("mine") == "1"
    now = utcnow()
    rows = service.queue(session, state=state, category_id=category_id,
                         assignee_id=current_user.id if mine else None, now=now)
    rows.sort(key=lambda r: (r[1] is None, r[1].at if r[1] else r[0].created_at))
    page = paginate_list(rows, per_page=QUEUE_PAGE)  # ordered by what is due, so paged after sorting
    rows = page.items
    names = dict(session.execute(select(User.id, User.display_name)).all()) if rows else {}
    return render("feedback/queue.html", rows=rows, page=page, now=now, state=state, category_id=category_id, mine=mine,
                  categories=service.categories(session), cats={c.id: c for c in service.categories(session)},
                  names=names, overdue=service.overdue_count(session, now),
                  counts=service.me_too_counts(session, [r[0].id for r in rows]))


@bp.route("/measures")
@librarian_only
def measures_page():
    """Median and p90 response and resolution times, reopen rate, breaches and CSAT, with charts."""
    days = request.args.get("days", 90, type=int)
    if days not in (7, 30, 90, 365):
        days = 90
    result = measures.report(get_session(), days=days)
    charts = []
    if result.by_category:
        charts.append(measures.hours_chart(result.by_category, _("Median hours by category")))
        charts.append(measures.csat_chart(result.by_category, _("CSAT by category (%)")))
    if result.by_librarian:
        charts.append(measures.hours_chart(result.by_librarian, _("Median hours by librarian")))
        charts.append(measures.csat_chart(result.by_librarian, _("CSAT by librarian (%)")))
    return render("feedback/measures.html", report=result, charts=charts, days=days)


@bp.route("/export.csv")
@librarian_only
def export():
    """Every item as CSV (UTF-8 with a BOM so spreadsheet programs read Chinese correctly)."""
    session = get_session()
    cats = {c.id: c for c in service.categories(session)}
    names = dict(session.execute(select(User.id, User.display_name)).all())
    header = [_("Number"), _("Sent"), _("Category"), _("Where"), _("State"), _("From"), _("Assigned to"),
                     _("First response (hours)"), _("Resolution (hours)"), _("Rating"), _("Times reopened"),
              _("Me too"), _("Text")]
    items = session.execute(select(FeedbackItem).order_by(FeedbackItem.id)).scalars().all()
    counts = service.me_too_counts(session, [i.id for i in items])
    hours = lambda item, end: round((end - item.created_at).total_seconds() / 3600, 1) if end else ""  # noqa: E731
    rows = ((item.id, local_time(item.created_at), category_name(cats.get(item.category_id)),
             item.location, state_label(item.state),
             names.get(item.submitter_id) if item.show_name else _("anonymous"),
             names.get(item.assignee_id, ""), hours(item, item.first_response_at), hours(item, item.responded_at),
             item.rating or "", item.reopen_count, counts.get(item.id, 0), item.text) for item in items)
    return csv_response(f"feedback-{to_local(utcnow()):%Y%m%d}.csv", header, rows)


@bp.route("/<int:item_id>/merge", methods=["POST"])
@librarian_only
def merge(item_id: int):
    """Merge this duplicate into another open item."""
    item = item_or_404(item_id)
    session = get_session()
    main = session.get(FeedbackItem, request.form.get("into", type=int) or 0)
    if main is None:
        return refuse(item, _("Choose the item to merge into."))
    try:
        service.check_merge(duplicate=item, main=main)
    except service.FeedbackError as exc:
        return refuse(item, str(exc), exc.status)
    if not confirmed():
        return ask(title=_("Merge feedback #%(dup)d into #%(main)d?", dup=item.id, main=main.id),
                   consequence=_("#%(dup)d closes for good with a public note pointing to #%(main)d, and its "
                                 "“me too”s and its reader move there. This cannot be undone.",
                                 dup=item.id, main=main.id),
                   confirm_label=_("Merge"), cancel_url=url_for("feedback.detail", item_id=item.id))
    try:
        service.merge(session, duplicate=item, main=main, actor=current_user)
    except (service.FeedbackError, workflow.WorkflowError) as exc:
        return refuse(item, str(exc), getattr(exc, "status", 400))
    session.commit()
    flash(_("Feedback #%(dup)d was merged into #%(main)d.", dup=item.id, main=main.id), "success")
    return redirect(url_for("feedback.detail", item_id=main.id))


@bp.route("/<int:item_id>/publish", methods=["POST"])
@librarian_only
def publish(item_id: int):
    """Publish (or withdraw) a finished item on the "you said, we did" board."""
    item = item_or_404(item_id)
    session = get_session()
    try:
        service.publish(session, item=item, we_did_en=request.form.get("we_did_en", ""),
                        we_did_zh=request.form.get("we_did_zh", ""), published=request.form.get("published") == "1")
    except service.FeedbackError as exc:
        return refuse(item, str(exc), exc.status)
    session.commit()
    flash(_("Published on the board.") if item.published else _("Taken off the board."), "success")
    return redirect(url_for("feedback.detail", item_id=item.id))


@bp.route("/<int:item_id>/inspiration", methods=["POST"])
@librarian_only
def inspiration(item_id: int):
    """Mark the item as the inspiration of content another plugin offers, or of a described change."""
    item = item_or_404(item_id)
    session = get_session()
    key = request.form.get("target", "")
    target = next((t for t in content_targets() if t.key == key), None) if key else None
    if key and target is None:
        return refuse(item, _("That content is no longer available; choose another."))
    try:
        service.link_inspiration(session, item=item, actor=current_user, target=target,
                                 description=request.form.get("description", ""))
    except service.FeedbackError as exc:
        return refuse(item, str(exc), exc.status)
    session.commit()
    flash(_("Marked as an inspiration; the reader has been credited."), "success")
    return redirect(url_for("feedback.detail", item_id=item.id))


@bp.route("/settings")
@librarian_only
def settings():
    """Categories with their targets, and departments."""
    ensure_categories()
    session = get_session()
    return render("feedback/settings.html", categories=service.categories(session),
                  departments=service.departments(session))


def _edit(model, form_class, row_id: int | None, heading: str):
    """Add or edit one category or department (same page, same rules)."""
    session = get_session()
    row = session.get(model, row_id) if row_id else None
    if row_id and row is None:
        abort(404)
    form = form_class(obj=row)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            row = row or model()
            if model is FeedbackCategory and row.key is None:
                row.key = f"custom-{utcnow():%Y%m%d%H%M%S%f}"
                row.position = 1000
            form.populate_obj(row)
            session.add(row)
            session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("feedback.settings"))
    return render("feedback/edit.html", form=form, heading=heading, status=status)


@bp.route("/categories/new", methods=["GET", "POST"], defaults={"row_id": None})
@bp.route("/categories/<int:row_id>", methods=["GET", "POST"])
@librarian_only
def edit_category(row_id: int | None):
    return _edit(FeedbackCategory, CategoryForm, row_id, _("Edit category") if row_id else _("New category"))


@bp.route("/departments/new", methods=["GET", "POST"], defaults={"row_id": None})
@bp.route("/departments/<int:row_id>", methods=["GET", "POST"])
@librarian_only
def edit_department(row_id: int | None):
    return _edit(FeedbackDepartment, DepartmentForm, row_id, _("Edit department") if row_id else _("New department"))

