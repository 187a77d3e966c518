"""The pass of the status-column patch that checks a worksheet's rows."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import xlsxwriter  # type: ignore[import-untyped]

from config.errors import UnsupportedWorkbookError
from sync.xlsx.sheet_rows import check_sheet_rows


def write_deals(path: Path) -> Path:
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Deals")
    for row, values in enumerate(
        [["Deal ID", "Stage"], ["D-1", "Lead"], ["D-2", "Won"]]
    ):
        sheet.write_row(row, 0, values)
    book.close()
    return path


def swap_rows_2_and_3(path: Path) -> None:
    part = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    xml = members[part]
    second = xml[xml.index(b'<row r="2"') : xml.index(b'<row r="3"')]
    third = xml[xml.index(b'<row r="3"') : xml.index(b"</sheetData>")]
    members[part] = xml.replace(second + third, third + second)
    with zipfile.ZipFile(path, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)


def test_rows_in_order_pass(tmp_path: Path) -> None:
    path = write_deals(tmp_path / "deals.xlsx")

    check_sheet_rows(path, "Deals")


def test_rows_out_of_order_rejected(tmp_path: Path) -> None:
    path = write_deals(tmp_path / "deals.xlsx")
    swap_rows_2_and_3(path)

    with pytest.raises(UnsupportedWorkbookError) as raised:
        check_sheet_rows(path, "Deals")

    assert str(raised.value).startswith(
        "Workbook 'deals.xlsx', tab 'Deals': the sheet part is damaged (row 2 comes "
        "after row 3, but rows must be in ascending order)."
    )


@pytest.mark.parametrize("tab", ["Missing", "deals"], ids=["missing", "other-case"])
def test_tab_not_found_passes(tmp_path: Path, tab: str) -> None:
    path = write_deals(tmp_path / "deals.xlsx")
    swap_rows_2_and_3(path)

    check_sheet_rows(path, tab)


def test_not_a_package_passes(tmp_path: Path) -> None:
    path = tmp_path / "deals.xlsx"
    path.write_bytes(b"Deal ID,Stage\nD-1,Lead\n")

    check_sheet_rows(path, "Deals")
