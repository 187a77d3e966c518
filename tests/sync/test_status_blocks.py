"""Formula ranges and merged blocks over status cells: runs stop or warn."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import xlsxwriter  # type: ignore[import-untyped]
from click.testing import CliRunner, Result

from rules.grid import RangeFormula, SheetGrid
from sync.cli import cli
from sync.status_blocks import covering_formula_problem, merged_status_cells

DEFINITION = """\
name: blocks
source: {kind: excel, path: deals.xlsx, tab: Deals}
columns:
  id: {aliases: [Deal ID], required: true}
  stage: {aliases: [Stage], required: true}
  owner: {aliases: [Owner]}
stages:
  - {name: Lead}
  - {name: Won, outcome: won}
"""
HEADER = ["Deal ID", "Stage", "Owner", "Notes", "pipesheet status"]
SPILL_PROBLEM = (
    "Workbook 'deals.xlsx', tab 'Deals': status cell E3 lies in D3:E3, the "
    "range of the array formula or dynamic array in D3, so a status written "
    "there would change that formula's results. Move the formula so that its "
    "range leaves column E free, or give the statuses a column of their own: "
    "set outputs.status_header in the definition to a header no column has, "
    "and runs add the status column right of your cells."
)
MERGE_WARNING = (
    "Workbook 'deals.xlsx', tab 'Deals': the merged block D3:E3 covers the "
    "status column E, and Excel shows only the first cell of a merged block, "
    "so the statuses pipesheet writes under it are hidden. Unmerge those cells "
    "(Home > Merge & Center > Unmerge Cells), or give the statuses a column of "
    "their own: set outputs.status_header in the definition to a header no "
    "column has, such as 'pipesheet status 2'. The next run then adds the "
    "status column right of your cells and asks you to delete column E."
)


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("blocks.yaml").write_text(DEFINITION, encoding="utf-8")


def write_deals(kind: str) -> None:
    """Write three deals with the status column E and ``kind`` reaching into E3.

    Deal D-2 on row 3 has an unknown stage, so its status changes.
    """
    workbook = xlsxwriter.Workbook("deals.xlsx")
    sheet = workbook.add_worksheet("Deals")
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, ["D-1", "Lead", "Ana", "a", "OK"])
    sheet.write_row(2, 0, ["D-2", "Bogus", "Ana"])
    sheet.write_row(3, 0, ["D-3", "Lead", "Ana", "c", "OK"])
    if kind == "spill":
        sheet.write_dynamic_array_formula(
            "D3:E3", '=_xlfn.TEXTSPLIT("a b"," ")', None, "a"
        )
    elif kind == "array":
        sheet.write_array_formula("D3:E3", '{=B2:C2&""}', None, "Lead")
    elif kind == "array without id":
        # Row 5 is a deal without an ID, so it gets a status too.
        sheet.write_row(4, 0, [None, "Lead", "Bo"])
        sheet.write_array_formula("E5:E6", '{=A2:A3&""}', None, "D-1")
    elif kind == "merge":
        sheet.merge_range("D3:E3", "merged note")
    elif kind == "merge on totals":
        # A totals row gets no status, so a merged block there hides none.
        sheet.write("A6", "Total")
        sheet.merge_range("D6:E6", "footnote")
    elif kind == "spill on totals":
        sheet.write("A6", "Total")
        sheet.write_dynamic_array_formula("D6:E6", '=_xlfn.TEXTSPLIT("a b"," ")')
    workbook.close()


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def run(*extra: str) -> Result:
    return invoke(
        "run", "blocks.yaml", "--no-state", "--as-of", "2026-12-06", "--json", *extra
    )


@pytest.mark.parametrize("kind", ["spill", "array"], ids=["spill", "legacy-array"])
def test_run_refuses_status_in_array_range(kind: str) -> None:
    write_deals(kind)
    before = Path("deals.xlsx").read_bytes()

    result = run()

    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error["message"] == f"{SPILL_PROBLEM} Nothing was written."
    assert Path("deals.xlsx").read_bytes() == before


def test_dry_run_lists_array_range_as_blocker() -> None:
    write_deals("spill")

    result = run("--dry-run")

    report = json.loads(result.stdout)
    assert result.exit_code == 1
    assert report["blockers"] == [SPILL_PROBLEM]
    assert report["planned"]["status_cells"] == 0


def test_doctor_fails_on_array_range() -> None:
    write_deals("spill")

    result = invoke("doctor", "blocks.yaml", "--state", "none.sqlite", "--json")

    checks = {check["name"]: check for check in json.loads(result.stdout)["checks"]}
    assert result.exit_code == 1
    assert checks["Status"]["outcome"] == "failed"
    assert checks["Status"]["detail"] == SPILL_PROBLEM


def test_doctor_fails_on_array_over_row_without_id() -> None:
    write_deals("array without id")
    problem = (
        "Workbook 'deals.xlsx', tab 'Deals': status cell E5 contains an array "
        "formula or dynamic array whose results fill E5:E6, so replacing it "
        "with a status would change the other cells of E5:E6. Move the formula "
        "out of column E or delete it, or give the statuses a column of their "
        "own: set outputs.status_header in the definition to a header no column "
        "has, and runs add the status column right of your cells."
    )

    ran = run()
    doctor = invoke("doctor", "blocks.yaml", "--state", "none.sqlite", "--json")

    assert ran.exit_code == 1
    assert (
        json.loads(ran.stdout)["error"]["message"] == f"{problem} Nothing was written."
    )
    checks = {check["name"]: check for check in json.loads(doctor.stdout)["checks"]}
    assert doctor.exit_code == 1
    assert checks["Status"]["outcome"] == "failed"
    assert checks["Status"]["detail"] == problem


@pytest.mark.parametrize(
    "kind", ["spill on totals", "merge on totals"], ids=["spill", "merge"]
)
def test_doctor_passes_block_on_totals_row(kind: str) -> None:
    write_deals(kind)

    result = invoke("doctor", "blocks.yaml", "--state", "none.sqlite", "--json")

    checks = {check["name"]: check for check in json.loads(result.stdout)["checks"]}
    assert checks["Status"]["outcome"] == "passed", checks["Status"]["detail"]


def test_run_ignores_array_range_on_totals_row() -> None:
    write_deals("spill on totals")

    result = run()

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["warnings"] == []


def test_status_cell_anchoring_array_refused() -> None:
    grid = SheetGrid(
        "w.xlsx", "Deals", range_formulas=[RangeFormula("array", 5, 4, 7, 4)]
    )

    problem = covering_formula_problem(grid, 4, [2, 5, 9])

    assert problem == (
        "Workbook 'w.xlsx', tab 'Deals': status cell E5 contains an array formula "
        "or dynamic array whose results fill E5:E7, so replacing it with a status "
        "would change the other cells of E5:E7. Move the formula out of column E "
        "or delete it, or give the statuses a column of their own: set "
        "outputs.status_header in the definition to a header no column has, and "
        "runs add the status column right of your cells."
    )


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("shared", "formula filled over a block (a shared formula)"),
        ("dataTable", "data table (What-If Analysis)"),
    ],
    ids=["shared", "data-table"],
)
def test_formula_kind_named(kind: str, name: str) -> None:
    grid = SheetGrid("w.xlsx", "Deals", range_formulas=[RangeFormula(kind, 2, 2, 9, 5)])

    problem = covering_formula_problem(grid, 4, [7])

    assert problem is not None
    assert f"status cell E7 lies in C2:F9, the range of the {name} in C2," in problem


def test_block_fixes_name_rules_tab() -> None:
    grid = SheetGrid(
        "w.xlsx",
        "Deals",
        range_formulas=[RangeFormula("array", 5, 4, 7, 4)],
        merged=[(3, 3, 3, 4)],
    )
    setting = "set outputs.status_header in the Setting table of tab 'Rules' to"

    formula = covering_formula_problem(grid, 4, [5], "Rules")
    merged = merged_status_cells(grid, 4, (1, 9), "pipesheet status", None, "Rules")

    assert formula is not None
    assert setting in formula
    assert merged is not None
    assert setting in merged


def test_formula_beside_status_rows_allowed() -> None:
    grid = SheetGrid(
        "w.xlsx", "Deals", range_formulas=[RangeFormula("array", 5, 3, 7, 4)]
    )

    assert covering_formula_problem(grid, 4, [2, 4, 8]) is None
    assert covering_formula_problem(grid, 5, [5, 6]) is None


def test_run_warns_of_merge_over_status() -> None:
    write_deals("merge")

    result = run()

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["warnings"] == [MERGE_WARNING]


def test_doctor_warns_of_merge_over_status() -> None:
    write_deals("merge")

    result = invoke("doctor", "blocks.yaml", "--state", "none.sqlite", "--json")

    checks = {check["name"]: check for check in json.loads(result.stdout)["checks"]}
    assert checks["Status"]["outcome"] == "warned"
    assert checks["Status"]["detail"] == MERGE_WARNING


def test_merge_warning_advice_clears_warning() -> None:
    write_deals("merge")
    run()
    definition = Path("blocks.yaml").read_text(encoding="utf-8")
    Path("blocks.yaml").write_text(
        definition + "outputs: {status_header: pipesheet status 2}\n",
        encoding="utf-8",
    )

    result = run()

    report = json.loads(result.stdout)
    assert result.exit_code == 0, result.output
    assert report["warnings"] == []
    assert [finding["code"] for finding in report["findings"]] == [
        "old-status-column",
        "unknown-stage",
    ]
    assert report["findings"][0]["message"].endswith("delete column E.")


def test_merge_warning_lists_blocks_in_row_order() -> None:
    blocks = [(3, 3, 3, 4), (4, 3, 4, 4), (2, 3, 2, 4), (5, 3, 5, 4)]
    grid = SheetGrid("w.xlsx", "Deals", merged=blocks)

    warning = merged_status_cells(grid, 4, (1, 9), "pipesheet status")

    assert warning is not None
    assert "merged blocks D2:E2, D3:E3, D4:E4 and 1 more cover" in warning


def test_run_ignores_merge_on_totals_row() -> None:
    write_deals("merge on totals")

    result = run()

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["warnings"] == []


@pytest.mark.parametrize(
    ("block", "hidden"),
    [
        ((3, 3, 3, 4), True),
        ((3, 4, 3, 5), False),
        ((3, 4, 4, 4), True),
        ((1, 4, 1, 6), False),
    ],
    ids=["from-left", "starts-at-status", "down-from-status", "header-across"],
)
def test_merge_hides_status_unless_first_cell(
    block: tuple[int, int, int, int], hidden: bool
) -> None:
    grid = SheetGrid("w.xlsx", "Deals", merged=[block])

    warning = merged_status_cells(grid, 4, (1, 9), "pipesheet status")

    assert (warning is not None) is hidden
