"""Open Badges 2.0 documents at stable public URLs (no sign-in: verifiers fetch them).

``/openbadges/issuer``, ``/openbadges/badges/<key>`` (+ ``/image.png``),
``/openbadges/assertions/<id>`` (410 once revoked) and ``/openbadges/assertions/<id>/badge.png``,
the baked image a holder downloads and uploads to a backpack. Issued badges answer whatever
their plugin's state. Without ``PUBLIC_BASE_URL`` or an issuer email every document answers
503 with the reason (``core.openbadges.problems``), rather than ids on the wrong origin.
"""

from __future__ import annotations

import json

from flask import Blueprint, abort, make_response

from core import badges, openbadges
from core.db import get_session
from core.files import file_response
from core.models import BadgeAward, User

bp = Blueprint("openbadges", __name__, url_prefix="/openbadges")
JSON_LD = "application/ld+json"


@bp.app_template_global()
def open_badges_available() -> bool:
    """Whether badge pages may link to Open Badge documents (they are served)."""
    return not openbadges.problems(get_session())


@bp.before_request
def _configured():
    """Refuse every document while the site's public address or the issuer's email is missing."""
    found = openbadges.problems(get_session())
    if found:
        response = _json({"error": " ".join(found)}, status=503, max_age=0)
        response.cache_control.public = False
        response.cache_control.no_store = True
        return response
    return None


def _json(document: dict, status: int = 200, max_age: int = 300):
    response = make_response(json.dumps(document, ensure_ascii=False, indent=2), status)
    response.headers["Content-Type"] = JSON_LD
    response.headers["Access-Control-Allow-Origin"] = "*"  # verifiers run in other sites' pages too
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    return response


def _rule_or_404(key: str) -> badges.BadgeRule:
    rule = badges.shown_rule(get_session(), key)
    if rule is None:
        abort(404)
    return rule


def _award_or_404(award_id: int) -> tuple[BadgeAward, User, badges.BadgeRule | None]:
    db = get_session()
    award = db.get(BadgeAward, award_id)
    if award is None:
        abort(404)
    return award, db.get(User, award.user_id), badges.known_rule(award.badge_key)


@bp.route("/issuer")
def issuer():
    return _json(openbadges.issuer(get_session()), max_age=3600)


@bp.route("/badges/<key>")
def badge_class(key: str):
    return _json(openbadges.badge_class(_rule_or_404(key)), max_age=3600)


@bp.route("/badges/<key>/image.png")
def badge_image(key: str):
    return file_response(openbadges.badge_png(get_session(), _rule_or_404(key)), "image/png", visible=True,
                         public=True)


@bp.route("/assertions/<int:award_id>")
def assertion(award_id: int):
    """The hosted assertion; 410 Gone (with the reason) once the award is revoked."""
    award, user, rule = _award_or_404(award_id)
    if award.revoked_at is not None:
        return _json(openbadges.revoked(award), status=410, max_age=60)
    if rule is None:  # no installed plugin describes this badge any more
        abort(404)
    return _json(openbadges.assertion(award, user.email), max_age=60)


@bp.route("/assertions/<int:award_id>/badge.png")
def baked(award_id: int):
    """The badge image with its assertion baked in, to keep or upload to a backpack."""
    award, user, rule = _award_or_404(award_id)
    if award.revoked_at is not None:
        abort(410)
    if rule is None:
        abort(404)
    png = openbadges.bake(openbadges.badge_png(get_session(), rule), openbadges.assertion(award, user.email))
    # The download is the holder's own (their award is inside): no shared cache keeps it.
    return file_response(png, "image/png", visible=True, public=False, filename=f"badge-{award.id}.png")
