"""Moderation: decisions on submissions (points paid once, logged, told) and featuring.

Service functions take the session and never commit; a refusal raises ``ContributionError``
before anything is written.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from core.activity import record_activity
from core.i18n import pick
from core.models import utcnow
from core.notifications import notify
from core.points import award
from core.ui import path_for

from .i18n import _, ngettext
from .models import Challenge, Decision, Submission
from .service import PLUGIN, ContributionError


DECISIONS = ("approve", "reject", "changes")


def decide(session: Session, submissions: list[Submission], *, actor_id: int, decision: str,
           reason: str = "") -> None:
    """Approve, reject or send back every one of ``submissions`` — or, if any cannot be, none of them.

    Approval pays the challenge's points once (ledger key ``contributions:approved:<id>``) and
    records the activity the badges count; every decision is logged and the author told.
    """
    reason = (reason or "").strip()
    if decision not in DECISIONS:
        raise ContributionError(_("Choose approve, reject or ask for changes."))
    if not submissions:
        raise ContributionError(_("Tick at least one submission."))
    if decision != "approve" and len(reason) < 3:
        raise ContributionError(_("Give the author a reason (at least 3 characters)."))
    if len(reason) > 500:
        raise ContributionError(_("The reason may be at most 500 characters."))
    if any(s.status != "pending" for s in submissions):
        raise ContributionError(_("Only submissions waiting for review can be decided; reload the queue."), 409)
    if any(s.user_id == actor_id for s in submissions):  # nobody approves (and pays) their own work
        raise ContributionError(_("You cannot decide on your own submission; another librarian must."), 403)
    now = utcnow()
    for submission in submissions:
        challenge = session.get(Challenge, submission.challenge_id)
        submission.status = {"approve": "approved", "reject": "rejected", "changes": "changes"}[decision]
        submission.reason, submission.reviewed_at = reason or None, now
        session.add(submission)
        session.add(Decision(submission_id=submission.id, actor_id=actor_id, decision=decision, reason=reason or None,
                             created_at=now))
        url = path_for("contributions.submission", submission_id=submission.id)
        title = {"en": challenge.title_en, "zh_Hans": challenge.title_zh}
        if decision == "approve":
            award(session, user_id=submission.user_id, amount=challenge.points, rule="contributions:approved",
                  plugin=PLUGIN, idempotency_key=f"contributions:approved:{submission.id}",
                  source_ref=str(submission.id), actor_id=actor_id)
            record_activity(session, user_id=submission.user_id, plugin=PLUGIN, kind="approved",
                            source_ref=str(submission.id))
            message = lambda: ngettext("Your contribution to “%(title)s” was approved: +%(num)d point.",  # noqa: E731
                                       "Your contribution to “%(title)s” was approved: +%(num)d points.",
                                       challenge.points, title=pick(title))
        elif decision == "reject":
            message = lambda: _("Your contribution to “%(title)s” was not accepted: %(reason)s",  # noqa: E731
                                title=pick(title), reason=reason)
        else:
            message = lambda: _("Please revise your contribution to “%(title)s”: %(reason)s",  # noqa: E731
                                title=pick(title), reason=reason)
        notify(session, user_id=submission.user_id, plugin=PLUGIN, kind=decision, message=message, url=url)
    session.flush()


def feature(session: Session, *, submission: Submission, actor_id: int) -> bool:
    """Feature an approved piece: bonus points and the activity for the badge, once; False if already featured."""
    if submission.status != "approved":
        raise ContributionError(_("Only approved work can be featured."), 409)
    if submission.user_id == actor_id:
        raise ContributionError(_("You cannot feature your own work; another librarian must."), 403)
    if submission.featured_at is not None:
        return False
    challenge = session.get(Challenge, submission.challenge_id)
    submission.featured_at = utcnow()
    session.add(submission)
    session.add(Decision(submission_id=submission.id, actor_id=actor_id, decision="feature"))
    if challenge.feature_points:
        award(session, user_id=submission.user_id, amount=challenge.feature_points, rule="contributions:featured",
              plugin=PLUGIN, idempotency_key=f"contributions:featured:{submission.id}",
              source_ref=str(submission.id), actor_id=actor_id)
    record_activity(session, user_id=submission.user_id, plugin=PLUGIN, kind="featured", source_ref=str(submission.id))
    title = {"en": challenge.title_en, "zh_Hans": challenge.title_zh}
    notify(session, user_id=submission.user_id, plugin=PLUGIN, kind="featured",
           message=lambda: _("Your contribution to “%(title)s” is now featured!", title=pick(title)),
           url=path_for("contributions.submission", submission_id=submission.id))
    session.flush()
    return True


def pending_count(session: Session) -> int:
    """Submissions waiting for a moderator."""
    return session.execute(select(func.count()).select_from(Submission).where(
        Submission.status == "pending")).scalar_one()
