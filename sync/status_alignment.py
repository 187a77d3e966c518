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

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from rules.grid import CellValue, SheetGrid, is_blank
from sync.plan import StatusWrite, WritePlan

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
    """The status writes that still apply, and the deal IDs or rows skipped."""

    targets: list[StatusTarget] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def deal_key(value: CellValue) -> str | None:
    """Return the text a deal ID cell is matched by, or None for a blank cell.

    Text is stripped, and whole numbers lose the ``.0`` a spreadsheet may add:
    ``" D-7 "`` → ``"D-7"``, ``1001.0`` → ``"1001"``, ``"00123"`` stays.
    """
    # Most deal IDs are text, so text is checked first.
    if type(value) is str:
        return value.strip() or None
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


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

    ``grid`` is the pipeline tab as re-read just before writing. A write whose
    status cell already contains the new value needs no write and is left out
    without being counted as skipped. ``row_check``, when given, is called with
    every other write and its row now, and a write it rejects is skipped.
    """
    rows_by_id = _index_rows_by_id(grid, plan)
    alignment = StatusAlignment()
    for write in plan.status_cells:
        row = _row_now(grid, plan, write, rows_by_id)
        current = None if row is None else grid.cell(row, plan.status_column)
        if row is None or not _cell_unchanged(write, row, current):
            alignment.skipped.append(skipped_name(write))
            continue

        if _same_value(current, write.value):
            continue
        if row_check is not None and not row_check(write, row):
            alignment.skipped.append(skipped_name(write))
            continue
        if row != write.row:
            logger.debug(
                "Deal %r moved from row %d to %d", write.deal_id, write.row, row
            )
        alignment.targets.append(StatusTarget(write.deal_id, row, write.value))
    return alignment


def _index_rows_by_id(grid: SheetGrid, plan: WritePlan) -> dict[str, list[int]]:
    rows_by_id: dict[str, list[int]] = defaultdict(list)
    column = plan.id_column
    first_row = plan.header_row + 1
    for number, values in enumerate(grid.rows[first_row - 1 :], start=first_row):
        value = values[column] if column < len(values) else None
        # Text IDs are the usual case, handled inline because this loop runs
        # once per row of the tab.
        key = (value.strip() or None) if type(value) is str else deal_key(value)
        if key is not None:
            rows_by_id[key].append(number)
    return rows_by_id


def _row_now(
    grid: SheetGrid,
    plan: WritePlan,
    write: StatusWrite,
    rows_by_id: dict[str, list[int]],
) -> int | None:
    if write.row_values is not None:
        return _row_by_content(grid, plan, write, write.row_values)

    rows = rows_by_id.get(write.deal_id.strip(), [])
    if len(rows) != 1:
        reason = "vanished" if not rows else f"appears on rows {rows}"
        logger.debug("Skipped status of deal %r: its ID %s", write.deal_id, reason)
        return None
    return rows[0]


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


def _cell_unchanged(write: StatusWrite, row: int, current: CellValue) -> bool:
    if _same_value(current, write.previous):
        return True
    logger.debug(
        "Skipped status of deal %r on row %d: the cell changed from %r to %r",
        write.deal_id,
        row,
        write.previous,
        current,
    )
    return False


def _same_value(current: CellValue, expected: CellValue) -> bool:
    return current == expected or (is_blank(current) and is_blank(expected))
