"""Point a blank-cell finding at the formula that left its cell empty."""

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
