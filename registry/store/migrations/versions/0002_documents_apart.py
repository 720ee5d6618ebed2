"""Documents apart from credentials: batching rewrites narrow rows, not documents.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("credential_id", sa.String, primary_key=True),
        sa.Column("document", sa.Text, nullable=False),
    )
    op.execute("INSERT INTO documents (credential_id, document) SELECT credential_id, document FROM credentials")
    with op.batch_alter_table("credentials") as batch:
        batch.drop_column("document")


def downgrade() -> None:
    with op.batch_alter_table("credentials") as batch:
        batch.add_column(sa.Column("document", sa.Text, nullable=False, server_default=""))
    op.execute("UPDATE credentials SET document = (SELECT document FROM documents "
               "WHERE documents.credential_id = credentials.credential_id)")
    op.drop_table("documents")
