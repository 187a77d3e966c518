"""Apply a write plan to a spreadsheet people may be editing at the same moment.

Just before writing, the pipeline tab is read again (one ``values.batchGet``,
which also checks that the generated tabs still exist) and every status is
matched to its deal by ID:

- a deal whose row moved (sort, inserted or deleted rows) gets its status on
  its new row;
- a deal whose ID vanished or appears twice, whose row changed since the
  first read, or whose status cell someone edited is skipped;
- a generated tab deleted or renamed during the run is skipped and not
  recreated until the next run, so a user's deletion is never undone silently.
  A tab counts as the one read when it has the same sheet id, so a tab of the
  user's added under its name meanwhile is left alone too;
- a pipeline tab renamed or deleted during the run stops the write.

Everything then goes out in one atomic ``spreadsheets.batchUpdate``. A row
that moves after the re-read and before the write still gets another deal's
status, because Google writes by position, so
:mod:`sync.sources.sheets_status_check` reads the ID column afterwards and puts
such statuses back on their deals' rows. A column inserted or deleted in that
moment puts the statuses into another column, and that check puts back the
values those cells had. The batch
also sets a write marker (spreadsheet developer metadata) to a fresh token. If
the batch fails in a way that leaves open whether Google applied it, the
marker is read back. Finding the token proves that the batch was applied. Its
absence proves that nothing was, so the batch is rebuilt from a new re-read and
sent again. No batch is ever sent twice blindly.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from config.errors import (
    DefinitionError,
    SheetLayoutError,
    SourceError,
    WorkbookBusyError,
)
from rules.grid import CellValue, SheetGrid, column_letter, is_blank
from sync.interrupts import finished_write, reached_commit_point
from sync.plan import GeneratedTab, StatusWrite, WritePlan
from sync.sources.sheets_cell_limit import MAX_CELLS, cell_limit_message, count_cells
from sync.sources.sheets_cells import DateCells, retype_date_cells, rows_from_api
from sync.sources.sheets_highlights import Request, highlight_requests
from sync.sources.sheets_protection import (
    WriteTarget,
    is_protected_cell_error,
    locked_protections,
    protection_error,
)
from sync.sources.sheets_requests import (
    StatusEdits,
    TabTarget,
    build_requests,
)
from sync.sources.sheets_retry import (
    INTERNAL_ERROR_STATUS,
    AmbiguousWriteError,
    SheetsRequestError,
)
from sync.sources.sheets_session import SheetsSession, encode_batch, encode_json
from sync.sources.sheets_state import (
    WRITE_MARKER_KEY,
    Rectangle,
    SpreadsheetInfo,
    TabInfo,
    a1_rows,
    changed_tab_error,
    quote_title,
)
from sync.sources.sheets_status_check import StatusCheck
from sync.status_alignment import StatusTarget, align_status_writes, skipped_name

logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 10_485_760
"""Google's limit on the size of one request body."""
MAX_WRITE_ATTEMPTS = 3
SKIPPED_TAB_PREFIX = "tab:"
"""Prefix of a generated tab's name in ``WriteReport.skipped``, which otherwise
lists deal IDs and rows."""
BATCH_UPDATE = "spreadsheets.batchUpdate"


@dataclass(frozen=True)
class Snapshot:
    """The spreadsheet as re-read just before writing.

    ``fresh`` is True when ``info`` was read during this write rather than at
    the start of the run. Conditional-format rules are deleted by position, so
    that needs fresh metadata.
    """

    info: SpreadsheetInfo
    grid: SheetGrid
    vanished: list[str]
    fresh: bool


@dataclass
class WriteBatch:
    """One ``spreadsheets.batchUpdate`` and what it writes."""

    requests: list[Request]
    token: str
    status_written: int
    tabs_written: list[str]
    skipped: list[str] = field(default_factory=list)
    body_bytes: int = 0
    header_written: bool = False
    tab_names: dict[int, str] = field(default_factory=dict)
    """The name of each tab the requests may name by sheet id."""
    status_targets: list[StatusTarget] = field(default_factory=list)
    pipeline_tab: TabInfo | None = None
    before: SheetGrid | None = None
    """The pipeline tab as re-read just before the write."""


@dataclass(frozen=True)
class StatusPlan:
    """The status cells still safe to write, and what was left out."""

    targets: list[StatusTarget]
    skipped: list[str]
    header: str | None
    column_free: bool


class PlanWriter:
    """Write one plan, re-reading first and confirming ambiguous failures.

    :param read_info: the metadata read at the start of the run.
    :param read_grid: the pipeline tab as read at the start of the run.
    :param date_cells: the numbers of that read typed as dates and times, so
        the re-read, which gives serial numbers, compares equal.
    :param first_cells: the A1 value of each generated tab at the start of the
        run, by folded title, to notice a tab put in a generated tab's place.
    """

    def __init__(
        self,
        session: SheetsSession,
        plan: WritePlan,
        read_info: SpreadsheetInfo,
        read_grid: SheetGrid,
        date_cells: DateCells | None = None,
        first_cells: dict[str, CellValue] | None = None,
    ) -> None:
        self.session = session
        self.plan = plan
        self.read_info = read_info
        self.read_grid = read_grid
        self.date_cells = date_cells or DateCells()
        self.first_cells = first_cells or {}
        self.owned_ids = owned_sheet_ids(plan, read_info)
        # The HTTP status of each write attempt that failed ambiguously.
        self.write_statuses: list[int | None] = []

    def write(self) -> WriteBatch:
        """Re-read, build and send the batch; return what it wrote.

        :raises WorkbookBusyError: the pipeline tab was renamed or deleted.
        :raises SourceError: Google refused the write, or it could not be
            confirmed after :data:`MAX_WRITE_ATTEMPTS` tries.
        """
        check_generated_tabs(
            self.plan, self.read_info, self.session.name, self.owned_ids
        )
        fresh: SpreadsheetInfo | None = None
        for attempt in range(1, MAX_WRITE_ATTEMPTS + 1):
            batch = self._prepare(self._reread(fresh))
            if not batch.requests:
                return batch
            try:
                self._send(batch)
            except AmbiguousWriteError as error:
                fresh = self._confirm(batch, error, attempt)
                if fresh is not None:
                    continue
                finished_write()  # The spreadsheet shows the batch applied.
            except SheetsRequestError as error:
                if is_protected_cell_error(error):
                    raise self._protected_error(error, fresh) from error
                if error.status != 400 or fresh is not None:
                    raise self.session.access_error(error, writing=True) from error
                # A chart or tab removed since the metadata read makes the whole
                # batch invalid, so nothing was applied and it is rebuilt once.
                logger.warning(
                    "Write to %s rejected (%s); reading it again",
                    self.session.name,
                    error,
                )
                fresh = self.session.read_metadata()
                continue
            self._check_statuses(batch)
            return batch
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _check_statuses(self, batch: WriteBatch) -> None:
        """Rewrite statuses that a row moved during the write put on other deals.

        It costs one read after every write that set status cells, and a
        write and a read more for each round of rewrites.
        """
        if not batch.status_targets:
            return
        assert batch.pipeline_tab is not None and batch.before is not None
        check = StatusCheck(
            self.session,
            self.plan,
            batch.pipeline_tab,
            batch.before,
            batch.status_targets,
            self.date_cells,
            self.plan.status_header if batch.header_written else None,
        )
        if check.run().columns_moved:
            # The statuses went into another column, so none counts as written.
            batch.status_written = 0
            batch.header_written = False
            batch.skipped = [
                skipped_name(write) for write in self.plan.status_cells
            ] + [name for name in batch.skipped if name.startswith(SKIPPED_TAB_PREFIX)]

    def _protected_error(
        self, error: SheetsRequestError, fresh: SpreadsheetInfo | None
    ) -> SourceError:
        """Return the error naming the protections over the cells pipesheet writes."""
        info = fresh if fresh is not None else self.read_info
        status = Rectangle(
            self.plan.header_row - 1,
            None,
            self.plan.status_column,
            self.plan.status_column + 1,
        )
        targets = [WriteTarget(self.plan.tab, status)]
        targets += [WriteTarget(tab.name) for tab in self.plan.tabs]
        found = _suspect_protections(info, targets)
        if not found and fresh is None:
            # The protection was added after the metadata read, so one more
            # read names it.
            try:
                found = _suspect_protections(self.session.read_metadata(), targets)
            except SourceError as reread_error:
                logger.debug("Protections not read again: %s", reread_error)
        account = self.session.account.email if self.session.account else None
        reason = (
            f'Google Sheets rejected the write ("{error.api_message}"), so '
            "nothing was written."
        )
        return protection_error(self.session.name, account, found, reason)

    def _confirm(
        self, batch: WriteBatch, error: AmbiguousWriteError, attempt: int
    ) -> SpreadsheetInfo | None:
        """Return None when the batch was applied, else fresh metadata to retry with."""
        self.write_statuses.append(error.failure.status)
        fresh = self.session.read_metadata()
        marker = fresh.find_metadata(WRITE_MARKER_KEY)
        if marker is not None and marker.value == batch.token:
            logger.info("The write to %s was applied; its reply was lost", fresh.title)
            return None
        if attempt == MAX_WRITE_ATTEMPTS:
            message = (
                f"Writing to spreadsheet {fresh.title!r} failed {attempt} times "
                f"({error.failure.reason}), and a re-read shows it was not applied. "
                "Nothing was written. Run again (a scheduled run retries by itself)."
            )
            if set(self.write_statuses) == {INTERNAL_ERROR_STATUS}:
                message += " " + self.session.caller.lost_access_hint()
            raise SourceError(message) from error
        self.session.caller.wait_before_retry(BATCH_UPDATE, error.failure, attempt)
        return fresh

    def _reread(self, fresh: SpreadsheetInfo | None) -> Snapshot:
        info = fresh if fresh is not None else self.read_info
        pipeline_tab = self._pipeline_tab(info)
        existed = self._generated_at_read()
        present = [tab.title for tab in existed if _is_still_there(tab, info)]
        last_column = max(0, min(self.plan.last_column, pipeline_tab.columns - 1))
        ranges = [a1_rows(pipeline_tab.title, self.plan.header_row, last_column)]
        ranges += [f"{quote_title(name)}!A1" for name in present]

        try:
            value_ranges = self.session.caller.read(
                "values.batchGet (re-read)", lambda: self.session.values_once(ranges)
            )
        except SheetsRequestError as error:
            if error.status != 400:
                raise self.session.access_error(error, writing=False) from error
            if fresh is not None:
                raise self._changed(str(error)) from error
            # A tab in the ranges was renamed or deleted since the first read.
            return self._reread(self.session.read_metadata())

        if fresh is None and self._first_cell_changed(present, value_ranges[1:]):
            # Another tab may have taken a generated tab's name: the metadata
            # read now shows it, and the write then skips that tab.
            return self._reread(self.session.read_metadata())

        rows: list[list[CellValue]] = [[] for _ in range(self.plan.header_row - 1)]
        rows += rows_from_api(value_ranges[0])
        retype_date_cells(rows, self.date_cells)
        grid = SheetGrid(info.title, pipeline_tab.title, rows)
        vanished = [tab.title for tab in existed if tab.title not in present]
        return Snapshot(info, grid, vanished, fresh=fresh is not None)

    def _first_cell_changed(
        self, titles: list[str], value_ranges: list[dict[str, Any]]
    ) -> bool:
        """Return True when a generated tab's A1 is blank or not as first read.

        Every generated tab has its banner in A1, so a blank A1 shows another
        tab under its name even when the first read already read that tab.
        """
        for title, value_range in zip(titles, value_ranges, strict=True):
            rows = rows_from_api(value_range)
            first = rows[0][0] if rows and rows[0] else None
            if is_blank(first):
                return True
            folded = title.casefold()
            if folded in self.first_cells and not same_cell(
                first, self.first_cells[folded]
            ):
                return True
        return False

    def _refreshed(self, snapshot: Snapshot) -> Snapshot:
        """Return the snapshot with metadata read now, for deletes by position."""
        info = self.session.read_metadata()
        self._pipeline_tab(info)
        missing = [
            tab.title
            for tab in self._generated_at_read()
            if not _is_still_there(tab, info)
        ]
        vanished = list(dict.fromkeys(snapshot.vanished + missing))
        return Snapshot(info, snapshot.grid, vanished, fresh=True)

    def _pipeline_tab(self, info: SpreadsheetInfo) -> TabInfo:
        read_tab = self.read_info.find_tab(self.plan.tab)
        if read_tab is None:
            raise self._changed(f"tab {self.plan.tab!r} is missing")
        tab = info.find_tab_by_id(read_tab.sheet_id)
        if tab is None or tab.title != read_tab.title:
            raise changed_tab_error(self.plan.tab, self.session.name, tab, "source.tab")
        return tab

    def _generated_at_read(self) -> list[TabInfo]:
        found = [self.read_info.find_tab(tab.name) for tab in self.plan.tabs]
        return [tab for tab in found if tab is not None]

    def _prepare(self, snapshot: Snapshot) -> WriteBatch:
        info = snapshot.info
        pipeline_tab = self._pipeline_tab(info)
        status = self._status_plan(snapshot.grid, pipeline_tab)
        highlights = self._highlights(pipeline_tab) if status.column_free else []
        if _deletes_rules(highlights) and not snapshot.fresh:
            return self._prepare(self._refreshed(snapshot))

        tabs, skipped_tabs = self._tab_targets(info, snapshot.vanished)
        edits = None
        if status.targets or status.header is not None:
            edits = StatusEdits(
                pipeline_tab,
                self.plan.header_row,
                self.plan.status_column,
                status.header,
                status.targets,
            )
        batch = WriteBatch(
            requests=[],
            token=uuid.uuid4().hex,
            status_written=len(status.targets),
            tabs_written=[target.tab.name for target in tabs],
            skipped=status.skipped + skipped_tabs,
            header_written=status.header is not None,
            tab_names={tab.sheet_id: tab.title for tab in info.tabs}
            | {target.sheet_id: target.tab.name for target in tabs},
            status_targets=status.targets,
            pipeline_tab=pipeline_tab,
            before=snapshot.grid,
        )
        if edits is None and not tabs and not highlights:
            logger.info("Nothing left to write to %s after re-reading it", info.title)
            return batch

        self._check_cell_limit(info, tabs, edits)
        batch.requests = build_requests(info, edits, tabs, highlights, batch.token)
        return batch

    def _status_plan(self, grid: SheetGrid, tab: TabInfo) -> StatusPlan:
        plan = self.plan
        header_read = self.read_grid.cell(plan.header_row, plan.status_column)
        header_now = grid.cell(plan.header_row, plan.status_column)
        if not same_cell(header_read, header_now) and header_now != plan.status_header:
            letter = column_letter(plan.status_column)
            return self._no_status(
                f"the status column {letter} got the header {header_now!r}", tab
            )
        # A column inserted or deleted during the run shifts the headers. The
        # re-read may end before the status column, so its header alone cannot
        # show that the column now contains another one.
        if not self._same_row(plan.header_row, grid, plan.header_row):
            return self._no_status(f"the header row {plan.header_row} changed", tab)

        def is_writable(write: StatusWrite, row_now: int) -> bool:
            unchanged = self._same_row(write.row, grid, row_now)
            if unchanged and not _under_merge(tab, row_now, plan.status_column):
                return True
            logger.debug(
                "Skipped status read on row %d: the row changed or is merged", write.row
            )
            return False

        alignment = align_status_writes(grid, plan, is_writable)
        write_header = plan.write_status_header and header_now != plan.status_header
        header = plan.status_header if write_header else None
        return StatusPlan(
            alignment.targets, alignment.skipped, header, column_free=True
        )

    def _no_status(self, reason: str, tab: TabInfo) -> StatusPlan:
        """Return a plan that writes no status, logging why."""
        logger.warning(
            "In tab %r of spreadsheet %r, %s during the run, so no status was "
            "written. The next run writes them.",
            tab.title,
            self.session.name,
            reason,
        )
        skipped = [skipped_name(write) for write in self.plan.status_cells]
        return StatusPlan([], skipped, None, column_free=False)

    def _same_row(self, row_read: int, grid: SheetGrid, row_now: int) -> bool:
        """Return True when a deal's row contains the values of the first read.

        The status column is left out, because compare-and-set checks it.
        """
        return all(
            same_cell(self.read_grid.cell(row_read, column), grid.cell(row_now, column))
            for column in range(self.plan.last_column + 1)
            if column != self.plan.status_column
        )

    def _highlights(self, tab: TabInfo) -> list[Request]:
        if tab.rows <= self.plan.header_row:
            # The grid ends at the header, and Google rejects a rule on rows
            # the grid does not have. A later run adds it with the first deal.
            return []
        last_column = max(self.plan.last_column, self.plan.status_column)
        area = Rectangle(self.plan.header_row, None, 0, last_column + 1)
        return highlight_requests(tab, list(self.plan.highlights), area)

    def _tab_targets(
        self, info: SpreadsheetInfo, vanished: list[str]
    ) -> tuple[list[TabTarget], list[str]]:
        targets: list[TabTarget] = []
        skipped: list[str] = []
        used_ids = {tab.sheet_id for tab in info.tabs}
        vanished_names = {name.casefold() for name in vanished}
        for tab in self.plan.tabs:
            if tab.name.casefold() in vanished_names:
                _warn_vanished(tab.name, info)
                skipped.append(SKIPPED_TAB_PREFIX + tab.name)
                continue

            existing = info.find_tab(tab.name)
            check_owned(tab, existing, self.plan, info.title, self.owned_ids)
            if existing is not None:
                target = TabTarget(tab, existing.sheet_id, existing, existing.index)
            else:
                # New tabs go after the last tab, in the order they are rendered.
                added = sum(1 for other in targets if other.existing is None)
                index = len(info.tabs) + added
                target = TabTarget(tab, new_sheet_id(used_ids), None, index)
            targets.append(target)
        return targets, skipped

    def _check_cell_limit(
        self, info: SpreadsheetInfo, tabs: list[TabTarget], edits: StatusEdits | None
    ) -> None:
        count = count_cells(info, tabs, edits)
        if count.total > MAX_CELLS:
            status = None if edits is None else (edits.tab, edits.status_column)
            raise SourceError(cell_limit_message(info, count, status))

    def _send(self, batch: WriteBatch) -> None:
        body = encode_batch(batch.requests)
        batch.body_bytes = len(body)
        if batch.body_bytes > MAX_REQUEST_BYTES:
            raise self._too_large_error(batch)
        # Google may apply the request even if this process stops while it
        # waits for the response, so an interrupt from here on is held back.
        reached_commit_point(self.session.name)
        self.session.batch_update(
            BATCH_UPDATE, batch.requests, idempotent=False, body=body
        )
        finished_write()

    def _too_large_error(self, batch: WriteBatch) -> SourceError:
        sizes = sizes_by_tab(batch.requests, batch.tab_names)
        largest = sorted(sizes.items(), key=lambda item: item[1], reverse=True)[:3]
        parts = ", ".join(
            f"{'other requests' if name is None else f'tab {name!r}'} {size:,} bytes"
            for name, size in largest
        )
        return SourceError(
            f"The write to spreadsheet {self.session.name!r} would be "
            f"{batch.body_bytes:,} bytes, above Google's request limit of "
            f"{MAX_REQUEST_BYTES:,}, so nothing was written. Its largest parts: "
            f"{parts}. Each tab grows with its rows: the pipeline tab's status "
            "cells and the Stage log with the deals and their stage changes, the "
            "Problems tab with the findings, and the Funnel tab with each "
            "breakdown under outputs.group_by. Fix the most frequent findings, "
            "drop breakdowns, or split the deals over two spreadsheets, each "
            "with its own definition."
        )

    def _changed(self, detail: str) -> WorkbookBusyError:
        return WorkbookBusyError(
            f"Spreadsheet {self.session.name!r} changed while pipesheet was writing "
            f"({detail}). Nothing was written. Run again to read it anew (a "
            "scheduled run retries by itself)."
        )


def check_generated_tabs(
    plan: WritePlan, info: SpreadsheetInfo, name: str, owned_ids: set[int]
) -> None:
    """Check that every generated tab may be created or replaced.

    :param owned_ids: the sheet ids of the tabs that are pipesheet's, from
        :func:`owned_sheet_ids`.
    :raises DefinitionError: a tab name is empty or used twice.
    :raises SheetLayoutError: a tab of that name exists and is the user's.
    """
    seen: set[str] = set()
    for tab in plan.tabs:
        if not tab.name.strip() or tab.name.casefold() in seen:
            raise DefinitionError(
                f"Generated tab name {tab.name!r} is empty or used twice (tab names "
                "ignore case). Give each tab its own name under outputs.tabs in the "
                "pipeline definition."
            )
        seen.add(tab.name.casefold())
        check_owned(tab, info.find_tab(tab.name), plan, name, owned_ids)


def owned_sheet_ids(plan: WritePlan, info: SpreadsheetInfo) -> set[int]:
    """Return the sheet ids of the tabs that the run's first read showed as pipesheet's.

    A tab is pipesheet's when it carries the generated-tab metadata, or when
    the run found the generated mark in its first cell (a tab made by an
    earlier version). Ownership then follows the sheet id, not the name, so a
    tab added later under a generated tab's name is never taken for it.
    """
    owned = {title.casefold() for title in plan.owned_tab_names}
    return {
        tab.sheet_id
        for tab in info.tabs
        if tab.is_generated or tab.title.casefold() in owned
    }


def check_owned(
    tab: GeneratedTab,
    existing: TabInfo | None,
    plan: WritePlan,
    name: str,
    owned_ids: set[int],
) -> None:
    """Check that an existing tab of a generated tab's name is pipesheet's.

    A tab is pipesheet's when it carries the generated-tab metadata now, or
    when its sheet id is in ``owned_ids``.

    :raises SheetLayoutError: the tab is the pipeline tab or the user's.
    """
    if existing is None:
        return
    is_pipeline = existing.title.casefold() == plan.tab.casefold()
    is_ours = existing.is_generated or existing.sheet_id in owned_ids
    if is_pipeline or not is_ours:
        raise SheetLayoutError(
            f"Spreadsheet {name!r} already has a tab {existing.title!r} that "
            f"pipesheet did not create, so the generated {tab.name!r} tab would "
            "overwrite it. Rename your tab, or choose another name under "
            "outputs.tabs in the pipeline definition."
        )


def new_sheet_id(used: set[int]) -> int:
    """Return an unused sheet id, and mark it used; Google's are positive 31-bit."""
    while True:
        candidate = secrets.randbelow(2**31 - 2) + 1
        if candidate not in used:
            used.add(candidate)
            return candidate


def same_cell(first: CellValue, second: CellValue) -> bool:
    """Return True when two reads of a cell hold the same value (1 equals 1.0)."""
    if is_blank(first) and is_blank(second):
        return True
    return _comparable(first) == _comparable(second)


def _comparable(value: CellValue) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def sizes_by_tab(
    requests: list[Request], tab_names: dict[int, str]
) -> dict[str | None, int]:
    """Return the encoded bytes of the requests that change each tab, by tab name.

    Requests that name no known tab (the write marker, say) count under None.
    """
    sizes: dict[str | None, int] = {}
    for request in requests:
        sheet_id = _sheet_id_of(request)
        name = tab_names.get(sheet_id) if sheet_id is not None else None
        sizes[name] = sizes.get(name, 0) + len(encode_json(request))
    return sizes


def _sheet_id_of(request: Request) -> int | None:
    """Return the sheet id a request changes, from its range, start or properties."""
    payload = next(iter(request.values()))
    for key in ("range", "start", "properties"):
        place = payload.get(key)
        if isinstance(place, dict) and isinstance(place.get("sheetId"), int):
            return int(place["sheetId"])
    return None


def _suspect_protections(
    info: SpreadsheetInfo, targets: list[WriteTarget]
) -> list[str]:
    """Describe the protections that may have blocked a write to ``targets``.

    Those the metadata marks as closed to the service account come first.
    Without them, every hard protection over the targets is a suspect.
    """
    return locked_protections(info, targets) or locked_protections(
        info, targets, known_only=False
    )


def _warn_vanished(name: str, info: SpreadsheetInfo) -> None:
    """Log that a generated tab went away during the run and is skipped."""
    if info.find_tab(name) is None:
        logger.warning(
            "Generated tab %r of %s was deleted or renamed during the run; "
            "it is not recreated until the next run",
            name,
            info.title,
        )
        return
    logger.warning(
        "Generated tab %r of %s was deleted or renamed during the run, and "
        "another tab now has its name. pipesheet left that tab as it is. Rename "
        "it before the next run, or that run stops",
        name,
        info.title,
    )


def _is_still_there(read_tab: TabInfo, info: SpreadsheetInfo) -> bool:
    """Return True when the tab read first still exists under the same name.

    A tab deleted and replaced by another of the same name has another sheet id.
    """
    tab = info.find_tab_by_id(read_tab.sheet_id)
    return tab is not None and tab.title.casefold() == read_tab.title.casefold()


def _under_merge(tab: TabInfo, row: int, column: int) -> bool:
    """Return True when a cell is hidden under another cell of a merged block."""
    merge = tab.merge_at(row - 1, column)
    return merge is not None and (merge.start_row, merge.start_column) != (
        row - 1,
        column,
    )


def _deletes_rules(requests: list[Request]) -> bool:
    return any("deleteConditionalFormatRule" in request for request in requests)
