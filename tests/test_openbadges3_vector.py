"""The eddsa-rdfc-2022 proof reproduces the W3C specification's published test vector byte for byte
(vc-di-eddsa, "Representation: eddsa-rdfc-2022"): canonical document, canonical proof options,
both hashes, the signature, and the Multikey encodings of the key pair."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from core.openbadges3 import contexts, keys, proof

VECTOR = Path(__file__).with_name("data") / "eddsa_rdfc_2022"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"


def _json(name: str) -> dict:
    return json.loads((VECTOR / name).read_text(encoding="utf-8"))


def _text(name: str) -> str:
    return (VECTOR / name).read_text(encoding="utf-8")


def _loader():
    documents = {url: contexts.bundled(url) for url in contexts.BUNDLED}
    documents[EXAMPLES_V2] = _json("credentials-examples-v2.jsonld")
    return contexts.loader_over(documents)


def test_canonical_document_and_proof_options_match_the_vector():
    loader = _loader()
    assert proof.canonical(_json("unsigned.json"), loader) == _text("canonDocDataInt.txt")
    assert proof.canonical(_json("proofConfigDataInt.json"), loader) == _text("proofCanonDataInt.txt")


def test_hashes_match_the_vector():
    loader = _loader()
    document_hash = hashlib.sha256(_text("canonDocDataInt.txt").encode()).hexdigest()
    assert document_hash == _text("docHashDataInt.txt").strip()
    assert hashlib.sha256(_text("proofCanonDataInt.txt").encode()).hexdigest() == _text("proofHashDataInt.txt").strip()
    options = {k: v for k, v in _json("proofConfigDataInt.json").items() if k != "@context"}
    assert proof.hash_data(_json("unsigned.json"), options, loader).hex() == _text("combinedHashDataInt.txt").strip()


def test_signing_reproduces_the_signed_credential_byte_for_byte():
    pair = _json("keyPair.json")
    private = keys.private_key_from(pair["privateKeyMultibase"])
    assert keys.public_multibase(private.public_key()) == pair["publicKeyMultibase"]
    assert keys.secret_multibase(private) == pair["privateKeyMultibase"]
    config = _json("proofConfigDataInt.json")
    signed = proof.sign(_json("unsigned.json"), private, verification_method=config["verificationMethod"],
                        created=config["created"], loader=_loader())
    assert signed["proof"]["proofValue"] == _text("sigBTC58DataInt.txt").strip()
    assert json.dumps(signed, indent=2) == json.dumps(_json("signedDataInt.json"), indent=2)
    assert proof.verify(signed, private.public_key(), _loader())


def test_a_changed_value_or_another_key_fails_verification():
    signed = _json("signedDataInt.json")
    public = keys.public_key_from(_json("keyPair.json")["publicKeyMultibase"])
    tampered = {**signed, "credentialSubject": {**signed["credentialSubject"], "alumniOf": "Another School"}}
    assert not proof.verify(tampered, public, _loader())
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    assert not proof.verify(signed, Ed25519PrivateKey.generate().public_key(), _loader())
