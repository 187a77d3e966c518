"""What a run intends to write: status cells by deal row and complete generated tabs.

A plan holds only changes. An empty plan means the workbook is left untouched,
byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice

from rules.findings import Severity
from rules.grid import CellValue, SheetGrid

# Number of rows at the top of a generated tab searched for its header row.
MAX_HEADER_ROW = 12


# Not frozen, because a frozen dataclass sets each field through
# object.__setattr__ and a first run plans one write per deal. At 100k rows
# plan_writes took a median 0.15 s of CPU frozen and 0.11 s without.
# Nothing changes a write after the planner makes it.
@dataclass(slots=True)
class StatusWrite:
    """One status cell to set, found by deal ID or, without a unique ID, by content.

    ``row`` is where the row was when the sheet was read. ``previous`` is the
    status cell's value at that read, for compare-and-set before writing.
    ``row_values`` is set only for a row whose ID is blank (``deal_id`` is "")
    or shared with other rows: its cells as read from column A to the plan's
    ``last_column``, without the status cell. Such a status is written only at
    ``row``, and only while that row still contains exactly these values.
    """

    deal_id: str
    row: int
    value: str
    previous: CellValue
    row_values: tuple[CellValue, ...] | None = None


@dataclass(frozen=True)
class IdWrite:
    """A new ID for a blank ID cell, written only where the row is unchanged.

    ``row`` is where the row was when the sheet was read, and ``row_values``
    its cells as read from column A to the plan's ``last_column``, without the
    status cell and with the ID cell blank. The ID is written only at ``row``,
    and only while that row still contains exactly these values.
    """

    deal_id: str
    row: int
    row_values: tuple[CellValue, ...]


@dataclass(frozen=True)
class BarChart:
    """A bar chart placed on a generated tab, over a block of that tab's cells.

    Rows are 1-based, columns 0-based, both as in the tab's own grid.
    """

    title: str
    category_column: int
    value_columns: list[int]
    header_row: int
    first_row: int
    last_row: int
    anchor: str


@dataclass(frozen=True)
class GeneratedTab:
    """A tab pipesheet owns and replaces whole on every run."""

    name: str
    grid: list[list[CellValue]]
    chart: BarChart | None = None
    column_widths: list[float] = field(default_factory=list)
    # Columns, by 0-based index, whose numbers keep the General format because
    # they are sheet row numbers or values copied from the sheet, not amounts.
    plain_number_columns: frozenset[int] = frozenset()

    @cached_property
    def header_row(self) -> int:
        """The 0-based grid row of the first table's header, or 0 for none.

        It is the first row after the banner, among the first
        :data:`MAX_HEADER_ROW` rows, that has two or more cells, all text.
        The writers freeze the rows down to it and make it bold.
        """
        for index, row in enumerate(self.grid[1:MAX_HEADER_ROW], start=1):
            values = [value for value in row if value is not None]
            if len(values) > 1 and all(type(value) is str for value in values):
                return index
        return 0

    @cached_property
    def filter_rows(self) -> tuple[int, int] | None:
        """The 0-based first and last grid rows of the tab's filter, or None.

        A tab has a filter when its first table is its only one: it has a
        header row and rows below it, with no blank row after the header, as
        on Problems, Follow-ups and Stage log. The filter covers the header
        row and every row below it.
        """
        header = self.header_row
        below = islice(self.grid, header + 1, None)
        if header == 0 or len(self.grid) <= header + 1 or not all(below):
            return None
        return header, len(self.grid) - 1

    @cached_property
    def digest(self) -> str:
        """The grid's digest, worked out once per tab.

        A run checks it when it looks for unchanged tabs and again when it
        writes a tab whose content changed.
        """
        from sync.xlsx.tab_digests import grid_digest

        return grid_digest(self.grid)

    @property
    def has_digest(self) -> bool:
        """Whether :attr:`digest` has been computed, so reading it costs nothing."""
        # functools.cached_property stores the value in the instance's __dict__.
        return "digest" in self.__dict__


# The fill colour (RGB hex) of the highlight rule for each severity.
HIGHLIGHT_FILLS: dict[Severity, str] = {
    Severity.ERROR: "FFC7CE",
    Severity.WARNING: "FFEB9C",
}


@dataclass(frozen=True)
class HighlightRule:
    """A conditional-format rule on the pipeline tab keyed on the status column.

    ``formula`` is written for the first data row (for example
    ``LEFT($Q5,5)="ERROR"``) and applies to the whole data range.
    """

    formula: str
    fill_rgb: str


@dataclass(frozen=True)
class WritePlan:
    """Every write of one run on one workbook."""

    tab: str
    header_row: int
    id_column: int
    status_column: int
    status_header: str
    write_status_header: bool
    last_row: int
    last_column: int
    status_cells: list[StatusWrite] = field(default_factory=list)
    # New IDs for blank ID cells, when the definition fills them.
    id_cells: list[IdWrite] = field(default_factory=list)
    tabs: list[GeneratedTab] = field(default_factory=list)
    highlights: list[HighlightRule] = field(default_factory=list)
    owned_tab_names: list[str] = field(default_factory=list)
    # Whether to remove the highlight rules an earlier run wrote, because the
    # definition turned highlighting off.
    remove_highlights: bool = False
    # Whether to write the highlight rules although no status changed, because
    # the tab has none of pipesheet's, as after highlighting was turned back on,
    # or because its rules read another column than the status column.
    add_highlights: bool = False
    # The pipeline tab as read for planning. When a backend's re-read returns
    # this very grid, no row has moved since the plan was made.
    read_grid: SheetGrid | None = field(default=None, repr=False, compare=False)

    @property
    def is_empty(self) -> bool:
        return not (
            self.status_cells
            or self.id_cells
            or self.tabs
            or self.write_status_header
            or self.remove_highlights
            or self.add_highlights
        )
