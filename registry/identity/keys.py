"""The issuer's Ed25519 signing key: generated, and kept in an encrypted keystore file.

The file is an Ethereum keystore (version 3: scrypt, AES-128-CTR, a MAC; made and opened by
``eth_keyfile``) over the key's 32-byte seed, with two fields added: ``"keyType": "Ed25519"``,
which tells it apart from an Ethereum account's keystore in both directions, and the public key's
``publicKeyMultibase``, so the DID can be read without the password. The Ethereum ``address``
field is left out: it would name a secp256k1 account that the seed is not.

The secret never leaves a :class:`SigningKey` in readable form: its ``repr`` and ``str`` show
only the public Multikey, it refuses to be pickled, and no message quotes it (invariant 9).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import eth_keyfile
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from registry.errors import BadInput, ConfigError
from registry.identity import multikey

KEY_TYPE = "Ed25519"
_SEED_BYTES = 32


class SigningKey:
    """An Ed25519 private key that signs and shows only its public half."""

    __slots__ = ("_private", "public_key", "public_multibase")

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public_key: bytes = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public_multibase: str = multikey.encode_public(self.public_key)

    @classmethod
    def generate(cls) -> SigningKey:
        """A new random key (the operating system's CSPRNG, through ``cryptography``)."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        """The key of a 32-byte Ed25519 seed (RFC 8032's private key)."""
        if len(seed) != _SEED_BYTES:
            raise BadInput(f"an Ed25519 seed is {_SEED_BYTES} bytes, not {len(seed)}")
        return cls(Ed25519PrivateKey.from_private_bytes(bytes(seed)))

    @classmethod
    def from_secret_multibase(cls, secret: str) -> SigningKey:
        """The key of a Multikey ``secretKeyMultibase`` (as the W3C test vectors give it)."""
        return cls.from_seed(multikey.decode_secret(secret))

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``data``."""
        return self._private.sign(data)

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Whether ``signature`` is this key's signature of ``data``."""
        return verify(self.public_key, signature, data)

    def _seed(self) -> bytes:
        return self._private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                           serialization.NoEncryption())

    def __repr__(self) -> str:
        return f"SigningKey(publicKeyMultibase={self.public_multibase!r})"

    __str__ = __repr__

    def __reduce__(self):
        # Pickling would carry the secret into another process or file in the clear.
        raise TypeError("a SigningKey cannot be pickled: load it from its keystore where it is needed")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SigningKey) and other.public_key == self.public_key

    def __hash__(self) -> int:
        return hash(self.public_key)


def verify(public_key: bytes, signature: bytes, data: bytes) -> bool:
    """Whether ``signature`` is a valid Ed25519 signature of ``data`` by the raw ``public_key``."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def keystore_json(key: SigningKey, password: str, *, iterations: int | None = None) -> dict:
    """The encrypted keystore document of ``key`` (scrypt; ``iterations`` is its N, default 2**18)."""
    document = eth_keyfile.create_keyfile_json(key._seed(), password.encode("utf-8"), kdf="scrypt",
                                               iterations=iterations)
    document.pop("address", None)
    document["keyType"] = KEY_TYPE
    document["publicKeyMultibase"] = key.public_multibase
    return document


def save(key: SigningKey, path: Path, password: str, *, iterations: int | None = None,
         overwrite: bool = False) -> Path:
    """Write ``key``'s encrypted keystore to ``path``, atomically, readable by its owner only."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise BadInput(f"{path}: already exists; refusing to overwrite a key")
    text = json.dumps(keystore_json(key, password, iterations=iterations), indent=2) + "\n"
    write_atomic(path, text.encode("utf-8"), mode=0o600)
    return path


def load(path: Path, password: str) -> SigningKey:
    """The signing key in the keystore at ``path``, unlocked with ``password``."""
    path = Path(path)
    document = read_keystore(path)
    try:
        seed = eth_keyfile.decode_keyfile_json(document, password.encode("utf-8"))
    except ValueError:
        raise ConfigError(f"{path}: wrong password or damaged keystore") from None
    except (KeyError, TypeError):
        raise ConfigError(f"{path}: damaged keystore") from None
    key = SigningKey.from_seed(seed)
    if key.public_multibase != document.get("publicKeyMultibase"):
        raise ConfigError(f"{path}: damaged keystore: the key does not match its publicKeyMultibase")
    return key


def read_keystore(path: Path) -> dict:
    """The keystore document at ``path``, checked to be an Ed25519 signing key's (no password needed)."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read keystore: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError):
        raise ConfigError(f"{path}: not a JSON keystore") from None
    if not isinstance(document, dict) or "crypto" not in document:
        raise ConfigError(f"{path}: not a keystore")
    if document.get("keyType") != KEY_TYPE:
        kind = "an Ethereum account's keystore" if "address" in document else "not an Ed25519 keystore"
        raise ConfigError(f"{path}: {kind}, not an Ed25519 signing key (make one with `credreg issuer keygen`)")
    return document


def public_multibase(path: Path) -> str:
    """The ``publicKeyMultibase`` a keystore declares, read without unlocking it."""
    value = read_keystore(path).get("publicKeyMultibase")
    multikey.decode_public(value)  # validates
    return value


def write_atomic(path: Path, data: bytes, *, mode: int) -> None:
    """Write ``data`` to ``path`` through a temporary file in its folder and a rename, with ``mode``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)  # before any byte is written: a secret is never readable by others
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
