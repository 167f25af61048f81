"""The staff board and what feeds it besides rounds: terms, most improved, kudos, and who opted
out of public boards. Service functions take the session and never commit."""

from __future__ import annotations

from collections import defaultdict
from statistics import mean

from sqlalchemy import select
from sqlmodel import Session

from core.activity import record_activity
from core.i18n import pick
from core.models import User, utcnow
from core.notifications import notify
from core.points import award, current_calendar
from core.ui import path_for

from . import scoring
from .i18n import _
from .models import Kudos, Preference, Round
from .service import PLUGIN, STAFF_ROLES, StaffScoresError, published_rounds, results

KUDOS_POINTS = 5
KUDOS_DAILY_CAP = 15  # a librarian earns at most three kudos' worth of points a day
KUDOS_MAX = 280


def hidden_ids(session: Session) -> set[int]:
    """Librarians who chose to stay off public boards and screens."""
    return set(session.execute(select(Preference.user_id).where(Preference.show_publicly.is_(False))).scalars())


def set_public(session: Session, *, user_id: int, show: bool) -> None:
    """Record whether a librarian appears on public boards and screens."""
    pref = session.get(Preference, user_id) or Preference(user_id=user_id)
    pref.show_publicly = show
    session.add(pref)


def term_board(session: Session, published: list[tuple[Round, scoring.Result]]) -> tuple[str | None, list]:
    """The current term's board: each librarian's average final score over the term's published rounds."""
    calendar = current_calendar()
    term = calendar.term_of(calendar.local_date(utcnow()))
    if term is None:
        return None, []
    finals: dict[int, list[float]] = defaultdict(list)
    for round_, result in published:
        if term.contains(calendar.local_date(round_.closes_at)):
            for score in result.ranking():
                finals[score.ratee].append(score.final)
    board = sorted(((who, mean(values), len(values)) for who, values in finals.items()), key=lambda r: (-r[1], r[0]))
    return pick({"en": term.name_en, "zh_Hans": term.name_zh}), board


def give_kudos(session: Session, *, giver_id: int, receiver: User | None, message: str) -> Kudos:
    """Thank a colleague in public; the receiver earns a few points, capped per day."""
    message = (message or "").strip()
    if receiver is None or receiver.role not in STAFF_ROLES or not receiver.is_active:
        raise StaffScoresError(_("Choose a colleague to thank."))
    if receiver.id == giver_id:
        raise StaffScoresError(_("Kudos are for colleagues, not for yourself."))
    if not message:
        raise StaffScoresError(_("Write a short message."))
    if len(message) > KUDOS_MAX:
        raise StaffScoresError(_("A kudos message can have at most %(n)s characters.", n=KUDOS_MAX))
    kudos = Kudos(giver_id=giver_id, receiver_id=receiver.id, message=message)
    session.add(kudos)
    session.flush()
    award(session, user_id=receiver.id, amount=KUDOS_POINTS, rule="kudos", plugin=PLUGIN,
          idempotency_key=f"staff_scores:kudos:{kudos.id}", source_ref=f"staff_scores:kudos:{kudos.id}",
          actor_id=giver_id, daily_cap=KUDOS_DAILY_CAP)
    record_activity(session, user_id=receiver.id, plugin=PLUGIN, kind="kudos_received",
                    source_ref=f"kudos:{kudos.id}")
    notify(session, user_id=receiver.id, plugin=PLUGIN, kind="kudos",
           message=lambda: _("A colleague thanked you: “%(m)s”", m=message[:200]),
           url=path_for("staff_scores.kudos"))
    return kudos


def recent_kudos(session: Session, limit: int = 20, *, public: bool = False) -> list[tuple[Kudos, str, str]]:
    """The latest kudos with the giver's and receiver's names (``public``: only between librarians
    who stay on public boards)."""
    giver, receiver = User.__table__.alias("giver"), User.__table__.alias("receiver")
    query = (select(Kudos, giver.c.display_name, receiver.c.display_name)
             .join(giver, giver.c.id == Kudos.giver_id).join(receiver, receiver.c.id == Kudos.receiver_id))
    hidden = hidden_ids(session) if public else set()
    if hidden:
        query = query.where(Kudos.giver_id.not_in(hidden), Kudos.receiver_id.not_in(hidden))
    rows = session.execute(query.order_by(Kudos.created_at.desc(), Kudos.id.desc()).limit(limit)).all()
    return [tuple(r) for r in rows]


def board(session: Session, *, public: bool = False) -> dict:
    """The staff board: the last published round's ranking, this term's, and the most improved
    (``compared`` says whether two published rounds exist, so an empty list can say why).

    ``public`` leaves out librarians who opted out (for screens and anything outside the staff pages).
    """
    published = [(r, results(session, r)) for r in published_rounds(session)]
    hidden = hidden_ids(session) if public else set()
    keep = lambda rows: [row for row in rows if row[0] not in hidden]  # noqa: E731
    latest = published[-1] if published else None
    ranking = keep([(s.ratee, s.final) for s in latest[1].ranking()]) if latest else []
    term_name, term_rows = term_board(session, published)
    improved = []
    if len(published) >= 2:
        finals = [{s.ratee: s.final for s in result.ranking()} for _round, result in published[-2:]]
        improved = keep(scoring.most_improved(*finals))
    term_rows = keep(term_rows)
    people = {row[0] for row in ranking + term_rows + improved}
    return {"latest": latest[0] if latest else None, "ranking": ranking, "term_name": term_name,
            "term_rows": term_rows, "improved": improved, "compared": len(published) >= 2, "people": people}
