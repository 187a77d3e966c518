"""The used-range check that keeps calamine from parsing a huge sheet."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from config.errors import SheetLayoutError, UnsupportedWorkbookError
from sync.sources.excel import ExcelWorkbook
from sync.sources.excel_read_ahead import read_workbook_ahead
from sync.xlsx import sheet_size
from sync.xlsx.sheet_size import check_sheet_size, sheet_dimension


def write_deals(path: Path, rows: int, far_cell: str | None = None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Deals"
    sheet.append(["Deal ID", "Stage"])
    for number in range(rows):
        sheet.append([f"D-{number}", "Lead"])
    if far_cell is not None:
        sheet[far_cell] = "oops"
    book.save(path)
    return path


def rewrite_sheet(path: Path, old: bytes, new: bytes) -> None:
    """Replace ``old`` by ``new`` in the first sheet's XML."""
    part = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    assert old in members[part]
    members[part] = members[part].replace(old, new)
    with zipfile.ZipFile(path, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)


def test_dimension_read_before_cells(tmp_path: Path) -> None:
    path = write_deals(tmp_path / "deals.xlsx", 2, "XFD3")

    assert sheet_dimension(path, "deals") == "A1:XFD3"


def test_prefixed_dimension_read(tmp_path: Path) -> None:
    path = write_deals(tmp_path / "deals.xlsx", 2)
    rewrite_sheet(path, b"<dimension ", b'<x:dimension xmlns:x="urn:x" ')

    assert sheet_dimension(path, "Deals") == "A1:B3"


@pytest.mark.parametrize(
    "tab", ["Missing", "Deals"], ids=["missing-tab", "no-dimension"]
)
def test_dimension_none_when_absent(tmp_path: Path, tab: str) -> None:
    path = write_deals(tmp_path / "deals.xlsx", 2)
    rewrite_sheet(path, b'<dimension ref="A1:B3" />', b"")

    assert sheet_dimension(path, tab) is None


def test_not_a_package_has_no_dimension(tmp_path: Path) -> None:
    path = tmp_path / "deals.xlsx"
    path.write_bytes(b"not a zip")

    assert sheet_dimension(path, "Deals") is None


def test_range_at_limit_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_deals(tmp_path / "deals.xlsx", 2)
    monkeypatch.setattr(sheet_size, "MAX_SHEET_CELLS", 6)

    check_sheet_size(path, "Deals", "deals.xlsx")


def test_range_over_limit_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_deals(tmp_path / "deals.xlsx", 2)
    monkeypatch.setattr(sheet_size, "MAX_SHEET_CELLS", 5)

    with pytest.raises(SheetLayoutError) as raised:
        check_sheet_size(path, "Deals", "deals.xlsx")

    assert str(raised.value) == (
        "Workbook 'deals.xlsx', tab 'Deals': its used range is A1:B3 (3 rows by 2 "
        "columns, 6 cells), more than the 5 cells pipesheet reads. A value typed "
        "far right of or below the table usually causes this: delete the columns "
        "right of the table and the rows below it, save, and run again."
    )


def test_far_cell_stops_read_before_parse(tmp_path: Path) -> None:
    # 2,001 rows to XFD are 32.8 million cells: calamine would allocate about
    # a gigabyte for them, so this test would take long without the check.
    path = write_deals(tmp_path / "deals.xlsx", 2000, "XFD3")

    with pytest.raises(SheetLayoutError, match=r"used range is A1:XFD2001 \(2,001"):
        ExcelWorkbook(path).read_tab("Deals")
    with pytest.raises(SheetLayoutError, match="used range is A1:XFD2001"):
        read_workbook_ahead(path, "deals")


@pytest.mark.parametrize(
    "dimension",
    [b"", b'<dimension ref="A1" />'],
    ids=["no-dimension", "single-cell-dimension"],
)
def test_far_value_found_without_dimension(tmp_path: Path, dimension: bytes) -> None:
    path = write_deals(tmp_path / "deals.xlsx", 2000, "XFD3")
    rewrite_sheet(path, b'<dimension ref="A1:XFD2001" />', dimension)

    with pytest.raises(SheetLayoutError) as raised:
        read_workbook_ahead(path, "Deals")

    assert str(raised.value) == (
        "Workbook 'deals.xlsx', tab 'Deals': its filled cells reach row 2,001 and "
        "column XFD (2,001 rows by 16,384 columns, 32,784,384 cells), more than "
        "the 25,000,000 cells pipesheet reads. A value typed far right of or below "
        "the table usually causes this: delete the columns right of the table and "
        "the rows below it, save, and run again."
    )


def test_range_of_formatting_only_accepted(tmp_path: Path) -> None:
    # The far corner contains a style and no value, as a formatted empty cell.
    path = write_deals(tmp_path / "deals.xlsx", 2)
    rewrite_sheet(
        path,
        b'<dimension ref="A1:B3" />',
        b'<dimension ref="A1:XFD1048576" />',
    )
    rewrite_sheet(
        path,
        b"</sheetData>",
        b'<row r="1048576"><c r="XFD1048576" s="0"/></row></sheetData>',
    )

    check_sheet_size(path, "Deals", "deals.xlsx")

    assert ExcelWorkbook(path).read_tab("Deals").rows[1] == ["D-0", "Lead"]


def damage_sheet_member(path: Path) -> None:
    """Flip one byte in the middle of the first sheet's deflated XML."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    header = info.header_offset
    name_length = int.from_bytes(data[header + 26 : header + 28], "little")
    extra_length = int.from_bytes(data[header + 28 : header + 30], "little")
    start = header + 30 + name_length + extra_length
    data[start + 10] ^= 0xFF
    path.write_bytes(bytes(data))


def test_damaged_sheet_has_no_dimension(tmp_path: Path) -> None:
    path = write_deals(tmp_path / "broken.xlsx", 200)
    damage_sheet_member(path)

    assert sheet_dimension(path, "Deals") is None


def test_damaged_sheet_gets_a_message(tmp_path: Path) -> None:
    path = write_deals(tmp_path / "broken.xlsx", 200)
    damage_sheet_member(path)

    with pytest.raises(UnsupportedWorkbookError, match="broken.xlsx") as raised:
        ExcelWorkbook(path).read_tab("Deals")

    assert "the cells of tab 'Deals' are damaged" in str(raised.value)
    assert "Open it in Excel, which offers to repair it" in str(raised.value)
