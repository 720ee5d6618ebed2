"""Encrypted share links: one row per share, the ciphertext only (registry/sharing/links.py).

The key never reaches the verifier (it is in the link's fragment); the delete token is kept as
its sha256; ``client`` is a keyed hash of the creator's address for the hourly rate limit.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shares",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("expires_at", sa.String, nullable=False),
        sa.Column("delete_token_hash", sa.String(64), nullable=False),
        sa.Column("client", sa.String(64)),
    )
    op.create_index("ix_shares_client", "shares", ["client", "created_at"])
    op.create_index("ix_shares_expires_at", "shares", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_shares_expires_at", table_name="shares")
    op.drop_index("ix_shares_client", table_name="shares")
    op.drop_table("shares")
