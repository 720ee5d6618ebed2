"""Merkle batches: the blockcerts-merkletools construction, fast enough for a million leaves.

A batch of credential hashes becomes one tree, and only its root goes on chain. Holders carry a
path from their credential's hash to that root, in the format Blockcerts verifiers already read,
so the construction is exactly ``blockcerts_merkletools.MerkleTools``: leaves are 32-byte sha256
digests, a parent is ``sha256(left + right)`` over the raw bytes, pairs are not sorted, and the
last node of a level with an odd count is promoted unchanged (its path gets no step there).
A path is a list of ``{"left": hex}`` / ``{"right": hex}`` steps, leaf first, each naming the
side on which the *sibling* sits.

MerkleTools builds every proof node by node in Python. Here a tree keeps each level as two runs
of bytes (its left and right children) in one buffer; paths are rendered as JSON text for a
block of 1,024 leaves at a time, with whole-string operations (one hex conversion, one replace
and one split per level and side) and one join per leaf; the part of a path above a block is
rendered once per tree; a caller that wants every path (the anchoring job) takes them in order
from :meth:`MerkleTree.proofs_json`; and a large tree shares the hashing of its lower levels with
a forked process, straight into a shared buffer, when a CPU is idle. ``bench/merkle.py`` measures both
side by side.

Because pairs are unsorted, a path also encodes where its leaf sits. :func:`leaf_index` recovers
that position from the path and the leaf count recorded on chain, which is how the verifier finds
a credential's revocation bit without trusting any index written in the document
(ARCHITECTURE.md, invariant 5).
"""

from __future__ import annotations

import hashlib
import mmap
import os
import threading
from functools import lru_cache
from collections.abc import Iterator, Mapping, Sequence
from itertools import chain, islice, repeat
from operator import add, attrgetter, itemgetter, lshift, lt, or_, rshift

from registry.errors import BadInput

__all__ = ["MerkleTree", "Steps", "build_tree", "digest_from_hex", "expected_path_length", "leaf_index",
           "parse_path", "verify_path"]



class Steps(tuple[tuple[bool, bytes], ...]):
    """A path as :func:`parse_path` read it: (sibling is on the left, sibling digest) per step.

    The verifier parses each presented path once, then both walks it and finds its position.
    """

    __slots__ = ()

_DIGEST = 32
_HEX_DIGITS = "0123456789abcdef"
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
# From this many leaves on, a forked process shares the hashing of the lower levels.
_FORK_FROM = 1 << 16

_sha256 = hashlib.sha256
# A level's children: views into the buffer the tree was hashed into (bytes once unpickled).
_Bytes = bytes | memoryview


class MerkleTree:
    """A built batch: its root, and every leaf's path in MerkleTools' format.

    Build it with :func:`build_tree`. Its content never changes after construction (the only
    thing that does is a cache of rendered paths whose every entry is correct), so a tree can be
    shared between threads.
    """

    __slots__ = ("_root", "_paths")

    _root: bytes
    _paths: _PathTexts

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise TypeError("build a MerkleTree with registry.merkle.build_tree(leaves)")

    @classmethod
    def _assemble(cls, lefts: Sequence[_Bytes], rights: Sequence[_Bytes], root: bytes,
                  count: int) -> MerkleTree:
        tree = object.__new__(cls)
        object.__setattr__(tree, "_root", root)
        object.__setattr__(tree, "_paths", _PathTexts(tuple(lefts), tuple(rights), count))
        return tree

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("MerkleTree is immutable")

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # For a spawned worker process: the level bytes travel, the rendering cache does not.
        paths = self._paths
        return MerkleTree._assemble, ([bytes(x) for x in paths.lefts], [bytes(x) for x in paths.rights],
                                      self._root, paths.count)

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
        return self._paths.count

    def proof(self, index: int) -> list[dict[str, str]]:
        """The path of leaf ``index``, exactly as ``MerkleTools.get_proof`` returns it.

        Read straight from the level bytes rather than from :attr:`proof_json`, so the two
        forms are independent implementations that the tests hold against each other.
        """
        paths = self._paths
        paths.check_index(index)
        path: list[dict[str, str]] = []
        for level, (lefts, rights) in enumerate(zip(paths.lefts, paths.rights)):
            sibling = index ^ 1
            if sibling < paths.level_size(level):
                half = rights if sibling & 1 else lefts
                offset = (sibling >> 1) * _DIGEST
                path.append({"left" if index & 1 else "right": half[offset : offset + _DIGEST].hex()})
            index >>= 1
        return path

    proof_json = property(
        attrgetter("_paths.__getitem__"),
        doc="""``proof_json(index) -> str``: the path of leaf ``index`` as JSON text.

        Equal to ``json.dumps(tree.proof(index))``. The anchoring job writes one file per leaf,
        up to a million per batch, in leaf order, so this is the fast form: a call for the first
        leaf of a block renders the paths of the whole block at once, and the calls for the rest
        of the block are dictionary look-ups that never enter Python code. Any other index is
        rendered alone. Raises ``IndexError`` for an index outside the tree.
        """,
    )

    def proofs_json(self, start: int = 0, stop: int | None = None) -> Iterator[str]:
        """The paths of leaves ``start`` to ``stop`` (default: all) as JSON text, in leaf order.

        Each text equals ``proof_json(index)``. This is the form for a caller that wants every
        path, as the anchoring job does: blocks are rendered one after another and handed out
        without a call or a look-up per leaf, and none is kept once it has been handed out.
        """
        count = self._paths.count
        stop = count if stop is None else stop
        if not (isinstance(start, int) and isinstance(stop, int) and 0 <= start <= stop <= count):
            raise IndexError(f"leaf range {start!r}:{stop!r} is out of range for {count} leaves")
        if start == stop:
            return iter(())
        blocks = range(start >> _BLOCK_BITS, ((stop - 1) >> _BLOCK_BITS) + 1)
        texts = chain.from_iterable(map(self._paths._render_block, blocks))
        skip = start & _BLOCK_MASK
        return islice(texts, skip, skip + stop - start)


class _PathTexts(dict[int, str]):
    """Leaf index -> JSON path text, holding one block of leaves; renders whatever is missing.

    Each level is kept as two byte strings, its left and right children, so a block's steps are
    rendered from one slice of each with a few whole-string operations. The text above the
    block level is shared by all the leaves of a block and rendered once per tree.
    """

    __slots__ = ("lefts", "rights", "count", "_above")

    def __init__(self, lefts: tuple[_Bytes, ...], rights: tuple[_Bytes, ...], count: int) -> None:
        super().__init__()
        self.lefts, self.rights, self.count = lefts, rights, count
        above = ["]"]
        for level in range(len(lefts) - 1, _BLOCK_BITS - 1, -1):
            above = list(map(add, self._steps(level, 0, self.level_size(level)), _doubled(above)))
        self._above = above

    def __missing__(self, index: int) -> str:
        # Called by dict lookup on a miss: the first leaf of a block brings in the whole block
        # (replacing the one held), any other leaf is rendered on its own and not kept.
        self.check_index(index)
        if index & _BLOCK_MASK:
            return self._render_one(index)
        texts = self._render_block(index >> _BLOCK_BITS)
        self.clear()
        self.update(zip(range(index, index + len(texts)), texts))
        return texts[0]

    def check_index(self, index: int) -> None:
        if not isinstance(index, int):
            raise TypeError(f"leaf index must be an int, not {type(index).__name__}")
        if not 0 <= index < self.count:
            raise IndexError(f"leaf index {index} is out of range for {self.count} leaves")

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

    def _render_block(self, block: int) -> list[str]:
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
        """:meth:`_render_block` for a block of 2**_BLOCK_BITS leaves, where nothing is promoted.

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

    def _render_one(self, index: int) -> str:
        parts = []
        for level in range(min(_BLOCK_BITS, len(self.lefts))):
            node = index >> level
            if node | 1 < self.level_size(level):  # it has a sibling: not promoted here
                pair = node & ~1
                parts.append(self._steps(level, pair, pair + 2)[node & 1])
        text = "".join(parts) + self._above[index >> _BLOCK_BITS]
        return _open_promoted(text) if self.count & 1 and index == self.count - 1 else text


def build_tree(leaves: Sequence[bytes]) -> MerkleTree:
    """Build the batch tree over ``leaves`` (32-byte sha256 digests, in batch order).

    The order fixes the positions: leaf ``i`` is what revocation bit ``i`` on chain refers to.
    Raises :class:`~registry.errors.BadInput` for an empty batch or a leaf that is not 32 bytes,
    since MerkleTools would quietly build a tree no verifier could match.
    """
    nodes = _checked_leaves(leaves)
    lefts, rights, root = _hash_tree(nodes, fork=_can_fork(len(nodes)))
    return MerkleTree._assemble(lefts, rights, root, len(nodes))


def verify_path(
    target_hash: bytes | str, path: Sequence[Mapping[str, str]] | Steps, root: bytes | str
) -> bool:
    """Whether walking ``path`` up from ``target_hash`` ends at ``root``.

    The arithmetic of ``MerkleTools.validate_proof``, but strict about shape: each step must have
    exactly one of ``left``/``right`` holding 64 lowercase hex digits, so one path has one
    reading. A malformed path raises :class:`~registry.errors.BadInput`; a well-formed one that
    leads elsewhere returns ``False``. This proves membership only: :func:`leaf_index` says
    *which* leaf. ``path`` may also be what :func:`parse_path` made of one.
    """
    current = _digest(target_hash, "target hash")
    expected = _digest(root, "root")
    for sibling_is_left, sibling in _steps_of(path):
        current = _sha256(sibling + current if sibling_is_left else current + sibling).digest()
    return current == expected


def leaf_index(path: Sequence[Mapping[str, str]] | Steps, leaf_count: int) -> int:
    """The position of the leaf that ``path`` proves, in a tree of ``leaf_count`` leaves.

    The verifier reads revocation bits by this position, so it must come from the path and the
    leaf count anchored on chain, never from a field a holder could edit. The level sizes fix
    where promotions happen; walking them from the root down, a node either is promoted (it is
    the left child and the path has no step there) or takes the next step from the top, whose
    side says which child it is. A path whose length or shape cannot occur in such a tree raises
    :class:`~registry.errors.BadInput`.

    With :func:`verify_path` this pins one leaf: a path that reaches the root and has the right
    shape is, short of a sha256 collision, the tree's own path for that position. ``path`` may
    also be what :func:`parse_path` made of one.
    """
    steps = _steps_of(path)
    sizes = _level_sizes(leaf_count)
    if len(steps) == len(sizes) - 1:
        # Most paths have a step at every level: then the sides spell the position in binary,
        # which holds if no node on the way up is the promoted last one of its level.
        index = sum(map(lshift, map(itemgetter(0), steps), range(len(steps))))
        if all(map(lt, map(or_, map(rshift, repeat(index), range(len(steps))), repeat(1)), sizes)):
            return index
    if len(steps) > len(sizes) - 1:
        raise BadInput(
            f"Merkle path has {len(steps)} steps; a tree of {leaf_count} leaves has at most {len(sizes) - 1}"
        )
    remaining = len(steps)
    index = 0
    for size in reversed(sizes[:-1]):
        index *= 2
        if index + 1 < size:
            if not remaining:
                raise BadInput(f"Merkle path is too short for a tree of {leaf_count} leaves")
            remaining -= 1
            index += steps[remaining][0]  # sibling on the left: this node is the right child
    if remaining:
        raise BadInput(
            f"Merkle path has {remaining} step(s) more than its position in a tree of "
            f"{leaf_count} leaves allows"
        )
    return index


def expected_path_length(index: int, leaf_count: int) -> int:
    """How many steps the path of leaf ``index`` has: one per level where it is not promoted."""
    sizes = _level_sizes(leaf_count)
    if not isinstance(index, int) or not 0 <= index < leaf_count:
        raise BadInput(f"leaf index {index!r} is out of range for {leaf_count} leaves")
    return sum(((index >> level) ^ 1) < size for level, size in enumerate(sizes[:-1]))


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

    Every level's children go into one buffer, shared with the child process when there is
    one, so its work lands in place and nothing is copied back. The leaves are cut into chunks
    of 2**low, so each chunk has the pairs, parities and promotions of the whole tree up to
    level ``low`` and climbs to one node there; the few levels above are hashed here.
    The two processes take chunks in turn from a pipe rather than a fixed half each: on a
    shared VM one CPU is often slower for a while, and a fixed split waits for it.
    """
    _reap()
    spans, size = _level_spans(len(nodes))
    low = len(nodes).bit_length() - 5
    chunks = -(-len(nodes) >> low) if fork and low > 0 else 1
    if chunks < 2:
        buffer = memoryview(bytearray(size))
        top = _climb(nodes, buffer, spans)
        return _halves(buffer, spans, top[0])
    # Chunk k's node at level `low` goes to slot k after the levels, for the parent to climb on.
    shared = mmap.mmap(-1, size + chunks * _DIGEST)
    if hasattr(shared, "madvise") and hasattr(mmap, "MADV_HUGEPAGE"):
        shared.madvise(mmap.MADV_HUGEPAGE)  # far fewer page faults, which are dear on a VM
    buffer = memoryview(shared)

    def climb_chunk(k: int) -> None:
        first = k << low
        buffer[size + k * _DIGEST : size + (k + 1) * _DIGEST] = _climb(
            nodes[first : first + (1 << low)], buffer, spans[:low], first)[0]

    # One byte per chunk (32 at most): a pipe hands each byte to exactly one reader.
    todo_read, todo_write = os.pipe()
    os.write(todo_write, bytes(range(chunks)))
    os.close(todo_write)
    done_read, done_write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child, which reports through `shared`
        status = 1
        try:
            os.close(done_read)
            while k := os.read(todo_read, 1):
                climb_chunk(k[0])
                os.write(done_write, k)
            os.write(done_write, b"\xff")  # all done: the parent need not wait for this exit
            status = 0
        finally:
            os._exit(status)
    os.close(done_write)
    done = set()
    try:
        while k := os.read(todo_read, 1):
            climb_chunk(k[0])
            done.add(k[0])
    finally:
        os.close(todo_read)
        while (k := os.read(done_read, 1)) not in (b"", b"\xff"):  # b"": the child failed
            done.add(k[0])
        os.close(done_read)
        _unreaped.append(child)
    for k in set(range(chunks)) - done:  # the child's unfinished chunks (out of memory, killed)
        climb_chunk(k)
    top = [buffer[k : k + _DIGEST].tobytes() for k in range(size, len(buffer), _DIGEST)]
    top = _climb(top, buffer, spans[low:])
    return _halves(buffer[:size], spans, top[0])


def _halves(buffer: memoryview, spans: list[tuple[int, int, int]], root: bytes
            ) -> tuple[list[_Bytes], list[_Bytes], bytes]:
    """Each level's lefts and rights as read-only views into ``buffer``, and the root."""
    buffer = buffer.toreadonly()
    return [buffer[a:b] for a, b, _ in spans], [buffer[b:c] for _, b, c in spans], root


_unreaped: list[int] = []


def _reap() -> None:
    """Collect the hashing children that have exited since (they exit right after reporting)."""
    for pid in list(_unreaped):
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                _unreaped.remove(pid)
        except ChildProcessError:
            _unreaped.remove(pid)


def _can_fork(count: int) -> bool:
    # A fork copies only the calling thread: with other threads alive, a lock one of them holds
    # (in OpenSSL, say) would stay locked in the child, so such processes hash in one process.
    # And a second process only pays when a CPU is idle: on a busy machine it measured slower.
    return (
        count >= _FORK_FROM
        and hasattr(os, "fork")
        and threading.active_count() == 1
        and _idle_cpus() >= 1
    )


def _idle_cpus() -> float:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]  # counting this process
    except (AttributeError, OSError):
        busy = 1.0
    return cpus - max(busy, 1.0) + 0.5


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


@lru_cache(maxsize=1024, typed=True)  # one per batch size; the verifier asks per credential
def _level_sizes(leaf_count: int) -> tuple[int, ...]:
    if isinstance(leaf_count, bool) or not isinstance(leaf_count, int) or leaf_count < 1:
        raise BadInput(f"leaf count must be a positive integer, not {leaf_count!r}")
    sizes = [leaf_count]
    while sizes[-1] > 1:
        sizes.append((sizes[-1] + 1) // 2)
    return tuple(sizes)


def parse_path(path: Sequence[Mapping[str, str]]) -> Steps:
    """Each step as (sibling is on the left, sibling digest); BadInput unless well-formed.

    Well-formed means a list of objects with exactly one key, ``left`` or ``right``, holding 64
    lowercase hex digits, so that one path has one reading. The digests of a path decoded from
    JSON are checked and converted all at once; only a path that fails is walked step by step,
    to name the step at fault.
    """
    if type(path) is not list:
        if isinstance(path, (str, bytes, bytearray, Mapping)) or not isinstance(path, Sequence):
            raise BadInput(f"Merkle path must be a list of steps, not {type(path).__name__}")
    elif set(map(type, path)) <= {dict} and set(map(len, path)) <= {1}:
        # A path decoded from JSON: one-key objects, read by whole-list operations in C.
        keys = list(map(next, map(iter, path)))
        values = list(map(next, map(iter, map(dict.values, path))))
        if set(keys) <= {"left", "right"} and set(map(type, values)) <= {str} \
                and set(map(len, values)) <= {2 * _DIGEST}:
            raw = digest_from_hex("".join(values))
            if raw is not None:
                digests = [raw[k : k + _DIGEST] for k in range(0, len(raw), _DIGEST)]
                return Steps(zip(map("left".__eq__, keys), digests))
    sides: list[bool] = []
    values: list[object] = []
    for position, step in enumerate(path):
        if type(step) is not dict and not isinstance(step, Mapping) or len(step) != 1:
            raise BadInput(f"Merkle path step {position} must be an object with one key, left or right")
        ((side, value),) = step.items()
        if side == "left":
            sides.append(True)
        elif side == "right":
            sides.append(False)
        else:
            raise BadInput(f"Merkle path step {position} has key {side!r}; expected left or right")
        values.append(value)
    digests = []
    for position, value in enumerate(values):  # something is off: find the step and name it
        if not isinstance(value, str):
            raise BadInput(f"Merkle path step {position} must hold a hex string, not {type(value).__name__}")
        digests.append(_digest(value, f"Merkle path step {position}"))
    return Steps(zip(sides, digests))


def _steps_of(path: Sequence[Mapping[str, str]] | Steps) -> Steps:
    return path if isinstance(path, Steps) else parse_path(path)


def digest_from_hex(text: str) -> bytes | None:
    """The bytes that ``text`` spells if it is lowercase hex digits and nothing else, else None.

    ``bytes.fromhex`` checks the digits in C; the white space and upper case it would also take
    are ruled out by the length and a lower-case comparison (far quicker than ``str.strip``).
    """
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return None
    return raw if 2 * len(raw) == len(text) and text.lower() == text else None


def _digest(value: bytes | str, what: str) -> bytes:
    if isinstance(value, str):
        raw = digest_from_hex(value) if len(value) == 2 * _DIGEST else None
        if raw is None:
            raise BadInput(f"{what} must be 64 lowercase hex digits without 0x, not {value!r}")
        return raw
    if isinstance(value, (bytes, bytearray, memoryview)) and len(value) == _DIGEST:
        return bytes(value)
    raise BadInput(f"{what} must be 32 bytes or 64 lowercase hex digits, not {value!r}")
