"""Generated tabs cut to the rows a sheet can hold.

An Excel sheet has at most 1,048,576 rows, and LibreOffice drops the rows
past that without a word. The Stage log grows by a row for every stay and
the Problems tab by a row for every finding, so a large sheet with a long
history can need more. Such a tab keeps its first rows and ends with a row
that counts the rest, and the run warns.
"""

from __future__ import annotations

import dataclasses

from sync.plan import GeneratedTab

# The rows of an Excel sheet, and of an .xlsx file LibreOffice writes.
MAX_SHEET_ROWS = 1_048_576


def fit_tab_rows(
    tab: GeneratedTab, location: str, max_rows: int | None = None
) -> tuple[GeneratedTab, str | None]:
    """Return the tab cut to ``max_rows`` rows, and a warning when it was cut.

    Before: a Stage log of 1,200,003 rows. After: its first 1,048,575 rows and
    a last row "… and 151,428 more rows, left out because a sheet holds at
    most 1,048,576 rows", with a warning naming the tab.

    :param location: the start of the warning, naming the workbook and tab
        the run read (:meth:`rules.grid.SheetGrid.describe_location`).
    :param max_rows: the rows a sheet holds; :data:`MAX_SHEET_ROWS` if None.
    """
    if max_rows is None:
        max_rows = MAX_SHEET_ROWS
    if len(tab.grid) <= max_rows:
        return tab, None
    visible_rows = max_rows - 1
    left_out = len(tab.grid) - visible_rows
    note = (
        f"… and {left_out:,} more rows, left out because a sheet holds at most "
        f"{max_rows:,} rows"
    )
    cut = dataclasses.replace(tab, grid=[*tab.grid[:visible_rows], [note]])
    warning = (
        f"{location}: tab {tab.name!r} needs {len(tab.grid):,} rows, more than "
        f"the {max_rows:,} a sheet holds, so its last {left_out:,} rows are left "
        "out and its last row counts them. The run's --json output lists every "
        "finding, and 'pipesheet log DEAL_ID' every stay of a deal."
    )
    return cut, warning
