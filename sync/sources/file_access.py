"""The error raised when the operating system denies access to a workbook file."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from config.errors import SourceError


def unreadable_workbook_error(path: Path, error: OSError) -> SourceError:
    """Return the error for a workbook file that could not be opened or looked at.

    Any access to the file can fail this way: listing its folder, or stat,
    open and read on the file itself. That happens when the file's mode is 000
    or a folder on its path cannot be entered.
    """
    reason = error.strerror or str(error)
    return SourceError(
        f"Workbook {str(path)!r} could not be read: {reason}. Give the user "
        f"pipesheet runs as ({running_user()}) read access to the file and "
        "access to each folder on its path, then run again."
    )


def running_user() -> str:
    """Return the name of the user this process runs as, or its numeric id."""
    # The password database, not $USER, because setpriv, sudo -u and a
    # service manager can change the user and leave the environment.
    if not hasattr(os, "geteuid"):
        return getpass.getuser()  # Windows has no user ids.
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        # An id without an entry, as in a container started with --user 1234.
        return f"uid {os.geteuid()}"
