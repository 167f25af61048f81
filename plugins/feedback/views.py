"""Readers' pages: my feedback, submitting, one item with its history and next steps, the
"you said, we did" board, "me too", and photos (seen only by those allowed)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from core.db import get_db, get_session
from core.files import file_response
from core.forms import Form

from core.pagination import paginate
from core.security import rate_limit
from core.i18n import pick
from core.images import ImageError
from core.models import Role, User
from core.ui import render

from . import notes, service, workflow
from .i18n import _, _l
from .models import (FeedbackCategory, FeedbackDepartment, FeedbackEvent, FeedbackInspiration, FeedbackItem,
                     FeedbackMeToo, FeedbackPhoto)

BOARD_PAGE = 20

bp = Blueprint("feedback", __name__, url_prefix="/feedback", template_folder="templates",
               static_folder="static", static_url_path="/static")


class SubmitForm(Form):
    category = SelectField(_l("What is it about?"), coerce=int, validate_choice=False)
    text = TextAreaField(_l("Your feedback"), validators=[Length(max=service.MAX_TEXT)],
                         description=_l("What happened, or what would you like to change?"))
    location = StringField(_l("Where in the library (floor, area)"), validators=[Optional(), Length(max=120)])
    photo = FileField(_l("Photo (optional; PNG, JPEG, WebP or GIF, at most 4 MB)"))
    show_name = BooleanField(_l("Library staff may see my name"))
    allow_publish = BooleanField(_l("The library may show this (without my name) on the public board"))


def category_name(category: FeedbackCategory | None) -> str:
    return pick({"en": category.name_en, "zh_Hans": category.name_zh}) if category else ""


@bp.app_template_global("feedback_local_path")
def local_path(url: str) -> bool:
    """Links stored before only this site's targets were accepted are shown only when local."""
    return service.is_local_path(url or "")


@bp.app_template_global("feedback_note")
def note_text(note: str | None) -> str:
    """A history note in the reader's language (see ``notes``)."""
    return notes.event_note(note)


@bp.app_template_global("feedback_state")
def state_label(state: str) -> str:
    return str(workflow.STATE_LABELS.get(state, state))


def lazy_auto_close() -> None:
    """Close quiet answered items before a list is shown; in its own short write transaction so
    a page view does not need to hold the write lock when there is nothing to close."""
    session = get_session()
    if service.auto_close_due(session):
        session.rollback()  # end the read snapshot so this request sees the closes
        with get_db().write_session() as writer:
            service.auto_close(writer)


def ensure_categories() -> None:
    """Seed the default categories on first use, in a short write transaction of its own."""
    session = get_session()
    if not service.categories(session):
        session.rollback()
        with get_db().write_session() as writer:
            service.ensure_categories(writer)


def item_or_404(item_id: int) -> FeedbackItem:
    item = get_session().get(FeedbackItem, item_id)
    if item is None:
        abort(404)
    return item


def visible_item(item_id: int) -> FeedbackItem:
    """An item the current user may see in full: the submitter or a librarian; others get 403."""
    item = item_or_404(item_id)
    if not service.can_see(item, current_user):
        abort(403)
    return item


@bp.route("/")
@login_required
def index():
    """The reader's own feedback, newest first."""
    lazy_auto_close()
    session = get_session()
    items = session.execute(select(FeedbackItem).where(FeedbackItem.submitter_id == current_user.id)
                            .order_by(FeedbackItem.created_at.desc())).scalars().all()
    cats = {c.id: c for c in service.categories(session)}
    return render("feedback/index.html", items=items, cats=cats)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Submit feedback: category, text, optional photo, where, and whether staff may see the name."""
    ensure_categories()
    session = get_session()
    form = SubmitForm()
    form.category.choices = [(0, _("Choose…"))] + [(c.id, category_name(c)) for c in
                                                   service.categories(session, active_only=True)]
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                photo = service.read_photo(form.photo.data)
                item = service.submit(session, user=current_user, category_id=form.category.data, text=form.text.data,
                                      location=form.location.data, show_name=form.show_name.data,
                                      allow_publish=form.allow_publish.data, photo=photo)
            except service.FeedbackError as exc:
                session.rollback()
                target = form[exc.field or "text"]
                target.errors = list(target.errors) + [str(exc)]
                status = exc.status
            except ImageError as exc:
                session.rollback()
                form.photo.errors = list(form.photo.errors) + [str(exc)]
            else:
                session.commit()
                flash(_("Thank you! Your feedback #%(id)d has been sent to the library.", id=item.id), "success")
                return redirect(url_for("feedback.detail", item_id=item.id))
    return render("feedback/new.html", form=form, status=status)


def detail_context(item: FeedbackItem) -> dict:
    """Everything the item page shows, trimmed to what the viewer may see."""
    session = get_session()
    staff = current_user.has_role(Role.librarian)
    query = select(FeedbackEvent).where(FeedbackEvent.item_id == item.id).order_by(FeedbackEvent.id)
    if not staff:
        query = query.where(FeedbackEvent.public.is_(True))
    events = session.execute(query).scalars().all()
    people = {u.id: u for u in session.execute(select(User).where(User.id.in_(
        {e.actor_id for e in events if e.actor_id} | {item.submitter_id, item.assignee_id or 0}))).scalars()}
    context = {
        "item": item, "events": events, "people": people, "staff": staff,
        "category": session.get(FeedbackCategory, item.category_id),
        "submitter": service.submitter_label(item, people.get(item.submitter_id), current_user),
        "has_photo": session.get(FeedbackPhoto, item.id) is not None,
        "steps": workflow.allowed_steps(item, current_user),
        "me_toos": service.me_too_counts(session, [item.id]).get(item.id, 0),
        "inspiration": session.execute(select(FeedbackInspiration).where(
            FeedbackInspiration.item_id == item.id)).scalar(),
        "reopen_deadline": workflow.reopen_deadline(item),
        "department": None, "action_labels": workflow.ACTION_LABELS,
    }
    if item.department_id:
        department = session.get(FeedbackDepartment, item.department_id)
        context["department"] = pick({"en": department.name_en, "zh_Hans": department.name_zh})
    if staff:
        from .staff import staff_context  # staff builds on this module, so it is imported when needed
        context.update(staff_context(item))
    return context


@bp.route("/<int:item_id>")
@login_required
def detail(item_id: int):
    """One item: its text, photo, history (internal notes for staff only) and the next steps."""
    return render("feedback/detail.html", **detail_context(visible_item(item_id)))


def refuse(item: FeedbackItem, message: str, status: int = 400):
    """Show the item again with ``message``; nothing was changed."""
    get_session().rollback()
    return render("feedback/detail.html", error=message, status=status, **detail_context(item))


@bp.route("/<int:item_id>/step", methods=["POST"])
@login_required
def step(item_id: int):
    """Take one step of the loop (triage, assign, answer, confirm and rate, reopen, close)."""
    item = item_or_404(item_id)
    if not service.can_see(item, current_user):
        return render("feedback/refused.html", message=_("This is another reader's feedback."), status=403)
    session = get_session()
    form = request.form
    assignee = department_id = None
    if form.get("to") == workflow.ASSIGNED:
        who, dept = form.get("assignee", type=int), form.get("department", type=int)
        assignee = session.get(User, who) if who else None
        if who and assignee is None:
            return refuse(item, _("Items can only be assigned to librarians."))
        department_id = dept or None
        if dept and not any(d.id == dept for d in service.departments(session, active_only=True)):
            return refuse(item, _("There is no such department."))
    try:
        workflow.transition(session, item, current_user, form.get("to", ""), form.get("note", ""),
                            public=form.get("public") == "on" or form.get("to") in (workflow.RESPONDED,)
                            or "librarian" not in workflow.roles_of(item, current_user),
                            assignee=assignee, department_id=department_id, score=form.get("score", type=int))
    except workflow.WorkflowError as exc:
        return refuse(item, str(exc))
    session.commit()
    flash(_("Done: the item is now “%(state)s”.", state=state_label(item.state)), "success")
    return redirect(url_for("feedback.detail", item_id=item.id))


@bp.route("/<int:item_id>/photo")
def photo(item_id: int):
    """The item's photo: for the submitter and librarians, or anyone once published."""
    item = item_or_404(item_id)
    visible = item.published or service.can_see(item, current_user)
    row = get_session().get(FeedbackPhoto, item.id) if visible else None
    if row is None:
        abort(404)
    return file_response(row.data, row.content_type, visible=True, public=item.published,
                         etag=f"feedback-{item.id}-{len(row.data)}")  # an item's photo never changes


@bp.route("/board")
def board():
    """"You said, we did": published items and what changed; open items others may "me too"."""
    lazy_auto_close()
    session = get_session()
    published = select(FeedbackItem).where(FeedbackItem.published.is_(True)).order_by(
        FeedbackItem.closed_at.desc(), FeedbackItem.id.desc())
    open_now = select(FeedbackItem).where(FeedbackItem.state.in_(workflow.OPEN), FeedbackItem.allow_publish.is_(True)
                                          ).order_by(FeedbackItem.created_at.desc(), FeedbackItem.id.desc())
    # Two lists on one page, each with its own "Show more" (and its own page argument).
    done_page = paginate(lambda offset, limit: session.execute(published.offset(offset).limit(limit)).scalars().all(),
                         per_page=BOARD_PAGE, arg="done")
    open_page = paginate(lambda offset, limit: session.execute(open_now.offset(offset).limit(limit)).scalars().all(),
                         per_page=BOARD_PAGE, arg="open")
    done, open_items = done_page.items, open_page.items
    mine = set()
    if current_user.is_authenticated:
        mine = set(session.execute(select(FeedbackMeToo.item_id).where(FeedbackMeToo.user_id == current_user.id))
                   .scalars())
    photos = set(session.execute(select(FeedbackPhoto.item_id).where(
        FeedbackPhoto.item_id.in_([i.id for i in done]))).scalars())
    return render("feedback/board.html", done=done, open_items=open_items, done_page=done_page, open_page=open_page,
                  mine=mine, photos=photos,
                  counts=service.me_too_counts(session, [i.id for i in open_items + done]),
                  cats={c.id: c for c in service.categories(session)})


@bp.route("/<int:item_id>/me-too", methods=["POST"])
@login_required
def me_too(item_id: int):
    """Say "me too" to another reader's open item shown on the board."""
    item = item_or_404(item_id)
    if not (item.allow_publish or service.can_see(item, current_user)):
        abort(404)
    session = get_session()
    try:
        service.me_too(session, item=item, user=current_user)
    except service.FeedbackError as exc:
        session.rollback()
        return render("feedback/refused.html", message=str(exc), status=exc.status)
    session.commit()
    flash(_("Thank you: your “me too” has been counted."), "success")
    return redirect(url_for("feedback.board") + f"#item-{item.id}")


@bp.record_once  # after the routes it wraps: deferred set-up runs in the order it was recorded
def _limit_uploads(state) -> None:
    """Feedback may carry a photo: rate-limited per account (``core.security.rate_limit``)."""
    rate_limit(state.app, "feedback.new", state.app.config["UPLOAD_RATE_LIMIT"])
