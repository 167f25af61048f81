"""Librarians' pages: challenge admin, the moderation queue (filters, bulk decisions), featuring, CSV export.

Every route checks the role itself (students get 403, strangers are sent to sign in).
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from core.db import get_session
from core.exports import csv_response
from core.models import Role
from core.pagination import paginate
from core.security import role_required, safe_redirect
from core.ui import render

from . import moderation as moderation_service
from . import queries, service
from .forms import STATUS_LABELS, ChallengeForm, ModerationForm
from .i18n import _, ngettext
from .models import Challenge, Submission
from .service import ContributionError
from .views import bp, challenge_or_404, refused

QUEUE_PAGE = 50
FIELDS = ("title_en", "title_zh", "description_en", "description_zh", "kind", "opens_at", "closes_at", "points",
          "feature_points", "max_per_user", "require_text", "require_link", "allow_image", "require_image")


@bp.route("/manage")
@role_required(Role.librarian)
def manage():
    """Every challenge with its state, pending count and links to edit, moderate and export."""
    db = get_session()
    return render("contributions/manage.html", challenges=service.challenges(db)[::-1],
                  pending=moderation_service.pending_count(db))


def _challenge_page(form, challenge=None, error=None, status=200):
    return render("contributions/challenge_form.html", form=form, challenge=challenge, error=error, status=status)


def _save_challenge(challenge: Challenge | None):
    # Filled from the challenge: what the request leaves out keeps its stored value (dates exactly).
    form = ChallengeForm(obj=challenge)
    if not form.validate_on_submit():
        return _challenge_page(form, challenge, status=400)
    values = {name: getattr(form, name).data for name in FIELDS}
    values["description_en"], values["description_zh"] = values["description_en"] or "", values["description_zh"] or ""
    db = get_session()
    try:
        saved = service.save_challenge(db, challenge=challenge, actor_id=current_user.id, **values)
    except ContributionError as exc:
        db.rollback()
        return _challenge_page(form, challenge, error=str(exc), status=exc.status)
    db.commit()
    flash(_("The challenge is saved."), "success")
    return redirect(url_for("contributions.challenge", challenge_id=saved.id))


@bp.route("/challenges/new", methods=["GET", "POST"])
@role_required(Role.librarian)
def new_challenge():
    """A librarian opens a challenge."""
    if request.method == "POST":
        return _save_challenge(None)
    return _challenge_page(ChallengeForm())


@bp.route("/challenges/<int:challenge_id>/edit", methods=["GET", "POST"])
@role_required(Role.librarian)
def edit_challenge(challenge_id: int):
    """A librarian changes a challenge (existing submissions keep their state)."""
    challenge = challenge_or_404(challenge_id)
    if request.method == "POST":
        return _save_challenge(challenge)
    return _challenge_page(ChallengeForm(obj=challenge), challenge)


def _filters() -> dict:
    """The queue's filters from the query string; unknown values fall back to the defaults."""
    status = request.args.get("status", "pending")
    challenge = request.args.get("challenge", "")
    return {"status": status if status in STATUS_LABELS or status == "" else "pending",
            "challenge": int(challenge) if challenge.isdigit() else None,
            "flagged": request.args.get("flagged") == "1"}


def _queue_page(form, error=None, status=200):
    db = get_session()
    filters = _filters()
    page = paginate(lambda offset, limit: queries.queue(db, challenge_id=filters["challenge"],
                                                        status=filters["status"] or None, flagged=filters["flagged"],
                                                        limit=limit, offset=offset), per_page=QUEUE_PAGE)
    return render("contributions/moderation.html", form=form, items=page.items, page=page, filters=filters,
                  challenges=service.challenges(db)[::-1], error=error, status=status)


@bp.route("/moderation")
@role_required(Role.librarian)
def moderation():
    """The queue: filter by challenge, status and duplicate flags; tick several and decide at once."""
    return _queue_page(ModerationForm())


@bp.route("/moderation", methods=["POST"])
@role_required(Role.librarian)
def decide():
    """Approve, reject or ask for changes on the ticked submissions (all of them, or none on an error)."""
    form = ModerationForm()
    db = get_session()
    ids = request.form.getlist("ids", type=int)  # numbers beyond INTEGER are dropped (core.security.inputs)
    back = request.form.get("back", "")
    if not form.validate_on_submit():
        return _queue_page(form, status=400)
    chosen = list(db.execute(select(Submission).where(Submission.id.in_(ids))).scalars()) if ids else []
    try:
        if len(chosen) != len(set(ids)):
            raise ContributionError(_("Some of the ticked submissions no longer exist; reload the queue."), 409)
        moderation_service.decide(db, chosen, actor_id=current_user.id, decision=form.decision.data,
                                  reason=form.reason.data)
    except ContributionError as exc:
        db.rollback()
        return _queue_page(form, error=str(exc), status=exc.status)
    db.commit()
    flash(ngettext("Decision recorded for %(num)d submission.", "Decision recorded for %(num)d submissions.",
                   len(chosen)), "success")
    return safe_redirect(back, "contributions.moderation")


@bp.route("/submissions/<int:submission_id>/feature", methods=["POST"])
@role_required(Role.librarian)
def feature(submission_id: int):
    """Feature an approved piece: it leads the gallery and the screens, and its author earns a bonus once."""
    db = get_session()
    found = db.get(Submission, submission_id)
    if found is None:
        abort(404)
    try:
        newly = moderation_service.feature(db, submission=found, actor_id=current_user.id)
    except ContributionError as exc:
        return refused(found, exc)
    db.commit()
    flash(_("The piece is featured.") if newly else _("The piece was already featured."), "success")
    return redirect(url_for("contributions.submission", submission_id=found.id))


@bp.route("/challenges/<int:challenge_id>/export.csv")
@role_required(Role.librarian)
def export(challenge_id: int):
    """Every submission to a challenge as CSV (UTF-8 with a BOM, so Excel shows Chinese)."""
    challenge = challenge_or_404(challenge_id)
    headers = [_("ID"), _("Author"), _("Email"), _("Status"), _("Submitted"), _("Text"), _("Link"), _("Image"),
               _("Flags"), _("Likes"), _("Featured"), _("Reason")]
    return csv_response(f"challenge-{challenge.id}.csv", headers, queries.export_rows(get_session(), challenge))
