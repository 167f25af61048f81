"""Open Badges 2.0: every badge award as a hosted Assertion a verifier can check.

The three documents are JSON-LD with the Open Badges v2 context, at stable public URLs on
this site's own origin (``core/openbadges_views.py``):

* the **Issuer** profile (the library): ``/openbadges/issuer``;
* a **BadgeClass** per badge rule: ``/openbadges/badges/<key>``, with a PNG image;
* an **Assertion** per award: ``/openbadges/assertions/<id>``, verified as *hosted* (the
  verifier fetches it from its ``id`` on the issuer's origin). A revoked award answers 410
  with ``revoked: true`` and the reason.

The recipient is never shown in the clear: ``identity`` is ``"sha256$" + sha256(email + salt)``
with a per-award salt, so a verifier who is given the email recomputes and compares it. The
salt is derived from the instance's secret key and the award id (stable without a stored
column). The baked PNG carries the assertion in an ``iTXt`` chunk (openbadges-bakery).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json

from flask import current_app
from sqlalchemy import select
from sqlmodel import Session

from core.badge_artwork import badge_colour, glyphs
from core.badges import BadgeRule
from core.models import BadgeAward, BadgeImage, Role, User

CONTEXT = "https://w3id.org/openbadges/v2"
IMAGE_SIZE = 256


def _url(endpoint: str, **values) -> str:
    from flask import url_for

    return url_for(endpoint, _external=True, **values)


def salt_for(award_id: int) -> str:
    """The award's salt: 16 hex digits, the same on every request and every worker."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"openbadges-salt:{award_id}".encode(), hashlib.sha256).hexdigest()[:16]


def recipient_identity(email: str, salt: str) -> str:
    """The hashed recipient, as a verifier recomputes it: ``sha256$`` + hex(SHA-256(email + salt))."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()


def issuer_email(session: Session) -> str:
    """The issuer's contact address: ``ISSUER_EMAIL``, else the first administrator's email."""
    configured = current_app.config.get("ISSUER_EMAIL")
    if configured:
        return configured
    first_admin = session.execute(select(User.email).where(User.role == Role.admin.value).order_by(User.id)
                                  .limit(1)).scalar()
    return first_admin or ""


def issuer(session: Session) -> dict:
    """The Issuer profile: the library that awards the badges."""
    document = {
        "@context": CONTEXT,
        "type": "Issuer",
        "id": _url("openbadges.issuer"),
        "name": current_app.config["LIBRARY_NAME"],
        "url": current_app.config.get("ISSUER_URL") or _url("main.home"),
        "email": issuer_email(session),
        "description": current_app.config.get("ISSUER_DESCRIPTION") or "",
    }
    return {k: v for k, v in document.items() if v}


def badge_class(rule: BadgeRule) -> dict:
    """A BadgeClass: what the badge is and how it is earned (in English, for verifiers anywhere;
    the criteria link to the badge's page, which speaks the reader's language)."""
    return {
        "@context": CONTEXT,
        "type": "BadgeClass",
        "id": _url("openbadges.badge_class", key=rule.key),
        "name": rule.name["en"],
        "description": rule.how_to_earn["en"],
        "image": _url("openbadges.badge_image", key=rule.key),
        "criteria": {"id": _url("badges.detail", key=rule.key), "narrative": rule.how_to_earn["en"]},
        "issuer": _url("openbadges.issuer"),
    }


def assertion(award: BadgeAward, email: str) -> dict:
    """The hosted Assertion for one award (call only for awards that are not revoked)."""
    salt = salt_for(award.id)
    document = {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": _url("openbadges.assertion", award_id=award.id),
        "recipient": {"type": "email", "hashed": True, "salt": salt,
                      "identity": recipient_identity(email, salt)},
        "badge": _url("openbadges.badge_class", key=award.badge_key),
        "verification": {"type": "hosted"},
        "issuedOn": award.granted_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "image": _url("openbadges.baked", award_id=award.id),
    }
    if award.reason:
        document["narrative"] = award.reason
    return document


def revoked(award: BadgeAward) -> dict:
    """What a revoked award's URL answers (with status 410)."""
    return {"@context": CONTEXT, "type": "Assertion", "id": _url("openbadges.assertion", award_id=award.id),
            "revoked": True, "revocationReason": award.revoke_reason or ""}


def emblem_png(rule: BadgeRule) -> bytes:
    """The generated emblem as a 256×256 PNG (verifiers and baking need a raster image)."""
    from PIL import Image, ImageDraw, ImageFont

    main, dark = badge_colour(rule.key)
    image = Image.new("RGBA", (IMAGE_SIZE, IMAGE_SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.polygon([(82, 150), (52, 244), (88, 228), (108, 254), (128, 170)], fill=dark)
    draw.polygon([(174, 150), (204, 244), (168, 228), (148, 254), (128, 170)], fill=dark)
    draw.ellipse((32, 14, 224, 206), fill="#e9b765")
    draw.ellipse((44, 26, 212, 194), fill=main)
    draw.ellipse((58, 40, 198, 180), outline=(255, 255, 255, 140), width=3)
    text = glyphs(rule)
    font = ImageFont.load_default(size=64 if len(text) > 1 else 80)
    draw.text((128, 110), text, fill="#ffffff", font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def badge_png(session: Session, rule: BadgeRule) -> bytes:
    """The badge's PNG: the uploaded artwork (already a 256×256 PNG), else the generated emblem."""
    row = session.get(BadgeImage, rule.key)
    return row.data if row is not None else emblem_png(rule)


def bake(png: bytes, document: dict) -> bytes:
    """``png`` with the assertion embedded as an Open Badges ``iTXt`` chunk."""
    from openbadges_bakery import bake as bake_png

    baked = bake_png(io.BytesIO(png), json.dumps(document, ensure_ascii=False))
    try:
        return baked.read()
    finally:
        baked.close()
