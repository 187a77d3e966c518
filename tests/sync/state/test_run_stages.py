"""Tests of the stage lists that successful runs record (schema revision 0007)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from config.models import Outcome
from rules.history import Transition
from rules.stage_lists import RecordedStage, RunStages
from sync.state.ok_runs import ok_run_stages, stored_stage_list
from sync.state.records import RunOutcome
from sync.state.schema import alembic_config
from sync.state.store import StateStore
from sync.state.tables import runs
from tests.sync.state.test_store import AS_OF, FINISHED, STARTED, WORKBOOK

STAGES = (
    RecordedStage("Lead", Outcome.OPEN),
    RecordedStage("Won", Outcome.WON),
    RecordedStage("Lost", Outcome.LOST),
)


def stages_run(store: StateStore, outcome: RunOutcome, *, moved: bool) -> int:
    """Record a run of WORKBOOK with STAGES, and a move when ``moved``."""
    run_id = store.start_run(WORKBOOK, "Deals", AS_OF, now=STARTED)
    if moved:
        move = Transition("D-1", "Lead", "Won", AS_OF)
        store.record_transitions(WORKBOOK, run_id, [move])
    store.finish_run(run_id, outcome, now=FINISHED, stages=stored_stage_list(STAGES))
    return run_id


def test_ok_runs_return_their_stage_lists(store: StateStore) -> None:
    stages_run(store, RunOutcome.OK, moved=False)
    stages_run(store, RunOutcome.FAILED, moved=True)
    stages_run(store, RunOutcome.OK, moved=True)

    assert ok_run_stages(store, WORKBOOK) == (
        RunStages(AS_OF, STAGES, recorded_moves=False),
        RunStages(AS_OF, STAGES, recorded_moves=True),
    )


def test_unreadable_stage_list_counts_as_none(store: StateStore) -> None:
    run_id = stages_run(store, RunOutcome.OK, moved=False)
    with store.engine.begin() as connection:
        connection.execute(
            sa.update(runs)
            .where(runs.c.id == run_id)
            .values(stages=[["Lead", "maybe"]])
        )

    assert ok_run_stages(store, WORKBOOK) == (
        RunStages(AS_OF, None, recorded_moves=False),
    )


def test_upgrade_leaves_older_runs_without_list(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with StateStore.open(str(path)) as store:
        stages_run(store, RunOutcome.OK, moved=True)
    command.downgrade(alembic_config(f"sqlite:///{path}"), "0006")
    with sqlite3.connect(path) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(runs)")]
    assert "stages" not in columns

    with StateStore.open(str(path)) as store:
        assert ok_run_stages(store, WORKBOOK) == (
            RunStages(AS_OF, None, recorded_moves=True),
        )
        assert len(store.transitions(WORKBOOK)) == 1
