"""A latency trick: batches are verified beside the event loop, not on it.

Why: a worker process answers all its connections from one event loop. Verifying a batch is
pure Python, about 0.15 ms a credential; run on the loop, a batch of 100 holds every single
request of that worker's connections for 15 ms or more (more while another process has the core),
and under a mixed load that wait is the single route's p99 (bench/soak.py).

What: each worker verifies batches of up to a mebibyte of body (some 250 signed credentials, as
an HR system sends a candidate's stack) in one thread of its own (one, so batches still queue behind
each other as they did on the loop, and a burst of them cannot crowd out the loop with threads),
and the interpreter's switch interval is cut from 5 ms to 0.5 ms, so that when a request wakes
the loop while that thread runs, the loop has the GIL back within half a millisecond instead of
five. The loop then verifies its request and goes back to waiting, which releases the GIL, and the
batch goes on. The batch gets a little slower when singles interleave with it; singles no longer
wait for whole batches. A bulk batch (more than :data:`MAX_BYTES` of body) still runs on the loop,
as before: that keeps the worker from accepting while it verifies, so the kernel gives the next
connections, and the next bulk batches, to the other workers. With bulk batches in the lane too,
a worker kept accepting batches it could only queue while another sat idle: `bench/verify.py`'s
1,000-credential batches on two workers gave 7,050 credentials/s, against 12,150 on the loop.

Nothing verified changes: the same function runs on the same input, on another thread. The
index the verdicts read is a snapshot the indexer thread swaps whole, and the metrics are
thread-safe (prometheus_client locks them).

Measured end to end by ``bench/soak.py`` (single p99 under the mixed load, with the lane on and
off: ``--no-batch-lane``, which sets ``CREDREG_BATCH_LANE=0``) and ``bench/verify.py`` (bulk
batches); ``tests/unit/test_batch_lane.py`` pins that a single request is answered while a batch
is in the lane, and that a bulk batch is not put there.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

SWITCH_INTERVAL_S = 0.0005
MAX_BYTES = 1 << 20


class BatchLane:
    """One worker's batch thread; made when its app starts, shut when it stops."""

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="credreg-batch")
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))

    def takes(self, body_bytes: int) -> bool:
        """Whether a batch of ``body_bytes`` goes in the lane (else: on the loop, see the module)."""
        return body_bytes <= MAX_BYTES

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` on the lane's thread."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    def close(self) -> None:
        self._thread.shutdown(wait=True)
