"""A status list's bits and their ``encodedList``: W3C Bitstring Status List v1.0, "Bitstring Encoding".

Index 0 is the left-most bit (the most significant bit of the first byte). ``encodedList`` is
the multibase base64url (``u``, no padding) of the GZIP of the bitstring. Decoding is bounded: a
list that inflates past its declared size is refused before it is held in memory.
"""

from __future__ import annotations

import base64
import gzip
import zlib
from collections.abc import Iterable

from registry.errors import BadInput

_MAX_BYTES = 1 << 24  # 128 Mibit: far above any list credreg writes, far below a decompression bomb


def encode(size: int, set_bits: Iterable[int]) -> str:
    """The ``encodedList`` of a ``size``-bit list with ``set_bits`` set."""
    if size <= 0 or size % 8:
        raise BadInput(f"a status list's size must be a positive multiple of 8, got {size}")
    bits = bytearray(size // 8)
    for index in set_bits:
        if not 0 <= index < size:
            raise BadInput(f"status index {index} is outside a list of {size:,}")
        bits[index >> 3] |= 0x80 >> (index & 7)
    # mtime=0: the same bits always give the same text (and the same ETag once served)
    packed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def decode(encoded: object, max_bytes: int = _MAX_BYTES) -> bytes:
    """The bitstring of an ``encodedList``; BadInput for one that is not multibase base64url GZIP."""
    if not isinstance(encoded, str) or not encoded.startswith("u") or not encoded[1:].isascii():
        raise BadInput("encodedList: not a multibase base64url ('u…') string")
    body = encoded[1:]
    try:
        # validate=True: a character outside base64url is an error, not silently skipped
        packed = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True)
        inflater = zlib.decompressobj(wbits=31)  # gzip framing
        bits = inflater.decompress(packed, max_bytes + 1)
    except (ValueError, zlib.error) as exc:  # binascii.Error is a ValueError
        raise BadInput(f"encodedList: not base64url GZIP ({exc})") from None
    if len(bits) > max_bytes or inflater.unconsumed_tail:
        raise BadInput(f"encodedList: inflates past {max_bytes:,} bytes")
    if not inflater.eof:
        raise BadInput("encodedList: the GZIP stream is truncated")
    return bits


def set_bits(bits: bytes) -> list[int]:
    """The indices of the bits that are set, in order."""
    out = []
    for at, byte in enumerate(bits):
        if byte:
            out += [at * 8 + k for k in range(8) if byte & (0x80 >> k)]
    return out
