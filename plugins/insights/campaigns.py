"""Campaign reach: views, unique visitors and conversions of source-tagged links.

Privacy, the way privacy-friendly web analytics counts: no cookie for anonymous visitors and
no third party. A unique visitor is a hash of the day's random salt, the address, the browser
and the campaign; the salt lives in the database for its day only and is deleted, with the
day's hashes, once the day is over, so nobody can link visits across days or back to a person.
A signed-in reader who came through a tag carries it in the session they already have, so
what they do next that day (a vote, a submission) counts as the campaign's conversion.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date

from flask import has_request_context, request, session as cookie
from flask_login import current_user
from sqlalchemy import bindparam, delete, func, literal_column, select
from sqlmodel import Session

from core.ledger_sql import compiled, cursor
from core.security.limits import client_address
from core.source_tags import PARAM, SourceTag, read_tag

from .models import InsightsCampaign, InsightsCampaignDay, InsightsSalt, InsightsVisitor

SESSION_KEY = "insights_src"


def _day_param(session: Session, day: date):
    return day.isoformat() if session.get_bind().dialect.name == "sqlite" else day


def _campaign_id(session: Session, tag: str) -> int:
    found = session.execute(select(InsightsCampaign.id).where(InsightsCampaign.tag == tag)).scalar()
    if found is None:
        insert = compiled(session, "insights.campaign", lambda ins: ins(InsightsCampaign.__table__).values(
            tag=bindparam("tag"), created_at=bindparam("at")).on_conflict_do_nothing())
        from core.ledger_sql import bind_time
        from core.models import utcnow

        with cursor(session) as handle:
            handle.execute(insert, {"tag": tag, "at": bind_time(session, utcnow())})
        found = session.execute(select(InsightsCampaign.id).where(InsightsCampaign.tag == tag)).scalar_one()
    return found


def _bump(insert, *, views=0, visitors=0, conversions=0):
    table = InsightsCampaignDay.__table__
    stmt = insert(table).values(campaign_id=bindparam("campaign_id"), day=bindparam("day"), medium=bindparam("medium"),
                                views=literal_column(str(views)), visitors=literal_column(str(visitors)),
                                conversions=literal_column(str(conversions)))
    return stmt.on_conflict_do_update(index_elements=["campaign_id", "day", "medium"], set_={
        "views": table.c.views + stmt.excluded.views, "visitors": table.c.visitors + stmt.excluded.visitors,
        "conversions": table.c.conversions + stmt.excluded.conversions})


def todays_salt(session: Session, day: date) -> str:
    """The salt of ``day``; made on the day's first visit, when every older salt and hash is deleted."""
    salt = session.execute(select(InsightsSalt.salt).where(InsightsSalt.day == day)).scalar()
    if salt is None:
        session.execute(delete(InsightsSalt).where(InsightsSalt.day < day))
        session.execute(delete(InsightsVisitor).where(InsightsVisitor.day < day))
        insert = compiled(session, "insights.salt", lambda ins: ins(InsightsSalt.__table__).values(
            day=bindparam("day"), salt=bindparam("salt")).on_conflict_do_nothing())
        with cursor(session) as handle:
            handle.execute(insert, {"day": _day_param(session, day), "salt": secrets.token_hex(32)})
        salt = session.execute(select(InsightsSalt.salt).where(InsightsSalt.day == day)).scalar_one()
    return salt


def visitor_digest(salt: str, address: str, agent: str, campaign_id: int) -> str:
    return hashlib.sha256(f"{salt}|{address}|{agent}|{campaign_id}".encode()).hexdigest()[:32]


def count_visit(session: Session, *, tag: SourceTag, day: date, address: str, agent: str) -> int:
    """Count one view of a tagged link (and a unique visitor, once per day); returns the campaign's id."""
    campaign_id = _campaign_id(session, tag.campaign)
    digest = visitor_digest(todays_salt(session, day), address, agent, campaign_id)
    seen = compiled(session, "insights.visitor", lambda ins: ins(InsightsVisitor.__table__).values(
        day=bindparam("day"), campaign_id=bindparam("campaign_id"), digest=bindparam("digest")).on_conflict_do_nothing())
    params = {"campaign_id": campaign_id, "day": _day_param(session, day), "medium": tag.medium}
    with cursor(session) as handle:
        handle.execute(seen, {"day": params["day"], "campaign_id": campaign_id, "digest": digest})
        new = handle.rowcount == 1
        name = "insights.visit_new" if new else "insights.visit"
        handle.execute(compiled(session, name, lambda ins: _bump(ins, views=1, visitors=int(new))), params)
    return campaign_id


def count_conversion(session: Session, *, campaign_id: int, medium: str, day: date) -> None:
    """An activity by a reader who came through a campaign today."""
    with cursor(session) as handle:
        handle.execute(compiled(session, "insights.conversion", lambda ins: _bump(ins, conversions=1)),
                       {"campaign_id": campaign_id, "day": _day_param(session, day), "medium": medium})


def tag_of_request() -> SourceTag | None:
    """The source tag of a plain page view (GET), or None."""
    if request.method != "GET" or PARAM not in request.args:
        return None
    return read_tag(request.args.get(PARAM))


def note_request(db, today: date) -> None:
    """Count the current request when it carries a tag (before the page is served)."""
    tag = tag_of_request()
    if tag is None:
        return
    with db.write_session() as session:
        campaign_id = count_visit(session, tag=tag, day=today, address=client_address(),
                                  agent=request.headers.get("User-Agent", "")[:300])
    if current_user.is_authenticated:  # a session cookie they already have; anonymous visitors get none
        cookie[SESSION_KEY] = [campaign_id, tag.medium, today.isoformat()]


def conversion_of_request(today: date) -> tuple[int, str] | None:
    """The campaign that brought the signed-in reader of this request today, if any."""
    if not has_request_context():
        return None
    value = cookie.get(SESSION_KEY)
    if not value or len(value) != 3 or value[2] != today.isoformat():
        return None
    return int(value[0]), str(value[1])


@dataclass(frozen=True)
class Reach:
    """One campaign's figures over a range."""

    tag: str
    views: int
    scans: int
    visitors: int
    conversions: int


def reach(session: Session, *, start: date, end: date, limit: int = 20) -> list[Reach]:
    """The campaigns seen in ``start``–``end``, most visitors first. ``scans`` are views through
    a QR code (posters and screens)."""
    day = InsightsCampaignDay
    rows = session.execute(
        select(day.campaign_id, day.medium, func.sum(day.views), func.sum(day.visitors), func.sum(day.conversions))
        .where(day.day >= start, day.day <= end).group_by(day.campaign_id, day.medium)).all()
    totals: dict[int, list[int]] = {}
    for campaign_id, medium, views, visitors, conversions in rows:
        t = totals.setdefault(campaign_id, [0, 0, 0, 0])
        t[0] += views
        t[1] += views if medium in ("qr", "screen") else 0
        t[2] += visitors
        t[3] += conversions
    best = sorted(totals.items(), key=lambda kv: (-kv[1][2], -kv[1][0], kv[0]))[:limit]
    tags = dict(session.execute(select(InsightsCampaign.id, InsightsCampaign.tag).where(
        InsightsCampaign.id.in_([campaign_id for campaign_id, _ in best]))).all()) if best else {}
    ranked = [(tags[campaign_id], values) for campaign_id, values in best]
    return [Reach(tag, *values) for tag, values in ranked]
