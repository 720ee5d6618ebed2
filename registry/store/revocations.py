"""Revocations as the store records them (of a whole root, or of some leaves, each journaled),
and the lookup a revocation starts from: a credential id -> its batch's root and its leaf. The
chain holds the revocation itself; a root the store does not know is left to it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from registry.store._common import CHUNK, now
from registry.store.batches import add_journal_entry, credential_state
from registry.store.schema import batches, credentials


class IssuedCredential(NamedTuple):
    credential_id: str
    target_hash: str
    state: str
    batch_id: int | None
    leaf_index: int | None
    root: str | None
    revoked_at: str | None


def find_credential(engine: Engine, credential_id: str) -> IssuedCredential | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(credentials.c.credential_id, credentials.c.target_hash, credential_state,
                   credentials.c.batch_id, credentials.c.leaf_index, batches.c.root, credentials.c.revoked_at)
            .select_from(credentials.outerjoin(batches, credentials.c.batch_id == batches.c.id))
            .where(credentials.c.credential_id == credential_id)).first()
    return IssuedCredential(*row) if row else None


def record_revocation(engine: Engine, root: str, leaf_indices: Sequence[int] | None, reason: int,
                      tx_hash: str) -> None:
    """Record an on-chain revocation (of some leaves, or of the whole root when None)."""
    stamp = now()
    with engine.begin() as conn:
        batch_id = conn.execute(select(batches.c.id).where(batches.c.root == root)).scalar()
        if batch_id is None:
            return  # a batch anchored elsewhere: the chain is the record
        if leaf_indices is None:
            conn.execute(update(batches).where(batches.c.id == batch_id).values(
                revoked_at=stamp, revoke_reason=reason, revoke_tx=tx_hash, updated_at=stamp))
            detail = f"root {root} revoked (reason {reason})"
        else:
            for start in range(0, len(leaf_indices), CHUNK):
                conn.execute(update(credentials).where(
                    credentials.c.batch_id == batch_id,
                    credentials.c.leaf_index.in_(list(leaf_indices[start:start + CHUNK]))).values(
                    revoked_at=stamp, revoke_reason=reason, revoke_tx=tx_hash))
            detail = f"{len(leaf_indices)} credentials revoked (reason {reason})"
        add_journal_entry(conn, batch_id, "revoked", f"{detail}, tx {tx_hash}")
