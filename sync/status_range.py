"""The used range a new status column leaves, checked against the source's read limit.

A source may limit the cells it reads from a tab: the Excel source rejects a
used range over 25 million cells, because calamine holds it as one block.
The status column goes right of every filled cell, so it widens the used range
by one column on every row up to the last filled one. A tab just under the
limit would then be over it, and the next run would reject the workbook the
run before wrote. For a tab of 2,000 rows with a value in column RLT, the
status column RLU makes 2,000 × 12,501 cells::

    before   A1:RLT2000   25,000,000 cells   read
    after    A1:RLU2000   25,002,000 cells   rejected on the next read
"""

from __future__ import annotations

from rules.grid import CellValue, SheetGrid, column_letter, is_blank


def oversized_status_column(
    grid: SheetGrid, status_column: int, status_header: str
) -> str | None:
    """Return why writing ``status_column`` would make the tab too large to read.

    None when the source sets no limit, when the column lies inside the used
    range, or when the widened range stays within the limit. The message names
    the filled cell farthest right, which may be a value typed far from the
    table, and how to make room.
    """
    limit = grid.cell_limit
    rows = len(grid.rows)
    columns = status_column + 1
    if limit is None or rows * columns <= limit:
        return None
    if columns <= max(map(len, grid.rows), default=0):
        return None

    letter = column_letter(status_column)
    place = f"Workbook {grid.workbook!r}, tab {grid.tab!r}"
    farthest = "no cell left of it is filled"
    found = _farthest_cell(grid, status_column)
    if found is not None:
        farthest = f"the farthest right is {found[0]} ({found[1]!r})"
    return (
        f"{place}: the status column {letter} would make the tab's used range "
        f"A1:{letter}{rows} ({rows:,} rows by {columns:,} columns, "
        f"{rows * columns:,} cells), more than the {limit:,} cells pipesheet "
        "reads, so the next run would reject the workbook. The status column "
        f"goes right of every filled cell, and {farthest}. Clear that cell or "
        f"move it next to the table, or type the header {status_header!r} into "
        "an empty column of the table, where the status should go; then run "
        "again."
    )


def _farthest_cell(grid: SheetGrid, status_column: int) -> tuple[str, CellValue] | None:
    """Return the reference and value of the topmost cell in the last filled column.

    Only columns left of ``status_column`` are searched.
    """
    for column in range(status_column - 1, -1, -1):
        for number in range(1, len(grid.rows) + 1):
            value = grid.cell(number, column)
            if not is_blank(value):
                return f"{column_letter(column)}{number}", value
    return None
