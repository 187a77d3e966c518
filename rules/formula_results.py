"""Point a blank-cell finding at the formula that left its cell empty.

Also warn of formula cells saved without a result, which read as empty.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

from rules.deals import ColumnMap
from rules.findings import Code, Finding
from rules.grid import SheetGrid, column_letter

# The findings that ask to fill in a blank cell.
_BLANK_CELL_CODES = frozenset(
    {Code.MISSING_REQUIRED, Code.MISSING_ID, Code.NO_NEXT_STEP}
)


def note_empty_formula_results(
    findings: list[Finding], grid: SheetGrid, columns: ColumnMap
) -> list[Finding]:
    """Name the cell of each blank-cell finding whose formula left it empty.

    Typing over such a cell would delete its formula, so the message points
    to the cells the formula reads, or to the formula itself. For example, a
    finding on Amount in row 2, where E2 holds ``=IF(F2="","",F2*G2)``, gets
    the param ``formula_cell`` ``"E2"``. Where E2's formula was saved without
    a result, the param is ``unsaved_cell``. Its message names a fix: saving
    the workbook in a program that calculates formulas.
    """
    if not grid.empty_formula_results and not grid.unsaved_formula_results:
        return findings
    noted = []
    for finding in findings:
        column = columns.fields.get(finding.field or "")
        if finding.code in _BLANK_CELL_CODES and column is not None:
            finding = _name_formula_cell(finding, grid, column)
        noted.append(finding)
    return noted


def _name_formula_cell(finding: Finding, grid: SheetGrid, column: int) -> Finding:
    position = (finding.row, column)
    if position in grid.unsaved_formula_results:
        param = "unsaved_cell"
    elif position in grid.empty_formula_results:
        param = "formula_cell"
    else:
        return finding
    cell = f"{column_letter(column)}{finding.row}"
    return dataclasses.replace(finding, params={**finding.params, param: cell})


# How many cells a warning of formulas without a saved result names.
NAMED_CELLS = 5


def describe_unsaved_formula_results(
    grid: SheetGrid, columns: ColumnMap, deal_rows: Collection[int]
) -> str | None:
    """Return a warning when cells the rules read are formulas without a result.

    A program that writes formulas without calculating them, such as a
    script using openpyxl, saves no result, so the cells read as empty and
    their rows get findings for blank values. Excel and LibreOffice save the
    results when they save the file. Only cells on ``deal_rows`` count, so
    the formulas of a totals row, which the rules do not read, are left out.
    """
    read = set(columns.fields.values())
    cells = sorted(
        (row, column)
        for row, column in grid.unsaved_formula_results
        if row in deal_rows and column in read
    )
    if not cells:
        return None
    named = ", ".join(
        f"{column_letter(column)}{row}" for row, column in cells[:NAMED_CELLS]
    )
    more = ", …" if len(cells) > NAMED_CELLS else ""
    if len(cells) == 1:
        subject = (
            f"cell {named} contains a formula saved without its result, so it reads"
        )
    else:
        subject = (
            f"{len(cells):,} cells ({named}{more}) contain formulas saved without "
            "their results, so they read"
        )
    return (
        f"{grid.describe_location()}: {subject} as empty. The "
        "workbook was last saved by a program that does not calculate formulas. "
        "Open it in Excel or LibreOffice, save it, and run again."
    )
