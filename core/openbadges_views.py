"""Open Badges 2.0 documents at stable public URLs (no sign-in: verifiers fetch them).

``/openbadges/issuer``, ``/openbadges/badges/<key>`` (+ ``/image.png``),
``/openbadges/assertions/<id>`` (410 once revoked) and ``/openbadges/assertions/<id>/badge.png``,
the baked image a holder downloads and uploads to a backpack.
"""

from __future__ import annotations

import json

from flask import Blueprint, abort, make_response

from core import badges, openbadges
from core.db import get_session
from core.models import BadgeAward, User

bp = Blueprint("openbadges", __name__, url_prefix="/openbadges")
JSON_LD = "application/ld+json"


def _json(document: dict, status: int = 200, max_age: int = 300):
    response = make_response(json.dumps(document, ensure_ascii=False, indent=2), status)
    response.headers["Content-Type"] = JSON_LD
    response.headers["Access-Control-Allow-Origin"] = "*"  # verifiers run in other sites' pages too
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    return response


def _png(data: bytes, filename: str | None = None):
    response = make_response(data)
    response.headers["Content-Type"] = "image/png"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _rule_or_404(key: str) -> badges.BadgeRule:
    rule = badges.get_rule(key)
    if rule is None:
        abort(404)
    return rule


def _award_or_404(award_id: int) -> tuple[BadgeAward, User, badges.BadgeRule | None]:
    db = get_session()
    award = db.get(BadgeAward, award_id)
    if award is None:
        abort(404)
    return award, db.get(User, award.user_id), badges.get_rule(award.badge_key)


@bp.route("/issuer")
def issuer():
    return _json(openbadges.issuer(get_session()), max_age=3600)


@bp.route("/badges/<key>")
def badge_class(key: str):
    return _json(openbadges.badge_class(_rule_or_404(key)), max_age=3600)


@bp.route("/badges/<key>/image.png")
def badge_image(key: str):
    response = _png(openbadges.badge_png(get_session(), _rule_or_404(key)))
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


@bp.route("/assertions/<int:award_id>")
def assertion(award_id: int):
    """The hosted assertion; 410 Gone (with the reason) once the award is revoked."""
    award, user, rule = _award_or_404(award_id)
    if award.revoked_at is not None:
        return _json(openbadges.revoked(award), status=410, max_age=60)
    if rule is None:  # the badge's plugin is switched off: the award stands but cannot be shown now
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
    return _png(png, filename=f"badge-{award.id}.png")
