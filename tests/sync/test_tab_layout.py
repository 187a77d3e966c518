"""Generated tabs in Excel: frozen bold header rows, filters and number formats."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from config.models import Locale
from tests.sync.test_run import build_workbook, run_once

LIST_TABS = {"Follow-ups": "J", "Problems": "H"}


@pytest.fixture
def generated_path(tmp_path: Path) -> Path:
    path, pipeline = build_workbook(tmp_path, Locale.EN)
    run_once(path, pipeline)
    return path


@pytest.fixture
def generated(generated_path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(generated_path)


def tab(book: openpyxl.Workbook, title: str) -> Worksheet:
    sheet = book[title]
    assert isinstance(sheet, Worksheet)
    return sheet


@pytest.mark.parametrize("title", ["Funnel", "Follow-ups", "Problems", "Definitions"])
def test_header_row_frozen_and_bold(generated: openpyxl.Workbook, title: str) -> None:
    sheet = tab(generated, title)

    assert sheet.freeze_panes == "A4"
    assert sheet["A1"].font.b is True
    assert sheet["A3"].font.b is True
    assert sheet["B3"].font.b is True
    assert sheet["A4"].font.b is False


@pytest.mark.parametrize(("title", "last_column"), LIST_TABS.items())
def test_list_tab_filter_covers_table(
    generated: openpyxl.Workbook, title: str, last_column: str
) -> None:
    sheet = tab(generated, title)

    assert sheet.auto_filter.ref == f"A3:{last_column}{sheet.max_row}"


@pytest.mark.parametrize("title", ["Funnel", "Definitions"])
def test_tab_of_several_tables_has_no_filter(
    generated: openpyxl.Workbook, title: str
) -> None:
    assert tab(generated, title).auto_filter.ref is None


def test_funnel_numbers_thousands_separated(generated: openpyxl.Workbook) -> None:
    funnel = tab(generated, "Funnel")
    formats = {
        (type(cell.value), cell.number_format)
        for row in funnel.iter_rows(min_row=4)
        for cell in row
        if type(cell.value) in (int, float)
    }

    # Money written as a whole float reads back as an int, so both types
    # appear with #,##0.00.
    assert (int, "#,##0") in formats
    assert (float, "#,##0.00") in formats
    assert all(number_format != "General" for _, number_format in formats)


def test_row_numbers_keep_general_format(generated: openpyxl.Workbook) -> None:
    problems = tab(generated, "Problems")
    followups = tab(generated, "Follow-ups")

    assert isinstance(problems["A4"].value, int)
    assert problems["A4"].number_format == "General"
    assert isinstance(followups["C4"].value, int)
    assert followups["C4"].number_format == "General"
    assert followups["H4"].number_format == "#,##0"


def test_filters_get_defined_names(
    generated_path: Path, generated: openpyxl.Workbook
) -> None:
    with zipfile.ZipFile(generated_path) as package:
        workbook_xml = package.read("xl/workbook.xml").decode()
    positions = {title: generated.sheetnames.index(title) for title in LIST_TABS}
    rows = {title: tab(generated, title).max_row for title in LIST_TABS}

    # LibreOffice 7.4 drops an AutoFilter without this name.
    assert workbook_xml.count('name="_xlnm._FilterDatabase"') == 2
    assert (
        '<definedName name="_xlnm._FilterDatabase" '
        f'localSheetId="{positions["Problems"]}" hidden="1">'
        f"'Problems'!$A$3:$H${rows['Problems']}</definedName>"
    ) in workbook_xml
    assert (
        '<definedName name="_xlnm._FilterDatabase" '
        f'localSheetId="{positions["Follow-ups"]}" hidden="1">'
        f"'Follow-ups'!$A$3:$J${rows['Follow-ups']}</definedName>"
    ) in workbook_xml
