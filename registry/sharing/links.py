"""Encrypted share links: the format of what a verifier stores and of the link a holder gets.

A share is the credential encrypted with AES-256-GCM under a fresh 256-bit key and a random
96-bit nonce. The verifier stores only the blob ``version byte || nonce || ciphertext+tag`` and
hands back a short random id; the link is ``<verifier>/s/<id>#<key>``, the key base64url
without padding in the fragment, which browsers never send (invariant 13). Whoever has the link
can read the credential; the verifier, its logs and its database cannot. GCM's tag makes any
change to the blob, or a wrong key, fail to decrypt: never a different credential.

The page (static/page.js) does the same with WebCrypto; the two are pinned to each other by the
page tests, which open in the browser links made here and the other way round.

Ids and delete tokens are random too: an id is 12 base64url characters (72 bits, so ids cannot
be guessed or walked); a delete token 43 (256 bits), of which the store keeps only the sha256.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from registry.errors import BadInput

VERSION = 1  # the first byte of every blob: a later format gets another
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
ID_BYTES = 9  # 12 base64url characters
TOKEN_BYTES = 32
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{12}")
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
MIN_BLOB = 1 + NONCE_BYTES + TAG_BYTES  # an empty plaintext; anything shorter is not a share
DAMAGED = "this link is damaged or its key is wrong"


class Sealed(NamedTuple):
    blob: bytes  # what the verifier stores
    key: str  # what goes after the link's '#'


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(text: str, what: str = "value") -> bytes:
    """Strict base64url without padding: a stray character or padding is refused, never skipped."""
    if not isinstance(text, str) or re.fullmatch(r"[A-Za-z0-9_-]*", text) is None or len(text) % 4 == 1:
        raise BadInput(f"the {what} is not base64url without padding")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(plaintext: bytes) -> Sealed:
    """``plaintext`` encrypted under a fresh key: the blob to store and the key for the fragment."""
    key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
    nonce = secrets.token_bytes(NONCE_BYTES)
    blob = bytes([VERSION]) + nonce + AESGCM(key).encrypt(nonce, plaintext, None)
    return Sealed(blob, b64url(key))


def open_sealed(blob: bytes, key: str) -> bytes:
    """The plaintext of ``blob`` under the fragment's ``key``; BadInput saying the link is damaged
    or its key wrong when the tag does not match (a changed byte anywhere, or another key)."""
    if KEY_PATTERN.fullmatch(key or "") is None:
        raise BadInput(f"{DAMAGED}: the key must be 43 base64url characters")
    if len(blob) < MIN_BLOB or blob[0] != VERSION:
        raise BadInput(f"{DAMAGED}: not a version-{VERSION} share")
    nonce, sealed = blob[1:1 + NONCE_BYTES], blob[1 + NONCE_BYTES:]
    try:
        return AESGCM(from_b64url(key, "key")).decrypt(nonce, sealed, None)
    except InvalidTag:
        raise BadInput(DAMAGED) from None


def new_id() -> str:
    return b64url(secrets.token_bytes(ID_BYTES))


def new_token() -> str:
    return b64url(secrets.token_bytes(TOKEN_BYTES))


def token_hash(token: str) -> str:
    """What the store keeps of a delete token: its sha256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(token_hash(token), stored_hash)


def is_id(text: str) -> bool:
    return ID_PATTERN.fullmatch(text) is not None


def link(base: str, share_id: str, key: str | None = None) -> str:
    """The short link: ``<base>/s/<id>``, with ``#<key>`` when the key is given."""
    url = f"{base.rstrip('/')}/s/{share_id}"
    return f"{url}#{key}" if key else url


def split_link(url: str) -> tuple[str, str, str]:
    """(base, id, key) of a share link; BadInput when it is not one."""
    match = re.fullmatch(r"(?P<base>.+)/s/(?P<id>[^/#?]+)#(?P<key>.*)", url.strip())
    if match is None or not is_id(match["id"]):
        raise BadInput(f"{url!r} is not a share link (…/s/<12-character id>#<key>)")
    return match["base"], match["id"], match["key"]
