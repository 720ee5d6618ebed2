"""The batch tree the anchoring job builds, and every leaf's path as JSON text, fast.

The construction is the one :mod:`registry.merkle.paths` explains and checks (that of
blockcerts-merkletools); this module is the fast way to build a tree of up to a million leaves
and render the path of each. The tests hold it against both ``paths`` and MerkleTools.

MerkleTools builds every proof node by node in Python. Here a tree keeps each level as two runs
of bytes (its left and right children) in one buffer; paths are rendered as JSON text for a
block of 1,024 leaves at a time, with whole-string operations (one hex conversion, one replace
and one split per level and side) and one join per leaf; the part of a path above a block is
rendered once per tree; a caller takes the paths in order from :meth:`MerkleTree.proofs_json`;
and a large tree shares the hashing of its lower levels with a forked process
(:mod:`registry.merkle._forked`), straight into a shared buffer, when a CPU is idle.
``bench/merkle.py`` measures this against MerkleTools side by side.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from itertools import chain, islice, repeat
from operator import add

from registry.errors import BadInput
from registry.merkle import _forked

__all__ = ["MerkleTree", "build_tree"]

_DIGEST = 32  # bytes in a sha256 digest
# Paths are rendered for 2**_BLOCK_BITS consecutive leaves at once: large enough that the fixed
# cost of a rendering pass is spread thin, small enough that a block's texts stay in cache.
_BLOCK_BITS = 10
_BLOCK_MASK = (1 << _BLOCK_BITS) - 1
_BLOCK_SIZE = 1 << _BLOCK_BITS
# The bottom levels of a block, whose steps are joined straight into each leaf's text.
_JOINED_PER_LEAF = 3
# What goes before each leaf's sibling digest at those levels in a full block: the end of the
# step below (none at the bottom), and the opening of this one, whose side the position fixes.
_FRAMES = tuple(
    ([f'{close}{{"right": "'] * (1 << level) + [f'{close}{{"left": "'] * (1 << level))
    * (_BLOCK_SIZE >> (level + 1))
    for level, close in enumerate(["["] + ['"}, '] * (_JOINED_PER_LEAF - 1))
)
_sha256 = hashlib.sha256
# A level's children: views into the buffer the tree was hashed into (bytes once unpickled).
_Bytes = bytes | memoryview


class MerkleTree:
    """A built batch: its root, and every leaf's path in MerkleTools' format.

    Build it with :func:`build_tree`. Nothing in it changes after construction, so a tree can be
    shared between threads.
    """

    __slots__ = ("_root", "_levels")

    _root: bytes
    _levels: _Levels

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError("build a MerkleTree with registry.merkle.tree.build_tree(leaves)")

    @classmethod
    def _assemble(cls, lefts: Sequence[_Bytes], rights: Sequence[_Bytes], root: bytes,
                  count: int) -> MerkleTree:
        tree = object.__new__(cls)
        object.__setattr__(tree, "_root", root)
        object.__setattr__(tree, "_levels", _Levels(tuple(lefts), tuple(rights), count))
        return tree

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("MerkleTree is immutable")

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # For a spawned worker process: the level bytes travel (as bytes: views do not pickle).
        levels = self._levels
        return MerkleTree._assemble, ([bytes(x) for x in levels.lefts], [bytes(x) for x in levels.rights],
                                      self._root, levels.count)

    def __repr__(self) -> str:
        return f"MerkleTree(leaf_count={self.leaf_count}, root={self.root_hex!r})"

    @property
    def root(self) -> bytes:
        """The 32 bytes that go on chain with ``anchorRoot``."""
        return self._root

    @property
    def root_hex(self) -> str:
        """The root as lowercase hex without ``0x``, as a proof's ``merkleRoot`` holds it."""
        return self._root.hex()

    @property
    def leaf_count(self) -> int:
        """How many leaves; anchored with the root so that paths map to positions."""
        return self._levels.count

    def proof(self, index: int) -> list[dict[str, str]]:
        """The path of leaf ``index``, exactly as ``MerkleTools.get_proof`` returns it.

        Read straight from the level bytes, node by node, rather than rendered as
        :meth:`proofs_json` does it, so the two forms are independent implementations that the
        tests hold against each other. Raises ``IndexError`` for an index outside the tree.
        """
        levels = self._levels
        if not isinstance(index, int):
            raise TypeError(f"leaf index must be an int, not {type(index).__name__}")
        if not 0 <= index < levels.count:
            raise IndexError(f"leaf index {index} is out of range for {levels.count} leaves")
        path: list[dict[str, str]] = []
        for level, (lefts, rights) in enumerate(zip(levels.lefts, levels.rights)):
            sibling = index ^ 1
            if sibling < levels.level_size(level):
                half = rights if sibling & 1 else lefts
                offset = (sibling >> 1) * _DIGEST
                path.append({"left" if index & 1 else "right": half[offset : offset + _DIGEST].hex()})
            index >>= 1
        return path

    def proofs_json(self, start: int = 0, stop: int | None = None) -> Iterator[str]:
        """The paths of leaves ``start`` to ``stop`` (default: all) as JSON text, in leaf order.

        Each text equals ``json.dumps(tree.proof(index))``. The anchoring job writes one file per
        leaf, up to a million per batch, in leaf order, so this is the fast form: blocks are
        rendered one after another and handed out without a call or a look-up per leaf, and none
        is kept once it has been handed out. Raises ``IndexError`` for a range outside the tree.
        """
        count = self._levels.count
        stop = count if stop is None else stop
        if not (isinstance(start, int) and isinstance(stop, int) and 0 <= start <= stop <= count):
            raise IndexError(f"leaf range {start!r}:{stop!r} is out of range for {count} leaves")
        if start == stop:
            return iter(())
        blocks = range(start >> _BLOCK_BITS, ((stop - 1) >> _BLOCK_BITS) + 1)
        texts = chain.from_iterable(map(self._levels.render_block, blocks))
        skip = start & _BLOCK_MASK
        return islice(texts, skip, skip + stop - start)


class _Levels:
    """A tree's levels below the root, and the rendering of its leaves' paths from them.

    Each level is kept as two byte strings, its left and right children, so a block's steps are
    rendered from one slice of each with a few whole-string operations. The text above the
    block level is shared by all the leaves of a block and rendered once per tree.
    """

    __slots__ = ("lefts", "rights", "count", "_above")

    def __init__(self, lefts: tuple[_Bytes, ...], rights: tuple[_Bytes, ...], count: int) -> None:
        self.lefts, self.rights, self.count = lefts, rights, count
        above = ["]"]
        for level in range(len(lefts) - 1, _BLOCK_BITS - 1, -1):
            above = list(map(add, self._steps(level, 0, self.level_size(level)), _doubled(above)))
        self._above = above

    def level_size(self, level: int) -> int:
        return (len(self.lefts[level]) + len(self.rights[level])) // _DIGEST

    def _steps(self, level: int, start: int, stop: int) -> list[str]:
        """The JSON step each node in ``start:stop`` (``start`` even) adds to the paths below it.

        A node's step names its sibling: an odd node's sibling is the left child of the pair, an
        even node's the right one. A promoted last node has no sibling and adds ``""``.
        """
        head = "[{" if level == 0 else ", {"  # the bottom step opens the list
        pairs = (stop - start) >> 1
        first, last = (start >> 1) * _DIGEST, ((start >> 1) + pairs) * _DIGEST
        steps = [""] * (stop - start)
        steps[1::2] = _render(self.lefts[level][first:last], head + '"left": "')
        steps[0 : 2 * pairs : 2] = _render(self.rights[level][first:last], head + '"right": "')
        return steps

    def render_block(self, block: int) -> list[str]:
        """The paths of one block's leaves, each made by one join of its pieces.

        The upper levels of the block are joined level by level into texts shared by several
        leaves; the bottom ones, where sharing is small, go into each leaf's final join.
        """
        if (block + 1) << _BLOCK_BITS <= self.count and len(self.lefts) >= _BLOCK_BITS:
            return self._render_full_block(block)
        depth = min(_BLOCK_BITS, len(self.lefts))
        shared = [""]
        for level in range(depth - 1, _JOINED_PER_LEAF - 1, -1):
            shared = list(map(add, self._block_steps(block, level), _doubled(shared)))
        columns = [shared]
        for level in range(min(_JOINED_PER_LEAF, depth) - 1, -1, -1):
            columns = [_doubled(column) for column in columns]
            columns.append(self._block_steps(block, level))
        texts = list(map("".join, zip(*reversed(columns), repeat(self._above[block]))))
        if self.count & 1 and (block + 1) << _BLOCK_BITS >= self.count:
            texts[-1] = _open_promoted(texts[-1])
        return texts

    def _render_full_block(self, block: int) -> list[str]:
        """:meth:`render_block` for a block of 2**_BLOCK_BITS leaves, where nothing is promoted.

        With every pair complete, the bottom levels' sides follow the leaf's position, so a
        leaf's final join takes their bare hex digests between fixed pieces (``_FRAMES``) and no
        step text is made for them.
        """
        shared = [""]
        for level in range(_BLOCK_BITS - 1, _JOINED_PER_LEAF - 1, -1):
            shared = list(map(add, self._block_steps(block, level), _doubled(shared)))
        columns = []
        for level in range(_JOINED_PER_LEAF):
            first = ((block << _BLOCK_BITS) >> (level + 1)) * _DIGEST
            last = first + (_BLOCK_SIZE >> (level + 1)) * _DIGEST
            siblings = [""] * (_BLOCK_SIZE >> level)
            siblings[0::2] = self.rights[level][first:last].hex("|", _DIGEST).split("|")
            siblings[1::2] = self.lefts[level][first:last].hex("|", _DIGEST).split("|")
            for _ in range(level):
                siblings = _doubled(siblings)
            columns += [_FRAMES[level], siblings]
            shared = _doubled(shared)
        return list(map("".join, zip(*columns, repeat('"}'), shared, repeat(self._above[block]))))

    def _block_steps(self, block: int, level: int) -> list[str]:
        start = (block << _BLOCK_BITS) >> level
        return self._steps(level, start, min(((block + 1) << _BLOCK_BITS) >> level, self.level_size(level)))


def build_tree(leaves: Sequence[bytes]) -> MerkleTree:
    """Build the batch tree over ``leaves`` (32-byte sha256 digests, in batch order).

    The order fixes the positions: leaf ``i`` is what revocation bit ``i`` on chain refers to.
    Raises :class:`~registry.errors.BadInput` for an empty batch or a leaf that is not 32 bytes,
    since MerkleTools would quietly build a tree no verifier could match.
    """
    nodes = _checked_leaves(leaves)
    lefts, rights, root = _hash_tree(nodes, fork=_forked.can_fork(len(nodes)))
    return MerkleTree._assemble(lefts, rights, root, len(nodes))


def _checked_leaves(leaves: Sequence[bytes]) -> list[bytes]:
    if isinstance(leaves, (str, bytes, bytearray, memoryview)) or not isinstance(leaves, Sequence):
        raise BadInput(f"Merkle leaves must be a sequence of 32-byte digests, not {type(leaves).__name__}")
    if not leaves:
        raise BadInput("cannot build a Merkle tree without leaves: the batch is empty")
    # Whole-list checks run in C (counting compares by identity first, quicker than a set);
    # only a batch that fails them is walked leaf by leaf.
    count = len(leaves)
    if list(map(type, leaves)).count(bytes) == count and list(map(len, leaves)).count(_DIGEST) == count:
        return leaves if type(leaves) is list else list(leaves)
    nodes = list(leaves)
    for position, leaf in enumerate(nodes):
        if not isinstance(leaf, (bytes, bytearray, memoryview)):
            raise BadInput(f"Merkle leaf {position} must be 32 bytes, not {type(leaf).__name__}")
        leaf = bytes(leaf)
        if len(leaf) != _DIGEST:
            raise BadInput(f"Merkle leaf {position} is {len(leaf)} bytes; a sha256 digest is 32")
        nodes[position] = leaf
    return nodes


def _level_spans(count: int) -> tuple[list[tuple[int, int, int]], int]:
    """Where each level's left and right children sit in the one buffer that holds every level:
    (start of the lefts, start of the rights, end) per level from the leaves up, and the size."""
    spans, offset = [], 0
    while count > 1:
        lefts, rights = (count + 1) // 2, count // 2
        spans.append((offset, offset + lefts * _DIGEST, offset + (lefts + rights) * _DIGEST))
        offset += (lefts + rights) * _DIGEST
        count = lefts
    return spans, offset


def _climb(nodes: list[bytes], out: memoryview, spans: Sequence[tuple[int, int, int]],
           first: int = 0) -> list[bytes]:
    """Hash up through the levels of ``spans`` from ``nodes``, which start at position ``first``
    (even) of the lowest of them; each level's children go to their places in ``out``.

    Returns the nodes reached. A part of a level (``first`` > 0) must have the pairs the whole
    level has there, which :func:`_hash_tree` ensures by where it cuts.
    """
    for lefts_at, rights_at, _ in spans:
        left, right = nodes[0::2], nodes[1::2]
        at = (first >> 1) * _DIGEST
        out[lefts_at + at : lefts_at + at + len(left) * _DIGEST] = b"".join(left)
        out[rights_at + at : rights_at + at + len(right) * _DIGEST] = b"".join(right)
        parents = [_sha256(a + b).digest() for a, b in zip(left, right)]
        if len(left) > len(right):
            parents.append(left[-1])  # the unpaired last node is promoted unchanged
        nodes, first = parents, first >> 1
    return nodes


def _hash_tree(nodes: list[bytes], fork: bool) -> tuple[list[_Bytes], list[_Bytes], bytes]:
    """All levels of the tree over ``nodes``; with ``fork``, the lower ones in two processes.

    Every level's children go into one buffer. The leaves are cut into chunks of 2**low, so each
    chunk has the pairs, parities and promotions of the whole tree up to level ``low`` and climbs
    to one node there: :func:`registry.merkle._forked.climb_chunks` shares the chunks out between
    this process and a forked one, and the few levels above are hashed here.
    """
    _forked.reap()
    spans, size = _level_spans(len(nodes))
    low = len(nodes).bit_length() - 5
    chunks = -(-len(nodes) >> low) if fork and low > 0 else 1
    if chunks < 2:
        buffer = memoryview(bytearray(size))
        top = _climb(nodes, buffer, spans)
        return _halves(buffer, spans, top[0])
    buffer, tops = _forked.climb_chunks(nodes, spans, size, low, chunks, _climb)
    top = _climb(tops, buffer, spans[low:])
    return _halves(buffer, spans, top[0])


def _halves(buffer: memoryview, spans: list[tuple[int, int, int]], root: bytes
            ) -> tuple[list[_Bytes], list[_Bytes], bytes]:
    """Each level's lefts and rights as read-only views into ``buffer``, and the root."""
    buffer = buffer.toreadonly()
    return [buffer[a:b] for a, b, _ in spans], [buffer[b:c] for _, b, c in spans], root


def _render(siblings: _Bytes, head: str) -> list[str]:
    """Each 32-byte sibling as the JSON text ``head + hex + '"}'``, in three whole-string passes."""
    if not siblings:
        return []
    text = siblings.hex("|", _DIGEST)
    return (head + text.replace("|", '"}|' + head) + '"}').split("|")


def _doubled(texts: list[str]) -> list[str]:
    doubled = texts * 2
    doubled[0::2] = texts
    doubled[1::2] = texts
    return doubled


def _open_promoted(text: str) -> str:
    # The last leaf of an odd count has no bottom step, so its text starts with a middle step's
    # ", {" (or is just "]" in a one-leaf tree).
    return "[]" if text == "]" else "[" + text[2:]
