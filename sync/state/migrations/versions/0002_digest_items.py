"""Create the digest_items table: the items each owner's digests carried.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the digest_items table."""
    op.create_table(
        "digest_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workbook_key", sa.String(1024), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("identity", sa.String(64), nullable=False),
        sa.Column("first_sent_on", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_digest_items"),
        sa.UniqueConstraint(
            "workbook_key",
            "owner",
            "identity",
            name="uq_digest_items_workbook_key_owner_identity",
        ),
    )


def downgrade() -> None:
    """Drop the digest_items table."""
    op.drop_table("digest_items")
