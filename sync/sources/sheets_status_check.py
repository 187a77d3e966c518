"""Check after a write that each status cell it set is on its deal's row.

Google applies a ``batchUpdate`` by position, and the Sheets API has no
compare-and-set. A sort, inserted row or deleted row that lands between the
re-read and the write therefore puts statuses on other deals' rows. After a
write that set status cells, one ``values.batchGet`` reads the ID and status
columns again. When a written row contains another deal now, its cell and the
cell on the deal's new row are rewritten, and the check repeats up to
:data:`MAX_FIX_ROUNDS` times::

    planned            sorted before the write     after the check
    row 2 D-1 → "OK"   row 2: D-2 "OK"             row 2: D-2 "ERROR: …"
    row 3 D-2 → "ERR"  row 3: D-1 "ERR"            row 3: D-1 "OK"

A cell is rewritten only while it contains what pipesheet wrote there, or for
a row it did not write, the deal's status before the write. A cell someone
typed into since is left alone. A written row whose deal is unknown (a row
inserted during the run, or a blank row after a delete) is cleared.

The same read takes the header row. When it shows that the ID or status
column moved, nothing is rewritten by position:
:mod:`sync.sources.sheets_column_moves` puts back the cells the statuses
went into instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property

from config.errors import SourceError
from rules.grid import CellValue, SheetGrid, column_letter
from sync.interrupts import finished_write, reached_commit_point
from sync.plan import WritePlan
from sync.sources.sheets_cells import DateCells, retype_date_cells, rows_from_api
from sync.sources.sheets_column_moves import ColumnMoveRepair
from sync.sources.sheets_requests import StatusEdits, status_requests
from sync.sources.sheets_retry import AmbiguousWriteError
from sync.sources.sheets_session import SheetsSession
from sync.sources.sheets_state import TabInfo, quote_title
from sync.status_alignment import (
    IdIndex,
    StatusTarget,
    deal_key,
    deal_keys,
    same_cell_value,
    shared_keys,
)

logger = logging.getLogger(__name__)

MAX_FIX_ROUNDS = 2
"""Rewrites of misplaced status cells after one write, each checked again."""
ROWS_NAMED = 10
"""Rows a warning lists before it counts the rest."""


@dataclass
class StatusCheckResult:
    """Rows whose status cells were rewritten, and rows that may still be wrong."""

    fixed_rows: list[int]
    unsettled_rows: list[int]
    columns_moved: bool = False
    """True when the ID or status column moved during the write, so the
    statuses went into another column and the cells they went into got their
    values back where that was certain."""


@dataclass
class _Columns:
    """The ID and status column of the data rows, as read at one moment."""

    ids: IdIndex
    statuses: list[CellValue]
    headers: list[CellValue] = field(default_factory=list)

    def raw_key(self, row: int) -> str | None:
        """Return the deal ID key on ``row``, shared or not; None for a blank ID."""
        keys = self.ids.keys
        index = row - self.ids.first_row
        return keys[index] if 0 <= index < len(keys) else None

    def key(self, row: int) -> str | None:
        """Return the deal ID key on ``row``, or None for a blank or shared ID."""
        key = self.raw_key(row)
        return None if key in self.ids.shared else key

    def status(self, row: int) -> CellValue:
        index = row - self.ids.first_row
        return self.statuses[index] if 0 <= index < len(self.statuses) else None

    def row_of(self, key: str) -> int | None:
        """Return the one row containing ``key``, or None for none or several."""
        return None if key in self.ids.shared else self.ids.last_rows.get(key)


class StatusCheck:
    """Find and rewrite status cells that a moved row put on another deal.

    :param tab: the pipeline tab as the write found it.
    :param before: the pipeline tab as re-read just before the write.
    :param written: the status cells the write set, rows as of the write.
    :param date_cells: the first read's date cells, so ID cells read as serial
        numbers give the same keys.
    :param header: the status header the write set, or None.
    """

    def __init__(
        self,
        session: SheetsSession,
        plan: WritePlan,
        tab: TabInfo,
        before: SheetGrid,
        written: list[StatusTarget],
        date_cells: DateCells,
        header: str | None = None,
    ) -> None:
        self.session = session
        self.plan = plan
        self.tab = tab
        self.written = written
        self.date_cells = date_cells
        self.before = before
        self.columns = ColumnMoveRepair(session, plan, tab, before, header, date_cells)
        keys = [target.deal_id for target in written]
        shared = shared_keys(list(keys))
        self._planned = {
            target.deal_id: target.value
            for target in written
            if target.deal_id and target.deal_id not in shared
        }

    def run(self) -> StatusCheckResult:
        """Read the columns again, rewrite misplaced cells, and return the rows.

        A failed read or rewrite ends the check with a warning: the write
        itself succeeded, and the next run corrects any status.
        """
        fixed: set[int] = set()
        unsettled: set[int] = set()
        last_write = self.written
        moved = False
        try:
            for round_number in range(MAX_FIX_ROUNDS + 1):
                now = self._read()
                # A fix is written by position too, so a column moved before it
                # is undone the same way. Only the first write set the header.
                if self.columns.moved(now.headers):
                    first = round_number == 0
                    if self._moved_after_write(now.headers, last_write, first):
                        break
                    moved = True
                    self._repair(now.headers, last_write, first)
                    break
                fixes, changed = self._fixes(last_write, now)
                unsettled.update(changed)
                if not fixes:
                    break
                if round_number == MAX_FIX_ROUNDS:
                    unsettled.update(fix.row for fix in fixes)
                    break
                self._send(fixes)
                fixed.update(fix.row for fix in fixes)
                last_write = fixes
        except SourceError as error:
            logger.warning(
                "Could not check that the statuses written to tab %r of %s are on "
                "their deals' rows (%s). The next run corrects any that are not.",
                self.tab.title,
                self.session.name,
                error,
            )
        result = StatusCheckResult(sorted(fixed), sorted(unsettled), moved)
        self._log(result)
        return result

    def _moved_after_write(
        self, headers: list[CellValue], written: list[StatusTarget], first: bool
    ) -> bool:
        """Return True when the write landed in the status column, which moved since.

        Columns inserted or deleted after a good write move the statuses with
        their column, so nothing is put back and every status counts as
        written. A failed read gives False, and the repair then decides.
        """
        try:
            column = self.columns.status_column_now(
                headers, written, wrote_header=first
            )
        except SourceError:
            return False
        if column is None:
            return False
        logger.info(
            "Columns of tab %r of %s were inserted or deleted after the write, "
            "so the statuses pipesheet wrote are in column %s now",
            self.tab.title,
            self.session.name,
            column_letter(column),
        )
        return True

    def _repair(
        self, headers: list[CellValue], written: list[StatusTarget], first: bool
    ) -> None:
        try:
            result = self.columns.repair(headers, written, wrote_header=first)
        except SourceError as error:
            self.columns.log_failure(written, error)
            return
        self.columns.log(result)

    def _read(self) -> _Columns:
        """Read the ID and status columns and the header row.

        Columns deleted after the write can leave the status column outside
        the grid, and Google rejects the read. Then the header row alone is
        read: when it shows the columns moved, the check goes on from it.
        """
        try:
            return self._read_columns()
        except SourceError:
            headers = self._read_headers()
            if headers is None or not self.columns.moved(headers):
                raise
            first_row = self.plan.header_row + 1
            return _Columns(IdIndex(first_row, [], set()), [], headers)

    def _read_headers(self) -> list[CellValue] | None:
        """Return the header row, or None when reading it failed too."""
        try:
            ranges = [self.columns.header_range()]
            value_ranges = self.session.read_values(ranges, "values.batchGet (check)")
        except SourceError:
            return None
        header_rows = rows_from_api(value_ranges[0])
        return list(header_rows[0]) if header_rows else []

    def _read_columns(self) -> _Columns:
        plan = self.plan
        first_row = plan.header_row + 1
        ranges = [
            _column_range(self.tab.title, plan.id_column, first_row),
            _column_range(self.tab.title, plan.status_column, first_row),
            self.columns.header_range(),
        ]
        value_ranges = self.session.read_values(ranges, "values.batchGet (check)")
        header_rows = rows_from_api(value_ranges[2])
        headers = list(header_rows[0]) if header_rows else []
        ids = [row[0] if row else None for row in rows_from_api(value_ranges[0])]
        statuses = [row[0] if row else None for row in rows_from_api(value_ranges[1])]

        # The ID cells go back to their columns and rows, as the first read had
        # them, to be typed as it typed them.
        rows: list[list[CellValue]] = [[] for _ in range(first_row - 1)]
        width = plan.id_column + 1
        for value in ids:
            row: list[CellValue] = [None] * width
            row[plan.id_column] = value
            rows.append(row)
        retype_date_cells(rows, self.date_cells)
        keys = deal_keys(row[plan.id_column] for row in rows[first_row - 1 :])
        return _Columns(IdIndex(first_row, keys, shared_keys(keys)), statuses, headers)

    def _fixes(
        self, last_write: list[StatusTarget], now: _Columns
    ) -> tuple[list[StatusTarget], list[int]]:
        """Return the rewrites that put each status back on its deal's row.

        Also return the rows that show a wrong status but changed after the
        write, so they are left alone.
        """
        written_at = {target.row: target for target in last_write}
        moved = [
            target
            for target in last_write
            if now.raw_key(target.row) != deal_key(target.deal_id)
        ]
        rows = [target.row for target in moved]
        for target in moved:
            row = now.row_of(target.deal_id) if target.deal_id else None
            if row is not None and row not in written_at:
                rows.append(row)

        fixes: list[StatusTarget] = []
        unsettled: list[int] = []
        for row in dict.fromkeys(rows):
            key = now.key(row)
            correct = self._correct_status(key)
            current = now.status(row)
            if same_cell_value(current, correct):
                continue
            if row in written_at:
                expected: CellValue = written_at[row].value
            else:
                expected = self._status_before(key)
            if same_cell_value(current, expected):
                fixes.append(StatusTarget(key or "", row, correct))
            else:
                unsettled.append(row)
        return fixes, unsettled

    def _correct_status(self, key: str | None) -> str:
        """Return the status a deal's row should show; "" for an unknown deal."""
        if key is None:
            return ""
        if key in self._planned:
            return self._planned[key]
        before = self._status_before(key)
        return before if isinstance(before, str) else ""

    def _status_before(self, key: str | None) -> CellValue:
        """Return the status on the deal's row just before the write."""
        if key is None:
            return None
        row = self._before.row_of(key)
        return self._before.status(row) if row is not None else None

    @cached_property
    def _before(self) -> _Columns:
        """The ID and status columns just before the write, built at first use."""
        return _columns_of(self.before, self.plan)

    def _send(self, fixes: list[StatusTarget]) -> None:
        plan = self.plan
        edits = StatusEdits(
            self.tab, plan.header_row, plan.status_column, None, list(fixes)
        )
        reached_commit_point(self.session.name)
        try:
            self.session.batch_update(
                "spreadsheets.batchUpdate (status fix)",
                status_requests(edits),
                idempotent=False,
            )
        except AmbiguousWriteError:
            # The next read of the columns shows whether it was applied.
            logger.info("Status fix on %s may not have been applied", self.tab.title)
        finally:
            finished_write()

    def _log(self, result: StatusCheckResult) -> None:
        place = f"tab {self.tab.title!r} of spreadsheet {self.session.name!r}"
        if result.fixed_rows:
            logger.warning(
                "Rows of %s moved or got other deal IDs while pipesheet wrote "
                "their statuses, so it rewrote or cleared the status cells of %s "
                "to keep each status on its own deal's row.",
                place,
                _row_list(result.fixed_rows),
            )
        if result.unsettled_rows:
            letter = column_letter(self.plan.status_column)
            logger.warning(
                "The status cells of %s of %s (column %s) may show another "
                "deal's status, because those rows changed again while "
                "pipesheet wrote them. The next run corrects them.",
                _row_list(result.unsettled_rows),
                place,
                letter,
            )


def _columns_of(grid: SheetGrid, plan: WritePlan) -> _Columns:
    first_row = plan.header_row + 1
    rows = grid.rows[first_row - 1 :]
    keys = deal_keys(
        row[plan.id_column] if plan.id_column < len(row) else None for row in rows
    )
    statuses = [
        row[plan.status_column] if plan.status_column < len(row) else None
        for row in rows
    ]
    return _Columns(IdIndex(first_row, keys, shared_keys(keys)), statuses)


def _column_range(title: str, column: int, first_row: int) -> str:
    letter = column_letter(column)
    return f"{quote_title(title)}!{letter}{first_row}:{letter}"


def _row_list(rows: list[int]) -> str:
    """Return ``rows 2, 3 and 5``, naming at most :data:`ROWS_NAMED` rows."""
    named = [str(row) for row in rows[:ROWS_NAMED]]
    rest = len(rows) - len(named)
    if rest:
        return f"rows {', '.join(named)} and {rest} more"
    if len(named) == 1:
        return f"row {named[0]}"
    return f"rows {', '.join(named[:-1])} and {named[-1]}"
