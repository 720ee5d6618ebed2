"""The store's tables (SQLAlchemy Core: the anchoring job moves a million rows at a time, which
the ORM's unit of work would make slow). Schema changes go through alembic migrations."""

from __future__ import annotations

from sqlalchemy import (Column, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table, Text, UniqueConstraint,
                        text)

metadata = MetaData()

# A credential is queued, then batched; it is issued when its batch is written (derived).
credentials = Table(
    "credentials", metadata,
    Column("id", Integer, primary_key=True),
    Column("credential_id", String, nullable=False, unique=True),
    Column("target_hash", String(64), nullable=False, unique=True),
    Column("issuer_did", String, nullable=False),
    Column("source", String),
    Column("queued_at", String, nullable=False),
    Column("state", String(16), nullable=False, default="queued"),
    Column("batch_id", Integer, ForeignKey("batches.id")),
    Column("leaf_index", Integer),
    Column("revoked_at", String),
    Column("revoke_reason", Integer),
    Column("revoke_tx", String),
    # Its credentialStatus entry: list (status_lists.id) and index (migration 0005; NULL if unsigned).
    Column("status_list", Integer),
    Column("status_index", Integer),
    # Partial (migration 0003): batching moves each row out of the first and into the second only.
    Index("ix_credentials_queued", "issuer_did", "id",
          sqlite_where=text("state = 'queued'"), postgresql_where=text("state = 'queued'")),
    Index("ix_credentials_batch_leaf", "batch_id", "leaf_index", unique=True,
          sqlite_where=text("batch_id IS NOT NULL"), postgresql_where=text("batch_id IS NOT NULL")),
    Index("ix_credentials_status", "status_list", "status_index", unique=True,
          sqlite_where=text("status_list IS NOT NULL"), postgresql_where=text("status_list IS NOT NULL")),
)

# An issuer's Bitstring Status Lists (migration 0005), numbered 1, 2, … per issuer, each of one
# deployment (a home may anchor on a local chain and on Sepolia). ``allocated``
# indices of a list have been handed out, in order, never to be handed out again.
status_lists = Table(
    "status_lists", metadata,
    Column("id", Integer, primary_key=True),
    Column("issuer_did", String, nullable=False),
    Column("number", Integer, nullable=False),
    Column("chain_id", Integer, nullable=False),  # the deployment whose revocations the list mirrors
    Column("registry", String(42), nullable=False),
    Column("url", String, nullable=False, unique=True),
    Column("size", Integer, nullable=False),
    Column("allocated", Integer, nullable=False),
    Column("created_at", String, nullable=False),
    UniqueConstraint("issuer_did", "number", name="uq_status_lists_issuer_number"),
)

# The text of each credential as queued. Unsigned (format 1, signature_id NULL): the RFC 8785
# canonical text without proof, so targetHash = sha256(document). Signed (format 2): the canonical
# text of the credential without proof, then `"proof":[<the signature>]` as its last member
# (targetHash is over the RFC 8785 form of the same JSON), so the job appends the anchor proof
# to the list without parsing. Kept apart from `credentials` so that batching a million
# credentials rewrites narrow rows, not a million documents (migration 0002).
documents = Table(
    "documents", metadata,
    Column("credential_id", String, primary_key=True),
    Column("document", Text, nullable=False),
    Column("signature_id", String),  # the signature proof's id (migration 0004)
)

# A batch moves built -> sent -> mined -> confirmed -> written, or to failed (its credentials go
# back to the queue). Every signed transaction is recorded before it is broadcast.
batches = Table(
    "batches", metadata,
    Column("id", Integer, primary_key=True),
    Column("root", String(64), nullable=False, unique=True),
    Column("leaf_count", Integer, nullable=False),
    Column("issuer_did", String, nullable=False),
    Column("signer", String(42), nullable=False),
    Column("chain_id", Integer, nullable=False),
    Column("registry", String(42), nullable=False),
    Column("out_dir", String, nullable=False),
    Column("state", String(16), nullable=False),
    Column("nonce", Integer),
    Column("raw_tx", Text),
    Column("tx_hashes", Text, nullable=False, default="[]"),
    Column("fee_bumps", Integer, nullable=False, default=0),
    Column("max_fee", String),  # wei, as text: can exceed 64 bits
    Column("priority_fee", String),
    Column("tx_hash", String(66)),
    Column("block_number", Integer),
    Column("block_hash", String(66)),
    Column("gas_used", Integer),
    Column("anchored_at", Integer),
    Column("created_at", String, nullable=False),
    Column("updated_at", String, nullable=False),
    Column("error", Text),
    Column("revoked_at", String),
    Column("revoke_reason", Integer),
    Column("revoke_tx", String),
    # A random extra leaf after the credentials', once the first root was squatted (migration 0006).
    Column("salt", String(64)),
    Index("ix_batches_state", "state"),
)

# Append-only: what the job did, when; read by `credreg status` and by people after an incident.
journal = Table(
    "journal", metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", Integer, ForeignKey("batches.id")),
    Column("event", String(32), nullable=False),
    Column("detail", Text),
    Column("at", String, nullable=False),
)

# Completion credentials given for pathways (migration 0007): one per (issuer, pathway, learner),
# inserted in the transaction that queues the credential, so nobody is awarded twice. ``learner``
# is the credentialSubject.id, or for a learner known by email a digest (pathways.awarding).
pathway_awards = Table(
    "pathway_awards", metadata,
    Column("id", Integer, primary_key=True),
    Column("issuer_did", String, nullable=False),
    Column("pathway_id", String, nullable=False),
    Column("learner", String, nullable=False),
    Column("credential_id", String, nullable=False, unique=True),
    Column("awarded_at", String, nullable=False),
    UniqueConstraint("issuer_did", "pathway_id", "learner", name="uq_pathway_awards_learner"),
)

# Encrypted share links (migration 0008, registry/sharing/links.py): the ciphertext only, never
# its key; the delete token as its sha256; ``client`` a keyed hash of the creator's address,
# kept for the hour the rate limit counts, then cleared. Expired rows are deleted as new shares come.
shares = Table(
    "shares", metadata,
    Column("id", String(16), primary_key=True),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("created_at", String, nullable=False),
    Column("expires_at", String, nullable=False),
    Column("delete_token_hash", String(64), nullable=False),
    Column("client", String(64)),
    Index("ix_shares_client", "client", "created_at"),
    Index("ix_shares_expires_at", "expires_at"),
)
