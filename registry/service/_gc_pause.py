"""The cyclic garbage collector held off while a batch is parsed, verified and answered.

Why: a batch of 1,000 signed credentials parses into about 10,000 dicts and as many lists, and
its receipts, verdicts and answer make as many again, all alive until the answer is written.
Every 700 new objects set off a collection that finds nothing to free, and the older
generations' collections walk all of the batch again: in-process, about a tenth of the batch
route's time went to them.

What: :func:`paused` disables the collector for a ``with`` block and enables it after if it was
enabled before (so an overlapping pause, or a process that runs with the collector off, is left
as it was). The batch route runs inside it only synchronous code, from the bytes of the body to
the bytes of the answer, and lets all it made go before the block ends: reference counting frees
it, and the collection that the next allocation sets off has nothing of the batch left to walk.
Verification makes no reference cycle that must be freed sooner; any it makes (an exception
held by a frame) is freed by the first collection after the block.

How correctness is pinned: only memory is at stake, never a result (the collector frees nothing
that is reachable). ``tests/unit/test_gc_pause.py``: the collector's state is restored on the
way out, by an exception too, and a nested pause leaves it to the outer one;
``tests/integration/test_verifier_service.py`` checks the batch route's answers.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection inside the block; the collector's state as it was, after it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
