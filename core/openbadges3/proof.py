"""The Data Integrity proof with cryptosuite ``eddsa-rdfc-2022`` (W3C vc-di-eddsa, section 3.3).

Sign: canonicalise the document without its proof and the proof options (with the document's
``@context``) with RDFC-1.0 (pyld's URDNA2015, the same algorithm), hash each with SHA-256, sign
``hash(proof options) + hash(document)`` with Ed25519, and write the signature as a base58btc
multibase ``proofValue``. ``base`` is None for canonicalisation: pyld would otherwise resolve
relative ids against a made-up base, and a verifier elsewhere would compute other bytes.
``tests/test_openbadges3_vector.py`` reproduces the specification's published test vector.
"""

from __future__ import annotations

import hashlib

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld

CRYPTOSUITE = "eddsa-rdfc-2022"


class ProofError(ValueError):
    """A proof that cannot be checked at all (malformed, unknown suite)."""


class CanonicalisationError(ProofError):
    """A document pyld cannot canonicalise (an unknown context, invalid JSON-LD)."""


def canonical(document: dict, loader) -> str:
    """The RDFC-1.0 canonical N-Quads of ``document``, loading contexts only through ``loader``."""
    return jsonld.normalize(document, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                       "base": None, "documentLoader": loader})


def hash_data(document: dict, proof_options: dict, loader) -> bytes:
    """What the signature covers: SHA-256 of the canonical proof options, then of the document."""
    options = {**proof_options, "@context": document["@context"]}
    options.pop("proofValue", None)
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    return (hashlib.sha256(canonical(options, loader).encode("utf-8")).digest()
            + hashlib.sha256(canonical(unsigned, loader).encode("utf-8")).digest())


def proof_options(*, verification_method: str, created: str) -> dict:
    """The proof's configuration, before it is signed."""
    return {"type": "DataIntegrityProof", "cryptosuite": CRYPTOSUITE, "created": created,
            "verificationMethod": verification_method, "proofPurpose": "assertionMethod"}


def sign(document: dict, private_key: Ed25519PrivateKey, *, verification_method: str, created: str,
         loader) -> dict:
    """``document`` with an embedded eddsa-rdfc-2022 proof (a new dict; the input is left as it was)."""
    options = proof_options(verification_method=verification_method, created=created)
    signature = private_key.sign(hash_data(document, options, loader))
    return {**document, "proof": {**options, "proofValue": "z" + base58.b58encode(signature).decode("ascii")}}


def verify(document: dict, public_key: Ed25519PublicKey, loader) -> bool:
    """Whether ``document``'s proof is a valid eddsa-rdfc-2022 signature by ``public_key``.

    Raises ProofError when the proof is not one this suite can check (so a caller can tell
    "tampered" from "not an eddsa-rdfc-2022 credential")."""
    proof = document.get("proof")
    if not isinstance(proof, dict) or proof.get("type") != "DataIntegrityProof" \
            or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError("not an eddsa-rdfc-2022 Data Integrity proof")
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofError("the proof's purpose is not assertionMethod")
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        raise ProofError("the proof value is not base58btc multibase")
    try:
        signature = base58.b58decode(value[1:])
    except ValueError as error:
        raise ProofError("the proof value is not base58btc multibase") from error
    try:
        data = hash_data(document, proof, loader)
    except (jsonld.JsonLdError, TypeError, ValueError, KeyError, AttributeError, RecursionError) as error:
        # pyld raises more than JsonLdError on hostile input; each means "not canonicalisable"
        raise CanonicalisationError(f"the credential cannot be canonicalised: {error}") from error
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True
