"""Staff-scores pages after rating: a round's results, publishing, reminders, CSV export,
my report, the staff board, kudos and the public-board setting. Librarians only."""

from __future__ import annotations

import random

from flask import flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from core.confirm import ask, confirmed
from core.db import get_session
from core.exports import csv_response
from core.i18n import pick
from core.models import Role, User
from core.security import role_required
from core.ui import render

from . import charts, service, staff_board
from .forms import ActionForm, KudosForm, PreferenceForm
from .i18n import _, ngettext
from .models import Preference
from .views import bp, refused, round_or_404


def names(db, ids) -> dict[int, str]:
    ids = set(ids)
    if not ids:
        return {}
    return dict(db.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def ordered(result, who: dict[int, str]) -> list:
    """Ranked librarians first, by rank; then the unranked, by name."""
    return sorted(result.scores.values(), key=lambda s: (s.rank or 10**9, who.get(s.ratee, ""), s.ratee))


@bp.route("/rounds/<int:round_id>")
@role_required(Role.librarian)
def round_page(round_id: int):
    """A round: who I still have to rate while it is open; its results once I may see them."""
    db = get_session()
    round_ = round_or_404(round_id)
    criteria = service.criteria_of(db, round_.rubric_id)
    mine = service.reviews_by(db, round_.id, current_user.id)
    result = service.results(db, round_) if service.can_see_results(current_user, round_) else None
    people = service.staff(db)
    who = {p.id: p.display_name for p in people}
    if result:
        who |= names(db, set(result.scores) | set(result.straight_liners))
    return render("staff_scores/round.html", round=round_, state=service.state(round_), criteria=criteria,
                  people=people, mine=mine, result=result, who=who,
                  rows=ordered(result, who) if result else [], form=ActionForm(),
                  can_publish=service.can_publish(current_user, round_))


def _act(round_id: int, action):
    """Publish or remind: a POST by an administrator or the round's creator."""
    db = get_session()
    round_ = round_or_404(round_id)
    target = url_for("staff_scores.round_page", round_id=round_.id)
    if not ActionForm().validate_on_submit():
        return refused(service.StaffScoresError(_("The form has expired; please try again.")), target)
    try:
        message = action(db, round_)
    except service.StaffScoresError as exc:
        return refused(exc, target)
    db.commit()
    flash(message, "success")
    return redirect(target)


@bp.route("/rounds/<int:round_id>/publish", methods=["POST"])
@role_required(Role.librarian)
def publish(round_id: int):
    """Publish a closed round's results to every librarian (after asking: it cannot be undone)."""
    round_ = round_or_404(round_id)
    if service.can_publish(current_user, round_) and service.state(round_) == "closed" and not confirmed():
        title = pick({"en": round_.title_en, "zh_Hans": round_.title_zh})
        return ask(title=_("Publish the results of “%(title)s”?", title=title),
                   consequence=_("Every librarian is told and can see the results at once, and the top three earn "
                                 "their badge. Publishing cannot be undone."),
                   confirm_label=_("Publish the results"),
                   cancel_url=url_for("staff_scores.round_page", round_id=round_.id), danger=False)

    def act(db, round_):
        service.publish(db, round_=round_, actor=current_user)
        return _("Results published; every librarian has been told.")
    return _act(round_id, act)


@bp.route("/rounds/<int:round_id>/remind", methods=["POST"])
@role_required(Role.librarian)
def remind(round_id: int):
    """Remind everyone who still has colleagues to rate in an open round."""
    def act(db, round_):
        if not service.can_publish(current_user, round_):
            raise service.StaffScoresError(_("Only an administrator or the round's creator can send reminders."), 403)
        sent = service.remind(db, round_)
        return ngettext("%(num)d reminder sent.", "%(num)d reminders sent.", sent)
    return _act(round_id, act)


@bp.route("/rounds/<int:round_id>/export.csv")
@role_required(Role.librarian)
def export(round_id: int):
    """The round's results as CSV (UTF-8 with BOM, so Excel reads Chinese names), for whoever may see them."""
    db = get_session()
    round_ = round_or_404(round_id)
    if not service.can_see_results(current_user, round_):
        return refused(service.StaffScoresError(_("Results are not available before the round closes."), 403),
                       url_for("staff_scores.round_page", round_id=round_.id))
    criteria = service.criteria_of(db, round_.rubric_id)
    result = service.results(db, round_)
    who = names(db, result.scores)
    header = [_("Rank"), _("Librarian"), _("Raters"), *[pick({"en": c.name_en, "zh_Hans": c.name_zh}) for c in criteria],
              _("Peer score"), _("Readers' score"), _("Readers' ratings"), _("Final score")]
    fmt = lambda v: "" if v is None else f"{v:.3f}"  # noqa: E731
    rows = ([score.rank or "", who.get(score.ratee, ""), score.raters,
             *[fmt(score.criteria.get(c.id)) for c in criteria], fmt(score.peer), fmt(score.readers),
             score.readers_count, fmt(score.final)] for score in ordered(result, who))
    return csv_response(f"staff-scores-round-{round_.id}.csv", header, rows)


@bp.route("/me")
@role_required(Role.librarian)
def report():
    """My report: per criterion against the team median, anonymised comments, my trend."""
    db = get_session()
    published = [(r, service.results(db, r)) for r in service.published_rounds(db)]
    latest = published[-1] if published else None
    rows, comments = [], []
    if latest:
        round_, result = latest
        mine = result.scores.get(current_user.id)
        for criterion in service.criteria_of(db, round_.rubric_id):
            rows.append((criterion, mine.criteria.get(criterion.id) if mine else None,
                         result.criterion_median(criterion.id)))
        # Shuffled afresh per view, so the order never hints at who wrote what.
        comments = service.comments_for(db, round_.id, current_user.id, random.SystemRandom())
    trend = charts.trend(published, current_user.id) if published else None
    return render("staff_scores/report.html", latest=latest, rows=rows, comments=comments, trend=trend,
                  me=latest[1].scores.get(current_user.id) if latest else None)


def _board_page(template: str, public: bool):
    db = get_session()
    data = staff_board.board(db, public=public)
    return render(template, **data, who=names(db, data["people"]), public=public,
                  kudos=staff_board.recent_kudos(db, 10, public=public))


@bp.route("/board")
@role_required(Role.librarian)
def board():
    """The staff board: the last published round, this term, most improved, and kudos."""
    return _board_page("staff_scores/board.html", public=False)


@bp.route("/wall")
def public_board():
    """The staff board for everyone (where the screen slide's QR code leads): only librarians
    who did not opt out, and only published results."""
    return _board_page("staff_scores/public_board.html", public=True)


@bp.route("/kudos", methods=["GET", "POST"])
@role_required(Role.librarian)
def kudos():
    """Thank a colleague with a short public message (the colleague earns a few points)."""
    db = get_session()
    form = KudosForm()
    form.receiver.choices = [(p.id, p.display_name) for p in service.staff(db) if p.id != current_user.id]
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            try:
                staff_board.give_kudos(db, giver_id=current_user.id, receiver=db.get(User, form.receiver.data),
                                   message=form.message.data)
            except service.StaffScoresError as exc:
                db.rollback()
                form.message.errors = [exc.message]
                status = exc.status
            else:
                db.commit()
                flash(_("Thank you sent."), "success")
                return redirect(url_for("staff_scores.kudos"))
    return render("staff_scores/kudos.html", form=form, kudos=staff_board.recent_kudos(db, 50), status=status,
                  points=staff_board.KUDOS_POINTS, cap=staff_board.KUDOS_DAILY_CAP)


@bp.route("/settings", methods=["GET", "POST"])
@role_required(Role.librarian)
def settings():
    """Whether I appear on public boards and library screens."""
    db = get_session()
    pref = db.get(Preference, current_user.id)
    form = PreferenceForm(data={"show_publicly": pref.show_publicly if pref else True}
                          if request.method == "GET" else None)
    if request.method == "POST":
        if not form.validate_on_submit():
            return render("staff_scores/settings.html", form=form, status=400)
        staff_board.set_public(db, user_id=current_user.id, show=form.show_publicly.data)
        db.commit()
        flash(_("Your choice is saved."), "success")
        return redirect(url_for("staff_scores.settings"))
    return render("staff_scores/settings.html", form=form)
