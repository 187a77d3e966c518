"""Record in each run the last month whose review it wrote or found written.

Runs recorded before this revision get NULL: the review step of the
version that recorded them is not known, because versions before the
monthly review recorded runs too.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


# Batch mode is not used: on SQLite it may rebuild the runs table, and
# dropping the old table would delete every snapshot and transition through
# their ON DELETE CASCADE keys. SQLite adds and, from 3.35, drops a column in
# place.


def upgrade() -> None:
    """Add runs.reviewed_through."""
    op.add_column("runs", sa.Column("reviewed_through", sa.Date))


def downgrade() -> None:
    """Drop runs.reviewed_through."""
    op.drop_column("runs", "reviewed_through")
