"""Open Badges 2.0: every badge award as a hosted Assertion a verifier can check.

The three documents are JSON-LD with the Open Badges v2 context, at stable public URLs
(``core/openbadges_views.py``):

* the **Issuer** profile (the library): ``/openbadges/issuer``;
* a **BadgeClass** per badge rule: ``/openbadges/badges/<key>``, with a PNG image;
* an **Assertion** per award: ``/openbadges/assertions/<id>``, verified as *hosted* (the
  verifier fetches it from its ``id`` on the issuer's origin). A revoked award answers 410
  with ``revoked: true`` and the reason.

Every id and link is built from ``PUBLIC_BASE_URL``, never from the request's Host header (a
forged Host would otherwise mint ids on another origin, and one site reached under two names
would issue two ids for one badge). Without it, or without an issuer email (``ISSUER_EMAIL``,
else the first administrator's), no document is served: ``problems`` says why, in the
administration page's language. There is no fallback, in development either: set
``ENGAGE_PUBLIC_BASE_URL=http://127.0.0.1:5000`` (``engage demo`` sets its own address).

The recipient is never shown in the clear: ``identity`` is ``"sha256$" + sha256(email + salt)``
with the award's own random salt, stored when it is granted, so rotating ``SECRET_KEY``
never changes an issued badge. Awards made before the salt was stored keep the salt they were
issued with (``legacy_salt``); ``fill_missing_salts`` writes it into their rows. Documents
about issued badges answer whatever the badge's plugin's state (``core.badges.shown_rule``).
The baked PNG carries the assertion in an ``iTXt`` chunk (openbadges-bakery).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json

from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from core.badge_artwork import badge_colour, star_points
from core.badges import BadgeRule
from core.models import BadgeAward, BadgeImage, Role, User

CONTEXT = "https://w3id.org/openbadges/v2"
IMAGE_SIZE = 256


def _url(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint`` on ``PUBLIC_BASE_URL`` (the request's Host plays no part)."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def public_url(endpoint: str, **values) -> str:
    """The absolute address of ``endpoint`` on ``PUBLIC_BASE_URL`` (for pages that link to badges)."""
    return _url(endpoint, **values)


def problems(session: Session) -> list[str]:
    """Why Open Badge documents cannot be served now (empty when they can), for administrators."""
    found = []
    if not current_app.config.get("PUBLIC_BASE_URL"):
        found.append(_("Open Badges are switched off: set ENGAGE_PUBLIC_BASE_URL to this site's public address "
                       "(such as https://engage.library.edu) so that badges can be verified."))
    if not issuer_email(session):
        found.append(_("Open Badges are switched off: the library needs a contact email as the issuer. Set "
                       "ENGAGE_ISSUER_EMAIL, or give the site an administrator."))
    return found


def legacy_salt(secret_key: str, award_id: int) -> str:
    """The salt an award was issued with before salts were stored: derived from the secret key."""
    return hmac.new(secret_key.encode(), f"openbadges-salt:{award_id}".encode(), hashlib.sha256).hexdigest()[:16]


def salt_of(award: BadgeAward) -> str:
    """The award's recipient salt: its own stored one, else (not yet migrated) the one it was issued with."""
    return award.salt or legacy_salt(current_app.config["SECRET_KEY"], award.id)


def fill_missing_salts(session: Session, *, secret_key: str, batch: int = 1000) -> int:
    """Data migration: store in every award without a salt the salt it was issued with, so the
    hashed recipients of badges already handed out stay the same after ``SECRET_KEY`` changes.
    Run once with the secret key the awards were issued under; returns how many rows it filled."""
    filled = 0
    table = BadgeAward.__table__
    while True:
        ids = session.execute(select(table.c.id).where(table.c.salt.is_(None)).order_by(table.c.id)
                              .limit(batch)).scalars().all()
        if not ids:
            return filled
        session.execute(update(table).where(table.c.id == bindparam("award_id"))
                        .values(salt=bindparam("new_salt")),
                        [{"award_id": i, "new_salt": legacy_salt(secret_key, i)} for i in ids])
        filled += len(ids)


def recipient_identity(email: str, salt: str) -> str:
    """The hashed recipient, as a verifier recomputes it: ``sha256$`` + hex(SHA-256(email + salt))."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()


def issuer_email(session: Session) -> str:
    """The issuer's contact address: ``ISSUER_EMAIL``, else the first administrator's email."""
    configured = current_app.config.get("ISSUER_EMAIL")
    if configured:
        return configured
    first_admin = session.execute(select(User.email).where(User.role == Role.admin.value, User.is_active.is_(True))
                                  .order_by(User.id).limit(1)).scalar()
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
    salt = salt_of(award)
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
    from PIL import Image, ImageDraw

    main, dark = badge_colour(rule.key)
    image = Image.new("RGBA", (IMAGE_SIZE, IMAGE_SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.polygon([(82, 150), (52, 244), (88, 228), (108, 254), (128, 170)], fill=dark)
    draw.polygon([(174, 150), (204, 244), (168, 228), (148, 254), (128, 170)], fill=dark)
    draw.ellipse((32, 14, 224, 206), fill="#e9b765")
    draw.ellipse((44, 26, 212, 194), fill=main)
    draw.ellipse((58, 40, 198, 180), outline=(255, 255, 255, 140), width=3)
    draw.polygon(star_points(rule.key), fill="#ffffff")
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
