"""Ed25519 keys of the audit checkpoints: the signing key lives outside the database.

An insider who can rewrite every row can recompute every hash, but not a signature:
the private key is read from a file or the environment (`api.audit_keys`), never
stored in a table. A key is named by its id, the first 16 hex digits of the SHA-256 of
its raw public key, so a trail signed under several keys says which one to ask for.
Public keys travel as text: ``ed25519:`` and the base64 of the raw 32 bytes.
"""

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

PUBLIC_PREFIX = "ed25519:"


class KeyProblem(ValueError):
    """A key that cannot be read; the message says why (never the key itself)."""


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_of(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(_raw_public(key)).hexdigest()[:16]


def public_text(key: Ed25519PublicKey) -> str:
    return PUBLIC_PREFIX + base64.b64encode(_raw_public(key)).decode("ascii")


class SigningKey:
    """The sealer's private key."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public = private.public_key()
        self.key_id = key_id_of(self.public)

    def sign(self, body: bytes) -> str:
        return base64.b64encode(self._private.sign(body)).decode("ascii")

    @classmethod
    def generate(cls) -> "SigningKey":
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_text(cls, text: str) -> "SigningKey":
        """From a PEM (PKCS#8) private key, or the base64 of the raw 32-byte seed."""
        text = text.strip()
        try:
            if text.startswith("-----BEGIN"):
                private = serialization.load_pem_private_key(text.encode(), password=None)
                if not isinstance(private, Ed25519PrivateKey):
                    raise KeyProblem("the audit signing key is not an Ed25519 key")
                return cls(private)
            seed = base64.b64decode(text, validate=True)
            return cls(Ed25519PrivateKey.from_private_bytes(seed))
        except (ValueError, TypeError, binascii.Error) as error:
            if isinstance(error, KeyProblem):
                raise
            raise KeyProblem("the audit signing key is neither an Ed25519 PEM key nor the "
                            "base64 of a 32-byte seed") from None

    def pem(self) -> bytes:
        return self._private.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption())

    def write(self, path: Path) -> None:
        """Write the key as PEM, readable by its owner only; never overwrite a key."""
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(self.pem())


def read_public(text: str) -> Ed25519PublicKey:
    """A public key from ``ed25519:BASE64``, a PEM public key, or the path of either."""
    text = text.strip()
    if not text.startswith((PUBLIC_PREFIX, "-----BEGIN")) and Path(text).is_file():
        text = Path(text).read_text().strip()
    try:
        if text.startswith(PUBLIC_PREFIX):
            return Ed25519PublicKey.from_public_bytes(
                base64.b64decode(text[len(PUBLIC_PREFIX):], validate=True))
        key = serialization.load_pem_public_key(text.encode())
    except (ValueError, TypeError, binascii.Error):
        raise KeyProblem("not an Ed25519 public key (expected ed25519:BASE64 or PEM)") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyProblem("not an Ed25519 public key")
    return key


class Verifier:
    """Checks checkpoint signatures against the public keys trusted, by key id."""

    def __init__(self, keys: Iterable[Ed25519PublicKey]) -> None:
        self.keys = {key_id_of(key): key for key in keys}

    def __call__(self, key_id: str, body: bytes, signature: str) -> bool:
        key = self.keys.get(key_id)
        if key is None:
            return False
        try:
            key.verify(base64.b64decode(signature, validate=True), body)
        except (InvalidSignature, ValueError, binascii.Error):
            return False
        return True
