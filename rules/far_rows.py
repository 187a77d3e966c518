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
    grid: SheetGrid,
    filled_rows: int,
    status_column: int | None = None,
    id_column: int | None = None,
) -> str | None:
    """Return a warning naming the cells far below the tab's data, if there are any.

    The data ends above the first run of :data:`FAR_GAP_ROWS` or more empty
    rows; every cell below that run is far. ``filled_rows`` is the number of
    rows with a value, or more (the header row plus the deals, say): a grid
    with fewer empty rows than such a run is passed over without reading its
    rows. A cell of ``status_column`` (0-based), where
    pipesheet writes, is named only on a row without other values. A far row
    with a value in ``id_column`` holds a deal, which the warning names as
    one to move up rather than a cell to clear.

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
    deal_rows = [number for number in far_rows if _deal_id(grid, number, id_column)]
    other_rows = [number for number in far_rows if number not in set(deal_rows)]
    subjects: list[tuple[str, bool]] = []
    if deal_rows:
        subjects.append(_far_deals(grid, deal_rows, id_column))
    if other_rows:
        subjects.append(_far_cells(grid, other_rows, status_column))
    fix = "Clear the cells below the data that the team does not need."
    if deal_rows:
        fix = (
            "Move those deals up to the rows below the other deals, and clear the "
            "cells below the data that the team does not need."
        )
    singular = len(subjects) == 1 and subjects[0][1]
    subject = " and ".join(text for text, _ in subjects)
    verb = "lies" if singular else "lie"
    return (
        f"{grid.describe_location()}: {subject} {verb} far below the data, which "
        f"ends at row {data_end:,}. Each run reads every row down to row {last:,} "
        f"(about {last * width:,} cells), which makes runs slow and uses much "
        f"memory. {fix}"
    )


def _deal_id(grid: SheetGrid, row: int, id_column: int | None) -> CellValue:
    """Return the deal ID cell of ``row``, or None without an ID column."""
    values = grid.rows[row - 1]
    if id_column is None or id_column >= len(values):
        return None
    return values[id_column]


def _far_deals(
    grid: SheetGrid, deal_rows: list[int], id_column: int | None
) -> tuple[str, bool]:
    """Name far deal rows as a sentence's subject, and whether it is singular.

    Such as "the deal in row 9 ('D-3')", True.
    """
    named = ", ".join(
        f"{number:,} ({_deal_id(grid, number, id_column)!r})"
        for number in deal_rows[:NAMED_CELLS]
    )
    if len(deal_rows) == 1:
        return f"the deal in row {named}", True
    if len(deal_rows) > NAMED_CELLS:
        named += f" and {len(deal_rows) - NAMED_CELLS:,} more"
    return f"{len(deal_rows):,} deals, in rows {named},", False


def _far_cells(
    grid: SheetGrid, far_rows: list[int], status_column: int | None
) -> tuple[str, bool]:
    """Name the far cells as a sentence's subject, and whether it is singular.

    Such as "cells B9 ('x'), B12 ('y')", False.

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
    return " and ".join(parts), len(parts) == 1 and len(cells) <= 1


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
