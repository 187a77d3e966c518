"""Record in each run the stages of the definition it used, in order.

A recorded stage change is then judged by the stage list of the run that
recorded it, and a month's review counts the month with the list of the
month's last run, not with a definition changed later. Runs recorded before
this revision get NULL, and they count as runs of the definition in use.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


# Batch mode is not used, for the reason given in revision 0005: rebuilding
# the runs table on SQLite would delete every snapshot and transition.


def upgrade() -> None:
    """Add runs.stages."""
    op.add_column("runs", sa.Column("stages", sa.JSON))


def downgrade() -> None:
    """Drop runs.stages."""
    op.drop_column("runs", "stages")
