"""The sheet as rules see it: a grid of plain cell values, independent of backend."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rules.text_forms import drop_invisible

# What a source hands over for one cell. Empty cells are None. Dates stay real
# dates when the backend knows them; serial numbers stay numbers and are
# converted by the column's declared type.
CellValue = str | int | float | bool | dt.datetime | dt.date | dt.time | None

EXCEL_MAX_COLUMNS = 16_384
"""The number of columns of an Excel sheet, A to XFD."""


SPARKLINE = "sparkline"
"""The kind of a :class:`DrawingBlock` of cells that show sparklines."""


@dataclass(frozen=True)
class DrawingBlock:
    """A drawing object and the block of cells it lies over.

    ``kind`` is the object's kind ("chart", "picture", "shape", or
    :data:`SPARKLINE` for the cells that show sparklines), ``name``
    its name in the workbook ("Chart 1"), or "" without one.
    ``first_row`` and ``last_row`` are 1-based, the columns 0-based.
    ``estimated`` is true when the block comes from sizes in EMUs and the
    estimated column widths and row heights, not from two anchor cells.
    """

    kind: str
    name: str
    first_row: int
    first_column: int
    last_row: int
    last_column: int
    estimated: bool = False


@dataclass(frozen=True)
class RangeFormula:
    """A formula that one cell stores for a block of cells (its ``ref``).

    ``kind`` is the formula's ``t`` attribute in the sheet XML: "array" for
    an array formula or a dynamic array's spill range, "shared" for a formula
    filled over the block, "dataTable" for a What-If Analysis data table.
    The formula's own cell is the block's first cell. Rows are 1-based, the
    columns 0-based.
    """

    kind: str
    first_row: int
    first_column: int
    last_row: int
    last_column: int


@dataclass(frozen=True)
class SheetGrid:
    """The values of one tab, row 1 of the sheet first.

    ``rows`` may be ragged: a row can be shorter than the header (trailing blank
    cells left out), and trailing empty rows may be missing. ``date1904`` is
    true for a workbook whose date serial numbers count days from 1904-01-01
    instead of from 1899-12-30. ``row_formulas`` lists the blocks of cells
    (first row, first column, last row, last column) whose formulas use ROW()
    or ROWS(), ``subtotal_formulas`` those whose formulas call SUBTOTAL,
    AGGREGATE or SUM, ``aggregate_formulas`` those whose formulas call
    SUBTOTAL or AGGREGATE, ``empty_formula_results`` the positions (1-based row, 0-based
    column) of formula cells whose saved result is empty text, ``formula_cells``
    the references (``b"I4"``, as the sheet XML spells them) of the cells with a
    formula of their own,
    ``unsaved_formula_results`` those of formula cells saved without a result,
    and ``total_rows`` the rows Excel tables use as their Total Row, where the
    source can tell. ``recorded`` is true for a tab the workbook
    records as one pipesheet generated. ``merged`` lists the merged blocks of
    cells, in the same form as ``row_formulas``, where the source can tell, and
    ``hidden_columns`` the hidden column ranges (0-based first and last).
    ``range_formulas`` lists the formulas stored for a block of more than one
    cell, where the source can tell.
    ``pipesheet_highlights`` is true for a tab that has conditional-format rules
    pipesheet wrote, false for one without, and None where the source cannot
    tell. ``highlight_columns`` are the 0-based columns those rules read, where
    the source can tell. ``cell_limit`` is the maximum number of cells,
    counted from A1 to the last filled row and column, that the source reads
    from a tab, and None where it sets no limit. ``max_columns`` is the number
    of columns a sheet of the source can have, which bounds where a new status
    column can go.
    """

    workbook: str
    tab: str
    rows: list[list[CellValue]] = field(default_factory=list)
    date1904: bool = False
    row_formulas: list[tuple[int, int, int, int]] = field(default_factory=list)
    subtotal_formulas: list[tuple[int, int, int, int]] = field(default_factory=list)
    aggregate_formulas: list[tuple[int, int, int, int]] = field(default_factory=list)
    empty_formula_results: frozenset[tuple[int, int]] = frozenset()
    formula_cells: frozenset[bytes] = frozenset()
    unsaved_formula_results: frozenset[tuple[int, int]] = frozenset()
    total_rows: list[int] = field(default_factory=list)
    recorded: bool = False
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden_columns: list[tuple[int, int]] = field(default_factory=list)
    range_formulas: list[RangeFormula] = field(default_factory=list)
    # Charts, pictures and shapes over the tab's cells, where the source can tell.
    drawings: list[DrawingBlock] = field(default_factory=list)
    pipesheet_highlights: bool | None = None
    highlight_columns: frozenset[int] = frozenset()
    cell_limit: int | None = None
    max_columns: int = EXCEL_MAX_COLUMNS
    # True when ``rows`` contains only the tab's first row, because the source
    # found that the rest differs from what a run would write there.
    head_only: bool = False
    # False for a source that is one table without tabs, such as a CSV file,
    # whose messages then name the file only.
    has_tabs: bool = True
    # True for an Excel tab whose state is veryHidden: Excel's Unhide dialog
    # does not list it, and only the VBA editor can show it.
    very_hidden: bool = False

    def describe_location(self) -> str:
        """Return the start of a message about this grid, naming where it is.

        "Workbook 'deals.xlsx', tab 'Deals'", or "File 'deals.csv'" for a
        source without tabs.
        """
        if not self.has_tabs:
            return f"File {self.workbook!r}"
        return f"Workbook {self.workbook!r}, tab {self.tab!r}"

    def is_hidden_column(self, column: int) -> bool:
        """Return True when the 0-based ``column`` is known to be hidden."""
        return any(first <= column <= last for first, last in self.hidden_columns)

    def cell(self, row: int, column: int) -> CellValue:
        """Return the value at a 1-based row and 0-based column, None past the edge."""
        if row < 1 or row > len(self.rows):
            return None
        values = self.rows[row - 1]
        return values[column] if 0 <= column < len(values) else None


def column_letter(index: int) -> str:
    """Return the spreadsheet letter of a 0-based column index (0 → A, 27 → AB)."""
    letters = ""
    number = index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def is_blank(value: CellValue) -> bool:
    """Return True for an empty cell or one holding only whitespace.

    Invisible format characters (see :func:`rules.text_forms.drop_invisible`)
    count as whitespace here, because a cell holding only a byte order mark or
    a direction mark looks empty to the person reading the sheet.
    """
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    text = value.strip()
    return not text or (not text.isascii() and not drop_invisible(text).strip())
