"""Spread the value of a block of merged cells over the data rows it covers."""

from __future__ import annotations

from dataclasses import dataclass

from rules.grid import CellValue, SheetGrid, is_blank


@dataclass(frozen=True)
class SpreadRows:
    """The data rows with merged values spread, and the indexes of rows changed."""

    rows: list[list[CellValue]]
    changed: frozenset[int]


def spread_merged_values(grid: SheetGrid, first_row: int) -> SpreadRows:
    """Spread each merged block's value over the data rows from ``first_row`` on.

    A spreadsheet file keeps a merged block's value in its top-left cell only,
    so its other cells read as empty, although the block covers every row it
    spans. So a block that starts below the header gives
    its value to the cells of its first column in its other rows. Its other
    columns stay empty, and blocks that start in or above the header stay as
    they are. ``grid.rows`` is not changed: only the rows that change are
    copied.

    Before, with Account merged over B2:B3 and the header in row 1::

        D-1 | Globex | Lead
        D-2 |        | Demo

    After: ``[["D-1", "Globex", "Lead"], ["D-2", "Globex", "Demo"]]``.
    """
    rows = grid.rows[first_row - 1 :]
    changed: dict[int, list[CellValue]] = {}
    for top, left, bottom, _right in grid.merged:
        value = grid.cell(top, left)
        if top < first_row or is_blank(value):
            continue
        last = min(bottom, len(grid.rows))
        for index in range(top + 1 - first_row, last + 1 - first_row):
            row = changed.get(index)
            if row is None:
                row = changed[index] = list(rows[index])
            if len(row) <= left:
                row.extend([None] * (left + 1 - len(row)))
            row[left] = value

    if not changed:
        return SpreadRows(rows, frozenset())
    spread = list(rows)
    for index, row in changed.items():
        spread[index] = row
    return SpreadRows(spread, frozenset(changed))
