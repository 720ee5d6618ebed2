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
