"""Librarians' pages: characters, series, episodes, polls, contests and the moderation of designs."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from core.confirm import ask, confirmed
from core.db import get_session
from core.models import Role, utcnow
from core.pagination import paginate
from core.security import role_required
from core.ui import render

from . import voting
from .forms import CharacterForm, ContestForm, EpisodeForm, OptionImageForm, PollForm, SeriesForm
from .i18n import _
from .models import Character, Contest, Design, Episode, Poll, PollOption, Series
from .views import bp, store_image

librarian = role_required(Role.librarian)

MODERATE_PAGE = 30


@bp.route("/manage")
@librarian
def manage():
    """Everything the brand has, with links to change it and designs waiting for moderation."""
    db = get_session()
    pending = dict(db.execute(select(Design.contest_id, func.count()).where(Design.status == "pending")
                              .group_by(Design.contest_id)).all())
    return render("brand_stories/manage.html",
                  characters=db.execute(select(Character).order_by(Character.position, Character.id)).scalars().all(),
                  series=db.execute(select(Series).order_by(Series.id)).scalars().all(),
                  episodes=db.execute(select(Episode).order_by(Episode.series_id, Episode.number)).scalars().all(),
                  polls=db.execute(select(Poll).order_by(Poll.closes_at.desc())).scalars().all(),
                  contests=db.execute(select(Contest).order_by(Contest.voting_closes_at.desc())).scalars().all(),
                  pending=pending, poll_state=voting.poll_state, contest_state=voting.contest_state,
                  turnout=lambda p: voting.turnout(db, p.id))


def _edit(model, form_cls, obj_id: int | None, heading: str, *, prepare=None, image=None):
    """Create or edit one row from a form whose field names are the row's columns.

    Fields the request leaves out keep the row's values (times too: ``core.localtime``'s field
    keeps the stored instant exactly); ``image`` names an upload field whose cleaned picture
    becomes the row's ``image_id``. Bad input stores nothing.
    """
    db = get_session()
    row = db.get(model, obj_id) if obj_id is not None else model()
    if row is None:
        abort(404)
    form = form_cls(obj=row if obj_id is not None else None)
    if prepare:
        prepare(form, db)
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            picture = store_image(db, getattr(form, image).data, getattr(form, image).errors) if image else None
            if not (image and getattr(form, image).errors):
                for name, field in form._fields.items():
                    # A blank optional number keeps the row's current value (or its default).
                    if hasattr(row, name) and name not in ("id", image) and field.data is not None:
                        setattr(row, name, field.data)
                if picture is not None:
                    row.image_id = picture.id
                db.add(row)
                db.commit()
                flash(_("Saved."), "success")
                return redirect(url_for("brand_stories.manage"), 303)
        db.rollback()
    return render("brand_stories/edit.html", form=form, heading=heading, status=status,
                  multipart=image is not None)


@bp.route("/manage/characters/new", methods=["GET", "POST"], defaults={"character_id": None})
@bp.route("/manage/characters/<int:character_id>", methods=["GET", "POST"])
@librarian
def edit_character(character_id):
    """A character's names, biography and portrait in both languages."""
    return _edit(Character, CharacterForm, character_id,
                 _("New character") if character_id is None else _("Edit character"), image="image")


@bp.route("/manage/series/new", methods=["GET", "POST"], defaults={"series_id": None})
@bp.route("/manage/series/<int:series_id>", methods=["GET", "POST"])
@librarian
def edit_series(series_id):
    """A story series."""
    return _edit(Series, SeriesForm, series_id, _("New series") if series_id is None else _("Edit series"))


def _series_choices(form, db):
    form.series_id.choices = [(s.id, voting.local(s.title_en, s.title_zh))
                              for s in db.execute(select(Series).order_by(Series.id)).scalars()]


@bp.route("/manage/episodes/new", methods=["GET", "POST"], defaults={"episode_id": None})
@bp.route("/manage/episodes/<int:episode_id>", methods=["GET", "POST"])
@librarian
def edit_episode(episode_id):
    """An episode: text, picture and when it is published."""
    if episode_id is None and not get_session().execute(select(Series.id).limit(1)).first():
        flash(_("Create a series first."), "info")
        return redirect(url_for("brand_stories.edit_series"))
    return _edit(Episode, EpisodeForm, episode_id, _("New episode") if episode_id is None else _("Edit episode"),
                 prepare=_series_choices, image="image")


@bp.route("/manage/episodes/<int:episode_id>/polls/new", methods=["GET", "POST"])
@librarian
def new_poll(episode_id: int):
    """A "what happens next" poll on an episode, with its options."""
    db = get_session()
    story = db.get(Episode, episode_id)
    if story is None:
        abort(404)
    form = PollForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            poll = Poll(episode_id=story.id, question_en=form.question_en.data, question_zh=form.question_zh.data,
                        opens_at=form.opens_at.data, closes_at=form.closes_at.data,
                        live_counts=form.live_counts.data)
            db.add(poll)
            db.flush()
            for n, (english, chinese) in enumerate(form.option_pairs):
                db.add(PollOption(poll_id=poll.id, text_en=english, text_zh=chinese, position=n))
            db.commit()
            flash(_("The poll is saved."), "success")
            return redirect(url_for("brand_stories.manage"), 303)
    return render("brand_stories/edit.html", form=form, heading=_("New poll"), status=status,
                  subtitle=voting.local(story.title_en, story.title_zh))


@bp.route("/manage/polls/<int:poll_id>/close", methods=["POST"])
@librarian
def close_poll(poll_id: int):
    """Close a poll now (its voters are told when its page is next seen, or by ``close-due``)."""
    db = get_session()
    poll = db.get(Poll, poll_id)
    if poll is None:
        abort(404)
    if voting.poll_state(poll) == "closed":
        flash(_("This poll is closed."), "info")
    elif not confirmed():
        return ask(title=_("Close this poll now?"),
                   consequence=_("Voting stops at once for everyone, before its closing time, and the result is "
                                 "counted as it stands; voters are told."),
                   confirm_label=_("Close the poll"), cancel_url=url_for("brand_stories.manage"))
    else:
        poll.closes_at = utcnow()
        poll.opens_at = min(poll.opens_at, poll.closes_at)
        db.add(poll)
        db.commit()
        flash(_("The poll is closed."), "success")
    return redirect(url_for("brand_stories.manage"), 303)


@bp.route("/manage/polls/<int:poll_id>/options", methods=["GET", "POST"])
@librarian
def poll_options(poll_id: int):
    """Add pictures to a poll's options (each upload checked and re-encoded)."""
    db = get_session()
    poll = db.get(Poll, poll_id)
    if poll is None:
        abort(404)
    form = OptionImageForm()
    status = 200
    failed = None
    if request.method == "POST":
        option = db.get(PollOption, request.form.get("option_id", type=int) or 0)
        if option is None or option.poll_id != poll.id:
            flash(_("This option is not in this poll."), "error")
            status = 400
        elif form.validate_on_submit():
            picture = store_image(db, form.image.data, form.image.errors, required=True)
            if picture is not None:
                option.image_id = picture.id
                db.add(option)
                db.commit()
                flash(_("Saved."), "success")
                return redirect(url_for("brand_stories.poll_options", poll_id=poll.id), 303)
            db.rollback()
            status, failed = 400, option.id
    options = db.execute(select(PollOption).where(PollOption.poll_id == poll.id)
                         .order_by(PollOption.position)).scalars().all()
    return render("brand_stories/options.html", poll=poll, options=options, form=form, failed=failed,
                  status=status)


@bp.route("/manage/contests/new", methods=["GET", "POST"])
@librarian
def new_contest():
    """A design contest with its three dates."""
    return _edit(Contest, ContestForm, None, _("New design contest"))


@bp.route("/manage/contests/<int:contest_id>", methods=["GET"])
@librarian
def moderate(contest_id: int, status: int = 200):
    """A contest's entries, to accept or reject before voting opens."""
    db = get_session()
    match = db.get(Contest, contest_id)
    if match is None:
        abort(404)
    entries = select(Design).where(Design.contest_id == match.id).order_by(Design.submitted_at, Design.id)
    page = paginate(lambda offset, limit: db.execute(entries.offset(offset).limit(limit)).scalars().all(),
                    per_page=MODERATE_PAGE)
    return render("brand_stories/moderate.html", contest=match, designs=page.items, page=page,
                  state=voting.contest_state(match), status=status)


@bp.route("/manage/designs/<int:design_id>/<any(accept, reject):decision>", methods=["POST"])
@librarian
def decide(design_id: int, decision: str):
    """Accept or reject a pending design; only before voting opens, so the ballot never changes."""
    db = get_session()
    design = db.get(Design, design_id)
    if design is None:
        abort(404)
    match = db.get(Contest, design.contest_id)
    if voting.contest_state(match) in ("voting", "closed") or design.status != "pending":
        flash(_("This design can no longer be moderated."), "error")
        return moderate(match.id, status=409)
    try:
        voting.accept_design(db, design=design, accepted=decision == "accept", actor_id=current_user.id)
    except voting.VoteError as exc:
        db.rollback()
        flash(str(exc), "error")
        return moderate(match.id, status=exc.status)
    db.commit()
    flash(_("Design accepted.") if decision == "accept" else _("Design rejected."), "success")
    return redirect(url_for("brand_stories.moderate", contest_id=match.id), 303)

