"""A large tree's lower levels hashed in two processes, this one and a forked child.

Private to :mod:`registry.merkle.tree`, which decides where the tree is cut and climbs the levels
above the cut itself. This module holds what a second process needs: whether one is worth
starting (no other thread alive, a CPU idle), the buffer both write into (shared memory, so the
child's work lands in place and nothing is copied back), the pipes that share out the chunks,
and the collection of exited children.
"""

from __future__ import annotations

import mmap
import os
import threading
from collections.abc import Callable, Sequence

__all__ = ["FORK_FROM", "can_fork", "climb_chunks", "reap", "unreaped"]

# From this many leaves on, a forked process shares the hashing of the lower levels.
FORK_FROM = 1 << 16

_DIGEST = 32  # bytes in a sha256 digest

# registry.merkle.tree._climb: (nodes, buffer, spans, first position) -> the nodes reached.
_Climb = Callable[[list[bytes], memoryview, Sequence[tuple[int, int, int]], int], list[bytes]]

# Children that have reported their work and exit on their own; reap() collects them.
unreaped: list[int] = []


def can_fork(count: int) -> bool:
    """Whether a tree of ``count`` leaves should share its hashing with a forked process."""
    # A fork copies only the calling thread: with other threads alive, a lock one of them holds
    # (in OpenSSL, say) would stay locked in the child, so such processes hash in one process.
    # And a second process only pays when a CPU is idle: on a busy machine it measured slower.
    return (
        count >= FORK_FROM
        and hasattr(os, "fork")
        and threading.active_count() == 1
        and _idle_cpus() >= 1
    )


def climb_chunks(nodes: list[bytes], spans: Sequence[tuple[int, int, int]], size: int, low: int,
                 chunks: int, climb: _Climb) -> tuple[memoryview, list[bytes]]:
    """Climb each of the ``chunks`` chunks of 2**``low`` leaves through ``spans[:low]``, shared
    out between this process and a forked one.

    Returns the ``size``-byte buffer that the levels' children went into (``spans`` say where),
    and the node each chunk reached at level ``low``, in chunk order. The two processes take
    chunks in turn from a pipe rather than a fixed half each: on a shared VM one CPU is often
    slower for a while, and a fixed split waits for it. Chunks the child took but never reported
    (it ran out of memory, or was killed) are climbed here.
    """
    # Chunk k's node at level `low` goes to slot k after the levels, for the parent to climb on.
    shared = mmap.mmap(-1, size + chunks * _DIGEST)
    if hasattr(shared, "madvise") and hasattr(mmap, "MADV_HUGEPAGE"):
        shared.madvise(mmap.MADV_HUGEPAGE)  # far fewer page faults, which are dear on a VM
    buffer = memoryview(shared)

    def climb_chunk(k: int) -> None:
        first = k << low
        buffer[size + k * _DIGEST : size + (k + 1) * _DIGEST] = climb(
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
        unreaped.append(child)
    for k in set(range(chunks)) - done:  # the child's unfinished chunks
        climb_chunk(k)
    tops = [buffer[k : k + _DIGEST].tobytes() for k in range(size, len(buffer), _DIGEST)]
    return buffer[:size], tops


def reap() -> None:
    """Collect the hashing children that have exited since (they exit right after reporting)."""
    for pid in list(unreaped):
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                unreaped.remove(pid)
        except ChildProcessError:
            unreaped.remove(pid)


def _idle_cpus() -> float:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]  # counting this process
    except (AttributeError, OSError):
        busy = 1.0
    return cpus - max(busy, 1.0) + 0.5
