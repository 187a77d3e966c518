"""An Excel workbook (.xlsx, .xlsm) on the local disk as a pipesheet source.

Tabs are read with python-calamine, which is fast and keeps dates, text with
leading zeros and cached formula results. Writes patch only the package parts
pipesheet owns (:mod:`sync.xlsx`) and copy every other part byte for byte, so
charts, macros, x14 dropdowns, sparklines and cached formula values survive.
The file is replaced atomically, with a bounded number of backups.

A write is also refused when Excel or LibreOffice has the workbook open, or
when the file changed on disk since it was read.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import datetime as dt
import errno
import functools
import io
import logging
import time
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path, PurePath
from typing import Any, BinaryIO

from python_calamine import (
    CalamineError,
    CalamineSheet,
    CalamineWorkbook,
    SheetTypeEnum,
    SheetVisibleEnum,
    WorksheetNotFound,
)

from config.errors import (
    PipesheetError,
    SheetLayoutError,
    SourceError,
    UnsupportedWorkbookError,
    WorkbookBusyError,
    WorkbookNotFoundError,
)
from config.file_kinds import non_regular_kind
from config.file_signatures import OLE_SIGNATURE, text_document_kind
from config.tab_names import existing_tabs_hint, find_tab_name
from rules.grid import CellValue, SheetGrid
from sync.atomic import (
    Fingerprint,
    find_lock_file,
    has_changed,
    list_backups,
    read_only_file_system_error,
    read_with_fingerprint,
    remove_stale_temporaries,
    take_fingerprint,
    write_atomically,
    written_file,
)
from sync.background import BackgroundCall
from sync.date_system import package_uses_1904_dates
from sync.hard_links import count_other_names, describe_hard_links
from sync.plan import GeneratedTab, WritePlan
from sync.sources.base import WriteReport
from sync.sources.changed_reads import damage_checked_for_changes
from sync.sources.compound_files import CompoundKind, compound_file_kind
from sync.sources.excel_id_formats import show_formatted_ids
from sync.sources.excel_read_ahead import short_switch_interval, take_read_ahead
from sync.sources.file_access import unreadable_workbook_error
from sync.sources.output_file import check_output_file
from sync.sources.package_checks import (
    check_package,
    describe_unread_tab,
    describe_unreadable_package,
    with_plain_targets,
)
from sync.sources.package_messages import save_as_format
from sync.sources.sheet_halves import SheetHalves
from sync.sources.zip_documents import describe_zip_document
from sync.status_alignment import (
    IdAlignment,
    StatusAlignment,
    align_id_writes,
    align_status_writes,
)
from sync.status_range import oversized_status_column
from sync.xlsx import sheet_size
from sync.xlsx.early_tabs import EarlyTabRender, start_tab_render
from sync.xlsx.edits import WorkbookEdits
from sync.xlsx.package import Package
from sync.xlsx.sheet_rows import check_sheet_rows
from sync.xlsx.sheet_scan import SheetScan, negative_numbers_of_tab, scan_tab
from sync.xlsx.sheet_size import check_sheet_size
from sync.xlsx.tab_digests import (
    TabRecord,
    WrittenTab,
    find_written_tabs,
    tabs_hashed_when_found,
)
from sync.xlsx.workbook_parts import WorkbookParts
from sync.xlsx.workbook_patch import (
    EarlySheetPatch,
    patch_workbook,
    start_sheet_patch,
)

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm")

# A temporary file of a write this old was left by a killed process: no write
# takes that long, so removing it cannot disturb one in progress.
STALE_TEMPORARY_AGE = dt.timedelta(minutes=30)

_CONVERSION_ADVICE = {
    ".xls": (
        "an Excel 97-2003 workbook (.xls), which pipesheet cannot write. Open it "
        "in Excel and use File > Save As > Excel Workbook (.xlsx)"
    ),
    ".ods": (
        "an OpenDocument spreadsheet (.ods). Open it in LibreOffice Calc and use "
        "File > Save As > Excel 2007-365 (.xlsx)"
    ),
    ".csv": (
        "a CSV file, which has no tabs or formatting to keep. Open it in Excel "
        "or LibreOffice and save it as an Excel workbook (.xlsx)"
    ),
    ".numbers": (
        "an Apple Numbers file. In Numbers use File > Export To > Excel and "
        "choose the .xlsx format"
    ),
}

_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class ExcelWorkbook:
    """An .xlsx or .xlsm file that pipesheet reads tabs from and writes to.

    :param path: the workbook file.
    :param output: write to this file instead of changing ``path``, which then
        stays as it is.
    :param backups: how many previous versions of the written file to keep in
        ``.pipesheet-backups/`` beside it; 0 keeps none.
    :param pipeline_tab: the tab the definition reads deals from, whose sheet
        XML is scanned for what calamine leaves out; by default the first tab
        read.
    :raises WorkbookNotFoundError: if ``path`` does not exist.
    :raises UnsupportedWorkbookError: if ``path`` is not a readable .xlsx or
        .xlsm workbook, or ``output`` has a different extension.
    """

    def __init__(
        self,
        path: Path,
        *,
        output: Path | None = None,
        backups: int = 3,
        pipeline_tab: str | None = None,
    ) -> None:
        check_workbook_file(path)
        self._path = path
        self._pipeline_tab = pipeline_tab
        self._output = check_output_file(path, output)
        self._backups = backups
        self._backup: Path | None = None
        self._fingerprint: Fingerprint | None = None
        # The file's content that _fingerprint describes, while it is known.
        self._data: bytes | None = None
        self._calamine: CalamineWorkbook | None = None
        self._date1904 = False
        # Tabs read from the bytes that _fingerprint describes, by tab name.
        self._grids: dict[str, SheetGrid] = {}
        # A tab parsed ahead (sync.sources.excel_read_ahead) but not yet read.
        self._parsed: dict[str, CalamineSheet | SheetHalves] = {}
        # Folded names of the tabs the workbook records as generated ones.
        self._recorded: dict[str, TabRecord] | None = None
        # The pipeline tab's patch that start_write began, until apply uses it.
        self._early: _EarlyWrite | None = None
        # The generated tabs that start_tab_render began, until apply uses them.
        self._early_tabs: EarlyTabRender | None = None
        # The folded tab name and 0-based column of the deal IDs, once known.
        self._id_column: tuple[str, int] | None = None

    @property
    def name(self) -> str:
        """Return the workbook's file name."""
        return self._path.name

    @property
    def target(self) -> Path:
        """Return the file :meth:`apply` writes: ``output`` or the workbook."""
        return self._output or self._path

    @property
    def target_name(self) -> str:
        """Return the file name of :attr:`target`."""
        return self.target.name

    @property
    def requests_made(self) -> int:
        """Return 0: a local file costs no API requests."""
        return 0

    def tab_names(self) -> list[str]:
        """Return the names of all tabs in workbook order.

        :raises SourceError: if the file may not be read.
        """
        try:
            with self._damage_checked():
                return list(self._read_calamine().sheet_names)
        except OSError as error:
            raise unreadable_workbook_error(self._path, error) from error

    def read_tab(self, tab: str) -> SheetGrid:
        """Return the values of one tab, row 1 first.

        Empty cells are None, whole numbers are ints, text stays text (``"00123"``
        keeps its zeros), and dates, times and durations stay date, datetime,
        time and timedelta values. Formula cells give their cached results.

        :raises SheetLayoutError: if the workbook has no such tab.
        :raises SourceError: if the file may not be read.
        """
        try:
            with self._damage_checked():
                return self._read_tab(tab)
        except OSError as error:
            raise unreadable_workbook_error(self._path, error) from error

    def _damage_checked(self) -> contextlib.AbstractContextManager[None]:
        """Report a package that looked damaged as changed, if it changed meanwhile."""
        return damage_checked_for_changes(self._path, lambda: self._fingerprint)

    def _is_pipeline_tab(self, tab: str) -> bool:
        if self._pipeline_tab is None:
            return not self._grids
        return tab.casefold() == self._pipeline_tab.casefold()

    def _has_grid(self, tab: str) -> bool:
        folded = tab.casefold()
        return any(name.casefold() == folded for name in self._grids)

    def _read_tab(self, tab: str) -> SheetGrid:
        # The pipeline tab's sheet XML is scanned for what calamine leaves
        # out. The scan runs beside calamine's parse, which may still run in
        # the read ahead, and beside the conversion of calamine's rows. Other
        # tabs (lists, generated tabs, a Stage log read before the pipeline
        # tab) are read for their values only.
        pipeline_tab = self._is_pipeline_tab(tab)
        scanning = None
        if pipeline_tab and not self._has_grid(tab):
            scanning = BackgroundCall(
                functools.partial(_scan_with_short_switch_interval, self._path, tab),
                "sheet-scan",
            )
        workbook = self._read_calamine()
        name = resolve_tab_name(workbook.sheet_names, tab, self.name)
        grid = self._grids.get(name)
        if grid is None:
            sheet = self._parsed.pop(name, None)
            if sheet is None:
                check_sheet_size(self._path, name, self.name)
            cells = _GridCells()
            rows = self._read_rows(workbook, name, sheet, cells)
            scan = SheetScan()
            if pipeline_tab:
                scan = self._scan(name, scanning, negatives=cells.saw_time)
            show_error_cells(rows, scan.error_cells)
            show_negative_numbers(rows, scan.negative_numbers)
            if self._id_column is not None and self._id_column[0] == name.casefold():
                show_formatted_ids(
                    self._path, self._data, name, rows, self._id_column[1]
                )
            grid = SheetGrid(
                self.name,
                name,
                rows,
                date1904=self._date1904,
                row_formulas=scan.row_formulas,
                subtotal_formulas=scan.subtotal_formulas,
                aggregate_formulas=scan.aggregate_formulas,
                empty_formula_results=frozenset(scan.empty_formula_results),
                formula_cells=frozenset(scan.formula_cells),
                unsaved_formula_results=frozenset(scan.unsaved_formula_results),
                total_rows=scan.total_rows,
                merged=scan.merged,
                hidden_columns=scan.hidden_columns,
                range_formulas=scan.range_formulas,
                drawings=scan.drawings,
                # Only the pipeline tab is scanned.
                pipesheet_highlights=(
                    scan.pipesheet_highlights if pipeline_tab else None
                ),
                highlight_columns=frozenset().union(*scan.highlight_blocks.values()),
                recorded=not pipeline_tab and name.casefold() in self._recorded_tabs(),
                very_hidden=_is_very_hidden(workbook, name),
                cell_limit=sheet_size.MAX_SHEET_CELLS,
            )
            self._grids[name] = grid
        return grid

    def read_ids_as_shown(self, grid: SheetGrid, column: int) -> None:
        """Read the numbers of the ID ``column`` as the text their format shows.

        See :mod:`sync.sources.excel_id_formats`.
        """
        known = (grid.tab.casefold(), column)
        if self._id_column == known:
            return
        self._id_column = known
        show_formatted_ids(self._path, self._data, grid.tab, grid.rows, column)

    def _read_rows(
        self,
        workbook: CalamineWorkbook,
        tab: str,
        sheet: CalamineSheet | SheetHalves | None,
        cells: _GridCells,
    ) -> list[list[CellValue]]:
        """Read a tab as :func:`read_rows` does, naming the cause of a missing tab.

        calamine reads a tab as missing or empty when it cannot find or decode
        its part, so those rare cases are looked into before a message blames
        the workbook or the tab.
        """
        try:
            rows = read_rows(workbook, tab, self.name, sheet, cells)
        except UnsupportedWorkbookError as error:
            rows_found = self._read_with_plain_targets(tab, cells)
            if rows_found is not None:
                return rows_found
            described = describe_unread_tab(str(self._path), tab, self.name)
            if described is None:
                raise
            raise UnsupportedWorkbookError(described) from error
        if not rows:
            described = describe_unread_tab(str(self._path), tab, self.name)
            if described is not None:
                raise UnsupportedWorkbookError(described)
        return rows

    def _read_with_plain_targets(
        self, tab: str, cells: _GridCells
    ) -> list[list[CellValue]] | None:
        """Read ``tab`` from a copy whose targets calamine can follow, if one helps.

        The copy is read for every later tab too. Returns None when no target
        needed it or the tab still cannot be read.
        """
        plain = with_plain_targets(self._data) if self._data is not None else None
        if plain is None:
            return None
        workbook = open_with_calamine(plain, self.name)
        try:
            rows = read_rows(workbook, tab, self.name, None, cells)
        except UnsupportedWorkbookError:
            return None
        logger.info("Read %s from a copy with plain part names", self.name)
        self._calamine = workbook
        return rows

    def check_tab_rows(self, tab: str) -> None:
        """Stream the rows of ``tab`` as :meth:`apply` does, writing nothing.

        ``tab`` is the name as the workbook spells it, as in a grid it returned.

        :raises UnsupportedWorkbookError: if the write would reject the rows,
            such as rows out of order or a row number listed twice.
        :raises SourceError: if the file may not be read.
        """
        try:
            check_sheet_rows(self._path, tab)
        except OSError as error:
            raise unreadable_workbook_error(self._path, error) from error

    def is_recorded_tab(self, tab: str) -> bool:
        """Return True if the workbook records ``tab`` as a tab pipesheet generated."""
        return tab.casefold() in self._recorded_tabs()

    def edited_generated_tabs(self, grids: Sequence[SheetGrid]) -> list[str]:
        """Return the names of the tabs whose content differs from what was written.

        Each grid, read whole from the workbook, is compared with the record of
        the grid pipesheet last wrote to that tab (:mod:`sync.xlsx.tab_digests`),
        as a spreadsheet shows both. A tab saved again by Excel or LibreOffice
        without a change is not edited. A tab whose record is missing or of an
        earlier version cannot be checked, so it is left out.
        """
        records = self._recorded_tabs()
        edited = []
        for grid in grids:
            record = records.get(grid.tab.casefold())
            if record is not None and not record.matches_shown(
                grid.rows, self._date1904
            ):
                edited.append(grid.tab)
        return edited

    def is_renamed_tab(self, tab: str) -> bool:
        """Return True if ``tab``'s record shows it was written under another name."""
        record = self._recorded_tabs().get(tab.casefold())
        return record is not None and record.names_other_tab(tab)

    def _recorded_tabs(self) -> dict[str, TabRecord]:
        """Return the records of the tabs the workbook records as generated.

        Keys are the tabs' folded names.
        """
        if self._recorded is None:
            self._recorded = {}
            try:
                with Package(self._path) as package:
                    workbook = WorkbookParts(package)
                    records = workbook.tab_records()
            except (PipesheetError, OSError, ElementTree.ParseError) as error:
                logger.debug("Tab records of %s not read: %s", self.name, error)
                return self._recorded
            self._recorded = {
                sheet.name.casefold(): records[index]
                for index, sheet in enumerate(workbook.sheets)
                if index in records
            }
        return self._recorded

    def unchanged_generated_tabs(
        self, tabs: Sequence[GeneratedTab]
    ) -> dict[str, SheetGrid]:
        """Return the tabs the workbook contains exactly as pipesheet last wrote them.

        Each grid's rows are the generated tab's own grid, found from the records
        in the workbook part (:mod:`sync.xlsx.tab_digests`), so no tab is read.
        A workbook that cannot be checked that way, or that changed on disk
        since the first read, gives no tabs; the caller then reads them all.
        """
        written = self.written_generated_tabs(tabs)
        return {name: grid for name, grid in written.items() if not grid.head_only}

    def written_generated_tabs(
        self, tabs: Sequence[GeneratedTab]
    ) -> dict[str, SheetGrid]:
        """Return the tabs the workbook contains as pipesheet last wrote them.

        A tab with the record of the grid to write comes as
        :meth:`unchanged_generated_tabs` describes. A tab with another
        record differs from it, so only its first row is read from the sheet
        part, for the banner that names the pipeline tab it was made from,
        and the grid has ``head_only`` set. Reading the Follow-ups, Problems
        and Stage log tabs of a 100k-row sheet whole took 1.7 s of a next-day
        run (2-core machine under load). A workbook that cannot be checked
        that way, or that changed on disk since the first read, gives no tabs.
        """
        self._read_calamine()
        grids = {tab.name: tab.grid for tab in tabs}
        found: dict[str, SheetGrid] = {}
        try:
            with Package(self._path) as package:
                workbook = WorkbookParts(package)
                for name, tab in find_written_tabs(package, workbook, tabs).items():
                    grid = self._written_grid(tab, grids[name])
                    if grid is not None:
                        found[name] = grid
        except (PipesheetError, OSError, ElementTree.ParseError) as error:
            logger.debug("Generated tabs of %s not checked: %s", self.name, error)
            return {}
        if self._fingerprint is None or has_changed(self._path, self._fingerprint):
            return {}
        return found

    def _written_grid(
        self, tab: WrittenTab, grid: list[list[CellValue]]
    ) -> SheetGrid | None:
        if tab.same_grid:
            return SheetGrid(self.name, tab.name, grid, recorded=True)
        if tab.banner is None:
            return None
        return SheetGrid(
            self.name, tab.name, [[tab.banner]], recorded=True, head_only=True
        )

    def apply(self, plan: WritePlan) -> WriteReport:
        """Write the plan, skipping rows that moved or changed since the read.

        An empty plan writes nothing: no bytes, no backup, the file's
        modification time stays.

        :raises WorkbookBusyError: if the workbook is open in Excel or
            LibreOffice, or changed on disk since it was read.
        :raises FeatureLossError: if a status cell anchors a shared formula, or
            the status header would repeat a column name of an Excel table.
        :raises SheetLayoutError: if the pipeline tab is missing, a generated
            tab's name is taken by a tab of the user's, or the status column
            would widen the pipeline tab past the cells the next run reads.
        :raises DefinitionError: if a generated tab's name is invalid in Excel.
        :raises SourceError: if the file cannot be written, or a generated tab
            contains a value that cannot go into a cell.
        """
        if plan.is_empty:
            self.cancel_write()
            logger.info("No changes to write to %s", self.target.name)
            return WriteReport(0, [], 0, 0, [], str(self.target))
        try:
            with self._damage_checked():
                return self._apply(plan)
        finally:
            self.cancel_write()

    def start_write(self, plan: WritePlan, tabs: Sequence[GeneratedTab]) -> None:
        """Start patching the status cells of ``plan`` in a child process.

        ``plan`` needs only its status cells, header and highlights. The child
        also hashes the grids of those ``tabs`` that have no digest yet and
        that the read of the generated tabs does not hash either (see
        :func:`~sync.xlsx.tab_digests.tabs_hashed_when_found`). The patch
        starts from the bytes the tabs were read from. :meth:`apply` uses it
        when its own plan has the same status writes and the file on disk
        still has those bytes, and cancels it otherwise. Nothing starts when
        :func:`~sync.xlsx.workbook_patch.start_sheet_patch` declines, as on a
        small tab or without ``fork``.
        """
        self._cancel_status_patch()
        grid = self._grids.get(plan.tab)
        if self._data is None or grid is None or plan.read_grid is not grid:
            return
        if plan.id_cells:
            # New IDs are patched with the statuses in apply, which is rare
            # enough not to need the early start.
            return
        alignment = align_status_writes(grid, plan)
        try:
            edits = workbook_edits(plan, grid.tab, alignment)
        except ValueError as error:
            # apply raises it again, at the usual point of the run.
            logger.debug("Status cells not patched ahead: %s", error)
            return
        # A child rendering the tabs hashes them too.
        unhashed = []
        if self._early_tabs is None:
            hashed_when_read = self._tabs_hashed_when_read(tabs)
            unhashed = [
                tab
                for tab in tabs
                if not tab.has_digest and tab.name not in hashed_when_read
            ]
        patch = start_sheet_patch(self._path, self._data, edits, unhashed)
        if patch is not None:
            self._early = _EarlyWrite(plan, grid, alignment, patch)

    def _tabs_hashed_when_read(self, tabs: Sequence[GeneratedTab]) -> set[str]:
        """Return the names of the tabs whose grids the read of written tabs hashes.

        That read is :meth:`written_generated_tabs`. A workbook whose records
        cannot be checked gives none, because that read then hashes none.
        """
        try:
            with Package(self._path, data=self._data) as package:
                return tabs_hashed_when_found(package, WorkbookParts(package), tabs)
        except (PipesheetError, OSError, ElementTree.ParseError) as error:
            logger.debug("Generated tabs of %s not checked: %s", self.name, error)
            return set()

    def start_tab_render(self, tabs: Sequence[GeneratedTab]) -> None:
        """Start rendering the sheet XML of ``tabs`` in a child process.

        The child renders from the bytes the tabs were read from. :meth:`apply`
        uses its sheets when its plan writes these very tabs, and cancels it
        otherwise. Nothing starts when
        :func:`~sync.xlsx.early_tabs.start_tab_render` declines, as for small
        tabs or without ``fork``.
        """
        self._cancel_tab_render()
        if self._data is not None and tabs:
            self._early_tabs = start_tab_render(self._path, self._data, tabs)

    def cancel_write(self) -> None:
        """Stop the work :meth:`start_write` and :meth:`start_tab_render` started."""
        self._cancel_status_patch()
        self._cancel_tab_render()

    def _cancel_status_patch(self) -> None:
        early, self._early = self._early, None
        if early is not None:
            early.patch.cancel()

    def _cancel_tab_render(self) -> None:
        early_tabs, self._early_tabs = self._early_tabs, None
        if early_tabs is not None:
            early_tabs.cancel()

    def _early_write(self, plan: WritePlan, grid: SheetGrid) -> _EarlyWrite | None:
        """Return the patch :meth:`start_write` started, if it fits this write.

        It fits when ``grid`` is the very grid it aligned its writes with,
        which the re-read returns only while the file has the bytes it was
        read from, and when ``plan`` has the same status writes.
        """
        early = self._early
        if early is None:
            return None
        same_statuses = dataclasses.replace(
            early.plan, tabs=plan.tabs, owned_tab_names=plan.owned_tab_names
        )
        if grid is early.grid and plan == same_statuses:
            return early
        self._cancel_status_patch()
        return None

    def _apply(self, plan: WritePlan) -> WriteReport:
        started = time.monotonic()
        self._check_not_open()
        # A recorded run removes them under its workbook lock; this covers
        # runs without a state database too.
        remove_stale_temporaries(self.target, STALE_TEMPORARY_AGE)
        data = self._read_unchanged_package()
        grid = self._reread_tab(data, plan.tab)
        early = self._early_write(plan, grid)
        if early is not None:
            alignment = early.alignment
        else:
            alignment = align_status_writes(grid, plan)
        ids = align_id_writes(grid, plan)
        if not (
            alignment.rows
            or ids.cells
            or plan.tabs
            or plan.write_status_header
            or plan.remove_highlights
            or plan.add_highlights
        ):
            # Every planned status was skipped: rewriting the file would only
            # change its modification time and rotate a backup.
            _log_skipped(alignment.skipped)
            return WriteReport(
                0,
                [],
                0,
                0,
                alignment.skipped,
                str(self.target),
                id_rows_skipped=tuple(ids.skipped_rows),
            )
        _check_room_for_statuses(grid, plan, alignment)
        early_patch = None
        if early is None:
            edits = workbook_edits(plan, grid.tab, alignment, ids)
        else:
            # The child's edits with this plan's tabs, so patch_workbook
            # compares the child's status cells with themselves.
            early_patch = early.patch
            edits = dataclasses.replace(
                early_patch.edits,
                generated_tabs=list(plan.tabs),
                owned_tab_names=list(plan.owned_tab_names),
            )

        # The patch reads the bytes the fingerprint was checked on, not the
        # file again, which another program may have changed since. They are
        # the bytes the tabs' child started from. apply cancels that child
        # when the write ends before taking its sheets.
        early_tabs = self._early_tabs
        size = self._save(
            lambda out: _patch_into(
                self._path, out, edits, data, early_patch, early_tabs
            )
        )
        _log_skipped(alignment.skipped)
        if size is None:
            # The usual re-run with --output: the source is unchanged, so the
            # plan and the patched bytes repeat the last run's.
            logger.info("%s already contains this result", self.target.name)
            return WriteReport(
                0,
                [],
                0,
                0,
                alignment.skipped,
                str(self.target),
                output_unchanged=True,
                id_rows_skipped=tuple(ids.skipped_rows),
            )
        report = WriteReport(
            status_cells_written=len(alignment.rows),
            tabs_written=[tab.name for tab in plan.tabs],
            bytes_written=size,
            requests=0,
            skipped=alignment.skipped,
            output=str(self.target),
            status_header_written=edits.status_header is not None,
            backup=str(self._backup) if self._backup is not None else None,
            ids_filled=tuple(ids.cells.values()),
            id_rows_skipped=tuple(ids.skipped_rows),
        )
        if plan.id_cells:
            logger.info(
                "Wrote %s: %d new IDs, %d skipped",
                self.target.name,
                len(report.ids_filled),
                len(report.id_rows_skipped),
            )
        logger.info(
            "Wrote %s: %d status cells, %d tabs, %d skipped, %d bytes in %.2f s",
            self.target.name,
            report.status_cells_written,
            len(report.tabs_written),
            len(report.skipped),
            report.bytes_written,
            time.monotonic() - started,
        )
        return report

    def _read_calamine(self) -> CalamineWorkbook:
        if self._calamine is not None:
            return self._calamine

        ahead = take_read_ahead(self._path)
        if ahead is not None:
            self._calamine, self._fingerprint = ahead.workbook, ahead.fingerprint
            self._data = ahead.data
            self._date1904 = ahead.date1904
            if ahead.tab is not None and ahead.sheet is not None:
                self._parsed[ahead.tab] = ahead.sheet
            return ahead.workbook

        data, fingerprint = self._read_package()
        self._calamine = open_with_calamine(data, self.name)
        self._fingerprint = fingerprint
        self._data = data
        self._date1904 = package_uses_1904_dates(data)
        return self._calamine

    def _scan(
        self,
        tab: str,
        scanning: BackgroundCall[SheetScan] | None,
        *,
        negatives: bool,
    ) -> SheetScan:
        """Return the facts of ``tab``'s XML that calamine's values leave out.

        ``scanning`` is the scan started with the read, or None. The negative
        numbers are looked for only when ``negatives`` is true. A file that
        changed since calamine read it gives an empty scan, and the run's
        write notices the change.
        """
        scan = scanning.result() if scanning is not None else None
        if scan is None:
            scan = scan_tab(self._path, tab)
        if negatives:
            scan.negative_numbers = negative_numbers_of_tab(self._path, tab)
        if self._fingerprint is None or has_changed(self._path, self._fingerprint):
            return SheetScan()
        return scan

    def _read_package(self) -> tuple[bytes, Fingerprint]:
        try:
            return read_with_fingerprint(self._path)
        except FileNotFoundError as error:
            raise _not_found(self._path) from error
        except OSError as error:
            raise unreadable_workbook_error(self._path, error) from error

    def _check_not_open(self) -> None:
        # Only the file written matters. With --output the workbook is only
        # read, and the fingerprint checks catch a save in between.
        try:
            lock = find_lock_file(self.target)
        except OSError as error:
            raise _unwritable(self.target, error) from error
        if lock is None:
            return

        owner = f" by {lock.owner}" if lock.owner else ""
        raise WorkbookBusyError(
            f"Workbook {self.target.name!r} is open in {lock.application}{owner}; "
            "close it and run again (a scheduled run retries by itself). Nothing "
            "was written. If nobody has it open, delete the lock file "
            f"{str(lock.path)!r}."
        )

    def _read_unchanged_package(self) -> bytes:
        data, fingerprint = self._read_package()
        if self._fingerprint is None:
            self._fingerprint = fingerprint
        elif not fingerprint.same_content(self._fingerprint):
            raise self._changed_error()
        return data

    def _check_unchanged_before_replace(self) -> None:
        # Patching a large workbook can take seconds, so a person may have
        # saved or opened the file meanwhile.
        fingerprint = self._fingerprint
        if fingerprint is None or has_changed(self._path, fingerprint):
            raise self._changed_error()
        self._check_not_open()

    def _changed_error(self) -> WorkbookBusyError:
        return WorkbookBusyError(
            f"Workbook {self.name!r} changed on disk since it was read. Nothing "
            "was written. Run again to read it anew (a scheduled run retries by "
            "itself)."
        )

    def _reread_tab(self, data: bytes, tab: str) -> SheetGrid:
        # _read_unchanged_package checked that ``data`` has the SHA-256 of the
        # bytes the cached workbook was read from, so its tabs are the tabs now.
        if self._calamine is None:
            self._calamine = open_with_calamine(data, self.name)
        return self.read_tab(tab)

    def _save(self, write: Callable[[BinaryIO], None]) -> int | None:
        replaced = self._backups > 0 and self.target.exists()
        # Counted before the rename, which takes the written name off the file.
        other_names = count_other_names(self.target)
        try:
            size = write_atomically(
                self.target,
                write,
                backups=self._backups,
                before_replace=self._check_unchanged_before_replace,
            )
        except OSError as error:
            raise _unwritable(self.target, error) from error
        # write_atomically kept the replaced file as the newest backup, beside
        # the file a link points at.
        replaced_file = written_file(self.target)
        backups = list_backups(replaced_file) if replaced and size is not None else []
        self._backup = backups[0] if backups else None
        if other_names and size is not None:
            logger.warning("%s", describe_hard_links(self.target, other_names))

        if self._output is None:
            self._fingerprint = take_fingerprint(self._path)
            self._data = None
            self._calamine = None
            self._grids = {}
            self._parsed = {}
            self._recorded = None
        return size


def check_workbook_file(path: Path) -> None:
    """Check that a path is an .xlsx or .xlsm workbook pipesheet can open.

    Only the extension, the first bytes and the zip directory are checked, so
    this is cheap even for a large workbook.

    :raises WorkbookNotFoundError: if the file does not exist.
    :raises UnsupportedWorkbookError: if it is another format, empty, corrupt
        or encrypted.
    """
    _check_suffix(path)
    kind = non_regular_kind(path)
    if kind is None and not path.exists():
        raise _not_found(path)
    if kind is not None:
        raise UnsupportedWorkbookError(
            f"Workbook path {str(path)!r} is {kind}, not a regular file. Point "
            "--source or source.path in the pipeline definition at the .xlsx file."
        )

    with path.open("rb") as file:
        head = file.read(8)
    _check_signature(path, head)
    _check_zip_package(path)


def _check_suffix(path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix in SUPPORTED_SUFFIXES:
        return

    advice = _CONVERSION_ADVICE.get(suffix)
    if advice is not None:
        raise UnsupportedWorkbookError(f"Workbook {path.name!r} is {advice}.")
    raise UnsupportedWorkbookError(
        f"Workbook {path.name!r} has the extension {suffix!r}; pipesheet writes "
        "Excel workbooks (.xlsx, .xlsm) and checks .ods, .xls, .csv and .tsv "
        "files. Save it as .xlsx and point --source or source.path at that file."
    )


def _check_signature(path: Path, head: bytes) -> None:
    if not head:
        raise UnsupportedWorkbookError(
            f"Workbook {path.name!r} is empty (0 bytes), perhaps left by an "
            "interrupted copy or save. Restore it from a backup (pipesheet keeps "
            "some in .pipesheet-backups/ beside it) or save it again from Excel."
        )
    if head.startswith(OLE_SIGNATURE):
        compound = compound_file_kind(path)
        if compound is CompoundKind.ENCRYPTED:
            raise UnsupportedWorkbookError(
                f"Workbook {path.name!r} is password-protected (encrypted), so "
                "pipesheet cannot read it. Remove the password in Excel (File > "
                "Info > Protect Workbook > Encrypt with Password, clear it), save, "
                "and run again."
            )
        if compound is CompoundKind.OLD_EXCEL:
            raise UnsupportedWorkbookError(
                f"Workbook {path.name!r} is an old Excel workbook (.xls) with the "
                f"extension {path.suffix}. Save it as Excel Workbook (.xlsx) in "
                "Excel to have it checked and written, or rename it to .xls, "
                "which pipesheet checks but does not write."
            )
        raise UnsupportedWorkbookError(
            f"Workbook {path.name!r} is not an .xlsx package: it is either "
            "password-protected (encrypted) or an old .xls workbook renamed to "
            f"{path.suffix}. Remove the password in Excel (File > Info > Protect "
            "Workbook > Encrypt with Password, clear it) or save it as Excel "
            "Workbook (.xlsx), then run again."
        )
    if head.startswith(_ZIP_SIGNATURES):
        return

    kind = "data that is not a zip package"
    if _looks_like_text(path):
        kind = _text_kind(path) or "plain text, perhaps a CSV file renamed"
    raise UnsupportedWorkbookError(
        f"Workbook {path.name!r} is not a valid {path.suffix} file: it contains "
        f"{kind}. Open it in Excel or LibreOffice and save it as Excel Workbook "
        "(.xlsx)."
    )


def _text_kind(path: Path) -> str | None:
    """Return the kind of text document the file is, as :func:`text_document_kind`."""
    with path.open("rb") as file:
        head = file.read(4096)
    kind = text_document_kind(head)
    if kind is None:
        return None
    return f"{kind}, as some programs export under a workbook's name"


def _looks_like_text(path: Path) -> bool:
    with path.open("rb") as file:
        sample = file.read(4096)
    if sample.startswith(_UTF16_BOMS):
        return True

    # An incremental decoder accepts a character cut off at the sample's end.
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return b"\x00" not in sample


def _check_zip_package(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as package:
            if check_package(package, path.name):
                return
            kind = describe_zip_document(package, set(package.namelist()), path.suffix)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise UnsupportedWorkbookError(
            f"Workbook {path.name!r} is not a valid {path.suffix} file: its zip "
            f"package is damaged ({error}), perhaps by an interrupted copy. "
            "Restore it from a backup or save it again from Excel."
        ) from error
    raise UnsupportedWorkbookError(f"Workbook {path.name!r} is {kind}.")


def _unwritable(target: Path, error: OSError) -> SourceError:
    # The file system can be remounted read-only after check_writable passed.
    if error.errno == errno.EROFS:
        return read_only_file_system_error(target)
    return SourceError(
        f"Workbook {target.name!r} could not be written: {error}. "
        "Nothing was changed; check free space and permissions of the "
        "folder, then run again."
    )


def _not_found(path: Path) -> WorkbookNotFoundError:
    return WorkbookNotFoundError(
        f"Workbook {str(path)!r} not found. Check source.path in the pipeline "
        "definition; a relative path is read from the folder pipesheet runs in."
    )


def open_with_calamine(data: bytes, workbook_name: str) -> CalamineWorkbook:
    """Open workbook bytes with python-calamine.

    :raises UnsupportedWorkbookError: if calamine cannot parse the package.
    """
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except CalamineError as error:
        described = describe_unreadable_package(data, workbook_name)
        if described is not None:
            raise UnsupportedWorkbookError(described) from error
        empty = _empty_xml_parts(data)
        if empty:
            raise UnsupportedWorkbookError(
                f"Workbook {workbook_name!r} is damaged: its part {empty[0]!r} is "
                "empty (0 bytes), so it cannot be read as it is. Open it in "
                "Excel, which offers to repair it, and save it as Excel Workbook "
                "(.xlsx), or restore it from a backup (pipesheet keeps some in "
                ".pipesheet-backups/ beside it); then run again."
            ) from error
        kind = text_document_kind(data[:4096])
        if kind is not None:
            raise UnsupportedWorkbookError(
                f"Workbook {workbook_name!r} is not a valid "
                f"{PurePath(workbook_name).suffix} file: it contains {kind}, as "
                "some programs export under a workbook's name. Open it in Excel "
                "or LibreOffice and save it as Excel Workbook (.xlsx)."
            ) from error
        raise _unreadable(workbook_name, error) from error


def _empty_xml_parts(data: bytes) -> list[str]:
    """Return the names of the package's XML parts that are empty, if any."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return [
                info.filename
                for info in package.infolist()
                if info.file_size == 0 and info.filename.endswith((".xml", ".rels"))
            ]
    except (zipfile.BadZipFile, OSError):
        return []


def resolve_tab_name(names: list[str], tab: str, workbook_name: str) -> str:
    """Return the workbook's spelling of a tab name, ignoring case as Excel does.

    The error names ``source.tab`` as the setting to fix, so code that reads
    another tab, such as an allowed-value list's, checks first that it exists.

    :raises SheetLayoutError: naming the existing tabs and the nearest match.
    """
    name = find_tab_name(names, tab)
    if name is not None:
        return name
    raise SheetLayoutError(
        f"Tab {tab!r} not found in workbook {workbook_name!r}. "
        f"{existing_tabs_hint(names, tab)} Fix source.tab in the pipeline "
        "definition or rename the tab."
    )


def read_rows(
    workbook: CalamineWorkbook,
    tab: str,
    workbook_name: str,
    sheet: CalamineSheet | SheetHalves | None = None,
    cells: _GridCells | None = None,
) -> list[list[CellValue]]:
    """Return a tab's cell values from A1, converted as :meth:`read_tab` describes.

    :param sheet: the tab already parsed, whole or in halves, if it was.
    :param cells: the conversion to use, which notes whether a time was read.
    :raises SheetLayoutError: if the tab is a chart, macro or dialog sheet.
    :raises UnsupportedWorkbookError: if calamine cannot parse the tab.
    """
    _check_worksheet(workbook, tab, workbook_name)
    cells = _GridCells() if cells is None else cells
    convert = cells.__getitem__
    try:
        if sheet is None:
            sheet = workbook.get_sheet_by_name(tab)
        # iter_rows starts at the first filled row and column, so it gives the
        # rows from A1 only when the data starts there, and to_python pads the
        # other tabs. Each raw row from iter_rows is converted and freed when
        # the next one arrives, but to_python keeps every raw cell until the
        # end. At 100k rows those raw cells take about 70 MB, and converting
        # into the memory just freed made the read about 0.02 s faster.
        if isinstance(sheet, SheetHalves):
            rows = sheet.join(convert)
            if rows is not None:
                return rows
            sheet = workbook.get_sheet_by_name(tab)
        raw_rows: Iterable[list[Any]]
        if sheet.start == (0, 0):
            raw_rows = sheet.iter_rows()
        else:
            raw_rows = sheet.to_python(skip_empty_area=False)
        return [list(map(convert, row)) for row in raw_rows]
    except WorksheetNotFound as error:
        # The tab is listed in the workbook, but its part is not in the package.
        raise UnsupportedWorkbookError(
            f"Workbook {workbook_name!r} is damaged: it lists the tab {tab!r}, "
            "but the part that contains that tab's cells is missing. Open it in "
            "Excel, which offers to repair it, and save it as Excel Workbook "
            "(.xlsx), or restore it from a backup (pipesheet keeps some in "
            ".pipesheet-backups/ beside it); then run again."
        ) from error
    except CalamineError as error:
        # calamine's text quotes the damaged XML, which may contain cell
        # values, so it goes to the debug log only.
        logger.debug("calamine could not parse tab %r: %s", tab, error)
        raise UnsupportedWorkbookError(
            f"Workbook {workbook_name!r} could not be read: the cells of tab "
            f"{tab!r} are damaged. Open it in Excel, which offers to repair it, "
            "and save it as Excel Workbook (.xlsx), or restore it from a backup "
            "(pipesheet keeps some in .pipesheet-backups/ beside it); then run "
            "again."
        ) from error


def _check_worksheet(workbook: CalamineWorkbook, tab: str, workbook_name: str) -> None:
    kind = next(
        (sheet.typ for sheet in workbook.sheets_metadata if sheet.name == tab), None
    )
    if kind is None or kind == SheetTypeEnum.WorkSheet:
        return
    # calamine's sheet kinds cannot be dict keys (they are not hashable).
    described = next(
        (text for known, text in _SHEET_KINDS if kind == known), "not a worksheet"
    )
    raise SheetLayoutError(
        f"Tab {tab!r} of workbook {workbook_name!r} is {described}, not a "
        "worksheet, so it has no cells to read. Point the pipeline definition at "
        "the worksheet that contains the data, or rename that sheet."
    )


def show_error_cells(
    rows: list[list[CellValue]], error_cells: dict[tuple[int, int], str]
) -> None:
    """Put each formula error's text (``"#N/A"``) into its cell of ``rows``.

    calamine reads those cells as empty; with the text, a rule names the error
    instead of asking for a value.
    """
    for (row, column), text in error_cells.items():
        if not 1 <= row <= len(rows):
            continue
        cells = rows[row - 1]
        if column >= len(cells):
            cells.extend([None] * (column + 1 - len(cells)))
        if cells[column] is None:
            cells[column] = text


def show_negative_numbers(
    rows: list[list[CellValue]], numbers: dict[tuple[int, int], float]
) -> None:
    """Put each negative number back where calamine read it as a date or time.

    calamine reads a negative number in a cell formatted as a date or time as
    a time of day without its sign or whole part, so a message about -5 in a
    date column would quote 00:00. A cell read as a number keeps its value.
    """
    for (row, column), number in numbers.items():
        if not 1 <= row <= len(rows) or column >= len(rows[row - 1]):
            continue
        cells = rows[row - 1]
        value = cells[column]
        if value is None or type(value) in (int, float):
            continue
        cells[column] = int(number) if number.is_integer() else number


class _GridCells(dict[CellValue | timedelta, CellValue]):
    """The grid value of each raw calamine cell, stored for texts, dates and floats.

    Looking a cell up here is one dict lookup in C. Only a text, date or float
    seen for the first time costs a Python call, and so do booleans, floats
    equal to 0 or 1, datetimes, times and durations, which are never stored.
    Equal texts then share one str object, and so do equal dates. A tab
    repeats a few stage, owner and product names and a few hundred days, so the
    grid is smaller and later passes touch fewer objects. Measured at 100k rows,
    sharing texts made peak memory 38 MB lower and read_deals about 15% less
    CPU. Sharing dates saves read_deals 0.04 s, because a date hashed once and
    compared by identity is cheap to look up in its column's parse cache.

    calamine gives "" for an empty cell, so "" is stored as None.
    python-calamine 0.9 also gives "" for a formula error (#N/A, #DIV/0!);
    :func:`show_error_cells` puts the error's text back. Other texts
    stay as they are, so "00123" keeps its zeros. A whole float is stored with
    its int value, so an int cell that finds it gets the value it keeps anyway.
    Floats equal to 0 or 1 are not stored, because True equals 1 and False
    equals 0 but a boolean stays a boolean. No text, date or number equals a
    datetime, a time or a duration, so those always reach :meth:`__missing__`.
    """

    def __init__(self) -> None:
        super().__init__({"": None})
        # calamine reads a negative number in a date or time cell as a time,
        # so only a read that met a time needs the sheet's negative numbers.
        self.saw_time = False

    def __missing__(self, value: CellValue | timedelta) -> CellValue:
        if type(value) is str or type(value) is date:
            self[value] = value
            return value
        if type(value) is float:
            number = int(value) if value.is_integer() else value
            if value != 0 and value != 1:
                self[value] = number
            return number
        # A duration cell arrives as datetime.timedelta, which CellValue does
        # not list, so it becomes text as Excel shows it ([h]:mm:ss).
        if isinstance(value, timedelta):
            return _duration_text(value)
        if type(value) is dt.time:
            self.saw_time = True
        return value


def _scan_with_short_switch_interval(path: Path, tab: str) -> SheetScan:
    """Scan ``tab`` as :func:`scan_tab` does, with a short switch interval.

    The scan waits for the GIL after each piece of sheet XML it inflates,
    while the main thread converts calamine's rows. With Python's usual 5 ms
    switch interval, read_tab then waited a median of 176 ms for the scan of
    the 100k-row benchmark sheet. With the short one it waited 10 ms, for the
    same main-thread CPU (5 full runs each, 2-core VM under load).
    """
    with short_switch_interval():
        return scan_tab(path, tab)


def _duration_text(value: timedelta) -> str:
    """Return a duration as Excel's ``[h]:mm:ss`` shows it: 1 day 2 h → 26:00:00."""
    seconds = round(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"


_SHEET_KINDS = (
    (SheetTypeEnum.ChartSheet, "a chart sheet"),
    (SheetTypeEnum.MacroSheet, "a macro sheet"),
    (SheetTypeEnum.DialogSheet, "a dialog sheet"),
)


def _unreadable(workbook_name: str, error: Exception) -> UnsupportedWorkbookError:
    return UnsupportedWorkbookError(
        f"Workbook {workbook_name!r} could not be read: {error}. Open it in Excel, "
        f"save it again as {save_as_format(workbook_name)} and run again."
    )


def workbook_edits(
    plan: WritePlan,
    tab: str,
    alignment: StatusAlignment,
    ids: IdAlignment | None = None,
) -> WorkbookEdits:
    """Return the package edits of a plan whose status writes were aligned.

    ``tab`` is the pipeline tab's name as the workbook spells it. ``ids`` are
    the plan's new IDs that still apply.
    """
    last_row = max([plan.last_row, *alignment.rows])
    highlight_range = (plan.header_row + 1, last_row, 0, plan.last_column)
    return WorkbookEdits(
        tab=tab,
        status_column=plan.status_column,
        header_row=plan.header_row,
        status_header=plan.status_header if plan.write_status_header else None,
        status_cells=alignment.status_cells(),
        generated_tabs=list(plan.tabs),
        owned_tab_names=list(plan.owned_tab_names),
        highlights=list(plan.highlights),
        highlight_range=highlight_range if plan.highlights else None,
        remove_highlights=plan.remove_highlights,
        id_column=plan.id_column,
        id_cells=dict(ids.cells) if ids is not None else {},
    )


def _check_room_for_statuses(
    grid: SheetGrid, plan: WritePlan, alignment: StatusAlignment
) -> None:
    """Reject status writes that would leave a tab too large for the next read.

    A run plans no statuses for such a tab (:func:`sync.run.run_sync` stops
    first), so this guards plans made any other way, before the file changes.
    """
    if not (alignment.rows or plan.write_status_header):
        return
    problem = oversized_status_column(grid, plan.status_column, plan.status_header)
    if problem is not None:
        raise SheetLayoutError(f"{problem} Nothing was written.")


def _patch_into(
    source: Path,
    out: BinaryIO,
    edits: WorkbookEdits,
    data: bytes,
    early: EarlySheetPatch | None,
    early_tabs: EarlyTabRender | None,
) -> None:
    patch_workbook(source, out, edits, data=data, early=early, early_tabs=early_tabs)


@dataclass(frozen=True)
class _EarlyWrite:
    """A pipeline tab's patch started before the write, and what it started from."""

    plan: WritePlan
    grid: SheetGrid
    alignment: StatusAlignment
    patch: EarlySheetPatch


def _log_skipped(skipped: list[str]) -> None:
    if skipped:
        logger.warning(
            "Skipped %d status cells whose rows moved, vanished or were edited "
            "since the read; the next run writes them",
            len(skipped),
        )


def _is_very_hidden(workbook: CalamineWorkbook, tab: str) -> bool:
    """Return True when ``tab`` is very hidden (``state="veryHidden"``)."""
    return any(
        sheet.name == tab and sheet.visible == SheetVisibleEnum.VeryHidden
        for sheet in workbook.sheets_metadata
    )
