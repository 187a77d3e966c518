"""Create the runs, snapshots, transitions, locks and digests_sent tables.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

KEY = sa.String(1024)


def upgrade() -> None:
    """Create every table of the first schema."""
    create_runs()
    create_snapshots()
    create_transitions()
    create_locks()
    create_digests_sent()


def downgrade() -> None:
    """Drop every table of the first schema, dependants first."""
    for table in ["digests_sent", "locks", "transitions", "snapshots", "runs"]:
        op.drop_table(table)


def create_runs() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workbook_key", KEY, nullable=False),
        sa.Column("tab", sa.String(255), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(16)),
        sa.Column("deals", sa.Integer),
        sa.Column("errors", sa.Integer),
        sa.Column("warnings", sa.Integer),
        sa.Column("infos", sa.Integer),
        sa.Column("status_cells_written", sa.Integer),
        sa.Column("tabs_written", sa.JSON),
        sa.Column("api_requests", sa.Integer),
        sa.Column("bytes_written", sa.BigInteger),
        sa.Column("error", sa.Text),
        sa.Column(
            "has_snapshot", sa.Boolean, nullable=False, server_default=sa.false()
        ),
        sa.CheckConstraint(
            "outcome IN ('ok', 'failed', 'skipped', 'deferred')",
            name="ck_runs_outcome",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_workbook_key_id", "runs", ["workbook_key", "id"])


def create_snapshots() -> None:
    op.create_table(
        "snapshots",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("deal_id", sa.String(255), nullable=False),
        sa.Column("stage", sa.String(255)),
        sa.Column("owner", sa.String(255)),
        sa.Column("amount", sa.Float),
        sa.Column("row", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_snapshots"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name="fk_snapshots_run_id_runs",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_snapshots_run_id", "snapshots", ["run_id"])


def create_transitions() -> None:
    op.create_table(
        "transitions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workbook_key", KEY, nullable=False),
        sa.Column("deal_id", sa.String(255), nullable=False),
        sa.Column("from_stage", sa.String(255)),
        sa.Column("to_stage", sa.String(255)),
        sa.Column("seen_on", sa.Date, nullable=False),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_transitions"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name="fk_transitions_run_id_runs",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_transitions_run_id", "transitions", ["run_id"])
    op.create_index(
        "ix_transitions_workbook_key_deal_id",
        "transitions",
        ["workbook_key", "deal_id"],
    )


def create_locks() -> None:
    op.create_table(
        "locks",
        sa.Column("workbook_key", KEY, nullable=False),
        sa.Column("holder", sa.String(255), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workbook_key", name="pk_locks"),
    )


def create_digests_sent() -> None:
    op.create_table(
        "digests_sent",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workbook_key", KEY, nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("digest_date", sa.Date, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_digests_sent"),
        sa.UniqueConstraint(
            "workbook_key",
            "owner",
            "channel",
            "digest_date",
            name="uq_digests_sent_workbook_key_owner_channel_digest_date",
        ),
    )
