"""Blocks of the user's cells that reach into the status column.

A formula whose result is empty, typed into a status cell, is no block, but
a status written there would delete it too, so a run stops before it writes.
Two kinds of block can cover status cells:

- A formula stored for a block of cells (an array formula, a dynamic array's
  spill range, a formula filled over a block, a data table). A status written
  into the block changes the formula's results: Excel shows ``#SPILL!`` for a
  dynamic array whose range holds a value. So a run stops before it writes.
- A merged block that starts left of or above a status cell. Excel shows only
  the block's first cell, so the status under it is hidden, and a run warns.

Before, with the status column E and an array formula in D3 whose results
fill D3:E3::

    D3 = TEXTSPLIT("a b", " ") → "a"   E3 = "b" (the formula's result)

A status written into E3 would replace the "b" with a value, so D3 would
show ``#SPILL!``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable

from rules.grid import RangeFormula, SheetGrid, column_letter
from rules.setting_place import setting_place
from sync.xlsx.cell_refs import range_ref

# How many merged blocks a warning names before it counts the rest.
_NAMED_BLOCKS = 3

# The messages' names of the formula kinds, by the ``t`` attribute of ``<f>``.
_FORMULA_KINDS = {
    "array": "array formula or dynamic array",
    "shared": "formula filled over a block (a shared formula)",
    "dataTable": "data table (What-If Analysis)",
}


def covering_formula_problem(
    grid: SheetGrid,
    status_column: int,
    rows: Iterable[int],
    rules_tab: str | None = None,
) -> str | None:
    """Return why statuses cannot go into ``rows`` of ``status_column``, or None.

    A status cannot go where a formula's block covers the status cell, as
    the module's docstring explains, nor into a status cell whose formula
    reads empty. Sheets without such formulas, most of them, cost one pass
    over ``grid.range_formulas`` and the empty formula results.

    :param status_column: the 0-based status column.
    :param rows: the 1-based rows whose status cells a run would write.
    :param rules_tab: the definition's Rules tab, where the fix's setting goes.
    """
    covering = [
        formula
        for formula in grid.range_formulas
        if formula.first_column <= status_column <= formula.last_column
    ]
    blank_formulas = _blank_formula_rows(grid, status_column)
    if not covering and not blank_formulas:
        return None

    written = sorted(set(rows))
    if blank_formulas:
        named = [row for row in written if row in blank_formulas]
        if named:
            return _describe_blank_formulas(grid, status_column, named, rules_tab)
    for formula in covering:
        index = bisect_left(written, formula.first_row)
        if index < len(written) and written[index] <= formula.last_row:
            return _describe_covering_formula(
                grid, formula, (written[index], status_column), rules_tab
            )
    return None


def _blank_formula_rows(grid: SheetGrid, status_column: int) -> set[int]:
    """Return the rows whose cell in ``status_column`` is a formula that reads empty.

    Such a cell looks free, but a status written there would delete the
    formula, such as ``=IF(B2="Won","won","")`` typed into the status column.
    """
    return {
        row
        for cells in (grid.empty_formula_results, grid.unsaved_formula_results)
        for row, column in cells
        if column == status_column
    }


def _describe_blank_formulas(
    grid: SheetGrid, status_column: int, rows: list[int], rules_tab: str | None
) -> str:
    letter = column_letter(status_column)
    cells = [f"{letter}{row}" for row in rows]
    named = ", ".join(cells[:_NAMED_BLOCKS])
    if len(cells) > _NAMED_BLOCKS:
        named += f" and {len(cells) - _NAMED_BLOCKS} more"
    if len(cells) == 1:
        cells_contain, formulas = f"status cell {named} contains a formula", "it"
    else:
        cells_contain, formulas = f"status cells {named} contain formulas", "them"
    return (
        f"{grid.describe_location()}: {cells_contain} whose result is empty, "
        f"and pipesheet does not overwrite formulas. Move {formulas} out of "
        f"column {letter}, or give the statuses a column of their own: set "
        f"outputs.status_header {setting_place(rules_tab)} to a header no column "
        "has, and runs add the status column right of your cells."
    )


def _describe_covering_formula(
    grid: SheetGrid,
    formula: RangeFormula,
    status_cell: tuple[int, int],
    rules_tab: str | None,
) -> str:
    row, column = status_cell
    cell = f"{column_letter(column)}{row}"
    anchor = f"{column_letter(formula.first_column)}{formula.first_row}"
    block = range_ref(
        formula.first_row,
        formula.first_column,
        formula.last_row,
        formula.last_column,
    )
    kind = _FORMULA_KINDS.get(formula.kind, "formula")
    letter = column_letter(column)
    if anchor == cell:
        where = (
            f"status cell {cell} contains {_with_article(kind)} whose results "
            f"fill {block}, "
            "so replacing it with a status would change the other cells of "
            f"{block}."
        )
    else:
        where = (
            f"status cell {cell} lies in {block}, the range of the {kind} in "
            f"{anchor}, so a status written there would change that formula's "
            "results."
        )
    if anchor == cell:
        fix = f"Move the formula out of column {letter} or delete it"
    else:
        fix = f"Move the formula so that its range leaves column {letter} free"
    return (
        f"{grid.describe_location()}: {where} {fix}, or give the statuses a column of "
        f"their own: set outputs.status_header {setting_place(rules_tab)} to a "
        "header no column has, and runs add the status column right of your cells."
    )


def _with_article(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def merged_status_cells(
    grid: SheetGrid,
    status_column: int,
    rows: tuple[int, int],
    status_header: str,
    status_rows: Iterable[int] | None = None,
    rules_tab: str | None = None,
) -> str | None:
    """Return a warning when merged blocks hide status cells, else None.

    A status cell is hidden when a merged block covers it but does not start
    at it: Excel shows only the block's first cell.

    :param status_column: the 0-based status column.
    :param rows: the 1-based rows of the status header and of the last status.
    :param status_header: the header text that marks the status column.
    :param status_rows: the rows that get a status, when the caller knows
        them. A block over other rows, such as a section heading merged
        across the table, hides no status then.
    :param rules_tab: the definition's Rules tab, where the fix's setting goes.
    """
    hiding = [
        (top, left, bottom, right)
        for top, left, bottom, right in grid.merged
        if left <= status_column <= right
        and _hidden_rows((top, left, bottom, right), status_column, rows)
    ]
    if hiding and status_rows is not None:
        written = sorted(status_rows)
        hiding = [
            block
            for block in hiding
            if _holds_row(written, _hidden_rows(block, status_column, rows))
        ]
    if not hiding:
        return None

    letter = column_letter(status_column)
    blocks = [range_ref(*block) for block in sorted(hiding)]
    named = ", ".join(blocks[:_NAMED_BLOCKS])
    if len(blocks) > _NAMED_BLOCKS:
        named += f" and {len(blocks) - _NAMED_BLOCKS} more"
    elif len(blocks) > 1:
        named = ", ".join(blocks[:-1]) + " and " + blocks[-1]
    if len(blocks) == 1:
        merges, verb, pronoun = "merged block", "covers", "it"
    else:
        merges, verb, pronoun = "merged blocks", "cover", "them"
    return (
        f"{grid.describe_location()}: the {merges} {named} {verb} the status "
        f"column {letter}, and Excel shows only the first cell of a merged "
        f"block, so the statuses pipesheet writes under {pronoun} are hidden. "
        "Unmerge those cells (Home > Merge & Center > Unmerge Cells), or give "
        "the statuses a column of their own: set outputs.status_header "
        f"{setting_place(rules_tab)} to a header no column has, such as "
        f"{status_header + ' 2'!r}. The next run then adds the status column "
        f"right of your cells and asks you to delete column {letter}."
    )


def _hidden_rows(
    block: tuple[int, int, int, int], status_column: int, rows: tuple[int, int]
) -> range:
    """Return the rows of ``rows`` whose status cell ``block`` hides.

    A block that starts in the status column shows its first cell there.
    """
    top, left, bottom, _right = block
    first_hidden = top if left < status_column else top + 1
    return range(max(first_hidden, rows[0]), min(bottom, rows[1]) + 1)


def _holds_row(written: list[int], hidden: range) -> bool:
    """Return True when the sorted ``written`` rows include one of ``hidden``."""
    index = bisect_left(written, hidden.start)
    return index < len(written) and written[index] < hidden.stop
