"""A speed trick: signing many credentials in forked processes, one per core.

Why: an ``eddsa-rdfc-2022`` signature costs about a millisecond of pure-Python JSON-LD work
(:mod:`~registry.credentials._jsonld_memo` already took the repeated part out), and
``credreg issue`` of a 100,000-learner roster must finish within a minute on two cores. The GIL
keeps threads on one core, so the work is split into contiguous chunks for forked children.
``bench/sign.py`` measures it.

How: the children inherit the signer and the prepared documents by ``fork`` (the private key is
never pickled, written or sent through a pipe); each signs its range with
:func:`~registry.credentials.securing.secure` and sends back only the results, in order. A child
that fails makes the whole call fail with its error, so nothing half-signed is queued. Below
:data:`MIN_PARALLEL` credentials, or with one worker, everything happens in this process.
"""

from __future__ import annotations

import multiprocessing
import os
from contextlib import nullcontext
from collections.abc import Callable, Sequence
from typing import Any

from registry.credentials._gc_pause import frozen
from registry.credentials.securing import SecuredCredential, secure
from registry.credentials.signing import Signer
from registry.errors import CredregError

MIN_PARALLEL = 2_000  # below this, starting processes costs more than it saves
_CHUNK = 500  # credentials per task: progress every few hundred, little pickling overhead

Prepare = Callable[[dict[str, Any], int], dict[str, Any]]

# Set in the parent just before the pool forks; read by the children (never pickled).
_job: tuple[Sequence[dict[str, Any]], Signer, str, str, Prepare | None] | None = None


def _sign_range(bounds: tuple[int, int]) -> list[SecuredCredential]:
    documents, signer, method, created, prepare = _job
    if prepare is None:
        return [secure(documents[i], signer, method, created) for i in range(*bounds)]
    return [secure(prepare(documents[i], i), signer, method, created) for i in range(*bounds)]


def secure_all(documents: Sequence[dict[str, Any]], signer: Signer, verification_method: str, created: str,
               workers: int | None = None, say: Callable[[str], None] | None = None,
               prepare: Prepare | None = None) -> list[SecuredCredential]:
    """:func:`secure` for each document, in order, on ``workers`` processes (default: the cores).

    With ``prepare``, each document is first ``prepare(document, its index)`` (in the workers
    too: validating a credential costs a tenth of signing it); the first error it raises is
    raised here, as it is."""
    global _job
    count = len(documents)
    workers = workers or len(os.sched_getaffinity(0))
    ranges = [(start, min(count, start + _CHUNK)) for start in range(0, count, _CHUNK)]
    done: list[SecuredCredential] = []
    step = max(1, len(ranges) // 10)

    def progress(n: int) -> None:
        if say and count >= 10_000 and n % step == 0 and n < len(ranges):
            say(f"  signed {len(done):,} of {count:,}")

    parallel = workers > 1 and count >= MIN_PARALLEL
    _job = (documents, signer, verification_method, created, prepare)
    try:
        # frozen: the workers' collections skip the documents they inherit (see _gc_pause).
        with frozen() if parallel else nullcontext(), \
                multiprocessing.get_context("fork").Pool(workers) if parallel else nullcontext() as pool:
            for n, part in enumerate(pool.imap(_sign_range, ranges) if parallel else map(_sign_range, ranges), 1):
                done.extend(part)
                progress(n)
    except Exception as exc:
        if not parallel or isinstance(exc, CredregError):
            raise
        raise CredregError(f"signing failed in a worker process: {exc}") from exc  # nothing is queued yet
    finally:
        _job = None
    return done
