"""Pathway awards: one row per (issuer, pathway, learner) that was given the completion credential.

Written in the same transaction as the queued completion credential, and unique, so an award
killed at any point and run again gives each learner the credential exactly once.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pathway_awards",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("issuer_did", sa.String, nullable=False),
        sa.Column("pathway_id", sa.String, nullable=False),
        sa.Column("learner", sa.String, nullable=False),
        sa.Column("credential_id", sa.String, nullable=False, unique=True),
        sa.Column("awarded_at", sa.String, nullable=False),
        sa.UniqueConstraint("issuer_did", "pathway_id", "learner", name="uq_pathway_awards_learner"),
    )


def downgrade() -> None:
    op.drop_table("pathway_awards")
