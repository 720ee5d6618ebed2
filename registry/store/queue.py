"""The queue: credentials waiting for a batch. Adding a set is all or none, and a duplicate (same
id or same content) is refused by name; the anchoring job reads the oldest queued hashes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import Table, func, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from registry.errors import BadInput
from registry.store._common import CHUNK, now
from registry.store.schema import credentials, documents


class NewCredential(NamedTuple):
    """A prepared credential ready to queue: ``document`` is its text as the store keeps it
    (``schema.documents`` says how), ``signature_id`` the id of its signature proof, if signed,
    and ``status_list``/``status_index`` the place :func:`~registry.store.status_lists.reserve`
    gave its ``credentialStatus`` entry."""

    credential_id: str
    target_hash: str
    issuer_did: str
    document: str
    source: str | None
    signature_id: str | None = None
    status_list: int | None = None
    status_index: int | None = None


def enqueue(engine: Engine, items: Sequence[NewCredential]) -> int:
    """Queue credentials, all or none; a duplicate (id or hash) is refused by name."""
    stamp = now()
    rows = [{"credential_id": i.credential_id, "target_hash": i.target_hash, "issuer_did": i.issuer_did,
             "source": i.source, "queued_at": stamp, "state": "queued", "status_list": i.status_list,
             "status_index": i.status_index} for i in items]
    docs = [{"credential_id": i.credential_id, "document": i.document, "signature_id": i.signature_id}
            for i in items]
    try:
        with engine.begin() as conn:
            for start in range(0, len(rows), CHUNK):
                _insert_many(conn, credentials, rows[start:start + CHUNK])
                _insert_many(conn, documents, docs[start:start + CHUNK])
    except IntegrityError:
        raise BadInput(_duplicate_message(engine, items)) from None
    return len(rows)


def _insert_many(conn: Connection, table: Table, rows: list[dict]) -> None:
    """``conn.execute(insert(table), rows)``. On SQLite, whose driver takes the values as they are
    (text and integers: no type conversion), the same statement is handed to the driver's
    executemany with one tuple per row, sparing SQLAlchemy's per-row parameter processing (a
    quarter of queueing a large roster)."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), rows)
        return
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=list(rows[0]))
    order = compiled.positiontup
    if not compiled.positional or order is None or set(order) != set(rows[0]):
        conn.execute(insert(table), rows)  # not the plain statement this expects
        return
    conn.exec_driver_sql(compiled.string, [tuple(row[key] for key in order) for row in rows])


def _duplicate_message(engine: Engine, items: Sequence[NewCredential]) -> str:
    ids = [i.credential_id for i in items]
    with engine.connect() as conn:
        for start in range(0, len(ids), CHUNK):
            found = conn.execute(select(credentials.c.credential_id).where(
                credentials.c.credential_id.in_(ids[start:start + CHUNK])).limit(1)).scalar()
            if found:
                source = next(i.source for i in items if i.credential_id == found)
                return f"{source or found}: credential {found} is already in the store; nothing queued"
    seen: set[str] = set()
    for item in items:
        if item.credential_id in seen:
            return f"{item.source or item.credential_id}: credential {item.credential_id} given twice; nothing queued"
        seen.add(item.credential_id)
    return "a credential is already in the store (same id or same content); nothing queued"


def queued_count(engine: Engine, issuer_did: str | None = None) -> int:
    query = select(func.count()).select_from(credentials).where(credentials.c.state == "queued")
    if issuer_did is not None:
        query = query.where(credentials.c.issuer_did == issuer_did)
    with engine.connect() as conn:
        return conn.execute(query).scalar_one()


def queued_hashes(engine: Engine, issuer_did: str, limit: int) -> list[tuple[int, str]]:
    """The oldest ``limit`` queued credentials of an issuer: (row id, target hash)."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(credentials.c.id, credentials.c.target_hash)
            .where(credentials.c.state == "queued", credentials.c.issuer_did == issuer_did)
            .order_by(credentials.c.id).limit(limit))]
