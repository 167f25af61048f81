"""Ballots and counts: approval polls and ranked (Schulze) design contests.

Service functions take the session and never commit. One ballot per voter is the database's
job (a UNIQUE constraint); changing a ballot copies the old one to the history table and
updates the current row in the same transaction.
"""

from __future__ import annotations

import json
import random
import secrets
from collections import Counter
from datetime import datetime

from flask_babel import get_locale
from sqlalchemy import bindparam, func, insert, select, update
from sqlmodel import Session

from core.activity import record_activity
from core.ledger_sql import bind_time, compiled, cursor
from core.models import utcnow
from core.notifications import notify
from core.points import award
from core.rewards import defer_award
from core.ui import path_for

from . import schulze
from .i18n import _
from .models import (Ballot, BallotHistory, Contest, Design, Episode, Poll, PollOption, RankBallot,
                     RankBallotHistory)

PLUGIN = "brand_stories"
VOTE_POINTS = 5
DESIGN_POINTS = 20
WINNER_POINTS = 50


class VoteError(ValueError):
    """A ballot that cannot be accepted; the message is for the voter, ``status`` for the response."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


# --- states -------------------------------------------------------------------------------

def poll_state(poll: Poll, now: datetime | None = None) -> str:
    """``upcoming``, ``open`` or ``closed``."""
    now = now or utcnow()
    return "upcoming" if now < poll.opens_at else "open" if now < poll.closes_at else "closed"


def contest_state(contest: Contest, now: datetime | None = None) -> str:
    """``submitting``, ``moderating`` (between submissions and the vote), ``voting`` or ``closed``."""
    now = now or utcnow()
    if now < contest.submissions_close_at:
        return "submitting"
    if now < contest.voting_opens_at:
        return "moderating"
    return "voting" if now < contest.voting_closes_at else "closed"


def counts_visible(poll: Poll, now: datetime | None = None) -> bool:
    """Counts stay hidden until close (early counts sway later voters) unless a librarian chose live counts."""
    return poll.live_counts or poll_state(poll, now) == "closed"


def options_for(session: Session, poll: Poll, user_id: int | None) -> list[PollOption]:
    """The poll's options in this voter's own random order, the same on every visit."""
    options = list(session.execute(select(PollOption).where(PollOption.poll_id == poll.id)
                                   .order_by(PollOption.position, PollOption.id)).scalars())
    random.Random(f"{poll.id}:{user_id or 0}").shuffle(options)
    return options


# --- casting --------------------------------------------------------------------------------

class _BallotSQL:
    """The three statements behind a ballot table (current ballots plus their history), compiled
    once per database by ``core.ledger_sql.compiled``: a vote is the hot path of a lobby burst."""

    def __init__(self, current, history, owner: str) -> None:
        table, kept = current.__table__, history.__table__
        voter = (table.c[owner] == bindparam("owner")) & (table.c.user_id == bindparam("user_id"))
        first = {owner: bindparam("owner"), **{c: bindparam(c) for c in ("user_id", "choices", "cast_at")}}
        if "code" in table.c:
            first["code"] = bindparam("code")
        self.name = table.name
        self.statements = {
            # The voter's current ballot, if any, copied to the history as it is replaced.
            "keep": insert(kept).from_select([owner, "user_id", "choices", "cast_at", "replaced_at"], select(
                table.c[owner], table.c.user_id, table.c.choices, table.c.cast_at,
                bindparam("now", type_=kept.c.replaced_at.type)).where(voter)),
            "change": update(table).where(voter).values(choices=bindparam("choices"), cast_at=bindparam("now")),
            "first": insert(table).values(first),
        }

    def sql(self, session: Session, which: str) -> str:
        return compiled(session, f"{self.name}.{which}", self.statements[which])


_APPROVAL = _BallotSQL(Ballot, BallotHistory, "poll_id")
_RANKED = _BallotSQL(RankBallot, RankBallotHistory, "contest_id")


def _replace(session: Session, handle, ballots: _BallotSQL, owner_id: int, user_id: int, choices: list[int]) -> bool:
    """Store ``choices`` as the voter's current ballot, keeping the one it replaces in the history.

    Returns True for a first ballot, False when the voter changed an earlier one. A concurrent
    first ballot from another tab makes the insert raise IntegrityError; the caller rolls back
    and says so. ``handle`` is the session's cursor (``core.ledger_sql.cursor``).
    """
    voter = {"owner": owner_id, "user_id": user_id, "now": bind_time(session, utcnow())}
    text = json.dumps(choices)
    handle.execute(ballots.sql(session, "keep"), voter)
    if handle.rowcount == 0:  # nothing to keep: this is the voter's first ballot
        handle.execute(ballots.sql(session, "first"),
                       {**voter, "choices": text, "cast_at": voter["now"], "code": secrets.token_hex(8)})
        return True
    handle.execute(ballots.sql(session, "change"), {**voter, "choices": text})
    return False


def _pay_voter(session: Session, key: str, user_id: int, ref: str) -> None:
    """Points once per poll or contest, and the activity the voting badges count: queued with the
    first ballot and paid by core's reward queue a moment later, so a burst of votes stays cheap."""
    defer_award(session, user_id=user_id, amount=VOTE_POINTS, rule="vote", plugin=PLUGIN,
                idempotency_key=key, source_ref=ref, activity="voted")


# Whether the poll has opened, is still open, and its episode is published, at ``now``, with
# each of its options: one row per option, in one round trip.
_NOW = bindparam("now")
_POLL_NOW = (select(Poll.opens_at <= _NOW, Poll.closes_at > _NOW, Episode.publish_at <= _NOW, PollOption.id)
             .join(Episode, Episode.id == Poll.episode_id).outerjoin(PollOption, PollOption.poll_id == Poll.id)
             .where(Poll.id == bindparam("poll_id")))


def cast_approval(session: Session, *, poll_id: int, user_id: int, option_ids: list,
                  see_unpublished: bool = False) -> bool:
    """Record an approval ballot (every option the voter accepts); returns True for a first ballot.

    A poll that does not exist, or whose episode is not published yet (unless
    ``see_unpublished``, for librarians), is refused with status 404.
    """
    with cursor(session) as handle:
        handle.execute(compiled(session, "brand_stories.poll-now", _POLL_NOW),
                       {"poll_id": poll_id, "now": bind_time(session, utcnow())})
        rows = handle.fetchall()
        state = rows[0] if rows else None
        if state is None or not (state[2] or see_unpublished):
            raise VoteError(_("There is no such poll."), 404)
        if not (state[0] and state[1]):
            raise VoteError(_("This poll is closed.") if state[0] else _("This poll has not opened yet."), 409)
        try:
            chosen = sorted({int(o) for o in option_ids})
        except (TypeError, ValueError):
            raise VoteError(_("This ballot is not valid. Please tick the options again.")) from None
        if not chosen:
            raise VoteError(_("Tick at least one option you accept."))
        if not set(chosen) <= {row[3] for row in rows}:
            raise VoteError(_("This ballot names options that are not in this poll."))
        first = _replace(session, handle, _APPROVAL, poll_id, user_id, chosen)
    if first:
        _pay_voter(session, f"brand_stories:voted:{poll_id}:{user_id}", user_id, f"poll:{poll_id}")
    return first


def cast_ranking(session: Session, *, contest: Contest, user_id: int, ranks: dict) -> bool:
    """Record a ranked ballot from ``{design_id: rank}`` (1 = best; blank = unranked)."""
    if contest_state(contest) != "voting":
        raise VoteError(_("Voting in this contest is not open."), 409)
    candidates = set(accepted_ids(session, contest))
    try:
        ranks = {int(k): int(v) for k, v in ranks.items() if str(v).strip()}
    except (TypeError, ValueError):
        raise VoteError(_("This ballot is not valid. Please rank the designs again.")) from None
    if not ranks:
        raise VoteError(_("Rank at least one design."))
    if not set(ranks) <= candidates:
        raise VoteError(_("This ballot names designs that are not in this contest."))
    if any(not 1 <= r <= len(candidates) for r in ranks.values()) or len(set(ranks.values())) != len(ranks):
        raise VoteError(_("Give each ranked design a different number from 1 to %(n)d.", n=len(candidates)))
    ordering = sorted(ranks, key=ranks.get)
    with cursor(session) as handle:
        first = _replace(session, handle, _RANKED, contest.id, user_id, ordering)
    if first:
        _pay_voter(session, f"brand_stories:ranked:{contest.id}:{user_id}", user_id, f"contest:{contest.id}")
    return first


# --- counting -------------------------------------------------------------------------------

def turnout(session: Session, poll_id: int) -> int:
    return session.execute(select(func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id)).scalar_one()


def approval_tally(session: Session, poll: Poll) -> list[tuple[PollOption, int]]:
    """Each option with its approvals, most approved first (ties in the librarian's order)."""
    tally = Counter()
    for choices in session.execute(select(Ballot.choices).where(Ballot.poll_id == poll.id)).scalars():
        tally.update(json.loads(choices))
    options = session.execute(select(PollOption).where(PollOption.poll_id == poll.id)
                              .order_by(PollOption.position, PollOption.id)).scalars()
    return sorted(((o, tally[o.id]) for o in options), key=lambda pair: -pair[1])


def accepted_ids(session: Session, contest: Contest) -> list[int]:
    """The contest's accepted designs in submission order — which is also the published tie-break."""
    return list(session.execute(select(Design.id).where(Design.contest_id == contest.id, Design.status == "accepted")
                                .order_by(Design.submitted_at, Design.id)).scalars())


def rank_ballots(session: Session, contest_id: int) -> list[tuple[str, list[int]]]:
    """(anonymous code, ranking) of every current ballot, ordered by code so nothing hints at voters."""
    rows = session.execute(select(RankBallot.code, RankBallot.choices).where(RankBallot.contest_id == contest_id)
                           .order_by(RankBallot.code)).all()
    return [(code, json.loads(choices)) for code, choices in rows]


def schulze_count(session: Session, contest: Contest) -> schulze.Result:
    """Count the stored ballots afresh (also how anyone re-checks a stored result)."""
    candidates = accepted_ids(session, contest)
    return schulze.count(candidates, [r for _c, r in rank_ballots(session, contest.id)], tiebreak=candidates)


def result_json(result: schulze.Result) -> str:
    return json.dumps({"candidates": list(result.candidates), "ranking": list(result.ranking),
                       "d": [list(r) for r in result.d], "p": [list(r) for r in result.p],
                       "tied": [list(t) for t in result.tied]})


def stored_result(contest: Contest) -> dict | None:
    return json.loads(contest.result) if contest.result else None


# --- closing: results, notifications, winner bonus, once ----------------------------------------

def settle_due(session: Session, now: datetime | None = None) -> int:
    """Tell the voters of every newly closed poll, and tally every newly closed contest; once each.

    A conditional UPDATE claims each poll or contest, so two workers (or a page view and the
    ``close-due`` command) running at once still notify and pay once. Returns how many it settled.
    """
    now = now or utcnow()
    settled = 0
    for poll in session.execute(select(Poll).where(Poll.closes_at <= now, Poll.notified.is_(False))).scalars().all():
        if session.execute(update(Poll).where(Poll.id == poll.id, Poll.notified.is_(False))
                           .values(notified=True)).rowcount != 1:
            continue
        episode = session.get(Episode, poll.episode_id)
        url = path_for("brand_stories.poll", poll_id=poll.id)
        for user_id in session.execute(select(Ballot.user_id).where(Ballot.poll_id == poll.id)).scalars():
            notify(session, user_id=user_id, plugin=PLUGIN, kind="poll_closed", url=url,
                   message=lambda: _("The poll on “%(episode)s” has closed: see what happens next.",
                                     episode=local(episode.title_en, episode.title_zh)))
        settled += 1
    for contest in session.execute(select(Contest).where(Contest.voting_closes_at <= now,
                                                         Contest.tallied_at.is_(None))).scalars().all():
        result = schulze_count(session, contest)
        if session.execute(update(Contest).where(Contest.id == contest.id, Contest.tallied_at.is_(None))
                           .values(result=result_json(result), tallied_at=now)).rowcount != 1:
            continue
        _announce(session, contest, result, has_ballots=bool(rank_ballots(session, contest.id)))
        settled += 1
    return settled


def local(english: str, chinese: str) -> str:
    """One of a librarian's two texts, for the language being rendered (also inside force_locale)."""
    return chinese if str(get_locale()) == "zh_Hans" and chinese else english


def _announce(session: Session, contest: Contest, result: schulze.Result, *, has_ballots: bool) -> None:
    """Winner bonus and badge (only when someone voted), and a message to every voter and entrant."""
    url = path_for("brand_stories.contest", contest_id=contest.id)
    if result.winner is not None and has_ballots:
        winner = session.get(Design, result.winner)
        award(session, user_id=winner.user_id, amount=WINNER_POINTS, rule="contest winner", plugin=PLUGIN,
              idempotency_key=f"brand_stories:winner:{contest.id}", source_ref=f"design:{winner.id}")
        record_activity(session, user_id=winner.user_id, plugin=PLUGIN, kind="contest_won",
                        source_ref=f"contest:{contest.id}")
    people = set(session.execute(select(RankBallot.user_id).where(RankBallot.contest_id == contest.id)).scalars())
    people |= set(session.execute(select(Design.user_id).where(Design.contest_id == contest.id)).scalars())
    for user_id in sorted(people):
        notify(session, user_id=user_id, plugin=PLUGIN, kind="contest_closed", url=url,
               message=lambda: _("The design contest “%(title)s” has closed: see the result.",
                                 title=local(contest.title_en, contest.title_zh)))


def accept_design(session: Session, *, design: Design, accepted: bool, actor_id: int | None = None) -> None:
    """A librarian's moderation; an accepted design pays its author once and counts toward a badge.

    Nobody moderates (and so pays) their own design: ``actor_id`` is the deciding librarian.
    """
    if actor_id is not None and actor_id == design.user_id:
        raise VoteError(_("You cannot moderate your own design; another librarian must."), 403)
    design.status = "accepted" if accepted else "rejected"
    session.add(design)
    if accepted:
        award(session, user_id=design.user_id, amount=DESIGN_POINTS, rule="design accepted", plugin=PLUGIN,
              idempotency_key=f"brand_stories:design:{design.id}", source_ref=f"design:{design.id}")
        record_activity(session, user_id=design.user_id, plugin=PLUGIN, kind="design_accepted",
                        source_ref=f"design:{design.id}")
