"""Find where each planned status cell belongs now, by deal ID or row content.

A plan records the row each deal was on when the sheet was read. People keep
working in the sheet, so before writing a backend re-reads the tab and moves each
status to the row that contains the deal's ID now. A status is skipped when its ID
vanished or appears twice, or when someone changed the status cell since the
read (compare-and-set).

    plan (read at t0)          sheet now (after a sort)      writes
    D-2 row 3 → "OK"           row 2: D-2                    row 2 ← "OK"
    D-7 row 4 → "ERROR: …"     row 3: D-9                    D-7 skipped
                               (D-7 was deleted)

A row whose ID was blank or shared at the read has no ID to follow. Its status
is written at the row it was read from, and only while that row still contains
the same cells, so after a sort it is skipped rather than written onto the row
that took its place.
"""

from __future__ import annotations

import itertools
import logging
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter

from rules.cells import parse_text
from rules.grid import CellValue, SheetGrid, is_blank
from sync.plan import IdWrite, StatusWrite, WritePlan

logger = logging.getLogger(__name__)

SKIPPED_ROW_PREFIX = "row:"
"""Prefix of a row number in ``StatusAlignment.skipped``, which lists a status
found by row content as ``row:<row at the read>`` and any other by deal ID."""

RowCheck = Callable[[StatusWrite, int], bool]
"""A backend's own test that a write may go to a row it was aligned to."""


@dataclass(frozen=True, slots=True)
class StatusTarget:
    """A status cell to write: the row the deal is on now and the new text."""

    deal_id: str
    row: int
    value: str


@dataclass
class StatusAlignment:
    """The status writes that still apply, and the deal IDs or rows skipped.

    ``writes`` are the planned writes that still apply and ``rows`` the row
    each one goes to now. They are kept instead of one :class:`StatusTarget`
    per write, because building 100k of those frozen dataclasses took about
    40 ms of CPU (CPython 3.11, 2-core Xeon).
    """

    writes: list[StatusWrite] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def targets(self) -> list[StatusTarget]:
        """The status cells to write, in plan order, built at each access."""
        return [
            StatusTarget(write.deal_id, row, write.value)
            for write, row in zip(self.writes, self.rows, strict=True)
        ]

    def status_cells(self) -> dict[int, str]:
        """Return the new text of each status cell to write, by row now."""
        return dict(zip(self.rows, map(attrgetter("value"), self.writes), strict=True))


def deal_key(value: CellValue) -> str | None:
    """Return the text a deal ID cell is matched by, or None for a blank cell.

    It is the deal ID that reading the sheet gives (:func:`parse_text`), so a
    plan's IDs and the keys of a re-read agree for every type of cell. Text is
    stripped, and whole numbers lose the ``.0`` a spreadsheet may add:
    ``" D-7 "`` → ``"D-7"``, ``1001.0`` → ``"1001"``, ``"00123"`` stays,
    ``True`` → ``"TRUE"``.
    """
    # Most deal IDs are text, so text is checked first.
    if type(value) is str:
        return _composed(value.strip()) or None
    if is_blank(value):
        return None
    return _composed(parse_text(value).strip()) or None


def deal_keys(values: Iterable[CellValue]) -> list[str | None]:
    """Return the :func:`deal_key` of each cell, in order."""
    # Text IDs are the usual case, handled inline because this runs once per
    # row of the tab.
    keys = [
        (value.strip() or None) if type(value) is str else deal_key(value)
        for value in values
    ]
    # Reading composes IDs to NFC, so the keys of a re-read must be composed
    # too. One check of the joined keys spares a call per ASCII ID.
    if "".join(filter(None, keys)).isascii():
        return keys
    return [None if key is None else _composed(key) for key in keys]


def _composed(text: str) -> str:
    """Return text in NFC form, as reading the sheet gives deal IDs."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def row_values(
    grid: SheetGrid, row: int, status_column: int, last_column: int
) -> tuple[CellValue, ...]:
    """Return a row's cells from column A to ``last_column``, without its status."""
    columns = range(last_column + 1)
    return tuple(grid.cell(row, i) for i in columns if i != status_column)


def skipped_name(write: StatusWrite) -> str:
    """Return how a skipped write is listed: its deal ID, or ``row:<n>``."""
    if write.row_values is None:
        return write.deal_id
    return f"{SKIPPED_ROW_PREFIX}{write.row}"


def align_status_writes(
    grid: SheetGrid, plan: WritePlan, row_check: RowCheck | None = None
) -> StatusAlignment:
    """Match the plan's status writes to the rows that contain their deals now.

    ``grid`` is the pipeline tab as re-read just before writing; when it is
    the grid the plan was made from, the rows are not searched again. A write whose
    status cell already contains the new value needs no write and is left out
    without being counted as skipped. ``row_check``, when given, is called with
    every other write and its row now, and a write it rejects is skipped.
    """
    rows_now: list[int | None]
    cells_now: list[CellValue]
    if grid is plan.read_grid:
        # The plan was made from this grid, so every deal is still on the row
        # it was read from and every status cell contains what the plan read.
        rows_now = [write.row for write in plan.status_cells]
        cells_now = [write.previous for write in plan.status_cells]
    else:
        rows_now = _rows_now(grid, plan)
        cells_now = _status_cells_now(grid, plan.status_column, rows_now)
    alignment = StatusAlignment()
    skipped, writes, rows = alignment.skipped, alignment.writes, alignment.rows
    # This loop runs once per status write, so each test is written inline and
    # ``==`` settles nearly every cell before the blank-aware comparisons.
    for write, row, current in zip(plan.status_cells, rows_now, cells_now, strict=True):
        if row is None or (
            current != write.previous and not _cell_unchanged(write, row, current)
        ):
            skipped.append(skipped_name(write))
            continue

        # A planned status is text and rarely blank, so ``strip`` usually ends
        # the second test without looking at the current cell.
        value = write.value
        if current == value or (not value.strip() and is_blank(current)):
            continue
        if row_check is not None and not row_check(write, row):
            skipped.append(skipped_name(write))
            continue
        if row != write.row:
            logger.debug(
                "Deal %r moved from row %d to %d", write.deal_id, write.row, row
            )
        writes.append(write)
        rows.append(row)
    return alignment


@dataclass
class IdAlignment:
    """The planned new IDs that still apply, by row, and the rows skipped."""

    cells: dict[int, str] = field(default_factory=dict)
    skipped_rows: list[int] = field(default_factory=list)


def align_id_writes(grid: SheetGrid, plan: WritePlan) -> IdAlignment:
    """Keep each new ID whose row still contains exactly the cells it was read with.

    ``grid`` is the pipeline tab as re-read just before writing. A row that
    was sorted away, edited, or given an ID by someone since the read no
    longer matches, so its ID is skipped, and never written onto another row.
    The row's status is found by the same content, so it is skipped with it.
    """
    alignment = IdAlignment()
    for write in plan.id_cells:
        if grid is plan.read_grid or _has_read_values(grid, plan, write):
            alignment.cells[write.row] = write.deal_id
        else:
            logger.debug(
                "Skipped new ID %r of row %d: the row changed since the read",
                write.deal_id,
                write.row,
            )
            alignment.skipped_rows.append(write.row)
    return alignment


def _has_read_values(grid: SheetGrid, plan: WritePlan, write: IdWrite) -> bool:
    now = row_values(grid, write.row, plan.status_column, plan.last_column)
    return list(map(deal_key, now)) == list(map(deal_key, write.row_values))


@dataclass
class IdIndex:
    """The deal ID key of every data row of a re-read tab, and the shared keys."""

    first_row: int
    keys: list[str | None]
    shared: set[str]

    def unique_row(self, write: StatusWrite) -> int | None:
        """Return the one row with the write's deal ID, or None for 0 or 2+ rows."""
        key = write.deal_id.strip()
        # Most deals are still on the row they were read from, and checking
        # that row first spares building the map of every key's row.
        offset = write.row - self.first_row
        on_read_row = 0 <= offset < len(self.keys) and self.keys[offset] == key
        if on_read_row and key not in self.shared:
            return write.row

        row = self.last_rows.get(key)
        if row is not None and key not in self.shared:
            return row
        reason = "vanished" if row is None else f"appears on rows {self.rows_of(key)}"
        logger.debug("Skipped status of deal %r: its ID %s", write.deal_id, reason)
        return None

    def rows_of(self, key: str) -> list[int]:
        """Return every row containing ``key``."""
        return self.shared_rows.get(key, [])

    @cached_property
    def shared_rows(self) -> dict[str, list[int]]:
        """The rows of every shared key, worked out at first use."""
        rows: dict[str, list[int]] = defaultdict(list)
        for number, key in enumerate(self.keys, self.first_row):
            if key in self.shared:
                rows[key].append(number)
        return rows

    @cached_property
    def last_rows(self) -> dict[str | None, int]:
        """The last row of each key, its only row unless the key is shared."""
        return dict(zip(self.keys, itertools.count(self.first_row)))


def _index_rows_by_id(grid: SheetGrid, plan: WritePlan) -> IdIndex:
    first_row = plan.header_row + 1
    column = plan.id_column
    cells = [
        values[column] if column < len(values) else None
        for values in grid.rows[first_row - 1 :]
    ]
    keys = deal_keys(cells)
    return IdIndex(first_row, keys, shared_keys(keys))


def shared_keys(keys: list[str | None]) -> set[str]:
    """Return the deal ID keys found more than once; blank IDs are never shared."""
    distinct = set(keys)
    distinct.discard(None)
    # Counting is needed only when some key repeats.
    if len(distinct) == len(keys) - keys.count(None):
        return set()
    counts = Counter(keys)
    return {key for key, count in counts.items() if key is not None and count > 1}


def _rows_now(grid: SheetGrid, plan: WritePlan) -> list[int | None]:
    """Return the row each write's deal is on now, or None where it is not found."""
    index = _index_rows_by_id(grid, plan)
    keys, first_row, shared = index.keys, index.first_row, index.shared
    rows: list[int | None] = []
    append = rows.append
    # This loop runs once per write. Most deals are still on the row they were
    # read from, so that test is inlined here, and IdIndex.unique_row handles
    # every other write.
    for write in plan.status_cells:
        if write.row_values is not None:
            append(_row_by_content(grid, plan, write, write.row_values))
            continue
        offset = write.row - first_row
        key = keys[offset] if 0 <= offset < len(keys) else None
        if key is not None and key == write.deal_id.strip() and key not in shared:
            append(write.row)
        else:
            append(index.unique_row(write))
    return rows


def _row_by_content(
    grid: SheetGrid, plan: WritePlan, write: StatusWrite, read: tuple[CellValue, ...]
) -> int | None:
    # Cells compare as deal IDs do, so a blank cell equals an empty one and a
    # whole float equals its int.
    now = row_values(grid, write.row, plan.status_column, plan.last_column)
    if list(map(deal_key, now)) == list(map(deal_key, read)):
        return write.row
    logger.debug("Skipped status of row %d: the row changed since the read", write.row)
    return None


def _status_cells_now(
    grid: SheetGrid, column: int, rows: list[int | None]
) -> list[CellValue]:
    """Return the status cell of each row, or None where the row is None."""
    # The same as grid.cell for every row, inlined because this runs once per
    # write.
    values = grid.rows
    count = len(values)
    return [
        None
        if row is None or not 0 < row <= count
        else (cells[column] if 0 <= column < len(cells := values[row - 1]) else None)
        for row in rows
    ]


def _cell_unchanged(write: StatusWrite, row: int, current: CellValue) -> bool:
    if same_cell_value(current, write.previous):
        return True
    logger.debug(
        "Skipped status of deal %r on row %d: the cell changed from %r to %r",
        write.deal_id,
        row,
        write.previous,
        current,
    )
    return False


def same_cell_value(current: CellValue, expected: CellValue) -> bool:
    """Return True when two cell values are equal or both blank."""
    return current == expected or (is_blank(current) and is_blank(expected))
