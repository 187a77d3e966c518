"""Facts of the sheet XML that calamine leaves out: formula errors, ROW() formulas."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter  # type: ignore[import-untyped]

from rules.grid import RangeFormula
from sync.sources.excel import ExcelWorkbook, show_error_cells
from sync.sources.excel_read_ahead import start_read_ahead
from sync.xlsx.sheet_scan import (
    SheetScan,
    scan_negative_numbers,
    scan_sheet,
    scan_tab,
)

SHEET = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    b'<row r="2"><c r="A2" t="inlineStr"><is><t>say t="e"</t></is></c>'
    b'<c r="B2" s="3" t="e"><f>VLOOKUP(A2,X!A:B,2,FALSE)</f><v>#N/A</v></c>'
    b'<c r="C2" t="e"/><c r="AB2" t="e"><v>#DIV/0!</v></c></row>'
    b'<row r="3"><c r="A3" t="str"><f>"D-"&amp;ROW()</f><v>D-3</v></c>'
    b'<c r="B3"><f t="shared" ref="B3:B9" si="0">ROWS($B$3:B3)</f><v>1</v></c>'
    b'<c r="C3"><f>ARROW(1)+MYROW(2)</f><v>3</v></c>'
    b'<c r="D3" t="str"><f>"ROW("</f><v>ROW(</v></c>'
    b'<c r="E3" t="inlineStr"><is><t>ROW(1)</t></is></c>'
    b"<c r='F3'><f>'My ROW(1) sheet'!A1</f><v>1</v></c></row>"
    b'<row r="4"><c r="B4"><f t="shared" si="0"/><v>2</v></c></row>'
    b'<row r="5"><c r="A5" s="2"><v>-5</v></c><c r="B5" t="str"><f>"-x"</f>'
    b'<v>-x</v></c><c r="C5" s="2" t="n"><v>-1.25</v></c>'
    b'<c r="D5"><f>A5*2</f><v>-10</v></c><c r="E5"><v>7</v></c>'
    b'<c r="F5" t="inlineStr"><is><t>v>-1</t></is></c></row>'
    b'<row r="6"><c r="E6"><f>SUBTOTAL(9,E3:E5)</f><v>3</v></c>'
    b'<c r="F6"><f>2*_xlfn.AGGREGATE(9,5,F3:F5)</f><v>2</v></c>'
    b'<c r="G6" t="str"><f>"SUBTOTAL("</f><v>SUBTOTAL(</v></c>'
    b'<c r="H6"><f t="shared" ref="H6:I6" si="1">MYSUBTOTAL(H3)</f><v>1</v></c>'
    b'<c r="I6" t="inlineStr"><is><t>AGGREGATE(1)</t></is></c></row>'
    b'<row r="7"><c r="E7" t="str"><f>IF(F7="","",F7)</f><v></v></c>'
    b'<c r="F7"><f t="shared" si="2"/><v></v></c><c r="G7"><v></v></c>'
    b'<c r="H7"><f>H6</f><v/></c><c r="I7" t="str"><f>"x"</f><v>x</v></c></row>'
    b"</sheetData></worksheet>"
)
EXPECTED = SheetScan(
    error_cells={(2, 1): "#N/A", (2, 27): "#DIV/0!"},
    row_formulas=[(3, 0, 3, 0), (3, 1, 9, 1)],
    subtotal_formulas=[(6, 4, 6, 4), (6, 5, 6, 5)],
    aggregate_formulas=[(6, 4, 6, 4), (6, 5, 6, 5)],
    empty_formula_results={(7, 4), (7, 5)},
    unsaved_formula_results={(7, 7)},
    formula_cells={
        *[b"B2", b"A3", b"B3", b"C3", b"D3", b"F3", b"B4", b"B5", b"D5"],
        *[b"E6", b"F6", b"G6", b"H6", b"E7", b"F7", b"H7", b"I7"],
    },
    range_formulas=[
        RangeFormula("shared", 3, 1, 9, 1),
        RangeFormula("shared", 6, 7, 6, 8),
    ],
)


def test_error_cells_and_row_formulas_found() -> None:
    assert scan_sheet([SHEET]) == EXPECTED


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 11, 64])
def test_error_cells_found_across_pieces(size: int) -> None:
    pieces = [SHEET[start : start + size] for start in range(0, len(SHEET), size)]

    assert scan_sheet(pieces) == EXPECTED


NEGATIVE_NUMBERS = {(5, 0): -5.0, (5, 2): -1.25, (5, 3): -10.0}


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 11, 64, len(SHEET)])
def test_negative_numbers_found_across_pieces(size: int) -> None:
    pieces = [SHEET[start : start + size] for start in range(0, len(SHEET), size)]

    assert scan_negative_numbers(pieces) == NEGATIVE_NUMBERS


def test_attributes_quoted_with_apostrophes() -> None:
    # Only the markup's quotes change: those inside formulas are text quotes.
    sheet = re.sub(rb'(\w)="([^"]*)"', rb"\1='\2'", SHEET)

    assert scan_sheet([sheet[:150], sheet[150:]]) == EXPECTED
    assert scan_negative_numbers([sheet[:150], sheet[150:]]) == NEGATIVE_NUMBERS


def test_formula_cells_in_any_attribute_order() -> None:
    # The first two cells' references follow other attributes or a line
    # break, as hand-written or pretty-printed XML has them.
    sheet = (
        b'<worksheet><sheetData><row r="4"><c s="1" r="C4"><f>1+1</f><v>2</v></c>'
        b'<c r="D4">\n  <f>2+2</f><v>4</v></c><c r="E4"><f>3+3</f><v>6</v></c>'
        b'<c r="F4"><v>7</v></c></row></sheetData></worksheet>'
    )

    assert scan_sheet([sheet]).formula_cells == {b"C4", b"D4", b"E4"}


def test_error_cells_with_namespace_prefix() -> None:
    sheet = (
        b'<x:worksheet xmlns:x="urn:x"><x:sheetData><x:row r="4">'
        b'<x:c r="D4" t="e"><x:v>#REF!</x:v></x:c></x:row></x:sheetData></x:worksheet>'
    )

    assert scan_sheet([sheet]).error_cells == {(4, 3): "#REF!"}


def test_negative_numbers_with_namespace_prefix() -> None:
    sheet = (
        b'<x:worksheet xmlns:x="urn:x"><x:sheetData><x:row r="2">'
        b'<x:c r="B2" x:s="4"><x:v>-0.5</x:v></x:c></x:row></x:sheetData>'
        b"</x:worksheet>"
    )

    assert scan_negative_numbers([sheet]) == {(2, 1): -0.5}


def negative_dates_workbook(path: Path) -> Path:
    """Deals whose date-formatted cells hold -5, -0.5 and -1.25, and -3 unformatted."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Deals")
    as_date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    as_time = workbook.add_format({"num_format": "hh:mm"})
    sheet.write_row(0, 0, ["Deal ID", "Next Step Date", "Amount"])
    sheet.write_row(1, 0, ["D-1", -5, -3])
    sheet.write_number("B2", -5, as_date)
    sheet.write_row(2, 0, ["D-2", -0.5])
    sheet.write_number("B3", -0.5, as_date)
    sheet.write_row(3, 0, ["D-3", 45909])
    sheet.write_number("B4", 45909, as_date)
    sheet.write_number("C4", -1.25, as_time)
    workbook.close()
    return path


@pytest.mark.parametrize("ahead", [False, True], ids=["plain", "read-ahead"])
def test_negative_numbers_keep_their_value(tmp_path: Path, ahead: bool) -> None:
    # calamine alone reads these date and time cells as 00:00, 12:00, 18:00.
    path = negative_dates_workbook(tmp_path / "negative.xlsx")
    if ahead:
        start_read_ahead(path, "Deals")

    grid = ExcelWorkbook(path).read_tab("Deals")

    assert grid.rows[1:] == [
        ["D-1", -5, -3],
        ["D-2", -0.5, None],
        ["D-3", dt.date(2025, 9, 9), -1.25],
    ]


def test_cell_without_reference_skipped() -> None:
    sheet = b'<sheetData><row r="1"><c t="e"><v>#N/A</v></c></row></sheetData>'

    assert scan_sheet([sheet]) == SheetScan()


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
    sheet.write_formula("A4", '="D-"&ROW()', None, "D-4")
    workbook.add_worksheet("Notes").write_formula("A1", "=1/0", None, "#DIV/0!")
    workbook.close()
    return path


def test_tab_scanned_alone(tmp_path: Path) -> None:
    path = error_workbook(tmp_path / "errors.xlsx")

    assert scan_tab(path, "Deals").error_cells == {(3, 1): "#N/A", (3, 3): "#DIV/0!"}
    assert scan_tab(path, "Notes").error_cells == {(1, 0): "#DIV/0!"}
    assert scan_tab(path, "Missing") == SheetScan()


def test_unreadable_workbook_has_no_error_cells(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")

    assert scan_tab(path, "Deals") == SheetScan()


@pytest.mark.parametrize("ahead", [False, True], ids=["plain", "read-ahead"])
def test_grid_error_text_and_formulas(tmp_path: Path, ahead: bool) -> None:
    path = error_workbook(tmp_path / "errors.xlsx")
    if ahead:
        start_read_ahead(path, "Deals")

    grid = ExcelWorkbook(path).read_tab("Deals")

    assert grid.rows[1:] == [
        ["D-1", "Lead", "Ann", 100],
        ["D-2", "#N/A", "Bob", "#DIV/0!"],
        ["D-4", None, None, None],
    ]
    assert grid.row_formulas == [(4, 0, 4, 0)]


def test_error_text_never_replaces_a_value() -> None:
    rows: list[list[object]] = [["a", None], ["b"]]

    show_error_cells(
        rows, {(1, 0): "#N/A", (1, 1): "#REF!", (2, 3): "#NUM!", (9, 0): "#N/A"}
    )  # type: ignore[arg-type]

    assert rows == [["a", "#REF!"], ["b", None, None, "#NUM!"]]


def test_only_first_tab_read_is_scanned(tmp_path: Path) -> None:
    path = error_workbook(tmp_path / "errors.xlsx")
    workbook = ExcelWorkbook(path)

    deals = workbook.read_tab("Deals")
    notes = workbook.read_tab("Notes")

    assert deals.rows[2][1] == "#N/A"
    assert notes.rows == [[None]]


@pytest.mark.parametrize("ahead", [False, True], ids=["plain", "read-ahead"])
def test_pipeline_tab_scanned_when_read_second(tmp_path: Path, ahead: bool) -> None:
    # A Stage log the state database has no record of is read before the
    # pipeline tab, which must still be scanned.
    path = error_workbook(tmp_path / "errors.xlsx")
    if ahead:
        start_read_ahead(path, "Deals")
    workbook = ExcelWorkbook(path, pipeline_tab="deals")

    notes = workbook.read_tab("Notes")
    deals = workbook.read_tab("Deals")

    assert notes.rows == [[None]]
    assert deals.rows[2][1] == "#N/A"
    assert deals.row_formulas == [(4, 0, 4, 0)]


MERGED_SHEET = (
    b'<worksheet xmlns="urn:main"><sheetData><row r="4"><c r="I4" t="inlineStr">'
    b"<is><t>Notes</t></is></c></row></sheetData>"
    b'<mergeCells count="2"><mergeCell ref="I4:J4"/><mergeCell ref="A1:C2"/>'
    b"</mergeCells><pageMargins/></worksheet>"
)


def test_merged_blocks_found() -> None:
    assert scan_sheet([MERGED_SHEET]).merged == [(4, 8, 4, 9), (1, 0, 2, 2)]


def test_merged_blocks_across_pieces() -> None:
    end = MERGED_SHEET.index(b"</sheetData>") + 4
    pieces = [MERGED_SHEET[:end], MERGED_SHEET[end:]]

    assert scan_sheet(pieces).merged == [(4, 8, 4, 9), (1, 0, 2, 2)]


def test_merged_blocks_before_tail_left_out() -> None:
    # Only the last TAIL_PIECES pieces are searched for merged blocks.
    second = MERGED_SHEET.index(b'<mergeCell ref="A1')
    pieces = [MERGED_SHEET[:second], b"", MERGED_SHEET[second:]]

    assert scan_sheet(pieces).merged == [(1, 0, 2, 2)]


def test_merged_blocks_with_prefix() -> None:
    sheet = (
        b'<x:worksheet xmlns:x="urn:x"><x:sheetData/><x:mergeCells>'
        b"<x:mergeCell ref='B2:B9'/></x:mergeCells></x:worksheet>"
    )

    assert scan_sheet([sheet]).merged == [(2, 1, 9, 1)]


def test_merge_inside_cells_ignored() -> None:
    sheet = (
        b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
        b'&lt;mergeCell ref="A1:Z1"/&gt;</t></is></c></row></sheetData></worksheet>'
    )

    assert scan_sheet([sheet]).merged == []


PIPESHEET_RULE = (
    b'<conditionalFormatting sqref="A2:C9"><cfRule type="expression" dxfId="0" '
    b'priority="1"><formula>LEFT($C2,7)="ERROR: "</formula></cfRule>'
    b"</conditionalFormatting>"
)


def test_pipesheet_highlights_found_in_tail() -> None:
    sheet = MERGED_SHEET.replace(b"<pageMargins/>", PIPESHEET_RULE + b"<pageMargins/>")

    assert scan_sheet([sheet]).pipesheet_highlights is True
    assert scan_sheet([MERGED_SHEET]).pipesheet_highlights is False


def test_pipesheet_highlights_before_long_tail() -> None:
    # The rules sit in the first piece after the cells, and many pieces follow.
    sheet = MERGED_SHEET.replace(b"<pageMargins/>", PIPESHEET_RULE + b"<pageMargins/>")
    end = sheet.index(b"<pageMargins/>")
    pieces = [sheet[:end], *[b"<!-- padding -->"] * 5, sheet[end:]]

    assert scan_sheet(pieces).pipesheet_highlights is True


@pytest.mark.parametrize(
    "split",
    [1, 2, 6, 11],
    ids=["after-lt", "after-slash", "inside-name", "before-gt"],
)
def test_pipesheet_highlights_cells_end_split(split: int) -> None:
    sheet = MERGED_SHEET.replace(b"<pageMargins/>", PIPESHEET_RULE + b"<pageMargins/>")
    at = sheet.index(b"</sheetData>") + split
    rule_at = sheet.index(b"<conditionalFormatting")
    pieces = [sheet[:at], sheet[at:rule_at], sheet[rule_at:]]

    assert scan_sheet(pieces).pipesheet_highlights is True


@pytest.mark.parametrize(
    "split",
    [1, 3, 4],
    ids=["after-lt", "inside-name", "before-space"],
)
def test_pipesheet_highlights_row_start_split(split: int) -> None:
    sheet = MERGED_SHEET.replace(b"<pageMargins/>", PIPESHEET_RULE + b"<pageMargins/>")
    at = sheet.rindex(b"<row") + split
    pieces = [sheet[:at], sheet[at:]]

    assert scan_sheet(pieces).pipesheet_highlights is True


def test_pipesheet_highlights_before_row_breaks() -> None:
    sheet = MERGED_SHEET.replace(
        b"<pageMargins/>",
        PIPESHEET_RULE
        + b'<pageMargins/><rowBreaks count="1"><brk id="9"/></rowBreaks>',
    )

    assert scan_sheet([sheet]).pipesheet_highlights is True


def test_pipesheet_highlights_after_prefixed_rows() -> None:
    rule = PIPESHEET_RULE.replace(b"<", b"<x:").replace(b"<x:/", b"</x:")
    sheet = (
        b'<x:worksheet xmlns:x="urn:x"><x:sheetData><x:row r="1">'
        b'<x:c r="A1"><x:v>1</x:v></x:c></x:row></x:sheetData>'
        + rule
        + b"</x:worksheet>"
    )
    at = sheet.index(b"</x:sheetData>")
    pieces = [sheet[:at], sheet[at:]]

    assert scan_sheet(pieces).pipesheet_highlights is True


def test_pipesheet_highlights_after_empty_cells() -> None:
    sheet = (
        b'<x:worksheet xmlns:x="urn:x"><x:sheetData/>'
        + PIPESHEET_RULE.replace(b"<", b"<x:").replace(b"<x:/", b"</x:")
        + b"</x:worksheet>"
    )

    assert scan_sheet([sheet]).pipesheet_highlights is True


def test_rule_text_inside_cells_ignored() -> None:
    escaped = PIPESHEET_RULE.replace(b"<", b"&lt;").replace(b">", b"&gt;")
    sheet = (
        b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
        + escaped
        + b"</t></is></c></row></sheetData><pageMargins/></worksheet>"
    )

    assert scan_sheet([sheet]).pipesheet_highlights is False


def test_formula_searches_skip_pieces_without_formulas() -> None:
    sheet = (
        b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is>'
        b"<t>SUBTOTAL(9,E3:E5) ROW()</t></is></c></row></sheetData></worksheet>"
    )

    assert scan_sheet([sheet]) == SheetScan()


def test_subtotal_formulas_with_prefix() -> None:
    sheet = (
        b'<x:worksheet xmlns:x="urn:x"><x:sheetData><x:row r="2">'
        b'<x:c r="E2"><x:f>SUBTOTAL(109,E3:E9)</x:f><x:v>5</x:v></x:c>'
        b"</x:row></x:sheetData></x:worksheet>"
    )

    assert scan_sheet([sheet]).subtotal_formulas == [(2, 4, 2, 4)]


def test_aggregate_formulas_leave_out_sum() -> None:
    sheet = (
        b'<worksheet><sheetData><row r="2">'
        b'<c r="A2"><f>SUBTOTAL(3,A3:A9)</f><v>7</v></c>'
        b'<c r="B2"><f>SUM(B3:B9)</f><v>5</v></c>'
        b'<c r="C2"><f>_xlfn.AGGREGATE(4,5,C3:C9)</f><v>2</v></c>'
        b'<c r="D2"><f t="shared" ref="D2:D4" si="0">SUBTOTAL(9,D3)</f><v>1</v></c>'
        b"</row></sheetData></worksheet>"
    )

    scan = scan_sheet([sheet])

    assert scan.aggregate_formulas == [(2, 0, 2, 0), (2, 3, 4, 3), (2, 2, 2, 2)]
    assert (2, 1, 2, 1) in scan.subtotal_formulas


def test_formulas_without_results_found() -> None:
    sheet = (
        b'<worksheet><sheetData><row r="2">'
        b'<c r="A2"><f>B2*2</f><v /></c>'
        b'<c r="B2"><f t="shared" ref="B2:B3" si="0">C2</f></c>'
        b'<c r="C2"><f>1+1</f><v>2</v></c>'
        b'<c r="D2" t="str"><f>""</f><v></v></c>'
        b'<c r="E2" t="inlineStr"><is/></c><c r="F2"><v/></c></row>'
        b'<row r="3"><c r="B3"><f t="shared" si="0"/></c>'
        b'<c r="C3"><f t="shared" si="0"/><v>4</v></c></row>'
        b"</sheetData></worksheet>"
    )

    assert scan_sheet([sheet]).unsaved_formula_results == {(2, 0), (2, 1), (3, 1)}


def test_formulas_without_results_with_prefix() -> None:
    sheet = (
        b'<x:worksheet xmlns:x="urn:x"><x:sheetData><x:row r="2">'
        b'<x:c r="E2"><x:f>F2</x:f><x:v/></x:c>'
        b'<x:c r="F2"><x:f>G2</x:f></x:c>'
        b"</x:row></x:sheetData></x:worksheet>"
    )

    assert scan_sheet([sheet]).unsaved_formula_results == {(2, 4), (2, 5)}


def test_openpyxl_formulas_without_results(tmp_path: Path) -> None:
    path = tmp_path / "saved-by-openpyxl.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Deals"
    sheet.append(["Deal ID", "Account"])
    sheet.append(["D-1", '="North"&"wind"'])
    workbook.save(path)

    assert scan_tab(path, "Deals").unsaved_formula_results == {(2, 1)}


def test_empty_formula_results_with_prefix() -> None:
    sheet = (
        b'<x:worksheet xmlns:x="urn:x"><x:sheetData><x:row r="2">'
        b'<x:c r="E2" t="str"><x:f>IF(F2="","",F2)</x:f><x:v></x:v></x:c>'
        b"</x:row></x:sheetData></x:worksheet>"
    )

    assert scan_sheet([sheet]).empty_formula_results == {(2, 4)}


def test_shared_formula_cells_in_later_pieces() -> None:
    follower = b'<c r="E{row}"><f t="shared" si="0"/><v></v></c>'
    first = (
        b'<worksheet><sheetData><row r="2"><c r="E2"><f t="shared" ref="E2:E4" '
        b'si="0">IF(F2="","",F2)</f><v></v></c></row>'
    )
    pieces = [
        first,
        b'<row r="3">' + follower.replace(b"{row}", b"3") + b"</row>",
        b'<row r="4">' + follower.replace(b"{row}", b"4") + b"</row>",
        b"</sheetData></worksheet>",
    ]

    assert scan_sheet(pieces).empty_formula_results == {(2, 4), (3, 4), (4, 4)}


HIDDEN_COLUMNS_SHEET = (
    b'<worksheet xmlns="urn:main"><cols><col min="2" max="2" width="9"/>'
    b'<col hidden="1" min="4" max="5"/><col min="9" max="16384" hidden="true"/>'
    b'<col min="7" max="7" hidden="0"/></cols><sheetData><row r="1">'
    b'<c r="A1" t="inlineStr"><is><t>ID</t></is></c></row></sheetData></worksheet>'
)


@pytest.mark.parametrize("size", [3, 7, 40, len(HIDDEN_COLUMNS_SHEET)])
def test_hidden_columns_found(size: int) -> None:
    sheet = HIDDEN_COLUMNS_SHEET
    pieces = [sheet[start : start + size] for start in range(0, len(sheet), size)]

    assert scan_sheet(pieces).hidden_columns == [(3, 4), (8, 16383)]


def test_hidden_columns_with_namespace_prefix() -> None:
    sheet = (
        b'<x:worksheet xmlns:x="urn:x"><x:cols><x:col min="3" max="3" hidden="1"/>'
        b"</x:cols><x:sheetData/></x:worksheet>"
    )

    assert scan_sheet([sheet]).hidden_columns == [(2, 2)]


RANGE_FORMULA_SHEET = (
    b'<worksheet><sheetData><row r="1"><c r="A1"><f>B1*2</f><v>2</v></c>'
    b'<c r="D1" cm="1"><f t="array" ref="D1:E1">_xlfn.TEXTSPLIT("a b"," ")</f>'
    b'<v>a</v></c><c r="E1" t="str"><v>b</v></c>'
    b'<c r="F1"><f t="array" ref="F1">SUM(A1:A2*B1:B2)</f><v>3</v></c></row>'
    b"<row r=\"2\"><c r='C2'><f t='dataTable' ref='C2:C5' dt2D='0' dtr='0' "
    b"r1='A1'/><v>4</v></c>"
    b'<c r="G2" t="inlineStr"><is><t>&lt;f ref="G2:G9"&gt;</t></is></c></row>'
    b'</sheetData><mergeCells count="1"><mergeCell ref="H1:I1"/></mergeCells>'
    b'<hyperlinks><hyperlink ref="J1:J2" r:id="rId1"/></hyperlinks></worksheet>'
)


def test_range_formulas_found() -> None:
    assert scan_sheet([RANGE_FORMULA_SHEET]).range_formulas == [
        RangeFormula("array", 1, 3, 1, 4),
        RangeFormula("dataTable", 2, 2, 5, 2),
    ]


@pytest.mark.parametrize("size", [7, 50, 101], ids=["7", "50", "101"])
def test_range_formulas_found_across_pieces(size: int) -> None:
    pieces = [
        RANGE_FORMULA_SHEET[start : start + size]
        for start in range(0, len(RANGE_FORMULA_SHEET), size)
    ]

    assert scan_sheet(pieces).range_formulas == [
        RangeFormula("array", 1, 3, 1, 4),
        RangeFormula("dataTable", 2, 2, 5, 2),
    ]


def test_range_formulas_with_prefix() -> None:
    sheet = (
        b'<x:worksheet><x:sheetData><x:row r="3"><x:c r="O3">'
        b'<x:f t="array" ref="O3:P3">$E3:$F3*1</x:f><x:v>1</x:v></x:c>'
        b"</x:row></x:sheetData></x:worksheet>"
    )

    assert scan_sheet([sheet]).range_formulas == [RangeFormula("array", 3, 14, 3, 15)]
