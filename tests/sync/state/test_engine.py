"""Tests of the state database engine helpers."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from sync.state.engine import switch_to_wal, upsert_insert
from tests.python_child import python_output

REPOSITORY = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [("sqlite", sqlite.insert), ("postgresql", postgresql.insert)],
    ids=["sqlite", "postgresql"],
)
def test_upsert_insert_of_dialect(dialect: str, expected: Callable[..., Any]) -> None:
    assert upsert_insert(dialect) is expected


def test_upsert_insert_of_other_database() -> None:
    assert upsert_insert("mysql") is None


def test_sqlite_lock_leaves_out_postgresql_dialect(tmp_path: Path) -> None:
    # Importing the PostgreSQL dialect costs every SQLite run about 15 ms.
    script = (
        "import datetime as dt, sys\n"
        "from sync.state.store import StateStore\n"
        f"store = StateStore.open({str(tmp_path / 'state.sqlite')!r})\n"
        "now = dt.datetime.now(dt.UTC)\n"
        "taken = store.acquire_lock('w.xlsx', 'h:1:u', dt.timedelta(minutes=1), now)\n"
        "store.release_lock('w.xlsx', 'h:1:u')\n"
        "print(taken, 'sqlalchemy.dialects.postgresql' in sys.modules)\n"
    )

    assert python_output(script) == "True False\n"


class LockedCursor:
    """A cursor whose first ``failures`` statements raise ``message``."""

    def __init__(self, failures: int, message: str) -> None:
        self.failures = failures
        self.message = message
        self.statements: list[str] = []

    def execute(self, statement: str) -> None:
        self.statements.append(statement)
        if len(self.statements) <= self.failures:
            raise sqlite3.OperationalError(self.message)


def test_wal_switch_retried_while_locked() -> None:
    cursor = LockedCursor(2, "database is locked")
    pauses: list[float] = []

    switch_to_wal(cursor, pauses.append)  # type: ignore[arg-type]

    assert cursor.statements == ["PRAGMA journal_mode=WAL"] * 3
    assert len(pauses) == 2


def test_wal_switch_other_error_raised() -> None:
    cursor = LockedCursor(1, "disk I/O error")

    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        switch_to_wal(cursor, lambda _seconds: None)  # type: ignore[arg-type]

    assert cursor.statements == ["PRAGMA journal_mode=WAL"]
