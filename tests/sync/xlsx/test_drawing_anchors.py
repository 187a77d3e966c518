"""The cells that charts, pictures and shapes of a worksheet lie over."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter  # type: ignore[import-untyped]
from openpyxl.chart import BarChart, Reference

from rules.grid import DrawingBlock
from sync.xlsx.sheet_scan import scan_tab

DRAWING_PART = "xl/drawings/drawing1.xml"
XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"


def write_chart_workbook(path: Path) -> Path:
    """Write a Deals tab with XlsxWriter's chart at E2, which spans E2:L16."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Deals")
    sheet.write_row(0, 0, ["Deal ID", "Stage", "Amount"])
    sheet.write_row(1, 0, ["D-1", "Lead", 100])
    chart = workbook.add_chart({"type": "column"})
    chart.add_series({"values": "=Deals!$C$2:$C$2"})
    sheet.insert_chart("E2", chart)
    workbook.close()
    return path


def replace_part(path: Path, part: str, content: bytes) -> None:
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    members[part] = content
    with zipfile.ZipFile(path, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)


def drawing_xml(*anchors: str) -> bytes:
    return (f'<xdr:wsDr xmlns:xdr="{XDR}">' + "".join(anchors) + "</xdr:wsDr>").encode()


def marker(tag: str, column: int, column_offset: int, row: int, row_offset: int) -> str:
    return (
        f"<xdr:{tag}><xdr:col>{column}</xdr:col><xdr:colOff>{column_offset}"
        f"</xdr:colOff><xdr:row>{row}</xdr:row><xdr:rowOff>{row_offset}"
        f"</xdr:rowOff></xdr:{tag}>"
    )


PICTURE = (
    '<xdr:pic><xdr:nvPicPr><xdr:cNvPr id="3" name="Logo"/></xdr:nvPicPr></xdr:pic>'
)
SHAPE = '<xdr:sp><xdr:nvSpPr><xdr:cNvPr id="4" name="Note"/></xdr:nvSpPr></xdr:sp>'


def test_xlsxwriter_chart_exact(tmp_path: Path) -> None:
    path = write_chart_workbook(tmp_path / "chart.xlsx")

    assert scan_tab(path, "Deals").drawings == [
        DrawingBlock("chart", "Chart 1", 2, 4, 16, 11)
    ]


@pytest.mark.parametrize(
    ("end", "expected_last"),
    [((7, 0, 9, 0), (9, 6)), ((7, 1, 9, 1), (10, 7))],
    ids=["corner-on-edge", "corner-inside-cell"],
)
def test_two_cell_corner_offsets(
    tmp_path: Path, end: tuple[int, int, int, int], expected_last: tuple[int, int]
) -> None:
    path = write_chart_workbook(tmp_path / "chart.xlsx")
    anchor = (
        "<xdr:twoCellAnchor>"
        + marker("from", 5, 0, 2, 0)
        + marker("to", *end)
        + PICTURE
        + "</xdr:twoCellAnchor>"
    )
    replace_part(path, DRAWING_PART, drawing_xml(anchor))

    [block] = scan_tab(path, "Deals").drawings

    assert (block.kind, block.name) == ("picture", "Logo")
    assert (block.first_row, block.first_column) == (3, 5)
    assert (block.last_row, block.last_column) == expected_last
    assert not block.estimated


def test_openpyxl_chart_estimated(tmp_path: Path) -> None:
    # openpyxl anchors a chart at one cell with its size: 15 cm by 7.5 cm,
    # 567 by 283 pixels. Column F is 30 characters (210 pixels), the others
    # 64 pixels, and rows 20 pixels.
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Deals"
    sheet.append(["Deal ID", "Stage", "Amount"])
    sheet.append(["D-1", "Lead", 100])
    chart = BarChart()
    chart.add_data(Reference(sheet, min_col=3, min_row=1, max_row=2))
    sheet.add_chart(chart, "E2")
    sheet.column_dimensions["F"].width = 30
    workbook.save(tmp_path / "chart.xlsx")

    assert scan_tab(tmp_path / "chart.xlsx", "Deals").drawings == [
        DrawingBlock("chart", "Chart 1", 2, 4, 16, 10, estimated=True)
    ]


def test_absolute_anchor_estimated(tmp_path: Path) -> None:
    # 200 pixels right and 50 down is column D (from 192 pixels) and row 3
    # (from 40). 100 by 30 pixels more ends in column E and row 4.
    path = write_chart_workbook(tmp_path / "chart.xlsx")
    anchor = (
        '<xdr:absoluteAnchor><xdr:pos x="1905000" y="476250"/>'
        '<xdr:ext cx="952500" cy="285750"/>' + SHAPE + "</xdr:absoluteAnchor>"
    )
    replace_part(path, DRAWING_PART, drawing_xml(anchor))

    assert scan_tab(path, "Deals").drawings == [
        DrawingBlock("shape", "Note", 3, 3, 4, 4, estimated=True)
    ]


def test_alternate_content_anchor_read(tmp_path: Path) -> None:
    path = write_chart_workbook(tmp_path / "chart.xlsx")
    mc = "http://schemas.openxmlformats.org/markup-compatibility/2006"
    anchor = (
        "<xdr:twoCellAnchor>"
        + marker("from", 6, 0, 0, 0)
        + marker("to", 8, 0, 5, 0)
        + SHAPE
        + "</xdr:twoCellAnchor>"
    )
    wrapped = (
        f'<mc:AlternateContent xmlns:mc="{mc}"><mc:Choice Requires="a14">'
        f"{anchor}</mc:Choice><mc:Fallback/></mc:AlternateContent>"
    )
    replace_part(path, DRAWING_PART, drawing_xml(wrapped))

    assert scan_tab(path, "Deals").drawings == [
        DrawingBlock("shape", "Note", 1, 6, 5, 7)
    ]


def test_drawing_without_sheet_element_not_read(tmp_path: Path) -> None:
    # The relationship alone places nothing: only <drawing r:id> in the
    # sheet shows the drawing.
    path = write_chart_workbook(tmp_path / "chart.xlsx")
    with zipfile.ZipFile(path) as package:
        sheet = package.read("xl/worksheets/sheet1.xml")
    replace_part(
        path, "xl/worksheets/sheet1.xml", sheet.replace(b'<drawing r:id="rId1"/>', b"")
    )

    assert scan_tab(path, "Deals").drawings == []


def test_damaged_drawing_keeps_scan(tmp_path: Path) -> None:
    path = write_chart_workbook(tmp_path / "chart.xlsx")
    replace_part(path, DRAWING_PART, b"<xdr:wsDr")

    scan = scan_tab(path, "Deals")

    assert scan.drawings == []
    assert scan.drawing_id == "rId1"
