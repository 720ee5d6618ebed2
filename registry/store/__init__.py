"""The local store: queued credentials, batches, the anchoring journal and revocations.

SQLite in ``<home>/credreg.db`` by default, any SQLAlchemy URL (PostgreSQL) when the caller gives
one. Every multi-row change is one transaction: a crash leaves the store as it was before the
change or after it, never half-way.

One module per job, each a set of functions of an engine; ``Store`` holds the engine and hands
each call to its module:

- ``engine``: the URL, the engine (SQLite's pragmas), the alembic upgrades;
- ``queue``: adding credentials (all or none, duplicates refused), reading the queue;
- ``batches``: building a batch and numbering its leaves, its documents by leaf range, its
  states and release, the journal, credentials by state;
- ``revocations``: what the store records of revocations, credential -> (root, leaf);
- ``status_lists``: each issuer's status lists, indices handed out, index -> (root, leaf);
- ``pathway_awards``: an issuer's pathways, and the completion credentials awarded (once each);
- ``shares``: encrypted share links (ciphertext only), under an hourly limit per client.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from registry.store import batches as _batches
from registry.store import pathway_awards as _pathway_awards
from registry.store import queue as _queue
from registry.store import revocations as _revocations
from registry.store import shares as _shares
from registry.store import status_lists as _status_lists
from registry.store._common import now
from registry.store.batches import Batch
from registry.store.pathway_awards import StoredDocument, StoredPathway
from registry.store.engine import MIGRATIONS, migrate, open_engine, store_url
from registry.store.queue import NewCredential
from registry.store.revocations import IssuedCredential
from registry.store.shares import StoredShare
from registry.store.status_lists import Reserved, StatusList

__all__ = ["Batch", "IssuedCredential", "NewCredential", "Reserved", "StatusList", "Store", "StoredDocument", "StoredPathway", "StoredShare",
           "now",
           "store_url"]

_MIGRATIONS = MIGRATIONS  # where the migration tests upgrade a store to a given revision from


class Store:
    """The store's handle for callers: one engine, one method per operation."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, home: Path, url: str | None = None) -> Store:
        """Open (creating if needed) and migrate the store at ``url``, or SQLite in ``home``."""
        store = cls(open_engine(store_url(home, url)))
        store.migrate()
        return store

    def migrate(self) -> None:
        migrate(self.engine)

    # ------------------------------------------------------------------ queue
    def enqueue(self, items: Sequence[NewCredential]) -> int:
        return _queue.enqueue(self.engine, items)

    def queued_count(self, issuer_did: str | None = None) -> int:
        return _queue.queued_count(self.engine, issuer_did)

    def queued_hashes(self, issuer_did: str, limit: int) -> list[tuple[int, str]]:
        return _queue.queued_hashes(self.engine, issuer_did, limit)

    # ------------------------------------------------------------------ batches and the journal
    def create_batch(self, row_ids: Sequence[int], root: str, **fields: Any) -> Batch:
        return _batches.create_batch(self.engine, row_ids, root, **fields)

    def batch(self, batch_id: int) -> Batch:
        return _batches.batch(self.engine, batch_id)

    def batch_by_root(self, root: str) -> Batch | None:
        return _batches.batch_by_root(self.engine, root)

    def batches(self, states: Iterable[str] | None = None) -> list[Batch]:
        return _batches.list_batches(self.engine, states)

    def update_batch(self, batch_id: int, event_name: str, detail: str = "", **fields: Any) -> Batch:
        return _batches.update_batch(self.engine, batch_id, event_name, detail, **fields)

    def release_batch(self, batch_id: int, error: str) -> None:
        _batches.release_batch(self.engine, batch_id, error)

    def finish_batch(self, batch_id: int, files: int) -> None:
        _batches.finish_batch(self.engine, batch_id, files)

    def leaf_hashes(self, batch_id: int) -> list[str]:
        return _batches.leaf_hashes(self.engine, batch_id)

    def batch_documents(self, batch_id: int, start: int = 0, stop: int | None = None,
                        chunk: int = 20_000) -> Iterator[tuple[int, str, str, str, str | None]]:
        return _batches.batch_documents(self.engine, batch_id, start, stop, chunk)

    def counts(self) -> dict[str, int]:
        return _batches.counts(self.engine)

    def journal(self, limit: int = 20) -> list[dict[str, Any]]:
        return _batches.recent_journal(self.engine, limit)

    # ------------------------------------------------------------------ lookups and revocation
    def find_credential(self, credential_id: str) -> IssuedCredential | None:
        return _revocations.find_credential(self.engine, credential_id)

    def record_revocation(self, root: str, leaf_indices: Sequence[int] | None, reason: int, tx_hash: str) -> None:
        _revocations.record_revocation(self.engine, root, leaf_indices, reason, tx_hash)

    # ------------------------------------------------------------------ status lists
    def reserve_status(self, issuer_did: str, deployment: tuple[int, str], count: int, size: int,
                       url_of) -> list[Reserved]:
        return _status_lists.reserve(self.engine, issuer_did, deployment, count, size, url_of)

    def status_lists(self, issuer_did: str, deployment: tuple[int, str] | None = None) -> list[StatusList]:
        return _status_lists.lists(self.engine, issuer_did, deployment)

    def status_entries(self, list_id: int) -> Iterator[tuple[int, str, int]]:
        return _status_lists.anchored_entries(self.engine, list_id)

    def status_runs(self, list_id: int) -> list[tuple[int, int, str, int]]:
        return _status_lists.anchored_runs(self.engine, list_id)

    # ------------------------------------------------------------------ pathways and their awards
    def pathways(self, issuer_did: str) -> list[StoredPathway]:
        return _pathway_awards.pathways(self.engine, issuer_did)

    def written_documents(self, issuer_did: str, needles: Sequence[str], ids: Sequence[str] = ()) -> list[StoredDocument]:
        return _pathway_awards.written_documents(self.engine, issuer_did, needles, ids)

    def pathway_awards(self, issuer_did: str, pathway_id: str) -> dict[str, str]:
        return _pathway_awards.awarded(self.engine, issuer_did, pathway_id)

    def enqueue_award(self, item: NewCredential, pathway_id: str, learner: str) -> bool:
        return _pathway_awards.enqueue_award(self.engine, item, pathway_id, learner)

    # ------------------------------------------------------------------ encrypted share links
    def add_share(self, share: StoredShare, client: str, per_hour: int, at: datetime) -> float | None:
        return _shares.add_share(self.engine, share, client, per_hour, at)

    def share(self, share_id: str) -> StoredShare | None:
        return _shares.share(self.engine, share_id)

    def delete_share(self, share_id: str) -> bool:
        return _shares.delete_share(self.engine, share_id)
