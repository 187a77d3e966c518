"""Reads of a workbook file that another program rewrote while they ran.

A program that rewrites a file in place, as ``cp`` over it does, truncates
it and writes it again. A read in between gets part of the old
bytes and part of the new ones, or a file cut short. Such bytes fail the zip
and XML checks, so they look like a damaged workbook, although the file is
whole once the rewrite ends.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

from config.errors import UnsupportedWorkbookError, WorkbookBusyError
from sync.atomic import Fingerprint

logger = logging.getLogger(__name__)

# The size and modification time (ns) of a file, None when it cannot be looked at.
FileStamp = tuple[int, int] | None


def file_stamp(path: Path) -> FileStamp:
    """Return the size and modification time of ``path``, or None without one."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns


@contextlib.contextmanager
def damage_checked_for_changes(
    path: Path, first_read: Callable[[], Fingerprint | None]
) -> Iterator[None]:
    """Report a damaged-looking workbook as changed when it changed during a read.

    An :class:`UnsupportedWorkbookError` raised in the block becomes a
    :class:`WorkbookBusyError` when the size or modification time of ``path``
    differs from what they were when the block began, or from the fingerprint
    that ``first_read`` returns: that of the run's first read of the file, or
    None before it. An unchanged file keeps the error, because its bytes are
    the ones that failed the checks.
    """
    before = file_stamp(path)
    try:
        yield
    except UnsupportedWorkbookError as error:
        now = file_stamp(path)
        fingerprint = first_read()
        first = (
            None if fingerprint is None else (fingerprint.size, fingerprint.mtime_ns)
        )
        if now == before and (first is None or now == first):
            raise
        logger.debug("%s changed while it was read: %s", path.name, error)
        raise WorkbookBusyError(
            f"Workbook {path.name!r} changed on disk while it was read, so what "
            "was read looked damaged. Nothing was written. Run again to read "
            "the saved file."
        ) from error
