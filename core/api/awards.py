"""Awards through the API: one, or a batch of up to 1,000, each with an idempotency key."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from core.api import schemas as s
from core.api.auth import audit, current_key, needs
from core.api.awarding import award_batch
from core.api.blueprint import Blueprint, documented
from core.db import get_session

bp = Blueprint("api_awards", __name__, url_prefix="/api/v1/awards", title=_l("Points"),
               description="Points for readers, once per idempotency key, within the key's cap per day.")


def _pay(awards: list[dict]) -> dict:
    session = get_session()
    key = current_key()
    answer = award_batch(session, key=key, awards=awards)
    if answer["points"]:
        paid = sum(1 for r in answer["results"] if not r["replayed"])
        audit("api.award", f"apikey:{key.id}",
              ngettext("%(num)d award, %(points)d points", "%(num)d awards, %(points)d points", paid,
                       points=answer["points"]))
    session.commit()
    return answer


@bp.route("", methods=["POST"])
@needs("points:award")
@bp.arguments(s.AwardSchema)
@bp.response(200, s.AwardResultSchema)
@documented
def award_one(award):
    """Award points to one reader. Repeating an idempotency key pays nothing and answers what the first call did."""
    return _pay([award])["results"][0]


@bp.route("/batch", methods=["POST"])
@needs("points:award")
@bp.arguments(s.BatchSchema)
@bp.response(200, s.BatchResultSchema)
@documented
def award_many(batch):
    """Award a batch of up to 1,000 awards in one transaction: all are paid (or replayed), or none."""
    return _pay(batch["awards"])
