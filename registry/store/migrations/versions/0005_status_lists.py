"""Bitstring status lists: each issuer's lists, and each credential's place in one.

``status_lists`` holds an issuer's lists, numbered 1, 2, … per issuer, each with the deployment
(chain id, registry) whose revocations it mirrors, its URL and how
many of its indices have been handed out (``allocated``: indices are given in order and never
again, even when the credentials they were meant for were never queued). ``credentials`` gains
the list and index of its ``credentialStatus`` entry (NULL for unsigned, format-1 credentials).

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "status_lists",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("issuer_did", sa.String, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("chain_id", sa.Integer, nullable=False),
        sa.Column("registry", sa.String(42), nullable=False),
        sa.Column("url", sa.String, nullable=False, unique=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("allocated", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
        sa.UniqueConstraint("issuer_did", "number", name="uq_status_lists_issuer_number"),
    )
    with op.batch_alter_table("credentials") as batch:
        batch.add_column(sa.Column("status_list", sa.Integer, nullable=True))
        batch.add_column(sa.Column("status_index", sa.Integer, nullable=True))
    op.create_index("ix_credentials_status", "credentials", ["status_list", "status_index"], unique=True,
                    sqlite_where=sa.text("status_list IS NOT NULL"),
                    postgresql_where=sa.text("status_list IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_credentials_status", "credentials")
    with op.batch_alter_table("credentials") as batch:
        batch.drop_column("status_index")
        batch.drop_column("status_list")
    op.drop_table("status_lists")
