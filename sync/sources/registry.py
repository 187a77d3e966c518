"""Open the workbook a definition points at, whatever its backend."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from config.errors import (
    DefinitionError,
    UnsupportedWorkbookError,
    WorkbookNotFoundError,
)
from config.models import Pipeline, SourceKind
from sync.sources.base import WorkbookSource
from sync.sources.file_access import unreadable_workbook_error
from sync.sources.output_file import check_output_file, google_output_error
from sync.sources.read_only import (
    READ_ONLY_FORMATS,
    is_read_only_format,
    read_only_output_error,
)

# Text files read as one table by sync.sources.csv_table.
TEXT_TABLE_SUFFIXES = (".csv", ".tsv")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", *READ_ONLY_FORMATS)


def _open_excel(
    pipeline: Pipeline, location: str | None, output: Path | None, writes: bool
) -> WorkbookSource:
    from sync.sources.csv_table import CsvTable
    from sync.sources.excel import ExcelWorkbook
    from sync.sources.read_only import read_only_error

    path = location or pipeline.source.path
    if not path:
        raise DefinitionError(
            f"Definition {pipeline.name!r}: source.path is not set. Set it in "
            "the definition or pass --source PATH."
        )
    setting = "--source" if location else "source.path"
    _check_not_url(path, setting)
    # Opening looks at the file (stat, its first bytes, its zip directory), so
    # a file or folder the user may not read fails here first.
    try:
        check_workbook_path(Path(path), setting)
        if not is_read_only_format(Path(path)):
            tab = pipeline.source.tab
            return ExcelWorkbook(Path(path), output=output, pipeline_tab=tab)
    except OSError as error:
        raise unreadable_workbook_error(Path(path), error) from error

    if output is not None:
        raise read_only_output_error(Path(path))
    if writes:
        raise read_only_error(Path(path))
    if Path(path).suffix.lower() in TEXT_TABLE_SUFFIXES:
        return CsvTable(Path(path), pipeline.source.tab)

    from sync.sources.read_only_workbook import ReadOnlyWorkbook

    return ReadOnlyWorkbook(Path(path))


def _open_google_sheets(
    pipeline: Pipeline, location: str | None, output: Path | None, writes: bool
) -> WorkbookSource:
    from sync.sources.google_sheets import GoogleSpreadsheet

    if output is not None:
        raise google_output_error()
    spreadsheet = location or pipeline.source.spreadsheet
    if not spreadsheet:
        raise DefinitionError(
            f"Definition {pipeline.name!r}: source.spreadsheet is not set. Set it "
            "to the spreadsheet's address or id, or pass --source URL."
        )
    credentials = pipeline.source.credentials
    return GoogleSpreadsheet(
        spreadsheet,
        credentials=Path(credentials) if credentials else None,
        pipeline=pipeline,
        setting="--source" if location else "source.spreadsheet",
    )


def _check_not_url(location: str, setting: str) -> None:
    # Path() would fold the "//" of a URL, so the not-found message would show
    # 'https:/docs.google.com/...' as a file name.
    if "://" not in location:
        return
    raise DefinitionError(
        f"{setting} {location!r} is a URL, but the definition's source.kind is "
        "excel, which reads a workbook file. For a Google spreadsheet, set "
        "source.kind: google_sheets and source.credentials in the definition; "
        "for an Excel workbook, pass the path of its file."
    )


# Where a relative workbook path is read from, by the setting that gave it.
RELATIVE_TO = {
    "--source": "the folder pipesheet runs in",
    "source.path": "the definition file's folder",
}


def check_workbook_path(path: Path, setting: str) -> None:
    """Check that a workbook path names an existing file, not a folder.

    :param setting: where the path came from, ``--source`` or ``source.path``;
        the messages name it, so the user knows which one to fix.
    :raises WorkbookNotFoundError: nothing exists at the path.
    :raises UnsupportedWorkbookError: the path is a folder; the message lists
        the workbooks in it.
    :raises OSError: the path or its folder may not be looked at.
    """
    if path.is_dir():
        found = sorted(
            item.name
            for item in path.iterdir()
            if item.suffix.lower() in WORKBOOK_SUFFIXES
            and not item.name.startswith("~$")
        )
        listed = ", ".join(repr(name) for name in found) or "no workbook file"
        raise UnsupportedWorkbookError(
            f"Workbook path {str(path)!r} from {setting} is a folder, not a file; "
            f"the folder holds {listed}. Set {setting} to the workbook file itself."
        )
    if not path.exists():
        raise WorkbookNotFoundError(
            f"Workbook {str(path)!r} from {setting} not found. Check {setting}; "
            f"a relative path is read from {RELATIVE_TO[setting]}."
        )


OPENERS: dict[
    SourceKind, Callable[[Pipeline, str | None, Path | None, bool], WorkbookSource]
]
OPENERS = {
    SourceKind.EXCEL: _open_excel,
    SourceKind.GOOGLE_SHEETS: _open_google_sheets,
}


def open_source(
    pipeline: Pipeline,
    location: str | None = None,
    output: Path | None = None,
    *,
    writes: bool = False,
) -> WorkbookSource:
    """Open the pipeline's workbook, or the one at ``location`` when given.

    :param writes: whether the caller will write to the workbook; a file in a
        format pipesheet only reads (.ods, .xls, .csv) is then rejected at once.
    :raises DefinitionError: the definition's source kind has no backend here.
    :raises UnsupportedWorkbookError: a write to a format pipesheet only reads.
    """
    kind = pipeline.source.kind
    opener = OPENERS.get(kind)
    if opener is None:
        available = ", ".join(sorted(OPENERS))
        raise DefinitionError(
            f"Definition {pipeline.name!r}: source.kind {kind.value!r} is not "
            f"available in this version; available kinds: {available}."
        )
    return opener(pipeline, location, output, writes)


def check_output_for_source(
    pipeline: Pipeline, location: str | None, output: Path | None
) -> None:
    """Check that ``output`` can receive a copy of the run's workbook.

    The command line calls this before a run starts, so a wrong ``--output``
    is a usage error and no run is recorded. Opening the source checks the
    same again.

    :param location: the workbook from ``--source``; None for the definition's.
    :raises DefinitionError: the source is a Google spreadsheet.
    :raises UnsupportedWorkbookError: the source is a file pipesheet only
        reads, or ``output`` has another extension than the workbook.
    :raises WorkbookNotFoundError: the folder of ``output`` does not exist.
    :raises WorkbookReadOnlyError: ``output`` cannot be written there.
    """
    if output is None:
        return
    if pipeline.source.kind is SourceKind.GOOGLE_SHEETS:
        raise google_output_error()

    path = location or pipeline.source.path
    # Without a workbook path, opening the source fails with the message that
    # names the missing setting.
    if not path:
        return
    if is_read_only_format(Path(path)):
        raise read_only_output_error(Path(path))
    check_output_file(Path(path), output)


def check_source_option(pipeline: Pipeline, location: str | None) -> None:
    """Check that ``--source`` names a workbook, as opening it would.

    The command line calls this before it opens the state database, so a
    mistyped ``--source`` records no failed run under a workbook that does
    not exist.

    :raises DefinitionError: a URL for an Excel definition, or text that is
        neither a Google Sheets URL nor a spreadsheet id.
    :raises WorkbookNotFoundError: nothing exists at the path.
    :raises UnsupportedWorkbookError: the path is a folder.
    :raises SourceError: the path may not be looked at.
    """
    if location is None:
        return
    if pipeline.source.kind is SourceKind.GOOGLE_SHEETS:
        from sync.sources.sheets_auth import spreadsheet_key

        spreadsheet_key(location, "--source")
        return

    _check_not_url(location, "--source")
    try:
        check_workbook_path(Path(location), "--source")
    except OSError as error:
        raise unreadable_workbook_error(Path(location), error) from error
