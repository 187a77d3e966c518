"""Describe a header split over two rows, and how to make one row name every column.

pipesheet reads the column names from one header row. A team that groups
columns under titles sometimes writes the names of the grouped columns in a
second row and leaves the cells below the other names empty, without merging
them down (:func:`rules.merged_cells.read_header_rows` reads merged ones).
"""

from __future__ import annotations

from collections.abc import Sequence

from rules.cells import display_value
from rules.grid import CellValue, column_letter, is_blank


def describe_split_header(
    upper_row: int,
    upper: Sequence[CellValue],
    lower: Sequence[CellValue],
    *,
    set_header_row: bool,
    can_merge: bool = True,
) -> str | None:
    """Return how to join a header split over ``upper_row`` and the row below it.

    ``upper`` and ``lower`` are the two rows' cells, read through merges.
    Each name in the upper row with an empty cell below it goes into that
    cell, typed or by merging the two cells. Returns None when there is no
    such name, since the lower row then has a name in every column the upper
    one names. With ``set_header_row``, the text ends with the request to set
    source.header_row to the lower row. Without ``can_merge``, as for a CSV
    file, the text requests typed names only.

    For 'Deal ID' in A1 over an empty A2, and 'Amount' in B2 under a group
    title 'Deal' in B1, the fix is to type 'Deal ID' into A2 or to merge
    A1:A2.
    """
    names = [
        (index, value)
        for index, value in enumerate(upper)
        if not is_blank(value) and is_blank(_cell(lower, index))
    ]
    if not names:
        return None

    lower_row = upper_row + 1
    typed = ", ".join(
        f"{column_letter(index)}{lower_row} {display_value(value)!r}"
        for index, value in names
    )
    merges = ", ".join(
        f"{column_letter(index)}{upper_row}:{column_letter(index)}{lower_row}"
        for index, _ in names
    )
    text = (
        f"The header is split over rows {upper_row} and {lower_row}, but pipesheet "
        f"reads the column names from one row. Make row {lower_row} name every "
        f"column: type each name of row {upper_row} that has an empty cell below "
        f"it into that cell ({typed})"
    )
    if can_merge:
        text = (
            f"{text}, or merge the two cells ({merges}). pipesheet reads merged "
            "cells in .xlsx and .xlsm files and in Google Sheets, not in .ods "
            "and .xls files."
        )
    else:
        text = f"{text}."
    if set_header_row:
        text = f"{text} Then set source.header_row to {lower_row} in the definition."
    return text


def _cell(cells: Sequence[CellValue], index: int) -> CellValue:
    return cells[index] if index < len(cells) else None
