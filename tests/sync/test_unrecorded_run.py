"""Tests of a run whose workbook was written but whose recording failed."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from config.errors import PipesheetError
from config.loader import load_pipeline
from config.models import Pipeline
from sync.job import UNRECORDED_END, RunNotRecordedError, RunRequest, record_run
from sync.state.errors import StateError
from sync.state.keys import workbook_key
from sync.state.records import RunOutcome
from sync.state.store import StateStore
from tests.sync.pipeline_files import SheetDeal, write_deals, write_definition

SEPTEMBER_30 = dt.date(2025, 9, 30)
OCTOBER_1 = dt.date(2025, 10, 1)
DEALS = [
    SheetDeal("D-1", "Ana", "Lead"),
    SheetDeal("D-2", "Ben", "Qualified", next_step=dt.date(2025, 9, 25)),
]
MOVED = [DEALS[0], SheetDeal("D-2", "Ben", "Proposal")]
DISK_FULL = "database or disk is full"


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    path = tmp_path / "pipeline.xlsx"
    write_deals(path, DEALS)
    return path


@pytest.fixture
def pipeline(tmp_path: Path, workbook: Path) -> Pipeline:
    return load_pipeline(write_definition(tmp_path))


def run_on(pipeline: Pipeline, store: StateStore, as_of: dt.date) -> None:
    now = dt.datetime.combine(as_of, dt.time(5, 0), dt.UTC)
    record_run(RunRequest(pipeline, as_of), store, now=now)


def fill_disk_at_ok_outcome(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the UPDATE that records an ``ok`` outcome, as SQLite on a full disk.

    The snapshot and transitions of the run are written in the same
    transaction just before, so the rollback must take them back too.
    """
    finish = StateStore._finish

    def failing(
        self: StateStore, connection: sa.Connection, run_id: int, values: Any
    ) -> None:
        if values["outcome"] == RunOutcome.OK.value:
            cause = sqlite3.OperationalError(DISK_FULL)
            raise sa.exc.OperationalError("UPDATE runs", {}, cause)
        finish(self, connection, run_id, values)

    monkeypatch.setattr(StateStore, "_finish", failing)


def fail_lock_release(monkeypatch: pytest.MonkeyPatch, store: StateStore) -> None:
    def failing(workbook_key: str, holder: str) -> bool:
        raise StateError(f"State database {store.url!r} failed: {DISK_FULL}.")

    monkeypatch.setattr(store, "release_lock", failing)


def fail_every_outcome(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(
        self: StateStore, connection: sa.Connection, run_id: int, values: Any
    ) -> None:
        cause = sqlite3.OperationalError(DISK_FULL)
        raise sa.exc.OperationalError("UPDATE runs", {}, cause)

    monkeypatch.setattr(StateStore, "_finish", failing)


def snapshot_rows(store: StateStore) -> int:
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT COUNT(*) FROM run_snapshots")
        return int(rows.scalar_one())


def test_failed_recording_names_written_workbook(
    pipeline: Pipeline,
    store: StateStore,
    workbook: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_on(pipeline, store, SEPTEMBER_30)
    write_deals(workbook, MOVED)
    before = workbook.read_bytes()
    fill_disk_at_ok_outcome(monkeypatch)

    with pytest.raises(RunNotRecordedError) as raised:
        run_on(pipeline, store, OCTOBER_1)

    assert str(raised.value) == (
        f"Workbook {str(workbook)!r} was written, but the run's result was not "
        "recorded, and history lists the run as failed: State database "
        f"{store.url!r} failed: {DISK_FULL}. Check that it is "
        "reachable and writable, then retry. The next run compares the workbook "
        "with the last recorded run, so it dates the stage changes this run "
        "found to its own day."
    )
    assert workbook.read_bytes() != before


def test_failed_recording_stores_failed_run(
    pipeline: Pipeline,
    store: StateStore,
    workbook: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_on(pipeline, store, SEPTEMBER_30)
    write_deals(workbook, MOVED)
    fill_disk_at_ok_outcome(monkeypatch)

    with pytest.raises(RunNotRecordedError) as raised:
        run_on(pipeline, store, OCTOBER_1)

    key = workbook_key(pipeline)
    runs = store.runs(key)
    assert [run.outcome for run in runs] == [RunOutcome.FAILED, RunOutcome.OK]
    assert runs[0].error == str(raised.value)
    assert snapshot_rows(store) == 1
    assert [move.to_stage for move in store.transitions(key, "D-2")] == ["Qualified"]
    assert store.lock(key) is None


def test_unfreed_lock_keeps_recorded_run(
    pipeline: Pipeline,
    store: StateStore,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fail_lock_release(monkeypatch, store)

    with caplog.at_level(logging.WARNING, logger="sync.job"):
        run_on(pipeline, store, SEPTEMBER_30)

    runs = store.runs(workbook_key(pipeline))
    assert [run.outcome for run in runs] == [RunOutcome.OK]
    # The run started at 05:00 UTC and the lock lasts 30 minutes.
    expected = (
        f"Workbook {workbook_key(pipeline)!r} stays locked, because its lock could "
        f"not be freed: State database {store.url!r} failed: {DISK_FULL}. The next "
        "run on this host takes the lock over, but a run on another host waits "
        "until the lock expires at 2025-09-30T05:30:00+00:00."
    )
    assert [record.getMessage() for record in caplog.records] == [expected]


def test_unfreed_lock_keeps_recording_error(
    pipeline: Pipeline,
    store: StateStore,
    workbook: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_on(pipeline, store, SEPTEMBER_30)
    write_deals(workbook, MOVED)
    fill_disk_at_ok_outcome(monkeypatch)
    fail_lock_release(monkeypatch, store)

    with pytest.raises(RunNotRecordedError, match="history lists the run as failed"):
        run_on(pipeline, store, OCTOBER_1)


def test_unrecorded_failure_listed_unfinished(
    pipeline: Pipeline,
    store: StateStore,
    workbook: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # When the failed outcome cannot be stored either, history shows no outcome.
    run_on(pipeline, store, SEPTEMBER_30)
    write_deals(workbook, MOVED)

    def failing(
        self: StateStore, connection: sa.Connection, run_id: int, values: Any
    ) -> None:
        cause = sqlite3.OperationalError(DISK_FULL)
        raise sa.exc.OperationalError("UPDATE runs", {}, cause)

    monkeypatch.setattr(StateStore, "_finish", failing)

    with pytest.raises(RunNotRecordedError) as raised:
        run_on(pipeline, store, OCTOBER_1)

    listed = (
        "history lists the run as unfinished until the next run records it as "
        "failed: State database"
    )
    assert listed in str(raised.value)
    runs = store.runs(workbook_key(pipeline))
    assert [run.outcome for run in runs] == [None, RunOutcome.OK]


def test_unwritten_run_records_failure(
    pipeline: Pipeline,
    store: StateStore,
    workbook: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_on(pipeline, store, SEPTEMBER_30)
    before = workbook.read_bytes()
    fill_disk_at_ok_outcome(monkeypatch)

    with pytest.raises(StateError) as raised:
        run_on(pipeline, store, SEPTEMBER_30)

    assert not isinstance(raised.value, RunNotRecordedError)
    assert workbook.read_bytes() == before
    runs = store.runs(workbook_key(pipeline))
    assert [run.outcome for run in runs] == [RunOutcome.FAILED, RunOutcome.OK]
    assert runs[0].error == str(raised.value)
    assert runs[0].finished_at is not None


def test_next_run_closes_unrecorded_run(
    pipeline: Pipeline,
    store: StateStore,
    workbook: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_on(pipeline, store, SEPTEMBER_30)
    write_deals(workbook, MOVED)
    with monkeypatch.context() as patched:
        fail_every_outcome(patched)
        with pytest.raises(RunNotRecordedError):
            run_on(pipeline, store, OCTOBER_1)

    run_on(pipeline, store, OCTOBER_1)

    runs = store.runs(workbook_key(pipeline))
    outcomes = [run.outcome for run in runs]
    assert outcomes == [RunOutcome.OK, RunOutcome.FAILED, RunOutcome.OK]
    assert runs[1].error == UNRECORDED_END
    assert runs[1].finished_at is not None


def test_failed_outcome_unrecorded_keeps_run_error(
    pipeline: Pipeline,
    store: StateStore,
    workbook: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The workbook's own error, not the database's, is what the user needs.
    workbook.unlink()
    fail_every_outcome(monkeypatch)

    with (
        caplog.at_level(logging.WARNING, logger="sync.job"),
        pytest.raises(PipesheetError) as raised,
    ):
        run_on(pipeline, store, SEPTEMBER_30)

    assert not isinstance(raised.value, StateError)
    assert "pipeline.xlsx" in str(raised.value)
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1
    assert messages[0].startswith("run 1 left without an outcome: State database")


def test_expired_lock_runs_left_unfinished(
    pipeline: Pipeline, store: StateStore
) -> None:
    # A holder whose lock expired may still be running; its run is its own.
    key = workbook_key(pipeline)
    start = dt.datetime(2025, 9, 30, 4, 0, tzinfo=dt.UTC)
    assert store.acquire_lock(key, "elsewhere:1:a", dt.timedelta(minutes=30), start)
    store.start_run(key, "Deals", SEPTEMBER_30, now=start + dt.timedelta(seconds=1))

    run_on(pipeline, store, SEPTEMBER_30)

    runs = store.runs(key)
    assert [run.outcome for run in runs] == [RunOutcome.OK, None]
