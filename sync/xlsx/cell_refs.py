"""A1-style cell references: parsing, formatting and ranges on a named tab."""

from __future__ import annotations

import re

from rules.grid import column_letter

_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)")


def column_index(letters: str) -> int:
    """Return the 0-based index of a column's letters (``"A"`` → 0, ``"AB"`` → 27)."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def parse_cell_ref(ref: str) -> tuple[int, int]:
    """Return the 1-based row and 0-based column of a reference such as ``"E2"``.

    :raises ValueError: if ``ref`` is not a single-cell A1 reference.
    """
    match = _CELL_REF.fullmatch(ref.strip())
    if match is None:
        raise ValueError(f"{ref!r} is not a cell reference such as 'E2'")
    return int(match.group(2)), column_index(match.group(1))


def cell_ref(row: int, column: int) -> str:
    """Return the A1 reference of a 1-based row and 0-based column."""
    return f"{column_letter(column)}{row}"


def range_ref(
    first_row: int, first_column: int, last_row: int, last_column: int
) -> str:
    """Return ``"A1:C9"`` for a block, or ``"A1"`` when it is a single cell."""
    first = cell_ref(first_row, first_column)
    last = cell_ref(last_row, last_column)
    return first if first == last else f"{first}:{last}"


def parse_range_ref(ref: str) -> tuple[int, int, int, int] | None:
    """Return ``(first_row, first_column, last_row, last_column)`` of ``"A1:C9"``.

    A single cell gives a one-cell block. Returns None for anything else, such as
    whole-column references or several ranges.
    """
    corners = ref.strip().split(":")
    if len(corners) > 2:
        return None
    try:
        cells = [parse_cell_ref(corner) for corner in corners]
    except ValueError:
        return None
    (first_row, first_column), (last_row, last_column) = cells[0], cells[-1]
    return first_row, first_column, last_row, last_column


def quote_sheet_name(name: str) -> str:
    """Return a tab name as formulas write it: ``'Q3 funnel'`` (quotes doubled)."""
    return "'" + name.replace("'", "''") + "'"


def absolute_range(
    tab: str, first_row: int, column: int, last_row: int, last_column: int | None = None
) -> str:
    """Return an absolute reference such as ``'Funnel'!$B$2:$B$7`` on ``tab``."""
    last_column = column if last_column is None else last_column
    first = f"${column_letter(column)}${first_row}"
    last = f"${column_letter(last_column)}${last_row}"
    corners = first if first == last else f"{first}:{last}"
    return f"{quote_sheet_name(tab)}!{corners}"
