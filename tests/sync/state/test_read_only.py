"""Tests of opening a state database for a command that records nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command

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


def file_revisions(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT version_num FROM alembic_version")
        return [row[0] for row in rows]


def test_reading_older_schema_reads_copy(path: Path) -> None:
    downgrade_one_revision(path)
    before = path.read_bytes()

    with StateStore.open_for_reading(str(path)) as store:
        assert read_revisions(store) == [HEAD_REVISION]
        assert len(store.runs(WORKBOOK)) == 1
        assert store.url == str(path)
        copy = Path(store.engine.url.database or "")

    assert file_revisions(path) != [HEAD_REVISION]
    assert path.read_bytes() == before
    assert not copy.parent.exists()


def test_reading_older_schema_warns(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    downgrade_one_revision(path)
    [old] = file_revisions(path)

    with StateStore.open_for_reading(str(path)):
        pass

    assert (
        f"State database {str(path)!r} has schema revision {old!r}, older than "
        f"this pipesheet's {HEAD_REVISION!r}, so this command read an upgraded "
        "copy and left the database unchanged."
    ) in caplog.text


def test_reading_newer_schema_rejected(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    before = path.read_bytes()

    with pytest.raises(StateError) as raised:
        StateStore.open_for_reading(str(path))

    assert str(raised.value).startswith(
        f"State database {str(path)!r} was written by a newer pipesheet: it has "
        "schema revision '9999'"
    )
    assert path.read_bytes() == before


def test_read_revisions_changes_nothing(path: Path) -> None:
    downgrade_one_revision(path)
    [old] = file_revisions(path)

    assert StateStore.read_revisions(str(path)) == [old]
    assert file_revisions(path) == [old]


def test_read_revisions_of_missing_file(tmp_path: Path) -> None:
    assert StateStore.read_revisions(str(tmp_path / "none.sqlite")) is None
