"""Stray cells far below a tab's data, which make every run read the rows between.

A value left in row 1,048,576 (Ctrl+Down, then a keystroke) stretches the
tab's used range to that row. A reader then gets every row down to it: a
49-deal sheet with one such cell took 6.6 s and 1 GB of memory per run, the
same sheet without it 0.55 s and 115 MB (2-core VM). The empty rows between
add no deals, so a warning naming the cells is what shows the team what to
clear. A cell holding empty text (a formula whose result is "") stretches
the range too, though it reads as an empty cell.
"""

from __future__ import annotations

from rules.grid import CellValue, SheetGrid, column_letter

# Fewer empty rows than this between the data and the cells below it are
# left alone: they cost little to read (a 6-deal sheet with a cell in row
# 20,000 took 0.61 s per run, 0.58 s without it).
FAR_GAP_ROWS = 10_000

# At most this many of the far cells are named in the warning.
NAMED_CELLS = 3


def describe_far_rows(
    grid: SheetGrid, filled_rows: int, status_column: int | None = None
) -> str | None:
    """Return a warning naming the cells far below the tab's data, if there are any.

    The data ends above the first run of :data:`FAR_GAP_ROWS` or more empty
    rows; every cell below that run is far. ``filled_rows`` is the number of
    rows with a value, or more (the header row plus the deals, say): a grid
    with fewer empty rows than such a run is passed over without reading its
    rows. A cell of ``status_column`` (0-based), where
    pipesheet writes, is named only on a row without other values.

    Before: a 6-deal sheet with ``x`` in B30000 and ``y`` in B40000. After:
    "Workbook 's.xlsx', tab 'Deals': cells B30000 ('x'), B40000 ('y') lie
    far below the data, which ends at row 7. ..."
    """
    rows = grid.rows
    if len(rows) - filled_rows < FAR_GAP_ROWS:
        return None
    # Counting in C read a million empty 20-cell rows in 0.35 s, where a test
    # per cell took 0.54 s (CPython 3.11, 2-core VM under load).
    filled = [
        number
        for number, values in enumerate(rows, start=1)
        if values.count(None) < len(values)
    ]
    if filled and filled[-1] < len(rows):
        # The reader returns rows down to the last cell it read, but shows
        # empty text as an empty cell (a style alone returns no row), so an
        # empty last row has such a cell: the range ends there.
        filled.append(len(rows))
    gaps = zip(filled, filled[1:], strict=False)
    long_gap = next((pair for pair in gaps if _empty_rows(pair) >= FAR_GAP_ROWS), None)
    if long_gap is None:
        return None
    data_end, first_far = long_gap

    far_rows = [number for number in filled if number >= first_far]
    last = far_rows[-1]
    width = max(
        len(rows[data_end - 1]), *(len(rows[number - 1]) for number in far_rows)
    )
    return (
        f"{grid.describe_location()}: {_far_cells(grid, far_rows, status_column)} "
        f"far below the data, which ends at row {data_end:,}. Each run reads every "
        f"row down to row {last:,} (about {last * width:,} cells), which makes runs "
        "slow and uses much memory. Clear the cells below the data that the team "
        "does not need."
    )


def _far_cells(grid: SheetGrid, far_rows: list[int], status_column: int | None) -> str:
    """Name the far cells as a sentence's subject: "cells B9 ('x'), B12 ('y') lie".

    A far row without a value is the tab's last row, whose cell contains empty
    text that the reader returns as an empty cell.
    """
    cells = [
        cell
        for number in far_rows
        for cell in _named_cells(grid, number, status_column)
    ]
    parts = []
    if cells:
        named = ", ".join(cells[:NAMED_CELLS])
        if len(cells) > NAMED_CELLS:
            named += f" and {len(cells) - NAMED_CELLS:,} more"
        parts.append(f"cell {named}" if len(cells) == 1 else f"cells {named}")
    last_values = grid.rows[far_rows[-1] - 1]
    if last_values.count(None) == len(last_values):
        parts.append(
            f"a cell with empty text in row {far_rows[-1]:,} (such as a formula "
            'giving "")'
        )
    singular = len(parts) == 1 and len(cells) <= 1
    return f"{' and '.join(parts)} {'lies' if singular else 'lie'}"


def _empty_rows(pair: tuple[int, int]) -> int:
    """Return the number of empty rows between two rows with values."""
    return pair[1] - pair[0] - 1


def _named_cells(grid: SheetGrid, row: int, status_column: int | None) -> list[str]:
    """Return the cells of ``row`` with a value, as ``B30000 ('x')``."""
    values = grid.rows[row - 1]
    named: dict[int, CellValue] = {
        column: value
        for column, value in enumerate(values)
        if value is not None and column != status_column
    }
    if not named and status_column is not None and status_column < len(values):
        # A status cell is named only alone: beside other values it is the
        # status pipesheet wrote on a far row that is a deal.
        status = values[status_column]
        if status is not None:
            named[status_column] = status
    return [
        f"{column_letter(column)}{row} ({value!r})" for column, value in named.items()
    ]
