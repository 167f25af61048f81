"""Staff-scores pages: the overview, the rubric, rounds and rating. Librarians only."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from core.db import get_session
from core.models import Role, User
from core.security import role_required
from core.ui import render

from . import service
from .forms import RoundForm, RubricForm, review_form
from .i18n import _
from .models import Round, Rubric

bp = Blueprint("staff_scores", __name__, url_prefix="/staff-scores", template_folder="templates",
               static_folder="static", static_url_path="/static")

# Comments and kudos are colleagues' own words: shown as sanitised Markdown, never raw HTML.


def round_or_404(round_id: int) -> Round:
    round_ = get_session().get(Round, round_id)
    if round_ is None:
        abort(404)
    return round_


def refused(error: service.StaffScoresError, target: str):
    """A refused action: roll back, show the message in the reader's language, answer its status."""
    get_session().rollback()
    return render("staff_scores/refused.html", message=error.message, back=target, status=error.status)


@bp.app_template_global("staff_scores_state")
def state_label(round_: Round) -> str:
    labels = {"upcoming": _("Not open yet"), "open": _("Open for rating"), "closed": _("Closed"),
              "published": _("Results published")}
    return labels[service.state(round_)]


@bp.route("/")
@role_required(Role.librarian)
def index():
    """Rounds, newest first, with how many colleagues I still have to rate in open ones."""
    db = get_session()
    rounds = service.rounds(db)
    left = {r.id: service.left_to_rate(db, r, current_user.id) for r in rounds if service.state(r) == "open"}
    return render("staff_scores/index.html", rounds=rounds, left=left, rubric=service.latest_rubric(db))


# --- rubric ------------------------------------------------------------------------------

@bp.route("/rubric")
@bp.route("/rubric/<int:rubric_id>")
@role_required(Role.librarian)
def rubric(rubric_id: int | None = None):
    """A rubric version (the latest by default), with every version listed."""
    db = get_session()
    shown = db.get(Rubric, rubric_id) if rubric_id else service.latest_rubric(db)
    if rubric_id and shown is None:
        abort(404)
    versions = db.execute(select(Rubric).order_by(Rubric.version.desc())).scalars().all()
    return render("staff_scores/rubric.html", rubric=shown, versions=versions,
                  criteria=service.criteria_of(db, shown.id) if shown else [],
                  in_use=bool(shown and service.rubric_in_use(db, shown.id)))


def _rubric_form_page(rubric: Rubric | None, source: Rubric | None):
    """Edit an unused version in place, or write the next version starting from ``source``."""
    db = get_session()
    if request.method == "GET" and source is not None:
        form = RubricForm(data={"criteria": [
            {k: getattr(c, k) for k in ("name_en", "name_zh", "description_en", "description_zh",
                                        "anchors_en", "anchors_zh")} for c in service.criteria_of(db, source.id)]})
        for _slot in range(len(form.criteria), min(6, max(4, len(form.criteria) + 1))):  # room for one more
            form.criteria.append_entry()
    else:
        form = RubricForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                saved = service.save_rubric(db, rubric=rubric, criteria=form.filled(), actor_id=current_user.id)
            except service.StaffScoresError as exc:
                return refused(exc, url_for("staff_scores.rubric", rubric_id=rubric.id if rubric else None))
            db.commit()
            flash(_("Rubric version %(n)s saved.", n=saved.version), "success")
            return redirect(url_for("staff_scores.rubric", rubric_id=saved.id))
    return render("staff_scores/rubric_form.html", form=form, rubric=rubric, status=status)


@bp.route("/rubric/new", methods=["GET", "POST"])
@role_required(Role.librarian)
def rubric_new():
    """Write the next rubric version (starting from the latest one)."""
    return _rubric_form_page(None, service.latest_rubric(get_session()))


@bp.route("/rubric/<int:rubric_id>/edit", methods=["GET", "POST"])
@role_required(Role.librarian)
def rubric_edit(rubric_id: int):
    """Change a version no round uses yet; a version in use is refused (409)."""
    db = get_session()
    rubric = db.get(Rubric, rubric_id)
    if rubric is None:
        abort(404)
    if service.rubric_in_use(db, rubric.id):
        return refused(service.frozen(rubric), url_for("staff_scores.rubric_new"))
    return _rubric_form_page(rubric, rubric)


# --- rounds ------------------------------------------------------------------------------

@bp.route("/rounds/new", methods=["GET", "POST"])
@role_required(Role.librarian)
def round_new():
    """Open a round on the latest rubric version, with its scoring settings."""
    db = get_session()
    form = RoundForm()
    status, error = 200, None
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                round_ = service.create_round(
                    db, title_en=form.title_en.data, title_zh=form.title_zh.data, opens_at=form.opens_at.data,
                    closes_at=form.closes_at.data, prior_weight=form.prior_weight.data,
                    blend_weight=form.blend_weight.data, actor_id=current_user.id)
            except service.StaffScoresError as exc:
                db.rollback()
                error, status = exc.message, exc.status
            else:
                db.commit()
                flash(_("Round created."), "success")
                return redirect(url_for("staff_scores.round_page", round_id=round_.id))
    return render("staff_scores/round_form.html", form=form, rubric=service.latest_rubric(db), status=status,
                  error=error)


@bp.route("/rounds/<int:round_id>/rate/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.librarian)
def rate(round_id: int, user_id: int):
    """Rate one colleague (or oneself, as reflection) on each criterion, with an optional comment."""
    db = get_session()
    round_ = round_or_404(round_id)
    ratee = db.get(User, user_id)
    if ratee is None or ratee.role not in service.STAFF_ROLES or not ratee.is_active:
        abort(404)
    criteria = service.criteria_of(db, round_.rubric_id)
    review = service.reviews_by(db, round_.id, current_user.id).get(ratee.id)
    data = None
    if review is not None:
        data = {f"c{k}": str(v) for k, v in service.marks_of(db, review.id).items()} | {"comment": review.comment}
    form = review_form(criteria, data if request.method == "GET" else None)
    status = 200 if service.state(round_) == "open" else 409
    if request.method == "POST":
        if status != 200:
            return refused(service.StaffScoresError(_("This round is not open for rating."), 409),
                           url_for("staff_scores.round_page", round_id=round_.id))
        status = 400
        if form.validate_on_submit():
            marks = {c.id: int(form[f"c{c.id}"].data) for c in criteria}
            try:
                service.save_review(db, round_=round_, rater_id=current_user.id, ratee=ratee, marks=marks,
                                    comment=form.comment.data or "")
            except service.StaffScoresError as exc:
                return refused(exc, request.path)
            db.commit()
            flash(_("Your rating of %(name)s is saved.", name=ratee.display_name), "success")
            return redirect(url_for("staff_scores.round_page", round_id=round_.id))
    return render("staff_scores/rate.html", round=round_, ratee=ratee, criteria=criteria, form=form,
                  is_open=service.state(round_) == "open", status=status)
