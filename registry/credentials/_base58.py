"""A speed trick: base58btc encoding of a signature, twice as fast as the ``base58`` package.

Why: ``base58.b58encode`` divides one big integer by 58 once per output character; for the 64
bytes of an Ed25519 signature that is a twentieth of signing a credential. What: the same
number is split into base-58**10 chunks (one big division per ten characters), and each chunk
into pairs of characters from a table. Correctness is pinned by ``tests/unit/test_base58.py``:
the same text as ``base58.b58encode`` for random, zero-led and edge inputs.
"""

from __future__ import annotations

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"  # Bitcoin's
_PAIRS = [a + b for a in ALPHABET for b in ALPHABET]  # 58 * 58 = 3364 two-character digits
_CHUNK = 58 ** 10


def b58encode(data: bytes) -> str:
    """``base58.b58encode(data).decode("ascii")``."""
    number = int.from_bytes(data, "big")
    chunks: list[str] = []
    while number:
        number, chunk = divmod(number, _CHUNK)
        pairs = []
        for _ in range(5):
            chunk, pair = divmod(chunk, 3364)
            pairs.append(_PAIRS[pair])
        chunks.append("".join(reversed(pairs)))
    # Leading zero bytes are "1"s; the chunks' own leading zero digits ("1"s) are not.
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + "".join(reversed(chunks)).lstrip("1")
