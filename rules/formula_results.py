"""Point a blank-cell finding at the formula that left its cell empty.

Also warn of formula cells saved without a result, which read as empty.
"""

from __future__ import annotations

import dataclasses

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
    """Name the cell of each blank-cell finding whose formula gives empty text.

    Typing over such a cell would delete its formula, so the message points
    to the cells the formula reads, or to the formula itself. For example, a finding on
    Amount in row 2, where E2 holds ``=IF(F2="","",F2*G2)``, gets the param
    ``formula_cell`` ``"E2"``.
    """
    if not grid.empty_formula_results:
        return findings
    noted = []
    for finding in findings:
        column = columns.fields.get(finding.field or "")
        position = (finding.row, column)
        if (
            finding.code in _BLANK_CELL_CODES
            and column is not None
            and position in grid.empty_formula_results
        ):
            cell = f"{column_letter(column)}{finding.row}"
            params = {**finding.params, "formula_cell": cell}
            finding = dataclasses.replace(finding, params=params)
        noted.append(finding)
    return noted


# How many cells a warning of formulas without a saved result names.
NAMED_CELLS = 5


def describe_unsaved_formula_results(grid: SheetGrid, columns: ColumnMap) -> str | None:
    """Return a warning when cells the rules read are formulas without a result.

    A program that writes formulas without calculating them, such as a
    script using openpyxl, saves no result, so the cells read as empty and
    their rows get findings for blank values. Excel and LibreOffice save the
    results when they save the file.
    """
    read = set(columns.fields.values())
    cells = sorted(
        (row, column)
        for row, column in grid.unsaved_formula_results
        if row > columns.header_row and column in read
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
        f"Workbook {grid.workbook!r}, tab {grid.tab!r}: {subject} as empty. The "
        "workbook was last saved by a program that does not calculate formulas. "
        "Open it in Excel or LibreOffice, save it, and run again."
    )
