"""Tell a regular file from a folder, a FIFO, a socket or a device.

Opening a FIFO for reading blocks until another process opens it for writing,
reading a character device such as ``/dev/zero`` may never end, and replacing
a device or socket with a workbook breaks whatever uses it. So each file a user
names is looked at with ``stat`` before pipesheet opens or replaces it.

This module sits in ``config`` because the definition loader and the ``sync``
sources and state database all need it, and ``config`` imports nothing from
``sync``.
"""

from __future__ import annotations

import os
import stat

# The message wording of each kind of file that is neither regular nor a
# folder, as it follows "is".
_SPECIAL_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def file_kind(mode: int) -> str | None:
    """Return what a file of this ``st_mode`` is, or None for a regular file.

    >>> file_kind(stat.S_IFIFO | 0o644)
    'a FIFO (named pipe)'
    """
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    for is_kind, name in _SPECIAL_KINDS:
        if is_kind(mode):
            return name
    return "a special file"


def non_regular_kind(path: str | os.PathLike[str]) -> str | None:
    """Return what ``path`` is when it exists and is not a regular file.

    A symbolic link counts as the file it points at. Returns None for a
    regular file and for a path where nothing exists, which the caller's
    own open reports.

    :raises OSError: ``stat`` failed for another reason, such as a folder on
        the path that may not be entered.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    return file_kind(mode)
