"""patch_workbook on real workbooks: owned parts change, every other member is kept."""

from __future__ import annotations

import datetime as dt
import logging
import re
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from config.errors import (
    DefinitionError,
    FeatureLossError,
    SheetLayoutError,
    UnsupportedWorkbookError,
)
from sync.plan import BarChart, GeneratedTab, HighlightRule
from sync.xlsx.compression import ZLIB_DEFLATER
from sync.xlsx.edits import WorkbookEdits
from sync.xlsx.package import Package
from sync.xlsx.tab_digests import GridDigest, grid_digest, read_tab_records
from sync.xlsx.workbook_parts import with_full_calculation
from sync.xlsx.workbook_patch import patch_workbook
from tests.sync.xlsx.packages import (
    FIDELITY_OWNED,
    column_values,
    member_names,
    raw_members,
    read_part,
    tab_values,
)

# openpyxl 3.1 prints these when it loads the fidelity workbook itself, before
# pipesheet touches it: the x14 extensions it cannot read.
KNOWN_OPENPYXL_WARNINGS = [
    "ignore:Unknown extension is not supported and will be removed:UserWarning",
    "ignore:Conditional Formatting extension is not supported:UserWarning",
    "ignore:Sparkline Group extension is not supported:UserWarning",
    "ignore:Data Validation extension is not supported:UserWarning",
]
# Column L of the fidelity Deals tab. Column K contains links on rows 4-6, and M
# and N contain formulas and values on rows 4-9, so status cells go between them.
STATUS_COLUMN = 11
SPECIAL_TEXT = 'ERROR: <b> & "quotes" 😀 中文 — 跟進'
FUNNEL = GeneratedTab(
    "Funnel",
    [
        ["Stage", "Deals", "Amount"],
        ["Lead", 5, 1000.5],
        ["Won", 2, 300],
        ["Lost", 0, 0],
    ],
    BarChart("Funnel", 0, [1, 2], 1, 2, 4, "E2"),
    [16, 8, 12],
)
FOLLOW_UPS = GeneratedTab(
    "Follow-ups", [["Deal", "Due"], ["D-0001", dt.date(2025, 9, 9)], ["D-0002", None]]
)
# The part a generated tab gets in the XlsxWriter workbook, after Deals and Notes.
FOLLOW_UPS_PART = "xl/worksheets/sheet3.xml"
HIGHLIGHT = HighlightRule('LEFT($L4,5)="ERROR"', "FFC7CE")


def fidelity_edits(**changes: object) -> WorkbookEdits:
    """Return edits of the fidelity Deals tab: status for rows 4-23 and two tabs."""
    texts = {row: "OK" if row % 2 else SPECIAL_TEXT for row in range(4, 24)}
    edits = WorkbookEdits(
        tab="Deals",
        status_column=STATUS_COLUMN,
        header_row=3,
        status_header="Status",
        status_cells=texts,
        generated_tabs=[FUNNEL, FOLLOW_UPS],
        owned_tab_names=["Funnel", "Follow-ups"],
        highlights=[HIGHLIGHT],
        highlight_range=(4, 23, 0, STATUS_COLUMN),
    )
    return replace(edits, **changes)  # type: ignore[arg-type]


def patched(source: Path, edits: WorkbookEdits, name: str = "out.xlsx") -> Path:
    target = source.with_name(name)
    patch_workbook(source, target, edits)
    return target


@pytest.fixture(params=["xlsx", "xlsm"])
def fidelity(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Each fidelity workbook, copied into tmp_path."""
    fixture = "fidelity_xlsx" if request.param == "xlsx" else "fidelity_xlsm"
    path: Path = request.getfixturevalue(fixture)
    return path


def test_unowned_members_byte_identical(fidelity: Path) -> None:
    before = raw_members(fidelity)

    after = raw_members(patched(fidelity, fidelity_edits()))

    unowned = [name for name in before if name not in FIDELITY_OWNED]
    assert {name: after[name] for name in unowned} == {
        name: before[name] for name in unowned
    }


def test_only_owned_members_rewritten(fidelity: Path) -> None:
    stats = patch_workbook(fidelity, fidelity.with_name("out.xlsx"), fidelity_edits())

    assert set(stats.members_rewritten) == FIDELITY_OWNED | {
        "xl/worksheets/sheet4.xml",
        "xl/worksheets/_rels/sheet4.xml.rels",
        "xl/drawings/drawing2.xml",
        "xl/drawings/_rels/drawing2.xml.rels",
        "xl/charts/chart2.xml",
        "xl/worksheets/sheet5.xml",
    }


def test_member_order_kept(fidelity: Path) -> None:
    before = member_names(fidelity)

    after = member_names(patched(fidelity, fidelity_edits()))

    assert after[: len(before)] == before


def test_source_left_untouched(fidelity: Path) -> None:
    original = fidelity.read_bytes()

    patched(fidelity, fidelity_edits())

    assert fidelity.read_bytes() == original


@pytest.mark.filterwarnings(*KNOWN_OPENPYXL_WARNINGS)
def test_output_opens_in_openpyxl_without_new_warnings(fidelity: Path) -> None:
    target = patched(fidelity, fidelity_edits())

    workbook = openpyxl.load_workbook(target, keep_vba=fidelity.suffix == ".xlsm")

    assert workbook.sheetnames == ["Deals", "Report", "Lists", "Funnel", "Follow-ups"]


def test_status_column_read_back(fidelity: Path) -> None:
    target = patched(fidelity, fidelity_edits())

    status = column_values(target, "Deals", STATUS_COLUMN)

    expected = ["Status"] + ["OK" if row % 2 else SPECIAL_TEXT for row in range(4, 24)]
    assert status[2:23] == expected


def test_cells_beside_status_kept(fidelity: Path) -> None:
    before = tab_values(fidelity, "Deals")

    after = tab_values(patched(fidelity, fidelity_edits()), "Deals")

    assert [row[:STATUS_COLUMN] + row[STATUS_COLUMN + 1 :] for row in after] == [
        row[:STATUS_COLUMN] + row[STATUS_COLUMN + 1 :] for row in before
    ]


def test_status_inserted_between_existing_cells(fidelity: Path) -> None:
    sheet = read_part(patched(fidelity, fidelity_edits()), "xl/worksheets/sheet1.xml")

    row_4 = re.search(r'<row r="4".*?</row>', sheet)

    assert row_4 is not None
    assert re.findall(r'<c r="([A-Z]+)4"', row_4.group(0)) == list("ABCDEFGHIJKLMNP")


def test_existing_status_replaced_on_next_run(fidelity: Path) -> None:
    first = patched(fidelity, fidelity_edits(), "first.xlsx")

    second = patched(
        first, fidelity_edits(status_cells={4: "Overdue", 5: ""}), "second.xlsx"
    )

    assert column_values(second, "Deals", STATUS_COLUMN)[3:6] == [
        "Overdue",
        "",
        SPECIAL_TEXT,
    ]


def test_generated_tabs_read_back(fidelity: Path) -> None:
    target = patched(fidelity, fidelity_edits())

    assert tab_values(target, "Funnel") == [
        ["Stage", "Deals", "Amount"],
        ["Lead", 5.0, 1000.5],
        ["Won", 2.0, 300.0],
        ["Lost", 0.0, 0.0],
    ]
    assert tab_values(target, "Follow-ups") == [
        ["Deal", "Due"],
        ["D-0001", dt.date(2025, 9, 9)],
        ["D-0002", ""],
    ]


def test_patch_log_counts_status_header(
    fidelity_xlsx: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="sync.xlsx.workbook_patch"):
        patched(fidelity_xlsx, fidelity_edits())

    (line,) = caplog.messages
    assert line.startswith(
        f"Patched workbook {fidelity_xlsx.name} tab Deals: 21 status cells (with "
        "the status header), 2 generated tabs, "
    )


def test_generated_dates_kept_in_1904_workbook(workbook_1904: Path) -> None:
    edits = WorkbookEdits(
        tab="Deals",
        status_column=2,
        header_row=1,
        status_header="Status",
        status_cells={},
        generated_tabs=[FOLLOW_UPS],
        owned_tab_names=["Follow-ups"],
    )

    target = patched(workbook_1904, edits)

    assert tab_values(target, "Follow-ups")[1] == ["D-0001", dt.date(2025, 9, 9)]
    assert openpyxl.load_workbook(target)["Follow-ups"]["B2"].value == dt.datetime(
        2025, 9, 9
    )


def test_generated_tab_replaced_in_place(fidelity: Path) -> None:
    first = patched(fidelity, fidelity_edits(), "first.xlsx")
    smaller = replace(FUNNEL, grid=FUNNEL.grid[:2])

    second = patched(
        first, fidelity_edits(generated_tabs=[smaller, FOLLOW_UPS]), "second.xlsx"
    )

    assert read_part(second, "xl/workbook.xml").count('name="Funnel"') == 1
    assert member_names(second) == member_names(first)
    assert tab_values(second, "Funnel") == [
        ["Stage", "Deals", "Amount"],
        ["Lead", 5.0, 1000.5],
    ]


def test_tab_dropping_chart_loses_its_parts(fidelity: Path) -> None:
    first = patched(fidelity, fidelity_edits(), "first.xlsx")
    plain = replace(FUNNEL, chart=None)

    second = patched(
        first, fidelity_edits(generated_tabs=[plain, FOLLOW_UPS]), "second.xlsx"
    )

    names = member_names(second)
    assert "xl/charts/chart2.xml" not in names
    assert "xl/drawings/drawing2.xml" not in names
    assert "/xl/charts/chart2.xml" not in read_part(second, "[Content_Types].xml")


def test_chart_part_registered(fidelity: Path) -> None:
    target = patched(fidelity, fidelity_edits())

    content_types = read_part(target, "[Content_Types].xml")
    assert (
        '<Override PartName="/xl/charts/chart2.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.drawingml.chart+xml"/>' in content_types
    )
    assert 'Target="../charts/chart2.xml"' in read_part(
        target, "xl/drawings/_rels/drawing2.xml.rels"
    )
    assert 'Target="../drawings/drawing2.xml"' in read_part(
        target, "xl/worksheets/_rels/sheet4.xml.rels"
    )
    assert "<c:v>1000.5</c:v>" in read_part(target, "xl/charts/chart2.xml")


@pytest.mark.filterwarnings(*KNOWN_OPENPYXL_WARNINGS)
def test_chart_read_by_openpyxl(fidelity_xlsx: Path) -> None:
    target = patched(fidelity_xlsx, fidelity_edits())

    charts = openpyxl.load_workbook(target)["Funnel"]._charts

    assert [chart.tagname for chart in charts] == ["barChart"]


def test_tab_registered_in_package_parts(fidelity: Path) -> None:
    target = patched(fidelity, fidelity_edits())

    sheets = re.findall(
        r'<sheet name="([^"]+)" sheetId="(\d+)" r:id="(rId\d+)"/>',
        read_part(target, "xl/workbook.xml"),
    )
    targets = dict(
        re.findall(
            r'Id="(rId\d+)" Type="[^"]+/worksheet" Target="([^"]+)"',
            read_part(target, "xl/_rels/workbook.xml.rels"),
        )
    )
    assert [
        (name, sheet_id, targets[rel_id]) for name, sheet_id, rel_id in sheets[-2:]
    ] == [
        ("Funnel", "4", "worksheets/sheet4.xml"),
        ("Follow-ups", "5", "worksheets/sheet5.xml"),
    ]


def without_full_calculation(path: Path) -> None:
    """Rewrite the workbook without openpyxl's ``fullCalcOnLoad``, as Excel saves it."""
    with zipfile.ZipFile(path) as source:
        members = {info: source.read(info) for info in source.infolist()}
    with zipfile.ZipFile(path, "w") as target:
        for info, data in members.items():
            if info.filename == "xl/workbook.xml":
                data = data.replace(b' fullCalcOnLoad="1"', b"")
            target.writestr(info, data)


def test_full_calculation_requested(fidelity: Path) -> None:
    without_full_calculation(fidelity)
    before = read_part(fidelity, "xl/workbook.xml")
    assert "fullCalcOnLoad" not in before

    after = read_part(patched(fidelity, fidelity_edits()), "xl/workbook.xml")

    [calculation] = re.findall(r"<calcPr[^>]*>", after)
    [old_calculation] = re.findall(r"<calcPr[^>]*>", before)
    assert 'fullCalcOnLoad="1"' in calculation
    assert set(re.findall(r'\w+="[^"]*"', old_calculation)) <= set(
        re.findall(r'\w+="[^"]*"', calculation)
    )


MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
MAIN_X = b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


@pytest.mark.parametrize(
    ("workbook", "expected"),
    [
        (
            b'<workbook %s><sheets/><calcPr calcId="191029"/></workbook>' % MAIN,
            (
                b'<workbook %s><sheets/><calcPr fullCalcOnLoad="1" calcId="191029"/>'
                b"</workbook>" % MAIN
            ),
        ),
        (
            b"<workbook %s><sheets/><calcPr fullCalcOnLoad='0'/></workbook>" % MAIN,
            b"<workbook %s><sheets/><calcPr fullCalcOnLoad='1'/></workbook>" % MAIN,
        ),
        (
            b"<workbook %s><sheets/><definedNames/><pivotCaches/></workbook>" % MAIN,
            (
                b'<workbook %s><sheets/><definedNames/><calcPr fullCalcOnLoad="1"/>'
                b"<pivotCaches/></workbook>" % MAIN
            ),
        ),
        (
            b"<x:workbook %s><x:sheets/></x:workbook>" % MAIN_X,
            (
                b"<x:workbook %s><x:sheets/>"
                b'<x:calcPr fullCalcOnLoad="1"/></x:workbook>' % MAIN_X
            ),
        ),
        (
            b"<workbook %s><sheets></sheets ><calcPr /></workbook >" % MAIN,
            b'<workbook %s><sheets></sheets ><calcPr fullCalcOnLoad="1" /></workbook >'
            % MAIN,
        ),
        (
            b"<workbook %s><sheets></sheets ></workbook >" % MAIN,
            b'<workbook %s><sheets></sheets ><calcPr fullCalcOnLoad="1"/></workbook >'
            % MAIN,
        ),
        (
            b"<x:workbook %s><x:sheets/><extLst %s/></x:workbook>" % (MAIN_X, MAIN),
            b'<x:workbook %s><x:sheets/><x:calcPr fullCalcOnLoad="1"/><extLst %s/>'
            b"</x:workbook>" % (MAIN_X, MAIN),
        ),
    ],
    ids=[
        "added",
        "switched-on",
        "element-added",
        "prefixed",
        "end-tags-with-space",
        "added-before-end-tag-with-space",
        "follower-in-default-namespace",
    ],
)
def test_full_calculation_setting(workbook: bytes, expected: bytes) -> None:
    assert with_full_calculation(workbook) == expected


def test_tab_listed_in_app_properties(fidelity: Path) -> None:
    properties = read_part(patched(fidelity, fidelity_edits()), "docProps/app.xml")

    assert "<vt:i4>5</vt:i4>" in properties
    assert (
        "<vt:lpstr>Lists</vt:lpstr><vt:lpstr>Funnel</vt:lpstr><vt:lpstr>Follow-ups"
        in properties
    )


def test_same_edits_twice_give_identical_bytes(fidelity: Path) -> None:
    first = patched(fidelity, fidelity_edits(), "first.xlsx")
    second = first.with_name("second.xlsx")

    stats = patch_workbook(first, second, fidelity_edits())

    assert second.read_bytes() == first.read_bytes()
    assert stats.members_rewritten == []


def test_separate_runs_give_identical_bytes(fidelity: Path) -> None:
    first = patched(fidelity, fidelity_edits(), "first.xlsx")

    again = patched(fidelity, fidelity_edits(), "again.xlsx")

    assert again.read_bytes() == first.read_bytes()


def test_highlight_block_not_stacked(fidelity: Path) -> None:
    first = patched(fidelity, fidelity_edits(), "first.xlsx")

    second = patched(
        first, fidelity_edits(highlight_range=(4, 30, 0, 11)), "second.xlsx"
    )

    sheet = read_part(second, "xl/worksheets/sheet1.xml")
    assert sheet.count("LEFT($L4,5)") == 1
    assert (
        '<conditionalFormatting sqref="A4:L30"><cfRule type="expression" dxfId="6"'
        in sheet
    )


def test_highlight_dxf_added_once(fidelity: Path) -> None:
    first = patched(fidelity, fidelity_edits(), "first.xlsx")

    second = patched(first, fidelity_edits(), "second.xlsx")

    assert (
        read_part(second, "xl/styles.xml").count(
            '<bgColor rgb="FFFFC7CE"/></patternFill></fill></dxf>'
        )
        == 2
    )


def test_macro_workbook_stays_macro_enabled(fidelity_xlsm: Path) -> None:
    target = patched(fidelity_xlsm, fidelity_edits(), "out.xlsm")

    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in read_part(
        target, "[Content_Types].xml"
    )
    assert (
        raw_members(target)["xl/vbaProject.bin"]
        == raw_members(fidelity_xlsm)["xl/vbaProject.bin"]
    )


def test_zlib_output_reads_back(fidelity_xlsx: Path) -> None:
    target = fidelity_xlsx.with_name("zlib.xlsx")

    stats = patch_workbook(
        fidelity_xlsx, target, fidelity_edits(), deflater=ZLIB_DEFLATER
    )

    assert stats.deflate_backend == "zlib-6"
    assert column_values(target, "Deals", STATUS_COLUMN)[3] == SPECIAL_TEXT


@pytest.mark.parametrize("producer", ["xlsxwriter_workbook", "openpyxl_workbook"])
def test_other_producers_patched(producer: str, request: pytest.FixtureRequest) -> None:
    source: Path = request.getfixturevalue(producer)
    edits = WorkbookEdits(
        tab="Deals",
        status_column=4,
        header_row=1,
        status_header="Status",
        status_cells={2: "OK", 3: SPECIAL_TEXT, 4: "Overdue"},
        generated_tabs=[FUNNEL],
        owned_tab_names=["Funnel"],
        highlights=[HighlightRule('LEFT($E2,5)="ERROR"', "FFC7CE")],
        highlight_range=(2, 4, 0, 4),
    )

    target = patched(source, edits)

    assert column_values(target, "Deals", 4) == [
        "Status",
        "OK",
        SPECIAL_TEXT,
        "Overdue",
    ]
    assert tab_values(target, "Notes") == [["kept as is"]]
    assert tab_values(target, "Funnel")[1] == ["Lead", 5.0, 1000.5]


@pytest.mark.parametrize("producer", ["xlsxwriter_workbook", "openpyxl_workbook"])
def test_other_producers_open_in_openpyxl(
    producer: str, request: pytest.FixtureRequest
) -> None:
    source: Path = request.getfixturevalue(producer)
    edits = WorkbookEdits("Deals", 4, 1, "Status", {2: "OK"}, [FUNNEL], ["Funnel"])

    workbook = openpyxl.load_workbook(patched(source, edits))

    assert workbook["Deals"]["E2"].value == "OK"


def with_long_deals_tab(source: Path, target: Path, rows: int) -> Path:
    """Copy ``source`` with a Deals sheet of ``rows`` rows, several MiB of XML."""
    sheet = "xl/worksheets/sheet1.xml"
    cells = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>D-%06d \xe7\x8b\x80</t></is>'
        b'</c><c r="C%d"><v>%d</v></c></row>' % (row, row, row, row, row)
        for row in range(2, rows + 1)
    )
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            content = original.read(info)
            if info.filename == sheet:
                content = content.replace(b"</sheetData>", cells + b"</sheetData>")
                content = re.sub(rb'<row r="[2-4]".*?</row>', b"", content)
            copy.writestr(info, content, zipfile.ZIP_DEFLATED)
    return target


def test_long_tab_patched_in_pieces(xlsxwriter_workbook: Path, tmp_path: Path) -> None:
    source = with_long_deals_tab(xlsxwriter_workbook, tmp_path / "long.xlsx", 30_000)
    texts = {row: f"OK {row} 狀態" for row in range(2, 30_001, 2)}

    target = patched(source, WorkbookEdits("Deals", 4, 1, "Status", texts))

    values = column_values(target, "Deals", 4)
    assert len(values) == 30_000
    assert values[:4] == ["Status", "OK 2 狀態", "", "OK 4 狀態"]
    assert values[-1] == "OK 30000 狀態"


def test_long_tab_repatch_kept_as_stored(
    xlsxwriter_workbook: Path, tmp_path: Path
) -> None:
    source = with_long_deals_tab(xlsxwriter_workbook, tmp_path / "long.xlsx", 30_000)
    edits = WorkbookEdits("Deals", 4, 1, "Status", {2: "OK", 29_999: "Lost"})
    first = patched(source, edits, "first.xlsx")

    stats = patch_workbook(first, tmp_path / "second.xlsx", edits)

    assert stats.members_rewritten == []
    assert raw_members(tmp_path / "second.xlsx") == raw_members(first)


@pytest.mark.parametrize("hashed_before", [False, True], ids=["fresh", "hashed"])
def test_tab_record_has_grid_digest(
    xlsxwriter_workbook: Path, monkeypatch: pytest.MonkeyPatch, hashed_before: bool
) -> None:
    tab = replace(FOLLOW_UPS)
    expected = grid_digest(tab.grid)
    if hashed_before:
        assert tab.digest == expected
    blocks_hashed: list[int] = []
    add_block = GridDigest.add_block

    def count_block(digest: GridDigest, *args: Any, **kwargs: Any) -> None:
        blocks_hashed.append(1)
        add_block(digest, *args, **kwargs)

    monkeypatch.setattr(GridDigest, "add_block", count_block)
    edits = WorkbookEdits("Deals", 4, 1, None, generated_tabs=[tab])

    target = patched(xlsxwriter_workbook, edits)

    records = read_tab_records(read_part(target, "xl/workbook.xml").encode())
    assert [record.digest for record in records.values()] == [expected]
    assert len(blocks_hashed) == (0 if hashed_before else 1)


def test_nothing_to_write_copies_workbook(xlsxwriter_workbook: Path) -> None:
    edits = WorkbookEdits("Deals", 4, 1, None)

    target = patched(xlsxwriter_workbook, edits)

    assert target.read_bytes() == xlsxwriter_workbook.read_bytes()


def test_formula_status_drops_calculation_chain(
    xlsxwriter_workbook: Path, tmp_path: Path
) -> None:
    source = with_calculation_chain(xlsxwriter_workbook, tmp_path / "chain.xlsx")

    target = patched(source, WorkbookEdits("Deals", 4, 1, None, {2: "OK"}))

    assert "xl/calcChain.xml" not in member_names(target)
    assert "calcChain" not in read_part(target, "xl/_rels/workbook.xml.rels")
    assert "calcChain" not in read_part(target, "[Content_Types].xml")


def test_formula_in_owned_tab_drops_calculation_chain(
    xlsxwriter_workbook: Path, tmp_path: Path
) -> None:
    first = patched(
        xlsxwriter_workbook, WorkbookEdits("Deals", 4, 1, None, {}, [FOLLOW_UPS])
    )
    assert FOLLOW_UPS_PART in member_names(first)
    source = with_calculation_chain(first, tmp_path / "chain.xlsx", FOLLOW_UPS_PART)
    edits = WorkbookEdits("Deals", 4, 1, None, {}, [FOLLOW_UPS], ["Follow-ups"])

    target = patched(source, edits, "second.xlsx")

    assert "xl/calcChain.xml" not in member_names(target)
    assert "calcChain" not in read_part(target, "xl/_rels/workbook.xml.rels")


def test_recorded_tab_not_read_for_formulas(
    xlsxwriter_workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = patched(
        xlsxwriter_workbook, WorkbookEdits("Deals", 4, 1, None, {}, [FOLLOW_UPS])
    )
    parts_read: list[str] = []
    read = Package.read

    def record_read(package: Package, part: str) -> bytes:
        parts_read.append(part)
        return read(package, part)

    monkeypatch.setattr(Package, "read", record_read)
    changed = replace(FOLLOW_UPS, grid=[*FOLLOW_UPS.grid, ["D-0003", None]])
    edits = WorkbookEdits("Deals", 4, 1, None, {}, [changed], ["Follow-ups"])

    target = patched(first, edits, "second.xlsx")

    assert FOLLOW_UPS_PART not in parts_read
    assert tab_values(target, "Follow-ups")[-1] == ["D-0003", ""]


def test_missing_pipeline_tab_reported(xlsxwriter_workbook: Path) -> None:
    with pytest.raises(SheetLayoutError) as raised:
        patched(xlsxwriter_workbook, WorkbookEdits("Pipeline", 4, 1, "Status"))

    assert str(raised.value) == (
        "Workbook 'xlsxwriter.xlsx' has no tab 'Pipeline'; its tabs are 'Deals', "
        "'Notes'. Check the tab name in the pipeline definition's source."
    )


def test_user_tab_never_overwritten(xlsxwriter_workbook: Path) -> None:
    notes = GeneratedTab("notes", [["x"]])

    with pytest.raises(SheetLayoutError) as raised:
        patched(
            xlsxwriter_workbook, WorkbookEdits("Deals", 4, 1, None, {}, [notes], [])
        )

    assert str(raised.value) == (
        "Workbook 'xlsxwriter.xlsx' already has a tab 'Notes' that pipesheet did not "
        "create, so pipesheet will not overwrite it. Rename that tab, or choose "
        "another name for the generated tab under outputs.tabs in the pipeline "
        "definition."
    )


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("Q3/Q4", "Excel does not allow '/' in tab names"),
        ("A" * 32, "it is 32 characters long and Excel allows 31"),
        ("deals", "it is the same tab as 'Deals'"),
        ("History", "Excel reserves it for its change history"),
    ],
    ids=["slash", "too-long", "pipeline-tab", "reserved"],
)
def test_invalid_tab_name_rejected(
    xlsxwriter_workbook: Path, name: str, problem: str
) -> None:
    tab = GeneratedTab(name, [["x"]])

    with pytest.raises(DefinitionError) as raised:
        patched(
            xlsxwriter_workbook, WorkbookEdits("Deals", 4, 1, None, {}, [tab], [name])
        )

    assert str(raised.value) == (
        f"Workbook 'xlsxwriter.xlsx': generated tab name {name!r} cannot be used "
        f"because "
        f"{problem}. Choose another name in the pipeline definition's outputs."
    )


def test_target_same_as_source_rejected(xlsxwriter_workbook: Path) -> None:
    with pytest.raises(ValueError) as raised:
        patch_workbook(
            xlsxwriter_workbook, xlsxwriter_workbook, WorkbookEdits("Deals", 4, 1, "S")
        )

    assert str(raised.value) == (
        f"target {str(xlsxwriter_workbook)!r} is the source workbook itself"
    )


def with_calculation_chain(
    source: Path, target: Path, sheet: str = "xl/worksheets/sheet1.xml"
) -> Path:
    """Copy ``source`` with a formula in E2 of ``sheet`` and a calcChain listing it."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            content = original.read(info)
            if info.filename == sheet:
                content = _with_formula_in_e2(content)
            elif info.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/calcChain" '
                    b'Target="calcChain.xml"/>'
                    b"</Relationships>",
                )
            elif info.filename == "[Content_Types].xml":
                content = content.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/calcChain.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/><'
                    b"/Types>",
                )
            copy.writestr(info, content)
        copy.writestr(
            "xl/calcChain.xml",
            "<calcChain "
            'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<c r="E2" i="1"/></calcChain>',
        )
    return target


def _with_formula_in_e2(sheet: bytes) -> bytes:
    row_2 = re.search(rb'<row r="2".*?</row>', sheet)
    assert row_2 is not None
    formula = b'<c r="E2"><f>C2*2</f><v>2000</v></c></row>'
    fixed = row_2.group(0).replace(b"</row>", formula)
    return sheet[: row_2.start()] + fixed + sheet[row_2.end() :]


def test_table_column_renamed_with_header(fidelity_xlsx: Path) -> None:
    edits = fidelity_edits(status_column=9, highlights=[], generated_tabs=[])

    target = patched(fidelity_xlsx, edits)

    table = read_part(target, "xl/tables/table1.xml")
    assert '<tableColumn id="10" name="Status" totalsRowFunction="sum"' in table
    assert column_values(target, "Deals", 9)[2] == "Status"


def test_header_outside_table_leaves_table(fidelity_xlsx: Path) -> None:
    target = patched(fidelity_xlsx, fidelity_edits())

    table = raw_members(target)["xl/tables/table1.xml"]

    assert table == raw_members(fidelity_xlsx)["xl/tables/table1.xml"]


def test_duplicate_table_column_name_rejected(fidelity_xlsx: Path) -> None:
    edits = fidelity_edits(status_column=9, status_header="amount", generated_tabs=[])

    with pytest.raises(FeatureLossError) as raised:
        patched(fidelity_xlsx, edits)

    assert str(raised.value) == (
        "Workbook 'fidelity.xlsx', tab 'Deals': the status header 'amount' is already "
        "the name of another column of the Excel table there, and table column names "
        "must be unique. Rename that column or change the status header, then run "
        "again."
    )


def test_missing_package_part_reported(
    xlsxwriter_workbook: Path, tmp_path: Path
) -> None:
    source = tmp_path / "broken.xlsx"
    with (
        zipfile.ZipFile(xlsxwriter_workbook) as original,
        zipfile.ZipFile(source, "w") as copy,
    ):
        for info in original.infolist():
            if info.filename != "[Content_Types].xml":
                copy.writestr(info, original.read(info))

    with pytest.raises(UnsupportedWorkbookError) as raised:
        patched(source, WorkbookEdits("Deals", 4, 1, "Status"))

    assert str(raised.value) == (
        "Workbook 'broken.xlsx' has no '[Content_Types].xml' part, so it is not a "
        "valid .xlsx file. Open it in Excel and save it again, then run again."
    )


def test_damaged_workbook_part_reported(
    xlsxwriter_workbook: Path, tmp_path: Path
) -> None:
    source = tmp_path / "broken.xlsx"
    with (
        zipfile.ZipFile(xlsxwriter_workbook) as original,
        zipfile.ZipFile(source, "w") as copy,
    ):
        for info in original.infolist():
            damaged = info.filename == "xl/workbook.xml"
            copy.writestr(info, b"<workbook" if damaged else original.read(info))

    with pytest.raises(UnsupportedWorkbookError) as raised:
        patched(source, WorkbookEdits("Deals", 4, 1, "Status"))

    assert str(raised.value) == (
        "Workbook 'broken.xlsx' has a damaged XML part (unclosed token: line 1, column "
        "0). Open it in Excel and save it again, then run again."
    )


def with_row_moved(source: Path, target: Path, row: int, after: int) -> Path:
    """Copy ``source`` with Deals row ``row`` moved behind row ``after``."""
    sheet = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            content = original.read(info)
            if info.filename == sheet:
                moved = re.search(rb'<row r="%d".*?</row>' % row, content)
                anchor = re.search(rb'<row r="%d".*?</row>' % after, content)
                assert moved is not None and anchor is not None
                content = content.replace(moved.group(0), b"")
                content = content.replace(
                    anchor.group(0), anchor.group(0) + moved.group(0)
                )
            copy.writestr(info, content, zipfile.ZIP_DEFLATED)
    return target


def test_damaged_sheet_leaves_no_file_mapped(
    xlsxwriter_workbook: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    long = with_long_deals_tab(xlsxwriter_workbook, tmp_path / "long.xlsx", 3_000)
    source = with_row_moved(long, tmp_path / "moved.xlsx", 30, 2_900)
    edits = WorkbookEdits("Deals", 4, 1, None, {r: "OK" for r in range(2, 3_001)})
    caplog.set_level("DEBUG", logger="sync.xlsx.package")

    with pytest.raises(UnsupportedWorkbookError):
        patch_workbook(source, tmp_path / "out.xlsx", edits)

    assert not [m for m in caplog.messages if "still in use" in m]
