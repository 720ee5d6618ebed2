"""Pathways in the store: an issuer's anchored pathways, and the completion credentials awarded.

A pathway is queued and anchored as a credential is (its row in ``credentials``), so finding an
issuer's published ones is a look for the pathway type in its written documents. An award is a
``pathway_awards`` row, unique per (issuer, pathway, learner), inserted in the same transaction
as the completion credential it queues: both are there or neither, and a second award of the
same learner is refused by the database, whatever ran before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import insert, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from registry.errors import BadInput
from registry.store._common import now
from registry.store.batches import credential_state
from registry.store.queue import NewCredential, _insert_many
from registry.store.schema import batches, credentials, documents, pathway_awards

# How a pathway's canonical (RFC 8785) text names its type: quote-colon-quote never occurs inside
# a JSON string (its quotes are escaped), so this matches a member, which the caller confirms.
_PATHWAY_MARK = '%"type":"CredregPathway"%'


class StoredPathway(NamedTuple):
    credential_id: str  # the pathway's id
    batch_id: int | None
    state: str  # queued, batched, issued
    revoked: bool  # as the store recorded it (the chain decides; this spares a look)


def pathways(engine: Engine, issuer_did: str) -> list[StoredPathway]:
    """The issuer's pathways in the store, in the order they were queued."""
    query = (select(credentials.c.credential_id, credentials.c.batch_id, credential_state,
                    credentials.c.revoked_at, batches.c.revoked_at)
             .select_from(credentials.outerjoin(batches, credentials.c.batch_id == batches.c.id)
                          .join(documents, documents.c.credential_id == credentials.c.credential_id))
             .where(credentials.c.issuer_did == issuer_did, documents.c.document.like(_PATHWAY_MARK))
             .order_by(credentials.c.id))
    with engine.connect() as conn:
        return [StoredPathway(cid, batch, state, bool(leaf_revoked or root_revoked))
                for cid, batch, state, leaf_revoked, root_revoked in conn.execute(query)]


class StoredDocument(NamedTuple):
    batch_id: int
    leaf_index: int
    credential_id: str
    target_hash: str
    document: str  # as queued (schema.documents)
    signature_id: str | None


def written_documents(engine: Engine, issuer_did: str, needles: Sequence[str],
                      ids: Sequence[str] = ()) -> list[StoredDocument]:
    """The issuer's credentials in written batches whose stored text contains one of ``needles``
    (a pre-filter: the caller parses and confirms), or whose id is in ``ids``."""
    found = [documents.c.document.contains(n, autoescape=True) for n in needles]
    if ids:
        found.append(credentials.c.credential_id.in_(list(ids)))
    if not found:
        return []
    query = (select(credentials.c.batch_id, credentials.c.leaf_index, credentials.c.credential_id,
                    credentials.c.target_hash, documents.c.document, documents.c.signature_id)
             .select_from(credentials.join(batches, credentials.c.batch_id == batches.c.id)
                          .join(documents, documents.c.credential_id == credentials.c.credential_id))
             .where(credentials.c.issuer_did == issuer_did, batches.c.state == "written", or_(*found))
             .order_by(credentials.c.batch_id, credentials.c.leaf_index))
    with engine.connect() as conn:
        return [StoredDocument(*row) for row in conn.execute(query)]


def awarded(engine: Engine, issuer_did: str, pathway_id: str) -> dict[str, str]:
    """learner -> the completion credential's id, for the learners already awarded ``pathway_id``."""
    with engine.connect() as conn:
        rows = conn.execute(select(pathway_awards.c.learner, pathway_awards.c.credential_id).where(
            pathway_awards.c.issuer_did == issuer_did, pathway_awards.c.pathway_id == pathway_id))
        return {learner: cid for learner, cid in rows}


def enqueue_award(engine: Engine, item: NewCredential, pathway_id: str, learner: str) -> bool:
    """Queue the completion credential ``item`` and record the award, in one transaction; False
    (nothing queued) when the learner was awarded this pathway already."""
    award = {"issuer_did": item.issuer_did, "pathway_id": pathway_id, "learner": learner,
             "credential_id": item.credential_id, "awarded_at": now()}
    row = {"credential_id": item.credential_id, "target_hash": item.target_hash, "issuer_did": item.issuer_did,
           "source": item.source, "queued_at": award["awarded_at"], "state": "queued",
           "status_list": item.status_list, "status_index": item.status_index}
    doc = {"credential_id": item.credential_id, "document": item.document, "signature_id": item.signature_id}
    try:
        with engine.begin() as conn:
            conn.execute(insert(pathway_awards), [award])
            _insert_many(conn, credentials, [row])
            _insert_many(conn, documents, [doc])
    except IntegrityError:
        if learner in awarded(engine, item.issuer_did, pathway_id):
            return False
        raise BadInput(f"completion credential {item.credential_id} is already in the store; nothing queued") from None
    return True


