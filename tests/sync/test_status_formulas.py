"""Formulas whose result is empty count as filled cells where statuses go."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter  # type: ignore[import-untyped]
from click.testing import CliRunner, Result

from rules.deals import ColumnMap
from rules.grid import CellValue, SheetGrid
from sync.cli import cli
from sync.planner import choose_status_column
from sync.status_blocks import covering_formula_problem
from sync.status_formulas import with_status_formulas

DEFINITION = """\
name: helpers
source: {kind: excel, path: deals.xlsx, tab: Deals}
columns:
  id: {aliases: [Deal ID], required: true}
  stage: {aliases: [Stage], required: true}
stages:
  - {name: Lead}
  - {name: Won, outcome: won}
"""
HELPER = '=IF(B{row}="Won","won","")'
STATUS_FORMULA_PROBLEM = (
    "Workbook 'deals.xlsx', tab 'Deals': status cell C3 contains a formula "
    "whose result is empty, and pipesheet does not overwrite formulas. Move it "
    "out of column C, or give the statuses a column of their own: set "
    "outputs.status_header in the definition to a header no column has, and "
    "runs add the status column right of your cells."
)


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("helpers.yaml").write_text(DEFINITION, encoding="utf-8")


def write_helper_column(writer: str) -> None:
    """Write two deals in A:B and formulas with empty results in C2:C3.

    XlsxWriter saves the result "" (``<v></v>``), openpyxl saves no result.
    """
    rows = [["Deal ID", "Stage"], ["D-1", "Lead"], ["D-2", "Lead"]]
    if writer == "xlsxwriter":
        workbook = xlsxwriter.Workbook("deals.xlsx")
        sheet = workbook.add_worksheet("Deals")
        for index, row in enumerate(rows):
            sheet.write_row(index, 0, row)
        for row in (2, 3):
            sheet.write_formula(f"C{row}", HELPER.format(row=row), None, "")
        workbook.close()
        return
    book = openpyxl.Workbook()
    assert book.active is not None
    sheet = book.active
    sheet.title = "Deals"
    for row_values in rows:
        sheet.append(row_values)
    for row in (2, 3):
        sheet[f"C{row}"] = HELPER.format(row=row)
    book.save("deals.xlsx")


def write_formula_in_status_cell() -> None:
    """Write statuses in column C and a formula with an empty result in C3."""
    workbook = xlsxwriter.Workbook("deals.xlsx")
    sheet = workbook.add_worksheet("Deals")
    sheet.write_row(0, 0, ["Deal ID", "Stage", "pipesheet status"])
    sheet.write_row(1, 0, ["D-1", "Lead", "OK"])
    sheet.write_row(2, 0, ["D-2", "Lead"])
    sheet.write_formula("C3", HELPER.format(row=3), None, "")
    workbook.close()


def sheet_cells(*references: str) -> dict[str, str]:
    """Return the XML of each named cell of the Deals sheet, up to its end tag."""
    with zipfile.ZipFile("deals.xlsx") as package:
        xml = package.read("xl/worksheets/sheet1.xml").decode("utf-8")
    cells = {}
    for reference in references:
        start = xml.index(f'<c r="{reference}"')
        cells[reference] = xml[start : xml.index("</c>", start)]
    return cells


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def run(*extra: str) -> Result:
    return invoke(
        "run", "helpers.yaml", "--no-state", "--as-of", "2026-12-06", "--json", *extra
    )


def doctor_checks() -> dict[str, dict[str, str]]:
    result = invoke("doctor", "helpers.yaml", "--state", "none.sqlite", "--json")
    return {check["name"]: check for check in json.loads(result.stdout)["checks"]}


@pytest.mark.parametrize("writer", ["xlsxwriter", "openpyxl"])
def test_status_column_right_of_helper_formulas(writer: str) -> None:
    write_helper_column(writer)

    result = run()

    assert result.exit_code == 0, result.output
    cells = sheet_cells("C2", "C3", "D1", "D2", "D3")
    assert "<f>" in cells["C2"]
    assert "<f>" in cells["C3"]
    assert "pipesheet status" in cells["D1"]
    assert ">OK<" in cells["D2"]
    assert ">OK<" in cells["D3"]


@pytest.mark.parametrize("writer", ["xlsxwriter", "openpyxl"])
def test_doctor_names_column_right_of_formulas(writer: str) -> None:
    write_helper_column(writer)

    checks = doctor_checks()

    assert checks["Status"]["outcome"] == "passed"
    assert checks["Status"]["detail"] == "column D, headed 'pipesheet status'"


def test_run_stops_at_formula_in_status_cell() -> None:
    write_formula_in_status_cell()
    before = Path("deals.xlsx").read_bytes()

    result = run()

    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["message"] == f"{STATUS_FORMULA_PROBLEM} Nothing was written."
    assert Path("deals.xlsx").read_bytes() == before


def test_doctor_fails_on_formula_in_status_cell() -> None:
    write_formula_in_status_cell()

    checks = doctor_checks()

    assert checks["Status"]["outcome"] == "failed"
    assert checks["Status"]["detail"] == STATUS_FORMULA_PROBLEM


def test_choose_status_column_passes_formula_cells() -> None:
    columns = ColumnMap(1, ["Deal ID", "Stage"], {}, status_column=None)
    rows: list[list[CellValue]] = [["Deal ID", "Stage"], ["D-1", "Lead"]]
    empty = SheetGrid(
        "w.xlsx", "Deals", rows, empty_formula_results=frozenset({(2, 3)})
    )
    unsaved = SheetGrid(
        "w.xlsx", "Deals", rows, unsaved_formula_results=frozenset({(9, 2)})
    )

    assert choose_status_column(empty, columns) == 4
    assert choose_status_column(unsaved, columns) == 3


def test_status_formula_problem_names_cells() -> None:
    grid = SheetGrid(
        "w.xlsx",
        "Deals",
        empty_formula_results=frozenset({(2, 4), (3, 4), (5, 4), (7, 4), (9, 4)}),
        unsaved_formula_results=frozenset({(4, 4)}),
    )

    problem = covering_formula_problem(grid, 4, [1, 2, 3, 4, 5, 6, 7, 9])
    beside = covering_formula_problem(grid, 3, [2, 3])
    unwritten = covering_formula_problem(grid, 4, [6, 8])

    assert problem is not None
    assert problem.startswith(
        "Workbook 'w.xlsx', tab 'Deals': status cells E2, E3, E4 and 3 more contain "
        "formulas whose result is empty, and pipesheet does not overwrite formulas. "
        "Move them out of column E,"
    )
    assert beside is None
    assert unwritten is None


class FormulaReader:
    """A source that reads formulas in the given cells, recording each read."""

    def __init__(self, formulas: set[tuple[int, int]]) -> None:
        self.formulas = formulas
        self.reads: list[list[tuple[int, int, int, int]]] = []

    def read_formula_cells(
        self, grid: SheetGrid, blocks: list[tuple[int, int, int, int]]
    ) -> frozenset[tuple[int, int]]:
        self.reads.append(list(blocks))
        return frozenset(
            (row, column)
            for row, column in self.formulas
            for top, left, bottom, right in blocks
            if top <= row <= bottom and left <= column <= right
        )


def test_status_formulas_read_empty_status_cells() -> None:
    rows: list[list[CellValue]] = [
        ["Deal ID", "Stage", "pipesheet status"],
        ["D-1", "Lead", "OK"],
        ["D-2", "Lead"],
        ["D-3", "Lead"],
        ["D-4", "Lead", "OK"],
        ["D-5", "Lead", None],
    ]
    grid = SheetGrid("s", "Deals", rows, max_columns=18_278)
    reader = FormulaReader({(3, 2)})

    found = with_status_formulas(reader, grid, 2, [1, 2, 3, 4, 5, 6], new_column=False)

    assert reader.reads == [[(3, 2, 4, 2), (6, 2, 6, 2)]]
    assert found.empty_formula_results == {(3, 2)}


def test_status_formulas_read_new_column_to_sheet_end() -> None:
    rows: list[list[CellValue]] = [["Deal ID", "Stage"], ["D-1", "Lead"]]
    grid = SheetGrid("s", "Deals", rows, max_columns=18_278)
    reader = FormulaReader(set())

    found = with_status_formulas(reader, grid, 2, [], new_column=True)

    assert reader.reads == [[(1, 2, 2, 18_277)]]
    assert found is grid


def test_status_formulas_skip_filled_status_cells() -> None:
    rows: list[list[CellValue]] = [["Deal ID", "pipesheet status"], ["D-1", "OK"]]
    grid = SheetGrid("s", "Deals", rows)
    reader = FormulaReader({(2, 1)})

    found = with_status_formulas(reader, grid, 1, [1, 2], new_column=False)

    assert reader.reads == []
    assert found is grid
