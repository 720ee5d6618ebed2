"""The fast base58btc encoder gives exactly what the ``base58`` package gives."""

from __future__ import annotations

import random

import base58

from registry.credentials._base58 import b58encode


def test_same_text_as_the_base58_package():
    rng = random.Random(58)
    inputs = [rng.randbytes(64) for _ in range(2000)] + [rng.randbytes(n) for n in range(0, 80)]
    inputs += [b"\0" * k + rng.randbytes(64 - k) for k in range(65)] + [b"", b"\0", b"\1", b"\0\0\1", b"\xff" * 64]
    inputs += [(58 ** k).to_bytes(64, "big") for k in range(1, 88)] + [(58 ** k - 1).to_bytes(64, "big") for k in range(1, 88)]
    for data in inputs:
        assert b58encode(data) == base58.b58encode(data).decode("ascii"), data.hex()
