"""Google's limit of cells per spreadsheet, and the error that names its causes.

Google counts every cell of every tab's grid, empty ones too, and rejects a
``batchUpdate`` that would pass the limit. A run counts the cells its batch
adds before it sends anything, so its error names the tab to trim.
"""

from __future__ import annotations

from dataclasses import dataclass

from rules.grid import column_letter
from rules.messages import counted
from sync.sources.sheets_requests import StatusEdits, TabTarget
from sync.sources.sheets_state import SpreadsheetInfo, TabInfo

MAX_CELLS = 10_000_000
"""Google's limit on the cells (filled or not) of one spreadsheet."""


@dataclass(frozen=True)
class CellCount:
    """The grid cells of a spreadsheet now, and those a batch adds, by cause.

    ``status_column`` is the cells that widening the pipeline tab for a new
    status column adds; ``tabs`` is the net change of the generated tabs.
    """

    now: int
    status_column: int
    tabs: int

    @property
    def total(self) -> int:
        """The grid cells once the batch is applied."""
        return self.now + self.status_column + self.tabs


def count_cells(
    info: SpreadsheetInfo, tabs: list[TabTarget], status: StatusEdits | None
) -> CellCount:
    """Return the spreadsheet's grid cells now and the cells the batch adds."""
    sizes = {tab.sheet_id: tab.rows * tab.columns for tab in info.tabs}
    added_by_status = 0
    if status is not None:
        tab = status.tab
        added_by_status = tab.rows * max(0, status.status_column + 1 - tab.columns)
    added_by_tabs = 0
    for target in tabs:
        rows, columns = target.size
        added_by_tabs += rows * columns - sizes.get(target.sheet_id, 0)
    return CellCount(sum(sizes.values()), added_by_status, added_by_tabs)


def cell_limit_message(
    info: SpreadsheetInfo,
    count: CellCount,
    status: tuple[TabInfo, int] | None,
    outcome: str = "Nothing was written.",
) -> str:
    """Return the error for a write over Google's cell limit, naming the causes.

    :param status: the pipeline tab and the 0-based status column, when the
        write adds that column.
    :param outcome: the sentence saying what the limit stopped.
    """
    added = []
    if status is not None and count.status_column > 0:
        tab, column = status
        added.append(
            f"{count.status_column:,} for the new status column "
            f"{column_letter(column)} of tab {tab.title!r} "
            f"({counted(tab.rows, 'row')})"
        )
    if count.tabs > 0:
        added.append(f"{count.tabs:,} for the generated tabs")
    adds = f", and the write adds {' and '.join(added)}" if added else ""
    largest = max(info.tabs, key=lambda tab: tab.rows * tab.columns)
    return (
        f"Writing would give spreadsheet {info.title!r} {count.total:,} cells, "
        f"above Google's limit of {MAX_CELLS:,} (empty cells count too). "
        f"{outcome} It has {count.now:,} cells now{adds}. Its largest tab is "
        f"{largest.title!r}, with {counted(largest.rows, 'row')} and "
        f"{counted(largest.columns, 'column')}. Delete the unused rows and "
        f"columns of tab {largest.title!r}, or move old data to another "
        "spreadsheet."
    )


def status_column_over_limit(
    info: SpreadsheetInfo, tab_title: str, status_column: int
) -> str | None:
    """Return why no run can write, when the new status column alone passes the limit.

    ``doctor`` calls it: the generated tabs' sizes are known only to a run, so
    they are left out, and a spreadsheet may still pass this and fail a run.
    """
    tab = info.find_tab(tab_title)
    if tab is None:
        return None
    added = tab.rows * max(0, status_column + 1 - tab.columns)
    now = sum(each.rows * each.columns for each in info.tabs)
    count = CellCount(now, added, 0)
    if count.total <= MAX_CELLS:
        return None
    return cell_limit_message(
        info, count, (tab, status_column), "Every run stops before it writes."
    )
