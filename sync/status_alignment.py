"""Find where each planned status cell belongs now, by deal ID.

A plan records the row each deal was on when the sheet was read. People keep
working in the sheet, so before writing a backend re-reads the tab and moves each
status to the row that contains the deal's ID now. A status is skipped when its ID
vanished or appears twice, or when someone changed the status cell since the
read (compare-and-set).

    plan (read at t0)          sheet now (after a sort)      writes
    D-2 row 3 → "OK"           row 2: D-2                    row 2 ← "OK"
    D-7 row 4 → "ERROR: …"     row 3: D-9                    D-7 skipped
                               (D-7 was deleted)
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from rules.grid import CellValue, SheetGrid, is_blank
from sync.plan import StatusWrite, WritePlan

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StatusTarget:
    """A status cell to write: the row the deal is on now and the new text."""

    deal_id: str
    row: int
    value: str


@dataclass
class StatusAlignment:
    """The status writes that still apply, and the deal IDs that were skipped."""

    targets: list[StatusTarget] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def deal_key(value: CellValue) -> str | None:
    """Return the text a deal ID cell is matched by, or None for a blank cell.

    Text is stripped, and whole numbers lose the ``.0`` a spreadsheet may add:
    ``" D-7 "`` → ``"D-7"``, ``1001.0`` → ``"1001"``, ``"00123"`` stays.
    """
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def align_status_writes(grid: SheetGrid, plan: WritePlan) -> StatusAlignment:
    """Match the plan's status writes to the rows that hold their deal IDs now.

    ``grid`` is the pipeline tab as re-read just before writing. A write whose
    status cell already contains the new value needs no write and is left out
    without being counted as skipped.
    """
    rows_by_id = _index_rows_by_id(grid, plan)
    alignment = StatusAlignment()
    for write in plan.status_cells:
        target = _align_one(write, rows_by_id, grid, plan.status_column)
        if target is None:
            alignment.skipped.append(write.deal_id)
        elif not _same_value(grid.cell(target.row, plan.status_column), write.value):
            alignment.targets.append(target)

    return alignment


def _index_rows_by_id(grid: SheetGrid, plan: WritePlan) -> dict[str, list[int]]:
    rows_by_id: dict[str, list[int]] = defaultdict(list)
    for row in range(plan.header_row + 1, len(grid.rows) + 1):
        key = deal_key(grid.cell(row, plan.id_column))
        if key is not None:
            rows_by_id[key].append(row)
    return rows_by_id


def _align_one(
    write: StatusWrite,
    rows_by_id: dict[str, list[int]],
    grid: SheetGrid,
    status_column: int,
) -> StatusTarget | None:
    rows = rows_by_id.get(write.deal_id.strip(), [])
    if len(rows) != 1:
        reason = "vanished" if not rows else f"appears on rows {rows}"
        logger.debug("Skipped status of deal %r: its ID %s", write.deal_id, reason)
        return None

    row = rows[0]
    current = grid.cell(row, status_column)
    if not _same_value(current, write.previous):
        logger.debug(
            "Skipped status of deal %r on row %d: the cell changed from %r to %r",
            write.deal_id,
            row,
            write.previous,
            current,
        )
        return None

    if row != write.row:
        logger.debug("Deal %r moved from row %d to %d", write.deal_id, write.row, row)
    return StatusTarget(write.deal_id, row, write.value)


def _same_value(current: CellValue, expected: CellValue) -> bool:
    if is_blank(current) and is_blank(expected):
        return True
    return current == expected
