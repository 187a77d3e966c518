"""Bringing a state database's schema up to date, and leaving a current one alone."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from sync.state.engine import state_url as database_url
from sync.state.errors import StateError
from sync.state.schema import (
    HEAD_REVISION,
    alembic_config,
    schema_revisions,
    upgrade_schema,
)
from sync.state.store import StateStore
from sync.state.tables import metadata
from tests.sync.state.conftest import new_postgres_database


def test_head_revision_is_newest_migration() -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()

    assert HEAD_REVISION == head


def test_new_database_has_no_revision(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path}/new.sqlite")

    with engine.connect() as connection:
        assert schema_revisions(connection) == []
    engine.dispose()


def test_open_store_at_head(store: StateStore) -> None:
    with store.engine.connect() as connection:
        assert schema_revisions(connection) == [HEAD_REVISION]


def test_database_behind_head_upgraded(store: StateStore) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    command.downgrade(alembic_config(url), "0001")

    with store.engine.connect() as connection:
        upgrade_schema(connection)
        revisions = schema_revisions(connection)

    assert revisions == [HEAD_REVISION]


def test_upgrade_at_head_leaves_no_transaction(store: StateStore) -> None:
    with store.engine.connect() as connection:
        upgrade_schema(connection)

        assert not connection.in_transaction()


def newer_database(tmp_path: Path) -> Path:
    """Return a state database at a revision that no packaged migration has."""
    path = tmp_path / "newer.sqlite"
    StateStore.open(str(path)).close()
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    return path


def test_newer_database_is_rejected(tmp_path: Path) -> None:
    path = newer_database(tmp_path)

    with pytest.raises(StateError) as raised:
        StateStore.open(str(path))

    assert str(raised.value) == (
        f"State database {str(path)!r} was written by a newer pipesheet: it has "
        "schema revision '0099', which this pipesheet does not know (its newest "
        f"is {HEAD_REVISION!r}). Upgrade pipesheet, or point --state or "
        "PIPESHEET_STATE at another database. Nothing was changed."
    )


def test_newer_database_is_left_alone(tmp_path: Path) -> None:
    path = newer_database(tmp_path)

    with pytest.raises(StateError):
        StateStore.open(str(path))

    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert schema_revisions(connection) == ["0099"]
    engine.dispose()


def test_foreign_runs_table_rejected(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE runs (x)")
    connection.close()

    with pytest.raises(StateError) as raised:
        StateStore.open(str(path))

    assert str(raised.value) == (
        f"{str(path)!r} is not a pipesheet state database: it has a table named "
        "'runs' but no pipesheet schema revision. Pass --state or set "
        "PIPESHEET_STATE to the database your runs use, or to a new path, which "
        "a run creates. Nothing was changed."
    )


def test_unrelated_sqlite_tables_rejected(tmp_path: Path) -> None:
    # An SQLite file is one program's database, so pipesheet's tables do not
    # go beside another program's.
    path = tmp_path / "shared.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (x)")
    connection.close()

    with pytest.raises(StateError, match="it has a table named 'notes'"):
        StateStore.open(str(path))

    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert schema_revisions(connection) == []
        assert sa.inspect(connection).get_table_names() == ["notes"]
    engine.dispose()


@pytest.mark.parametrize("create", [True, False], ids=["create", "existing"])
def test_folder_as_state_rejected(tmp_path: Path, create: bool) -> None:
    folder = tmp_path / "state.sqlite"
    folder.mkdir()

    with pytest.raises(StateError) as raised:
        StateStore.open(str(folder), create=create)

    assert str(raised.value) == (
        f"State database {str(folder)!r} is a folder, not a file. Pass --state "
        "or set PIPESHEET_STATE to a file path, such as "
        f"{str(folder / 'pipesheet-state.sqlite')!r}."
    )


@pytest.fixture
def migrated_url(state_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Return a second database on ``state_url``'s backend, built by migrations."""
    if "://" in state_url:
        url = new_postgres_database(request.getfixturevalue("postgres_server"))
    else:
        url = f"sqlite:///{tmp_path}/migrated.sqlite"
    command.upgrade(alembic_config(url), "head")
    return url


def schema_of(url: str | sa.URL) -> dict[str, Any]:
    """Return each table's columns, keys, indexes and checks from the database."""
    engine = sa.create_engine(url)
    inspector = sa.inspect(engine)
    schema = {
        table: (
            [
                (column["name"], str(column["type"]), column["nullable"])
                for column in inspector.get_columns(table)
            ],
            inspector.get_pk_constraint(table),
            inspector.get_foreign_keys(table),
            sorted(inspector.get_indexes(table), key=lambda index: index["name"]),
            inspector.get_unique_constraints(table),
            inspector.get_check_constraints(table),
        )
        for table in sorted(inspector.get_table_names())
    }
    engine.dispose()
    return schema


def test_new_database_schema_matches_migrations(
    state_url: str, migrated_url: str
) -> None:
    StateStore.open(state_url).close()

    assert schema_of(database_url(state_url)) == schema_of(migrated_url)


def test_new_database_records_head_revision(state_url: str) -> None:
    StateStore.open(state_url).close()
    engine = sa.create_engine(database_url(state_url))

    with engine.connect() as connection:
        assert schema_revisions(connection) == [HEAD_REVISION]
    engine.dispose()


def test_new_database_tables_not_looked_up(tmp_path: Path) -> None:
    statements: list[str] = []

    def record(*arguments: Any) -> None:
        statements.append(arguments[2])

    sa.event.listen(sa.Engine, "before_cursor_execute", record)
    try:
        StateStore.open(str(tmp_path / "state.sqlite")).close()
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", record)
    lookups = [
        statement
        for statement in statements
        if "table_info" in statement
        and any(f'"{name}"' in statement for name in metadata.tables)
    ]

    assert any(statement.startswith("\nCREATE TABLE runs") for statement in statements)
    assert lookups == []


def test_migrations_build_tables_schema(migrated_url: str) -> None:
    engine = sa.create_engine(migrated_url)

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    engine.dispose()

    assert differences == []


def test_new_database_opens_without_alembic(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from sync.state.store import StateStore\n"
        f"StateStore.open({str(tmp_path / 'new.sqlite')!r}).close()\n"
        "print('alembic' in sys.modules)\n"
    )

    opened = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )

    assert opened.stdout == "False\n"
