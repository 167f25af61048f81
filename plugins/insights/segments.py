"""Segments: the readers matching a librarian's filters, their live size, and a message sent
to them (in-app always; by email as each reader's own preferences allow, through core's mail).

Sending runs on the job queue in batches of readers (by id, resuming where a batch ended), so a
segment of tens of thousands never holds a request or one long transaction.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from sqlalchemy import and_, exists, func, or_, select
from sqlmodel import Session

from core.levels import current_levels
from core.mail.kinds import ALL
from core.mail.models import MailPreference
from core.models import PointTotal, Role, User, utcnow
from core.notifications import notify
from core.periods import Calendar
from core.source_tags import tagged_url
from core.ui import path_for

from .models import InsightsMessage, InsightsReader, InsightsTouch
from .rollups import ANY, previous_term_key

MAIL_KIND = "insights:messages"
BATCH = 500


@dataclass(frozen=True)
class Segment:
    """A segment's filters; every one optional."""

    faculty: str = ""
    min_level: int | None = None
    plugin: str = ""
    activity: str = "any"  # any, active (this term), lapsed (last term, not this), never
    seen_within: int | None = None  # days
    not_seen_for: int | None = None  # days
    email: str = ""  # "yes": only readers who take this kind of news by email

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Segment":
        return cls(**json.loads(text))


def _member_filter(session: Session, segment: Segment, calendar: Calendar, today: date):
    """The WHERE clauses selecting the segment's readers from core_user."""
    clauses = [User.role == Role.student.value, User.is_active.is_(True)]
    if segment.faculty:
        clauses.append(User.cohort == segment.faculty)
    if segment.min_level:
        levels = [lv for lv in current_levels() if lv.number >= segment.min_level]
        if not levels:
            clauses.append(False)
        elif levels[0].threshold > 0:
            clauses.append(exists().where(PointTotal.user_id == User.id, PointTotal.total >= levels[0].threshold))
    term = calendar.term_of(today)
    term_key = term.key if term else None

    def touched(key, plugin=ANY):
        return exists().where(InsightsTouch.period == "term", InsightsTouch.period_key == key,
                              InsightsTouch.plugin == plugin, InsightsTouch.user_id == User.id)

    if segment.plugin:
        clauses.append(touched(term_key, segment.plugin) if term_key else False)
    if segment.activity == "active":
        clauses.append(touched(term_key) if term_key else False)
    elif segment.activity == "lapsed":
        before = previous_term_key(calendar, term_key) if term_key else None
        clauses.append(and_(touched(before), ~touched(term_key)) if before else False)
    elif segment.activity == "never":
        clauses.append(~exists().where(InsightsReader.user_id == User.id))
    if segment.seen_within:
        clauses.append(exists().where(InsightsReader.user_id == User.id,
                                      InsightsReader.last_day >= today - timedelta(days=segment.seen_within)))
    if segment.not_seen_for:
        clauses.append(exists().where(InsightsReader.user_id == User.id,
                                      InsightsReader.last_day < today - timedelta(days=segment.not_seen_for)))
    if segment.email == "yes":
        clauses.append(~exists().where(MailPreference.user_id == User.id, MailPreference.cadence == "never",
                                       or_(MailPreference.kind == ALL, MailPreference.kind == MAIL_KIND)))
    return clauses


def size(session: Session, segment: Segment, calendar: Calendar, today: date) -> int:
    """How many readers the segment holds now."""
    return session.execute(select(func.count()).select_from(User).where(
        *_member_filter(session, segment, calendar, today))).scalar_one()


def members(session: Session, segment: Segment, calendar: Calendar, today: date, *, after: int = 0,
            limit: int = BATCH) -> list[int]:
    """The segment's reader ids above ``after``, lowest first."""
    return list(session.execute(select(User.id).where(*_member_filter(session, segment, calendar, today),
                                                      User.id > after).order_by(User.id).limit(limit)).scalars())


def queue_message(session: Session, *, segment: Segment, text: str, link: str, sender_id: int, recipients: int
                  ) -> InsightsMessage:
    """Store a message for the job that sends it (woken as this transaction commits)."""
    from core.jobs import run_soon_after_commit

    message = InsightsMessage(sender_id=sender_id, text=text.strip(), link=link, segment=segment.to_json(),
                              recipients=recipients)
    session.add(message)
    session.flush()
    run_soon_after_commit(session, "insights:send-messages")
    return message


def message_tag(message_id: int) -> str:
    return f"insights:message:{message_id}"


def send_batch(session: Session, message: InsightsMessage, calendar: Calendar, today: date) -> int:
    """Notify the next batch of the message's readers; returns how many (0: the message is done)."""
    ids = members(session, Segment.from_json(message.segment), calendar, today, after=message.last_user_id)
    url = tagged_url(message.link or path_for("notifications.index"), campaign=message_tag(message.id),
                     medium="message")
    for user_id in ids:
        notify(session, user_id=user_id, plugin="insights", kind="message",
               message={"en": message.text, "zh_Hans": message.text}, url=url)
    if ids:
        message.last_user_id = ids[-1]
        message.sent += len(ids)
    else:
        message.finished_at = utcnow()
    session.add(message)
    return len(ids)


def send_pending(db, calendar: Calendar, today: date) -> int:
    """Send every unfinished message, batch by batch, each batch its own transaction; returns readers notified."""
    total = 0
    while True:
        with db.write_session() as session:
            message = session.execute(select(InsightsMessage).where(InsightsMessage.finished_at.is_(None))
                                      .order_by(InsightsMessage.id).limit(1).with_for_update()).scalars().first()
            if message is None:
                return total
            total += send_batch(session, message, calendar, today)
