"""The local store: queued credentials, batches, the anchoring journal and revocations.

SQLite in ``$CREDREG_HOME/credreg.db`` by default, any SQLAlchemy URL (PostgreSQL) by setting
``CREDREG_STORE_URL``. Every multi-row change is one transaction: a crash leaves the store as it
was before the change or after it, never half-way.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import case, create_engine, event, func, insert, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from registry.errors import BadInput, StoreError
from registry.store.schema import batches, credentials, documents, journal

_MIGRATIONS = Path(__file__).with_name("migrations")
_CHUNK = 50_000  # rows per executemany / IN list: bounded memory, few round trips


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class NewCredential(NamedTuple):
    """A prepared credential ready to queue: ``document`` is its RFC 8785 canonical text."""

    credential_id: str
    target_hash: str
    issuer_did: str
    document: str
    source: str | None


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


class IssuedCredential(NamedTuple):
    credential_id: str
    target_hash: str
    state: str
    batch_id: int | None
    leaf_index: int | None
    root: str | None
    revoked_at: str | None


def _batch(row: Any) -> Batch:
    data = dict(row._mapping)
    data["tx_hashes"] = tuple(json.loads(data["tx_hashes"] or "[]"))
    return Batch(**data)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (status, the service) never block the job
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def store_url(home: Path, url: str | None = None) -> str:
    url = url or os.environ.get("CREDREG_STORE_URL")
    return url or f"sqlite:///{Path(home).resolve() / 'credreg.db'}"


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, home: Path, url: str | None = None) -> "Store":
        """Open (creating if needed) and migrate the store to the current schema."""
        url = store_url(home, url)
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        store.migrate()
        return store

    def migrate(self) -> None:
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        try:
            with self.engine.begin() as conn:
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
        except OperationalError as exc:
            raise StoreError(f"cannot open the store at {self.engine.url!r}: {exc.orig}") from None

    # ------------------------------------------------------------------ queue
    def enqueue(self, items: Sequence[NewCredential]) -> int:
        """Queue credentials, all or none; a duplicate (id or hash) is refused by name."""
        stamp = now()
        rows = [{"credential_id": i.credential_id, "target_hash": i.target_hash, "issuer_did": i.issuer_did,
                 "source": i.source, "queued_at": stamp, "state": "queued"} for i in items]
        docs = [{"credential_id": i.credential_id, "document": i.document} for i in items]
        try:
            with self.engine.begin() as conn:
                for start in range(0, len(rows), _CHUNK):
                    conn.execute(insert(credentials), rows[start:start + _CHUNK])
                    conn.execute(insert(documents), docs[start:start + _CHUNK])
        except IntegrityError:
            raise BadInput(self._duplicate_message(items)) from None
        return len(rows)

    def _duplicate_message(self, items: Sequence[NewCredential]) -> str:
        ids = [i.credential_id for i in items]
        with self.engine.connect() as conn:
            for start in range(0, len(ids), _CHUNK):
                found = conn.execute(select(credentials.c.credential_id).where(
                    credentials.c.credential_id.in_(ids[start:start + _CHUNK])).limit(1)).scalar()
                if found:
                    source = next(i.source for i in items if i.credential_id == found)
                    return f"{source or found}: credential {found} is already in the store; nothing queued"
        seen: set[str] = set()
        for item in items:
            if item.credential_id in seen:
                return f"{item.source or item.credential_id}: credential {item.credential_id} given twice; nothing queued"
            seen.add(item.credential_id)
        return "a credential is already in the store (same id or same content); nothing queued"

    def queued_count(self, issuer_did: str | None = None) -> int:
        query = select(func.count()).select_from(credentials).where(credentials.c.state == "queued")
        if issuer_did is not None:
            query = query.where(credentials.c.issuer_did == issuer_did)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()

    def queued_hashes(self, issuer_did: str, limit: int) -> list[tuple[int, str]]:
        """The oldest ``limit`` queued credentials of an issuer: (row id, target hash)."""
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(
                select(credentials.c.id, credentials.c.target_hash)
                .where(credentials.c.state == "queued", credentials.c.issuer_did == issuer_did)
                .order_by(credentials.c.id).limit(limit))]

    # ------------------------------------------------------------------ batches
    def create_batch(self, row_ids: Sequence[int], root: str, **fields: Any) -> Batch:
        """Turn queued credentials into a batch, leaf i = the i-th of ``row_ids`` (ascending ids),
        in one transaction; one set-based UPDATE, so a million rows take seconds, not minutes."""
        if list(row_ids) != sorted(row_ids):
            raise StoreError("create_batch needs row ids in ascending order")
        stamp = now()
        fresh = dict(leaf_count=len(row_ids), state="built", updated_at=stamp, tx_hashes="[]", fee_bumps=0,
                     nonce=None, raw_tx=None, max_fee=None, priority_fee=None, tx_hash=None, block_number=None,
                     block_hash=None, gas_used=None, anchored_at=None, error=None, **fields)
        with self.engine.begin() as conn:
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
            self._journal(conn, batch_id, "built", f"{len(row_ids)} credentials, root {root}")
        return self.batch(batch_id)

    def batch(self, batch_id: int) -> Batch:
        with self.engine.connect() as conn:
            row = conn.execute(select(batches).where(batches.c.id == batch_id)).first()
        if row is None:
            raise StoreError(f"no batch {batch_id}")
        return _batch(row)

    def batch_by_root(self, root: str) -> Batch | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(batches).where(batches.c.root == root.lower().removeprefix("0x"))).first()
        return _batch(row) if row else None

    def batches(self, states: Iterable[str] | None = None) -> list[Batch]:
        query = select(batches).order_by(batches.c.id)
        if states is not None:
            query = query.where(batches.c.state.in_(list(states)))
        with self.engine.connect() as conn:
            return [_batch(r) for r in conn.execute(query)]

    def update_batch(self, batch_id: int, event_name: str, detail: str = "", **fields: Any) -> Batch:
        """Change a batch and journal why, in one transaction."""
        if "tx_hashes" in fields:
            fields["tx_hashes"] = json.dumps(list(fields["tx_hashes"]))
        with self.engine.begin() as conn:
            conn.execute(update(batches).where(batches.c.id == batch_id).values(updated_at=now(), **fields))
            self._journal(conn, batch_id, event_name, detail)
        return self.batch(batch_id)

    def release_batch(self, batch_id: int, error: str) -> None:
        """A batch that will never be anchored: its credentials go back to the queue."""
        with self.engine.begin() as conn:
            conn.execute(update(credentials).where(credentials.c.batch_id == batch_id)
                         .values(state="queued", batch_id=None, leaf_index=None))
            conn.execute(update(batches).where(batches.c.id == batch_id)
                         .values(state="failed", error=error, updated_at=now()))
            self._journal(conn, batch_id, "failed", error)

    def finish_batch(self, batch_id: int, files: int) -> None:
        """Every file is written. A credential counts as issued when its batch is written, so this
        is one row, not a million."""
        self.update_batch(batch_id, "written", f"{files} files", state="written")

    def leaf_hashes(self, batch_id: int) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(credentials.c.target_hash).where(credentials.c.batch_id == batch_id)
                                     .order_by(credentials.c.leaf_index)).scalars())

    def batch_documents(self, batch_id: int, start: int = 0, stop: int | None = None,
                        chunk: int = 20_000) -> Iterator[tuple[int, str, str, str]]:
        """(leaf index, credential id, target hash, canonical document) in leaf order, in chunks."""
        stop = stop if stop is not None else 2**62
        with self.engine.connect() as conn:
            while start < stop:
                rows = conn.execute(
                    select(credentials.c.leaf_index, credentials.c.credential_id, credentials.c.target_hash,
                           documents.c.document)
                    .join_from(credentials, documents, documents.c.credential_id == credentials.c.credential_id)
                    .where(credentials.c.batch_id == batch_id, credentials.c.leaf_index >= start,
                           credentials.c.leaf_index < min(stop, start + chunk))
                    .order_by(credentials.c.leaf_index)).all()
                if not rows:
                    return
                yield from rows  # rows unpack like tuples
                start += chunk

    def journal(self, limit: int = 20) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(journal).order_by(journal.c.id.desc()).limit(limit)).all()
        return [dict(r._mapping) for r in rows]

    @staticmethod
    def _journal(conn: Connection, batch_id: int | None, event_name: str, detail: str) -> None:
        conn.execute(insert(journal).values(batch_id=batch_id, event=event_name, detail=detail, at=now()))

    # ------------------------------------------------------------------ lookups and revocation
    def find_credential(self, credential_id: str) -> IssuedCredential | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(credentials.c.credential_id, credentials.c.target_hash, _credential_state,
                       credentials.c.batch_id, credentials.c.leaf_index, batches.c.root, credentials.c.revoked_at)
                .select_from(credentials.outerjoin(batches, credentials.c.batch_id == batches.c.id))
                .where(credentials.c.credential_id == credential_id)).first()
        return IssuedCredential(*row) if row else None

    def record_revocation(self, root: str, leaf_indices: Sequence[int] | None, reason: int, tx_hash: str) -> None:
        """Record an on-chain revocation (of some leaves, or of the whole root when None)."""
        stamp = now()
        with self.engine.begin() as conn:
            batch_id = conn.execute(select(batches.c.id).where(batches.c.root == root)).scalar()
            if batch_id is None:
                return  # a batch anchored elsewhere: the chain is the record
            if leaf_indices is None:
                conn.execute(update(batches).where(batches.c.id == batch_id).values(
                    revoked_at=stamp, revoke_reason=reason, revoke_tx=tx_hash, updated_at=stamp))
                detail = f"root {root} revoked (reason {reason})"
            else:
                for start in range(0, len(leaf_indices), _CHUNK):
                    conn.execute(update(credentials).where(
                        credentials.c.batch_id == batch_id,
                        credentials.c.leaf_index.in_(list(leaf_indices[start:start + _CHUNK]))).values(
                        revoked_at=stamp, revoke_reason=reason, revoke_tx=tx_hash))
                detail = f"{len(leaf_indices)} credentials revoked (reason {reason})"
            self._journal(conn, batch_id, "revoked", f"{detail}, tx {tx_hash}")

    def counts(self) -> dict[str, int]:
        """Credentials by state: queued, batched (anchoring under way) or issued (file written)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(_credential_state, func.count())
                                .select_from(credentials.outerjoin(batches, credentials.c.batch_id == batches.c.id))
                                .group_by(_credential_state)).all()
        return {state: n for state, n in rows}


# A credential is issued exactly when its batch's files are written: derived, never stored twice.
_credential_state = case((batches.c.state == "written", "issued"), else_=credentials.c.state).label("state")
