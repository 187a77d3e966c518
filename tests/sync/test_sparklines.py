"""Sparklines: a new status column goes right of them, and runs warn of others."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import xlsxwriter  # type: ignore[import-untyped]
from click.testing import CliRunner, Result

from rules.grid import SPARKLINE, DrawingBlock
from sync.cli import cli
from sync.xlsx.sparklines import sparkline_blocks

DEFINITION = """\
name: sparklines
source: {kind: excel, path: deals.xlsx, tab: Deals}
columns:
  id: {aliases: [Deal ID], required: true}
  stage: {aliases: [Stage], required: true}
stages:
  - {name: Lead}
  - {name: Won, outcome: won}
"""
SPARKLINE_WARNING = (
    "Workbook 'deals.xlsx', tab 'Deals': the sparkline in F2 and the sparkline "
    "in F3 lie over the status column F (cells F1:F3), so the statuses "
    "pipesheet writes there are drawn over them, and both are hard to read. "
    "Move them off column F, or type the status header 'pipesheet status' into "
    "the header row of an empty column that no drawing covers: runs then write "
    "the statuses there."
)


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("sparklines.yaml").write_text(DEFINITION, encoding="utf-8")


def write_deals(status_header: str | None = None) -> None:
    """Write two deals in A:E and a sparkline of C:E in F2 and F3.

    With ``status_header``, F1 has that header.
    """
    workbook = xlsxwriter.Workbook("deals.xlsx")
    sheet = workbook.add_worksheet("Deals")
    sheet.write_row(0, 0, ["Deal ID", "Stage", "Q1", "Q2", "Q3"])
    sheet.write_row(1, 0, ["D-1", "Lead", 1, 3, 2])
    sheet.write_row(2, 0, ["D-2", "Won", 4, 2, 5])
    if status_header is not None:
        sheet.write("F1", status_header)
    sheet.add_sparkline("F2", {"range": "Deals!C2:E2"})
    sheet.add_sparkline("F3", {"range": "Deals!C3:E3", "type": "column"})
    workbook.close()


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def run() -> dict[str, object]:
    result = invoke(
        "run", "sparklines.yaml", "--no-state", "--as-of", "2026-12-06", "--json"
    )
    assert result.exit_code == 0, result.output
    report: dict[str, object] = json.loads(result.stdout)
    return report


def doctor_status() -> dict[str, str]:
    result = invoke("doctor", "sparklines.yaml", "--state", "none.sqlite", "--json")
    checks = {check["name"]: check for check in json.loads(result.stdout)["checks"]}
    status: dict[str, str] = checks["Status"]
    return status


def test_status_column_right_of_sparklines() -> None:
    write_deals()

    report = run()

    with zipfile.ZipFile("deals.xlsx") as package:
        xml = package.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert report["warnings"] == []
    assert '<c r="F1"' not in xml
    assert '<c r="G1" t="inlineStr"><is><t xml:space="preserve">pipesheet status' in xml
    assert '<c r="G2" t="inlineStr"><is><t xml:space="preserve">OK<' in xml
    assert "<xm:sqref>F2</xm:sqref>" in xml


def test_doctor_names_column_right_of_sparklines() -> None:
    write_deals()

    status = doctor_status()

    assert status["outcome"] == "passed"
    assert status["detail"] == "column G, headed 'pipesheet status'"


def test_run_warns_of_sparklines_in_status_column() -> None:
    write_deals("pipesheet status")

    report = run()

    assert report["warnings"] == [SPARKLINE_WARNING]


def test_doctor_warns_of_sparklines_in_status_column() -> None:
    write_deals("pipesheet status")

    status = doctor_status()

    assert status["outcome"] == "warned"
    assert status["detail"] == SPARKLINE_WARNING


def test_sparkline_blocks_only_in_sparkline_groups() -> None:
    after_cells = (
        b"<extLst><ext><x14:conditionalFormattings><x14:conditionalFormatting>"
        b"<xm:sqref>A1:A9</xm:sqref></x14:conditionalFormatting>"
        b"</x14:conditionalFormattings></ext><ext><x14:sparklineGroups>"
        b"<x14:sparklineGroup><x14:sparklines><x14:sparkline><xm:f>S!A1:C1</xm:f>"
        b"<xm:sqref>$D$1</xm:sqref></x14:sparkline><x14:sparkline><xm:f>S!A2:C2"
        b"</xm:f><xm:sqref>D2 E4:E5</xm:sqref></x14:sparkline></x14:sparklines>"
        b"</x14:sparklineGroup></x14:sparklineGroups></ext></extLst>"
    )

    blocks = sparkline_blocks(after_cells)

    assert blocks == [
        DrawingBlock(SPARKLINE, "", 1, 3, 1, 3),
        DrawingBlock(SPARKLINE, "", 2, 3, 2, 3),
        DrawingBlock(SPARKLINE, "", 4, 4, 5, 4),
    ]
