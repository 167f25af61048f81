"""The issuer's Ed25519 signing key, as W3C Multikeys.

The key is ``OPENBADGES3_ISSUER_KEY`` (its secret as a Multikey ``secretKeyMultibase``, for a site
served by several machines) or, when that is unset, a key made on first use in the instance folder
(``openbadges3-keys.json``, mode 0600, written so that two processes racing to make it end up
with one). ``engage openbadges rotate-key`` makes a new key there and keeps the old one's public
part: the issuer profile lists retired keys, so credentials signed before a rotation still verify.
With a configured key, retired public keys are ``OPENBADGES3_RETIRED_KEYS`` (a list or a
comma-separated string) and rotation is the operator's change of configuration.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import base58
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

KEY_FILE = "openbadges3-keys.json"
PUBLIC_PREFIX = b"\xed\x01"  # multicodec ed25519-pub
SECRET_PREFIX = b"\x80\x26"  # multicodec ed25519-priv


class IssuerKeyError(ValueError):
    """A configured or stored key that is not an Ed25519 Multikey."""


def public_multibase(key: Ed25519PublicKey) -> str:
    """The public key as ``publicKeyMultibase`` (``z6Mk…``)."""
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "z" + base58.b58encode(PUBLIC_PREFIX + raw).decode("ascii")


def secret_multibase(key: Ed25519PrivateKey) -> str:
    """The private key as ``secretKeyMultibase`` (``z3u2…``)."""
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return "z" + base58.b58encode(SECRET_PREFIX + raw).decode("ascii")


def _decode(value: str, prefix: bytes, what: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("z"):
        raise IssuerKeyError(f"the {what} must be a base58btc multibase string starting with 'z'")
    try:
        raw = base58.b58decode(value[1:])
    except ValueError as error:
        raise IssuerKeyError(f"the {what} is not valid base58btc") from error
    if len(raw) != 34 or not raw.startswith(prefix):
        raise IssuerKeyError(f"the {what} is not an Ed25519 Multikey")
    return raw[2:]


def private_key_from(value: str) -> Ed25519PrivateKey:
    """The Ed25519 private key from its ``secretKeyMultibase``."""
    return Ed25519PrivateKey.from_private_bytes(_decode(value, SECRET_PREFIX, "secret key"))


def public_key_from(value: str) -> Ed25519PublicKey:
    """The Ed25519 public key from its ``publicKeyMultibase``."""
    return Ed25519PublicKey.from_public_bytes(_decode(value, PUBLIC_PREFIX, "public key"))


@dataclass(frozen=True)
class Keyring:
    """The key that signs now, and the public parts of the keys that signed before."""

    signing: Ed25519PrivateKey
    retired: tuple[str, ...] = field(default=())

    @property
    def current(self) -> str:
        return public_multibase(self.signing.public_key())

    @property
    def all_public(self) -> tuple[str, ...]:
        """Every key a credential of this issuer may be signed with, the current one first."""
        return (self.current, *[key for key in self.retired if key != self.current])


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _write_new(path: Path, content: dict, *, replace: bool) -> None:
    """Write ``content`` to ``path`` readable by its owner only; without ``replace``, keep a file
    another process wrote first (``os.link`` fails when the name exists)."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".keys-")
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(content, out, indent=2)
            out.flush()
            os.fsync(out.fileno())
        if replace:
            os.replace(temporary, path)
            temporary = None
        else:
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
    finally:
        if temporary is not None:
            os.unlink(temporary)


def _from_file(path: Path) -> Keyring:
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        return Keyring(private_key_from(stored["current"]["secretKeyMultibase"]),
                       tuple(entry["publicKeyMultibase"] for entry in stored.get("retired", [])))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise IssuerKeyError(f"the Open Badges 3.0 key file {path} cannot be read ({error}); restore it from "
                             "where you keep your secrets") from error


def _configured_retired(value) -> tuple[str, ...]:
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    keys = tuple(item.strip() for item in items if item.strip())
    for key in keys:
        public_key_from(key)  # refuse a mistyped key now, not when a verifier trips over it
    return keys


def check_configuration(config: dict) -> None:
    """Refuse, at start-up, a configured key that is not an Ed25519 Multikey (rather than fail on the
    first download)."""
    try:
        if config.get("OPENBADGES3_ISSUER_KEY"):
            private_key_from(config["OPENBADGES3_ISSUER_KEY"])
        _configured_retired(config.get("OPENBADGES3_RETIRED_KEYS"))
    except IssuerKeyError as error:
        raise ValueError(f"ENGAGE_OPENBADGES3_ISSUER_KEY / ENGAGE_OPENBADGES3_RETIRED_KEYS: {error}") from error


def keyring(config: dict, instance_path: str) -> Keyring:
    """The issuer's keys: configured, else from the instance folder (made there on first use)."""
    configured = config.get("OPENBADGES3_ISSUER_KEY")
    if configured:
        return Keyring(private_key_from(configured), _configured_retired(config.get("OPENBADGES3_RETIRED_KEYS")))
    path = Path(instance_path) / KEY_FILE
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        _write_new(path, {"current": {"secretKeyMultibase": secret_multibase(key),
                                      "publicKeyMultibase": public_multibase(key.public_key()),
                                      "created": _now()}, "retired": []}, replace=False)
    return _from_file(path)


def rotate(config: dict, instance_path: str) -> Keyring:
    """Make a new signing key in the instance folder; the old one's public part is kept as retired."""
    if config.get("OPENBADGES3_ISSUER_KEY"):
        raise IssuerKeyError("the issuer key is set in the configuration (OPENBADGES3_ISSUER_KEY): put the new key "
                        "there and list the old public key in OPENBADGES3_RETIRED_KEYS")
    path = Path(instance_path) / KEY_FILE
    old = keyring(config, instance_path)
    stored = json.loads(path.read_text(encoding="utf-8"))
    key = Ed25519PrivateKey.generate()
    retired = [{"publicKeyMultibase": old.current, "retired": _now()}, *stored.get("retired", [])]
    _write_new(path, {"current": {"secretKeyMultibase": secret_multibase(key),
                                  "publicKeyMultibase": public_multibase(key.public_key()), "created": _now()},
                      "retired": retired}, replace=True)
    return _from_file(path)
