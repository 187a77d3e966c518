"""Check that a definition's workbook is usable, step by step, without writing.

Each step is a :class:`Check` that passed, failed (its detail is the error
message, including how to fix it) or was skipped because a step it depends on
failed. For Google Sheets the steps are the key file, access to the
spreadsheet, edit access, the tab, the header row, the required columns, the
names of the generated tabs and the allowed-value lists. For Excel they are the
file and its lock file, then the same tab, column and name steps.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import stat
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from config.errors import (
    PipesheetError,
    SheetLayoutError,
    SourceError,
    UnsupportedWorkbookError,
    WorkbookReadOnlyError,
)
from config.models import Pipeline, SourceKind
from rules.allowed import list_fix, read_allowed_column
from rules.comma_conflicts import describe_comma_conflicts
from rules.date_order_conflicts import describe_date_order_conflicts
from rules.deals import ColumnMap
from rules.far_rows import describe_far_rows
from rules.grid import CellValue, SheetGrid, column_letter
from rules.headers import match_columns, required_fields
from rules.messages import counted
from rules.rows import read_deals
from rules.status import is_status_text
from rules.unfound_columns import (
    describe_unfound_default_columns,
    describe_unfound_needed_columns,
    describe_unfound_optional_columns,
)
from sync.atomic import (
    check_writable,
    find_lock_file,
    unreplaceable_file_error,
    unwritable_folder_error,
    written_file,
)
from sync.hard_links import count_other_names, describe_hard_links
from sync.planner import (
    choose_status_column,
    hidden_status_column,
    status_column_problem,
)
from sync.run import (
    PipelineTab,
    check_list_tab,
    generated_tab_conflicts,
    read_existing_tabs,
)
from sync.sheet_time_zone import describe_time_zone_mismatch
from sync.sources.base import RowCheckSource, WorkbookSource
from sync.sources.csv_table import CsvTable
from sync.sources.file_access import unreadable_workbook_error
from sync.sources.read_only import (
    ReadOnlyFile,
    describe_read_only,
    is_read_only_format,
)
from sync.sources.registry import open_source
from sync.status_blocks import covering_formula_problem, merged_status_cells
from sync.status_drawings import covered_status_column
from sync.status_formulas import with_status_formulas

if TYPE_CHECKING:
    from sync.sources.google_sheets import GoogleSpreadsheet

logger = logging.getLogger(__name__)


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    # Runs work, but something the definition sets up will not happen.
    WARNED = "warned"


@dataclass(frozen=True)
class Check:
    """One step of a checkup: its name, outcome, and what was found or is wrong."""

    name: str
    outcome: Outcome
    detail: str


class CheckWarning(Exception):
    """Raised by a step that passes, but finds that something set up will not happen."""


class Checklist:
    """Run steps in order; after a blocking failure the later steps are skipped."""

    def __init__(self) -> None:
        self.checks: list[Check] = []
        self._blocked_by: str | None = None

    def skip(self, name: str, detail: str) -> None:
        """Record a step that does not apply to this source, saying why."""
        self.checks.append(Check(name, Outcome.SKIPPED, detail))

    def run(self, name: str, step: Callable[[], str], *, blocking: bool = True) -> bool:
        """Run one step and record it; return True when it passed.

        A step fails by raising :class:`PipesheetError`, whose message becomes
        the check's detail.
        """
        if self._blocked_by is not None:
            detail = f"not checked, because {self._blocked_by} failed"
            self.checks.append(Check(name, Outcome.SKIPPED, detail))
            return False
        try:
            detail = step()
        except PipesheetError as error:
            self.checks.append(Check(name, Outcome.FAILED, str(error)))
            if blocking:
                self._blocked_by = name.lower()
            return False
        except CheckWarning as warning:
            self.checks.append(Check(name, Outcome.WARNED, str(warning)))
            return True
        self.checks.append(Check(name, Outcome.PASSED, detail))
        return True


def run_checkup(pipeline: Pipeline, location: str | None = None) -> list[Check]:
    """Check the definition's workbook (or the one at ``location``) step by step."""
    checklist = Checklist()
    source = SOURCE_CHECKS[pipeline.source.kind](checklist, pipeline, location)
    grids: dict[str, SheetGrid] = {}
    checklist.run("Tab", lambda: _check_tab(source, pipeline, grids))
    if isinstance(source, RowCheckSource):
        checklist.run(
            "Row order",
            lambda: _check_row_order(source, grids["pipeline"]),
            blocking=False,
        )
    checklist.run("Header row", lambda: _check_header(grids["pipeline"], pipeline))
    checklist.run(
        "Columns", lambda: _check_columns(grids["pipeline"], pipeline), blocking=False
    )
    # A file pipesheet only reads gets no status column and no tabs, and the
    # Writable step has failed for it already.
    unwritten = None
    if isinstance(source, ReadOnlyFile):
        unwritten = f"not checked, because pipesheet does not write {source.name}"
    if unwritten is None:
        checklist.run(
            "Status",
            lambda: _check_status_column(source, grids["pipeline"], pipeline),
            blocking=False,
        )
    else:
        checklist.skip("Status", unwritten)
    notifications = pipeline.notifications
    if notifications is not None and notifications.owners:
        checklist.run(
            "Owner entries",
            lambda: _check_owner_entries(grids["pipeline"], pipeline),
            blocking=False,
        )
    # Shown only where cells lie far below the data, like the Writable step.
    far_rows = _far_rows(grids.get("pipeline"), pipeline)
    if far_rows is not None:
        checklist.run("Far cells", lambda: _warn(far_rows), blocking=False)
    if unwritten is None:
        checklist.run(
            "Output tabs", lambda: _check_output_tabs(source, pipeline), blocking=False
        )
    else:
        checklist.skip("Output tabs", unwritten)
    if pipeline.source.kind is SourceKind.GOOGLE_SHEETS:
        checklist.run(
            "Protections",
            lambda: _check_protections(source, grids["pipeline"], pipeline),
            blocking=False,
        )
        # Shown only when the spreadsheet is too large for any run to write.
        over_limit = _cell_limit_problem(source, grids.get("pipeline"), pipeline)
        if over_limit is not None:
            checklist.run("Cell limit", lambda: _fail(over_limit), blocking=False)
    unread_fields = _fields_without_column(grids.get("pipeline"), pipeline)
    for field, spec in pipeline.allowed.items():
        if spec.from_tab is None:
            continue
        if field in unread_fields:
            checklist.skip(
                f"List {field}",
                f"the pipeline tab has no column for {field!r}, so runs do not "
                "read this list",
            )
            continue
        if isinstance(source, CsvTable) and not source.has_tab(spec.from_tab.tab):
            checklist.skip(
                f"List {field}",
                f"{source.name} is a CSV file without tab {spec.from_tab.tab!r}, "
                "so runs do not check these values",
            )
            continue
        step = functools.partial(
            _check_list,
            source,
            field,
            spec.from_tab.tab,
            spec.from_tab.column,
            pipeline.source.rules_tab,
        )
        checklist.run(f"List {field}", step, blocking=False)
    return checklist.checks


def _google_source_checks(
    checklist: Checklist, pipeline: Pipeline, location: str | None
) -> WorkbookSource | None:
    configured = pipeline.source.credentials
    checklist.run(
        "Credentials",
        lambda: _check_credentials(Path(configured) if configured else None),
    )
    opened: list[GoogleSpreadsheet] = []
    checklist.run("Access", lambda: _check_access(pipeline, location, opened))
    checklist.run("Edit access", lambda: _check_edit_access(opened[0]), blocking=False)
    return opened[0] if opened else None


def _check_credentials(configured: Path | None) -> str:
    # Imported here, like the backend in _check_access: importing the Google
    # client libraries costs about 0.3 s, which an Excel check need not pay.
    from sync.sources.sheets_auth import load_service_account

    account = load_service_account(configured)
    return (
        f"key file {str(account.path)!r} (from {account.origin}) for the service "
        f"account {account.email}"
    )


def _check_access(
    pipeline: Pipeline, location: str | None, opened: list[GoogleSpreadsheet]
) -> str:
    from sync.sources.google_sheets import GoogleSpreadsheet

    source = open_source(pipeline, location)
    if not isinstance(source, GoogleSpreadsheet):
        raise SourceError(
            f"source.kind {pipeline.source.kind.value!r} has no Access step"
        )
    info = source.metadata()
    opened.append(source)
    tabs = "1 tab" if len(info.tabs) == 1 else f"{len(info.tabs)} tabs"
    detail = (
        f"spreadsheet {info.title!r} ({tabs}, locale {info.locale}, "
        f"time zone {info.time_zone})"
    )
    today = dt.datetime.now(dt.UTC).date()
    zone_problem = describe_time_zone_mismatch(source, pipeline, today)
    if zone_problem is not None:
        raise CheckWarning(f"{detail}. {zone_problem}")
    return detail


def _check_edit_access(source: GoogleSpreadsheet) -> str:
    source.check_write_access()
    return f"{source.service_account_email or 'the service account'} may edit it"


def _excel_source_checks(
    checklist: Checklist, pipeline: Pipeline, location: str | None
) -> WorkbookSource | None:
    opened: list[WorkbookSource] = []
    checklist.run("Workbook", lambda: _check_workbook(pipeline, location, opened))
    path = Path(location or pipeline.source.path or "")
    # Shown only where it fails: for formats pipesheet reads but cannot write,
    # and for packages whose parts its writer rejects. (Strict Open XML fails
    # the Workbook step already, as it fails check and dry runs.)
    read_only = is_read_only_format(path)
    rejected: PipesheetError | None = None
    if opened and not read_only:
        rejected = _unwritable_location(path) or _unwritable_package(path)
    if read_only or rejected is not None:
        checklist.run(
            "Writable", lambda: _check_writable(path, rejected), blocking=False
        )
    checklist.run("Not open", lambda: _check_not_open(path), blocking=False)
    # Shown only for a written workbook with other hard links, like the
    # Writable step.
    other_names = count_other_names(path) if opened and not read_only else 0
    if other_names:
        warning = describe_hard_links(path, other_names)
        checklist.run("Hard links", lambda: _warn(warning), blocking=False)
    return opened[0] if opened else None


def _check_writable(path: Path, rejected: PipesheetError | None) -> str:
    """Fail with why pipesheet cannot write ``path``.

    ``rejected`` is the writer's error on the file, its folder or the
    package's parts, found before.
    """
    if is_read_only_format(path):
        raise SourceError(describe_read_only(path))
    if rejected is not None:
        raise rejected
    return f"pipesheet writes {path.suffix} workbooks"


def _unwritable_location(path: Path) -> WorkbookReadOnlyError | None:
    """Return the error a run's write would raise on the file or its folder.

    The file gets the writer's own check: a file without write permission,
    or one on a file system mounted read-only. The writer learns whether the
    folder lets it create its temporary file by creating it, so here
    :func:`os.access` checks the same permission without creating anything.
    A folder with the sticky bit lets only the owners rename over the file.
    """
    target = written_file(path)
    try:
        check_writable(target)
    except WorkbookReadOnlyError as error:
        return _for_doctor(error)
    except (OSError, PipesheetError) as error:
        logger.debug("Writability of %s not checked: %s", path, error)
        return None

    folder = target.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        return _for_doctor(unwritable_folder_error(target))
    if _rename_forbidden(target):
        return _for_doctor(unreplaceable_file_error(target))
    return None


def _rename_forbidden(target: Path) -> bool:
    """Return True when a sticky folder keeps this process from replacing ``target``.

    The rule is the kernel's: in a folder with the sticky bit, only the owner
    of the file or of the folder, or root, may rename over the file.
    """
    if not hasattr(os, "geteuid"):
        return False
    try:
        folder = target.parent.stat()
        owner = target.stat().st_uid
    except OSError:
        return False
    user = os.geteuid()
    return bool(folder.st_mode & stat.S_ISVTX) and user not in (
        0,
        owner,
        folder.st_uid,
    )


def _for_doctor(error: WorkbookReadOnlyError) -> WorkbookReadOnlyError:
    """Return the writer's error without its "nothing was written" part.

    doctor writes nothing, so that part would mislead. doctor has no
    ``--output`` option either, so the advice to pass it names the run.
    """
    message = str(error).replace("; nothing was written.", ".")
    message = message.replace(" Nothing was written.", "")
    message = message.replace(
        "pass --output PATH", "run pipesheet run with --output PATH"
    )
    return WorkbookReadOnlyError(message)


def _unwritable_package(path: Path) -> UnsupportedWorkbookError | None:
    """Return the error the writer would raise on the workbook's package parts.

    The reader accepts some packages that the writer rejects. A file that
    cannot be opened at all is left to the Workbook step.
    """
    from sync.xlsx.package import Package
    from sync.xlsx.workbook_parts import WorkbookParts

    try:
        with Package(path) as package:
            WorkbookParts(package)
    except UnsupportedWorkbookError as error:
        return error
    except (OSError, PipesheetError) as error:
        logger.debug("Package parts of %s not checked: %s", path, error)
    return None


def _check_workbook(
    pipeline: Pipeline, location: str | None, opened: list[WorkbookSource]
) -> str:
    source = open_source(pipeline, location)
    opened.append(source)
    if isinstance(source, CsvTable):
        return f"{source.name} (one table, without tabs)"
    count = len(source.tab_names())
    return f"{source.name} ({count} tab{'' if count == 1 else 's'})"


def _check_not_open(path: Path) -> str:
    try:
        lock = find_lock_file(path)
    except OSError as error:
        raise unreadable_workbook_error(path, error) from error
    if lock is None:
        return "no Excel or LibreOffice lock file beside it"
    owner = f" by {lock.owner}" if lock.owner else ""
    raise SourceError(
        f"Workbook {path.name!r} is open in {lock.application}{owner}, so a run "
        "would not write. Close it; if nobody has it open, delete the lock file "
        f"{str(lock.path)!r}."
    )


SourceChecks = Callable[[Checklist, Pipeline, str | None], WorkbookSource | None]
SOURCE_CHECKS: dict[SourceKind, SourceChecks] = {
    SourceKind.EXCEL: _excel_source_checks,
    SourceKind.GOOGLE_SHEETS: _google_source_checks,
}


def _check_tab(
    source: WorkbookSource | None, pipeline: Pipeline, grids: dict[str, SheetGrid]
) -> str:
    if source is None:
        raise SourceError("the workbook could not be opened")
    grid = source.read_tab(pipeline.source.tab)
    grids["pipeline"] = grid
    rows = counted(len(grid.rows), "row")
    return f"{grid.tab!r} with {rows}" if grid.has_tabs else rows


def _check_row_order(source: WorkbookSource, grid: SheetGrid) -> str:
    # A run finds these only while it writes, after it checked every deal.
    # check and dry runs leave the check out: it adds about 0.3 s to a
    # 100,000-row dry run, which otherwise costs what the read costs.
    if isinstance(source, RowCheckSource):
        source.check_tab_rows(grid.tab)
    return "each row of the sheet is listed once, in ascending order"


def _check_header(grid: SheetGrid, pipeline: Pipeline) -> str:
    # The Columns step names the missing columns, the ID and stage columns
    # included.
    columns = _columns_without_required(grid, pipeline)
    found = ", ".join(repr(header) for header in columns.headers if header)
    return f"row {columns.header_row}: {found}"


def _columns_without_required(grid: SheetGrid, pipeline: Pipeline) -> ColumnMap:
    """Map the columns as if none were required: they have a step of their own.

    With ``header_row: auto`` the header row is still found by its ID and
    stage columns, so a sheet without them raises.
    """
    return match_columns(grid, pipeline, check_required=False)


def _check_columns(grid: SheetGrid, pipeline: Pipeline) -> str:
    # A missing column that an option reads fails, because the option then
    # does nothing (runs warn too). Other missing mapped columns are a
    # warning, and runs warn of those that checks on by default read. So is
    # a date column whose text dates contradict date_order. A failure lists
    # the warnings too, so that one doctor run names them all.
    try:
        columns = match_columns(grid, pipeline)
    except SheetLayoutError as error:
        # The error names the missing required columns only. The other
        # missing columns are added, so that one doctor run names them all.
        others = _unfound_beside_required(grid, pipeline)
        if not others:
            raise
        raise SheetLayoutError(" ".join([str(error), *others])) from error
    problems, warnings = _unfound_columns(grid, columns, pipeline)
    warnings += describe_date_order_conflicts(grid, columns, pipeline)
    warnings += describe_comma_conflicts(grid, columns, pipeline)
    if problems:
        raise SheetLayoutError(" ".join([*problems, *warnings]))

    required = required_fields(pipeline)
    mapped = [
        f"{field} → {columns.headers[columns.fields[field]]!r}" for field in required
    ]
    found = f"all {len(required)} required columns found: {', '.join(mapped)}"
    if warnings:
        raise CheckWarning(" ".join([f"{found}.", *warnings]))
    return found


def _unfound_columns(
    grid: SheetGrid,
    columns: ColumnMap,
    pipeline: Pipeline,
    described: Collection[str] = (),
) -> tuple[list[str], list[str]]:
    """Return the messages about missing mapped columns: failures, then warnings."""
    problems = describe_unfound_needed_columns(grid, columns, pipeline, described)
    warnings = describe_unfound_default_columns(grid, columns, pipeline, described)
    optional = describe_unfound_optional_columns(grid, columns, pipeline, described)
    if optional is not None:
        warnings.append(optional)
    return problems, warnings


def _unfound_beside_required(grid: SheetGrid, pipeline: Pipeline) -> list[str]:
    """Describe what else the Columns check finds when required columns are missing.

    These are the other missing mapped columns and the date columns whose
    text dates contradict ``date_order``. Returns nothing when the header row
    cannot be found without the required columns, as with ``header_row: auto``
    and no ID column.
    """
    try:
        columns = _columns_without_required(grid, pipeline)
    except PipesheetError:
        return []
    required = required_fields(pipeline)
    problems, warnings = _unfound_columns(grid, columns, pipeline, required)
    warnings += describe_date_order_conflicts(grid, columns, pipeline)
    warnings += describe_comma_conflicts(grid, columns, pipeline)
    return [*problems, *warnings]


def _check_status_column(
    source: WorkbookSource | None, grid: SheetGrid, pipeline: Pipeline
) -> str:
    columns = _columns_without_required(grid, pipeline)
    problem = status_column_problem(grid, columns, pipeline)
    if problem is not None:
        raise SheetLayoutError(problem)
    index = choose_status_column(grid, columns)
    # A source whose values leave out formulas with empty results reads them.
    grid = with_status_formulas(
        source,
        grid,
        index,
        _status_rows(grid, columns, pipeline, index),
        new_column=columns.status_column is None,
    )
    index = choose_status_column(grid, columns)
    rules_tab = pipeline.source.rules_tab
    formula = covering_formula_problem(
        grid, index, _status_rows(grid, columns, pipeline, index), rules_tab
    )
    if formula is not None:
        raise SheetLayoutError(formula)
    hidden = hidden_status_column(grid, index)
    if hidden is not None:
        raise CheckWarning(hidden)
    # Without the deals, the status cells are taken to reach the last row.
    rows = (columns.header_row, max(len(grid.rows), columns.header_row))
    header = pipeline.outputs.status_header
    covered = covered_status_column(grid, index, rows, header)
    if covered is not None:
        raise CheckWarning(covered)
    merged = merged_status_cells(
        grid,
        index,
        rows,
        header,
        _status_rows(grid, columns, pipeline, index),
        rules_tab,
    )
    if merged is not None:
        raise CheckWarning(merged)
    misread = _misread_highlights(grid, index, pipeline)
    if misread is not None:
        raise CheckWarning(misread)
    return f"column {column_letter(index)}, headed {pipeline.outputs.status_header!r}"


def _misread_highlights(
    grid: SheetGrid, status_column: int, pipeline: Pipeline
) -> str | None:
    """Describe pipesheet's highlight rules that read another column, if any.

    A program that moves columns without updating conditional formats, such
    as openpyxl's ``delete_cols``, leaves them reading the old column.
    """
    others = sorted(grid.highlight_columns - {status_column})
    if not others or not pipeline.outputs.highlight_rows:
        return None
    letters = ", ".join(column_letter(column) for column in others)
    return (
        f"Workbook {grid.workbook!r}, tab {grid.tab!r}: pipesheet's highlight rules "
        f"read column {letters}, not the status column "
        f"{column_letter(status_column)}, so they colour rows by the wrong cells. "
        "The next run rewrites them."
    )


def _status_rows(
    grid: SheetGrid, columns: ColumnMap, pipeline: Pipeline, status_column: int
) -> Iterator[int]:
    """Yield the rows whose status cell a run may write, the header row first.

    Those are the rows the run reads as deals, with or without an ID, and
    the rows whose old status a run empties. Without an ID or stage column,
    every row below the header counts. A generator, so that the deals are
    read only when a formula or merged block reaches into the status column.
    A run writes only the statuses that change, so doctor may name a cell
    whose formula result already equals its status.
    """
    yield columns.header_row
    data_rows = range(columns.header_row + 1, len(grid.rows) + 1)
    if not {"id", "stage"} <= columns.fields.keys():
        yield from data_rows
        return

    deals, _findings = read_deals(grid, columns, pipeline)
    deal_rows = {deal.row for deal in deals}
    yield from deal_rows
    for row in data_rows:
        if row not in deal_rows and is_status_text(grid.cell(row, status_column)):
            yield row


def _check_owner_entries(grid: SheetGrid, pipeline: Pipeline) -> str:
    # Runs warn the same, from the owners of their deals. Here a deal row is a
    # row below the header with an ID.
    from sync.notify.owner_entries import describe_owner_entries

    assert pipeline.notifications is not None, "called only with notifications"
    columns = _columns_without_required(grid, pipeline)
    owner_cells: Counter[CellValue] = Counter()
    owner_column = columns.fields.get("owner")
    id_column = columns.fields.get("id")
    if owner_column is not None and id_column is not None:
        owner_cells.update(
            row[owner_column] if owner_column < len(row) else None
            for row in grid.rows[columns.header_row :]
            if id_column < len(row) and row[id_column] not in (None, "")
        )
    message = describe_owner_entries(
        pipeline.notifications,
        owner_cells.items(),
        tab=grid.tab,
        workbook=grid.workbook,
        owner_header=None if owner_column is None else columns.headers[owner_column],
    )
    if message is not None:
        raise CheckWarning(message)
    return "every owner on the tab has an entry, and every entry has deals"


def _far_rows(grid: SheetGrid | None, pipeline: Pipeline) -> str | None:
    """Return the run's warning about cells far below the data, if it has one."""
    if grid is None:
        return None
    try:
        columns = _columns_without_required(grid, pipeline)
    except PipesheetError:
        status_column = id_column = None
    else:
        status_column, id_column = columns.status_column, columns.fields.get("id")
    # doctor passes no count of filled rows, so every row is read.
    return describe_far_rows(grid, 0, status_column, id_column)


def _warn(warning: str) -> str:
    raise CheckWarning(warning)


def _check_output_tabs(source: WorkbookSource | None, pipeline: Pipeline) -> str:
    # A run stops before writing when one of these names is a tab of the user's.
    if source is None:
        raise SourceError("the workbook could not be opened")
    names = pipeline.outputs.tabs.every_run()
    existing = read_existing_tabs(source, names)
    pipeline_tab = PipelineTab(pipeline.source.tab, source.tab_names())
    # doctor writes nothing, so the run's "Nothing was written." is left off.
    conflicts = generated_tab_conflicts(source.name, existing, pipeline_tab)
    if conflicts:
        raise SheetLayoutError(conflicts[0])
    return f"no tab of yours is named {', '.join(repr(name) for name in names)}"


def _check_protections(
    source: WorkbookSource | None, grid: SheetGrid, pipeline: Pipeline
) -> str:
    # A hard protection over the status column or a generated tab fails every
    # write, though the Edit access step passed.
    from sync.sources.google_sheets import GoogleSpreadsheet
    from sync.sources.sheets_protection import (
        WriteTarget,
        locked_protections,
        protection_error,
    )
    from sync.sources.sheets_state import Rectangle

    if not isinstance(source, GoogleSpreadsheet):
        raise SourceError("the spreadsheet could not be opened")
    columns = _columns_without_required(grid, pipeline)
    status = choose_status_column(grid, columns)
    area = Rectangle(columns.header_row - 1, None, status, status + 1)
    targets = [WriteTarget(grid.tab, area)]
    targets += [WriteTarget(name) for name in pipeline.outputs.tabs.every_run()]
    found = locked_protections(source.metadata(), targets)
    if found:
        reason = "A run would fail to write there, and write nothing."
        raise protection_error(source.name, source.service_account_email, found, reason)
    return (
        f"no protection keeps the service account from column "
        f"{column_letter(status)} of {grid.tab!r} or the generated tabs"
    )


def _cell_limit_problem(
    source: WorkbookSource | None, grid: SheetGrid | None, pipeline: Pipeline
) -> str | None:
    """Return the run's error when the new status column passes Google's cell limit."""
    from sync.sources.google_sheets import GoogleSpreadsheet
    from sync.sources.sheets_cell_limit import status_column_over_limit

    if not isinstance(source, GoogleSpreadsheet) or grid is None:
        return None
    try:
        status = choose_status_column(grid, _columns_without_required(grid, pipeline))
        return status_column_over_limit(source.metadata(), grid.tab, status)
    except PipesheetError:
        # The Columns or Status step reports what keeps the column from being found.
        return None


def _fail(message: str) -> str:
    raise SourceError(message)


def _fields_without_column(grid: SheetGrid | None, pipeline: Pipeline) -> set[str]:
    """Return the mapped fields that have no column in the pipeline tab.

    Returns nothing when the tab or its header row could not be read, because
    earlier steps report that.
    """
    if grid is None:
        return set()
    try:
        columns = _columns_without_required(grid, pipeline)
    except PipesheetError:
        return set()
    return {field for field in pipeline.columns if field not in columns.fields}


def _check_list(
    source: WorkbookSource | None,
    field: str,
    tab: str,
    column: str,
    rules_tab: str | None,
) -> str:
    if source is None:
        raise SourceError("the workbook could not be opened")
    check_list_tab(source, field, tab, rules_tab)
    grid = source.read_tab(tab)
    values = read_allowed_column(grid, column, field, rules_tab)
    found = f"column {column!r}: {counted(len(values), 'value')}"
    place = f"column {column!r}"
    if grid.has_tabs:
        found = f"tab {grid.tab!r}, {found}"
        place = f"column {column!r} of tab {grid.tab!r}"
    if not values:
        fix = list_fix(f"Add the allowed values under {place}", field, None, rules_tab)
        raise CheckWarning(
            f"{found}. The list is empty, so runs report each filled cell of field "
            f"{field!r} as not in the allowed list. {fix}"
        )
    return found
