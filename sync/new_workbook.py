"""Saving a workbook pipesheet builds for a user into a file that must not exist yet.

The starter and the Maven CRM workbooks are new files: pipesheet never replaces a
file the user may have edited, so both are written with exclusive creation.
"""

from __future__ import annotations

import errno
import io
import logging
import os
from pathlib import Path

from openpyxl import Workbook

from config.errors import SourceError, UnsupportedWorkbookError
from sync.atomic import create_temporary_sibling, sync_folder

logger = logging.getLogger(__name__)

WORKBOOK_SUFFIX = ".xlsx"

# The mode open() gives a new file before the umask takes bits away.
NEW_FILE_MODE = 0o666

# The errors of os.link on a file system that has no hard links (FAT, some
# network shares and FUSE file systems).
NO_HARD_LINK_ERRORS = frozenset(
    {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}
)


def check_new_workbook_path(path: Path) -> None:
    """Raise SourceError unless a new .xlsx workbook can be created at ``path``.

    :param path: where the new workbook is to be written.
    :raises UnsupportedWorkbookError: the name does not end in ``.xlsx``.
    :raises SourceError: the file exists, its folder does not, or a folder on
        its path cannot be entered.
    """
    if path.suffix.lower() != WORKBOOK_SUFFIX:
        raise UnsupportedWorkbookError(
            f"Cannot create workbook {str(path)!r}: the name must end in .xlsx "
            f"(got {path.suffix!r}). Choose a path ending in .xlsx."
        )

    try:
        exists, folder_exists = path.exists(), path.parent.is_dir()
    except OSError as error:
        raise _unwritable(path, error) from error
    if exists:
        raise SourceError(_exists_message(path))

    if not folder_exists:
        raise SourceError(
            f"Cannot create workbook {str(path)!r}: the folder "
            f"{str(path.parent)!r} does not exist. Create the folder or choose "
            "another path."
        )


def save_new_workbook(workbook: Workbook, path: Path) -> int:
    """Write ``workbook`` to ``path``, raising SourceError if the file exists.

    The workbook is serialised in memory first, written to a temporary file,
    and then given its name by a hard link, which fails when the name is
    taken. So an existing file is never replaced, even one created after
    :func:`check_new_workbook_path` ran, and the file appears whole or not at
    all (see :func:`_create_exclusively`).

    :param workbook: an openpyxl workbook, normal or write-only, not yet saved.
    :param path: the file to create.
    :returns: the number of bytes written.
    :raises SourceError: the file exists or cannot be written.
    """
    check_new_workbook_path(path)
    buffer = io.BytesIO()
    workbook.save(buffer)
    content = buffer.getvalue()

    try:
        _create_exclusively(path, content)
    except FileExistsError:
        raise SourceError(_exists_message(path)) from None
    except OSError as error:
        raise _unwritable(path, error) from error

    logger.debug("Wrote %d bytes to %s", len(content), path)
    return len(content)


def _create_exclusively(path: Path, content: bytes) -> None:
    """Give ``content`` the name ``path`` whole or not at all.

    The bytes go to a temporary file beside ``path`` and are synced, and a
    hard link then gives them the name. The link fails when the name is
    taken, so no file is ever replaced. A crash or Ctrl-C leaves no partial
    workbook under the name. At worst it leaves a temporary file, which the
    next run on ``path`` removes (see
    :func:`sync.atomic.remove_stale_temporaries`). A file system without hard
    links gets the bytes written into a new file under the name, which is
    removed if the write fails.

    :raises FileExistsError: if ``path`` exists.
    :raises OSError: if the file cannot be written.
    """
    temporary = create_temporary_sibling(path)
    try:
        with temporary.open("wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        # The temporary file is readable by its owner only. The workbook gets
        # the mode of any new file under the umask, so a team can read it.
        os.chmod(temporary, NEW_FILE_MODE & ~current_umask())
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise
        except OSError as error:
            if error.errno not in NO_HARD_LINK_ERRORS:
                raise
            logger.debug(
                "No hard link in %s (%s), so the file is written directly",
                path.parent,
                error,
            )
            _write_new_file(path, content)
    finally:
        temporary.unlink(missing_ok=True)
    sync_folder(path.parent)


def current_umask() -> int:
    """Return the process's file mode creation mask."""
    # The mask can only be read by setting it, so it is set back at once. The
    # commands that create workbooks start no thread that creates files.
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_new_file(path: Path, content: bytes) -> None:
    # Exclusive creation keeps a file another program created meanwhile. The
    # partial file of a failed or interrupted write is removed.
    with path.open("xb") as file:
        try:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        except BaseException:
            file.close()
            path.unlink(missing_ok=True)
            raise


def _unwritable(path: Path, error: OSError) -> SourceError:
    return SourceError(
        f"Cannot write workbook {str(path)!r}: {error.strerror or error}. "
        "Check that the folder is writable and has free space."
    )


def _exists_message(path: Path) -> str:
    return (
        f"Cannot create workbook {str(path)!r}: the file already exists, and "
        "pipesheet does not overwrite it. Choose another path or delete the file."
    )
