"""Status-list indices: handing them out per issuer, and the mapping index <-> credential <-> (root, leaf).

Indices are reserved before the credentials are signed (the signature covers them) and in a
transaction of their own, so a ``credreg issue`` that fails afterwards leaves a gap, never an
index given twice. A list is full at its size; a new one starts then, and also when the issuer's
public URL changed (its lists keep the URL they were published at).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from registry.errors import ConfigError, CredregError
from registry.store._common import now
from registry.store.schema import batches, credentials, status_lists


class StatusList(NamedTuple):
    id: int
    issuer_did: str
    number: int
    url: str
    size: int
    allocated: int
    chain_id: int
    registry: str


class Reserved(NamedTuple):
    list_id: int
    url: str
    index: int


_COLUMNS = (status_lists.c.id, status_lists.c.issuer_did, status_lists.c.number, status_lists.c.url,
            status_lists.c.size, status_lists.c.allocated, status_lists.c.chain_id, status_lists.c.registry)


def reserve(engine: Engine, issuer_did: str, deployment: tuple[int, str], count: int, size: int,
            url_of: Callable[[int], str]) -> list[Reserved]:
    """``count`` fresh indices of the issuer's lists of ``deployment`` (chain id, registry), in order;
    ``url_of(number)`` names a new list. A list mirrors one deployment's revocations, so each
    deployment of a home has lists of its own (numbered on from the issuer's last)."""
    for _ in range(20):  # another process reserving at the same moment: read again and retry
        try:
            return _reserve_once(engine, issuer_did, deployment, count, size, url_of)
        except (_Raced, IntegrityError):  # IntegrityError: the same new list made by both
            continue
    raise CredregError(f"could not reserve status-list indices for {issuer_did}: the store is too busy")


class _Raced(Exception):
    """Another process moved the list's allocation between our read and our update."""


def _reserve_once(engine: Engine, issuer_did: str, deployment: tuple[int, str], count: int, size: int,
                  url_of: Callable[[int], str]) -> list[Reserved]:
    chain_id, registry = deployment
    with engine.begin() as conn:
        row = conn.execute(select(*_COLUMNS).where(
            status_lists.c.issuer_did == issuer_did, status_lists.c.chain_id == chain_id,
            status_lists.c.registry == registry).order_by(status_lists.c.number.desc()).limit(1)).first()
        current = StatusList(*row) if row else None
        last = conn.execute(select(func.max(status_lists.c.number)).where(
            status_lists.c.issuer_did == issuer_did)).scalar() or 0
        out: list[Reserved] = []
        while len(out) < count:
            if current is None or current.allocated >= current.size or current.url != url_of(current.number):
                number = last + 1
                taken = conn.execute(select(status_lists.c.issuer_did).where(
                    status_lists.c.url == url_of(number))).scalar()
                if taken is not None:
                    raise ConfigError(f"status list {url_of(number)} belongs to {taken} already: give "
                                      f"{issuer_did} its own public URL (CREDREG_PUBLIC_URL / --public-url)")
                new_id = conn.execute(insert(status_lists).values(
                    issuer_did=issuer_did, number=number, chain_id=chain_id, registry=registry, url=url_of(number),
                    size=size, allocated=0, created_at=now())).inserted_primary_key[0]
                current = StatusList(new_id, issuer_did, number, url_of(number), size, 0, chain_id, registry)
                last = number
            take = min(count - len(out), current.size - current.allocated)
            moved = conn.execute(update(status_lists).where(
                status_lists.c.id == current.id, status_lists.c.allocated == current.allocated)
                .values(allocated=current.allocated + take)).rowcount
            if moved != 1:
                raise _Raced  # leaves the with block: the transaction is rolled back
            out += [Reserved(current.id, current.url, i)
                    for i in range(current.allocated, current.allocated + take)]
            current = current._replace(allocated=current.allocated + take)
        return out


def lists(engine: Engine, issuer_did: str, deployment: tuple[int, str] | None = None) -> list[StatusList]:
    """The issuer's status lists (of one deployment, when given), by number."""
    query = select(*_COLUMNS).where(status_lists.c.issuer_did == issuer_did)
    if deployment is not None:
        query = query.where(status_lists.c.chain_id == deployment[0], status_lists.c.registry == deployment[1])
    with engine.connect() as conn:
        return [StatusList(*r) for r in conn.execute(query.order_by(status_lists.c.number))]


def anchored_entries(engine: Engine, list_id: int, chunk: int = 200_000) -> Iterator[tuple[int, str, int]]:
    """(status index, batch root, leaf index) of a list's credentials that are in a batch, by index."""
    start = -1
    with engine.connect() as conn:
        while True:
            rows = conn.execute(
                select(credentials.c.status_index, batches.c.root, credentials.c.leaf_index)
                .join_from(credentials, batches, credentials.c.batch_id == batches.c.id)
                .where(credentials.c.status_list == list_id, credentials.c.status_index > start)
                .order_by(credentials.c.status_index).limit(chunk)).all()
            if not rows:
                return
            yield from rows
            start = rows[-1][0]


def anchored_runs(engine: Engine, list_id: int) -> list[tuple[int, int, str, int]]:
    """A list's credentials that are in a batch, as runs ``(first index, count, root, first leaf)``
    in index order: consecutive indices held by consecutive leaves of one batch.

    Issuing in order and batching in queue order make a few long runs, so the database groups
    rows by (batch, index - leaf) instead of handing a million rows to Python: within a group the
    offset is fixed and indices are unique, so a group whose count spans exactly its index range
    is one run. A group with a hole (its credentials interleaved with another list's, or with
    gaps) is read row by row and split where the rows say."""
    offset = credentials.c.status_index - credentials.c.leaf_index
    with engine.connect() as conn:
        groups = conn.execute(
            select(credentials.c.batch_id, func.min(credentials.c.status_index), func.max(credentials.c.status_index),
                   func.count(), func.min(credentials.c.leaf_index), offset)
            .where(credentials.c.status_list == list_id, credentials.c.batch_id.is_not(None))
            .group_by(credentials.c.batch_id, offset)).all()
        roots = dict(conn.execute(select(batches.c.id, batches.c.root).where(
            batches.c.id.in_({g[0] for g in groups}))).all()) if groups else {}
        runs: list[tuple[int, int, str, int]] = []
        for batch_id, low, high, count, first_leaf, group_offset in groups:
            if count == high - low + 1:
                runs.append((low, count, roots[batch_id], first_leaf))
                continue
            rows = conn.execute(select(credentials.c.status_index, credentials.c.leaf_index).where(
                credentials.c.status_list == list_id, credentials.c.batch_id == batch_id,
                offset == group_offset).order_by(credentials.c.status_index)).all()
            for index, leaf in rows:
                # Consecutive in the group (one offset): the next index is the next leaf as well.
                if runs and runs[-1][2] == roots[batch_id] and runs[-1][0] + runs[-1][1] == index \
                        and runs[-1][3] + runs[-1][1] == leaf:
                    first, n, root, leaf0 = runs[-1]
                    runs[-1] = (first, n + 1, root, leaf0)
                else:
                    runs.append((index, 1, roots[batch_id], leaf))
    return sorted(runs)
