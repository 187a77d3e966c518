"""A Google Sheets spreadsheet as a pipesheet source, over the Sheets API v4.

A sync costs few requests. Reading takes one ``spreadsheets.get`` with a field
mask (tabs, locale, time zone, developer metadata, protections, conditional
formats), one ``values.batchGet`` of every tab the run needs, and one more of
the pipeline tab that shows which numbers are formatted as dates or times.
When status cells to write read empty, one ``values.batchGet`` with the
FORMULA render finds the formulas among them
(:mod:`sync.status_formulas`). Writing takes one ``values.batchGet``
re-reading the pipeline tab and one
atomic ``spreadsheets.batchUpdate`` carrying the status cells, the generated
tabs with their chart, metadata and protection, and the highlight rules. A
write that set status cells is followed by one ``values.batchGet`` checking
that they are on their deals' rows: six requests in all (seven with the read
of formulas), five when only tabs changed and three when nothing changed.
:mod:`sync.sources.sheets_write` describes how a write stays safe while people
edit the sheet.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import gspread

from config.errors import SourceError
from config.models import Pipeline
from rules.grid import CellValue, SheetGrid, is_blank
from rules.messages import counted, first_and_more
from sync.plan import WritePlan
from sync.sources.base import WriteReport
from sync.sources.excel import resolve_tab_name
from sync.sources.sheets_auth import (
    ServiceAccount,
    build_client,
    find_credentials_file,
    load_service_account,
    spreadsheet_key,
)
from sync.sources.sheets_cells import (
    DateCells,
    date_cells_by_column,
    restore_typed_cells,
    rows_from_api,
    type_date_cells,
)
from sync.sources.sheets_highlights import owned_rule_indexes
from sync.sources.sheets_retry import (
    Clock,
    RetryPolicy,
    SheetsCaller,
    SheetsRequestError,
)
from sync.sources.sheets_run_tabs import tab_settings, tabs_read_by
from sync.sources.sheets_session import SheetsSession
from sync.sources.sheets_state import (
    MAX_COLUMNS,
    Rectangle,
    SpreadsheetInfo,
    TabInfo,
    changed_tab_error,
    quote_title,
    read_generated_types,
    read_written_name,
)
from sync.sources.sheets_write import SKIPPED_TAB_PREFIX, PlanWriter
from sync.status_alignment import SKIPPED_ROW_PREFIX
from sync.status_formulas import CellBlock
from sync.xlsx.cell_refs import range_ref

logger = logging.getLogger(__name__)

NAMES_LISTED = 10
"""Skipped deals a warning names before it counts the rest."""


class GoogleSpreadsheet:
    """A Google Sheets spreadsheet that pipesheet reads tabs from and writes to.

    :param spreadsheet: the spreadsheet's URL or id.
    :param setting: where ``spreadsheet`` came from, ``source.spreadsheet`` or
        ``--source``; the message for a bad value names it.
    :param credentials: the service-account JSON key file; default the
        environment variable ``PIPESHEET_GOOGLE_CREDENTIALS``, else
        ``GOOGLE_APPLICATION_CREDENTIALS``.
    :param client: a gspread client to use instead of signing in with the key
        file, as tests do. A key file, if found, then only names the service
        account in messages.
    :param pipeline: the definition of the run; every tab it reads is fetched
        by the first ``values.batchGet``. :meth:`prefetch` adds more. Its
        ``source.tab`` is the pipeline tab, whose date and time cells are read
        as dates and times; without a pipeline, the first tab read is.
    :param deadline_seconds: time from the first request after which no retry
        starts.
    :param timeout: connect and read timeout of each request, in seconds.
    :param clock: where retries read the time and wait; tests pass a fake one.
    :param random_source: jitter of the retry waits.
    :raises DefinitionError: ``spreadsheet`` is neither a URL nor an id.
    :raises SourceError: no client is given and the key file is missing or
        invalid.
    """

    def __init__(
        self,
        spreadsheet: str,
        *,
        credentials: Path | None = None,
        client: gspread.Client | None = None,
        pipeline: Pipeline | None = None,
        deadline_seconds: float = 180.0,
        timeout: tuple[float, float] = (10.0, 120.0),
        clock: Clock | None = None,
        random_source: random.Random | None = None,
        setting: str = "source.spreadsheet",
    ) -> None:
        key = spreadsheet_key(spreadsheet, setting)
        account: ServiceAccount | None
        if client is None:
            signed_in = load_service_account(credentials)
            client, account = build_client(signed_in), signed_in
        else:
            account = _known_account(credentials)
        client.set_timeout(timeout)

        caller = SheetsCaller(
            workbook=f"spreadsheet {key!r}",
            policy=RetryPolicy(deadline_seconds=deadline_seconds),
            clock=clock,
            random_source=random_source,
            account_email=account.email if account is not None else None,
        )
        self._session = SheetsSession(key, client, caller, account)
        self._info: SpreadsheetInfo | None = None
        self._grids: dict[str, SheetGrid] = {}
        self._prefetch = tabs_read_by(pipeline) if pipeline is not None else []
        self._prefetched = False
        self._pipeline_tab = pipeline.source.tab if pipeline is not None else None
        self._generated_names: set[str] = set()
        # The definition's setting that names each tab read, for messages.
        self._settings: dict[str, str] = {}
        if pipeline is not None:
            self._generated_names = {
                name.casefold() for name in pipeline.outputs.tabs.every_run()
            }
            self._settings = tab_settings(pipeline)
        # The typed value of each number read as a date or time, by folded tab
        # name and column, for the re-read before writing.
        self._date_cells: dict[str, DateCells] = {}

    @property
    def name(self) -> str:
        """Return the spreadsheet's title, read with the metadata if not known yet.

        A run reads the metadata anyway, so this costs no extra request, and
        progress and messages name the spreadsheet as people know it.

        :raises SourceError: the metadata could not be read.
        """
        if self._session.title is None:
            self.metadata()
        return self._session.name

    @property
    def target_name(self) -> str:
        """Return :attr:`name`: a run writes into the spreadsheet it read."""
        return self.name

    @property
    def spreadsheet_id(self) -> str:
        """Return the spreadsheet's id."""
        return self._session.key

    @property
    def url(self) -> str:
        """Return the spreadsheet's address in a browser."""
        return f"https://docs.google.com/spreadsheets/d/{self._session.key}/edit"

    @property
    def service_account_email(self) -> str | None:
        """Return the e-mail address of the service account, when known."""
        account = self._session.account
        return account.email if account is not None else None

    @property
    def requests_made(self) -> int:
        """Return the API requests sent so far, reads and writes, retries included."""
        return self._session.caller.counts.total

    @property
    def read_requests(self) -> int:
        """Return the read requests sent so far, retries included."""
        return self._session.caller.counts.reads

    @property
    def write_requests(self) -> int:
        """Return the write requests sent so far, retries included."""
        return self._session.caller.counts.writes

    def metadata(self) -> SpreadsheetInfo:
        """Return the spreadsheet's tabs, locale and time zone, read once per run."""
        if self._info is None:
            self._info = self._session.read_metadata()
        return self._info

    def time_zone(self) -> str:
        """Return the spreadsheet's time zone setting, read with the metadata."""
        return self.metadata().time_zone

    def prefetch(self, tabs: Iterable[str]) -> None:
        """Add tabs to read in the first values.batchGet; missing ones are skipped."""
        self._prefetch.extend(tab for tab in tabs if tab not in self._prefetch)

    def tab_names(self) -> list[str]:
        """Return the names of all tabs in spreadsheet order."""
        return [tab.title for tab in self.metadata().tabs]

    def read_tab(self, tab: str) -> SheetGrid:
        """Return the values of one tab, row 1 first.

        Empty cells are None, whole numbers ints, and text stays text
        (``"0042"``, ``"=x"``). In the pipeline tab, cells formatted as dates
        or times are date, datetime and time values and durations are text, as
        the Excel source gives them, which costs one more ``values.batchGet``.
        In other tabs dates are serial numbers, except that the cells
        pipesheet wrote as dates in a generated tab read back as dates.
        Formula cells give their results.

        :raises SheetLayoutError: the spreadsheet has no such tab.
        """
        info = self.metadata()
        title = resolve_tab_name(self.tab_names(), tab, info.title)
        if title.casefold() not in self._grids:
            self._load_values([title, *self._pending_prefetch(info, title)])
        return self._grids[title.casefold()]

    def read_formula_cells(
        self, grid: SheetGrid, blocks: Sequence[CellBlock]
    ) -> frozenset[tuple[int, int]]:
        """Return the formula cells of ``blocks`` that read empty in ``grid``.

        One ``values.batchGet`` with the FORMULA render reads the blocks,
        cut to the tab's size. A formula cell's text starts with ``=``.
        The blocks contain cells that read empty, so the response is small
        unless formulas fill them.
        """
        tab = self.metadata().find_tab(grid.tab)
        if tab is None:
            return frozenset()
        inside = [
            (top, left, min(bottom, tab.rows), min(right, tab.columns - 1))
            for top, left, bottom, right in blocks
            if top <= tab.rows and left < tab.columns
        ]
        if not inside:
            return frozenset()
        ranges = [f"{quote_title(tab.title)}!{range_ref(*block)}" for block in inside]
        value_ranges = self._session.read_values(
            ranges, "values.batchGet (formula cells)", formulas=True
        )
        found = frozenset(
            cell
            for block, value_range in zip(inside, value_ranges, strict=True)
            for cell in _formula_cells(grid, block, value_range)
        )
        logger.info(
            "Read %d formula cells in %d blocks of tab %r",
            len(found),
            len(inside),
            tab.title,
        )
        return found

    def check_write_access(self) -> None:
        """Send an empty ``batchUpdate``, which changes nothing but needs edit access.

        :raises SourceError: the service account may not edit the spreadsheet.
        """
        operation = "spreadsheets.batchUpdate (access check)"
        try:
            self._session.batch_update(operation, [], idempotent=True)
        except SheetsRequestError as error:
            raise self._session.access_error(
                error, writing=True, outcome="so no run can write to it"
            ) from error

    def apply(self, plan: WritePlan) -> WriteReport:
        """Write the plan in one ``batchUpdate``, skipping rows that moved or changed.

        An empty plan sends nothing. ``WriteReport.requests`` counts the
        requests of this write, its re-read included; :attr:`requests_made`
        counts those of the whole run. A generated tab deleted during the run
        is listed in ``WriteReport.skipped`` as ``tab:<name>``.

        :raises SheetLayoutError: a generated tab's name is taken by a tab of
            the user's.
        :raises WorkbookBusyError: the pipeline tab was renamed or deleted
            during the run.
        :raises QuotaExceededError: Google kept rejecting requests for quota;
            nothing was written.
        """
        if plan.is_empty:
            logger.info("No changes to write to %s", self.name)
            return WriteReport(0, [], 0, 0, [], self.url)

        started, requests_before = time.monotonic(), self.requests_made
        read_grid = self.read_tab(plan.tab)
        writer = PlanWriter(
            self._session,
            plan,
            self.metadata(),
            read_grid,
            date_cells=self._date_cells.get(read_grid.tab.casefold()),
            first_cells=self._first_cells_of_generated(),
        )
        batch = writer.write()
        self._forget_reads()

        report = WriteReport(
            status_cells_written=batch.status_written,
            tabs_written=batch.tabs_written,
            bytes_written=batch.body_bytes,
            requests=self.requests_made - requests_before,
            skipped=batch.skipped,
            output=self.url,
            status_header_written=batch.header_written,
        )
        _log_written(self.name, plan.tab, report, time.monotonic() - started)
        return report

    def _first_cells_of_generated(self) -> dict[str, CellValue]:
        """Return the A1 value of each generated tab this run read, by folded title."""
        return {
            folded: grid.cell(1, 0)
            for folded, grid in self._grids.items()
            if folded in self._generated_names
        }

    def is_recorded_tab(self, tab: str) -> bool:
        """Return True if the spreadsheet's metadata marks ``tab`` as generated."""
        found = self.metadata().find_tab(tab)
        return found is not None and found.is_generated

    def is_renamed_tab(self, tab: str) -> bool:
        """Return True if ``tab``'s metadata shows it was written under another name.

        Tabs last written by a version that recorded no name give False.
        """
        found = self.metadata().find_tab(tab)
        if found is None:
            return False
        written = read_written_name(found)
        return written is not None and written.casefold() != found.title.casefold()

    def _pending_prefetch(self, info: SpreadsheetInfo, requested: str) -> list[str]:
        # A tab the run does not read, such as a Rules tab read before the
        # run, is read alone, so the run's tabs are not read for nothing.
        if self._prefetched or not self._is_read_by_run(requested):
            return []
        self._prefetched = True
        titles: list[str] = []
        for name in self._prefetch:
            tab = info.find_tab(name)
            if tab is not None and tab.title not in titles and tab.title != requested:
                titles.append(tab.title)
        return [title for title in titles if title.casefold() not in self._grids]

    def _is_read_by_run(self, title: str) -> bool:
        folded = title.casefold()
        return self._is_pipeline_tab(title) or any(
            name.casefold() == folded for name in self._prefetch
        )

    def _is_pipeline_tab(self, title: str) -> bool:
        if self._pipeline_tab is None:
            return not self._grids
        return title.casefold() == self._pipeline_tab.casefold()

    def _load_values(self, titles: list[str]) -> None:
        info = self.metadata()
        pipeline_tab = next(filter(self._is_pipeline_tab, titles), None)
        value_ranges = self._read_whole_tabs(titles, "values.batchGet")
        if value_ranges is None:
            # Generated tabs deleted since the metadata read are left out.
            remaining = [
                title for title in titles if title.casefold() not in self._grids
            ]
            if remaining:
                self._load_values(remaining)
            return
        for title, value_range in zip(titles, value_ranges, strict=True):
            rows = rows_from_api(value_range)
            tab = info.find_tab(title)
            recorded = tab is not None and tab.is_generated
            if tab is not None and recorded:
                rows = restore_typed_cells(rows, read_generated_types(tab))
            elif title == pipeline_tab:
                rows = self._type_date_cells(title, rows)
            self._grids[title.casefold()] = SheetGrid(
                info.title,
                title,
                rows,
                recorded=recorded,
                merged=merged_blocks(tab.merges) if tab is not None else [],
                pipesheet_highlights=tab is not None
                and bool(owned_rule_indexes(tab, [])),
                max_columns=MAX_COLUMNS,
            )
        logger.info("Read tabs %s of %s", ", ".join(map(repr, titles)), info.title)

    def _type_date_cells(
        self, title: str, rows: list[list[CellValue]]
    ) -> list[list[CellValue]]:
        """Return the pipeline tab's rows with its date and time cells typed.

        The numbers typed are kept by column, so the re-read before writing,
        which gives serial numbers, can be compared with this read.
        """
        value_ranges = self._read_whole_tabs(
            [title], "values.batchGet (date cells)", formatted_dates=True
        )
        assert value_ranges is not None, "only generated tabs are left out"
        typed = type_date_cells(rows, rows_from_api(value_ranges[0]))
        self._date_cells[title.casefold()] = date_cells_by_column(rows, typed)
        return typed

    def _read_whole_tabs(
        self, titles: list[str], operation: str, *, formatted_dates: bool = False
    ) -> list[dict[str, Any]] | None:
        """Return the ValueRanges of whole tabs, or None after leaving some out.

        A tab renamed or deleted since the metadata read makes Google reject
        the read (HTTP 400, unable to parse range). The metadata read again
        shows which tab it was. A generated tab is then left out, as an empty
        tab of pipesheet's, and the write skips it. Any other tab stops the run.

        :raises WorkbookBusyError: the pipeline tab or a list tab was renamed or
            deleted since the metadata read.
        """
        ranges = [quote_title(title) for title in titles]
        session = self._session
        try:
            return session.caller.read(
                operation, lambda: session.values_once(ranges, formatted_dates)
            )
        except SheetsRequestError as error:
            vanished = self._vanished_tabs(titles) if error.status == 400 else {}
            if not vanished:
                raise session.access_error(error, writing=False) from error
            self._leave_out_generated(vanished, error)
            return None

    def _vanished_tabs(self, titles: list[str]) -> dict[str, TabInfo | None]:
        """Return each tab of ``titles`` renamed or deleted since the metadata read.

        Each maps to the tab as it is now, or None when it was deleted.
        """
        read, now = self.metadata(), self._session.read_metadata()
        vanished: dict[str, TabInfo | None] = {}
        for title in titles:
            tab = read.find_tab(title)
            current = now.find_tab_by_id(tab.sheet_id) if tab is not None else None
            if current is None or current.title != title:
                vanished[title] = current
        return vanished

    def _leave_out_generated(
        self, vanished: dict[str, TabInfo | None], error: SheetsRequestError
    ) -> None:
        """Record generated tabs in ``vanished`` as empty; raise for any other tab."""
        info = self.metadata()
        for title, now in vanished.items():
            if title.casefold() in self._generated_names:
                continue
            setting = self._settings.get(title.casefold(), "source.tab")
            raise changed_tab_error(title, info.title, now, setting) from error
        for title in vanished:
            # The write finds the tab gone too, and warns that it skips it.
            logger.info(
                "Generated tab %r of %s is gone; read as empty", title, info.title
            )
            self._grids[title.casefold()] = SheetGrid(
                info.title, title, [], recorded=True, max_columns=MAX_COLUMNS
            )

    def _forget_reads(self) -> None:
        # After a write the cached metadata and values no longer describe the
        # spreadsheet; a later read fetches them again.
        self._info = None
        self._grids.clear()
        self._date_cells.clear()
        self._prefetched = False


def _formula_cells(
    grid: SheetGrid, block: CellBlock, value_range: dict[str, Any]
) -> Iterator[tuple[int, int]]:
    """Yield the cells of a FORMULA read of ``block`` that hold a formula.

    Only cells that read empty in ``grid`` count. The values start at the
    block's first cell.
    """
    top, left, _bottom, _right = block
    for row, values in enumerate(value_range.get("values", []), start=top):
        for column, value in enumerate(values, start=left):
            if not isinstance(value, str) or not value.startswith("="):
                continue
            if is_blank(grid.cell(row, column)):
                yield row, column


def merged_blocks(merges: list[Rectangle]) -> list[tuple[int, int, int, int]]:
    """Return merged blocks as SheetGrid keeps them: 1-based rows, inclusive ends."""
    return [
        (merge.start_row + 1, merge.start_column, merge.end_row, merge.end_column - 1)
        for merge in merges
        if merge.end_row is not None and merge.end_column is not None
    ]


def _known_account(credentials: Path | None) -> ServiceAccount | None:
    """Return the service account of a readable key file, to name it in messages.

    An injected client signs in by itself, so a missing key file is no error.
    """
    if find_credentials_file(credentials) is None:
        return None
    try:
        return load_service_account(credentials)
    except SourceError:
        logger.debug("No readable key file names the service account in messages")
        return None


def _log_written(name: str, tab: str, report: WriteReport, seconds: float) -> None:
    logger.info(
        "Wrote %s: %d status cells, %d tabs, %d skipped, %d requests in %.2f s",
        name,
        report.status_cells_written,
        len(report.tabs_written),
        len(report.skipped),
        report.requests,
        seconds,
    )
    # Each skipped generated tab got its own warning when the write left it out.
    cells = [item for item in report.skipped if not item.startswith(SKIPPED_TAB_PREFIX)]
    if cells:
        logger.warning(
            "Skipped %s of tab %r of spreadsheet %r that changed since the read "
            "(moved, vanished or edited): %s. The next run writes them.",
            counted(len(cells), "status cell"),
            tab,
            name,
            _skipped_cells(cells),
        )


def _skipped_cells(items: list[str]) -> str:
    """Return skipped status cells as a warning names them.

    ``["D-1", "D-2", "row:7"]`` → ``deals 'D-1', 'D-2', the deal read on row 7``
    """
    deals = [repr(item) for item in items if not item.startswith(SKIPPED_ROW_PREFIX)]
    rows = [
        item.removeprefix(SKIPPED_ROW_PREFIX)
        for item in items
        if item.startswith(SKIPPED_ROW_PREFIX)
    ]
    parts = []
    if deals:
        noun = "deal" if len(deals) == 1 else "deals"
        parts.append(f"{noun} {first_and_more(deals, NAMES_LISTED)}")
    if rows:
        noun = "the deal read on row" if len(rows) == 1 else "the deals read on rows"
        parts.append(f"{noun} {first_and_more(rows, NAMES_LISTED)}")
    return ", ".join(parts)
