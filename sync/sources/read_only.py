"""Formats pipesheet reads but does not write, and the error for writing them.

python-calamine reads OpenDocument (.ods) and Excel 97-2003 (.xls) files as it
reads .xlsx (:mod:`sync.sources.read_only_workbook`), and a CSV file is one
table of text (:mod:`sync.sources.csv_table`). So ``pipesheet check`` and
``pipesheet run --dry-run`` work on them. Writing back would need a writer per
format that keeps every part pipesheet does not own, as :mod:`sync.xlsx` does
for .xlsx, so a run that would write is rejected before anything is read.
"""

from __future__ import annotations

from pathlib import Path

from config.errors import UnsupportedWorkbookError
from sync.plan import WritePlan
from sync.sources.base import WriteReport
from sync.sources.file_access import unreadable_workbook_error

# Format names for messages, by file extension.
READ_ONLY_FORMATS = {
    ".ods": "an OpenDocument spreadsheet (.ods)",
    ".xls": "an Excel 97-2003 workbook (.xls)",
    ".csv": "a CSV file",
    ".tsv": "a tab-separated text file (.tsv)",
}


def is_read_only_format(path: Path) -> bool:
    """Return whether ``path`` has the extension of a format pipesheet only reads."""
    return path.suffix.lower() in READ_ONLY_FORMATS


def read_only_output_error(path: Path) -> UnsupportedWorkbookError:
    """Return the error for ``--output`` with a file pipesheet only reads."""
    return UnsupportedWorkbookError(
        f"--output writes a copy of an .xlsx or .xlsm workbook with pipesheet's "
        f"changes, but {path.name!r} is {_format_name(path)}, which pipesheet can "
        "check but not write. To see its findings, run `pipesheet check` or "
        "`pipesheet run --dry-run` on it without --output. To get a written "
        "copy, save it as Excel Workbook (.xlsx) first and pass that file."
    )


def describe_read_only(path: Path) -> str:
    """Return what pipesheet does with a file it only reads, for ``doctor``."""
    return (
        f"Workbook {path.name!r} is {_format_name(path)}: `pipesheet check` and "
        "`pipesheet run --dry-run` read it, but a run cannot write its status "
        "column and tabs. Save it as Excel Workbook (.xlsx) to run on it."
    )


def _format_name(path: Path) -> str:
    return READ_ONLY_FORMATS.get(path.suffix.lower(), f"a {path.suffix} file")


def read_only_error(path: Path) -> UnsupportedWorkbookError:
    """Return the error for a write to a file pipesheet only reads."""
    return UnsupportedWorkbookError(
        f"Workbook {path.name!r} is {_format_name(path)}, which pipesheet can "
        "check but not write, so nothing was written. To see its findings, run "
        "`pipesheet check` or `pipesheet run --dry-run` on it. To get the status "
        "column and the generated tabs, save it as Excel Workbook (.xlsx) and "
        "run on that file."
    )


class ReadOnlyFile:
    """The parts every local file source that pipesheet only reads has in common.

    :meth:`apply` raises, so only dry runs and ``check`` use such a source.
    """

    def __init__(self, path: Path) -> None:
        self._path = path

    @property
    def name(self) -> str:
        """Return the file name."""
        return self._path.name

    @property
    def target_name(self) -> str:
        """Return the file name: nothing else is ever written."""
        return self._path.name

    @property
    def requests_made(self) -> int:
        """Return 0: a local file costs no API requests."""
        return 0

    def apply(self, plan: WritePlan) -> WriteReport:
        """Raise: pipesheet does not write this format.

        :raises UnsupportedWorkbookError: always.
        """
        raise read_only_error(self._path)

    def _read_bytes(self) -> bytes:
        """Return the file's content.

        :raises SourceError: if the file cannot be read.
        """
        try:
            return self._path.read_bytes()
        except OSError as error:
            raise unreadable_workbook_error(self._path, error) from error
