"""A speed trick: Python's cyclic garbage collector kept out of bulk work that makes no garbage cycles.

Why: reading a 100,000-learner roster creates millions of small dicts, lists and strings, all
kept; every few hundred allocations the collector runs, and its older generations walk all of
them again: about 40% of the time of ``from_roster``. Likewise each forked signing worker
inherits those objects and, collecting its own short-lived garbage, walks them too (and so
copies their memory pages from the parent, which ``fork`` shares until they are written to).

What: :func:`paused` turns the collector off for a ``with`` block and back on after it (if it
was on); :func:`frozen` moves every object alive so far into the collector's permanent
generation for the block (``gc.freeze``, meant for just this before ``fork``), so that
collections, in this process and in its children, skip them. Neither changes what is computed:
reference counting frees everything that is not in a cycle at once, and the code run inside
makes no cycles it relies on being collected (a cycle made meanwhile is collected afterwards).
``bench/sign.py`` measures the effect end to end.

The verifier's batch route (``registry.service.routers.verify``) pauses it too, from a batch's
body bytes to its answer's: a batch of 1,000 signed credentials makes some 20,000 dicts and lists,
all alive until the answer is written, and every 700 allocations set off a collection that frees
nothing while its older generations walk the whole batch again (about a tenth of the route's
time in-process). The route lets all it made go before the block ends, so the next collection has
nothing of the batch to walk. ``tests/unit/test_gc_pause.py`` pins that the collector's state is
restored, by an exception too, and that a nested pause leaves it to the outer one.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """The cyclic collector off for the block, then as it was."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@contextmanager
def frozen() -> Iterator[None]:
    """Every object alive now left out of collections for the block (and in processes forked in it)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
