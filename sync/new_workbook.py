"""Saving a workbook pipesheet builds for a user into a file that must not exist yet.

The starter and the Maven CRM workbooks are new files: pipesheet never replaces a
file the user may have edited, so both are written with exclusive creation.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from openpyxl import Workbook

from config.errors import SourceError, UnsupportedWorkbookError

logger = logging.getLogger(__name__)

WORKBOOK_SUFFIX = ".xlsx"


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

    The workbook is serialised in memory first and the file is opened with
    exclusive creation, so an existing file is never replaced, even one created
    after :func:`check_new_workbook_path` ran. A failed write removes the partial
    file.

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
        with path.open("xb") as file:
            _write_or_remove(file, content, path)
    except FileExistsError:
        raise SourceError(_exists_message(path)) from None
    except OSError as error:
        raise _unwritable(path, error) from error

    logger.debug("Wrote %d bytes to %s", len(content), path)
    return len(content)


def _write_or_remove(file: io.BufferedWriter, content: bytes, path: Path) -> None:
    try:
        file.write(content)
    except OSError:
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
