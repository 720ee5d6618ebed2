"""The fast reading of a receipt's proofValue (registry/credentials/_receipt_fast.py) held to the
plain readings it replaces, on generated texts."""

from __future__ import annotations

import base64
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.credentials import _receipt_fast, proofs
from registry.credentials.loading import parse_json_with_plainness
from registry.errors import CredregError

_PLAIN_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")


def _plain_b64url_bytes(text: str) -> bytes | None:
    """The reading the fast one replaces: a regex for the alphabet, then the stdlib's decoder."""
    if not _PLAIN_ALPHABET.fullmatch(text) or len(text) % 4 == 1:
        return None
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _unpadded(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_B64_CHARS = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=. \n\x00é\U0001f600")


@settings(max_examples=1500, deadline=None)
@given(st.one_of(st.binary(max_size=300).map(_unpadded),  # real base64url text, every length
                 st.text(_B64_CHARS, max_size=40),  # anything near it: wrong characters, padding, lengths
                 st.text(max_size=40)))
def test_base64url_reads_as_the_regex_and_the_stdlib_read_it(text):
    assert _receipt_fast.b64url_bytes(text) == _plain_b64url_bytes(text)


@pytest.mark.parametrize("text", ["", "ab", "abc", "abcd", "ab_-", "ab+/", "abc=", "ab==", "a", "abcde", "ABC\u00e9",
                                  "ab c", "ab\ncd", "YQ", "YR", "YWI", "YWJ"])  # YR, YWJ: stray low bits, decoded alike
def test_base64url_edge_cases_read_alike(text):
    assert _receipt_fast.b64url_bytes(text) == _plain_b64url_bytes(text)


def _strict(raw: bytes) -> object:
    try:
        return parse_json_with_plainness(raw.decode("utf-8"), "receipt")[0]
    except (CredregError, UnicodeDecodeError):
        return "refused"


_HEX = st.text("0123456789abcdef", min_size=64, max_size=64)
_RECEIPTS = st.fixed_dictionaries({
    "targetHash": _HEX, "merkleRoot": _HEX,
    "path": st.lists(st.one_of(st.builds(lambda h: {"left": h}, _HEX), st.builds(lambda h: {"right": h}, _HEX)),
                     max_size=4),
    "anchor": st.fixed_dictionaries({"chainId": st.integers(0, 2**64), "registry": st.text(max_size=8),
                                     "transactionHash": st.text(max_size=8), "blockNumber": st.integers(-5, 2**64)}),
}, optional={"extra": st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                                   lambda inner: st.lists(inner, max_size=3)
                                   | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=6)})


def _written(receipt: dict, how: int) -> bytes:
    """A receipt as credreg writes it (0), or written otherwise: spaced, unsorted, a key twice, NaN."""
    if how == 0:
        return json.dumps(receipt, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    if how == 1:
        return json.dumps(receipt, sort_keys=True).encode()
    if how == 2:
        return json.dumps(receipt, separators=(",", ":")).encode()
    text = json.dumps(receipt, sort_keys=True, separators=(",", ":"))
    return (text[:-1] + (',"targetHash":"00"}' if how == 3 else ',"zz":NaN}')).encode()


@settings(max_examples=400, deadline=None)
@given(_RECEIPTS, st.integers(0, 4))
def test_a_receipt_the_fast_reader_takes_reads_as_the_strict_reader_reads_it(receipt, how):
    raw = _written(receipt, how)
    fast = _receipt_fast.canonical_receipt(raw)
    if fast is not None:  # it takes only what the strict reader takes, and reads it alike
        assert fast == _strict(raw)
        assert json.dumps(fast, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() == raw
    if how == 0 and _strict(raw) != "refused":  # as credreg writes it: the fast reader's
        assert fast is not None
    if how in (3, 4):  # a duplicate key or NaN: never the fast reader's
        assert fast is None and _strict(raw) == "refused"
    # and decode_receipt, which takes either path, reads what the strict reader reads
    strict = _strict(raw)
    expected = strict if isinstance(strict, dict) and all(k in strict for k in proofs.RECEIPT_FIELDS) else "refused"
    if re.search(rb"\\u[dD][89a-fA-F]", raw):  # a surrogate escape is refused by name
        expected = "refused"
    try:
        decoded = proofs.decode_receipt("u" + _unpadded(raw))
    except CredregError:
        decoded = "refused"
    assert decoded == expected


def test_a_receipt_as_credreg_writes_it_takes_the_fast_reader():
    receipt = {"targetHash": "ab" * 32, "merkleRoot": "cd" * 32, "path": [{"left": "ef" * 32}],
               "anchor": {"chainId": 31337, "registry": "0x" + "12" * 20, "transactionHash": "0x" + "34" * 32,
                          "blockNumber": 7}}
    raw = base64.urlsafe_b64decode(proofs.encode_receipt(receipt)[1:] + "==")
    assert _receipt_fast.canonical_receipt(raw) == receipt
