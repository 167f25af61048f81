"""Readers' pages: the brand, characters, episodes, polls, design contests, results and share pages."""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from core.db import get_db, get_session
from core.exports import csv_response
from core.files import file_response
from core.images import ImageError, clean_image
from core.models import Role, User, utcnow
from core.security import rate_limit
from core.source_tags import tagged_url
from core.ui import render

from . import charts, voting
from .access import picture_access
from .forms import MAX_IMAGE_BYTES, DesignForm
from .i18n import _
from .models import Ballot, Character, Contest, Design, Episode, Poll, RankBallot, Series, StoryImage

bp = Blueprint("brand_stories", __name__, url_prefix="/stories", template_folder="templates",
               static_folder="static", static_url_path="/static")
VOTE_LIMIT = "30/minute"


# --- helpers shared with the librarians' pages -------------------------------------------------

def is_librarian() -> bool:
    return current_user.is_authenticated and current_user.has_role(Role.librarian)


def user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def store_image(db, upload, errors: list, *, required: bool = False) -> StoryImage | None:
    """Clean an uploaded file and keep it; on a bad file add a message to ``errors`` and return None."""
    data = upload.stream.read(MAX_IMAGE_BYTES + 1) if upload else b""
    if not data:
        if required:
            errors.append(_("Choose an image to upload."))
        return None
    try:
        clean = clean_image(data, max_bytes=MAX_IMAGE_BYTES)
    except ImageError as exc:
        errors.append(str(exc))
        return None
    image = StoryImage(data=clean.data, content_type=clean.content_type, width=clean.width, height=clean.height)
    db.add(image)
    db.flush()
    return image


def published(db):
    """Episodes readers may see: published ones, or every one for librarians."""
    query = select(Episode)
    return query if is_librarian() else query.where(Episode.publish_at <= utcnow())


def episode_or_404(db, episode_id: int) -> Episode:
    episode = db.execute(published(db).where(Episode.id == episode_id)).scalar()
    if episode is None:
        abort(404)
    return episode


def poll_or_404(db, poll_id: int) -> Poll:
    """A poll whose episode the reader may see (one query)."""
    query = select(Poll).join(Episode, Episode.id == Poll.episode_id).where(Poll.id == poll_id)
    if not is_librarian():
        query = query.where(Episode.publish_at <= utcnow())
    poll = db.execute(query).scalar()
    if poll is None:
        abort(404)
    return poll


def settle_if_due() -> None:
    """Lazily close what is due (notify voters, tally contests) before a page reads it.

    Checked on a short read session first so that most views never take the write lock.
    """
    db = get_db()
    now = utcnow()
    with db.session() as peek:
        due = peek.execute(select(Poll.id).where(Poll.closes_at <= now, Poll.notified.is_(False)).limit(1)).first() \
            or peek.execute(select(Contest.id).where(Contest.voting_closes_at <= now,
                                                      Contest.tallied_at.is_(None)).limit(1)).first()
    if due:
        with db.write_session() as session:
            voting.settle_due(session, now)


def poll_view(db, poll: Poll) -> dict:
    """Everything a poll's card shows: options in this voter's order, their ballot, turnout, results."""
    uid = user_id()
    mine = db.execute(select(Ballot.choices).where(Ballot.poll_id == poll.id, Ballot.user_id == uid)).scalar() \
        if uid else None
    view = {"poll": poll, "state": voting.poll_state(poll), "options": voting.options_for(db, poll, uid),
            "mine": set(json.loads(mine)) if mine else set(), "turnout": voting.turnout(db, poll.id),
            "chart": None, "tally": None}
    if voting.counts_visible(poll):
        tally = voting.approval_tally(db, poll)
        view["tally"] = tally
        view["chart"] = charts.bar_chart([(voting.local(o.text_en, o.text_zh), n) for o, n in tally], _("Approvals"))
    return view


def share(endpoint: str, **values) -> dict:
    """The absolute address of a page (for Open Graph tags), the address to copy and its QR code
    (each with a source tag, so the library can see which brought readers)."""
    url = url_for(endpoint, _external=True, **values)
    campaign = ":".join(["brand_stories", endpoint.split(".")[-1], *(str(v) for v in values.values())])
    return {"url": url, "link": tagged_url(url, campaign=campaign, medium="share"),
            "qr": charts.qr_svg(tagged_url(url, campaign=campaign, medium="qr"), _("QR code for this page"))}


# --- pages ------------------------------------------------------------------------------------

@bp.route("/")
def index():
    """The brand: its characters, the series with their episodes, open polls and contests."""
    settle_if_due()
    db = get_session()
    characters = db.execute(select(Character).order_by(Character.position, Character.id)).scalars().all()
    episodes = db.execute(published(db).order_by(Episode.series_id, Episode.number)).scalars().all()
    series = db.execute(select(Series).order_by(Series.id)).scalars().all()
    now = utcnow()
    polls = db.execute(select(Poll).where(Poll.opens_at <= now, Poll.closes_at > now,
                                          Poll.episode_id.in_([e.id for e in episodes]))
                       .order_by(Poll.closes_at)).scalars().all()
    contests = db.execute(select(Contest).order_by(Contest.voting_closes_at.desc())).scalars().all()
    return render("brand_stories/index.html", characters=characters, series=series, episodes=episodes,
                  polls=polls, contests=contests, state_of=voting.contest_state, now=now)


@bp.route("/characters/<int:character_id>")
def character(character_id: int):
    """One character: portrait and biography."""
    person = get_session().get(Character, character_id)
    if person is None:
        abort(404)
    return render("brand_stories/character.html", character=person)


@bp.route("/episodes/<int:episode_id>")
def episode(episode_id: int):
    """The reading page of an episode (also its share page), with its polls."""
    settle_if_due()
    db = get_session()
    story = episode_or_404(db, episode_id)
    polls = db.execute(select(Poll).where(Poll.episode_id == story.id).order_by(Poll.opens_at)).scalars().all()
    siblings = db.execute(published(db).where(Episode.series_id == story.series_id)
                          .order_by(Episode.number)).scalars().all()
    return render("brand_stories/episode.html", episode=story, series=db.get(Series, story.series_id),
                  polls=[poll_view(db, p) for p in polls], siblings=siblings,
                  share=share("brand_stories.episode", episode_id=story.id))


@bp.route("/polls/<int:poll_id>")
def poll(poll_id: int):
    """A poll's own page: its ballot, live turnout, results after close (also its share page)."""
    settle_if_due()
    db = get_session()
    vote = poll_or_404(db, poll_id)
    return render("brand_stories/poll.html", view=poll_view(db, vote), episode=db.get(Episode, vote.episode_id),
                  share=share("brand_stories.poll", poll_id=vote.id))


@bp.route("/polls/<int:poll_id>/vote", methods=["POST"])
@login_required
def vote(poll_id: int):
    """Cast or change an approval ballot; refused after close, for other polls' options, or empty."""
    db = get_session()
    return _record_ballot(lambda: voting.cast_approval(db, poll_id=poll_id, user_id=current_user.id,
                                                       option_ids=request.form.getlist("option"),
                                                       see_unpublished=is_librarian()),
                          lambda first: _("Your ballot is recorded. Your %(points)d points follow in a moment.",
                                          points=voting.VOTE_POINTS) if first else _("Your ballot is changed."),
                          "brand_stories.poll", poll_id=poll_id)


def _record_ballot(cast, said, endpoint: str, **values):
    """Cast a ballot and commit; a refused or racing ballot (a second tab) changes nothing and
    shows its message. ``said(first)`` is what to tell a first or a changed ballot."""
    db = get_session()
    try:
        first = cast()
        db.commit()
    except voting.VoteError as exc:
        db.rollback()
        if exc.status == 404:
            abort(404)
        return _refuse(str(exc), exc.status, endpoint, **values)
    except IntegrityError:
        db.rollback()
        return _refuse(_("Your ballot was being recorded from another tab at the same moment; "
                         "it is counted once. Check it below."), 409, endpoint, **values)
    flash(said(first), "success")
    return redirect(url_for(endpoint, **values), 303)


def _refuse(message: str, status: int, endpoint: str, **values):
    """A refused ballot or entry: the page again, with the message, and the error status."""
    flash(message, "error")
    response = redirect(url_for(endpoint, **values), 303)
    if request.headers.get("HX-Request"):
        return response
    # A plain form post: answer with the status, and show the page with its message.
    page = (poll if endpoint.endswith(".poll") else contest)(**values)
    page.status_code = status
    return page


@bp.route("/contests/<int:contest_id>")
def contest(contest_id: int, form: DesignForm | None = None):
    """A design contest: brief, tie-break rule, entries, the ranked ballot, and the result."""
    settle_if_due()
    db = get_session()
    match = db.get(Contest, contest_id)
    if match is None:
        abort(404)
    state = voting.contest_state(match)
    shown = [match.id == Design.contest_id, Design.status == "accepted"]
    if current_user.is_authenticated:
        shown[1] = or_(Design.status == "accepted", Design.user_id == current_user.id) if not is_librarian() \
            else Design.status != "rejected"
    designs = db.execute(select(Design).where(*shown).order_by(Design.submitted_at, Design.id)).scalars().all()
    names = dict(db.execute(select(User.id, User.display_name).where(
        User.id.in_({d.user_id for d in designs}))).all())
    mine = db.execute(select(RankBallot.choices).where(RankBallot.contest_id == match.id,
                                                       RankBallot.user_id == user_id())).scalar()
    mine = {design_id: n for n, design_id in enumerate(json.loads(mine), 1)} if mine else {}
    result = voting.stored_result(match)
    chart = None
    if result:
        by_id = {d.id: d for d in designs}
        d = result["d"]
        scores = [(by_id[c].title if c in by_id else str(c), sum(d[result["candidates"].index(c)]))
                  for c in result["ranking"]]
        chart = charts.bar_chart(scores, _("Pairwise wins"))
    turnout = db.execute(select(func.count()).select_from(RankBallot).where(RankBallot.contest_id == match.id)
                         ).scalar_one()
    return render("brand_stories/contest.html", contest=match, state=state, designs=designs, names=names,
                  mine=mine, result=result, chart=chart, turnout=turnout, form=form or DesignForm(),
                  share=share("brand_stories.contest", contest_id=match.id),
                  status=400 if form is not None else 200)


@bp.route("/contests/<int:contest_id>/designs", methods=["POST"])
@login_required
def submit_design(contest_id: int):
    """A reader enters a design (image and description) while submissions are open."""
    db = get_session()
    match = db.get(Contest, contest_id)
    if match is None:
        abort(404)
    if voting.contest_state(match) != "submitting":
        return _refuse(_("Submissions to this contest are closed."), 409, "brand_stories.contest",
                       contest_id=contest_id)
    form = DesignForm()
    if form.validate_on_submit():
        image = store_image(db, form.image.data, form.image.errors, required=True)
        if image is not None:
            db.add(Design(contest_id=match.id, user_id=current_user.id, title=form.title.data.strip(),
                          description=form.description.data, image_id=image.id))
            db.commit()
            flash(_("Thank you! Your design is in; a librarian will look at it soon."), "success")
            return redirect(url_for("brand_stories.contest", contest_id=match.id), 303)
    db.rollback()
    response = contest(contest_id, form=form)
    if (request.content_length or 0) > MAX_IMAGE_BYTES:
        response.status_code = 413  # the refused upload was too large
    return response


@bp.route("/contests/<int:contest_id>/vote", methods=["POST"])
@login_required
def rank(contest_id: int):
    """Cast or change a ranked ballot (numbers 1, 2, 3 … beside the designs)."""
    db = get_session()
    match = db.get(Contest, contest_id)
    if match is None:
        abort(404)
    ranks = {key[5:]: value for key, value in request.form.items() if key.startswith("rank-")}
    return _record_ballot(lambda: voting.cast_ranking(db, contest=match, user_id=current_user.id, ranks=ranks),
                          lambda first: _("Your ranking is recorded. Your %(points)d points follow in a moment.",
                                          points=voting.VOTE_POINTS) if first else _("Your ranking is changed."),
                          "brand_stories.contest", contest_id=contest_id)


@bp.route("/contests/<int:contest_id>/ballots.csv")
def ballots_csv(contest_id: int):
    """Every current ballot with a random id and no voter, so anyone can re-count the result."""
    db = get_session()
    match = db.get(Contest, contest_id)
    if match is None:
        abort(404)
    if voting.contest_state(match) != "closed":
        abort(404)
    rows = ((code, " > ".join(map(str, ranking))) for code, ranking in voting.rank_ballots(db, match.id))
    return csv_response(f"contest-{match.id}-ballots.csv",
                        [_("Ballot"), _("Ranking (design numbers, best first)")], rows)


@bp.route("/images/<int:image_id>")
def image(image_id: int):
    """A stored picture, for those who may see what it belongs to (``access``); others get 404."""
    db = get_session()
    allowed = picture_access(db, image_id, current_user)
    picture = db.get(StoryImage, image_id) if allowed.visible else None
    if picture is None:
        abort(404)
    return file_response(picture.data, picture.content_type, visible=True, public=allowed.public,
                         etag=f"{picture.id}-{len(picture.data)}")


def _limit_uploads(state) -> None:
    """Every form that uploads a picture is rate-limited per account (``core.security.rate_limit``);
    votes and designs have their limits through ``engage_rate_limits``."""
    for endpoint in ("brand_stories.submit_design", "brand_stories.edit_character", "brand_stories.edit_episode",
                     "brand_stories.poll_options"):
        rate_limit(state.app, endpoint, state.app.config["UPLOAD_RATE_LIMIT"])


from . import manage  # noqa: E402,F401  (the librarians' routes live on the same blueprint)

bp.record_once(_limit_uploads)  # after the librarians' routes it wraps: deferred set-up runs in order
