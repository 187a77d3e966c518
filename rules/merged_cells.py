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


def read_header_rows(grid: SheetGrid, last_row: int) -> list[list[CellValue]]:
    """Return rows 1 to ``last_row``, reading header cells through merges above them.

    A header of two rows often merges the header of a single column down
    over both rows, next to group titles merged across the columns of a
    group. The lower row then names every column, but a file keeps each
    merged value in the block's top-left cell only. So each cell of a
    block's first column below its top row reads as the block's top-left
    value, as the sheet shows it. The block's other columns stay as they
    are. ``grid.rows`` is not changed: only the rows that change are copied.

    Before, with Deal ID merged over A1:A2 and Deal over B1:C1::

        Deal ID | Deal   |
                | Amount | Probability

    After: ``[["Deal ID", "Deal", None], ["Deal ID", "Amount", "Probability"]]``.
    """
    rows = grid.rows[:last_row]
    copied: set[int] = set()
    for top, left, bottom, _right in grid.merged:
        if top >= len(rows):
            continue
        value = grid.cell(top, left)
        if is_blank(value):
            continue
        for index in range(top, min(bottom, len(rows))):
            if index not in copied:
                rows[index] = list(rows[index])
                copied.add(index)
            row = rows[index]
            if len(row) <= left:
                row.extend([None] * (left + 1 - len(row)))
            row[left] = value
    return rows


def read_header_row(grid: SheetGrid, row: int) -> list[CellValue]:
    """Return the cells of ``row`` as :func:`read_header_rows` reads them.

    A row past the end of the grid gives ``[]``.
    """
    rows = read_header_rows(grid, row)
    return rows[row - 1] if len(rows) >= row else []


def read_upper_header_row(grid: SheetGrid, header_row: int) -> list[CellValue]:
    """Return the row above ``header_row`` when it is the upper row of the header.

    It is when a block merged down from it covers the header row, as in a
    header over two rows. Otherwise, and for header row 1, returns ``[]``.
    """
    upper_row = header_row - 1
    if not any(
        top == upper_row and bottom >= header_row
        for top, _left, bottom, _right in grid.merged
    ):
        return []
    return read_header_row(grid, upper_row)
