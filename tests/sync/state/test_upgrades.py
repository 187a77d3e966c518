"""Tests of a schema upgrade by a command that records runs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from rules.history import DealSnapshot
from sync.atomic import list_backups
from sync.state.errors import StateError
from sync.state.records import RunOutcome
from sync.state.schema import HEAD_REVISION, alembic_config
from sync.state.store import StateStore
from sync.state.upgrades import STATE_BACKUPS
from tests.sync.state.conftest import new_postgres_database
from tests.sync.state.test_store import WORKBOOK, finished_run, snapshot_run


@pytest.fixture
def older(tmp_path: Path) -> Path:
    """A state database with one run, one revision behind the newest."""
    database = tmp_path / "state.sqlite"
    with StateStore.open(str(database)) as store:
        finished_run(store, RunOutcome.OK)
    command.downgrade(alembic_config(f"sqlite:///{database}"), "-1")
    return database


def file_revisions(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT version_num FROM alembic_version")
        return [row[0] for row in rows]


def test_upgrade_keeps_old_database(older: Path) -> None:
    [old] = file_revisions(older)

    StateStore.open(str(older)).close()

    [backup] = list_backups(older)
    assert file_revisions(backup) == [old]
    assert file_revisions(older) == [HEAD_REVISION]
    with StateStore.open_for_reading(str(backup)) as store:
        assert len(store.runs(WORKBOOK)) == 1


def test_upgrade_announced(older: Path, caplog: pytest.LogCaptureFixture) -> None:
    [old] = file_revisions(older)

    StateStore.open(str(older)).close()

    [backup] = list_backups(older)
    assert (
        f"Upgrading state database {str(older)!r} from schema revision {old!r} "
        f"to {HEAD_REVISION!r}. pipesheet versions that predate revision "
        f"{HEAD_REVISION!r} cannot open it afterwards. The database as it was "
        f"is kept in {str(backup)!r}"
    ) in caplog.text


def test_current_database_not_copied(older: Path) -> None:
    StateStore.open(str(older)).close()
    StateStore.open(str(older)).close()

    assert len(list_backups(older)) == 1


def test_upgrade_backups_bounded(older: Path) -> None:
    for _ in range(STATE_BACKUPS + 2):
        StateStore.open(str(older)).close()
        command.downgrade(alembic_config(f"sqlite:///{older}"), "-1")

    assert len(list_backups(older)) == STATE_BACKUPS


def test_failed_backup_stops_upgrade(older: Path) -> None:
    [old] = file_revisions(older)
    (older.parent / ".pipesheet-backups").write_text("a file, not a folder")

    with pytest.raises(StateError) as raised:
        StateStore.open(str(older))

    assert str(raised.value).startswith(
        f"State database {str(older)!r} needs a schema upgrade for this "
        "pipesheet version, but keeping a copy of it from before the upgrade "
        "failed:"
    )
    assert file_revisions(older) == [old]


def test_reviewed_through_migration_keeps_snapshots(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    deals = [DealSnapshot("D-1", "Lead", "Ana", 100.0, 2)]
    with StateStore.open(str(path)) as store:
        snapshot_run(store, RunOutcome.OK, deals)
    command.downgrade(alembic_config(f"sqlite:///{path}"), "0004")

    with StateStore.open(str(path)) as store:
        assert store.latest_snapshot(WORKBOOK) == deals
        [run] = store.runs(WORKBOOK)
    with sqlite3.connect(path) as connection:
        [reviewed] = connection.execute("SELECT reviewed_through FROM runs")
    assert reviewed == (None,)


def url_revisions(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            query = sa.text("SELECT version_num FROM alembic_version")
            return list(connection.execute(query).scalars())
    finally:
        engine.dispose()


@pytest.fixture
def older_url(postgres_server: str) -> str:
    """A PostgreSQL state database one revision behind the newest."""
    url = new_postgres_database(postgres_server)
    with StateStore.open(url) as store:
        finished_run(store, RunOutcome.OK)
    command.downgrade(alembic_config(url), "-1")
    return url


def test_reading_older_url_rejected(older_url: str) -> None:
    [old] = url_revisions(older_url)

    with pytest.raises(StateError) as raised:
        StateStore.open_for_reading(older_url)

    assert f"has schema revision {old!r}, older than this pipesheet's" in str(
        raised.value
    )
    assert "Back the database up, then run 'pipesheet run CONFIG'" in str(raised.value)
    assert url_revisions(older_url) == [old]


def test_url_upgrade_says_to_back_up(
    older_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    StateStore.open(older_url).close()

    assert url_revisions(older_url) == [HEAD_REVISION]
    assert "pipesheet keeps no copy of a database at a URL" in caplog.text
