"""Runs, dry runs and doctor warn of charts that lie over the status column."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import xlsxwriter  # type: ignore[import-untyped]
from click.testing import CliRunner, Result

from rules.grid import DrawingBlock, SheetGrid
from sync.cli import cli
from sync.status_drawings import covered_status_column

DEFINITION = """\
name: chart
source: {kind: excel, path: deals.xlsx, tab: Deals}
columns:
  id: {aliases: [Deal ID], required: true}
  stage: {aliases: [Stage], required: true}
  amount: {aliases: [Amount]}
stages:
  - {name: Lead, probability: 0.1}
  - {name: Won, outcome: won}
"""
CHART_WARNING = (
    "Workbook 'deals.xlsx', tab 'Deals': chart 'Chart 1' (anchored over "
    "E2:L16) lies over the status column E (cells E1:E3), so the statuses "
    "pipesheet writes there are hidden behind it. Move it off column E, or type "
    "the status header 'pipesheet status' into the header row of an empty "
    "column that no drawing covers: runs then write the statuses there."
)


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("chart.yaml").write_text(DEFINITION, encoding="utf-8")


def write_deals(chart_cell: str) -> None:
    """Write two deals in A:D (the status goes to E) and a chart at ``chart_cell``."""
    workbook = xlsxwriter.Workbook("deals.xlsx")
    sheet = workbook.add_worksheet("Deals")
    sheet.write_row(0, 0, ["Deal ID", "Stage", "Amount", "Notes"])
    sheet.write_row(1, 0, ["D-1", "Lead", 100, "call"])
    sheet.write_row(2, 0, ["D-2", "Won", 200, "signed"])
    chart = workbook.add_chart({"type": "column"})
    chart.add_series({"values": "=Deals!$C$2:$C$3"})
    # XlsxWriter's chart is 480 by 288 pixels: 7.5 columns and 14.4 rows.
    sheet.insert_chart(chart_cell, chart, {"x_offset": 0, "y_offset": 0})
    workbook.close()


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def run_warnings(*extra: str) -> list[str]:
    result = invoke(
        "run", "chart.yaml", "--no-state", "--as-of", "2026-12-06", "--json", *extra
    )
    assert result.exit_code == 0, result.output
    warnings: list[str] = json.loads(result.stdout)["warnings"]
    return warnings


def test_run_warns_of_chart_over_status() -> None:
    write_deals("E2")

    assert run_warnings() == [CHART_WARNING]


def test_dry_run_warns_of_chart_over_status() -> None:
    write_deals("E2")

    assert run_warnings("--dry-run") == [CHART_WARNING]


@pytest.mark.parametrize(
    "chart_cell", ["F2", "A6"], ids=["right-of-status", "below-deals"]
)
def test_chart_beside_status_not_warned(chart_cell: str) -> None:
    write_deals(chart_cell)

    assert run_warnings() == []


def test_doctor_warns_of_chart_over_status() -> None:
    write_deals("E2")

    result = invoke("doctor", "chart.yaml", "--json")

    [status] = [
        check
        for check in json.loads(result.stdout)["checks"]
        if check["name"] == "Status"
    ]
    assert result.exit_code == 0
    assert status["outcome"] == "warned"
    assert status["detail"] == CHART_WARNING


def test_several_objects_listed() -> None:
    grid = SheetGrid(
        "deals.xlsx",
        "Deals",
        drawings=[
            DrawingBlock("chart", "Chart 1", 2, 4, 16, 11),
            DrawingBlock("picture", "", 1, 4, 3, 5, estimated=True),
            DrawingBlock("shape", "Far", 40, 4, 50, 6),
        ],
    )

    warning = covered_status_column(grid, 4, (1, 3), "Check")

    assert warning == (
        "Workbook 'deals.xlsx', tab 'Deals': chart 'Chart 1' (anchored over "
        "E2:L16) and picture (anchored at about E1:F3, estimated from its size) "
        "lie over the status column E (cells E1:E3), so the statuses pipesheet "
        "writes there are hidden behind them. Move them off column E, or type "
        "the status header 'Check' into the header row of an empty column that "
        "no drawing covers: runs then write the statuses there."
    )
