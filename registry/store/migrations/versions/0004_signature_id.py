"""The id of each credential's signature proof (format 2), which the anchor proof chains to.

NULL for a credential queued unsigned (format 1): the job then writes the format-1 proof.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("signature_id", sa.String, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("signature_id")
