"""Service functions of the staff-scores plugin: they take the session and never commit."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import or_, select
from sqlmodel import Session

from core.activity import record_activity
from core.i18n import pick
from core.models import Role, User, utcnow
from core.notifications import notify
from core.ui import path_for

from . import scoring
from .i18n import _
from .models import AnswerScore, Criterion, Review, ReviewMark, Round, Rubric

PLUGIN = "staff_scores"
STAFF_ROLES = (Role.librarian.value, Role.admin.value)


class StaffScoresError(ValueError):
    """A request the rules refuse; ``message`` is in the reader's language, ``status`` the HTTP answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


# --- people ------------------------------------------------------------------------------

def staff(session: Session) -> list[User]:
    """Every active librarian and administrator, by name: the colleagues who rate each other."""
    return list(session.execute(select(User).where(User.role.in_(STAFF_ROLES), User.is_active.is_(True))
                                .order_by(User.display_name, User.id)).scalars())


def is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.librarian))


# --- rubric ------------------------------------------------------------------------------

def latest_rubric(session: Session) -> Rubric | None:
    return session.execute(select(Rubric).order_by(Rubric.version.desc()).limit(1)).scalar()


def criteria_of(session: Session, rubric_id: int) -> list[Criterion]:
    return list(session.execute(select(Criterion).where(Criterion.rubric_id == rubric_id)
                                .order_by(Criterion.position, Criterion.id)).scalars())


def rubric_in_use(session: Session, rubric_id: int) -> bool:
    return session.execute(select(Round.id).where(Round.rubric_id == rubric_id).limit(1)).first() is not None


def frozen(rubric: Rubric) -> StaffScoresError:
    """The refusal to edit a version that a round uses."""
    return StaffScoresError(_("Version %(n)s is used by a round and cannot change; save your edits "
                              "as a new version instead.", n=rubric.version), 409)


def save_rubric(session: Session, *, rubric: Rubric | None, criteria: list[dict], actor_id: int) -> Rubric:
    """Replace the criteria of an unused version, or (``rubric`` None) add the next version.

    A version that a round uses is frozen, so a round always keeps the rubric it opened with.
    """
    if not criteria:
        raise StaffScoresError(_("A rubric needs at least one criterion."))
    if rubric is None:
        latest = latest_rubric(session)
        rubric = Rubric(version=(latest.version + 1) if latest else 1, created_by=actor_id)
        session.add(rubric)
        session.flush()
    elif rubric_in_use(session, rubric.id):
        raise frozen(rubric)
    else:
        for old in criteria_of(session, rubric.id):
            session.delete(old)
        session.flush()
    for position, values in enumerate(criteria):
        session.add(Criterion(rubric_id=rubric.id, position=position, **values))
    session.flush()
    return rubric


# --- rounds ------------------------------------------------------------------------------

def state(round_: Round, now: datetime | None = None) -> str:
    """``upcoming``, ``open``, ``closed`` (results not yet published) or ``published``."""
    now = now or utcnow()
    if round_.published_at:
        return "published"
    if now < round_.opens_at:
        return "upcoming"
    return "open" if now < round_.closes_at else "closed"


def rounds(session: Session) -> list[Round]:
    return list(session.execute(select(Round).order_by(Round.opens_at.desc(), Round.id.desc())).scalars())


def create_round(session: Session, *, title_en: str, title_zh: str, opens_at: datetime, closes_at: datetime,
                 prior_weight: float, blend_weight: float, actor_id: int) -> Round:
    """A round on the latest rubric version (which is frozen from now on)."""
    rubric = latest_rubric(session)
    if rubric is None or not criteria_of(session, rubric.id):
        raise StaffScoresError(_("Write the rubric before opening a round."), 409)
    if closes_at <= opens_at:
        raise StaffScoresError(_("A round must close after it opens."))
    if closes_at <= utcnow():
        raise StaffScoresError(_("The closing time has already passed."))
    round_ = Round(title_en=title_en.strip(), title_zh=title_zh.strip(), rubric_id=rubric.id, opens_at=opens_at,
                   closes_at=closes_at, prior_weight=prior_weight, blend_weight=blend_weight, created_by=actor_id)
    session.add(round_)
    session.flush()
    send_due_notices(session)
    return round_


def can_publish(user, round_: Round) -> bool:
    return is_staff(user) and (user.has_role(Role.admin) or user.id == round_.created_by)


def can_see_results(user, round_: Round) -> bool:
    """Nobody sees results before the close; then the admins and the round's creator (to review
    and publish), and every librarian once published."""
    current = state(round_)
    return is_staff(user) and (current == "published" or (current == "closed" and can_publish(user, round_)))


def _notify_staff(session: Session, round_: Round, kind: str, message, only: set[int] | None = None) -> int:
    url = path_for("staff_scores.round_page", round_id=round_.id)
    sent = 0
    for person in staff(session):
        if only is None or person.id in only:
            notify(session, user_id=person.id, plugin=PLUGIN, kind=kind, message=message, url=url)
            sent += 1
    return sent


def _title(round_: Round) -> str:
    return pick({"en": round_.title_en, "zh_Hans": round_.title_zh})


def send_due_notices(session: Session, now: datetime | None = None) -> int:
    """Tell every librarian once when a round opens and once when it closes; returns the rounds told."""
    now = now or utcnow()
    told = 0
    for round_ in session.execute(select(Round).where(or_(Round.opened_notice.is_(False),
                                                          Round.closed_notice.is_(False)))).scalars():
        if not round_.opened_notice and round_.opens_at <= now < round_.closes_at:
            _notify_staff(session, round_, "round_open",
                          lambda: _("Evaluation round “%(t)s” is open: rate your colleagues.", t=_title(round_)))
            round_.opened_notice = True
            told += 1
        elif not round_.closed_notice and round_.closes_at <= now:
            _notify_staff(session, round_, "round_closed",
                          lambda: _("Evaluation round “%(t)s” has closed.", t=_title(round_)))
            round_.opened_notice = round_.closed_notice = True
            told += 1
        session.add(round_)
    return told


def publish(session: Session, *, round_: Round, actor) -> scoring.Result:
    """Publish a closed round's results: everyone is told, and the top three earn their badge."""
    if not can_publish(actor, round_):
        raise StaffScoresError(_("Only an administrator or the round's creator can publish it."), 403)
    current = state(round_)
    if current == "published":
        raise StaffScoresError(_("These results are already published."), 409)
    if current != "closed":
        raise StaffScoresError(_("Results can be published only after the round closes."), 409)
    result = results(session, round_)
    round_.published_at = utcnow()
    session.add(round_)
    for score in result.ranking()[:3]:
        record_activity(session, user_id=score.ratee, plugin=PLUGIN, kind="top3", source_ref=f"round:{round_.id}")
    _notify_staff(session, round_, "published",
                  lambda: _("Results of “%(t)s” are published: see your report.", t=_title(round_)))
    return result


# --- ratings -----------------------------------------------------------------------------

def reviews_by(session: Session, round_id: int, rater_id: int) -> dict[int, Review]:
    return {r.ratee_id: r for r in session.execute(select(Review).where(
        Review.round_id == round_id, Review.rater_id == rater_id)).scalars()}


def marks_of(session: Session, review_id: int) -> dict[int, int]:
    return dict(session.execute(select(ReviewMark.criterion_id, ReviewMark.value)
                                .where(ReviewMark.review_id == review_id)).all())


def left_to_rate(session: Session, round_: Round, rater_id: int) -> int:
    """How many colleagues (never oneself) the rater has not rated yet in the round."""
    done = set(reviews_by(session, round_.id, rater_id))
    return sum(1 for p in staff(session) if p.id != rater_id and p.id not in done)


def save_review(session: Session, *, round_: Round, rater_id: int, ratee: User, marks: dict[int, int],
                comment: str) -> Review:
    """Store (or change) one review while the round is open; a self-review is kept as reflection only."""
    if state(round_) != "open":
        raise StaffScoresError(_("This round is not open for rating."), 409)
    if ratee.role not in STAFF_ROLES or not ratee.is_active:
        raise StaffScoresError(_("Only librarians can be rated."), 404)
    wanted = {c.id for c in criteria_of(session, round_.rubric_id)}
    if set(marks) != wanted:
        raise StaffScoresError(_("Give a mark for every criterion."))
    if any(not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 5 for v in marks.values()):
        raise StaffScoresError(_("Marks go from 1 to 5."))
    if len(comment) > 1000:
        raise StaffScoresError(_("A comment can have at most 1000 characters."))
    review = session.execute(select(Review).where(Review.round_id == round_.id, Review.rater_id == rater_id,
                                                  Review.ratee_id == ratee.id)).scalar()
    if review is None:
        review = Review(round_id=round_.id, rater_id=rater_id, ratee_id=ratee.id)
    review.comment, review.updated_at = comment.strip(), utcnow()
    session.add(review)
    session.flush()
    existing = {m.criterion_id: m for m in session.execute(
        select(ReviewMark).where(ReviewMark.review_id == review.id)).scalars()}
    for criterion_id, value in marks.items():
        row = existing.get(criterion_id) or ReviewMark(review_id=review.id, criterion_id=criterion_id, value=value)
        row.value = value
        session.add(row)
    session.flush()
    if left_to_rate(session, round_, rater_id) == 0:
        record_activity(session, user_id=rater_id, plugin=PLUGIN, kind="rated_all", source_ref=f"round:{round_.id}")
    return review


def remind(session: Session, round_: Round) -> int:
    """Notify every librarian who has not rated all colleagues in an open round; returns how many."""
    if state(round_) != "open":
        raise StaffScoresError(_("Reminders go out only while a round is open."), 409)
    late = {p.id for p in staff(session) if left_to_rate(session, round_, p.id)}
    if not late:
        return 0
    return _notify_staff(session, round_, "reminder",
                         lambda: _("Reminder: you have colleagues left to rate in “%(t)s”.", t=_title(round_)),
                         only=late)


# --- results -----------------------------------------------------------------------------

def round_marks(session: Session, round_id: int) -> list[scoring.Mark]:
    rows = session.execute(select(Review.rater_id, Review.ratee_id, ReviewMark.criterion_id, ReviewMark.value)
                           .join(ReviewMark, ReviewMark.review_id == Review.id)
                           .where(Review.round_id == round_id)).all()
    return [scoring.Mark(*row) for row in rows]


def reader_ratings(session: Session, start: datetime, end: datetime) -> dict[int, list[int]]:
    """Readers' ratings of answers given in the period, per librarian."""
    ratings: dict[int, list[int]] = defaultdict(list)
    for staff_id, score in session.execute(select(AnswerScore.staff_id, AnswerScore.score).where(
            AnswerScore.rated_at >= start, AnswerScore.rated_at < end)):
        ratings[staff_id].append(score)
    return ratings


def results(session: Session, round_: Round) -> scoring.Result:
    """The round's scores, as :mod:`.scoring` computes them."""
    return scoring.score_round(round_marks(session, round_.id),
                               criteria=[c.id for c in criteria_of(session, round_.rubric_id)],
                               prior_weight=round_.prior_weight, blend_weight=round_.blend_weight,
                               reader_ratings=reader_ratings(session, round_.opens_at, round_.closes_at))


def comments_for(session: Session, round_id: int, ratee_id: int, rng) -> list[str]:
    """Colleagues' comments on a librarian, without names and in shuffled order."""
    texts = list(session.execute(select(Review.comment).where(
        Review.round_id == round_id, Review.ratee_id == ratee_id, Review.rater_id != ratee_id,
        Review.comment != "")).scalars())
    rng.shuffle(texts)
    return texts


def published_rounds(session: Session) -> list[Round]:
    return list(session.execute(select(Round).where(Round.published_at.is_not(None))
                                .order_by(Round.closes_at, Round.id)).scalars())


# --- readers' ratings -------------------------------------------------------------------

def store_answer_rating(session: Session, rating) -> AnswerScore:
    """Keep a reader's rating of an answer once per source_ref; a changed rating updates the row."""
    row = session.execute(select(AnswerScore).where(AnswerScore.source_ref == rating.source_ref)).scalar()
    row = row or AnswerScore(source_ref=rating.source_ref, staff_id=rating.staff_id, score=rating.score,
                             plugin=rating.plugin, rated_at=rating.rated_at)
    row.staff_id, row.score, row.plugin, row.rated_at = rating.staff_id, rating.score, rating.plugin, rating.rated_at
    session.add(row)
    session.flush()
    return row
