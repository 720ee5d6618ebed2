"""Merkle paths as the verifier checks them: read one, walk it to the root, find its leaf.

This is the part of the Merkle code that a reviewer must check for correctness, kept small and
plain on purpose; the fast tree builder beside it (:mod:`registry.merkle.tree`) is tested against
it.

The construction is exactly that of ``blockcerts_merkletools.MerkleTools``, so that paths are in
the format Blockcerts verifiers already read:

- a leaf is a 32-byte sha256 digest (a credential's ``targetHash``);
- a parent is ``sha256(left + right)`` over the raw 32 + 32 bytes, not over hex text;
- pairs are not sorted: the left child is the one with the lower position;
- a level with an odd number of nodes promotes its last node unchanged to the level above, so the
  path of a leaf under it has no step at that level.

A path is a list of steps from the leaf up, each ``{"left": hex}`` or ``{"right": hex}``: the
sibling's digest and the side on which the *sibling* sits.

Because pairs are unsorted, the sides of a path also spell where its leaf sits. The verifier reads
a credential's revocation bit by that position, so :func:`leaf_index` derives it from the path and
the leaf count anchored on chain with the root, and never from an index written in the document,
which a holder could edit (ARCHITECTURE.md, invariant 5). A path that reaches the root and has the
shape of a real position is, short of a sha256 collision, the tree's own path for that position.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from functools import lru_cache

from registry.errors import BadInput

__all__ = ["Steps", "digest_from_hex", "leaf_index", "parse_path", "verify_path"]

_DIGEST = 32  # bytes in a sha256 digest


class Steps(tuple[tuple[bool, bytes], ...]):
    """A path as :func:`parse_path` read it: (sibling is on the left, sibling digest) per step.

    The verifier parses each presented path once, then both walks it and finds its position.
    """

    __slots__ = ()


def parse_path(path: Sequence[Mapping[str, str]]) -> Steps:
    """Each step as (sibling is on the left, sibling digest); BadInput unless well-formed.

    Well-formed means a list of objects with exactly one key, ``left`` or ``right``, holding 64
    lowercase hex digits, so that one path has one reading. The shape of every step is checked
    before any digest, so a path with faults of both kinds is reported by its first misshapen step.
    """
    if isinstance(path, (str, bytes, bytearray, Mapping)) or not isinstance(path, Sequence):
        raise BadInput(f"Merkle path must be a list of steps, not {type(path).__name__}")
    sides: list[bool] = []
    values: list[object] = []
    for position, step in enumerate(path):
        if not isinstance(step, Mapping) or len(step) != 1:
            raise BadInput(f"Merkle path step {position} must be an object with one key, left or right")
        ((side, value),) = step.items()
        if side == "left":
            sides.append(True)
        elif side == "right":
            sides.append(False)
        else:
            raise BadInput(f"Merkle path step {position} has key {side!r}; expected left or right")
        values.append(value)
    digests: list[bytes] = []
    for position, value in enumerate(values):
        if not isinstance(value, str):
            raise BadInput(f"Merkle path step {position} must hold a hex string, not {type(value).__name__}")
        digest = digest_from_hex(value) if len(value) == 2 * _DIGEST else None
        if digest is None:
            raise BadInput(
                f"Merkle path step {position} must be 64 lowercase hex digits without 0x, not {value!r}"
            )
        digests.append(digest)
    return Steps(zip(sides, digests))


def verify_path(
    target_hash: bytes | str, path: Sequence[Mapping[str, str]] | Steps, root: bytes | str
) -> bool:
    """Whether walking ``path`` up from ``target_hash`` ends at ``root``.

    The arithmetic of ``MerkleTools.validate_proof``, but strict about shape (see
    :func:`parse_path`). A malformed path raises :class:`~registry.errors.BadInput`; a well-formed
    one that leads elsewhere returns ``False``. This proves membership only: :func:`leaf_index`
    says *which* leaf. ``path`` may also be what :func:`parse_path` made of one.
    """
    current = _digest(target_hash, "target hash")
    expected = _digest(root, "root")
    for sibling_is_left, sibling in _steps_of(path):
        pair = sibling + current if sibling_is_left else current + sibling
        current = hashlib.sha256(pair).digest()
    return current == expected


def leaf_index(path: Sequence[Mapping[str, str]] | Steps, leaf_count: int) -> int:
    """The position of the leaf that ``path`` proves, in a tree of ``leaf_count`` leaves.

    The leaf count fixes every level's size, and so where promotions happen. Walking the levels
    from the root down, the node on the way is either promoted (it is the last node of a level of
    odd size, so the path has no step there and it is the left child) or it takes the next step
    from the top of the path, whose side says which child it is: a sibling on the left means this
    node is the right child. A path whose length or shape cannot occur in such a tree raises
    :class:`~registry.errors.BadInput`. ``path`` may also be what :func:`parse_path` made of one.
    """
    steps = _steps_of(path)
    sizes = _level_sizes(leaf_count)
    levels = len(sizes) - 1  # the levels below the root, each giving at most one step
    if len(steps) > levels:
        raise BadInput(f"Merkle path has {len(steps)} steps; a tree of {leaf_count} leaves has at most {levels}")
    remaining = len(steps)  # steps[remaining - 1] is the next one down from the root
    index = 0
    for size in reversed(sizes[:-1]):
        index *= 2  # the left child of the node above
        has_sibling = index + 1 < size
        if has_sibling:
            if not remaining:
                raise BadInput(f"Merkle path is too short for a tree of {leaf_count} leaves")
            remaining -= 1
            sibling_is_left, _ = steps[remaining]
            if sibling_is_left:
                index += 1
    if remaining:
        raise BadInput(
            f"Merkle path has {remaining} step(s) more than its position in a tree of "
            f"{leaf_count} leaves allows"
        )
    return index


def digest_from_hex(text: str) -> bytes | None:
    """The bytes that ``text`` spells if it is lowercase hex digits and nothing else, else None.

    ``bytes.fromhex`` checks the digits; the white space it skips is ruled out by the length, and
    upper case by comparing with the lowered text.
    """
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return None
    return raw if 2 * len(raw) == len(text) and text.lower() == text else None


@lru_cache(maxsize=1024, typed=True)  # one entry per batch size; the verifier asks per credential
def _level_sizes(leaf_count: int) -> tuple[int, ...]:
    """The number of nodes at each level, from the leaves up to the root's 1."""
    if isinstance(leaf_count, bool) or not isinstance(leaf_count, int) or leaf_count < 1:
        raise BadInput(f"leaf count must be a positive integer, not {leaf_count!r}")
    sizes = [leaf_count]
    while sizes[-1] > 1:
        sizes.append((sizes[-1] + 1) // 2)  # pairs, and the promoted last node of an odd level
    return tuple(sizes)


def _steps_of(path: Sequence[Mapping[str, str]] | Steps) -> Steps:
    return path if isinstance(path, Steps) else parse_path(path)


def _digest(value: bytes | str, what: str) -> bytes:
    if isinstance(value, str):
        raw = digest_from_hex(value) if len(value) == 2 * _DIGEST else None
        if raw is None:
            raise BadInput(f"{what} must be 64 lowercase hex digits without 0x, not {value!r}")
        return raw
    if isinstance(value, (bytes, bytearray, memoryview)) and len(value) == _DIGEST:
        return bytes(value)
    raise BadInput(f"{what} must be 32 bytes or 64 lowercase hex digits, not {value!r}")
