"""Readers' pages: challenges, galleries, submitting, editing, withdrawing, liking, and images.

Librarians' pages (challenge admin, moderation, export) are in ``manage_views.py`` on the same
blueprint, so switching the plugin off answers 404 for all of them at once.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from core.confirm import ask, confirmed
from core.db import get_session
from core.files import file_response
from core.security import rate_limit
from core.models import User
from core.pagination import paginate
from core.ui import is_fragment_request, render

from . import likes, queries, service
from .forms import FLAG_LABELS, KIND_LABELS, STATUS_LABELS, ModerationForm, SubmissionForm
from .i18n import _
from .models import EDITABLE, Challenge, ContributionImage, Decision, Submission
from .service import ContributionError

GALLERY_PAGE = 24

bp = Blueprint("contributions", __name__, url_prefix="/contributions", template_folder="templates",
               static_folder="static")


@bp.app_template_global()
def contributions_labels() -> dict:
    """Translated names of kinds, statuses and flags for the plugin's templates."""
    return {"kind": KIND_LABELS, "status": STATUS_LABELS, "flag": FLAG_LABELS}


@bp.app_template_filter("challenge_state")
def challenge_state(challenge: Challenge) -> str:
    return service.state_of(challenge)


def max_image_bytes() -> int:
    return current_app.config.get("CONTRIBUTIONS_MAX_IMAGE_BYTES", service.DEFAULT_MAX_IMAGE_BYTES)


def challenge_or_404(challenge_id: int) -> Challenge:
    challenge = get_session().get(Challenge, challenge_id)
    if challenge is None:
        abort(404)
    return challenge


def visible_or_404(submission_id: int) -> Submission:
    """The submission if this reader may see it; 404 otherwise, so hidden work is not even confirmed."""
    submission = get_session().get(Submission, submission_id)
    if submission is None or not service.can_see(submission, current_user):
        abort(404)
    return submission


def _liked(items) -> set[int]:
    user_id = current_user.id if current_user.is_authenticated else None
    return likes.liked_by(get_session(), user_id, [i.submission.id for i in items])


@bp.route("/")
def index():
    """Open challenges first, then upcoming and closed ones, and the newest approved work."""
    db = get_session()
    items = queries.gallery(db, limit=6)
    return render("contributions/index.html", open=service.challenges(db, "open"),
                  upcoming=service.challenges(db, "upcoming"), closed=service.challenges(db, "closed")[::-1],
                  items=items, liked=_liked(items))


@bp.route("/gallery")
def gallery():
    """Every approved piece, featured work first."""
    db = get_session()
    page = paginate(lambda offset, limit: queries.gallery(db, limit=limit, offset=offset), per_page=GALLERY_PAGE)
    return render("contributions/gallery.html", items=page.items, page=page, liked=_liked(page.items))


@bp.route("/challenges/<int:challenge_id>")
def challenge(challenge_id: int):
    """One challenge: what it asks, its gallery, and the reader's own submissions to it."""
    db = get_session()
    found = challenge_or_404(challenge_id)
    page = paginate(lambda offset, limit: queries.gallery(db, challenge_id=found.id, limit=limit, offset=offset),
                    per_page=GALLERY_PAGE)
    items = page.items
    mine, left = [], 0
    if current_user.is_authenticated:
        mine = [i for i in queries.of_user(db, current_user.id) if i.challenge.id == found.id]
        left = found.max_per_user - service.count_of(db, challenge_id=found.id, user_id=current_user.id)
    return render("contributions/challenge.html", challenge=found, state=service.state_of(found), items=items,
                  page=page, liked=_liked(items), mine=mine, left=left)


def _upload(form: SubmissionForm) -> bytes | None:
    """The uploaded file's bytes, read no further than one byte past the limit."""
    upload = form.image.data
    return upload.stream.read(max_image_bytes() + 1) if upload and upload.filename else None


def _submission_page(form, challenge, submission=None, error=None, status=200):
    """The submit/edit form, its labels saying what this challenge requires."""
    form.text.label.text = _("Your contribution") if challenge.require_text else _("Your contribution (optional)")
    form.link.label.text = _("Link") if challenge.require_link else _("Link (optional)")
    form.image.label.text = _("Image") if challenge.require_image else _("Image (optional)")
    form.image.description = _("PNG, JPEG, WebP or GIF, at most %(size)s MB.", size=f"{max_image_bytes() / 1048576:g}")
    return render("contributions/submit.html", form=form, challenge=challenge, submission=submission,
                  error=error, status=status)


@bp.route("/challenges/<int:challenge_id>/submit", methods=["GET", "POST"])
@login_required
def submit(challenge_id: int):
    """A reader sends a contribution; it waits for a librarian's review."""
    found = challenge_or_404(challenge_id)
    form = SubmissionForm()
    if request.method == "GET":
        return _submission_page(form, found)
    if not form.validate_on_submit():
        return _submission_page(form, found, status=400)
    db = get_session()
    try:
        submission = service.submit(db, challenge=found, user_id=current_user.id, text=form.text.data,
                                    link=form.link.data, image_data=_upload(form), max_bytes=max_image_bytes(),
                                    per_hour=current_app.config.get("CONTRIBUTIONS_SUBMISSIONS_PER_HOUR",
                                                                    service.DEFAULT_SUBMISSIONS_PER_HOUR))
    except ContributionError as exc:
        db.rollback()
        return _submission_page(form, found, error=str(exc), status=exc.status)
    db.commit()
    flash(_("Thank you! Your contribution waits for a librarian's review."), "success")
    return redirect(url_for("contributions.submission", submission_id=submission.id))


def own_or_404(submission_id: int) -> Submission:
    submission = get_session().get(Submission, submission_id)
    if submission is None or submission.user_id != current_user.id:
        abort(404)
    return submission


@bp.route("/submissions/<int:submission_id>")
def submission(submission_id: int):
    """One submission; its author also sees its status, the moderator's reason and what they may do."""
    return show_submission(visible_or_404(submission_id))


def show_submission(found: Submission, status: int = 200):
    """The submission page; also the answer to a refused action on it (with its message flashed)."""
    db = get_session()
    item = queries.Item(found, db.get(User, found.user_id).display_name, db.get(Challenge, found.challenge_id))
    is_librarian = current_user.is_authenticated and current_user.has_role("librarian")
    decisions = []
    if is_librarian:
        decisions = db.execute(select(Decision, User.display_name).join(User, User.id == Decision.actor_id)
                               .where(Decision.submission_id == found.id).order_by(Decision.id)).all()
    return render("contributions/submission.html", item=item, liked=_liked([item]), decisions=decisions,
                  editable=found.status in EDITABLE, moderation=ModerationForm() if is_librarian else None,
                  status=status)


def refused(found: Submission, exc: ContributionError):
    """Undo the request's writes and show the submission page with the reason, in the refusal's status."""
    db = get_session()
    db.rollback()
    db.refresh(found)
    flash(str(exc), "error")
    return show_submission(found, exc.status)


@bp.route("/submissions/<int:submission_id>/edit", methods=["GET", "POST"])
@login_required
def edit(submission_id: int):
    """The author changes a submission that has not been reviewed, or was sent back for changes."""
    found = own_or_404(submission_id)
    db = get_session()
    challenge = db.get(Challenge, found.challenge_id)
    form = SubmissionForm(obj=found) if request.method == "GET" else SubmissionForm()
    if found.status not in EDITABLE:
        return _submission_page(form, challenge, found, _("This submission has been reviewed and can no longer be "
                                                          "changed."), 409)
    if request.method == "GET":
        return _submission_page(form, challenge, found)
    if not form.validate_on_submit():
        return _submission_page(form, challenge, found, status=400)
    try:
        service.edit(db, submission=found, text=form.text.data, link=form.link.data, image_data=_upload(form),
                     max_bytes=max_image_bytes())
    except ContributionError as exc:
        db.rollback()
        return _submission_page(form, challenge, found, error=str(exc), status=exc.status)
    db.commit()
    flash(_("Your changes are saved and wait for review."), "success")
    return redirect(url_for("contributions.submission", submission_id=found.id))


@bp.route("/submissions/<int:submission_id>/withdraw", methods=["POST"])
@login_required
def withdraw(submission_id: int):
    """The author takes a submission back before it is decided."""
    found = own_or_404(submission_id)
    if found.status in EDITABLE and not confirmed():
        return ask(title=_("Withdraw your submission?"),
                   consequence=_("It leaves the review queue and can no longer be edited or sent back for "
                                 "review. This cannot be undone."),
                   confirm_label=_("Withdraw"),
                   cancel_url=url_for("contributions.submission", submission_id=found.id))
    db = get_session()
    try:
        service.withdraw(db, submission=found)
    except ContributionError as exc:
        return refused(found, exc)
    db.commit()
    flash(_("Your submission is withdrawn."), "success")
    return redirect(url_for("contributions.mine"))


@bp.route("/mine")
@login_required
def mine():
    """The reader's own submissions with their status and any moderator's reason."""
    return render("contributions/mine.html", items=queries.of_user(get_session(), current_user.id))


@bp.route("/submissions/<int:submission_id>/like", methods=["POST"])
@login_required
def like(submission_id: int):
    """Like a piece; htmx swaps the button in place with the new count or the reason it was refused."""
    found = visible_or_404(submission_id)
    db = get_session()
    cap = current_app.config.get("CONTRIBUTIONS_LIKES_PER_AUTHOR_PER_WEEK", likes.DEFAULT_LIKES_PER_AUTHOR_PER_WEEK)
    try:
        likes.like(db, submission=found, user_id=current_user.id, per_author_per_week=cap)
    except ContributionError as exc:
        if not is_fragment_request():
            return refused(found, exc)
        db.rollback()
        db.refresh(found)
        return render("contributions/_like.html", block="like", submission=found, error=str(exc), status=exc.status,
                      liked=likes.liked_by(db, current_user.id, [found.id]))
    db.commit()
    if is_fragment_request():
        return render("contributions/_like.html", block="like", submission=found, liked={found.id}, error=None)
    flash(_("You like this."), "success")
    return redirect(url_for("contributions.submission", submission_id=found.id))


@bp.route("/submissions/<int:submission_id>/unlike", methods=["POST"])
@login_required
def unlike(submission_id: int):
    """Take a like back (idempotent); htmx swaps the button in place with the new count."""
    found = visible_or_404(submission_id)
    db = get_session()
    likes.unlike(db, submission=found, user_id=current_user.id)
    db.commit()
    if is_fragment_request():
        return render("contributions/_like.html", block="like", submission=found, liked=set(), error=None)
    flash(_("You no longer like this."), "success")
    return redirect(url_for("contributions.submission", submission_id=found.id))


@bp.route("/images/<int:image_id>")
def image(image_id: int):
    """An image, only where its submission may be seen (pending work: author and librarians only)."""
    db = get_session()
    picture = db.get(ContributionImage, image_id)
    owners = db.execute(select(Submission).where(Submission.image_id == image_id)).scalars().all()
    if picture is None:
        abort(404)
    return file_response(picture.data, picture.content_type, etag=picture.sha256,
                         visible=any(service.can_see(s, current_user) for s in owners),
                         public=any(s.status == "approved" for s in owners))


from . import manage_views  # noqa: E402,F401  (librarians' routes on the same blueprint)


@bp.record_once
def _limit_uploads(state) -> None:
    """Submitting and editing carry pictures: rate-limited per account (``core.security.rate_limit``)."""
    for endpoint in ("contributions.submit", "contributions.edit"):
        rate_limit(state.app, endpoint, state.app.config["UPLOAD_RATE_LIMIT"])
