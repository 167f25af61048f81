"""The Open Badges 3.0 documents: issuer profile, Achievement, OpenBadgeCredential, revocation list.

Every id is built from ``PUBLIC_BASE_URL`` (``core.openbadges.public_url``), never from the request.
A credential is the same bytes on every download: its ``validFrom`` and its proof's ``created``
are the award's time, and Ed25519 signatures are deterministic; it changes only when the issuer
changes (its profile, or its key after ``engage openbadges rotate-key``, when a download is
signed with the new key while the ones already handed out still verify against the retired key).
The recipient is the award's salted email hash, exactly as in the 2.0 assertion.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select
from sqlmodel import Session

from core import openbadges
from core.badges import BadgeRule
from core.models import BadgeAward
from core.openbadges3 import contexts, keys, proof

CREDENTIAL_CONTEXT = [contexts.CREDENTIALS_V2, contexts.OPEN_BADGES_V3, contexts.EXTENSIONS]
# The issuer profile lists its keys; these two terms are the W3C controller document's.
KEY_TERMS = {"verificationMethod": {"@id": "https://w3id.org/security#verificationMethod", "@type": "@id",
                                    "@container": "@set"},
             "assertionMethod": {"@id": "https://w3id.org/security#assertionMethod", "@type": "@id",
                                 "@container": "@set"}}
PROFILE_CONTEXT = [contexts.CREDENTIALS_V2, contexts.OPEN_BADGES_V3, contexts.MULTIKEY_V1, KEY_TERMS]
LANGUAGES = {"en": "en", "zh-Hans": "zh_Hans"}  # BCP 47 tag -> the badge rule's text key


def keyring() -> keys.Keyring:
    """The issuer's keys (configured, or in the instance folder)."""
    return keys.keyring(current_app.config, current_app.instance_path)


def timestamp(moment: datetime) -> str:
    """An XML Schema dateTime in UTC to the second, as the credential states times."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def issuer_id() -> str:
    return openbadges.public_url("openbadges3.issuer")


def verification_method(public_multibase: str) -> str:
    """The id of one of the issuer's keys: ``<issuer id>#<publicKeyMultibase>``."""
    return f"{issuer_id()}#{public_multibase}"


def credential_id(award_id: int) -> str:
    return openbadges.public_url("openbadges3.credential", award_id=award_id)


def _issuer_fields(session: Session) -> dict:
    fields = {"id": issuer_id(), "type": ["Profile"], "name": current_app.config["LIBRARY_NAME"],
              "url": current_app.config.get("ISSUER_URL") or openbadges.public_url("main.home"),
              "email": openbadges.issuer_email(session)}
    if current_app.config.get("ISSUER_DESCRIPTION"):
        fields["description"] = current_app.config["ISSUER_DESCRIPTION"]
    return fields


def issuer_profile(session: Session) -> dict:
    """The issuer's Profile with every key it signs or has signed with, as Multikeys."""
    ring = keyring()
    methods = [verification_method(key) for key in ring.all_public]
    return {"@context": PROFILE_CONTEXT, **_issuer_fields(session),
            "verificationMethod": [{"id": method, "type": "Multikey", "controller": issuer_id(),
                                    "publicKeyMultibase": key} for method, key in zip(methods, ring.all_public)],
            "assertionMethod": methods}


def achievement(rule: BadgeRule, language: str = "en") -> dict:
    """The Achievement for a badge in one language (``en`` or ``zh-Hans``), pointing at the other."""
    text = LANGUAGES[language]
    other = next(tag for tag in LANGUAGES if tag != language)
    return {
        "id": achievement_id(rule, language),
        "type": ["Achievement"],
        "achievementType": "Badge",
        "name": rule.name[text],
        "description": rule.how_to_earn[text],
        "criteria": {"id": openbadges.public_url("badges.detail", key=rule.key), "narrative": rule.how_to_earn[text]},
        "image": {"id": openbadges.public_url("openbadges.badge_image", key=rule.key), "type": "Image"},
        "inLanguage": language,
        "creator": {"id": issuer_id(), "type": ["Profile"]},
        "related": [{"id": achievement_id(rule, other), "type": ["Related"], "inLanguage": other}],
    }


def achievement_id(rule: BadgeRule, language: str) -> str:
    if language == "en":
        return openbadges.public_url("openbadges3.achievement", key=rule.key)
    return openbadges.public_url("openbadges3.achievement", key=rule.key, language=language)


def achievement_document(rule: BadgeRule, language: str) -> dict:
    """The Achievement served at its own id (JSON-LD with the credential's contexts)."""
    return {"@context": CREDENTIAL_CONTEXT, **achievement(rule, language)}


def revocation_list_id() -> str:
    return openbadges.public_url("openbadges3.revocations")


def unsigned(session: Session, award: BadgeAward, rule: BadgeRule, email: str) -> dict:
    """The OpenBadgeCredential for one award, before its proof."""
    salt = openbadges.salt_of(award)
    subject = {
        "type": ["AchievementSubject"],
        "identifier": [{"type": "IdentityObject", "identityHash": openbadges.recipient_identity(email, salt),
                        "identityType": "emailAddress", "hashed": True, "salt": salt}],
        "achievement": achievement(rule, "en"),
    }
    document = {
        "@context": CREDENTIAL_CONTEXT,
        "id": credential_id(award.id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": rule.name["en"],
        "issuer": _issuer_fields(session),
        "validFrom": timestamp(award.granted_at),
        "credentialSubject": subject,
        "credentialStatus": {"id": revocation_list_id(), "type": "1EdTechRevocationList"},
    }
    if award.reason:  # why a librarian awarded it by hand
        document["description"] = award.reason
    return document


def signed(session: Session, award: BadgeAward, rule: BadgeRule, email: str) -> dict:
    """The credential with its eddsa-rdfc-2022 proof by the current key, created at the award's time."""
    ring = keyring()
    return proof.sign(unsigned(session, award, rule, email), ring.signing,
                      verification_method=verification_method(ring.current),
                      created=timestamp(award.granted_at), loader=contexts.document_loader)


def revocation_list(session: Session) -> dict:
    """The 1EdTech revocation list: every withdrawn award's credential, oldest withdrawal first."""
    rows = session.execute(select(BadgeAward.id, BadgeAward.revoke_reason)
                           .where(BadgeAward.revoked_at.is_not(None))
                           .order_by(BadgeAward.revoked_at, BadgeAward.id)).all()
    prefix = credential_id(0)[:-1]  # one URL build, not one per row (thousands of withdrawn awards)
    revoked = []
    for award_id, reason in rows:
        entry = {"id": f"{prefix}{award_id}", "revoked": True}
        if reason:
            entry["revocationReason"] = reason
        revoked.append(entry)
    return {"id": revocation_list_id(), "issuer": issuer_id(), "revokedCredentials": revoked}
