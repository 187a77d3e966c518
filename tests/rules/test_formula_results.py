from __future__ import annotations

import pytest

from config.models import Locale, Pipeline
from rules.findings import Code, Finding, Severity
from rules.formula_results import (
    describe_unsaved_formula_results,
    note_empty_formula_results,
)
from rules.grid import CellValue, SheetGrid
from rules.headers import match_columns
from rules.messages import render_message

GRID = SheetGrid(
    "Pipeline.xlsx",
    "Deals",
    [["Deal ID", "Stage", "Account", "Amount"], ["D-1", "Proposal"], ["D-2"]],
    empty_formula_results=frozenset({(2, 3), (3, 1)}),
)


def missing(row: int, field: str, column: str, **params: str) -> Finding:
    return Finding(
        Code.MISSING_REQUIRED, Severity.ERROR, row, column, field=field, params=params
    )


def test_formula_cell_named(english_pipeline: Pipeline) -> None:
    findings = [
        missing(2, "amount", "Amount", stage="Proposal"),
        missing(3, "stage", "Stage"),
    ]

    noted = note_empty_formula_results(
        findings, GRID, match_columns(GRID, english_pipeline)
    )

    assert noted[0].params == {"stage": "Proposal", "formula_cell": "D2"}
    assert noted[1].params == {"formula_cell": "B3"}
    assert render_message(noted[0], Locale.EN) == (
        "Amount is required in stage 'Proposal', but the formula in D2 gives an "
        "empty result; fill in the cells it reads, or correct the formula."
    )
    assert render_message(noted[1], Locale.EN) == (
        "Stage is required, but the formula in B3 gives an empty result; fill in "
        "the cells it reads, or correct the formula."
    )
    assert render_message(noted[0], Locale.ZH_CN) == (
        "阶段“Proposal”要求填写Amount，但 D2 中的公式结果为空，"
        "请补上公式引用的单元格，或更正公式。"
    )


@pytest.mark.parametrize(
    "finding",
    [
        missing(2, "account", "Account", stage="Proposal"),
        missing(3, "amount", "Amount"),
        Finding(Code.BAD_AMOUNT, Severity.ERROR, 2, "Amount", "x", field="amount"),
    ],
    ids=["other-column", "other-row", "other-code"],
)
def test_other_findings_unchanged(english_pipeline: Pipeline, finding: Finding) -> None:
    columns = match_columns(GRID, english_pipeline)

    assert note_empty_formula_results([finding], GRID, columns) == [finding]


def test_formula_id_and_next_step_named(english_pipeline: Pipeline) -> None:
    grid = SheetGrid(
        "Pipeline.xlsx",
        "Deals",
        [["Deal ID", "Stage", "Next Step Date"], [None, "Proposal"], ["D-2", "Lead"]],
        empty_formula_results=frozenset({(2, 0), (3, 2)}),
    )
    findings = [
        Finding(Code.MISSING_ID, Severity.ERROR, 2, "Deal ID", field="id"),
        Finding(
            Code.NO_NEXT_STEP,
            Severity.WARNING,
            3,
            "Next Step Date",
            field="next_step_date",
            params={"stage": "Lead"},
        ),
    ]

    noted = note_empty_formula_results(
        findings, grid, match_columns(grid, english_pipeline)
    )

    assert render_message(noted[0], Locale.EN) == (
        "Row 2 has no Deal ID: the formula in A2 gives an empty result; fill in "
        "the cells it reads, or correct the formula, so that the deal has a "
        "unique ID."
    )
    assert render_message(noted[1], Locale.EN) == (
        "Open deal in stage 'Lead' has no Next Step Date: the formula in C3 gives "
        "an empty result; fill in the cells it reads, or correct the formula."
    )


# The rows of unsaved_grid's deals.
DEAL_ROWS = range(2, 10)


def unsaved_grid(cells: set[tuple[int, int]]) -> SheetGrid:
    rows: list[list[CellValue]] = [["Deal ID", "Stage", "Account", "Amount", "Notes"]]
    rows += [[f"D-{row}", "Lead"] for row in range(2, 10)]
    return SheetGrid(
        "Pipeline.xlsx", "Deals", rows, unsaved_formula_results=frozenset(cells)
    )


def test_unsaved_formulas_warned(english_pipeline: Pipeline) -> None:
    grid = unsaved_grid({(row, 3) for row in range(2, 9)})

    warning = describe_unsaved_formula_results(
        grid, match_columns(grid, english_pipeline), DEAL_ROWS
    )

    assert warning == (
        "Workbook 'Pipeline.xlsx', tab 'Deals': 7 cells (D2, D3, D4, D5, D6, …) "
        "contain formulas saved without their results, so they read as empty. The "
        "workbook was last saved by a program that does not calculate formulas. "
        "Open it in Excel or LibreOffice, save it, and run again."
    )


def test_unsaved_formulas_outside_read_cells_ignored(
    english_pipeline: Pipeline,
) -> None:
    # The header row and a column the definition does not read.
    grid = unsaved_grid({(1, 3), (2, 4), (3, 4)})

    columns = match_columns(grid, english_pipeline)

    assert describe_unsaved_formula_results(grid, columns, DEAL_ROWS) is None


def test_unsaved_formulas_off_deal_rows_ignored(english_pipeline: Pipeline) -> None:
    # Row 9 is a totals row: the rules do not read it, so its formulas
    # change nothing.
    grid = unsaved_grid({(9, 3)})

    columns = match_columns(grid, english_pipeline)

    assert describe_unsaved_formula_results(grid, columns, range(2, 9)) is None


def test_unsaved_formula_cell_named(english_pipeline: Pipeline) -> None:
    grid = SheetGrid(
        "Pipeline.xlsx",
        "Deals",
        [["Deal ID", "Stage", "Next Step Date", "Amount"], [None, "Lead"]],
        unsaved_formula_results=frozenset({(2, 0), (2, 2), (2, 3)}),
    )
    findings = [
        Finding(Code.MISSING_ID, Severity.ERROR, 2, "Deal ID", field="id"),
        Finding(
            Code.NO_NEXT_STEP,
            Severity.WARNING,
            2,
            "Next Step Date",
            field="next_step_date",
            params={"stage": "Lead"},
        ),
        missing(2, "amount", "Amount", stage="Lead"),
    ]

    noted = note_empty_formula_results(
        findings, grid, match_columns(grid, english_pipeline)
    )

    assert [finding.params.get("unsaved_cell") for finding in noted] == [
        "A2",
        "C2",
        "D2",
    ]
    assert render_message(noted[0], Locale.EN) == (
        "Row 2 has no Deal ID: the formula in A2 was saved without its result; "
        "open the workbook in Excel or LibreOffice, save it, and run again."
    )
    assert render_message(noted[1], Locale.EN) == (
        "Open deal in stage 'Lead' has no Next Step Date: the formula in C2 was "
        "saved without its result; open the workbook in Excel or LibreOffice, "
        "save it, and run again."
    )
    assert render_message(noted[2], Locale.EN) == (
        "Amount is required in stage 'Lead', but the formula in D2 was saved "
        "without its result; open the workbook in Excel or LibreOffice, save it, "
        "and run again."
    )
    assert render_message(noted[2], Locale.ZH_CN) == (
        "阶段“Lead”要求填写Amount，但 D2 中的公式保存时没有计算结果；"
        "请在 Excel 或 LibreOffice 中打开并保存工作簿，再运行。"
    )
