"""Record the channel of each sent digest item, so items are new per channel.

Items recorded before this revision get the channel "", which the ledger
counts as sent on every channel, as it did then.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

OWNER_UNIQUE = "uq_digest_items_workbook_key_owner_identity"
CHANNEL_UNIQUE = "uq_digest_items_workbook_key_owner_channel_identity"


def upgrade() -> None:
    """Add digest_items.channel and make items unique per channel."""
    with op.batch_alter_table("digest_items") as batch:
        batch.add_column(
            sa.Column("channel", sa.String(64), nullable=False, server_default="")
        )
        batch.drop_constraint(OWNER_UNIQUE, type_="unique")
        batch.create_unique_constraint(
            CHANNEL_UNIQUE, ["workbook_key", "owner", "channel", "identity"]
        )


def downgrade() -> None:
    """Keep one row per owner and item, the first recorded, and drop the channel."""
    op.execute(
        "DELETE FROM digest_items WHERE id NOT IN (SELECT first_id FROM "
        "(SELECT MIN(id) AS first_id FROM digest_items "
        "GROUP BY workbook_key, owner, identity) AS firsts)"
    )
    with op.batch_alter_table("digest_items") as batch:
        batch.drop_constraint(CHANNEL_UNIQUE, type_="unique")
        batch.create_unique_constraint(
            OWNER_UNIQUE, ["workbook_key", "owner", "identity"]
        )
        batch.drop_column("channel")
