"""Spread the value of a block of merged cells over the data rows it covers."""

from __future__ import annotations

from collections.abc import Collection
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


@dataclass(frozen=True)
class UnreadCell:
    """A cell of a continuation row that its deal does not read.

    ``row`` and ``column`` (1-based row, 0-based column) locate the cell, and
    ``deal_row`` is the first row of its deal.
    """

    deal_row: int
    row: int
    column: int
    value: CellValue


@dataclass(frozen=True)
class JoinedRows:
    """The data rows with each deal's continuation rows joined into its first row.

    ``continued`` contains the indexes of the emptied continuation rows.
    """

    rows: list[list[CellValue]]
    continued: frozenset[int]
    unread: list[UnreadCell]


def join_continuation_rows(
    grid: SheetGrid,
    first_row: int,
    rows: list[list[CellValue]],
    id_column: int,
    first_value_columns: Collection[int],
    skipped_columns: Collection[int],
) -> JoinedRows:
    """Join the rows of each deal whose ID cell is merged down into its first row.

    A deal written over two or more rows merges its ID cell down over them,
    and the rows below its first one continue it, such as a second line of
    Next Step. This applies whether or not the merged ID cell has a value: a
    deal with a blank merged ID is still one deal, which keeps its missing
    ID. Each such continuation row is emptied, so it is no deal of its own,
    and its own cells go into the deal's first row. A text cell is
    joined to a filled one above it with a line break. A cell of a
    ``first_value_columns`` column (dates, amounts, numbers) only fills a
    blank one above it, so the first filled value counts. Such a cell that
    differs from the value above it, or a text under a filled cell that is
    not text, is not read and is listed in ``unread``. Cells of
    ``skipped_columns`` (the status columns) are left where they are.

    ``rows`` are the data rows with merged values spread. Continuation rows
    read their own cells from ``grid``, because a value spread over them
    repeats the first row's.

    Before, with Deal ID merged over A2:A3 and the header in row 1::

        P-1 | Call the buyer
            | then send the contract

    After: ``[["P-1", "Call the buyer\\nthen send the contract"], [None, None]]``.
    """
    blocks = [
        (top, bottom)
        for top, _left, bottom, _right in merged_down_blocks(
            grid, first_row, (id_column,), blank_too=True
        )
    ]
    if not blocks:
        return JoinedRows(rows, frozenset(), [])

    joined = list(rows)
    continued: set[int] = set()
    unread: list[UnreadCell] = []
    for top, bottom in blocks:
        first = top - first_row
        if first >= len(rows):
            continue
        deal_row = list(rows[first])
        for row in range(top + 1, min(bottom, first_row + len(rows) - 1) + 1):
            index = row - first_row
            own = grid.rows[row - 1] if row <= len(grid.rows) else []
            for column, cell in enumerate(own):
                if column in skipped_columns or is_blank(cell):
                    continue
                if len(deal_row) <= column:
                    deal_row.extend([None] * (column + 1 - len(deal_row)))
                above = deal_row[column]
                if is_blank(above):
                    deal_row[column] = cell
                elif (
                    column not in first_value_columns
                    and isinstance(above, str)
                    and isinstance(cell, str)
                ):
                    deal_row[column] = f"{above}\n{cell}"
                elif cell != above:
                    unread.append(UnreadCell(top, row, column, cell))
            joined[index] = [
                cell if column in skipped_columns else None
                for column, cell in enumerate(rows[index])
            ]
            continued.add(index)
        joined[first] = deal_row
    return JoinedRows(joined, frozenset(continued), unread)


def merged_down_blocks(
    grid: SheetGrid,
    first_row: int,
    columns: Collection[int],
    *,
    blank_too: bool = False,
) -> list[tuple[int, int, int, int]]:
    """Return the blocks below the header whose first column is one of ``columns``.

    Only blocks merged down over two or more rows are returned, and only those
    with a value unless ``blank_too`` is set.
    """
    return [
        (top, left, bottom, right)
        for top, left, bottom, right in grid.merged
        if left in columns
        and top >= first_row
        and bottom > top
        and (blank_too or not is_blank(grid.cell(top, left)))
    ]
