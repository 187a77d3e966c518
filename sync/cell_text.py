"""Cut text that does not fit in one spreadsheet cell, with a visible mark.

Excel accepts at most 32,767 characters in a cell and Google Sheets 50,000. A
finding's message quotes the cell value, so it can pass either limit. Every
generated tab is cut to the smaller limit before it is compared with the
workbook, so both backends write and read back the same text, and a run on an
unchanged workbook finds nothing to write.

Excel stores text in UTF-16 and counts a cell's characters in its code units,
so a character outside the Basic Multilingual Plane, such as an emoji, counts
two. The limits here are counted the same way, and a cut never splits such a
character's surrogate pair. A text has at least as many UTF-16 code units as
code points, so the cut is safe under either count.

NOTE: neither count was checked in Excel or Google Sheets here. Google's
documentation does not say how Sheets counts its 50,000 characters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from itertools import zip_longest

from rules.grid import CellValue
from sync.plan import GeneratedTab

MAX_CELL_TEXT = 32_767
"""Excel's limit on the text of one cell, in UTF-16 code units.

Google Sheets allows 50,000.
"""

SURELY_FITTING_TEXT = MAX_CELL_TEXT // 2
"""The length in code points up to which any text fits in a cell.

Each code point takes at most two UTF-16 code units, so only a longer text
needs to be measured.
"""

# Rows of a grid transposed at a time to find its longest text.
ROWS_PER_BLOCK = 512


def utf16_length(text: str) -> int:
    """Return the length of ``text`` in UTF-16 code units, as Excel counts it.

    A lone surrogate, which a Python string may contain, counts one.
    """
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def fits_in_cell(text: str, limit: int = MAX_CELL_TEXT) -> bool:
    """Return True when ``text`` has at most ``limit`` UTF-16 code units.

    Only a text longer than half the limit is encoded to count them.
    """
    length = len(text)
    if length <= limit // 2:
        return True
    return length <= limit and utf16_length(text) <= limit


def fit_cell_text(text: str, limit: int = MAX_CELL_TEXT) -> str:
    """Return ``text`` cut to ``limit`` UTF-16 code units, ending in a count.

    Text that fits is returned as it is. The count is of the characters (code
    points) cut off. Before: 40,000 characters, limit 32,767. After: the first
    32,742 characters and ``… (7,258 more characters)``, 32,767 in all. Of
    20,000 emoji, which count two each, the first 16,371 are kept.
    """
    if fits_in_cell(text, limit):
        return text
    encoded = text.encode("utf-16-le", "surrogatepass")
    kept = limit
    while True:
        head = _first_code_units(text, encoded, kept)
        mark = f"… ({len(text) - len(head):,} more characters)"
        # The mark's characters are all in the Basic Multilingual Plane.
        if utf16_length(head) + len(mark) <= limit:
            return head + mark
        kept = limit - len(mark)


def _first_code_units(text: str, encoded: bytes, units: int) -> str:
    """Return the start of ``text`` that fits in ``units`` UTF-16 code units.

    ``encoded`` is ``text`` in UTF-16-LE. A surrogate pair that the limit
    would split is left out whole.
    """
    cut = encoded[: 2 * units]
    if len(cut) >= 2 and 0xD8 <= cut[-1] <= 0xDB:
        cut = cut[:-2]
    # The decoded length is the number of code points the cut keeps. Two lone
    # surrogates that decode as one pair make the result shorter, never longer.
    return text[: len(cut.decode("utf-16-le", "surrogatepass"))]


def fit_tab_texts(tab: GeneratedTab) -> GeneratedTab:
    """Return the tab with every text longer than :data:`MAX_CELL_TEXT` cut.

    Lengths are counted in UTF-16 code units, as :func:`fit_cell_text` does.

    A tab whose texts all fit is returned as it is, so its digest is kept.
    """
    if not _may_have_long_text(tab.grid):
        return tab
    long_texts = (value for row in tab.grid for value in row if type(value) is str)
    if all(fits_in_cell(value) for value in long_texts):
        return tab
    grid = [
        [fit_cell_text(value) if isinstance(value, str) else value for value in row]
        for row in tab.grid
    ]
    return dataclasses.replace(tab, grid=grid)


def _may_have_long_text(grid: Sequence[Sequence[CellValue]]) -> bool:
    """Return False when no text in ``grid`` is longer than half the cell limit.

    Such texts fit, as :data:`SURELY_FITTING_TEXT` explains.

    True means a text may be that long: any other value with a ``len()`` counts
    too, so the caller checks the types. The grid is read column by column,
    a block of rows at a time, so most columns are measured in one C-level
    pass without a type test per cell. On the five tabs of a first run on the
    100k-row benchmark workbook this took 57 ms of CPU, against 69 ms for a
    generator over every cell (CPython 3.11, 2-core VM).
    """
    for start in range(0, len(grid), ROWS_PER_BLOCK):
        block = grid[start : start + ROWS_PER_BLOCK]
        for column in zip_longest(*block):
            if _longest_length(column) > SURELY_FITTING_TEXT:
                return True
    return False


def _longest_length(column: tuple[CellValue, ...]) -> int:
    """Return the length of the column's longest text, or 0 without text.

    Another value with a ``len()``, such as a text of a ``str`` subclass, may
    give a larger result.
    """
    # A column of texts, with or without empty cells, needs no type test.
    try:
        return max(map(len, filter(None, column)), default=0)  # type: ignore[arg-type]
    except TypeError:
        pass
    if str not in set(map(type, column)):
        return 0
    return max(len(value) for value in column if type(value) is str)
