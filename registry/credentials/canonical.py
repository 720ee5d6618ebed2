"""The canonical form of a credential and its hash, the ``targetHash`` that goes into the Merkle tree.

``targetHash = sha256(RFC 8785 canonical JSON of the credential without its top-level "proof")``.
The verifier hashes every credential it is shown, so this is its hot path: a document that is
plain JSON (no floats, safe integers, ASCII keys) is written by the standard library's C encoder,
whose sorted compact output is then byte-for-byte RFC 8785; anything else goes to ``rfc8785``.
A property test holds the two paths equal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import rfc8785

from registry.credentials._kinds import _kind
from registry.errors import InvalidCredential


def canonical_bytes(doc: Mapping[str, Any], *, plain: bool = False) -> bytes:
    """RFC 8785 (JCS) serialization of the credential with its top-level ``proof`` removed.

    This is the byte string every party hashes; key order, whitespace and number spelling in
    the file do not matter, and the proof (which carries the hash) is never part of it.
    ``plain=True`` says the document is known to be plain JSON (see
    :func:`~registry.credentials.loading.parse_json_with_plainness`),
    which spares walking it to find out.
    """
    if type(doc) is not dict and not isinstance(doc, Mapping):  # a parsed document skips the ABC check
        raise InvalidCredential(f"credential must be a JSON object, got {_kind(doc)}")
    body = dict(doc)  # a C-level copy: a third of the time a filtering comprehension takes
    body.pop("proof", None)
    return rfc8785_bytes(body, plain=plain)


def rfc8785_bytes(body: dict[str, Any], *, plain: bool = False) -> bytes:
    """RFC 8785 of ``body`` exactly as given (the caller has taken out what must not be hashed),
    through the C-speed path where it is byte-for-byte the same; InvalidCredential if it cannot
    be canonicalized. Both proof formats' hashes go through here."""
    try:
        fast = _fast_canonical(body, plain)
        if fast is not None:
            return fast
        return rfc8785.dumps(body)
    except rfc8785.CanonicalizationError as exc:
        raise InvalidCredential(f"credential cannot be canonicalized as RFC 8785 JSON: {exc}") from None
    except RecursionError:
        raise InvalidCredential("credential is nested too deeply to canonicalize") from None


_MAX_SAFE_INT = 2**53 - 1


def _plain(value: Any) -> bool:
    """True when the stdlib's sorted compact JSON is byte-for-byte RFC 8785 for ``value``:
    no floats (ECMAScript number spelling differs), integers within the safe range, and ASCII
    keys (UTF-16 and code-point key order then agree). Strings escape alike in both.
    Iterative and string-skipping: the verifier runs it on every credential."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            try:
                if not "".join(item).isascii():
                    return False
            except TypeError:  # a key that is not a string
                return False
            for child in item.values():
                if type(child) is not str:
                    stack.append(child)
        elif kind is list:
            for child in item:
                if type(child) is not str:
                    stack.append(child)
        elif kind is int:
            if not -_MAX_SAFE_INT <= item <= _MAX_SAFE_INT:
                return False
        elif not (kind is str or kind is bool or item is None):
            return False
    return True


def _fast_canonical(body: dict[str, Any], plain: bool = False) -> bytes | None:
    """RFC 8785 at C speed for the common case (checked equal to ``rfc8785`` by a property
    test); None sends the document to ``rfc8785`` itself. The verifier hashes every credential
    it sees, so this is its hot path."""
    if not (plain or _plain(body)):
        return None
    try:
        return _sorted_compact_json(body).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: let rfc8785 decide
        return None


# The stdlib's encoder, made once (json.dumps makes a new one on every call), through public API
# only: JSONEncoder.encode runs the C encoder where the interpreter has one, pure Python where not.
_SORTED_COMPACT = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False, allow_nan=False)
# ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``, bound once.
_sorted_compact_json = _SORTED_COMPACT.encode


def target_hash(doc: Mapping[str, Any], *, plain: bool = False) -> bytes:
    """``sha256(canonical_bytes(doc))``: the 32-byte Merkle leaf of the credential."""
    return hashlib.sha256(canonical_bytes(doc, plain=plain)).digest()


def target_hash_hex(doc: Mapping[str, Any]) -> str:
    """:func:`target_hash` as lowercase hex without ``0x``, the form used in proofs."""
    return target_hash(doc).hex()

