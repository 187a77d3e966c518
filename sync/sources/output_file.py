"""The ``--output`` file of a run: a copy of the Excel workbook with the changes."""

from __future__ import annotations

from pathlib import Path

from config.errors import (
    DefinitionError,
    UnsupportedWorkbookError,
    WorkbookNotFoundError,
)


def google_output_error() -> DefinitionError:
    """Return the error for ``--output`` with a Google spreadsheet source."""
    return DefinitionError(
        "--output writes a copy of an Excel workbook, but a Google Sheets "
        "source is written in place. Drop --output, or make a copy in Google "
        "Sheets (File > Make a copy) and pass its address with --source."
    )


def check_output_file(workbook: Path, output: Path | None) -> Path | None:
    """Return the file to write instead of ``workbook``, or None for in place.

    An ``output`` that is the workbook itself means writing in place.

    :raises UnsupportedWorkbookError: ``output`` has another extension.
    :raises WorkbookNotFoundError: the folder of ``output`` does not exist.
    """
    if output is None or output.resolve() == workbook.resolve():
        return None

    if output.suffix.lower() != workbook.suffix.lower():
        raise UnsupportedWorkbookError(
            f"Output file {output.name!r} must have the same extension as the "
            f"workbook {workbook.name!r} ({workbook.suffix}); Excel rejects a file "
            "whose extension does not match its content."
        )
    if not output.parent.is_dir():
        raise WorkbookNotFoundError(
            f"Output folder {str(output.parent)!r} does not exist. Create it or "
            "pass another --output path."
        )
    return output
