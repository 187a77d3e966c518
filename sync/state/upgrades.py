"""Schema upgrades of a state database that keep the old one recoverable.

A command that records a run upgrades the schema once, logs a warning and,
for an SQLite file, first keeps a copy of the file in the backup folder beside
it, bounded as the workbook backups are. A command that only reads upgrades a
temporary copy instead and leaves the database as it was, because pipesheet
versions that predate the new revision cannot open an upgraded database.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import cast

import sqlalchemy as sa

from sync.state.errors import StateError
from sync.state.schema import HEAD_REVISION

logger = logging.getLogger(__name__)

# How many copies of an SQLite state database from before an upgrade are
# kept: as many as :func:`sync.atomic.write_atomically` keeps of a workbook.
STATE_BACKUPS = 3


def describe_revisions(revisions: list[str]) -> str:
    """Return the recorded revisions as a message names them."""
    if not revisions:
        return "no schema revision"
    noun = "revision" if len(revisions) == 1 else "revisions"
    return f"schema {noun} {', '.join(map(repr, revisions))}"


def keep_and_announce_upgrade(connection: sa.Connection, recorded: list[str]) -> None:
    """Keep a copy of an SQLite database, then warn that its schema is upgraded.

    Called by :func:`sync.state.schema.upgrade_schema` within the transaction
    that holds the write lock, so no other process changes the file while it
    is copied. A database at a URL is not copied.

    :raises StateError: the copy could not be written; the upgrade then
        does not happen.
    """
    if not recorded:
        # Tables beside pipesheet's in a shared database, but none of its own:
        # the migrations create the schema and there is nothing to keep.
        return
    url = connection.engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        path = Path(url.database)
        backup = _keep_sqlite_backup(connection, path)
        database = str(path)
        recovery = (
            f"The database as it was is kept in {str(backup)!r}; to go back to "
            "an older pipesheet, copy that file over it."
        )
    else:
        database = url.render_as_string(hide_password=True)
        recovery = (
            "pipesheet keeps no copy of a database at a URL, so going back to "
            "an older pipesheet needs a backup of your own from before this run."
        )
    logger.warning(
        "Upgrading state database %r from %s to %r. pipesheet versions that "
        "predate revision %r cannot open it afterwards. %s",
        database,
        describe_revisions(recorded),
        HEAD_REVISION,
        HEAD_REVISION,
        recovery,
    )


def _keep_sqlite_backup(connection: sa.Connection, path: Path) -> Path:
    """Copy the SQLite file at ``path`` into the backup folder and return the copy."""
    from sync.atomic import new_backup_path, remove_old_backups

    # SQLite's backup API rejects a source connection that is in a write
    # transaction, as ``connection`` is, so the copy reads through a second
    # connection. The lock that ``connection`` holds keeps other writers out.
    try:
        backup = new_backup_path(path)
        source = sqlite3.connect(path.as_uri() + "?mode=ro", uri=True)
        try:
            _copy_database(source, backup)
        finally:
            source.close()
        remove_old_backups(path, STATE_BACKUPS)
    except (OSError, sqlite3.Error) as error:
        raise StateError(
            f"State database {str(path)!r} needs a schema upgrade for this "
            f"pipesheet version, but keeping a copy of it from before the "
            f"upgrade failed: {error}. Nothing was changed. Free space or make "
            f"the folder {str(path.parent)!r} writable, then run again."
        ) from error
    return backup


def copy_for_reading(engine: sa.Engine, path: Path) -> Path:
    """Copy the SQLite database that ``engine`` reads into a new temporary folder.

    Returns the copy's path. The caller deletes its folder.

    :raises StateError: the copy failed.
    """
    folder = Path(tempfile.mkdtemp(prefix="pipesheet-state-"))
    copy = folder / "state.sqlite"
    try:
        raw = engine.raw_connection()
        try:
            _copy_database(cast(sqlite3.Connection, raw.driver_connection), copy)
        finally:
            raw.close()
    except (OSError, sqlite3.Error, sa.exc.SQLAlchemyError) as error:
        shutil.rmtree(folder, ignore_errors=True)
        raise StateError(
            f"State database {str(path)!r} has an older schema, and copying it "
            f"to read it without changing it failed: {error}. Run pipesheet "
            "without --dry-run once, which upgrades the database."
        ) from error
    return copy


def _copy_database(source: sqlite3.Connection, target: Path) -> None:
    """Write a consistent copy of the database ``source`` reads to ``target``."""
    connection = sqlite3.connect(target)
    try:
        source.backup(connection)
    finally:
        connection.close()
