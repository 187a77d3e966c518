"""Cells that show a formula error, found in sheet XML that calamine reads as empty."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter  # type: ignore[import-untyped]

from sync.sources.excel import ExcelWorkbook, show_error_cells
from sync.sources.excel_read_ahead import start_read_ahead
from sync.xlsx.error_cells import find_error_cells, tab_error_cells

SHEET = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    b'<row r="2"><c r="A2" t="inlineStr"><is><t>say t="e"</t></is></c>'
    b'<c r="B2" s="3" t="e"><f>VLOOKUP(A2,X!A:B,2,FALSE)</f><v>#N/A</v></c>'
    b'<c r="C2" t="e"/><c r="AB2" t="e"><v>#DIV/0!</v></c></row>'
    b"</sheetData></worksheet>"
)
EXPECTED = {(2, 1): "#N/A", (2, 27): "#DIV/0!"}


def test_error_cells_found() -> None:
    assert find_error_cells([SHEET]) == EXPECTED


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 11, 64])
def test_error_cells_found_across_pieces(size: int) -> None:
    pieces = [SHEET[start : start + size] for start in range(0, len(SHEET), size)]

    assert find_error_cells(pieces) == EXPECTED


def test_error_cells_quoted_with_apostrophes() -> None:
    sheet = SHEET.replace(b'"', b"'")

    assert find_error_cells([sheet[:150], sheet[150:]]) == EXPECTED


def test_error_cells_with_namespace_prefix() -> None:
    sheet = (
        b'<x:worksheet xmlns:x="urn:x"><x:sheetData><x:row r="4">'
        b'<x:c r="D4" t="e"><x:v>#REF!</x:v></x:c></x:row></x:sheetData></x:worksheet>'
    )

    assert find_error_cells([sheet]) == {(4, 3): "#REF!"}


def test_cell_without_reference_skipped() -> None:
    sheet = b'<sheetData><row r="1"><c t="e"><v>#N/A</v></c></row></sheetData>'

    assert find_error_cells([sheet]) == {}


def error_workbook(path: Path) -> Path:
    """Deals with a #N/A stage on row 3 and a #DIV/0! amount on row 3."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Deals")
    sheet.write_row(0, 0, ["Deal ID", "Stage", "Owner", "Amount"])
    sheet.write_row(1, 0, ["D-1", "Lead", "Ann", 100])
    sheet.write("A3", "D-2")
    sheet.write_formula("B3", '=VLOOKUP("x",A1:A2,1,FALSE)', None, "#N/A")
    sheet.write("C3", "Bob")
    sheet.write_formula("D3", "=1/0", None, "#DIV/0!")
    workbook.add_worksheet("Notes").write_formula("A1", "=1/0", None, "#DIV/0!")
    workbook.close()
    return path


def test_tab_error_cells_of_one_tab(tmp_path: Path) -> None:
    path = error_workbook(tmp_path / "errors.xlsx")

    assert tab_error_cells(path, "Deals") == {(3, 1): "#N/A", (3, 3): "#DIV/0!"}
    assert tab_error_cells(path, "Notes") == {(1, 0): "#DIV/0!"}
    assert tab_error_cells(path, "Missing") == {}


def test_unreadable_workbook_has_no_error_cells(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")

    assert tab_error_cells(path, "Deals") == {}


@pytest.mark.parametrize("ahead", [False, True], ids=["plain", "read-ahead"])
def test_grid_shows_error_text(tmp_path: Path, ahead: bool) -> None:
    path = error_workbook(tmp_path / "errors.xlsx")
    if ahead:
        start_read_ahead(path, "Deals")

    grid = ExcelWorkbook(path).read_tab("Deals")

    assert grid.rows[1:] == [
        ["D-1", "Lead", "Ann", 100],
        ["D-2", "#N/A", "Bob", "#DIV/0!"],
    ]


def test_error_text_never_replaces_a_value() -> None:
    rows: list[list[object]] = [["a", None], ["b"]]

    show_error_cells(
        rows, {(1, 0): "#N/A", (1, 1): "#REF!", (2, 3): "#NUM!", (9, 0): "#N/A"}
    )  # type: ignore[arg-type]

    assert rows == [["a", "#REF!"], ["b", None, None, "#NUM!"]]
