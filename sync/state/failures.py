"""Messages for a state database that SQLite reports as damaged or full.

SQLite names the kind of each failure (``sqlite3.Error.sqlite_errorname``,
Python 3.11 and later), so the advice can fit it. A damaged file needs a
restore or a new file, and a full disk needs space. Anything else gets the
caller's general advice.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from sync.state.errors import StateError

# SQLITE_CORRUPT is "database disk image is malformed"; SQLITE_NOTADB is
# "file is not a database", which a damaged header gives too.
DAMAGED_ERRORS = frozenset({"SQLITE_CORRUPT", "SQLITE_NOTADB"})
FULL_ERRORS = frozenset({"SQLITE_FULL"})


def sqlite_error_name(error: BaseException) -> str | None:
    """Return SQLite's name of the failure behind ``error``, such as SQLITE_FULL."""
    cause = error.orig if isinstance(error, sa.exc.DBAPIError) else error
    name = getattr(cause, "sqlite_errorname", None)
    return name if isinstance(name, str) else None


def is_damaged(error: BaseException) -> bool:
    """Return whether SQLite found the database file damaged."""
    return sqlite_error_name(error) in DAMAGED_ERRORS


def damaged_error(path: str, reason: str) -> StateError:
    """Return the error for a damaged SQLite file, with the ways to recover."""
    message = (
        f"State database {path!r} is damaged ({reason}), so pipesheet cannot use it. "
    )
    backups = _backups_of(Path(path))
    if backups:
        message += (
            f"Copy a backup over it, such as {str(backups[0])!r} (the newest "
            "of the copies pipesheet kept before schema upgrades, which lacks "
            "the runs recorded since), or one of your own. "
        )
    else:
        message += "Copy a backup of your own over it. "
    return StateError(
        message + "Or move the file aside, with any -wal and -shm files beside "
        "it, and run again: the run creates a new database, and the stage "
        "history starts empty."
    )


def failure_advice(error: BaseException, default: str) -> str:
    """Return what to do about a failure of the database; ``default`` for most."""
    if sqlite_error_name(error) in FULL_ERRORS:
        return "Free space on the disk that holds it, then retry."
    return default


def _backups_of(path: Path) -> list[Path]:
    from sync.atomic import list_backups

    try:
        return list_backups(path)
    except OSError:
        return []
