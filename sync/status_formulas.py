"""Formula cells that read empty where a run would write statuses.

A formula whose result is empty, such as ``=IF(B2="Won","won","")``, reads as
an empty cell, so it looks like room for the status column or a free status
cell. A status written there would delete the formula. The Excel source finds
such cells in its scan of the sheet XML. A source whose values leave them out,
such as Google Sheets, reads them when a run needs them: the columns a new
status column may take, or the status cells a run would write that read empty.

NOTE: the Excel scan lists results saved as empty text or not saved at all.
A formula whose saved result is only spaces (``<v> </v>``) also reads as
empty but is not listed, so a status may still replace it. A formula with a
result that is not empty, in an existing status column, is a value pipesheet
did not write, which a run replaces while most of the column contains
statuses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

from rules.grid import SheetGrid, is_blank

# A block of cells: first row, first column, last row, last column, with
# 1-based rows and 0-based columns.
CellBlock = tuple[int, int, int, int]

# The maximum number of blocks of status cells one read requests. Rows scattered
# more widely are read as one block from the first to the last, which keeps the
# request short.
MAX_READ_BLOCKS = 20


@runtime_checkable
class FormulaReadSource(Protocol):
    """A source that reads which cells of a block contain formulas."""

    def read_formula_cells(
        self, grid: SheetGrid, blocks: Sequence[CellBlock]
    ) -> frozenset[tuple[int, int]]:
        """Return the positions (1-based row, 0-based column) of formula cells.

        Only cells of ``blocks`` that read empty in ``grid`` count.
        """
        ...


def with_status_formulas(
    source: object,
    grid: SheetGrid,
    status_column: int,
    rows: Iterable[int],
    *,
    new_column: bool,
) -> SheetGrid:
    """Return ``grid`` with the formula cells that read empty where statuses go.

    They are added to ``grid.empty_formula_results``, so the choice of the
    status column passes over them and a run stops before it overwrites one.
    A source that is no :class:`FormulaReadSource` already lists them, and
    ``grid`` is returned unchanged.

    :param status_column: the 0-based status column the run chose.
    :param rows: the 1-based rows whose status cells the run would write.
    :param new_column: True when no column has the status header yet. Then
        every column from ``status_column`` to the sheet's last is read,
        because a formula in any of them moves the status column right of it.
    """
    if not isinstance(source, FormulaReadSource):
        return grid
    if new_column:
        last_row = max(len(grid.rows), 1)
        blocks = [(1, status_column, last_row, grid.max_columns - 1)]
    else:
        blank = sorted({row for row in rows if is_blank(grid.cell(row, status_column))})
        blocks = _column_blocks(blank, status_column)
    if not blocks:
        return grid

    found = source.read_formula_cells(grid, blocks)
    if not found:
        return grid
    return dataclasses.replace(
        grid, empty_formula_results=grid.empty_formula_results | found
    )


def _column_blocks(rows: list[int], column: int) -> list[CellBlock]:
    """Return the blocks of ``column`` that cover the sorted ``rows``.

    Each run of consecutive rows is one block, up to :data:`MAX_READ_BLOCKS`
    blocks. More runs give one block from the first row to the last.
    """
    if not rows:
        return []
    runs: list[list[int]] = [[rows[0], rows[0]]]
    for row in rows[1:]:
        if row == runs[-1][1] + 1:
            runs[-1][1] = row
        else:
            runs.append([row, row])
    if len(runs) > MAX_READ_BLOCKS:
        runs = [[rows[0], rows[-1]]]
    return [(first, column, last, column) for first, last in runs]
