"""Open an SQLite state database read-only, for commands that only read it.

``check``, ``run --dry-run`` and ``history`` record nothing, so they work on
a database that this process may not write: a read-only file, a
read-only folder or a file system mounted read-only.
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL

from sync.state.engine import create_state_engine


def create_read_only_engine(url: URL) -> sa.Engine:
    """Create an engine that opens the SQLite file of ``url`` with ``mode=ro``.

    With ``mode=ro`` alone, SQLite 3.40 failed to open a WAL database on a
    file system remounted read-only ("unable to open database file"),
    because it could not create the ``-shm`` file, and ``immutable=1``
    opened it. So a file whose folder cannot be written and that has no
    ``-wal`` file is opened as immutable. A ``-wal`` file means that a
    writer may have the database open, and immutable mode would skip its
    changes.
    """
    assert url.database, "a read-only engine needs an SQLite file"
    path = Path(url.database)
    query = {**read_only_query(path), "uri": "true"}
    uri = URL.create("sqlite+pysqlite", database=file_uri_path(path), query=query)
    return create_state_engine(uri)


def read_only_query(path: Path) -> dict[str, str]:
    """Return the SQLite URI parameters that open ``path`` read-only, as above."""
    query = {"mode": "ro"}
    wal = path.with_name(path.name + "-wal")
    if not os.access(path.parent, os.W_OK) and not wal.exists():
        query["immutable"] = "1"
    return query


def file_uri_path(path: Path) -> str:
    """Return ``path`` as the part of an SQLite URI before its parameters."""
    # A '?' or '#' in the path would end the URI's path part, so the path is
    # percent-encoded. SQLite decodes the escapes.
    return f"file:{urllib.parse.quote(str(path))}"
