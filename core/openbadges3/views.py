"""Open Badges 3.0 at stable public URLs under ``/openbadges/v3``.

``/issuer`` (the Profile with its keys), ``/achievements/<key>`` (+ ``/zh-Hans``), ``/revocations``
(the 1EdTech revocation list) answer anyone. ``/credentials/<id>`` (``application/vc+ld+json``) and
``/credentials/<id>/badge.png`` (baked) answer the holder, and anyone else only when the holder
keeps a public page (a private badge stays the holder's to hand out). A withdrawn award has no
credential (410, with the reason). Like 2.0, nothing is served without ``PUBLIC_BASE_URL`` and an
issuer email (503 with the reason).
"""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, make_response
from flask_babel import gettext as _
from flask_login import current_user

from core import badges, openbadges
from core.db import get_session
from core.files import file_response
from core.models import BadgeAward, User
from core.openbadges3 import baking, credential, keys
from core.ui import render

bp = Blueprint("openbadges3", __name__, url_prefix="/openbadges/v3")
VC_LD = "application/vc+ld+json"
JSON_LD = "application/ld+json"


@bp.before_request
def _configured():
    """Refuse every document while the site's public address or the issuer's email is missing."""
    found = openbadges.problems(get_session())
    if found:
        response = _json({"error": " ".join(found)}, JSON_LD, status=503, max_age=0)
        response.cache_control.public = False
        response.cache_control.no_store = True
        return response
    return None


@bp.errorhandler(keys.IssuerKeyError)
def _key_unreadable(error: keys.IssuerKeyError):
    """A key file that cannot be read is the operator's to fix: say so, and sign nothing."""
    current_app.logger.error("Open Badges 3.0: %s", error)
    response = _json({"error": _("Open Badges 3.0 are unavailable: the library's signing key cannot be read.")},
                     JSON_LD, status=503, max_age=0)
    response.cache_control.public = False
    response.cache_control.no_store = True
    return response


def _json(document: dict, content_type: str, status: int = 200, max_age: int = 300):
    response = make_response(json.dumps(document, ensure_ascii=False, indent=2), status)
    response.headers["Content-Type"] = content_type
    response.headers["Access-Control-Allow-Origin"] = "*"  # verifiers run in other sites' pages too
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    return response


def _refusal(code: int, title: str, text: str):
    response = make_response(render("error.html", code=code, title=title, text=text, status=code))
    response.cache_control.no_store = True
    return response


@bp.route("/issuer")
def issuer():
    return _json(credential.issuer_profile(get_session()), JSON_LD, max_age=300)


@bp.route("/achievements/<key>", defaults={"language": "en"})
@bp.route("/achievements/<key>/<any('zh-Hans'):language>")
def achievement(key: str, language: str):
    rule = badges.shown_rule(get_session(), key)
    if rule is None:
        abort(404)
    return _json(credential.achievement_document(rule, language), JSON_LD, max_age=3600)


@bp.route("/revocations")
def revocations():
    """The 1EdTech revocation list every credential's ``credentialStatus`` points at."""
    return _json(credential.revocation_list(get_session()), "application/json", max_age=60)


def _holders_award(award_id: int):
    """The award, its holder and badge, if the person asking may have its credential; else a refusal."""
    db = get_session()
    award = db.get(BadgeAward, award_id)
    rule = badges.known_rule(award.badge_key) if award is not None else None
    holder = db.get(User, award.user_id) if award is not None else None
    if award is None or rule is None or holder is None:
        abort(404)
    own = current_user.is_authenticated and current_user.id == award.user_id
    if not own and not (holder.is_active and holder.public_profile):
        return None, _refusal(403, _("This badge is private"),
                              _("Only the reader who earned this badge can download its Open Badge 3.0 "
                                "credential. Ask them to share it with you, or check it on its verification page."))
    if award.revoked_at is not None:
        return None, _refusal(410, _("This badge was withdrawn"),
                              _("The library withdrew this badge on %(date)s, so it no longer has a credential.",
                                date=award.revoked_at.date().isoformat())
                              + (" " + _("Reason: %(reason)s", reason=award.revoke_reason)
                                 if award.revoke_reason else ""))
    return (award, holder, rule), None


@bp.route("/credentials/<int:award_id>", endpoint="credential")
def credential_json(award_id: int):
    """The signed OpenBadgeCredential, the same bytes on every download."""
    found, refusal = _holders_award(award_id)
    if refusal is not None:
        return refusal
    award, holder, rule = found
    response = _json(credential.signed(get_session(), award, rule, holder.email), VC_LD, max_age=0)
    response.cache_control.public = False
    response.cache_control.private = True
    response.cache_control.no_cache = True
    response.headers["Content-Disposition"] = f'attachment; filename="badge-{award.id}.json"'
    return response


@bp.route("/credentials/<int:award_id>/badge.png")
def baked(award_id: int):
    """The badge image with its signed credential baked in."""
    found, refusal = _holders_award(award_id)
    if refusal is not None:
        return refusal
    award, holder, rule = found
    db = get_session()
    png = baking.bake(openbadges.badge_png(db, rule), credential.signed(db, award, rule, holder.email))
    return file_response(png, "image/png", visible=True, public=False, filename=f"badge-{award.id}-ob3.png")
