"""A stray cell far below a tab's data, which makes every run read the rows between.

A value left in row 1,048,576 (Ctrl+Down, then a keystroke) stretches the
tab's used range to that row. A reader then gets every row down to it: a
49-deal sheet with one such cell took 6.6 s and 1 GB of memory per run, the
same sheet without it 0.55 s and 115 MB (2-core VM). The empty rows between
add no deals, so a warning naming the cell is what shows the team what to
clear.
"""

from __future__ import annotations

from rules.grid import CellValue, SheetGrid, column_letter

# Fewer empty rows than this between the data and a far cell are left alone:
# reading them costs well under a second.
FAR_GAP_ROWS = 10_000

# At most this many of the far row's cells are named in the warning.
NAMED_CELLS = 3


def describe_far_rows(grid: SheetGrid, status_column: int | None = None) -> str | None:
    """Return a warning naming the cells far below the tab's data, if there are any.

    The rows are read from the last one up to the next row with a value, so
    a tab without such a gap costs two rows. A cell of ``status_column``
    (0-based), pipesheet's own, does not count as a value.

    Before: a 49-deal sheet with ``oops`` in T1048576. After: "Workbook
    's.xlsx', tab 'Deals': cell T1048576 ('oops') lies 1,048,525 empty rows
    below row 50, the last row above with a value. ..."
    """
    last = _previous_filled_row(grid.rows, len(grid.rows), status_column)
    if last is None:
        return None
    above = _previous_filled_row(grid.rows, last - 1, status_column)
    # A tab whose only value is the far cell has no header: other messages
    # say so.
    if above is None or last - above - 1 < FAR_GAP_ROWS:
        return None
    values = grid.rows[last - 1]
    named = [
        f"{column_letter(column)}{last} ({value!r})"
        for column, value in enumerate(values)
        if column != status_column and _has_value(value)
    ]
    cells = ", ".join(named[:NAMED_CELLS])
    if len(named) > NAMED_CELLS:
        cells += f" and {len(named) - NAMED_CELLS:,} more"
    width = max(len(grid.rows[above - 1]), len(values))
    cells_lie = f"cell {cells} lies" if len(named) == 1 else f"cells {cells} lie"
    return (
        f"{grid.describe_location()}: {cells_lie} {last - above - 1:,} empty "
        f"rows below row {above:,}, the last row above with a value. Each run "
        f"reads every row down to row {last:,} (about {last * width:,} cells), "
        "which makes runs slow and uses much memory. Clear the cells below the "
        "data that the team does not need."
    )


def _previous_filled_row(
    rows: list[list[CellValue]], row: int, status_column: int | None
) -> int | None:
    """Return the 1-based number of the last row at or above ``row`` with a value."""
    # Counting in C read a million empty 20-cell rows in 0.35 s, where a test
    # per cell took 0.54 s (CPython 3.11, 2-core VM under load).
    for number in range(row, 0, -1):
        values = rows[number - 1]
        filled = len(values) - values.count(None) - values.count("")
        if status_column is not None and status_column < len(values):
            filled -= _has_value(values[status_column])
        if filled > 0:
            return number
    return None


def _has_value(value: CellValue) -> bool:
    # A cell of spaces still stretches the used range, so only empty ones
    # do not count.
    return value is not None and value != ""
