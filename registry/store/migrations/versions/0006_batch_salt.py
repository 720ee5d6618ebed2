"""A batch's salt leaf: set when its root was anchored first by another issuer (root squatting).

The job then adds one random 32-byte leaf after the credentials' and anchors the new root; the
salt is kept so that the tree (and every path) can be rebuilt. NULL for a batch never squatted.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("salt", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("batches") as batch:
        batch.drop_column("salt")
