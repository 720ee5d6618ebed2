"""An Ed25519 public key as a Multikey ``publicKeyMultibase``, and back.

The form is W3C Controlled Identifiers' Multikey: ``z`` (multibase base58btc) followed by the
base58btc of the multicodec header ``0xed 0x01`` (ed25519-pub) and the 32 key bytes, so every
such value starts with ``z6Mk``. The secret key form (header ``0x80 0x26``, ed25519-priv) is read
too, for test vectors that give a key pair that way.
"""

from __future__ import annotations

import base58

from registry.errors import BadInput

_ED25519_PUB = b"\xed\x01"
_ED25519_PRIV = b"\x80\x26"
_KEY_BYTES = 32


def encode_public(public_key: bytes) -> str:
    """The ``publicKeyMultibase`` of a raw 32-byte Ed25519 public key."""
    if len(public_key) != _KEY_BYTES:
        raise BadInput(f"an Ed25519 public key is {_KEY_BYTES} bytes, not {len(public_key)}")
    return "z" + base58.b58encode(_ED25519_PUB + bytes(public_key)).decode("ascii")


def decode_public(multibase: str) -> bytes:
    """The raw 32-byte Ed25519 public key of a ``publicKeyMultibase`` (``z6Mk…``)."""
    return _decode(multibase, _ED25519_PUB, "publicKeyMultibase")


def decode_secret(multibase: str) -> bytes:
    """The 32-byte Ed25519 seed of a ``secretKeyMultibase`` (header ``0x80 0x26``)."""
    return _decode(multibase, _ED25519_PRIV, "secretKeyMultibase")


def _decode(multibase: object, header: bytes, what: str) -> bytes:
    # Messages never quote a secret key's text: only what is wrong with it.
    if not isinstance(multibase, str) or not multibase.startswith("z"):
        raise BadInput(f"{what}: not a base58btc multibase value (must start with 'z')")
    try:
        raw = base58.b58decode(multibase[1:])
    except ValueError:
        raise BadInput(f"{what}: not base58btc") from None
    if raw[:2] != header:
        raise BadInput(f"{what}: not an Ed25519 key (multicodec header {raw[:2].hex() or 'missing'}, "
                       f"expected {header.hex()})")
    if len(raw) != 2 + _KEY_BYTES:
        raise BadInput(f"{what}: an Ed25519 key is {_KEY_BYTES} bytes, not {len(raw) - 2}")
    return raw[2:]
