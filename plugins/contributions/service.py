"""What happens to challenges and submissions: service functions that take the session and never commit.

Each function checks everything before it writes, so a refused request leaves no half-written
rows; a refusal is a ``ContributionError`` whose text is for the reader and whose ``status``
is the HTTP answer a view should give.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime, timedelta
from urllib.parse import urlparse

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlmodel import Session

from core.i18n import pick
from core.images import ImageError, clean_image
from core.models import utcnow

from .models import EDITABLE, Challenge, ContributionImage, Submission

PLUGIN = "contributions"
DEFAULT_MAX_IMAGE_BYTES = 5 * 1024 * 1024
# Core's rate limiter cannot wrap a plugin's view (plugin blueprints are registered before it
# exists), so the submission rate is counted in the database, which also holds across workers.
DEFAULT_SUBMISSIONS_PER_HOUR = 10
# Texts shorter than this once normalised ("yes", "1984") are too common to call a copy.
MIN_HASHED_CHARS = 12
# Two pictures whose 64-bit difference hashes differ in this many bits or fewer are the same picture.
SIMILAR_BITS = 6
# Raw HTML that could run script: refused outright rather than silently dropped, so the
# author knows why the text would not look as written.
# Plain prose ("a < b", a review of "JavaScript: The Good Parts") is left alone.
_SCRIPTY = re.compile(r"<\s*/?\s*(script|iframe|object|embed|style|svg|math)\b"  # script-capable tags
                      r"|<[a-z][^>]*\son[a-z]+\s*="  # an event handler inside a tag (no space after "<")
                      r"|(\]\(|=\s*[\"']?)\s*javascript\s*:",  # a javascript: link or attribute
                      re.IGNORECASE)


class ContributionError(ValueError):
    """A refused action; ``str()`` is safe to show the reader, ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# --- challenges ----------------------------------------------------------------------------

def state_of(challenge: Challenge, now: datetime | None = None) -> str:
    """``upcoming``, ``open`` or ``closed`` at ``now``."""
    now = now or utcnow()
    if now < challenge.opens_at:
        return "upcoming"
    return "open" if now < challenge.closes_at else "closed"


def title_of(challenge: Challenge) -> str:
    """The challenge's title in the reader's language."""
    return pick({"en": challenge.title_en, "zh_Hans": challenge.title_zh})


def save_challenge(session: Session, *, challenge: Challenge | None, actor_id: int, **fields) -> Challenge:
    """Create (``challenge=None``) or change a challenge from already-validated form fields."""
    if fields["closes_at"] <= fields["opens_at"]:
        raise ContributionError(_("The closing time must be after the opening time."))
    if fields.get("require_image") and not fields.get("allow_image"):
        raise ContributionError(_("A challenge that requires an image must allow images."))
    challenge = challenge or Challenge(created_by=actor_id)
    for name, value in fields.items():
        setattr(challenge, name, value)
    session.add(challenge)
    session.flush()
    return challenge


def challenges(session: Session, *states: str, now: datetime | None = None) -> list[Challenge]:
    """Challenges in the given states (all when none), soonest deadline first."""
    now = now or utcnow()
    query = select(Challenge)
    if states:
        conditions = {"upcoming": Challenge.opens_at > now,
                      "open": (Challenge.opens_at <= now) & (Challenge.closes_at > now),
                      "closed": Challenge.closes_at <= now}
        query = query.where(or_(*(conditions[s] for s in states)))
    return list(session.execute(query.order_by(Challenge.closes_at, Challenge.id)).scalars())


# --- submissions ---------------------------------------------------------------------------

def text_hash(text: str | None) -> str | None:
    """A fingerprint of the words alone: casefolded, punctuation and symbols dropped, whitespace collapsed."""
    kept = "".join(" " if unicodedata.category(ch)[0] in "PSZC" else ch for ch in (text or "").casefold())
    normal = " ".join(kept.split())
    if len(normal.replace(" ", "")) < MIN_HASHED_CHARS:
        return None
    return hashlib.sha256(normal.encode()).hexdigest()


def _check_text(text: str, link: str) -> None:
    if _SCRIPTY.search(text):
        raise ContributionError(_("Your text contains HTML that could run a script (such as a script tag or an "
                                  "event handler). Please remove it; Markdown formatting is fine."))
    if link:
        parsed = urlparse(link)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ContributionError(_("The link must be a web address starting with http:// or https://."))


def _store_image(session: Session, *, user_id: int, data: bytes, max_bytes: int) -> ContributionImage:
    try:
        clean = clean_image(data, max_bytes=max_bytes)
    except ImageError as exc:
        raise ContributionError(str(exc), 413 if len(data) > max_bytes else 400) from None
    image = ContributionImage(user_id=user_id, data=clean.data, content_type=clean.content_type, width=clean.width,
                              height=clean.height, sha256=clean.sha256, fingerprint=clean.fingerprint)
    session.add(image)
    session.flush()
    return image


def _flag_duplicates(session: Session, submission: Submission, fingerprint: str | None) -> None:
    """Note when the same text or picture was submitted before, by this reader or anyone.

    Texts match on their hash; pictures when their difference hashes differ in at most
    ``SIMILAR_BITS`` bits, since re-saving a JPEG flips a few.
    """
    others = (Submission.id != submission.id, Submission.status != "withdrawn")
    found: dict[str, list] = {}
    if submission.text_hash:
        found["text"] = session.execute(select(Submission.id, Submission.user_id).where(
            Submission.text_hash == submission.text_hash, *others).order_by(Submission.id)).all()
    value = int(fingerprint, 16) if fingerprint else 0
    if value:  # a blank, featureless picture hashes to 0: no evidence of a copy
        pictures = session.execute(select(Submission.id, Submission.user_id, ContributionImage.fingerprint)
                                   .join(ContributionImage, ContributionImage.id == Submission.image_id)
                                   .where(*others).order_by(Submission.id)).all()
        found["image"] = [r for r in pictures if bin(int(r.fingerprint, 16) ^ value).count("1") <= SIMILAR_BITS]
    flags, earliest = [], []
    for what, rows in found.items():
        if rows:
            own = [r for r in rows if r.user_id == submission.user_id]
            flags.append(f"{what}-{'own' if own else 'other'}")
            earliest.append((own or rows)[0].id)
    submission.flags, submission.duplicate_of = " ".join(flags), min(earliest, default=None)


def _apply(session: Session, submission: Submission, *, challenge: Challenge, text: str, link: str,
           image_data: bytes | None, max_bytes: int) -> Submission:
    """Check and store the author's fields (new or edited), then look for copies."""
    text, link = (text or "").strip(), (link or "").strip()
    _check_text(text, link)
    if image_data and not challenge.allow_image:
        raise ContributionError(_("This challenge does not take images."))
    has_image = bool(image_data) or submission.image_id is not None
    missing = [label for needed, present, label in (
        (challenge.require_text, text, _("text")), (challenge.require_link, link, _("a link")),
        (challenge.require_image, has_image, _("an image"))) if needed and not present]
    if missing:
        raise ContributionError(_("This challenge needs %(what)s.", what=", ".join(missing)))
    if not (text or link or has_image):
        raise ContributionError(_("Write something, add a link or choose an image."))
    fingerprint = None
    replaced = None
    if image_data:
        image = _store_image(session, user_id=submission.user_id, data=image_data, max_bytes=max_bytes)
        replaced, submission.image_id, fingerprint = submission.image_id, image.id, image.fingerprint
    elif submission.image_id:
        fingerprint = session.get(ContributionImage, submission.image_id).fingerprint
    submission.text, submission.link, submission.text_hash = text, link or None, text_hash(text)
    submission.updated_at = utcnow()
    session.add(submission)
    session.flush()
    if replaced:  # an edit's new picture: the old one is no longer anyone's
        session.delete(session.get(ContributionImage, replaced))
        session.flush()
    _flag_duplicates(session, submission, fingerprint)
    return submission


def count_of(session: Session, *, challenge_id: int, user_id: int) -> int:
    """How many of a reader's submissions count toward a challenge's maximum (all but withdrawn)."""
    return session.execute(select(func.count()).select_from(Submission).where(
        Submission.challenge_id == challenge_id, Submission.user_id == user_id,
        Submission.status != "withdrawn")).scalar_one()


def submit(session: Session, *, challenge: Challenge, user_id: int, text: str = "", link: str = "",
           image_data: bytes | None = None, max_bytes: int = DEFAULT_MAX_IMAGE_BYTES,
           per_hour: int = DEFAULT_SUBMISSIONS_PER_HOUR, now: datetime | None = None) -> Submission:
    """A reader's new submission, pending review; refused outside the open window, past the
    challenge's maximum, or past ``per_hour`` new submissions in an hour (against scripted floods)."""
    state = state_of(challenge, now)
    if state != "open":
        raise ContributionError(_("This challenge has closed.") if state == "closed"
                                else _("This challenge is not open yet."), 409)
    recent = session.execute(select(func.count()).select_from(Submission).where(
        Submission.user_id == user_id, Submission.created_at >= (now or utcnow()) - timedelta(hours=1))).scalar_one()
    if recent >= per_hour:
        raise ContributionError(_("You have sent many submissions in the last hour. Please try again later."), 429)
    if count_of(session, challenge_id=challenge.id, user_id=user_id) >= challenge.max_per_user:
        raise ContributionError(_("You have already sent the most submissions this challenge takes (%(n)d).",
                                  n=challenge.max_per_user), 409)
    submission = Submission(challenge_id=challenge.id, user_id=user_id)
    submission = _apply(session, submission, challenge=challenge, text=text, link=link, image_data=image_data,
                        max_bytes=max_bytes)
    alert_moderators(session, challenge=challenge, author_id=user_id)
    return submission


def alert_moderators(session: Session, *, challenge: Challenge, author_id: int) -> int:
    """Tell every active librarian and administrator (but the author) that work waits for review
    (kind ``moderation``: by default they get these by email in a daily digest); returns how many."""
    from core.models import Role, User
    from core.notifications import notify
    from core.ui import path_for

    title = {"en": challenge.title_en, "zh_Hans": challenge.title_zh}
    url = path_for("contributions.moderation")
    staff = session.execute(select(User.id).where(User.role != Role.student.value, User.is_active.is_(True),
                                                  User.id != author_id)).scalars().all()
    for staff_id in staff:
        notify(session, user_id=staff_id, plugin=PLUGIN, kind="moderation", url=url,
               message=lambda: _("A new contribution to “%(title)s” waits for review.", title=pick(title)))
    return len(staff)


def edit(session: Session, *, submission: Submission, text: str = "", link: str = "",
         image_data: bytes | None = None, max_bytes: int = DEFAULT_MAX_IMAGE_BYTES) -> Submission:
    """The author changes a submission not yet reviewed (or sent back); it waits for review again."""
    if submission.status not in EDITABLE:
        raise ContributionError(_("This submission has been reviewed and can no longer be changed."), 409)
    challenge = session.get(Challenge, submission.challenge_id)
    if state_of(challenge) == "closed":
        raise ContributionError(_("This challenge has closed."), 409)
    submission.status = "pending"
    return _apply(session, submission, challenge=challenge, text=text, link=link, image_data=image_data,
                  max_bytes=max_bytes)


def withdraw(session: Session, *, submission: Submission) -> None:
    """The author takes back a submission that has not been approved or rejected."""
    if submission.status not in EDITABLE:
        raise ContributionError(_("This submission has been reviewed and can no longer be withdrawn."), 409)
    submission.status, submission.updated_at = "withdrawn", utcnow()
    session.add(submission)


def can_see(submission: Submission, user) -> bool:
    """Approved work is public; anything else only to its author and librarians."""
    if submission.status == "approved":
        return True
    return bool(user.is_authenticated and (user.id == submission.user_id or user.has_role("librarian")))
