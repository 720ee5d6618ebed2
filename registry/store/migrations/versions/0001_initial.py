"""The first schema: credentials, batches, journal.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("root", sa.String(64), nullable=False, unique=True),
        sa.Column("leaf_count", sa.Integer, nullable=False),
        sa.Column("issuer_did", sa.String, nullable=False),
        sa.Column("signer", sa.String(42), nullable=False),
        sa.Column("chain_id", sa.Integer, nullable=False),
        sa.Column("registry", sa.String(42), nullable=False),
        sa.Column("out_dir", sa.String, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("nonce", sa.Integer),
        sa.Column("raw_tx", sa.Text),
        sa.Column("tx_hashes", sa.Text, nullable=False, server_default="[]"),
        sa.Column("fee_bumps", sa.Integer, nullable=False, server_default="0"),
        sa.Column("max_fee", sa.String),
        sa.Column("priority_fee", sa.String),
        sa.Column("tx_hash", sa.String(66)),
        sa.Column("block_number", sa.Integer),
        sa.Column("block_hash", sa.String(66)),
        sa.Column("gas_used", sa.Integer),
        sa.Column("anchored_at", sa.Integer),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("updated_at", sa.String, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("revoked_at", sa.String),
        sa.Column("revoke_reason", sa.Integer),
        sa.Column("revoke_tx", sa.String),
    )
    op.create_index("ix_batches_state", "batches", ["state"])
    op.create_table(
        "credentials",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("credential_id", sa.String, nullable=False, unique=True),
        sa.Column("target_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("issuer_did", sa.String, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("source", sa.String),
        sa.Column("queued_at", sa.String, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id")),
        sa.Column("leaf_index", sa.Integer),
        sa.Column("revoked_at", sa.String),
        sa.Column("revoke_reason", sa.Integer),
        sa.Column("revoke_tx", sa.String),
    )
    op.create_index("ix_credentials_state_issuer", "credentials", ["state", "issuer_did", "id"])
    op.create_index("ix_credentials_batch_leaf", "credentials", ["batch_id", "leaf_index"], unique=True)
    op.create_table(
        "journal",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id")),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("at", sa.String, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("journal")
    op.drop_table("credentials")
    op.drop_table("batches")
