"""Tests of opening a state database for a command that records nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from sync.state import store as state_store
from sync.state.errors import StateError
from sync.state.records import RunOutcome
from sync.state.schema import HEAD_REVISION, alembic_config, recorded_revisions
from sync.state.store import StateStore
from tests.sync.state.test_store import WORKBOOK, finished_run


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A state database with one finished run."""
    database = tmp_path / "state.sqlite"
    with StateStore.open(str(database)) as store:
        finished_run(store, RunOutcome.OK)
    return database


def downgrade_one_revision(path: Path) -> None:
    command.downgrade(alembic_config(f"sqlite:///{path}"), "-1")


def read_revisions(store: StateStore) -> list[str]:
    with store.engine.connect() as connection:
        return recorded_revisions(connection)


def test_reading_store_lists_runs(path: Path) -> None:
    with StateStore.open_for_reading(str(path)) as store:
        runs = store.runs(WORKBOOK)

    assert [run.outcome for run in runs] == [RunOutcome.OK]


def test_reading_store_rejects_writes(path: Path) -> None:
    with (
        StateStore.open_for_reading(str(path)) as store,
        pytest.raises(StateError) as raised,
    ):
        finished_run(store, RunOutcome.OK)

    assert str(raised.value).startswith(
        f"State database {str(path)!r} failed: attempt to write a readonly database."
    )


def test_reading_upgrades_older_schema(path: Path) -> None:
    downgrade_one_revision(path)

    with StateStore.open_for_reading(str(path)) as store:
        assert read_revisions(store) == [HEAD_REVISION]
        assert len(store.runs(WORKBOOK)) == 1


def test_failed_upgrade_for_reading_named(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stands in for an older database on a read-only file system, where the
    # upgrade's first write fails.
    downgrade_one_revision(path)

    def reject_write(connection: sa.Connection) -> None:
        cause = sqlite3.OperationalError("attempt to write a readonly database")
        raise sa.exc.OperationalError("BEGIN IMMEDIATE", {}, cause)

    monkeypatch.setattr(state_store, "upgrade_schema", reject_write)

    with pytest.raises(StateError) as raised:
        StateStore.open_for_reading(str(path))

    assert str(raised.value) == (
        f"State database {str(path)!r} needs a schema upgrade for this pipesheet "
        "version, but the upgrade failed: attempt to write a readonly database. "
        "Make the database writable and run the command again, which upgrades "
        "it once, or use the pipesheet version that wrote it."
    )
