"""Batches and the journal: queued credentials become a batch (leaf i = the i-th oldest), a batch
moves through its states with a journal entry for every change, and a failed batch releases its
credentials to the queue. A credential's state (issued once its batch is written) is derived here.

Each change is one transaction with its journal entry. ``create_batch`` and ``batch_documents``
are the anchoring job's hot queries (a million rows a night): set-based SQL, a bounded number of
round trips, no per-row Python.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from sqlalchemy import case, func, insert, select, text, update
from sqlalchemy.engine import Connection, Engine

from registry.errors import StoreError
from registry.store._common import now
from registry.store.schema import batches, credentials, documents, journal


class Batch(NamedTuple):
    id: int
    root: str
    leaf_count: int
    issuer_did: str
    signer: str
    chain_id: int
    registry: str
    out_dir: str
    state: str
    nonce: int | None
    raw_tx: str | None
    tx_hashes: tuple[str, ...]
    fee_bumps: int
    max_fee: str | None
    priority_fee: str | None
    tx_hash: str | None
    block_number: int | None
    block_hash: str | None
    gas_used: int | None
    anchored_at: int | None
    created_at: str
    updated_at: str
    error: str | None
    revoked_at: str | None
    revoke_reason: int | None
    revoke_tx: str | None
    salt: str | None = None  # hex; the last leaf of the tree when set (the job's answer to root squatting)

    @property
    def credential_count(self) -> int:
        """The credentials in the batch: its leaves but the salt leaf."""
        return self.leaf_count - (1 if self.salt else 0)


# A credential is issued exactly when its batch's files are written: derived, never stored twice.
credential_state = case((batches.c.state == "written", "issued"), else_=credentials.c.state).label("state")


def _batch(row: Any) -> Batch:
    data = dict(row._mapping)
    data["tx_hashes"] = tuple(json.loads(data["tx_hashes"] or "[]"))
    return Batch(**data)


def create_batch(engine: Engine, row_ids: Sequence[int], root: str, **fields: Any) -> Batch:
    """Turn queued credentials into a batch, leaf i = the i-th of ``row_ids`` (ascending ids),
    in one transaction; one set-based UPDATE, so a million rows take seconds, not minutes."""
    if list(row_ids) != sorted(row_ids):
        raise StoreError("create_batch needs row ids in ascending order")
    stamp = now()
    fresh = dict(leaf_count=len(row_ids), state="built", updated_at=stamp, tx_hashes="[]", fee_bumps=0,
                 nonce=None, raw_tx=None, max_fee=None, priority_fee=None, tx_hash=None, block_number=None,
                 block_hash=None, gas_used=None, anchored_at=None, error=None, **fields)
    with engine.begin() as conn:
        previous = conn.execute(select(batches.c.id, batches.c.state).where(batches.c.root == root)).first()
        if previous is not None and previous.state != "failed":
            raise StoreError(f"root {root} already belongs to batch {previous.id} ({previous.state})")
        if previous is not None:
            # The same credentials in the same order after a failure: the same root. Reuse the
            # row (its journal stays attached) rather than break the root's uniqueness.
            batch_id = previous.id
            conn.execute(update(batches).where(batches.c.id == batch_id).values(**fresh))
        else:
            batch_id = conn.execute(insert(batches).values(root=root, created_at=stamp, **fresh)
                                    ).inserted_primary_key[0]
        params = {"batch": batch_id, "did": fields["issuer_did"], "lo": row_ids[0], "hi": row_ids[-1]}
        if row_ids[-1] - row_ids[0] + 1 == len(row_ids):
            # Consecutive ids (one issuer's queue, the usual night): the leaf is the offset from
            # the first, with no ranking subquery to build and join (half the time at 1M).
            changed = conn.execute(text(
                "UPDATE credentials SET state = 'batched', batch_id = :batch, leaf_index = id - :lo "
                "WHERE state = 'queued' AND issuer_did = :did AND id BETWEEN :lo AND :hi"), params).rowcount
        else:
            changed = conn.execute(text(
                "UPDATE credentials SET state = 'batched', batch_id = :batch, leaf_index = ranked.leaf "
                "FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS leaf FROM credentials "
                "      WHERE state = 'queued' AND issuer_did = :did AND id BETWEEN :lo AND :hi) AS ranked "
                "WHERE credentials.id = ranked.id"), params).rowcount
        if changed != len(row_ids):
            # Someone else changed the queue between our read and this write: undo, retry later.
            raise StoreError(f"batch {root}: expected {len(row_ids)} queued credentials, found {changed}")
        add_journal_entry(conn, batch_id, "built", f"{len(row_ids)} credentials, root {root}")
    return batch(engine, batch_id)


def batch(engine: Engine, batch_id: int) -> Batch:
    with engine.connect() as conn:
        row = conn.execute(select(batches).where(batches.c.id == batch_id)).first()
    if row is None:
        raise StoreError(f"no batch {batch_id}")
    return _batch(row)


def batch_by_root(engine: Engine, root: str) -> Batch | None:
    with engine.connect() as conn:
        row = conn.execute(select(batches).where(batches.c.root == root.lower().removeprefix("0x"))).first()
    return _batch(row) if row else None


def list_batches(engine: Engine, states: Iterable[str] | None = None) -> list[Batch]:
    query = select(batches).order_by(batches.c.id)
    if states is not None:
        query = query.where(batches.c.state.in_(list(states)))
    with engine.connect() as conn:
        return [_batch(r) for r in conn.execute(query)]


def update_batch(engine: Engine, batch_id: int, event_name: str, detail: str = "", **fields: Any) -> Batch:
    """Change a batch and journal why, in one transaction."""
    if "tx_hashes" in fields:
        fields["tx_hashes"] = json.dumps(list(fields["tx_hashes"]))
    with engine.begin() as conn:
        conn.execute(update(batches).where(batches.c.id == batch_id).values(updated_at=now(), **fields))
        add_journal_entry(conn, batch_id, event_name, detail)
    return batch(engine, batch_id)


def release_batch(engine: Engine, batch_id: int, error: str) -> None:
    """A batch that will never be anchored: its credentials go back to the queue."""
    with engine.begin() as conn:
        conn.execute(update(credentials).where(credentials.c.batch_id == batch_id)
                     .values(state="queued", batch_id=None, leaf_index=None))
        conn.execute(update(batches).where(batches.c.id == batch_id)
                     .values(state="failed", error=error, updated_at=now()))
        add_journal_entry(conn, batch_id, "failed", error)


def finish_batch(engine: Engine, batch_id: int, files: int) -> None:
    """Every file is written. A credential counts as issued when its batch is written, so this
    is one row, not a million."""
    update_batch(engine, batch_id, "written", f"{files} files", state="written")


def leaf_hashes(engine: Engine, batch_id: int) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(credentials.c.target_hash).where(credentials.c.batch_id == batch_id)
                                 .order_by(credentials.c.leaf_index)).scalars())


def batch_documents(engine: Engine, batch_id: int, start: int = 0, stop: int | None = None,
                    chunk: int = 20_000) -> Iterator[tuple[int, str, str, str, str | None]]:
    """(leaf index, credential id, target hash, document, signature id) in leaf order, in chunks."""
    stop = stop if stop is not None else 2**62
    with engine.connect() as conn:
        while start < stop:
            rows = conn.execute(
                select(credentials.c.leaf_index, credentials.c.credential_id, credentials.c.target_hash,
                       documents.c.document, documents.c.signature_id)
                .join_from(credentials, documents, documents.c.credential_id == credentials.c.credential_id)
                .where(credentials.c.batch_id == batch_id, credentials.c.leaf_index >= start,
                       credentials.c.leaf_index < min(stop, start + chunk))
                .order_by(credentials.c.leaf_index)).all()
            if not rows:
                return
            yield from rows  # rows unpack like tuples
            start += chunk


def counts(engine: Engine) -> dict[str, int]:
    """Credentials by state: queued, batched (anchoring under way) or issued (file written)."""
    with engine.connect() as conn:
        rows = conn.execute(select(credential_state, func.count())
                            .select_from(credentials.outerjoin(batches, credentials.c.batch_id == batches.c.id))
                            .group_by(credential_state)).all()
    return {state: n for state, n in rows}


def recent_journal(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    """The newest ``limit`` journal entries, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(select(journal).order_by(journal.c.id.desc()).limit(limit)).all()
    return [dict(r._mapping) for r in rows]


def add_journal_entry(conn: Connection, batch_id: int | None, event_name: str, detail: str) -> None:
    """Append to the journal inside the caller's transaction, so the entry and its change commit together."""
    conn.execute(insert(journal).values(batch_id=batch_id, event=event_name, detail=detail, at=now()))
