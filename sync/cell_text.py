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

Text that fits a cell can still be wider than its column. Each column gets
the width of its longest text, and long explanations go on several rows, so
that no label is cut at a column's edge without a mark.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Collection, Sequence
from itertools import filterfalse, groupby, zip_longest
from operator import itemgetter
from unicodedata import east_asian_width

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


def _longest_length(column: Sequence[CellValue]) -> int:
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


WIDEST_COLUMN = 100
"""The widest column a tab gets from its content, in characters of the font.

A longer text in a column with a filled cell to its right is cut at the edge.
"""

NARROWEST_COLUMN = 6

# Characters of margin beside the longest text, so it does not touch the edge.
COLUMN_MARGIN = 2

EXPLANATION_WIDTH = 100
"""The display width of one line of a long explanation, in characters.

About the width a laptop screen shows beside a label column.
"""


def display_width(text: str) -> int:
    """Return how many columns ``text`` takes on screen: wide characters count two.

    Chinese, Japanese and Korean characters and full-width forms are as wide
    as two Latin letters in a spreadsheet's font.

    >>> display_width("Stage"), display_width("阶段 A")
    (5, 6)
    """
    if text.isascii():
        return len(text)
    return sum(2 if east_asian_width(char) in "WF" else 1 for char in text)


def explanation_lines(text: str, width: int = EXPLANATION_WIDTH) -> list[str]:
    """Return ``text`` broken into lines of at most ``width`` display columns.

    A line breaks after a space where there is one, else between characters,
    as Chinese text has no spaces. Each line goes in a cell of its own row, so
    it reads in full in any program without wrapping.

    >>> explanation_lines("one two three", 8)
    ['one two', 'three']
    """
    lines: list[str] = []
    rest = text.strip()
    while display_width(rest) > width:
        used = 0
        cut = 0
        space = -1
        for index, char in enumerate(rest):
            used += display_width(char)
            if used > width:
                break
            cut = index + 1
            if char == " ":
                space = index
        # A first character wider than ``width`` still makes a line of its own.
        end = space if space > 0 else max(cut, 1)
        lines.append(rest[:end].rstrip())
        rest = rest[end:].lstrip()
    if rest:
        lines.append(rest)
    return lines


def with_content_widths(tab: GeneratedTab) -> GeneratedTab:
    """Return the tab with each column as wide as its longest text, up to a cap.

    Only cells with a cell after them in their row count: the last cell of a
    row spills into the empty cells to its right, so a banner, a sentence or
    a last column's message needs no width. A column with no such cell keeps
    the width the tab gives it. Numbers count with thousands separators and
    two decimals, and dates as ``yyyy-mm-dd``. Wide characters count two
    (:func:`display_width`), and each distinct text with one is measured once.
    """
    measured, _ = _measure_columns(tab.grid)
    return _with_widths(tab, measured)


def fit_tab(tab: GeneratedTab) -> GeneratedTab:
    """Return the tab with its long texts cut and its columns fitted to their texts.

    The result is what :func:`fit_tab_texts` and then
    :func:`with_content_widths` give.

    Both need the longest text of each column, so one pass measures the
    columns for both. Only a tab with a text that may not fit in a cell then
    gets the check of :func:`fit_tab_texts`. On the four tabs of a dry run on
    the 100k-row benchmark workbook this took 0.070 s of CPU, against 0.115 s
    for the two functions one after the other (best of 5, 2-core VM).
    """
    measured, longest_other = _measure_columns(tab.grid)
    # A display width is at least the text's length in code points.
    if max([longest_other, *measured.values()]) > SURELY_FITTING_TEXT:
        fitted = fit_tab_texts(tab)
        if fitted is not tab:
            return with_content_widths(fitted)
    return _with_widths(tab, measured)


def _measure_columns(grid: Sequence[Sequence[CellValue]]) -> tuple[dict[int, int], int]:
    """Return the widest value of each measured column, and the longest other text.

    A column is measured by the display width of its cells that have a cell
    after them in their row. The longest other text is the length of the
    longest text among the cells that are not measured: the last cell of
    each row. Other values with a ``len()`` count there too.
    """
    measured: dict[int, int] = {}
    longest_other = 0
    for length, group in groupby(grid, len):
        if length == 0:
            continue
        if length == 1:
            longest_other = max(longest_other, _longest_length([r[0] for r in group]))
            continue
        # The first row of a block is most often its header, so the columns
        # of the rows under it hold one kind of value, or blanks.
        header, *rows = group
        for index, value in enumerate(header[:-1]):
            widest = _value_width(value) if value is not None else 0
            if rows:
                widest = max(widest, _widest_value(list(map(itemgetter(index), rows))))
            if widest > measured.get(index, 0):
                measured[index] = widest
        last = [header[-1], *map(itemgetter(length - 1), rows)]
        longest_other = max(longest_other, _longest_length(last))
    return measured, longest_other


def _with_widths(tab: GeneratedTab, measured: dict[int, int]) -> GeneratedTab:
    """Return the tab with the columns of ``measured`` as wide as their values."""
    if not measured:
        return tab
    widths = list(tab.column_widths)
    widths.extend([NARROWEST_COLUMN] * (max(measured) + 1 - len(widths)))
    for index, widest in measured.items():
        width = min(WIDEST_COLUMN, max(NARROWEST_COLUMN, widest + COLUMN_MARGIN))
        widths[index] = width
    return dataclasses.replace(tab, column_widths=widths)


def _widest_value(column: Sequence[CellValue]) -> int:
    """Return the display width of the widest value of ``column``, as a cell shows it.

    The column's distinct values are measured, in passes that run in C where
    they are all texts, or all numbers or dates (their smallest and largest).
    Only a column of mixed kinds is measured value by value. On the first run
    on the 100k-row benchmark sheet, the widths of its five tabs took 0.11 s
    of CPU, where measuring every value of the columns with blanks took
    0.12 s (2-core VM under load).
    """
    try:
        # A column of texts alone, such as deal IDs, is measured without
        # hashing them.
        return _widest_text(column)  # type: ignore[arg-type]
    except TypeError:
        pass
    distinct = set(column)
    distinct.discard(None)
    if not distinct:
        return 0
    try:
        return _widest_text(distinct)  # type: ignore[arg-type]
    except TypeError:
        pass
    try:
        ends = (min(distinct), max(distinct))  # type: ignore[type-var]
    except TypeError:
        return max(map(_value_width, distinct))
    return max(map(_value_width, ends))


def _widest_text(texts: Collection[str]) -> int:
    """Return the display width of the widest text; TypeError if one is not text."""
    longest = max(map(len, texts))
    wide = set(filterfalse(str.isascii, texts))
    return max([longest, *map(display_width, wide)])


def _value_width(value: CellValue) -> int:
    """Return the display width of one value of a column of mixed types."""
    if type(value) is str:
        return display_width(value)
    if isinstance(value, bool):
        return 5
    if isinstance(value, (int, float)):
        return _number_width(value)
    if isinstance(value, dt.datetime):
        return 19
    if isinstance(value, dt.date):
        return 10
    return display_width(str(value))


def _number_width(number: float) -> int:
    if isinstance(number, int):
        return len(f"{number:,}")
    if not math.isfinite(number) or abs(number) >= 1e15:
        return len(repr(number))
    return len(f"{number:,.2f}")
