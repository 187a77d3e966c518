"""Tests of the Excel workbook source: reading tabs, opening checks, applying plans."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import logging
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import openpyxl
import pytest
import xlsxwriter  # type: ignore[import-untyped]
from openpyxl.chart import BarChart as OpenpyxlBarChart
from openpyxl.chart import Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation

from config.errors import (
    DefinitionError,
    SheetLayoutError,
    SourceError,
    UnsupportedWorkbookError,
    WorkbookBusyError,
    WorkbookNotFoundError,
)
from rules.grid import CellValue, SheetGrid
from sync.atomic import BACKUP_FOLDER, TEMPORARY_SUFFIX, Fingerprint, list_backups
from sync.plan import BarChart, GeneratedTab, HighlightRule, StatusWrite, WritePlan
from sync.sources import excel
from sync.sources.excel import ExcelWorkbook
from sync.sources.read_only_workbook import ReadOnlyWorkbook
from sync.xlsx.early_tabs import EarlyTabRender
from sync.xlsx.edits import WorkbookEdits
from sync.xlsx.workbook_patch import EarlySheetPatch
from tests.fifo_files import released_fifo
from tests.shared_data import XLSX_RESEARCH as RESEARCH
from tests.shared_data import shared_file
from tests.sync.xlsx.packages import raw_members

HEADERS = ["Deal ID", "Stage", "Amount", "Close date", "Weighted", "Phone"]
STATUS_HEADER = "pipesheet status"
STATUS_COLUMN = 6
STATUS_LETTER = "G"
IDS = ["D-001", "D-002", "D-003", "D-004", "D-005"]
HIGHLIGHTS = [
    HighlightRule('LEFT($G2,5)="ERROR"', "FFC7CE"),
    HighlightRule('LEFT($G2,7)="WARNING"', "FFEB9C"),
]
FUNNEL = GeneratedTab(
    name="Funnel",
    grid=[
        ["Stage", "Deals", "Amount"],
        ["Lead", 3, 6000.0],
        ["Won", 2, 9000.0],
    ],
    chart=BarChart(
        title="Deals by stage",
        category_column=0,
        value_columns=[1],
        header_row=1,
        first_row=2,
        last_row=3,
        anchor="E2",
    ),
    column_widths=[18.0, 10.0, 14.0],
)


def build_pipeline_workbook(path: Path, *, status_header: bool = True) -> Path:
    """Build a workbook with the kinds of user content pipesheet must not touch."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Pipeline"
    sheet.append(HEADERS + ([STATUS_HEADER] if status_header else []))
    for row, deal_id in enumerate(IDS, start=2):
        amount = 1000 * (row - 1)
        close = dt.date(2025, 9, row)
        phone = f"0900{row:06d}"
        sheet.append([deal_id, "Lead", amount, close, f"=C{row}*0.5", phone])

    _style_pipeline(sheet)
    _add_user_rules(sheet)
    _add_notes_tab(workbook)
    workbook.save(path)
    return path


def _style_pipeline(sheet: Any) -> None:
    thin = Side(style="thin", color="FF999999")
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FF1F4E78")
        cell.fill = PatternFill(fill_type="solid", start_color="FFFFFF00")
        cell.border = Border(bottom=thin)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)

    for row in range(2, len(IDS) + 2):
        sheet.cell(row, 3).number_format = '#,##0.00 "TWD"'
        sheet.cell(row, 4).number_format = "yyyy-mm-dd"
        sheet.cell(row, 6).number_format = "@"
        sheet.cell(row, 2).protection = Protection(locked=False)

    sheet.merge_cells("I1:J1")
    sheet["I1"] = "Team notes"
    sheet["A2"].comment = Comment("Key account", "Alice")
    sheet["A3"].hyperlink = "https://crm.example.com/deals/D-002"
    sheet.column_dimensions["A"].width = 14
    sheet.freeze_panes = "B2"


def _add_user_rules(sheet: Any) -> None:
    stages = DataValidation(type="list", formula1='"Lead,Qualified,Won,Lost"')
    stages.add("B2:B50")
    sheet.add_data_validation(stages)

    red = Font(color="FFC00000")
    large = CellIsRule(operator="greaterThan", formula=["2500"], font=red)
    sheet.conditional_formatting.add("C2:C50", large)
    lost = FormulaRule(formula=['$B2="Lost"'], font=Font(strike=True))
    sheet.conditional_formatting.add("A2:F50", lost)


def _add_notes_tab(workbook: Any) -> None:
    notes = workbook.create_sheet("Notes")
    notes.append(["Owner", "Calls"])
    notes.append(["Alice", 12])
    notes.append(["Bob", 7])
    notes["A1"].font = Font(italic=True)

    chart = OpenpyxlBarChart()
    chart.title = "Calls"
    chart.add_data(Reference(notes, min_col=2, min_row=1, max_row=3), True)
    notes.add_chart(chart, "D2")


def make_plan(grid: SheetGrid, statuses: dict[str, str], **changes: Any) -> WritePlan:
    """Build a plan that sets the given statuses, as the planner would."""
    writes = []
    for row in range(2, len(grid.rows) + 1):
        deal_id = grid.cell(row, 0)
        if isinstance(deal_id, str) and deal_id in statuses:
            previous = grid.cell(row, STATUS_COLUMN)
            writes.append(StatusWrite(deal_id, row, statuses[deal_id], previous))

    fields: dict[str, Any] = {
        "tab": "Pipeline",
        "header_row": 1,
        "id_column": 0,
        "status_column": STATUS_COLUMN,
        "status_header": STATUS_HEADER,
        "write_status_header": False,
        "last_row": len(grid.rows),
        "last_column": STATUS_COLUMN,
        "status_cells": writes,
        "highlights": HIGHLIGHTS,
    }
    fields.update(changes)
    return WritePlan(**fields)


def read_statuses(path: Path) -> dict[str, CellValue]:
    grid = ExcelWorkbook(path).read_tab("Pipeline")
    statuses = {}
    for row in range(2, len(grid.rows) + 1):
        statuses[str(grid.cell(row, 0))] = grid.cell(row, STATUS_COLUMN)
    return statuses


def status_rows(path: Path) -> dict[str, int]:
    grid = ExcelWorkbook(path).read_tab("Pipeline")
    return {str(grid.cell(row, 0)): row for row in range(2, len(grid.rows) + 1)}


def edit_pipeline(path: Path, edit: Any) -> None:
    """Change the pipeline tab the way a person saving from Excel would."""
    workbook = openpyxl.load_workbook(path)
    edit(workbook["Pipeline"])
    workbook.save(path)


def snapshot_cells(
    sheet: Any, skip_column: int | None = None
) -> dict[str, tuple[object, ...]]:
    """Return every cell's value, formula and style, by coordinate."""
    cells: dict[str, tuple[object, ...]] = {}
    for row in sheet.iter_rows(min_row=1, max_row=60, max_col=12):
        for cell in row:
            if cell.column - 1 == skip_column:
                continue
            comment = cell.comment.text if cell.comment else None
            link = cell.hyperlink.target if cell.hyperlink else None
            cells[cell.coordinate] = (
                cell.value,
                cell.data_type,
                cell.number_format,
                copy.copy(cell.font),
                copy.copy(cell.fill),
                copy.copy(cell.border),
                copy.copy(cell.alignment),
                copy.copy(cell.protection),
                comment,
                link,
            )
    return cells


def user_rules(sheet: Any) -> list[tuple[object, ...]]:
    owned = {rule.formula for rule in HIGHLIGHTS}
    rules: list[tuple[object, ...]] = []
    for formatting in sheet.conditional_formatting:
        for rule in formatting.rules:
            if rule.formula and rule.formula[0] in owned:
                continue
            rules.append((str(formatting.sqref), rule.type, rule.formula, rule.dxf))
    return rules


def pipesheet_rules(sheet: Any) -> list[tuple[object, ...]]:
    owned = {rule.formula for rule in HIGHLIGHTS}
    rules: list[tuple[object, ...]] = []
    for formatting in sheet.conditional_formatting:
        for rule in formatting.rules:
            if rule.formula and rule.formula[0] in owned:
                fill = rule.dxf.fill.end_color.rgb
                rules.append((str(formatting.sqref), rule.formula[0], fill))
    return sorted(rules)


def validations(sheet: Any) -> list[tuple[object, ...]]:
    return [
        (str(item.sqref), item.type, item.formula1)
        for item in sheet.data_validations.dataValidation
    ]


@pytest.fixture
def pipeline_path(tmp_path: Path) -> Path:
    return build_pipeline_workbook(tmp_path / "Pipeline.xlsx")


# Reading


def test_missing_sheet_part_named(tmp_path: Path) -> None:
    path = build_pipeline_workbook(tmp_path / "pipeline.xlsx")
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(damaged, "w") as target:
        for name in source.namelist():
            if name != "xl/worksheets/sheet1.xml":
                target.writestr(name, source.read(name))

    with pytest.raises(UnsupportedWorkbookError) as raised:
        ExcelWorkbook(damaged).read_tab("Pipeline")

    assert str(raised.value) == (
        "Workbook 'damaged.xlsx' is damaged: it lists the tab 'Pipeline', but the "
        "part that contains that tab's cells is missing. Open it in Excel, which "
        "offers to repair it, and save it as Excel Workbook (.xlsx), or restore "
        "it from a backup (pipesheet keeps some in .pipesheet-backups/ beside "
        "it); then run again."
    )


def test_truncated_sheet_part_names_tab(tmp_path: Path) -> None:
    path = build_pipeline_workbook(tmp_path / "pipeline.xlsx")
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(damaged, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(name, data)

    with pytest.raises(UnsupportedWorkbookError) as raised:
        ExcelWorkbook(damaged).read_tab("Pipeline")

    # calamine's own text quotes the damaged XML, cell values included.
    assert str(raised.value) == (
        "Workbook 'damaged.xlsx' could not be read: the cells of tab 'Pipeline' "
        "are damaged. Open it in Excel, which offers to repair it, and save it as "
        "Excel Workbook (.xlsx), or restore it from a backup (pipesheet keeps "
        "some in .pipesheet-backups/ beside it); then run again."
    )


def test_chart_sheet_as_tab_named(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    data = workbook.active
    data.title = "Data"
    data.append(["Deal ID", "Stage"])
    data.append(["D-1", "Lead"])
    chart = OpenpyxlBarChart()
    chart.add_data(Reference(data, min_col=1, min_row=1, max_row=2))
    workbook.create_chartsheet("Deals").add_chart(chart)
    workbook.save(tmp_path / "charts.xlsx")

    with pytest.raises(SheetLayoutError) as raised:
        ExcelWorkbook(tmp_path / "charts.xlsx").read_tab("deals")

    assert str(raised.value) == (
        "Tab 'Deals' of workbook 'charts.xlsx' is a chart sheet, not a worksheet, "
        "so it has no cells to read. Point the pipeline definition at the "
        "worksheet that contains the data, or rename that sheet."
    )


def test_read_keeps_text_numbers_and_dates(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Pipeline"
    sheet.append(["00123", 5, "5", 2.5, True, None, "x"])
    sheet.append([dt.date(2025, 9, 9), dt.datetime(2025, 9, 9, 14, 30)])
    sheet.append([dt.time(10, 15), dt.timedelta(hours=30)])
    workbook.save(tmp_path / "values.xlsx")

    rows = ExcelWorkbook(tmp_path / "values.xlsx").read_tab("Pipeline").rows

    assert rows[0] == ["00123", 5, "5", 2.5, True, None, "x"]
    assert type(rows[0][1]) is int
    assert rows[1][:2] == [dt.date(2025, 9, 9), dt.datetime(2025, 9, 9, 14, 30)]
    assert rows[2][:2] == [dt.time(10, 15), "30:00:00"]


def test_equal_texts_share_one_object(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Pipeline"
    sheet.append(["Proposal", "Acme"])
    sheet.append(["Proposal", "Acme"])
    workbook.save(tmp_path / "texts.xlsx")

    rows = ExcelWorkbook(tmp_path / "texts.xlsx").read_tab("Pipeline").rows

    assert rows == [["Proposal", "Acme"], ["Proposal", "Acme"]]
    assert rows[0][0] is rows[1][0]
    assert rows[0][1] is rows[1][1]


def test_equal_dates_share_one_object(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Pipeline"
    sheet.append([dt.date(2025, 9, 9), dt.datetime(2025, 9, 9, 14, 30)])
    sheet.append([dt.date(2025, 9, 9), dt.datetime(2025, 9, 9, 14, 30)])
    workbook.save(tmp_path / "dates.xlsx")

    rows = ExcelWorkbook(tmp_path / "dates.xlsx").read_tab("Pipeline").rows

    assert rows[0][0] is rows[1][0]
    assert type(rows[0][0]) is dt.date
    assert type(rows[1][1]) is dt.datetime


def test_equal_numbers_keep_their_types(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Pipeline"
    sheet.append([True, 1.0, False, 0.0, 2.5])
    sheet.append([1.0, True, 0.0, False, 2.5])
    workbook.save(tmp_path / "numbers.xlsx")

    rows = ExcelWorkbook(tmp_path / "numbers.xlsx").read_tab("Pipeline").rows

    assert [type(value) for value in rows[0]] == [bool, int, bool, int, float]
    assert [type(value) for value in rows[1]] == [int, bool, int, bool, float]
    assert rows == [[True, 1, False, 0, 2.5], [1, True, 0, False, 2.5]]


def test_empty_tab_has_no_rows(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.create_sheet("Notes")
    workbook.save(tmp_path / "empty.xlsx")

    grid = ExcelWorkbook(tmp_path / "empty.xlsx").read_tab("Notes")

    assert grid.rows == []


def test_read_from_column_b_keeps_column_a(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active["B1"] = "Deal ID"
    workbook.active["C2"] = "D-1"
    workbook.save(tmp_path / "column-b.xlsx")

    grid = ExcelWorkbook(tmp_path / "column-b.xlsx").read_tab("Sheet")

    assert grid.rows == [[None, "Deal ID", None], [None, None, "D-1"]]


def test_read_starts_at_cell_a1(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active["C3"] = "Deal ID"
    workbook.save(tmp_path / "offset.xlsx")

    grid = ExcelWorkbook(tmp_path / "offset.xlsx").read_tab("Sheet")

    assert grid.cell(3, 2) == "Deal ID"
    assert grid.rows[0] == [None, None, None]


def test_read_tab_ignores_case(pipeline_path: Path) -> None:
    grid = ExcelWorkbook(pipeline_path).read_tab("pipeline")

    assert grid.tab == "Pipeline"
    assert grid.workbook == "Pipeline.xlsx"


def test_tab_names_in_workbook_order(pipeline_path: Path) -> None:
    assert ExcelWorkbook(pipeline_path).tab_names() == ["Pipeline", "Notes"]


def test_missing_tab_suggests_nearest(pipeline_path: Path) -> None:
    with pytest.raises(SheetLayoutError) as raised:
        ExcelWorkbook(pipeline_path).read_tab("Pipline")

    assert str(raised.value) == (
        "Tab 'Pipline' not found in workbook 'Pipeline.xlsx'. Existing tabs: "
        "'Pipeline', 'Notes'. Did you mean 'Pipeline'? Fix source.tab in the "
        "pipeline definition or rename the tab."
    )


def test_missing_tab_without_near_name(pipeline_path: Path) -> None:
    with pytest.raises(SheetLayoutError) as raised:
        ExcelWorkbook(pipeline_path).read_tab("Opportunities")

    assert str(raised.value) == (
        "Tab 'Opportunities' not found in workbook 'Pipeline.xlsx'. Existing tabs: "
        "'Pipeline', 'Notes'. Fix source.tab in the pipeline definition or rename "
        "the tab."
    )


def test_read_after_write_keeps_values(pipeline_path: Path) -> None:
    source = ExcelWorkbook(pipeline_path)
    before = source.read_tab("Pipeline")
    source.apply(make_plan(before, {"D-001": "OK"}))

    after = ExcelWorkbook(pipeline_path).read_tab("Pipeline")

    assert after.cell(2, 5) == "0900000002"
    assert after.cell(2, 3) == dt.date(2025, 9, 2)
    assert after.cell(2, 2) == 1000


# Opening


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "Pipeline.xls",
            b"\xd0\xcf\x11\xe0",
            (
                "Workbook 'Pipeline.xls' is an Excel 97-2003 workbook (.xls), which "
                "pipesheet cannot write. Open it in Excel and use File > Save As > "
                "Excel Workbook (.xlsx)."
            ),
        ),
        (
            "Pipeline.ods",
            b"PK\x03\x04",
            (
                "Workbook 'Pipeline.ods' is an OpenDocument spreadsheet (.ods). Open "
                "it in LibreOffice Calc and use File > Save As > Excel 2007-365 "
                "(.xlsx)."
            ),
        ),
        (
            "Pipeline.csv",
            b"Deal ID,Stage\n",
            (
                "Workbook 'Pipeline.csv' is a CSV file, which has no tabs or "
                "formatting to keep. Open it in Excel or LibreOffice and save it as "
                "an Excel workbook (.xlsx)."
            ),
        ),
        (
            "Pipeline.numbers",
            b"PK\x03\x04",
            (
                "Workbook 'Pipeline.numbers' is an Apple Numbers file. In Numbers use "
                "File > Export To > Excel and choose the .xlsx format."
            ),
        ),
        (
            "Pipeline.txt",
            b"Deal ID",
            (
                "Workbook 'Pipeline.txt' has the extension '.txt'; pipesheet "
                "writes Excel workbooks (.xlsx, .xlsm) and checks .ods, .xls, .csv "
                "and .tsv files. Save it as .xlsx and point --source or "
                "source.path at that file."
            ),
        ),
        (
            "Pipeline.xlsx",
            b"",
            (
                "Workbook 'Pipeline.xlsx' is empty (0 bytes), perhaps left by an "
                "interrupted copy or save. Restore it from a backup (pipesheet keeps "
                "some in .pipesheet-backups/ beside it) or save it again from Excel."
            ),
        ),
        (
            "Pipeline.xlsx",
            "Deal ID,Stage,Amount\nD-1,Lead,1000\nD-2,客户筛选,2000\n".encode(),
            (
                "Workbook 'Pipeline.xlsx' is not a valid .xlsx file: it contains plain "
                "text, perhaps a CSV file renamed. Open it in Excel or LibreOffice and "
                "save it as Excel Workbook (.xlsx)."
            ),
        ),
        (
            "Pipeline.xlsx",
            b"\xef\xbb\xbf<html><body><table><tr><td>Deal ID</td></tr></table>",
            (
                "Workbook 'Pipeline.xlsx' is not a valid .xlsx file: it contains an "
                "HTML table, as some programs export under a workbook's name. Open "
                "it in Excel or LibreOffice and save it as Excel Workbook (.xlsx)."
            ),
        ),
        (
            "Pipeline.xlsx",
            (
                b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
                b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
            ),
            (
                "Workbook 'Pipeline.xlsx' is not a valid .xlsx file: it contains an "
                "Excel 2003 XML spreadsheet, as some programs export under a "
                "workbook's name. Open it in Excel or LibreOffice and save it as "
                "Excel Workbook (.xlsx)."
            ),
        ),
        (
            "Pipeline.xlsx",
            b"\x00\x01\x02\x03\xfe\xff" * 20,
            (
                "Workbook 'Pipeline.xlsx' is not a valid .xlsx file: it contains data "
                "that is not a zip package. Open it in Excel or LibreOffice and save "
                "it as Excel Workbook (.xlsx)."
            ),
        ),
        (
            "Pipeline.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
            (
                "Workbook 'Pipeline.xlsx' is not an .xlsx package: it is either "
                "password-protected (encrypted) or an old .xls workbook renamed to "
                ".xlsx. Remove the password in Excel (File > Info > Protect "
                "Workbook > Encrypt with Password, clear it) or save it as Excel "
                "Workbook (.xlsx), then run again."
            ),
        ),
        (
            # Only the first half of the compound-file signature.
            "Pipeline.xlsx",
            b"\xd0\xcf\x11\xe0" + b"\x00" * 60,
            (
                "Workbook 'Pipeline.xlsx' is not a valid .xlsx file: it contains data "
                "that is not a zip package. Open it in Excel or LibreOffice and save "
                "it as Excel Workbook (.xlsx)."
            ),
        ),
        (
            "Pipeline.xlsx",
            b"PK\x03\x04" + b"\x00" * 60,
            (
                "Workbook 'Pipeline.xlsx' is not a valid .xlsx file: its zip package "
                "is damaged (File is not a zip file), perhaps by an interrupted copy. "
                "Restore it from a backup or save it again from Excel."
            ),
        ),
    ],
    ids=[
        "xls",
        "ods",
        "csv",
        "numbers",
        "other-extension",
        "empty-file",
        "csv-renamed-xlsx",
        "html-renamed-xlsx",
        "xml-spreadsheet-renamed-xlsx",
        "binary-garbage",
        "encrypted",
        "half-compound-signature",
        "corrupt-zip",
    ],
)
def test_unsupported_file_rejected(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(UnsupportedWorkbookError) as raised:
        ExcelWorkbook(path)

    assert str(raised.value) == expected


def test_html_named_xls_rejected(tmp_path: Path) -> None:
    # Web applications export an HTML table as a .xls download.
    path = tmp_path / "Export.xls"
    path.write_bytes(b"<!DOCTYPE html>\n<html><table><tr><td>Deal ID</td></tr>")

    with pytest.raises(UnsupportedWorkbookError) as raised:
        ReadOnlyWorkbook(path).tab_names()

    assert str(raised.value) == (
        "Workbook 'Export.xls' is not a valid .xls file: it contains an HTML "
        "table, as some programs export under a workbook's name. Open it in Excel "
        "or LibreOffice and save it as Excel Workbook (.xlsx)."
    )


ODS_MEDIA_TYPE = "application/vnd.oasis.opendocument.spreadsheet"
ODS_RENAMED = (
    "is an OpenDocument spreadsheet (.ods) with the extension .xlsx. Open it in "
    "LibreOffice Calc and use File > Save As > Excel 2007-365 (.xlsx), or rename "
    "it to .ods, which pipesheet checks but does not write."
)


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        (
            {"mimetype": ODS_MEDIA_TYPE, "content.xml": "<office:document-content/>"},
            ODS_RENAMED,
        ),
        (
            {"mimetype": f"{ODS_MEDIA_TYPE}-template", "content.xml": "<o/>"},
            ODS_RENAMED,
        ),
        (
            {"Index/Document.iwa": "", "Metadata/Properties.plist": ""},
            (
                "is an Apple Numbers (or other iWork) file with the extension "
                ".xlsx. In Numbers use File > Export To > Excel and choose the .xlsx "
                "format."
            ),
        ),
        (
            {"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>"},
            (
                "is a Word document (.docx), not a workbook. Point --source or "
                "source.path at the pipeline's workbook."
            ),
        ),
        (
            {"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": ""},
            (
                "is an OpenDocument text document (.odt), not a workbook. Point "
                "--source or source.path at the pipeline's workbook."
            ),
        ),
        (
            {"notes.txt": "", "Q3/Pipeline.xlsx": "PK"},
            (
                "is a zip archive that contains 'Q3/Pipeline.xlsx'. Extract that "
                "workbook and point --source or source.path at it."
            ),
        ),
        (
            {"notes.txt": "call Bob"},
            (
                "is a zip file but not an Excel workbook (it has no xl/workbook.xml "
                "part). Point --source or source.path at the pipeline's workbook, or "
                "save the sheet as Excel Workbook (.xlsx)."
            ),
        ),
    ],
    ids=["ods", "ods-template", "numbers", "docx", "odt", "zip-of-xlsx", "other-zip"],
)
def test_zip_without_workbook_named(
    tmp_path: Path, members: dict[str, str], expected: str
) -> None:
    path = tmp_path / "Pipeline.xlsx"
    with zipfile.ZipFile(path, "w") as package:
        for name, text in members.items():
            package.writestr(name, text)

    with pytest.raises(UnsupportedWorkbookError) as raised:
        ExcelWorkbook(path)

    assert str(raised.value) == f"Workbook 'Pipeline.xlsx' {expected}"


def test_ods_from_libreoffice_renamed_named(tmp_path: Path) -> None:
    path = tmp_path / "Pipeline.xlsx"
    shutil.copyfile(Path(__file__).parent / "fixtures" / "starter.ods", path)

    with pytest.raises(UnsupportedWorkbookError) as raised:
        ExcelWorkbook(path)

    assert str(raised.value).startswith(
        "Workbook 'Pipeline.xlsx' is an OpenDocument spreadsheet (.ods) with the "
        "extension .xlsx."
    )


def test_renamed_xls_named(tmp_path: Path) -> None:
    path = tmp_path / "Pipeline.xlsx"
    shutil.copyfile(Path(__file__).parent / "fixtures" / "starter.xls", path)

    with pytest.raises(UnsupportedWorkbookError) as raised:
        ExcelWorkbook(path)

    assert str(raised.value) == (
        "Workbook 'Pipeline.xlsx' is an old Excel workbook (.xls) with the "
        "extension .xlsx. Save it as Excel Workbook (.xlsx) in Excel to have it "
        "checked and written, or rename it to .xls, which pipesheet checks but "
        "does not write."
    )


def test_encrypted_workbook_named(tmp_path: Path) -> None:
    # A compound file whose directory lists the stream of an encrypted package.
    path = tmp_path / "Pipeline.xlsx"
    path.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 504
        + "EncryptedPackage".encode("utf-16-le")
    )

    with pytest.raises(UnsupportedWorkbookError) as raised:
        ExcelWorkbook(path)

    assert str(raised.value) == (
        "Workbook 'Pipeline.xlsx' is password-protected (encrypted), so pipesheet "
        "cannot read it. Remove the password in Excel (File > Info > Protect "
        "Workbook > Encrypt with Password, clear it), save, and run again."
    )


def test_empty_shared_strings_part_named(tmp_path: Path) -> None:
    path = tmp_path / "Pipeline.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Deals"
    sheet.append(["Deal ID", "Stage"])
    sheet.append(["D-1", "Lead"])
    book.save(tmp_path / "saved.xlsx")
    with zipfile.ZipFile(tmp_path / "saved.xlsx") as source:
        members = {name: source.read(name) for name in source.namelist()}
    members["xl/sharedStrings.xml"] = b""
    with zipfile.ZipFile(path, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)

    with pytest.raises(UnsupportedWorkbookError) as raised:
        ExcelWorkbook(path).read_tab("Deals")

    assert str(raised.value) == (
        "Workbook 'Pipeline.xlsx' is damaged: its part 'xl/sharedStrings.xml' is "
        "empty (0 bytes), so it cannot be read as it is. Open it in Excel, which "
        "offers to repair it, and save it as Excel Workbook (.xlsx), or restore "
        "it from a backup (pipesheet keeps some in .pipesheet-backups/ beside "
        "it); then run again."
    )


def test_unparseable_workbook_part_rejected(tmp_path: Path) -> None:
    path = tmp_path / "Pipeline.xlsx"
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("xl/workbook.xml", "not xml at all")

    with pytest.raises(UnsupportedWorkbookError) as raised:
        ExcelWorkbook(path).read_tab("Pipeline")

    assert str(raised.value) == (
        "Workbook 'Pipeline.xlsx' could not be read: Cannot detect file format. "
        "Open it in Excel, save it again as Excel Workbook (.xlsx) and run again."
    )


def test_missing_file_not_found(tmp_path: Path) -> None:
    path = tmp_path / "Pipeline.xlsx"

    with pytest.raises(WorkbookNotFoundError) as raised:
        ExcelWorkbook(path)

    assert str(raised.value) == (
        f"Workbook {str(path)!r} not found. Check source.path in the pipeline "
        "definition; a relative path is read from the folder pipesheet runs in."
    )


def test_folder_rejected(tmp_path: Path) -> None:
    path = tmp_path / "Pipeline.xlsx"
    path.mkdir()

    with pytest.raises(UnsupportedWorkbookError) as raised:
        ExcelWorkbook(path)

    assert str(raised.value) == (
        f"Workbook path {str(path)!r} is a folder, not a regular file. Point "
        "--source or source.path in the pipeline definition at the .xlsx file."
    )


def test_fifo_named_as_fifo(tmp_path: Path) -> None:
    with released_fifo(tmp_path / "Pipeline.xlsx") as path:
        with pytest.raises(UnsupportedWorkbookError) as raised:
            ExcelWorkbook(path)

    assert str(raised.value) == (
        f"Workbook path {str(path)!r} is a FIFO (named pipe), not a regular "
        "file. Point --source or source.path in the pipeline definition at the "
        ".xlsx file."
    )


def test_output_extension_must_match(pipeline_path: Path) -> None:
    with pytest.raises(UnsupportedWorkbookError) as raised:
        ExcelWorkbook(pipeline_path, output=pipeline_path.with_name("copy.xlsm"))

    assert str(raised.value) == (
        "Output file 'copy.xlsm' must have the same extension as the workbook "
        "'Pipeline.xlsx' (.xlsx); Excel rejects a file whose extension does not "
        "match its content."
    )


# Owned ranges only


def test_apply_changes_owned_ranges_only(pipeline_path: Path) -> None:
    before = openpyxl.load_workbook(pipeline_path)
    source = ExcelWorkbook(pipeline_path)
    plan = make_plan(
        source.read_tab("Pipeline"),
        {"D-001": "OK", "D-003": "ERROR: amount missing"},
        tabs=[FUNNEL],
    )

    source.apply(plan)

    after = openpyxl.load_workbook(pipeline_path)
    pipeline_before, pipeline_after = before["Pipeline"], after["Pipeline"]
    assert snapshot_cells(pipeline_after, STATUS_COLUMN) == snapshot_cells(
        pipeline_before, STATUS_COLUMN
    )
    assert snapshot_cells(after["Notes"]) == snapshot_cells(before["Notes"])
    assert validations(pipeline_after) == validations(pipeline_before)
    assert user_rules(pipeline_after) == user_rules(pipeline_before)
    assert pipeline_after.merged_cells.ranges == pipeline_before.merged_cells.ranges
    assert pipeline_after.freeze_panes == "B2"
    assert pipeline_after.column_dimensions["A"].width == 14
    assert len(after["Notes"]._charts) == 1
    assert after.sheetnames == ["Pipeline", "Notes", "Funnel"]


def test_apply_writes_status_cells(pipeline_path: Path) -> None:
    source = ExcelWorkbook(pipeline_path)
    plan = make_plan(
        source.read_tab("Pipeline"), {"D-001": "OK", "D-003": "ERROR: amount missing"}
    )

    report = source.apply(plan)

    statuses = read_statuses(pipeline_path)
    assert statuses["D-001"] == "OK"
    assert statuses["D-003"] == "ERROR: amount missing"
    assert statuses["D-002"] is None
    assert report.status_cells_written == 2
    assert report.skipped == []
    assert report.output == str(pipeline_path)
    assert report.bytes_written == pipeline_path.stat().st_size


def test_status_cell_keeps_user_style(pipeline_path: Path) -> None:
    def style_status_cell(sheet: Any) -> None:
        sheet["G2"].font = Font(italic=True, color="FF00B050")

    edit_pipeline(pipeline_path, style_status_cell)
    source = ExcelWorkbook(pipeline_path)

    source.apply(make_plan(source.read_tab("Pipeline"), {"D-001": "OK"}))

    cell = openpyxl.load_workbook(pipeline_path)["Pipeline"]["G2"]
    assert cell.value == "OK"
    assert copy.copy(cell.font) == Font(italic=True, color="FF00B050")


def test_status_formula_text_stays_text(pipeline_path: Path) -> None:
    source = ExcelWorkbook(pipeline_path)
    text = "=HYPERLINK(1) and #N/A in a note"

    source.apply(make_plan(source.read_tab("Pipeline"), {"D-001": text}))

    cell = openpyxl.load_workbook(pipeline_path)["Pipeline"]["G2"]
    assert cell.data_type == "s"
    assert cell.value == text


def test_status_header_written_when_planned(tmp_path: Path) -> None:
    path = build_pipeline_workbook(tmp_path / "Pipeline.xlsx", status_header=False)
    source = ExcelWorkbook(path)
    plan = make_plan(
        source.read_tab("Pipeline"), {"D-002": "OK"}, write_status_header=True
    )

    source.apply(plan)

    grid = ExcelWorkbook(path).read_tab("Pipeline")
    assert grid.cell(1, STATUS_COLUMN) == STATUS_HEADER
    assert grid.cell(3, STATUS_COLUMN) == "OK"


# Rows matched by ID


def test_sorted_sheet_statuses_follow_ids(pipeline_path: Path) -> None:
    plan = make_plan(
        ExcelWorkbook(pipeline_path).read_tab("Pipeline"),
        {"D-001": "OK", "D-004": "WARNING: follow-up overdue"},
    )

    def sort_descending(sheet: Any) -> None:
        rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
        for offset, values in enumerate(reversed(rows)):
            for column, value in enumerate(values, start=1):
                sheet.cell(2 + offset, column).value = value

    edit_pipeline(pipeline_path, sort_descending)

    report = ExcelWorkbook(pipeline_path).apply(plan)

    statuses, rows = read_statuses(pipeline_path), status_rows(pipeline_path)
    assert statuses["D-001"] == "OK"
    assert statuses["D-004"] == "WARNING: follow-up overdue"
    assert rows["D-001"] == 6
    assert statuses["D-005"] is None
    assert report.skipped == []


def test_deleted_id_skipped(pipeline_path: Path) -> None:
    plan = make_plan(
        ExcelWorkbook(pipeline_path).read_tab("Pipeline"),
        {"D-002": "OK", "D-003": "OK", "D-004": "OK"},
    )
    edit_pipeline(pipeline_path, lambda sheet: sheet.delete_rows(4))

    report = ExcelWorkbook(pipeline_path).apply(plan)

    statuses = read_statuses(pipeline_path)
    assert report.skipped == ["D-003"]
    assert "D-003" not in statuses
    assert statuses["D-002"] == "OK"
    assert statuses["D-004"] == "OK"
    assert report.status_cells_written == 2


def test_row_inserted_above_shifts_statuses(pipeline_path: Path) -> None:
    plan = make_plan(ExcelWorkbook(pipeline_path).read_tab("Pipeline"), {"D-001": "OK"})

    def insert_deal_on_top(sheet: Any) -> None:
        sheet.insert_rows(2)
        sheet["A2"] = "D-NEW"

    edit_pipeline(pipeline_path, insert_deal_on_top)

    ExcelWorkbook(pipeline_path).apply(plan)

    statuses = read_statuses(pipeline_path)
    assert statuses["D-001"] == "OK"
    assert statuses["D-NEW"] is None
    assert status_rows(pipeline_path)["D-001"] == 3


def test_person_edited_status_kept(pipeline_path: Path) -> None:
    plan = make_plan(
        ExcelWorkbook(pipeline_path).read_tab("Pipeline"),
        {"D-001": "OK", "D-002": "ERROR: stage missing"},
    )

    def annotate(sheet: Any) -> None:
        sheet["G3"] = "Called, waiting for PO"

    edit_pipeline(pipeline_path, annotate)

    report = ExcelWorkbook(pipeline_path).apply(plan)

    statuses = read_statuses(pipeline_path)
    assert statuses["D-002"] == "Called, waiting for PO"
    assert statuses["D-001"] == "OK"
    assert report.skipped == ["D-002"]


def test_duplicated_id_skipped(pipeline_path: Path) -> None:
    plan = make_plan(ExcelWorkbook(pipeline_path).read_tab("Pipeline"), {"D-005": "OK"})

    def duplicate(sheet: Any) -> None:
        sheet["A7"] = "D-005"

    edit_pipeline(pipeline_path, duplicate)

    report = ExcelWorkbook(pipeline_path).apply(plan)

    assert report.skipped == ["D-005"]
    assert report.status_cells_written == 0


def test_all_skipped_leaves_file(pipeline_path: Path) -> None:
    plan = make_plan(ExcelWorkbook(pipeline_path).read_tab("Pipeline"), {"D-005": "OK"})
    edit_pipeline(pipeline_path, lambda sheet: sheet.__setitem__("A7", "D-005"))
    before = pipeline_path.read_bytes()
    modified = pipeline_path.stat().st_mtime_ns

    report = ExcelWorkbook(pipeline_path).apply(plan)

    assert report.skipped == ["D-005"]
    assert report.bytes_written == 0
    assert pipeline_path.read_bytes() == before
    assert pipeline_path.stat().st_mtime_ns == modified
    assert not (pipeline_path.parent / ".pipesheet-backups").exists()


MISSING_ID = "ERROR: missing Deal ID"


def plan_row_without_id(path: Path, row: int) -> WritePlan:
    """Read the pipeline tab and plan a missing-ID status for ``row``, by content."""
    grid = ExcelWorkbook(path).read_tab("Pipeline")
    cells = tuple(grid.cell(row, column) for column in range(STATUS_COLUMN))
    previous = grid.cell(row, STATUS_COLUMN)
    write = StatusWrite("", row, MISSING_ID, previous, row_values=cells)
    return make_plan(grid, {}, status_cells=[write])


def status_column_values(path: Path) -> list[CellValue]:
    grid = ExcelWorkbook(path).read_tab("Pipeline")
    return [grid.cell(row, STATUS_COLUMN) for row in range(2, len(IDS) + 2)]


def test_row_without_id_gets_status(pipeline_path: Path) -> None:
    edit_pipeline(pipeline_path, lambda sheet: sheet.cell(3, 1, None))
    plan = plan_row_without_id(pipeline_path, 3)

    report = ExcelWorkbook(pipeline_path).apply(plan)

    assert status_column_values(pipeline_path) == [None, MISSING_ID, None, None, None]
    assert report.status_cells_written == 1
    assert report.skipped == []


def test_sorted_sheet_skips_row_without_id(pipeline_path: Path) -> None:
    edit_pipeline(pipeline_path, lambda sheet: sheet.cell(3, 1, None))
    plan = plan_row_without_id(pipeline_path, 3)

    def reverse_rows(sheet: Any) -> None:
        rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
        for offset, values in enumerate(reversed(rows)):
            for column, value in enumerate(values, start=1):
                sheet.cell(2 + offset, column).value = value

    edit_pipeline(pipeline_path, reverse_rows)

    report = ExcelWorkbook(pipeline_path).apply(plan)

    assert status_column_values(pipeline_path) == [None] * len(IDS)
    assert report.status_cells_written == 0
    assert report.skipped == ["row:3"]


def add_calculation_chain(path: Path, cells: list[str]) -> None:
    """Add the calcChain part Excel keeps for formula cells on the first tab."""
    chain = "".join(f'<c r="{cell}" i="1"/>' for cell in cells)
    relationship = (
        '<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/calcChain" Target="calcChain.xml"/>'
    )
    override = (
        '<Override PartName="/xl/calcChain.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/>'
    )
    edited = path.with_name("with-chain.xlsx")
    with zipfile.ZipFile(path) as original, zipfile.ZipFile(edited, "w") as copy:
        for info in original.infolist():
            content = original.read(info)
            if info.filename == "xl/_rels/workbook.xml.rels":
                closing = b"</Relationships>"
                content = content.replace(closing, relationship.encode() + closing)
            elif info.filename == "[Content_Types].xml":
                content = content.replace(b"</Types>", override.encode() + b"</Types>")
            copy.writestr(info, content)
        copy.writestr(
            "xl/calcChain.xml",
            '<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
            f'main">{chain}</calcChain>',
        )
    edited.replace(path)


def test_status_cell_formula_replaced(pipeline_path: Path) -> None:
    def add_formula(sheet: Any) -> None:
        sheet["G4"] = '=IF(C4>1,"big","small")'

    edit_pipeline(pipeline_path, add_formula)
    add_calculation_chain(pipeline_path, ["E2", "E3", "E4", "G4"])
    source = ExcelWorkbook(pipeline_path)

    report = source.apply(make_plan(source.read_tab("Pipeline"), {"D-003": "OK"}))

    sheet = openpyxl.load_workbook(pipeline_path)["Pipeline"]
    assert sheet["G4"].value == "OK"
    assert sheet["G4"].data_type == "s"
    assert sheet["E4"].value == "=C4*0.5"
    assert report.skipped == []
    assert report.status_cells_written == 1
    with zipfile.ZipFile(pipeline_path) as package:
        names = package.namelist()
        relationships = package.read("xl/_rels/workbook.xml.rels").decode()
        content_types = package.read("[Content_Types].xml").decode()
    assert "xl/calcChain.xml" not in names
    assert "calcChain" not in relationships
    assert "calcChain" not in content_types


# Highlight rules


def test_highlight_rules_cover_data_rows(pipeline_path: Path) -> None:
    source = ExcelWorkbook(pipeline_path)

    source.apply(make_plan(source.read_tab("Pipeline"), {"D-001": "OK"}))

    sheet = openpyxl.load_workbook(pipeline_path)["Pipeline"]
    assert pipesheet_rules(sheet) == [
        ("A2:G6", 'LEFT($G2,5)="ERROR"', "FFFFC7CE"),
        ("A2:G6", 'LEFT($G2,7)="WARNING"', "FFFFEB9C"),
    ]


def test_highlight_rules_not_duplicated(pipeline_path: Path) -> None:
    source = ExcelWorkbook(pipeline_path)
    source.apply(make_plan(source.read_tab("Pipeline"), {"D-001": "OK"}))

    source.apply(make_plan(source.read_tab("Pipeline"), {"D-002": "OK"}))

    sheet = openpyxl.load_workbook(pipeline_path)["Pipeline"]
    assert len(pipesheet_rules(sheet)) == 2
    assert len(user_rules(sheet)) == 2


@pytest.mark.parametrize(
    ("sqref", "earlier"),
    [
        ("A2:F6", 'LEFT($F2,5)="ERROR"'),
        ("A3:G7", 'LEFT($G3,5)="ERROR"'),
        ("A2:G6", 'LEFT($G2,3)="错误："'),
    ],
    ids=["column-moved", "header-row-moved", "other-locale"],
)
def test_earlier_run_rules_replaced(
    pipeline_path: Path, sqref: str, earlier: str
) -> None:
    def add_earlier_run_rule(sheet: Any) -> None:
        fill = PatternFill(fill_type="solid", start_color="FFC7CE", end_color="FFC7CE")
        rule = FormulaRule(formula=[earlier], fill=fill)
        sheet.conditional_formatting.add(sqref, rule)

    edit_pipeline(pipeline_path, add_earlier_run_rule)
    source = ExcelWorkbook(pipeline_path)

    source.apply(make_plan(source.read_tab("Pipeline"), {"D-001": "OK"}))

    sheet = openpyxl.load_workbook(pipeline_path)["Pipeline"]
    formulas = [
        rule.formula[0]
        for formatting in sheet.conditional_formatting
        for rule in formatting.rules
        if rule.formula
    ]
    assert earlier not in formulas
    assert '$B2="Lost"' in formulas
    assert len(pipesheet_rules(sheet)) == 2


# Generated tabs


def test_generated_tab_added_at_end(pipeline_path: Path) -> None:
    source = ExcelWorkbook(pipeline_path)

    report = source.apply(make_plan(source.read_tab("Pipeline"), {}, tabs=[FUNNEL]))

    workbook = openpyxl.load_workbook(pipeline_path)
    funnel = workbook["Funnel"]
    assert workbook.sheetnames == ["Pipeline", "Notes", "Funnel"]
    assert [[cell.value for cell in row] for row in funnel.iter_rows()] == FUNNEL.grid
    assert funnel["A1"].font.bold
    assert funnel.column_dimensions["A"].width == 18.0
    assert funnel.freeze_panes == "A2"
    assert len(funnel._charts) == 1
    assert report.tabs_written == ["Funnel"]


def test_owned_tab_replaced_in_place(pipeline_path: Path) -> None:
    source = ExcelWorkbook(pipeline_path)
    source.apply(make_plan(source.read_tab("Pipeline"), {}, tabs=[FUNNEL]))
    workbook = openpyxl.load_workbook(pipeline_path)
    workbook.create_sheet("Later")
    workbook.save(pipeline_path)
    smaller = GeneratedTab(name="Funnel", grid=[["Stage", "Deals"], ["Lead", 5]])

    source = ExcelWorkbook(pipeline_path)
    plan = make_plan(
        source.read_tab("Pipeline"), {}, tabs=[smaller], owned_tab_names=["Funnel"]
    )
    source.apply(plan)

    workbook = openpyxl.load_workbook(pipeline_path)
    funnel = workbook["Funnel"]
    assert workbook.sheetnames == ["Pipeline", "Notes", "Funnel", "Later"]
    assert [[cell.value for cell in row] for row in funnel.iter_rows()] == smaller.grid
    assert funnel._charts == []


def test_user_tab_of_same_name_kept(pipeline_path: Path) -> None:
    original = pipeline_path.read_bytes()
    source = ExcelWorkbook(pipeline_path)
    notes = GeneratedTab(name="notes", grid=[["Generated"]])

    with pytest.raises(SheetLayoutError) as raised:
        source.apply(make_plan(source.read_tab("Pipeline"), {}, tabs=[notes]))

    assert str(raised.value) == (
        "Workbook 'Pipeline.xlsx' already has a tab 'Notes' that pipesheet did not "
        "create, so pipesheet will not overwrite it. Rename that tab, or choose "
        "another name for the generated tab under outputs.tabs in the pipeline "
        "definition."
    )
    assert pipeline_path.read_bytes() == original


def test_owned_tab_replaced_during_run_kept(pipeline_path: Path) -> None:
    source = ExcelWorkbook(pipeline_path)
    source.apply(make_plan(source.read_tab("Pipeline"), {}, tabs=[FUNNEL]))
    source = ExcelWorkbook(pipeline_path)
    plan = make_plan(
        source.read_tab("Pipeline"), {}, tabs=[FUNNEL], owned_tab_names=["Funnel"]
    )
    # Between the read and the write, a person swaps in a Funnel tab of their own.
    workbook = openpyxl.load_workbook(pipeline_path)
    del workbook["Funnel"]
    workbook.create_sheet("Funnel")["A1"] = "My funnel notes"
    workbook.save(pipeline_path)
    swapped = pipeline_path.read_bytes()

    with pytest.raises(WorkbookBusyError, match="changed on disk since it was read"):
        source.apply(plan)

    assert pipeline_path.read_bytes() == swapped


def test_pipeline_tab_never_replaced(pipeline_path: Path) -> None:
    original = pipeline_path.read_bytes()
    source = ExcelWorkbook(pipeline_path)
    clash = GeneratedTab(name="Pipeline", grid=[["Generated"]])
    plan = make_plan(
        source.read_tab("Pipeline"), {}, tabs=[clash], owned_tab_names=["Pipeline"]
    )

    with pytest.raises(DefinitionError) as raised:
        source.apply(plan)

    assert str(raised.value) == (
        "Workbook 'Pipeline.xlsx': generated tab name 'Pipeline' cannot be used "
        "because it is the same tab as 'Pipeline'. Choose another name in the "
        "pipeline definition's outputs."
    )
    assert pipeline_path.read_bytes() == original


def test_invalid_tab_name_rejected(pipeline_path: Path) -> None:
    source = ExcelWorkbook(pipeline_path)
    bad = GeneratedTab(name="Funnel: Q3/Q4", grid=[["x"]])

    with pytest.raises(DefinitionError) as raised:
        source.apply(make_plan(source.read_tab("Pipeline"), {}, tabs=[bad]))

    assert str(raised.value) == (
        "Workbook 'Pipeline.xlsx': generated tab name 'Funnel: Q3/Q4' cannot be used "
        "because Excel does not allow '/:' in tab names. Choose another name in the "
        "pipeline definition's outputs."
    )


def test_generated_values_written_safely(pipeline_path: Path) -> None:
    source = ExcelWorkbook(pipeline_path)
    tab = GeneratedTab(
        name="Problems",
        grid=[
            ["Row", "Value", "Rate"],
            [3, "=cmd|' /C calc'!A0", float("nan")],
            [4, "bell\x07", dt.date(2025, 9, 9)],
        ],
    )

    source.apply(make_plan(source.read_tab("Pipeline"), {}, tabs=[tab]))

    problems = openpyxl.load_workbook(pipeline_path)["Problems"]
    assert problems["B2"].data_type == "s"
    assert problems["B2"].value == "=cmd|' /C calc'!A0"
    assert problems["C2"].value is None
    assert problems["B3"].value == "bell\ufffd"
    assert problems["C3"].value == dt.datetime(2025, 9, 9)
    grid = ExcelWorkbook(pipeline_path).read_tab("Problems")
    assert grid.cell(3, 1) == "bell\ufffd"


def test_aware_datetime_rejected_before_write(pipeline_path: Path) -> None:
    original = pipeline_path.read_bytes()
    source = ExcelWorkbook(pipeline_path)
    moment = dt.datetime(2025, 9, 9, tzinfo=dt.UTC)
    tab = GeneratedTab(name="Definitions", grid=[["Last synced", moment]])

    with pytest.raises(SourceError) as raised:
        source.apply(make_plan(source.read_tab("Pipeline"), {}, tabs=[tab]))

    assert str(raised.value) == (
        "Workbook 'Pipeline.xlsx', generated tab 'Definitions', cell B1: "
        f"{moment!r} has a time zone; convert it to the business time zone and "
        "drop the zone before writing it to a tab."
    )
    assert pipeline_path.read_bytes() == original
    assert [
        p for p in pipeline_path.parent.iterdir() if TEMPORARY_SUFFIX in p.name
    ] == []


# Empty plan, atomic writes and backups


def test_empty_plan_writes_nothing(pipeline_path: Path) -> None:
    original = pipeline_path.read_bytes()
    mtime = pipeline_path.stat().st_mtime_ns
    source = ExcelWorkbook(pipeline_path)

    report = source.apply(make_plan(source.read_tab("Pipeline"), {}))

    assert report.bytes_written == 0
    assert report.status_cells_written == 0
    assert pipeline_path.read_bytes() == original
    assert pipeline_path.stat().st_mtime_ns == mtime
    assert not (pipeline_path.parent / BACKUP_FOLDER).exists()


def test_failed_save_keeps_original(
    pipeline_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = pipeline_path.read_bytes()
    source = ExcelWorkbook(pipeline_path)
    plan = make_plan(source.read_tab("Pipeline"), {"D-001": "OK"})

    def patch_halfway(source: Path, target: Any, edits: Any, **options: Any) -> None:
        target.write(b"PK\x03\x04 half a workbook")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("sync.sources.excel.patch_workbook", patch_halfway)

    with pytest.raises(SourceError) as raised:
        source.apply(plan)

    assert str(raised.value) == (
        "Workbook 'Pipeline.xlsx' could not be written: [Errno 28] No space left on "
        "device. Nothing was changed; check free space and permissions of the "
        "folder, then run again."
    )
    assert pipeline_path.read_bytes() == original
    assert [
        p for p in pipeline_path.parent.iterdir() if TEMPORARY_SUFFIX in p.name
    ] == []
    assert list_backups(pipeline_path) == []


def test_apply_keeps_bounded_backups(pipeline_path: Path) -> None:
    versions = [pipeline_path.read_bytes()]
    source = ExcelWorkbook(pipeline_path, backups=2)
    for status in ["OK", "WARNING: a", "ERROR: b"]:
        source.apply(make_plan(source.read_tab("Pipeline"), {"D-001": status}))
        versions.append(pipeline_path.read_bytes())

    backups = [path.read_bytes() for path in list_backups(pipeline_path)]
    assert backups == [versions[2], versions[1]]


# Concurrency


def test_excel_lock_file_rejects_write(pipeline_path: Path) -> None:
    original = pipeline_path.read_bytes()
    lock = pipeline_path.with_name("~$Pipeline.xlsx")
    lock.write_bytes(b"\x0aAlice Chen" + b" " * 43 + b"\x00" * 110)
    source = ExcelWorkbook(pipeline_path)
    plan = make_plan(source.read_tab("Pipeline"), {"D-001": "OK"})

    with pytest.raises(WorkbookBusyError) as raised:
        source.apply(plan)

    assert str(raised.value) == (
        "Workbook 'Pipeline.xlsx' is open in Excel by Alice Chen; close it and "
        "run again (a scheduled run retries by itself). Nothing was written. If "
        f"nobody has it open, delete the lock file {str(lock)!r}."
    )
    assert pipeline_path.read_bytes() == original


def test_libreoffice_lock_file_rejects_write(pipeline_path: Path) -> None:
    lock = pipeline_path.with_name(".~lock.Pipeline.xlsx#")
    lock.write_text(",,laptop,04.12.2026 10:31,file:///home/x/.config;")
    source = ExcelWorkbook(pipeline_path)
    plan = make_plan(source.read_tab("Pipeline"), {"D-001": "OK"})

    with pytest.raises(WorkbookBusyError) as raised:
        source.apply(plan)

    assert str(raised.value).startswith(
        "Workbook 'Pipeline.xlsx' is open in LibreOffice; close it and run again"
    )


def test_lock_on_source_allows_output(pipeline_path: Path) -> None:
    original = pipeline_path.read_bytes()
    pipeline_path.with_name("~$Pipeline.xlsx").write_bytes(b"\x0aAlice Chen")
    output = pipeline_path.with_name("copy.xlsx")
    source = ExcelWorkbook(pipeline_path, output=output)
    plan = make_plan(source.read_tab("Pipeline"), {"D-001": "OK"})

    report = source.apply(plan)

    assert report.status_cells_written == 1
    assert read_statuses(output)["D-001"] == "OK"
    assert pipeline_path.read_bytes() == original


def test_lock_on_output_rejects_write(pipeline_path: Path) -> None:
    output = pipeline_path.with_name("copy.xlsx")
    shutil.copy(pipeline_path, output)
    output.with_name(".~lock.copy.xlsx#").write_text(",,laptop,04.12.2026 10:31,x;")
    source = ExcelWorkbook(pipeline_path, output=output)
    plan = make_plan(source.read_tab("Pipeline"), {"D-001": "OK"})

    with pytest.raises(WorkbookBusyError, match="'copy.xlsx' is open in LibreOffice"):
        source.apply(plan)


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges")
def test_lock_beside_link_target_rejects_write(pipeline_path: Path) -> None:
    original = pipeline_path.read_bytes()
    lock = pipeline_path.with_name(".~lock.Pipeline.xlsx#")
    lock.write_text(",ana,laptop,04.12.2026 10:31,file:///home/ana/.config;")
    link = pipeline_path.parent / "mine" / "Pipeline.xlsx"
    link.parent.mkdir()
    link.symlink_to(pipeline_path)
    source = ExcelWorkbook(link)
    plan = make_plan(source.read_tab("Pipeline"), {"D-001": "OK"})

    with pytest.raises(WorkbookBusyError) as raised:
        source.apply(plan)

    assert str(raised.value) == (
        "Workbook 'Pipeline.xlsx' is open in LibreOffice by ana; close it and "
        "run again (a scheduled run retries by itself). Nothing was written. If "
        f"nobody has it open, delete the lock file {str(lock)!r}."
    )
    assert pipeline_path.read_bytes() == original


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges")
def test_backup_of_linked_workbook_reported(pipeline_path: Path) -> None:
    original = pipeline_path.read_bytes()
    link = pipeline_path.parent / "mine" / "Pipeline link.xlsx"
    link.parent.mkdir()
    link.symlink_to(pipeline_path)
    source = ExcelWorkbook(link)
    plan = make_plan(source.read_tab("Pipeline"), {"D-001": "OK"})

    report = source.apply(plan)

    assert report.backup is not None
    assert Path(report.backup).parent == pipeline_path.parent / BACKUP_FOLDER
    assert Path(report.backup).read_bytes() == original


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges")
def test_lock_beside_output_link_target_rejects_write(pipeline_path: Path) -> None:
    real_output = pipeline_path.parent / "shared" / "copy.xlsx"
    real_output.parent.mkdir()
    shutil.copy(pipeline_path, real_output)
    copied = real_output.read_bytes()
    real_output.with_name("~$copy.xlsx").write_bytes(b"\x03Ana" + b"\x00" * 50)
    output = pipeline_path.with_name("report.xlsx")
    output.symlink_to(real_output)
    source = ExcelWorkbook(pipeline_path, output=output)
    plan = make_plan(source.read_tab("Pipeline"), {"D-001": "OK"})

    with pytest.raises(WorkbookBusyError, match="'report.xlsx' is open in Excel"):
        source.apply(plan)
    assert real_output.read_bytes() == copied
    assert output.is_symlink()


def test_changed_on_disk_rejects_write(pipeline_path: Path) -> None:
    source = ExcelWorkbook(pipeline_path)
    plan = make_plan(source.read_tab("Pipeline"), {"D-001": "OK"})
    edit_pipeline(pipeline_path, lambda sheet: sheet.cell(2, 2, "Qualified"))
    edited = pipeline_path.read_bytes()

    with pytest.raises(WorkbookBusyError) as raised:
        source.apply(plan)

    assert str(raised.value) == (
        "Workbook 'Pipeline.xlsx' changed on disk since it was read. Nothing was "
        "written. Run again to read it anew (a scheduled run retries by itself)."
    )
    assert pipeline_path.read_bytes() == edited


CHANGED_WHILE_READ = (
    "Workbook 'Pipeline.xlsx' changed on disk while it was read, so what was "
    "read looked damaged. Nothing was written. Run again to read the saved file."
)


def saved_edit(path: Path) -> bytes:
    """Return the bytes of ``path`` with a rep's edit saved, leaving it as it is."""
    original = path.read_bytes()
    edit_pipeline(path, lambda sheet: sheet.cell(2, 2, "Qualified"))
    edited = path.read_bytes()
    path.write_bytes(original)
    return edited


def test_read_during_rewrite_not_damaged(
    pipeline_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edited = saved_edit(pipeline_path)
    real_read = excel.read_with_fingerprint

    def read_during_copy(path: Path) -> tuple[bytes, Fingerprint]:
        # The read gets the first half of the file, then the copy over it ends.
        data, fingerprint = real_read(path)
        path.write_bytes(edited)
        return data[: len(data) // 2], fingerprint

    monkeypatch.setattr(excel, "read_with_fingerprint", read_during_copy)
    source = ExcelWorkbook(pipeline_path)

    with pytest.raises(WorkbookBusyError) as raised:
        source.read_tab("Pipeline")

    assert str(raised.value) == CHANGED_WHILE_READ
    assert pipeline_path.read_bytes() == edited


def test_write_during_rewrite_not_damaged(
    pipeline_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edited = saved_edit(pipeline_path)
    source = ExcelWorkbook(pipeline_path)
    plan = make_plan(source.read_tab("Pipeline"), {"D-001": "OK"})
    real_patch = excel._patch_into

    def patch_during_copy(
        path: Path,
        out: BinaryIO,
        edits: WorkbookEdits,
        data: bytes,
        early: EarlySheetPatch | None,
        early_tabs: EarlyTabRender | None,
    ) -> None:
        # ``cp`` has cut the file and written half of it when the patch starts.
        with path.open("r+b") as file:
            file.truncate(0)
            file.write(edited[: len(edited) // 2])
        try:
            real_patch(path, out, edits, data, early, early_tabs)
        finally:
            path.write_bytes(edited)

    monkeypatch.setattr(excel, "_patch_into", patch_during_copy)

    with pytest.raises(WorkbookBusyError) as raised:
        source.apply(plan)

    # The patch works on the bytes the write checked, so the half-written
    # file is never read; the check before the rename finds the change.
    assert str(raised.value) == (
        "Workbook 'Pipeline.xlsx' changed on disk since it was read. Nothing was "
        "written. Run again to read it anew (a scheduled run retries by itself)."
    )
    assert pipeline_path.read_bytes() == edited


def test_damaged_unchanged_file_named_damaged(
    pipeline_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_read = excel.read_with_fingerprint

    def read_cut_short(path: Path) -> tuple[bytes, Fingerprint]:
        data, fingerprint = real_read(path)
        return data[: len(data) // 2], fingerprint

    monkeypatch.setattr(excel, "read_with_fingerprint", read_cut_short)
    source = ExcelWorkbook(pipeline_path)

    with pytest.raises(UnsupportedWorkbookError) as raised:
        source.read_tab("Pipeline")

    assert not isinstance(raised.value, WorkbookBusyError)
    assert "changed on disk" not in str(raised.value)


# Members pipesheet does not own


# The parts a write of the fidelity Deals tab may change: the tab's sheet part,
# the workbook part and its relationships, the content types, the tab titles in
# docProps/app.xml and the styles (for highlight fills). New generated tabs add
# members of their own.
FIDELITY_OWNED = {
    "xl/worksheets/sheet1.xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "[Content_Types].xml",
    "docProps/app.xml",
    "xl/styles.xml",
}


@pytest.fixture(params=["fidelity.xlsx", "fidelity.xlsm"], ids=["xlsx", "xlsm"])
def fidelity_copy(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    name = request.param
    return Path(shutil.copyfile(shared_file(RESEARCH / name), tmp_path / name))


def fidelity_plan(source: ExcelWorkbook) -> WritePlan:
    grid = source.read_tab("Deals")
    return WritePlan(
        tab="Deals",
        header_row=3,
        id_column=0,
        status_column=16,
        status_header=STATUS_HEADER,
        write_status_header=True,
        last_row=23,
        last_column=16,
        status_cells=[StatusWrite("D-0001", 4, "OK", grid.cell(4, 16))],
        tabs=[FUNNEL],
        highlights=[HighlightRule('LEFT($Q4,7)="ERROR: "', "FFC7CE")],
    )


def changed_members(original: Path, written: Path) -> list[str]:
    """Return the members of ``original`` whose stored bytes differ in ``written``."""
    before, after = raw_members(original), raw_members(written)
    return sorted(name for name, member in before.items() if after.get(name) != member)


def test_fidelity_synced_in_place(fidelity_copy: Path) -> None:
    original = fidelity_copy.with_name("original" + fidelity_copy.suffix)
    shutil.copyfile(fidelity_copy, original)
    source = ExcelWorkbook(fidelity_copy)

    report = source.apply(fidelity_plan(source))

    grid = ExcelWorkbook(fidelity_copy).read_tab("Deals")
    assert grid.cell(4, 16) == "OK"
    assert grid.cell(3, 16) == STATUS_HEADER
    assert report.output == str(fidelity_copy)
    assert report.tabs_written == ["Funnel"]
    changed = set(changed_members(original, fidelity_copy))
    assert "xl/worksheets/sheet1.xml" in changed
    assert changed - FIDELITY_OWNED == set()
    assert list_backups(fidelity_copy)[0].read_bytes() == original.read_bytes()


def test_output_copy_leaves_original(
    fidelity_copy: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    original = fidelity_copy.read_bytes()
    output = tmp_path / ("copy" + fidelity_copy.suffix)
    source = ExcelWorkbook(fidelity_copy, output=output)

    with caplog.at_level(logging.WARNING):
        report = source.apply(fidelity_plan(source))

    copy = ExcelWorkbook(output).read_tab("Deals")
    assert copy.cell(4, 16) == "OK"
    assert copy.cell(3, 16) == STATUS_HEADER
    assert report.output == str(output)
    assert set(changed_members(fidelity_copy, output)) - FIDELITY_OWNED == set()
    assert fidelity_copy.read_bytes() == original
    assert not (tmp_path / BACKUP_FOLDER).exists()
    assert caplog.records == []


def test_macro_workbook_keeps_vba_project(tmp_path: Path) -> None:
    with zipfile.ZipFile(shared_file(RESEARCH / "fidelity.xlsm")) as package:
        vba = package.read("xl/vbaProject.bin")
    (tmp_path / "vbaProject.bin").write_bytes(vba)
    path = tmp_path / "Pipeline.xlsm"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Pipeline")
    sheet.write_row("A1", HEADERS + [STATUS_HEADER])
    sheet.write_row("A2", ["D-001", "Lead"])
    workbook.add_vba_project(str(tmp_path / "vbaProject.bin"))
    workbook.close()
    source = ExcelWorkbook(path)

    source.apply(make_plan(source.read_tab("Pipeline"), {"D-001": "OK"}))

    with zipfile.ZipFile(path) as package:
        content_types = package.read("[Content_Types].xml").decode()
        assert package.read("xl/vbaProject.bin") == vba
    assert "sheet.macroEnabled.main+xml" in content_types
    assert ExcelWorkbook(path).read_tab("Pipeline").cell(2, STATUS_COLUMN) == "OK"


def test_plan_fields_unchanged_by_apply(pipeline_path: Path) -> None:
    source = ExcelWorkbook(pipeline_path)
    plan = make_plan(source.read_tab("Pipeline"), {"D-001": "OK"}, tabs=[FUNNEL])
    copy = dataclasses.replace(plan)

    source.apply(plan)

    assert plan == copy
