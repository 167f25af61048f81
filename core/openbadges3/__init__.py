"""Open Badges 3.0: every badge award as a signed W3C Verifiable Credential a reader can carry anywhere.

Offers the issuer's Ed25519 key (``keys``), the credential and its documents (``credential``), the
eddsa-rdfc-2022 proof (``proof``), the revocation list, baking (``baking``), checking (``checking``) and views.
"""
