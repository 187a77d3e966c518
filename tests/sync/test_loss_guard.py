"""Tests of the check for features an openpyxl load and save would lose."""

from __future__ import annotations

import shutil
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.worksheet.datavalidation import DataValidation

from config.errors import UnsupportedWorkbookError
from sync import loss_guard
from sync.loss_guard import find_features_openpyxl_would_lose
from tests.shared_data import XLSX_RESEARCH as RESEARCH

FIDELITY_LOSSES = [
    "cached results of 25 formulas on tab 'Deals'",
    "dynamic-array formulas on tab 'Deals'",
    "pictures in cells on tab 'Deals'",
    "ignored-error markers (hidden green triangles) on tab 'Deals'",
    "x14 conditional formats (data bars, icon sets) on tab 'Deals'",
    "sparklines on tab 'Deals'",
    "x14 data validations (dropdowns with lists on other tabs) on tab 'Deals'",
    "pictures (openpyxl needs Pillow to keep them) on tab 'Report'",
    "cell checkboxes in the workbook",
]

RELATIONSHIP_BASE = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
)


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        checksum = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + checksum

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    signature = b"\x89PNG\r\n\x1a\n"
    return (
        signature
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def build_with_xlsxwriter(path: Path, build: Callable[[Any, Path], object]) -> Path:
    image = path.with_name("logo.png")
    image.write_bytes(tiny_png())
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Deals")
    workbook.add_worksheet("Lists")
    build(sheet, image)
    workbook.close()
    return path


def build_chart_workbook(path: Path) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Deals")
    sheet.write_row("A1", [1, 2, 3])
    chart = workbook.add_chart({"type": "column"})
    chart.add_series({"values": "=Deals!$A$1:$C$1"})
    sheet.insert_chart("B2", chart)
    workbook.close()
    return path


def build_plain_workbook(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Deals"
    sheet.append(["ID", "Amount", "Weighted"])
    sheet.append(["D-1", 100, "=B2*0.5"])
    sheet.append(["D-2", 200, "=B3*0.5"])
    sheet.merge_cells("E1:F1")
    sheet["A2"].comment = Comment("Check this", "Alice")

    validation = DataValidation(type="list", formula1='"Lead,Won"')
    validation.add("D2:D10")
    sheet.add_data_validation(validation)
    sheet.conditional_formatting.add(
        "B2:B10", CellIsRule(operator="greaterThan", formula=["150"])
    )

    chart = BarChart()
    chart.add_data(Reference(sheet, min_col=2, min_row=1, max_row=3))
    sheet.add_chart(chart, "H2")
    workbook.save(path)
    return path


def rewrite_package(
    path: Path, added: dict[str, bytes], replaced: dict[str, tuple[bytes, bytes]]
) -> None:
    """Rewrite a package with extra parts and text replaced inside parts."""
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in source.namelist()}

    for part, (old, new) in replaced.items():
        assert old in members[part]
        members[part] = members[part].replace(old, new)
    members.update(added)

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in members.items():
            target.writestr(name, content)


def sheet_relationships(*relationships: tuple[str, str]) -> bytes:
    items = "".join(
        f'<Relationship Id="rId{index}" Type="{kind}" Target="{target}"/>'
        for index, (kind, target) in enumerate(relationships, start=90)
    )
    return (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships">{items}</Relationships>'
    ).encode()


def test_fidelity_workbook_losses_listed() -> None:
    losses = find_features_openpyxl_would_lose(RESEARCH / "fidelity.xlsx")

    assert losses == FIDELITY_LOSSES


def test_macro_workbook_keeps_vba_project() -> None:
    losses = find_features_openpyxl_would_lose(RESEARCH / "fidelity.xlsm")

    assert losses == FIDELITY_LOSSES


def test_plain_openpyxl_workbook_loses_nothing(tmp_path: Path) -> None:
    path = build_plain_workbook(tmp_path / "plain.xlsx")

    assert find_features_openpyxl_would_lose(path) == []


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (
            lambda sheet, image: sheet.add_sparkline("D1", {"range": "Deals!A1:C1"}),
            "sparklines on tab 'Deals'",
        ),
        (
            lambda sheet, image: sheet.conditional_format(
                "A1:A3", {"type": "data_bar", "data_bar_2010": True}
            ),
            "x14 conditional formats (data bars, icon sets) on tab 'Deals'",
        ),
        (
            lambda sheet, image: sheet.write_dynamic_array_formula(
                "B1:B3", "=UNIQUE(A1:A3)"
            ),
            "dynamic-array formulas on tab 'Deals'",
        ),
        (
            lambda sheet, image: sheet.write_formula("A1", "=1+1", None, 2),
            "cached results of 1 formula on tab 'Deals'",
        ),
        (
            lambda sheet, image: sheet.insert_textbox("B2", "Call back"),
            "shapes and text boxes on tab 'Deals'",
        ),
        (
            lambda sheet, image: sheet.insert_checkbox("B2", True),
            "cell checkboxes in the workbook",
        ),
        (
            lambda sheet, image: sheet.embed_image("B2", str(image)),
            "pictures in cells on tab 'Deals'",
        ),
        (
            lambda sheet, image: sheet.insert_image("B2", str(image)),
            "pictures (openpyxl needs Pillow to keep them) on tab 'Deals'",
        ),
        (
            lambda sheet, image: sheet.ignore_errors(
                {"number_stored_as_text": "A1:A9"}
            ),
            "ignored-error markers (hidden green triangles) on tab 'Deals'",
        ),
    ],
    ids=[
        "sparkline",
        "data-bar-2010",
        "dynamic-array",
        "cached-formula-result",
        "text-box",
        "checkbox",
        "picture-in-cell",
        "floating-picture",
        "ignored-errors",
    ],
)
def test_excel_feature_reported(
    tmp_path: Path, build: Callable[[Any, Path], object], expected: str
) -> None:
    def build_with_data(sheet: Any, image: Path) -> None:
        sheet.write_row("A1", [1, 2, 3])
        build(sheet, image)

    path = build_with_xlsxwriter(tmp_path / "feature.xlsx", build_with_data)

    assert expected in find_features_openpyxl_would_lose(path)


def test_picture_kept_with_pillow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loss_guard, "_pillow_is_installed", lambda: True)
    path = build_with_xlsxwriter(
        tmp_path / "logo.xlsx", lambda sheet, image: sheet.insert_image("B2", image)
    )

    assert find_features_openpyxl_would_lose(path) == []


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ("xl/pivotCache/pivotCacheDefinition1.xml", "pivot tables in the workbook"),
        ("xl/slicerCaches/slicerCache1.xml", "slicers in the workbook"),
        ("xl/timelineCaches/timelineCache1.xml", "timelines in the workbook"),
        (
            "xl/externalLinks/externalLink1.xml",
            "links to other workbooks in the workbook",
        ),
        (
            "xl/threadedComments/threadedComment1.xml",
            "threaded comments in the workbook",
        ),
        ("xl/ctrlProps/ctrlProp1.xml", "form controls in the workbook"),
        (
            "xl/vbaProjectSignature.bin",
            "the VBA project's digital signature in the workbook",
        ),
        (
            "xl/connections.xml",
            "data connections (Power Query, external data) in the workbook",
        ),
        (
            "customXml/item1.xml",
            "custom XML parts (SharePoint or add-in properties) in the workbook",
        ),
        (
            "xl/vbaProject.bin",
            "VBA macros (the file is not named .xlsm) in the workbook",
        ),
        (
            "xl/metadata.xml",
            "cell metadata (dynamic arrays or rich values) in the workbook",
        ),
    ],
    ids=[
        "pivot-cache",
        "slicer",
        "timeline",
        "external-link",
        "threaded-comment",
        "form-control",
        "vba-signature",
        "connection",
        "custom-xml",
        "vba-in-xlsx",
        "metadata",
    ],
)
def test_workbook_part_reported(tmp_path: Path, part: str, expected: str) -> None:
    path = build_plain_workbook(tmp_path / "parts.xlsx")
    rewrite_package(path, {part: b"<x/>"}, {})

    assert find_features_openpyxl_would_lose(path) == [expected]


def test_pivot_table_reported_on_its_tab(tmp_path: Path) -> None:
    path = build_with_xlsxwriter(tmp_path / "pivot.xlsx", lambda sheet, image: None)
    relationships = sheet_relationships(
        (f"{RELATIONSHIP_BASE}/pivotTable", "../pivotTables/pivotTable1.xml")
    )
    added = {
        "xl/worksheets/_rels/sheet1.xml.rels": relationships,
        "xl/pivotTables/pivotTable1.xml": b"<x/>",
        "xl/pivotCache/pivotCacheDefinition1.xml": b"<x/>",
    }
    rewrite_package(path, added, {})

    assert find_features_openpyxl_would_lose(path) == ["pivot tables on tab 'Deals'"]


def test_smartart_reported_on_its_tab(tmp_path: Path) -> None:
    path = build_chart_workbook(tmp_path / "smartart.xlsx")
    chart_uri = b"http://schemas.openxmlformats.org/drawingml/2006/chart"
    diagram_uri = b"http://schemas.openxmlformats.org/drawingml/2006/diagram"
    replaced = {"xl/drawings/drawing1.xml": (chart_uri, diagram_uri)}
    rewrite_package(path, {}, replaced)

    assert find_features_openpyxl_would_lose(path) == [
        "SmartArt diagrams on tab 'Deals'"
    ]


def test_chart_not_reported(tmp_path: Path) -> None:
    path = build_chart_workbook(tmp_path / "chart.xlsx")

    assert find_features_openpyxl_would_lose(path) == []


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        (b'<sheetCalcPr fullCalcOnLoad="1"/>', "'sheetCalcPr' settings on tab 'Deals'"),
        (
            (
                b'<protectedRanges><protectedRange name="Edit" sqref="A1"/>'
                b"</protectedRanges>"
            ),
            "protected ranges (Allow Edit Ranges) on tab 'Deals'",
        ),
        (
            (
                b'<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/'
                b'markup-compatibility/2006"><mc:Choice Requires="x14"><controls>'
                b'<control shapeId="1025" name="Refresh"/></controls></mc:Choice>'
                b"</mc:AlternateContent>"
            ),
            "form controls on tab 'Deals'",
        ),
    ],
    ids=["unknown-element", "protected-ranges", "wrapped-form-control"],
)
def test_dropped_sheet_element_reported(
    tmp_path: Path, element: bytes, expected: str
) -> None:
    path = build_with_xlsxwriter(tmp_path / "element.xlsx", lambda sheet, image: None)
    end = b"</worksheet>"
    rewrite_package(path, {}, {"xl/worksheets/sheet1.xml": (end, element + end)})

    assert find_features_openpyxl_would_lose(path) == [expected]


def test_damaged_package_rejected(tmp_path: Path) -> None:
    path = tmp_path / "damaged.xlsx"
    shutil.copyfile(build_plain_workbook(tmp_path / "plain.xlsx"), path)
    path.write_bytes(path.read_bytes()[:300])

    with pytest.raises(UnsupportedWorkbookError) as raised:
        find_features_openpyxl_would_lose(path)

    assert str(raised.value).startswith(
        "Workbook 'damaged.xlsx' could not be inspected because its zip package "
        "is damaged ("
    )
