"""Find columns that moved during a write, and undo status writes they misplaced.

Google writes the status cells by column index. A column inserted or deleted
left of the status column between the re-read and the write therefore puts
the statuses into a neighbouring column, which is the user's. After the
write, the header row read again shows this: the ID and status headers are no
longer where the re-read had them. Then nothing may be corrected by position.
The column the writes landed in is matched to a column of the re-read by its
header and its other cells. Each written cell that still contains what
pipesheet wrote then gets back the value it had just before the write::

    re-read            column A inserted          after the repair
    F "Notes"  G "st"  G "Notes"  H "st"          G "Notes"  H "st"
    F2 "n1"            G2 "OK" (was "n1")         G2 "n1"

The statuses are not written again: the next run writes them into the status
column where it is now.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from config.errors import SourceError
from rules.cells import display_value
from rules.grid import CellValue, SheetGrid, column_letter, is_blank
from rules.messages import first_and_more
from sync.interrupts import finished_write, reached_commit_point
from sync.plan import WritePlan
from sync.sources.sheets_cells import (
    DateCells,
    cell_data,
    rows_from_api,
)
from sync.sources.sheets_retry import AmbiguousWriteError
from sync.sources.sheets_session import SheetsSession
from sync.sources.sheets_state import TabInfo, grid_range, quote_title
from sync.status_alignment import StatusTarget, same_cell_value

logger = logging.getLogger(__name__)

CELLS_NAMED = 10
"""Cells a warning lists with their values before it counts the rest."""


@dataclass(frozen=True)
class ColumnLayout:
    """The positions of the re-read's columns now, by the header row read after a write.

    ``now_of`` maps a column index of the re-read to its index now. A column
    missing from it was deleted or could not be matched.
    """

    now_of: dict[int, int]

    @property
    def before_of(self) -> dict[int, int]:
        """Map a column index now to its index in the re-read.

        A column missing from it was inserted or could not be matched.
        """
        return {now: before for before, now in self.now_of.items()}


@dataclass
class RepairResult:
    """The cells a repair of a misplaced status write put back or left, by A1 name."""

    landed_column: int
    status_now: int | None
    restored: dict[str, CellValue] = field(default_factory=dict)
    """Each cell put back, with its value as the re-read typed it (dates as dates)."""
    edited_since: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    left_over: list[str] = field(default_factory=list)
    """Headers of the re-read's columns the landed column may be, when unknown."""


class _Written:
    """A header cell pipesheet wrote: it matches no header of the re-read."""


HeaderCell = CellValue | _Written


def cell_key(value: HeaderCell) -> Hashable:
    """Return a cell as compared between reads (1 equals 1.0, blanks equal)."""
    if isinstance(value, _Written):
        return value
    if is_blank(value):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def column_layout(
    before_headers: Sequence[HeaderCell], now_headers: Sequence[HeaderCell]
) -> ColumnLayout:
    """Match the header row of the re-read to the header row read now.

    Runs of equal headers match in order, and a run of changed headers that
    keeps its length matches cell for cell (a header someone retyped). This is
    the alignment of :class:`difflib.SequenceMatcher`.
    """
    before = [cell_key(value) for value in before_headers]
    now = [cell_key(value) for value in now_headers]
    width = max(len(before), len(now))
    before += [None] * (width - len(before))
    now += [None] * (width - len(now))
    matcher = difflib.SequenceMatcher(None, before, now, autojunk=False)

    now_of: dict[int, int] = {}
    for tag, first, last, first_now, last_now in matcher.get_opcodes():
        if tag == "equal" or (
            tag == "replace" and last - first == last_now - first_now
        ):
            for offset in range(last - first):
                now_of[first + offset] = first_now + offset
    return ColumnLayout(now_of)


class ColumnMoveRepair:
    """Check the header row after a write, and undo writes into a moved column.

    :param before: the pipeline tab as re-read just before the write.
    :param header: the status header the write set, or None.
    """

    def __init__(
        self,
        session: SheetsSession,
        plan: WritePlan,
        tab: TabInfo,
        before: SheetGrid,
        header: str | None,
        date_cells: DateCells,
    ) -> None:
        self.session = session
        self.plan = plan
        self.tab = tab
        self.before = before
        self.header = header
        self.date_cells = date_cells
        self._tab_now: _TabNow | None = None

    def header_range(self) -> str:
        """Return the A1 range of the whole header row, for the check's read."""
        row = self.plan.header_row
        return f"{quote_title(self.tab.title)}!A{row}:{row}"

    def moved(self, header_row: Sequence[CellValue]) -> bool:
        """Return True when the ID or status column is not where the write assumed."""
        if self._header_elsewhere(header_row) is not None:
            return True
        now = self._now_headers(header_row, self.header is not None)
        before = self._before_headers()
        if all(
            cell_key(before[column]) == cell_key(now[column])
            for column in range(min(len(before), len(now)))
            if not isinstance(now[column], _Written)
        ):
            return False
        layout = column_layout(before, now)
        plan = self.plan
        return (
            layout.now_of.get(plan.status_column) != plan.status_column
            or layout.now_of.get(plan.id_column) != plan.id_column
        )

    def status_column_now(
        self,
        header_row: Sequence[CellValue],
        written: list[StatusTarget],
        wrote_header: bool,
    ) -> int | None:
        """Return where the status column is now, when the write landed in it.

        Columns inserted or deleted after the write move the status column
        with the statuses in it. Then the column the re-read's status column
        maps to (or the one column with the written header) contains every
        written status on its row, and the header if the write set it. None
        means the write did not land there: the columns moved before it.

        NOTE: only the written cells are compared, not the deal IDs beside
        them, so a row moved as well after the write is left to the next run.

        :raises SourceError: the read of the tab failed.
        """
        plan = self.plan
        layout = column_layout(
            self._before_headers(), self._now_headers(header_row, wrote_header)
        )
        column = layout.now_of.get(plan.status_column)
        titled = self._header_elsewhere(header_row) if wrote_header else None
        column = column if titled is None else titled
        if column is None or column == plan.status_column:
            return None

        self._tab_now = now = self._read_tab()
        cells = {target.row: target.value for target in written}
        if wrote_header and self.header is not None:
            cells[plan.header_row] = self.header
        if all(
            same_cell_value(now.cell(row, column), value)
            for row, value in cells.items()
        ):
            return column
        return None

    def _header_elsewhere(self, header_row: Sequence[CellValue]) -> int | None:
        """Return the one column other than the status column with the written header.

        The write put the header into the status column, so finding it in one
        other column, and not in its own, shows that the columns moved.
        """
        column = self.plan.status_column
        if self.header is None:
            return None
        if column < len(header_row) and same_cell_value(
            header_row[column], self.header
        ):
            return None
        titled = [
            index
            for index, value in enumerate(header_row)
            if same_cell_value(value, self.header)
        ]
        return titled[0] if len(titled) == 1 else None

    def repair(
        self,
        header_row: Sequence[CellValue],
        written: list[StatusTarget],
        wrote_header: bool,
    ) -> RepairResult:
        """Put back the cells the status writes overwrote in another column.

        A cell is put back only while it contains exactly what pipesheet wrote
        there, so an edit made since is kept. The values put back come from
        the column of the re-read that the landed column is: see
        :meth:`_source_column`. When that is not certain, nothing is put back
        and the result lists the cells under ``unknown``.

        NOTE: the re-read has values, not formulas, so a formula cell that a
        status overwrote gets back the value it showed, not its formula.

        :raises SourceError: a read or the write failed.
        """
        plan = self.plan
        landed = plan.status_column
        layout = column_layout(
            self._before_headers(), self._now_headers(header_row, wrote_header)
        )
        result = RepairResult(landed, self._status_now(layout, header_row))
        # The read made by status_column_now, when there was one, is reused.
        now, self._tab_now = self._tab_now or self._read_tab(), None

        rows = {target.row: target.value for target in written}
        if wrote_header and self.header is not None:
            rows[plan.header_row] = self.header
        known, source = self._source_column(now, set(rows), result)

        restores: dict[int, CellValue] = {}
        for row, value in sorted(rows.items()):
            name = f"{column_letter(landed)}{row}"
            if not same_cell_value(now.cell(row, landed), value):
                result.edited_since.append(name)
                continue
            if not known:
                result.unknown.append(name)
                continue
            previous = self._entered(row, source) if source is not None else None
            shown = self.before.cell(row, source) if source is not None else None
            result.restored[name] = shown
            if not same_cell_value(previous, value):
                restores[row] = previous
        if restores:
            self._send(landed, restores)
        return result

    def _status_now(
        self, layout: ColumnLayout, header_row: Sequence[CellValue]
    ) -> int | None:
        """Return the status column's index now, when its own header shows it.

        A status column the write was adding had no header in the re-read, so
        a blank column now would match it and nothing shows where it went.
        """
        plan = self.plan
        header = self.before.cell(plan.header_row, plan.status_column)
        column = layout.now_of.get(plan.status_column)
        if column is None or is_blank(header) or column >= len(header_row):
            return None
        return column if same_cell_value(header_row[column], header) else None

    def _source_column(
        self, now: _TabNow, written: set[int], result: RepairResult
    ) -> tuple[bool, int | None]:
        """Return whether the landed column's origin is certain, and the origin.

        The origin is the column of the re-read the landed column is now, or
        None for a blank column (new, or from right of the columns read).
        Each other column now is paired with a column of the re-read with the
        same cells. The landed column is then one of the columns left over,
        and must show its cells on every row pipesheet did not write. The
        change in the grid's column count shows whether columns were
        inserted, so that a column left over can only be the landed one, or
        deleted, so that the columns left over are the deleted ones. Columns
        with equal cells are interchangeable, because either gives the same
        values back. When the origin is not certain, the headers of the
        columns left over go into ``result.left_over``.
        """
        plan = self.plan
        landed = plan.status_column
        last_row = max(now.last_row, len(self.before.rows))
        rows = range(plan.header_row, last_row + 1)
        columns_before = self._columns_before()
        read = range(min(columns_before, plan.last_column + 2))
        by_cells: dict[tuple[Hashable, ...], list[int]] = {}
        for before in read:
            cells = tuple(cell_key(self._entered(row, before)) for row in rows)
            by_cells.setdefault(cells, []).append(before)
        for column in range(now.columns):
            if column == landed:
                continue
            same = by_cells.get(tuple(cell_key(now.cell(row, column)) for row in rows))
            if same:
                same.pop(0)
        left = sorted(before for columns in by_cells.values() for before in columns)

        open_rows = [row for row in rows if row not in written]
        landed_cells = [now.cell(row, landed) for row in open_rows]
        blank = all(is_blank(value) for value in landed_cells)
        fitting: list[int | None] = [
            before
            for before in left
            if self._same_cells(landed_cells, before, open_rows)
        ]
        added = now.columns - columns_before
        if (added > 0 and not left) or (added < 0 and len(left) <= -added):
            # Every column of the re-read is elsewhere, or the columns left
            # over are the deleted ones. So the landed column is new, or came
            # from right of the columns read, and was blank.
            fitting = [None] if blank else []
        elif not fitting and blank:
            # A column of the re-read with other cells cannot be under a blank
            # one, so it is a new column, one appended, or one from the right.
            fitting = [None]
        values = {
            tuple(
                cell_key(self._entered(row, before) if before is not None else None)
                for row in sorted(written)
            )
            for before in fitting
        }
        if len(values) == 1:
            return True, fitting[0]
        result.left_over = [
            str(self.before.cell(plan.header_row, before) or column_letter(before))
            for before in left
        ]
        return False, None

    def _columns_before(self) -> int:
        """Return the tab's column count when the write was applied."""
        return max(self.tab.columns, self.plan.status_column + 1)

    def _same_cells(
        self, cells: Sequence[CellValue], before: int, rows: Sequence[int]
    ) -> bool:
        return all(
            cell_key(value) == cell_key(self._entered(row, before))
            for value, row in zip(cells, rows, strict=True)
        )

    def _entered(self, row: int, column: int) -> CellValue:
        """Return a cell of the re-read as it was entered: dates as serial numbers."""
        value = self.before.cell(row, column)
        return self._serials.get((row - 1, column), value)

    @cached_property
    def _serials(self) -> dict[tuple[int, int], CellValue]:
        """The serial number of each cell of the re-read typed as a date or time."""
        found: dict[tuple[int, int], CellValue] = {}
        by_value = {
            column: {cell_key(typed): serial for serial, typed in values.items()}
            for column, values in self.date_cells.by_value.items()
        }
        for row_index, row in enumerate(self.before.rows):
            for column, value in enumerate(row):
                serial = by_value.get(column, {}).get(cell_key(value))
                if serial is not None and not isinstance(value, int | float):
                    found[row_index, column] = serial
        for (row_index, column), (serial, typed) in self.date_cells.by_position.items():
            if same_cell_value(self.before.cell(row_index + 1, column), typed):
                found[row_index, column] = serial
        return found

    def _before_headers(self) -> list[CellValue]:
        plan = self.plan
        width = max(plan.last_column + 2, plan.status_column + 1, plan.id_column + 1)
        return [self.before.cell(plan.header_row, column) for column in range(width)]

    def _now_headers(
        self, header_row: Sequence[CellValue], wrote_header: bool
    ) -> list[HeaderCell]:
        now: list[HeaderCell] = list(header_row)
        column = self.plan.status_column
        now += [None] * (len(self._before_headers()) - len(now))
        if wrote_header and same_cell_value(_plain(now[column]), self.header):
            # The write put the header there, wherever the columns went.
            now[column] = _Written()
        return now

    def _read_tab(self) -> _TabNow:
        """Read the tab's grid size and its cells from the header row down."""
        info = self.session.read_metadata()
        tab = info.find_tab_by_id(self.tab.sheet_id)
        if tab is None:
            raise SourceError(f"tab {self.tab.title!r} was deleted")
        first_row = self.plan.header_row
        last = column_letter(max(tab.columns, 1) - 1)
        ranges = [f"{quote_title(tab.title)}!A{first_row}:{last}"]
        value_ranges = self.session.read_values(ranges, "values.batchGet (columns)")
        return _TabNow(first_row, rows_from_api(value_ranges[0]), tab.columns)

    def _send(self, column: int, restores: dict[int, CellValue]) -> None:
        # Consecutive rows go into one updateCells, as the status writes do,
        # so the batch stays about as large as the write it undoes.
        requests = []
        runs: list[list[int]] = []
        for row in sorted(restores):
            if runs and runs[-1][-1] == row - 1:
                runs[-1].append(row)
            else:
                runs.append([row])
        for run in runs:
            cells = []
            for row in run:
                position = f"{column_letter(column)}{row}"
                data = cell_data(restores[row], tab=self.tab.title, position=position)
                entered = data.get("userEnteredValue")
                cells.append(
                    {"values": [{"userEnteredValue": entered} if entered else {}]}
                )
            area = grid_range(
                self.tab.sheet_id, run[0] - 1, run[-1], column, column + 1
            )
            requests.append(
                {
                    "updateCells": {
                        "range": area,
                        "rows": cells,
                        "fields": "userEnteredValue",
                    }
                }
            )
        reached_commit_point(self.session.name)
        try:
            self.session.batch_update(
                "spreadsheets.batchUpdate (put back cells)", requests, idempotent=False
            )
        except AmbiguousWriteError as error:
            raise SourceError(
                f"putting back the cells may not have been applied ({error})"
            ) from error
        finally:
            finished_write()

    def log_failure(self, written: list[StatusTarget], error: SourceError) -> None:
        """Warn that the statuses went into another column and stay there."""
        letter = column_letter(self.plan.status_column)
        cells = [f"{letter}{target.row}" for target in written]
        logger.warning(
            "Columns of tab %r of spreadsheet %r were inserted or deleted while "
            "pipesheet wrote the statuses, so the statuses went into cells %s, "
            "which may belong to another column now. Putting back their values "
            "failed (%s). Check those cells and restore them from File > Version "
            "history, from the version before this run.",
            self.tab.title,
            self.session.name,
            _cell_span(cells),
            error,
        )

    def log(self, result: RepairResult) -> None:
        """Warn what moved, which cells were written and put back, and what is left."""
        place = f"tab {self.tab.title!r} of spreadsheet {self.session.name!r}"
        landed = column_letter(result.landed_column)
        if result.status_now is None:
            where = "pipesheet cannot tell where the status column is now"
        else:
            where = (
                f"the status column is now column {column_letter(result.status_now)}"
            )
        logger.warning(
            "Columns of %s were inserted or deleted while pipesheet wrote the "
            "statuses, so the statuses went into column %s, which is no longer "
            "the status column (%s). No status was written, and the next run "
            "writes them into the status column.",
            place,
            landed,
            where,
        )
        if result.restored:
            logger.warning(
                "pipesheet put back the values that cells %s of %s had before "
                "the write: %s.",
                _cell_span(list(result.restored)),
                place,
                _cell_values(result.restored),
            )
        if result.edited_since:
            logger.warning(
                "Cells %s of %s were edited after pipesheet wrote a status into "
                "them, so they were left as they are. Check them against File > "
                "Version history.",
                ", ".join(result.edited_since),
                place,
            )
        if result.unknown:
            candidates = ", ".join(repr(header) for header in result.left_over)
            logger.warning(
                "Cells %s of %s contain statuses pipesheet wrote into another "
                "column, and it could not tell which column they belonged to "
                "(%s), so it left them. Restore them from File > Version history, "
                "from the version before this run.",
                _cell_span(result.unknown),
                place,
                candidates or "none of the columns it read matches",
            )


@dataclass(frozen=True)
class _TabNow:
    """The pipeline tab's cells from the header row down, read after the write."""

    first_row: int
    rows: list[list[CellValue]]
    columns: int

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.rows) - 1

    def cell(self, row: int, column: int) -> CellValue:
        index = row - self.first_row
        if not 0 <= index < len(self.rows):
            return None
        cells = self.rows[index]
        return cells[column] if column < len(cells) else None


def _plain(value: HeaderCell) -> CellValue:
    return None if isinstance(value, _Written) else value


def _cell_span(cells: Sequence[str]) -> str:
    return first_and_more(cells, CELLS_NAMED)


def _cell_values(cells: dict[str, CellValue]) -> str:
    items = list(cells.items())[:CELLS_NAMED]
    return ", ".join(f"{name} {_shown(value)}" for name, value in items)


def _shown(value: CellValue) -> str:
    """Return a cell value as a message shows it: text quoted, dates in ISO form."""
    if is_blank(value):
        return "blank"
    if isinstance(value, str):
        return repr(value)
    return display_value(value)
