"""Store each run's snapshot and transitions as one compressed document.

The snapshots and transitions tables had one row per deal and per transition.
They become run_snapshots and run_transitions, one document per run (see
:mod:`sync.state.packing`); the rows already stored are packed run by run.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rules.history import DealSnapshot, Transition
from sync.state.packing import (
    pack_snapshot,
    pack_transitions,
    unpack_snapshot,
    unpack_transitions,
)

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

KEY = sa.String(1024)

runs = sa.table(
    "runs",
    sa.column("id", sa.Integer),
    sa.column("workbook_key", KEY),
    sa.column("has_snapshot", sa.Boolean),
)
snapshots = sa.table(
    "snapshots",
    sa.column("id", sa.Integer),
    sa.column("run_id", sa.Integer),
    *(sa.column(name) for name in DealSnapshot._fields),
)
transitions = sa.table(
    "transitions",
    sa.column("id", sa.Integer),
    sa.column("workbook_key", KEY),
    sa.column("deal_id", sa.String(255)),
    sa.column("from_stage", sa.String(255)),
    sa.column("to_stage", sa.String(255)),
    sa.column("seen_on", sa.Date),
    sa.column("run_id", sa.Integer),
)
run_snapshots = sa.table(
    "run_snapshots",
    sa.column("run_id", sa.Integer),
    sa.column("packed", sa.LargeBinary),
)
run_transitions = sa.table(
    "run_transitions",
    sa.column("id", sa.Integer),
    sa.column("run_id", sa.Integer),
    sa.column("packed", sa.LargeBinary),
)


def upgrade() -> None:
    """Create the document tables, pack the stored rows, drop the row tables."""
    create_run_snapshots()
    create_run_transitions()
    pack_stored_snapshots()
    pack_stored_transitions()
    op.drop_table("transitions")
    op.drop_table("snapshots")


def downgrade() -> None:
    """Recreate the row tables, unpack the documents, drop the document tables."""
    create_snapshots()
    create_transitions()
    unpack_stored_snapshots()
    unpack_stored_transitions()
    op.drop_table("run_transitions")
    op.drop_table("run_snapshots")


def create_run_snapshots() -> None:
    op.create_table(
        "run_snapshots",
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("packed", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("run_id", name="pk_run_snapshots"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name="fk_run_snapshots_run_id_runs",
            ondelete="CASCADE",
        ),
    )


def create_run_transitions() -> None:
    op.create_table(
        "run_transitions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("packed", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_run_transitions"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name="fk_run_transitions_run_id_runs",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_run_transitions_run_id", "run_transitions", ["run_id"])


def pack_stored_snapshots() -> None:
    """Pack the snapshot of every run that saved one, an empty one included."""
    connection = op.get_bind()
    run_ids = connection.execute(
        sa.select(runs.c.id).where(runs.c.has_snapshot).order_by(runs.c.id)
    ).scalars()
    for run_id in list(run_ids):
        rows = connection.execute(
            sa.select(*(snapshots.c[name] for name in DealSnapshot._fields))
            .where(snapshots.c.run_id == run_id)
            .order_by(snapshots.c.row, snapshots.c.id)
        ).all()
        deals = [DealSnapshot(*row) for row in rows]
        connection.execute(
            sa.insert(run_snapshots).values(run_id=run_id, packed=pack_snapshot(deals))
        )


def pack_stored_transitions() -> None:
    """Pack each run's transitions, runs in the order they were recorded."""
    connection = op.get_bind()
    run_ids = connection.execute(
        sa.select(transitions.c.run_id)
        .group_by(transitions.c.run_id)
        .order_by(sa.func.min(transitions.c.id))
    ).scalars()
    for run_id in list(run_ids):
        rows = connection.execute(
            sa.select(*(transitions.c[name] for name in Transition._fields))
            .where(transitions.c.run_id == run_id)
            .order_by(transitions.c.id)
        ).all()
        packed = pack_transitions([Transition(*row) for row in rows])
        connection.execute(
            sa.insert(run_transitions).values(run_id=run_id, packed=packed)
        )


# The two tables below are created as 0001 created them. Each migration keeps
# its own copy, because a migration must not change when a later one does.
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


def unpack_stored_snapshots() -> None:
    """Write each packed snapshot back as one row per deal, in row order."""
    connection = op.get_bind()
    documents = connection.execute(
        sa.select(run_snapshots.c.run_id, run_snapshots.c.packed).order_by(
            run_snapshots.c.run_id
        )
    ).all()
    for run_id, packed in documents:
        rows = [
            {"run_id": run_id, **deal._asdict()} for deal in unpack_snapshot(packed)
        ]
        if rows:
            connection.execute(sa.insert(snapshots), rows)


def unpack_stored_transitions() -> None:
    """Write each packed document back as rows, in the order it was recorded."""
    connection = op.get_bind()
    documents = connection.execute(
        sa.select(
            run_transitions.c.run_id, runs.c.workbook_key, run_transitions.c.packed
        )
        .join(runs, runs.c.id == run_transitions.c.run_id)
        .order_by(run_transitions.c.id)
    ).all()
    for run_id, workbook_key, packed in documents:
        rows = [
            {"run_id": run_id, "workbook_key": workbook_key, **found._asdict()}
            for found in unpack_transitions(packed)
        ]
        if rows:
            connection.execute(sa.insert(transitions), rows)
