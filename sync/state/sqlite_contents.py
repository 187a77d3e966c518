"""Look inside an SQLite file before a state engine opens it.

The state engine switches every connection to WAL, which writes to the file.
On a read-only connection to a file that is not yet in WAL mode, such as an
empty file or another program's database, SQLite then fails with "attempt to
write a readonly database", which does not say what is wrong with the file.
For a run, which writes, the switch would change another program's file
before pipesheet finds that the file is not its own. So the file's tables are
read first with the sqlite3 module alone, which changes nothing.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from pathlib import Path

from sync.state.engine import SQLITE_BUSY_TIMEOUT_SECONDS
from sync.state.errors import EmptyStateError, StateError
from sync.state.read_only import file_uri_path, read_only_query
from sync.state.schema import VERSION_TABLE, ForeignTablesError

# Tables that every pipesheet schema revision has. A file whose tables lack
# one of them belongs to another program, unless its only table is
# alembic_version, as after a downgrade to the base revision.
PIPESHEET_MARKER_TABLES = frozenset({VERSION_TABLE.name, "runs"})


def check_sqlite_contents(path: str, *, writing: bool) -> None:
    """Check that the SQLite file at ``path`` is pipesheet's, or empty for a run.

    An empty file, 0 bytes or an SQLite database without tables, becomes
    pipesheet's database in a run, but a command that only reads has no run
    to read in it. A failure to read the file other than "not a database"
    passes, so the engine that opens the file next reports it.

    :param writing: the caller records a run, so an empty file is fine.
    :raises EmptyStateError: the file is empty and ``writing`` is False.
    :raises ForeignTablesError: the file has tables but is not pipesheet's.
    :raises StateError: the file is not an SQLite database.
    """
    try:
        size = os.stat(path).st_size
    except OSError:
        return
    tables = [] if size == 0 else _read_table_names(path)
    if tables is None:
        return
    if not tables:
        if writing:
            return
        kind = "is empty" if size == 0 else "is an SQLite database without tables"
        raise EmptyStateError(
            f"State database {path!r} {kind}: no run has been recorded in it. "
            "Pass --state or set PIPESHEET_STATE to the database your runs use, "
            "or run 'pipesheet run CONFIG' first to create it."
        )
    names = set(tables)
    if names != {VERSION_TABLE.name} and not PIPESHEET_MARKER_TABLES <= names:
        raise ForeignTablesError(sorted(tables))


def _read_table_names(path: str) -> list[str] | None:
    """Return the names of the tables in the SQLite file at ``path``.

    Returns None when SQLite cannot read the file for a reason other than its
    contents, such as a lock held past the busy timeout.

    :raises StateError: the file is not an SQLite database.
    """
    query = urllib.parse.urlencode(read_only_query(Path(path)))
    uri = f"{file_uri_path(Path(path))}?{query}"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
        try:
            rows = connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            ).fetchall()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        if getattr(error, "sqlite_errorname", None) != "SQLITE_NOTADB":
            return None
        raise StateError(
            f"State database {path!r} is not an SQLite database ({error}), so it "
            "is another program's file or a damaged database. Pass --state or "
            "set PIPESHEET_STATE to the database your runs use, or to a new "
            "path, which a run creates. A damaged database cannot be repaired "
            "by pipesheet: copy a backup over it, or move it aside and run "
            "again, which starts an empty stage history. Nothing was changed."
        ) from error
    return [str(name) for (name,) in rows]
