"""Readers' rights for brand stories: a reader's ballots and designs, and forgetting them.

Ballots stay (a closed vote's count must not change) but belong to the anonymised account;
a design keeps its picture and title as part of the contest's record, without its description
or a name.
"""

from __future__ import annotations

from sqlalchemy import update

from core.identity.privacy import table_rows

from .models import Ballot, BallotHistory, Design, RankBallot, RankBallotHistory


def user_data(session, user_id):
    """The reader's approval and ranked ballots (with their history) and their designs."""
    return {"ballots": table_rows(session, Ballot, Ballot.user_id == user_id),
            "ballot_history": table_rows(session, BallotHistory, BallotHistory.user_id == user_id),
            "ranked_ballots": table_rows(session, RankBallot, RankBallot.user_id == user_id),
            "ranked_ballot_history": table_rows(session, RankBallotHistory, RankBallotHistory.user_id == user_id),
            "designs": table_rows(session, Design, Design.user_id == user_id)}


def forget_user(session, user_id):
    """Blank the descriptions of the reader's designs; ballots stay, held by nobody."""
    session.execute(update(Design).where(Design.user_id == user_id).values(description=""))
