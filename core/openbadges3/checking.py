"""Checking an Open Badges 3.0 credential someone pasted or uploaded (an employer, anyone).

A credential passes when it names this library as its issuer, its eddsa-rdfc-2022 proof is valid
for one of the keys the issuer profile lists (current or retired), and its award exists here and
is not withdrawn. Everything shown about it is then read from this site's own records (the badge
in the reader's language, the holder only when they keep a public page), never from the pasted
text. Every way a credential can fail ends in a ``Check`` with a message in the reader's
language: malformed JSON, an image without a credential, another issuer, a changed value, an
unknown key, an unknown award, a withdrawn award.
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from pyld import jsonld
from sqlmodel import Session

from core import badges, openbadges
from core.models import BadgeAward, User
from core.openbadges3 import baking, contexts, credential, keys, proof

MAX_BYTES = 64 * 1024  # canonicalisation is costly on hostile graphs: a real credential is ~3 KB
# RDFC-1.0 can take exponential time on crafted graphs of many look-alike blank nodes; this
# library's credentials have fewer than ten, so anything far beyond is refused before canonicalising.
MAX_BLANK_NODES = 32
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Check:
    """The outcome: ``valid``, or ``problem`` (why not); the award when the credential is this site's."""

    valid: bool
    problem: str | None = None
    award: BadgeAward | None = None
    rule: badges.BadgeRule | None = None
    holder: User | None = None
    recipient_matches: bool | None = None

    @property
    def withdrawn(self) -> bool:
        return self.award is not None and self.award.revoked_at is not None


def read(data: bytes) -> dict | Check:
    """The credential as JSON from pasted text, a JSON file or a baked PNG; a failed Check otherwise."""
    if len(data) > MAX_BYTES and not data.startswith(PNG_SIGNATURE):
        return Check(False, _("That is too large to be a credential from this library (at most 64 KB)."))
    if data.startswith(PNG_SIGNATURE):
        try:
            data = baking.unbake(data).encode("utf-8")
        except baking.NotBaked:
            return Check(False, _("That image carries no Open Badges 3.0 credential. Upload the PNG you "
                                  "downloaded with “Download Open Badge 3.0”, or paste the credential's text."))
        if len(data) > MAX_BYTES:
            return Check(False, _("That is too large to be a credential from this library (at most 64 KB)."))
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return Check(False, _("That is not a credential: it could not be read as JSON. Paste the whole text of "
                              "the credential, or upload its file or its baked PNG."))
    if not isinstance(document, dict) or "OpenBadgeCredential" not in _types(document):
        return Check(False, _("That JSON is not an Open Badges 3.0 credential (its type has no "
                              "OpenBadgeCredential)."))
    return document


def _types(document: dict) -> list:
    value = document.get("type")
    return value if isinstance(value, list) else [value]


def _award_id(credential_url: object) -> int | None:
    prefix = credential.credential_id(0)[:-1]
    if isinstance(credential_url, str) and credential_url.startswith(prefix):
        number = credential_url[len(prefix):]
        if re.fullmatch(r"[1-9][0-9]{0,17}", number):
            return int(number)
    return None


def check(session: Session, data: bytes, email: str | None = None) -> Check:
    """Check a credential (JSON text or a baked PNG) issued by this library; ``email`` optionally
    compared with its hashed recipient."""
    document = read(data)
    if isinstance(document, Check):
        return document
    issuer = document.get("issuer")
    issuer = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer != credential.issuer_id():
        return Check(False, _("This credential was not issued by this library, so this page cannot vouch for "
                              "it. Check it with its own issuer."))
    signature = document.get("proof")
    method = signature.get("verificationMethod") if isinstance(signature, dict) else None
    ring = credential.keyring()
    known = {credential.verification_method(key): key for key in ring.all_public}
    if method not in known:
        return Check(False, _("This credential is not signed with any key of this library: it is not genuine."))
    try:
        if _blank_nodes(document) > MAX_BLANK_NODES:
            raise proof.CanonicalisationError("too many blank nodes")
        if _undefined_terms(document):
            # pyld drops them silently, so they are not signed; strict verifiers refuse them too
            return Check(False, _("This credential carries properties that are not part of Open Badges 3.0, so "
                                  "they are not covered by the signature: it was altered after it was issued."))
        genuine = proof.verify(document, keys.public_key_from(known[method]), contexts.document_loader)
    except proof.CanonicalisationError:
        return Check(False, _("This credential could not be read as JSON-LD with the Open Badges 3.0 contexts: "
                              "it has been altered or is not from this library."))
    except proof.ProofError:
        return Check(False, _("This credential's proof is not one this library makes (an eddsa-rdfc-2022 "
                              "Data Integrity proof): it cannot be checked."))
    except Exception:  # noqa: BLE001 - hostile JSON-LD may trip pyld anywhere; it is an answer, never a 500
        current_app.logger.warning("an Open Badges 3.0 credential could not be checked", exc_info=True)
        return Check(False, _("This credential could not be read as JSON-LD with the Open Badges 3.0 contexts: "
                              "it has been altered or is not from this library."))
    if not genuine:
        return Check(False, _("The signature does not match: this credential was changed after the library "
                              "issued it."))
    award_id = _award_id(document.get("id"))
    award = session.get(BadgeAward, award_id) if award_id is not None else None
    rule = badges.known_rule(award.badge_key) if award is not None else None
    if award is None or rule is None:
        return Check(False, _("The signature is the library's, but this award is not in its records any more."))
    user = session.get(User, award.user_id)
    holder = user if user is not None and user.is_active and user.public_profile else None
    matches = None
    if email:
        claimed = _claimed_identity(document)
        matches = claimed is not None and hmac.compare_digest(
            openbadges.recipient_identity(email, openbadges.salt_of(award)), claimed)
    if award.revoked_at is not None:
        return Check(False, _("This badge was withdrawn by the library: the credential is no longer valid."),
                     award, rule, holder, matches)
    return Check(True, None, award, rule, holder, matches)


def _blank_nodes(document: dict) -> int:
    """How many distinct blank nodes the document's RDF has (a linear pass, unlike canonicalisation)."""
    dataset = jsonld.to_rdf(document, {"base": None, "documentLoader": contexts.document_loader})
    labels = {term["value"] for triples in dataset.values() for triple in triples
              for term in (triple["subject"], triple["object"]) if term.get("type") == "blank node"}
    return len(labels) + sum(1 for name in dataset if name.startswith("_:"))


def _properties(node) -> set[str]:
    if isinstance(node, dict):
        return {k for k in node if k != "@context"}.union(*(_properties(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_properties(v) for v in node))
    return set()


def _undefined_terms(document: dict) -> set[str]:
    """Properties the contexts do not define: expanding drops them, so compacting back lacks them."""
    options = {"base": None, "documentLoader": contexts.document_loader}
    again = jsonld.compact(jsonld.expand(document, options), document["@context"], options)
    return _properties(document) - _properties(again)


def _claimed_identity(document: dict) -> str | None:
    subject = document.get("credentialSubject")
    identifiers = subject.get("identifier") if isinstance(subject, dict) else None
    for entry in identifiers if isinstance(identifiers, list) else []:
        if isinstance(entry, dict) and entry.get("identityType") == "emailAddress":
            value = entry.get("identityHash")
            return value if isinstance(value, str) else None
    return None
