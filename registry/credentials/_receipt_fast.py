"""Reading a ``credreg-merkle-2026`` ``proofValue`` at C speed: its base64url text and its JSON.

Why: the verifier decodes one receipt per signed (format-2) credential it is shown, and in a
batch of 1,000 the plain readers were a fifth of a verification: a regex walking the text to
check its alphabet, then ``base64.urlsafe_b64decode`` (which maps ``-_`` to ``+/`` with
``str.translate``, a Python-level loop per character, before decoding), then a fresh
``json.JSONEncoder`` per receipt to prove it canonical.

What:
- :func:`b64url_bytes`: the alphabet is checked by one ``bytes.translate`` that deletes it
  (nothing may remain), the ``-_`` mapped by another, and the bytes decoded by
  ``binascii.a2b_base64``; all in C.
- :func:`canonical_receipt`: the C parser's reading of a receipt written as credreg writes it
  (sorted, compact), proven so by the encoder made once in :mod:`~registry.credentials.canonical`.

How correctness is pinned: ``tests/unit/test_receipt_fast.py`` holds :func:`b64url_bytes` to the
plain reading (``[A-Za-z0-9_-]*``, a length other than 1 mod 4, ``urlsafe_b64decode``) and
:func:`canonical_receipt` to the strict reader (no duplicate key, no NaN) on generated texts.
"""

from __future__ import annotations

import binascii
import json
from typing import Any

from registry.credentials.canonical import _sorted_compact_json

_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_PADDING = (b"", b"", b"==", b"=")  # by length mod 4; 1 is no base64 text's length


def b64url_bytes(text: str) -> bytes | None:
    """The bytes that ``text``, base64url without padding, spells; None when it is not that."""
    if not text.isascii() or len(text) % 4 == 1:
        return None
    ascii_text = text.encode("ascii")
    if ascii_text.translate(None, _ALPHABET):  # a character outside the alphabet ("=" included)
        return None
    return binascii.a2b_base64(ascii_text.translate(_TO_STANDARD) + _PADDING[len(text) % 4], strict_mode=True)


def canonical_receipt(raw: bytes) -> dict[str, Any] | None:
    """The receipt, when ``raw`` is written as credreg writes every receipt; else None.

    The strict reader (duplicate keys and NaN refused, by a Python hook per object) would be a
    fifth of a verification. A text equal to the sorted, compact dump of what it parses to (NaN
    refused) can hold neither, so the C parser may read it; for a receipt (ASCII, integers) that
    dump is its RFC 8785 text."""
    try:
        value = json.loads(raw)
        if type(value) is not dict:
            return None
        return value if _sorted_compact_json(value).encode() == raw else None
    except (ValueError, RecursionError):  # not JSON, NaN (the encoder refuses it), too deep
        return None
