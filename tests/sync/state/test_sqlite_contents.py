"""An empty file, another program's database or a text file given as the state."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from sync.atomic import new_backup_path
from sync.state.errors import EmptyStateError, StateError
from sync.state.schema import HEAD_REVISION, schema_revisions
from sync.state.store import StateStore


def foreign_database(path: Path, tables: list[str]) -> bytes:
    """Create an SQLite file in rollback journal mode; return its bytes."""
    with sqlite3.connect(path) as connection:
        for table in tables:
            connection.execute(f"CREATE TABLE {table} (id INTEGER)")
    connection.close()
    return path.read_bytes()


def test_empty_file_rejected_for_reading(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    path.touch()

    with pytest.raises(EmptyStateError) as raised:
        StateStore.open_for_reading(str(path))

    assert str(raised.value) == (
        f"State database {str(path)!r} is empty: no run has been recorded in it. "
        "Pass --state or set PIPESHEET_STATE to the database your runs use, or "
        "run 'pipesheet run CONFIG' first to create it."
    )
    assert path.stat().st_size == 0


def test_database_without_tables_rejected(tmp_path: Path) -> None:
    path = tmp_path / "blank.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA user_version = 1")
    connection.close()

    with pytest.raises(EmptyStateError) as raised:
        StateStore.open_for_reading(str(path))

    assert f"{str(path)!r} is an SQLite database without tables" in str(raised.value)


def test_empty_file_read_as_new(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    path.touch()

    assert StateStore.read_revisions(str(path)) == []
    assert path.stat().st_size == 0


def test_empty_file_becomes_state(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    path.touch()

    with StateStore.open(str(path)) as store, store.engine.connect() as connection:
        assert schema_revisions(connection) == [HEAD_REVISION]


def test_foreign_database_rejected_for_reading(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    tables = ["contacts", "notes", "invoices", "tags", "users"]
    before = foreign_database(path, tables)

    with pytest.raises(StateError) as raised:
        StateStore.open_for_reading(str(path))

    assert str(raised.value) == (
        f"{str(path)!r} is not a pipesheet state database: it has tables named "
        "'contacts', 'invoices', 'notes' and 2 more but no pipesheet schema "
        "revision. Pass --state or set PIPESHEET_STATE to the database your runs "
        "use, or to a new path, which a run creates. Nothing was changed."
    )
    assert path.read_bytes() == before


def test_foreign_database_unchanged_by_run(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    before = foreign_database(path, ["contacts"])

    with pytest.raises(StateError) as raised:
        StateStore.open(str(path))

    assert "it has a table named 'contacts'" in str(raised.value)
    assert path.read_bytes() == before
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["other.sqlite"]


def test_foreign_alembic_database_rejected(tmp_path: Path) -> None:
    # Another program that uses Alembic records its own revision.
    path = tmp_path / "other.sqlite"
    before = foreign_database(path, ["alembic_version", "contacts"])

    with pytest.raises(StateError) as raised:
        StateStore.open(str(path))

    assert "is not a pipesheet state database" in str(raised.value)
    assert path.read_bytes() == before


@pytest.mark.parametrize("writing", [False, True], ids=["reading", "writing"])
def test_text_file_rejected(tmp_path: Path, writing: bool) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Call Acme on Monday\n")
    open_store = StateStore.open if writing else StateStore.open_for_reading

    with pytest.raises(StateError) as raised:
        open_store(str(path))

    assert str(raised.value) == (
        f"State database {str(path)!r} is not an SQLite database (file is not a "
        "database), so it is another program's file or a damaged database. Pass "
        "--state or set PIPESHEET_STATE to the database your runs use, or to a "
        "new path, which a run creates. A damaged database cannot be repaired by "
        "pipesheet: copy a backup over it, or move it aside and run again, which "
        "starts an empty stage history. Nothing was changed."
    )
    assert path.read_text() == "Call Acme on Monday\n"


def test_state_database_still_read(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    StateStore.open(str(path)).close()

    with StateStore.open_for_reading(str(path)) as store:
        assert store.runs(limit=1) == []
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert schema_revisions(connection) == [HEAD_REVISION]
    engine.dispose()


def truncated_database(path: Path) -> None:
    """Write a state database with a recorded run, then cut it short."""
    with StateStore.open(str(path)) as store:
        run_id = store.start_run("pipeline.xlsx", "Deals", dt.date(2025, 9, 30))
        store.finish_run(run_id, "ok")
    with path.open("r+b") as file:
        file.truncate(6000)


@pytest.mark.parametrize("writing", [False, True], ids=["reading", "writing"])
def test_truncated_database_named_damaged(tmp_path: Path, writing: bool) -> None:
    path = tmp_path / "state.sqlite"
    truncated_database(path)
    open_store = StateStore.open if writing else StateStore.open_for_reading

    with pytest.raises(StateError) as raised:
        open_store(str(path)).close()

    assert str(raised.value) == (
        f"State database {str(path)!r} is damaged (database disk image is "
        "malformed), so pipesheet cannot use it. Copy a backup of your own over "
        "it. Or move the file aside, with any -wal and -shm files beside it, and "
        "run again: the run creates a new database, and the stage history starts "
        "empty."
    )


def test_damaged_database_names_backup(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    truncated_database(path)
    backup = new_backup_path(path)
    backup.write_bytes(b"")

    with pytest.raises(StateError) as raised:
        StateStore.open(str(path))

    expected = (
        f"Copy a backup over it, such as {str(backup)!r} (the newest of the "
        "copies pipesheet kept before schema upgrades, which lacks the runs "
        "recorded since), or one of your own."
    )
    assert expected in str(raised.value)
