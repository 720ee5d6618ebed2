"""A latency trick: batches are verified beside the event loop, not on it.

Why: a worker process answers all its connections from one event loop. Verifying a batch is
pure Python, about 0.15 ms a credential; run on the loop, a batch of 100 holds every single
request of that worker's connections for 15 ms or more (more while another process has the core),
and under a mixed load that wait is the single route's p99 (bench/soak.py).

What: each worker verifies batches in one thread of its own (one, so batches still queue behind
each other as they did on the loop, and a burst of them cannot crowd out the loop with threads),
and the interpreter's switch interval is cut from 5 ms to 0.5 ms, so that when a request wakes
the loop while that thread runs, the loop has the GIL back within half a millisecond instead of
five. The loop then verifies its request and goes back to waiting, which releases the GIL, and the
batch goes on. The batch gets a little slower when singles interleave with it; singles no longer
wait for whole batches. Nothing verified changes: the same function runs on the same input,
on another thread. The index the verdicts read is a snapshot the indexer thread swaps whole,
and the metrics are thread-safe (prometheus_client locks them).

Measured end to end by ``bench/soak.py`` (single p99 under the mixed load, with the lane on and
off: ``--no-batch-lane``, which sets ``CREDREG_BATCH_LANE=0``); ``tests/integration/test_verifier_service.py`` pins that a
single request is answered while a batch is in the lane.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

SWITCH_INTERVAL_S = 0.0005


class BatchLane:
    """One worker's batch thread; made when its app starts, shut when it stops."""

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="credreg-batch")
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` on the lane's thread."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    def close(self) -> None:
        self._thread.shutdown(wait=True)
