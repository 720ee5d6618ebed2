"""Encrypted share links in the store: add one under the hourly limit, read it, delete it.

A row holds what the verifier may know (registry/sharing/links.py): the ciphertext, its times,
the sha256 of its delete token, and for an hour a keyed hash of who made it, which the limit
counts. Nothing is purged by a timer: each new share deletes the rows that have expired and
clears the client of rows older than the hour, in the transaction that adds it; a read of an
expired row that is still there reports it as expired, never serves it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine

from registry.store.schema import shares

WINDOW = timedelta(hours=1)


class StoredShare(NamedTuple):
    id: str
    ciphertext: bytes
    created_at: str
    expires_at: str
    delete_token_hash: str


def stamp(at: datetime) -> str:
    """The store's timestamp (as _common.now), so that text order is time order."""
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def add_share(engine: Engine, share: StoredShare, client: str, per_hour: int, at: datetime) -> float | None:
    """Store ``share`` made by ``client`` at ``at``; None when stored, else the seconds until the
    client's oldest share of the last hour leaves the window (it had ``per_hour`` already)."""
    window_start = stamp(at - WINDOW)
    with engine.begin() as conn:
        conn.execute(delete(shares).where(shares.c.expires_at <= stamp(at)))
        conn.execute(update(shares).where(shares.c.client.is_not(None), shares.c.created_at <= window_start)
                     .values(client=None))
        count, oldest = conn.execute(select(func.count(), func.min(shares.c.created_at))
                                     .where(shares.c.client == client, shares.c.created_at > window_start)).one()
        if count >= per_hour:
            first = datetime.fromisoformat(oldest.replace("Z", "+00:00"))
            return max(1.0, (first + WINDOW - at).total_seconds())
        conn.execute(insert(shares), [{**share._asdict(), "client": client}])
    return None


def share(engine: Engine, share_id: str) -> StoredShare | None:
    with engine.connect() as conn:
        row = conn.execute(select(shares.c.id, shares.c.ciphertext, shares.c.created_at, shares.c.expires_at,
                                  shares.c.delete_token_hash).where(shares.c.id == share_id)).first()
    return None if row is None else StoredShare(row[0], bytes(row[1]), *row[2:])


def delete_share(engine: Engine, share_id: str) -> bool:
    with engine.begin() as conn:
        return conn.execute(delete(shares).where(shares.c.id == share_id)).rowcount == 1
