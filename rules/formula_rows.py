"""Rows whose filled cells all hold formulas, with no value typed by hand.

Excel fills a table's calculated column (``=[@Amount]*[@Probability]``) into
every row of the table, the empty rows kept for new deals included, and
teams copy formulas down past their last deal. Such a row shows a result
(0, or ``#N/A`` after LibreOffice recalculates it) and nothing a person
typed, so it is no deal.

A formula in a mapped column counts the same, unless it gives the row a deal
ID or a stage: a tab that computes its deals from another tab (``=Raw!A5``)
keeps them. A formula error in the ID or stage cell gives neither.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rules.grid import CellValue, SheetGrid, column_letter, is_blank

# The kinds of formula stored once for a block whose other cells contain only
# its results: an array formula or spill range, and a data table. The cells
# of a shared formula contain a formula tag each, so the source lists them.
_BLOCK_RESULT_KINDS = frozenset({"array", "dataTable"})


def formula_only_rows(
    grid: SheetGrid,
    first_row: int,
    candidates: Iterable[int],
    data: Sequence[Sequence[CellValue]],
    columns: Sequence[int],
) -> set[int]:
    """Return the candidate data rows whose filled cells in ``columns`` are formulas.

    Before (``*`` marks a formula cell, ``first_row`` is 4)::

        row 4:  D-1 | Lead | 1000 | *100
        row 5:      |      |      | *0

    After: ``{1}`` for the candidates ``[1]``, the index of row 5.

    :param candidates: 0-based indexes of data rows, ``first_row`` being 0.
    :param data: the data rows' cells, column by column.
    :param columns: the 0-based columns whose cells make a row a deal or
        show a note; the status column is left out.
    """
    blocks = [
        block for block in grid.range_formulas if block.kind in _BLOCK_RESULT_KINDS
    ]
    formulas = grid.formula_cells
    found: set[int] = set()
    for index in candidates:
        row = first_row + index
        filled = [column for column in columns if not is_blank(data[column][index])]
        if filled and all(
            f"{column_letter(column)}{row}".encode() in formulas
            or any(
                block.first_row <= row <= block.last_row
                and block.first_column <= column <= block.last_column
                for block in blocks
            )
            for column in filled
        ):
            found.add(index)
    return found
