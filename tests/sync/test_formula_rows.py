"""Rows of an Excel workbook whose only filled cells hold formulas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pytest
import xlsxwriter  # type: ignore[import-untyped]
from python_calamine import CalamineWorkbook

from config.loader import parse_pipeline
from config.models import Pipeline
from rules.findings import Code
from sync.run import run_sync
from sync.sources.excel import ExcelWorkbook

AS_OF = dt.date(2026, 12, 1)
HEADER = ["Deal ID", "Account", "Owner", "Stage", "Amount", "Probability"]
DEALS = [
    ["D-1", "Acme", "Ana Lima", "Lead", 1000, 0.1],
    ["D-2", "Globex", "Ben Ortiz", "Proposal", 5000, 0.5],
]
# The status column comes right after the table's calculated column G.
STATUS_COLUMN = 7


def table_workbook(
    path: Path, *, empty_result: str | None = None, old_statuses: Sequence[str] = ()
) -> Path:
    """Write a table A1:G6 with a calculated column and rows 4 to 6 left empty.

    ``empty_result`` is the saved result of the calculated column on the
    empty rows, such as "#N/A" after a LibreOffice round trip; 0 by default.
    ``old_statuses`` go into the status column from row 2 down, under its
    header.
    """
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Deals")
    formula = "=[@Amount]*[@Probability]"
    columns = [{"header": header} for header in HEADER]
    columns.append({"header": "Weighted", "formula": formula})
    sheet.add_table(0, 0, 5, len(columns) - 1, {"name": "Pipeline", "columns": columns})
    for row, deal in enumerate(DEALS, start=1):
        sheet.write_row(row, 0, deal)
    if empty_result is not None:
        for row in (3, 4, 5):
            sheet.write_formula(row, len(HEADER), formula, None, empty_result)
    if old_statuses:
        sheet.write_column(0, STATUS_COLUMN, ["pipesheet status", *old_statuses])
    workbook.close()
    return path


def team_pipeline() -> Pipeline:
    data = {
        "name": "Team",
        "source": {"path": "team.xlsx", "tab": "Deals"},
        "columns": {
            "id": {"aliases": ["Deal ID"], "required": True},
            "stage": {"aliases": ["Stage"], "required": True},
            "account": {"aliases": ["Account"]},
            "owner": {"aliases": ["Owner"]},
            "amount": {"aliases": ["Amount"]},
            "probability": {"aliases": ["Probability"]},
        },
        "stages": [
            {"name": "Lead", "probability": 0.1},
            {"name": "Proposal", "probability": 0.5},
            {"name": "Closed Won", "outcome": "won"},
        ],
        "followups": {"require_next_step_date": False},
    }
    return parse_pipeline(data, origin="team.yaml")


def statuses(path: Path) -> list[object]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Deals").to_python()
    return [row[STATUS_COLUMN] if len(row) > STATUS_COLUMN else "" for row in rows]


@pytest.mark.parametrize("empty_result", [None, "#N/A"], ids=["zero", "error"])
def test_empty_table_rows_are_no_deals(
    tmp_path: Path, empty_result: str | None
) -> None:
    path = table_workbook(tmp_path / "team.xlsx", empty_result=empty_result)
    pipeline = team_pipeline()

    result = run_sync(pipeline, ExcelWorkbook(path), AS_OF)

    assert [deal.deal_id for deal in result.deals] == ["D-1", "D-2"]
    codes = {finding.code for finding in result.findings}
    assert Code.MISSING_ID not in codes
    assert Code.SECTION_HEADING not in codes
    assert statuses(path)[3:] == ["", "", ""]


def test_old_statuses_of_empty_table_rows_emptied(tmp_path: Path) -> None:
    # What an earlier version wrote beside the empty rows.
    missing_id = "ERROR: missing Deal ID (+1 more problem)"
    old = ["OK", "OK", missing_id, missing_id, missing_id]
    path = table_workbook(tmp_path / "team.xlsx", old_statuses=old)
    pipeline = team_pipeline()

    result = run_sync(pipeline, ExcelWorkbook(path), AS_OF)

    assert len(result.deals) == 2
    assert statuses(path)[3:] == ["", "", ""]
