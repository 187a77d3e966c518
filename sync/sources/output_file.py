"""The ``--output`` file of a run: a copy of the Excel workbook with the changes."""

from __future__ import annotations

import os
from pathlib import Path

from config.errors import (
    DefinitionError,
    SourceError,
    UnsupportedWorkbookError,
    WorkbookNotFoundError,
    WorkbookReadOnlyError,
)
from sync.atomic import check_writable, written_file


def google_output_error() -> DefinitionError:
    """Return the error for ``--output`` with a Google spreadsheet source."""
    return DefinitionError(
        "--output writes a copy of an Excel workbook, but a Google Sheets "
        "source is written in place. Drop --output, or make a copy in Google "
        "Sheets (File > Make a copy) and pass its address with --source."
    )


def check_output_file(workbook: Path, output: Path | None) -> Path | None:
    """Return the file to write instead of ``workbook``, or None for in place.

    :raises SourceError: ``output`` is the workbook itself, by the same path,
        a symbolic link or a hard link, because ``--output`` promises to leave
        the workbook as it is.
    :raises UnsupportedWorkbookError: ``output`` has another extension.
    :raises WorkbookNotFoundError: the folder of ``output`` does not exist, or
        ``output`` is a symbolic link into a folder that does not exist.
    :raises WorkbookReadOnlyError: ``output`` or its folder is read-only, or
        on a file system mounted read-only.
    """
    if output is None:
        return None
    if is_same_file(workbook, output):
        raise SourceError(
            f"--output {str(output)!r} names the workbook {str(workbook)!r} "
            "itself, but --output writes a copy and leaves the workbook as it "
            "is. Leave out --output to write the workbook in place, or pass "
            "another path for the copy."
        )

    if output.suffix.lower() != workbook.suffix.lower():
        raise UnsupportedWorkbookError(
            f"Output file {output.name!r} must have the same extension as the "
            f"workbook {workbook.name!r} ({workbook.suffix}); Excel rejects a file "
            "whose extension does not match its content."
        )
    if output.parent.exists() and not output.parent.is_dir():
        raise WorkbookNotFoundError(
            f"Output path {str(output)!r} goes through {str(output.parent)!r}, "
            "which is a file, not a folder. Pass an --output path in a folder."
        )
    if not output.parent.is_dir():
        raise WorkbookNotFoundError(
            f"Output folder {str(output.parent)!r} does not exist. Create it or "
            "pass another --output path."
        )
    _check_output_writable(output)
    return output


def is_same_file(workbook: Path, output: Path) -> bool:
    """Return True when both paths name one file, after links are followed."""
    # os.path.realpath, unlike Path.resolve in Python 3.11, does not raise for
    # a symbolic link loop.
    if os.path.realpath(workbook) == os.path.realpath(output):
        return True
    try:
        return os.path.samefile(workbook, output)
    except OSError:
        return False  # Either file is missing, so they differ.


def _check_output_writable(output: Path) -> None:
    # A write replaces the file that a symbolic link points at, so the folder
    # of that file must exist and be writable, not the link's.
    written = written_file(output)
    if not written.parent.is_dir():
        raise WorkbookNotFoundError(
            f"Output file {str(output)!r} is a symbolic link to "
            f"{str(written)!r}, whose folder does not exist. Point the link at "
            "an existing folder or pass another --output path."
        )

    check_writable(
        written,
        read_only_advice="Make it writable, or pass another --output path.",
    )
    if not os.access(written.parent, os.W_OK):
        raise WorkbookReadOnlyError(
            f"Output folder {str(written.parent)!r} is not writable, so the "
            f"output file {written.name!r} cannot be created there. Make the "
            "folder writable or pass another --output path."
        )
