"""Tests of deal IDs typed as numbers and shown as text through a number format."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from rules.grid import CellValue
from sync.xlsx.sheet_scan import scan_column_styles
from tests.sync.test_cli import AS_OF, TINY_DEFINITION, invoke

FILLING_DEFINITION = TINY_DEFINITION.replace(
    "  id: {aliases: [Deal ID]}\n",
    "  id: {aliases: [Deal ID], fill: {prefix: D-, digits: 4}}\n",
)

SHEET = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    b'<row r="2" s="5" customFormat="1"><c r="A2" s="5"><v>42</v></c>'
    b'<c r="B2" s="5"><v>1</v></c></row>'
    b'<row r="3"><c r="A3" s="7" t="n"><v>123</v></c>'
    b'<c r="AA3" s="5"><v>2</v></c></row>'
    b'<row r="4" s="5"><c r="A4" t="inlineStr"><is><t>x s="5"</t></is></c></row>'
    b'<row r="5"><c s="5" r="A5"><v>7</v></c><c r="A6" s="55"><v>8</v></c></row>'
    b"</sheetData></worksheet>"
)


@pytest.mark.parametrize("size", [1, 3, 7, 16, len(SHEET)])
def test_column_styles_across_pieces(size: int) -> None:
    pieces = [SHEET[start : start + size] for start in range(0, len(SHEET), size)]

    assert scan_column_styles(pieces, 0, [5, 7]) == {2: 5, 3: 7, 5: 5}


def test_column_styles_with_apostrophes() -> None:
    sheet = re.sub(rb'(\w)="([^"]*)"', rb"\1='\2'", SHEET)

    assert scan_column_styles([sheet], 0, [5]) == {2: 5, 5: 5}


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every command from tmp_path, so relative paths land there."""
    monkeypatch.chdir(tmp_path)


def write_deals(
    rows: list[tuple[CellValue, str, CellValue, str | None]],
    definition: str = TINY_DEFINITION,
) -> None:
    """Write tiny.yaml and tiny.xlsx, each ID cell with the given number format."""
    Path("tiny.yaml").write_text(definition, encoding="utf-8")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Deals"
    sheet.append(["Deal ID", "Stage", "Amount"])
    for number, (deal_id, stage, amount, number_format) in enumerate(rows, start=2):
        sheet.append([deal_id, stage, amount])
        if number_format is not None:
            sheet.cell(number, 1).number_format = number_format
    workbook.save("tiny.xlsx")


def tab_rows(tab: str) -> list[list[CellValue]]:
    sheet = CalamineWorkbook.from_path("tiny.xlsx").get_sheet_by_name(tab)
    return sheet.to_python(skip_empty_area=False)


FORMATTED_DEALS: list[tuple[CellValue, str, CellValue, str | None]] = [
    (42, "Lead", 100, '"D-"0000'),
    (123, "Won", None, "00000"),
    (7, "Demoo", 300, "\\D-0000"),
    (8, "Lead", 50, "0.00"),
    (9, "Lead", 60, None),
    ("D-0010", "Lead", 70, None),
]


def test_json_uses_shown_ids() -> None:
    write_deals(FORMATTED_DEALS)

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json", "--no-state")

    document = json.loads(result.stdout)
    assert result.exit_code == 0
    ids = {finding["row"]: finding["deal_id"] for finding in document["findings"]}
    assert ids == {3: "00123", 4: "D-0007"}
    values = {finding["row"]: finding["value"] for finding in document["findings"]}
    assert values[4] == "Demoo"


def test_problems_tab_uses_shown_ids() -> None:
    write_deals(FORMATTED_DEALS)

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--no-state")

    assert result.exit_code == 0
    problems = tab_rows("Problems")
    header = problems.index(
        ["Row", "Deal ID", "Owner", "Column", "Value", "Severity", "Code", "Message"]
    )
    listed = [(row[0], row[1]) for row in problems[header + 1 :]]
    assert listed == [(3.0, "00123"), (4.0, "D-0007")]


def test_other_formats_keep_bare_numbers() -> None:
    rows: list[tuple[CellValue, str, CellValue, str | None]] = [
        (8, "Won", None, "0.00"),
        (9, "Won", None, None),
        (10, "Won", None, "#,##0"),
    ]
    write_deals(rows)

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json", "--no-state")

    document = json.loads(result.stdout)
    assert [finding["deal_id"] for finding in document["findings"]] == ["8", "9", "10"]


def test_statuses_land_on_their_rows() -> None:
    write_deals(FORMATTED_DEALS)

    first = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--no-state")
    written = Path("tiny.xlsx").read_bytes()
    second = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--no-state")

    assert first.exit_code == 0
    assert second.exit_code == 0
    deals = tab_rows("Deals")
    assert [row[0] for row in deals[1:]] == [42.0, 123.0, 7.0, 8.0, 9.0, "D-0010"]
    statuses = [row[3] for row in deals[1:]]
    assert statuses[0] == "OK"
    assert statuses[1].startswith("ERROR: missing Amount")
    assert statuses[2].startswith("ERROR: unknown stage")
    assert Path("tiny.xlsx").read_bytes() == written


def test_fill_skips_shown_ids() -> None:
    rows: list[tuple[CellValue, str, CellValue, str | None]] = [
        (1, "Lead", 100, '"D-"0000'),
        (2, "Lead", 200, '"D-"0000'),
        (None, "Lead", 300, '"D-"0000'),
    ]
    write_deals(rows, FILLING_DEFINITION)

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF, "--json", "--no-state")

    document = json.loads(result.stdout)
    assert result.exit_code == 0
    assert document["new_ids"]["written"] == ["D-0003"]
    assert [row[0] for row in tab_rows("Deals")[1:]] == [1.0, 2.0, "D-0003"]


def test_log_finds_shown_id() -> None:
    write_deals(FORMATTED_DEALS)
    invoke("run", "tiny.yaml", "--as-of", AS_OF, "--state", "state.sqlite")

    result = invoke("log", "D-0042", "tiny.yaml", "--state", "state.sqlite")

    assert result.exit_code == 0
    assert "Deal D-0042 in tiny.xlsx" in result.stdout


def test_id_retyped_as_shown_text_keeps_history() -> None:
    write_deals([(42, "Lead", 100, '"D-"0000')])
    invoke("run", "tiny.yaml", "--as-of", "2025-09-29", "--state", "state.sqlite")
    write_deals([("D-0042", "Won", 100, None)])
    invoke("run", "tiny.yaml", "--as-of", AS_OF, "--state", "state.sqlite")

    result = invoke("log", "D-0042", "tiny.yaml", "--state", "state.sqlite")

    assert result.exit_code == 0
    changes = re.findall(r"│ (\d{4}-\d\d-\d\d) │ ([^│]*?)\s+│", result.stdout)
    assert changes[:2] == [("2025-09-29", "(new) → Lead"), ("2025-09-30", "Lead → Won")]


def test_format_added_later_keeps_history() -> None:
    # Earlier versions read 42 with this format as "42", as any version
    # reads it without the format.
    write_deals([(42, "Lead", 100, None)])
    invoke("run", "tiny.yaml", "--as-of", "2025-09-29", "--state", "state.sqlite")
    write_deals([(42, "Won", 100, '"D-"0000')])
    invoke("run", "tiny.yaml", "--as-of", AS_OF, "--state", "state.sqlite")

    result = invoke("log", "D-0042", "tiny.yaml", "--state", "state.sqlite")

    assert result.exit_code == 0
    changes = re.findall(r"│ (\d{4}-\d\d-\d\d) │ ([^│]*?)\s+│", result.stdout)
    assert changes[:2] == [("2025-09-29", "(new) → Lead"), ("2025-09-30", "Lead → Won")]
