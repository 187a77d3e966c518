"""Bringing a state database's schema up to date, and leaving a current one alone."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from sync.state.errors import StateError
from sync.state.schema import (
    HEAD_REVISION,
    alembic_config,
    schema_revisions,
    upgrade_schema,
)
from sync.state.store import StateStore


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
