"""Tests of filling blank ID cells in an Excel workbook (columns.id.fill)."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from rich.console import Console

from config.loader import load_pipeline
from config.models import IdFill, Locale, Pipeline
from config.shipped import shipped_definition
from rules.findings import Code
from rules.grid import CellValue
from sync.job import RunRequest, record_run
from sync.report import result_as_json, show_result
from sync.run import RunResult, run_sync
from sync.sources.csv_table import CsvTable
from sync.sources.excel import ExcelWorkbook
from sync.starter import build_starter_workbook
from sync.state.store import StateStore
from tests.sync.xlsx.packages import raw_members, read_part

AS_OF = dt.date(2025, 9, 30)
DEALS_PART = "xl/worksheets/sheet1.xml"
# The starter workbook's deals are on rows 4 to 18 with IDs D-1001 to D-1015;
# the tests blank the IDs of rows 5 (D-1002) and 9 (D-1006).
STARTER_IDS = [f"D-{number}" for number in range(1001, 1016)]
BLANKED_ROWS = (5, 9)
STATUS_COLUMN = 17


def fill_ids(pipeline: Pipeline) -> Pipeline:
    spec = pipeline.columns["id"].model_copy(
        update={"fill": IdFill(prefix="D-", digits=4)}
    )
    return pipeline.model_copy(update={"columns": {**pipeline.columns, "id": spec}})


@pytest.fixture
def plain() -> Pipeline:
    return load_pipeline(shipped_definition("b2b-en"))


@pytest.fixture
def filling(plain: Pipeline) -> Pipeline:
    return fill_ids(plain)


def edit_deals(path: Path, edit: Callable[[Any], object]) -> None:
    """Change the Deals tab the way a person saving from Excel would."""
    workbook = openpyxl.load_workbook(path)
    edit(workbook["Deals"])
    workbook.save(path)


def blank_ids(sheet: Any) -> None:
    for row in BLANKED_ROWS:
        sheet.cell(row, 1).value = None


@pytest.fixture
def blanked(tmp_path: Path) -> Path:
    path = build_starter_workbook(tmp_path / "pipeline.xlsx", Locale.EN, as_of=AS_OF)
    edit_deals(path, blank_ids)
    return path


def deals_rows(path: Path) -> list[list[CellValue]]:
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Deals")
    return sheet.to_python(skip_empty_area=False)  # type: ignore[no-any-return]


def id_column(path: Path) -> list[CellValue]:
    return [row[0] or None for row in deals_rows(path)[3:18]]


def status_of(path: Path, row: int) -> CellValue:
    # calamine gives "" for an empty cell inside the used range.
    values = deals_rows(path)[row - 1]
    return values[STATUS_COLUMN] or None if len(values) > STATUS_COLUMN else None


def run_once(path: Path, pipeline: Pipeline, *, dry_run: bool = False) -> RunResult:
    return run_sync(pipeline, ExcelWorkbook(path), AS_OF, dry_run=dry_run)


def without_cells(xml: str, references: list[str]) -> str:
    """Return sheet XML with the cells at ``references`` taken out."""
    for reference in references:
        cell = rf'<c r="{reference}"(?:[^>]*/>|[^>]*>.*?</c>)'
        xml, count = re.subn(cell, "", xml)
        assert count <= 1
    return xml


def cell_tag(xml: str, reference: str) -> str:
    match = re.search(rf'<c r="{reference}"[^>]*>', xml)
    assert match is not None
    return match.group(0)


def test_blank_ids_filled_on_excel(blanked: Path, filling: Pipeline) -> None:
    result = run_once(blanked, filling)

    filled = ["D-1016" if row == 5 else "D-1017" for row in BLANKED_ROWS]
    expected = list(STARTER_IDS)
    expected[1], expected[5] = filled
    assert id_column(blanked) == expected
    assert result.report is not None
    assert result.report.ids_filled == ("D-1016", "D-1017")
    assert result.report.id_rows_skipped == ()
    assert Code.MISSING_ID not in {finding.code for finding in result.findings}
    assert {deal.deal_id for deal in result.deals} >= {"D-1016", "D-1017"}
    assert status_of(blanked, 5) == "OK"
    assert status_of(blanked, 9) == "OK"


def test_filled_ids_are_text_with_kept_style(blanked: Path, filling: Pipeline) -> None:
    before = read_part(blanked, DEALS_PART)

    run_once(blanked, filling)

    after = read_part(blanked, DEALS_PART)
    style = re.search(r' s="(\d+)"', cell_tag(before, "A5"))
    assert style is not None
    assert cell_tag(after, "A5") == f'<c r="A5" s="{style.group(1)}" t="inlineStr">'
    assert '<c r="A9" ' in after


def test_only_blank_id_cells_change(
    blanked: Path, plain: Pipeline, filling: Pipeline
) -> None:
    unfilled = blanked.with_name("unfilled.xlsx")
    shutil.copy(blanked, unfilled)

    run_once(unfilled, plain)
    run_once(blanked, filling)

    members, other_members = raw_members(blanked), raw_members(unfilled)
    changed = {name for name in members if members[name] != other_members[name]}
    assert members.keys() == other_members.keys()
    # The pipeline tab, the Follow-ups tab (sheet4), which lists the deals'
    # IDs, the Problems tab (sheet5), which lists missing-id errors only
    # without the new IDs, and the workbook part, which records each
    # generated tab's digest.
    assert changed == {
        DEALS_PART,
        "xl/worksheets/sheet4.xml",
        "xl/worksheets/sheet5.xml",
        "xl/workbook.xml",
    }
    cells = [f"{column}{row}" for row in BLANKED_ROWS for column in "AR"]
    filled_xml = without_cells(read_part(blanked, DEALS_PART), cells)
    assert filled_xml == without_cells(read_part(unfilled, DEALS_PART), cells)
    filled_rows, other_rows = deals_rows(blanked), deals_rows(unfilled)
    for row, (values, other_values) in enumerate(
        zip(filled_rows, other_rows, strict=True), start=1
    ):
        if row not in BLANKED_ROWS:
            assert values == other_values, f"row {row}"
        else:
            assert values[1:STATUS_COLUMN] == other_values[1:STATUS_COLUMN]


def test_second_fill_run_writes_nothing(blanked: Path, filling: Pipeline) -> None:
    run_once(blanked, filling)
    before = blanked.read_bytes()
    modified = blanked.stat().st_mtime_ns

    result = run_once(blanked, filling)

    assert result.report is None
    assert result.plan.is_empty is True
    assert blanked.read_bytes() == before
    assert blanked.stat().st_mtime_ns == modified


def test_dry_run_plans_ids_writes_nothing(blanked: Path, filling: Pipeline) -> None:
    before = blanked.read_bytes()

    result = run_once(blanked, filling, dry_run=True)

    planned = [(write.row, write.deal_id) for write in result.plan.id_cells]
    assert planned == [(5, "D-1016"), (9, "D-1017")]
    assert result.report is None
    assert blanked.read_bytes() == before


def test_plain_definition_keeps_missing_id(blanked: Path, plain: Pipeline) -> None:
    result = run_once(blanked, plain)

    assert result.plan.id_cells == []
    assert id_column(blanked)[1] is None
    assert status_of(blanked, 5) == "ERROR: missing Deal ID"


def test_typed_id_wins(blanked: Path, filling: Pipeline) -> None:
    plan = run_once(blanked, filling, dry_run=True).plan
    edit_deals(blanked, lambda sheet: sheet.cell(5, 1, "D-2000"))

    report = ExcelWorkbook(blanked).apply(plan)

    assert id_column(blanked)[1] == "D-2000"
    assert id_column(blanked)[5] == "D-1017"
    assert report.ids_filled == ("D-1017",)
    assert report.id_rows_skipped == (5,)
    assert status_of(blanked, 5) is None
    assert status_of(blanked, 9) == "OK"


def reverse_deals(sheet: Any) -> None:
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(4, 18)]
    for offset, values in enumerate(reversed(rows)):
        for column, value in enumerate(values, start=1):
            sheet.cell(4 + offset, column).value = value


def insert_row_above(sheet: Any) -> None:
    sheet.insert_rows(4)
    sheet.cell(4, 1, "D-3000")
    sheet.cell(4, 2, "Inserted account")


@pytest.mark.parametrize(
    "change", [reverse_deals, insert_row_above], ids=["sorted", "row-inserted"]
)
def test_moved_rows_get_no_id(
    blanked: Path, filling: Pipeline, change: Callable[[Any], None]
) -> None:
    plan = run_once(blanked, filling, dry_run=True).plan
    edit_deals(blanked, change)
    ids_before = [row[0] for row in deals_rows(blanked)]

    report = ExcelWorkbook(blanked).apply(plan)

    assert [row[0] for row in deals_rows(blanked)] == ids_before
    assert report.ids_filled == ()
    assert report.id_rows_skipped == BLANKED_ROWS
    assert "row:5" in report.skipped
    assert "row:9" in report.skipped


def test_edited_row_gets_no_id(blanked: Path, filling: Pipeline) -> None:
    plan = run_once(blanked, filling, dry_run=True).plan
    edit_deals(blanked, lambda sheet: sheet.cell(5, 5, 7000))

    report = ExcelWorkbook(blanked).apply(plan)

    assert id_column(blanked)[1] is None
    assert id_column(blanked)[5] == "D-1017"
    assert report.id_rows_skipped == (5,)
    assert status_of(blanked, 5) is None


def test_unchanged_reread_gets_ids(blanked: Path, filling: Pipeline) -> None:
    plan = run_once(blanked, filling, dry_run=True).plan

    report = ExcelWorkbook(blanked).apply(plan)

    assert report.ids_filled == ("D-1016", "D-1017")
    assert id_column(blanked)[1] == "D-1016"


def test_missing_id_cell_inserted_in_order(tmp_path: Path, filling: Pipeline) -> None:
    built = build_starter_workbook(tmp_path / "built.xlsx", Locale.EN, as_of=AS_OF)
    path = tmp_path / "pipeline.xlsx"
    with zipfile.ZipFile(built) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == DEALS_PART:
                xml = without_cells(content.decode(), ["A5"])
                assert '<row r="5"><c r="B5"' in xml
                content = xml.encode()
            target.writestr(info, content)

    result = run_once(path, filling)

    assert result.report is not None
    assert result.report.ids_filled == ("D-1016",)
    inserted = r'<row r="5"><c r="A5"(?: s="\d+")? t="inlineStr">'
    assert re.search(inserted, read_part(path, DEALS_PART))
    assert id_column(path)[1] == "D-1016"


@pytest.mark.parametrize("label", ["Ana Lima 集計", "Ana Lima Итог", "Ana Lima Count"])
def test_subtotal_row_gets_no_id(blanked: Path, filling: Pipeline, label: str) -> None:
    # A Data > Subtotal row pasted as values below the deals: a label in the
    # Owner column and a sum in Amount, with a blank ID cell.
    def add_subtotal_row(sheet: Any) -> None:
        sheet.cell(19, 3).value = label
        sheet.cell(19, 5).value = 4000

    edit_deals(blanked, add_subtotal_row)

    result = run_once(blanked, filling)

    assert result.report is not None
    assert result.report.ids_filled == ("D-1016", "D-1017")
    assert deals_rows(blanked)[18][0] in ("", None)
    assert (19, Code.TOTALS_ROW) in {
        (finding.row, finding.code) for finding in result.findings
    }


def test_deleted_deal_id_not_reused(
    tmp_path: Path, filling: Pipeline, store: StateStore
) -> None:
    path = build_starter_workbook(tmp_path / "pipeline.xlsx", Locale.EN, as_of=AS_OF)
    request = RunRequest(filling, AS_OF, source_location=str(path))
    record_run(request, store)

    def delete_last_deal_and_blank_id(sheet: Any) -> None:
        sheet.delete_rows(18)
        sheet.cell(5, 1).value = None

    edit_deals(path, delete_last_deal_and_blank_id)
    later = RunRequest(filling, AS_OF + dt.timedelta(days=1), source_location=str(path))

    recorded = record_run(later, store)

    assert recorded.result.report is not None
    assert recorded.result.report.ids_filled == ("D-1016",)
    assert id_column(path)[1] == "D-1016"


def test_without_history_sheet_ids_count(tmp_path: Path, filling: Pipeline) -> None:
    path = build_starter_workbook(tmp_path / "pipeline.xlsx", Locale.EN, as_of=AS_OF)

    def delete_last_deal_and_blank_id(sheet: Any) -> None:
        sheet.delete_rows(18)
        sheet.cell(5, 1).value = None

    edit_deals(path, delete_last_deal_and_blank_id)

    result = run_once(path, filling)

    assert result.report is not None
    assert result.report.ids_filled == ("D-1015",)


def summary_of(result: RunResult, pipeline: Pipeline) -> str:
    out = io.StringIO()
    show_result(Console(file=out, width=200), result, pipeline)
    return out.getvalue()


def test_dry_run_lists_new_ids(blanked: Path, filling: Pipeline) -> None:
    result = run_once(blanked, filling, dry_run=True)

    document = result_as_json(result, filling)

    line = r"│ New IDs +│ +would write 2: D-1016 \(row 5\), D-1017 \(row 9\) │"
    assert re.search(line, summary_of(result, filling))
    assert document["new_ids"] == {
        "planned": [{"row": 5, "id": "D-1016"}, {"row": 9, "id": "D-1017"}],
        "written": None,
        "skipped_rows": None,
    }


def test_run_lists_written_ids(blanked: Path, filling: Pipeline) -> None:
    result = run_once(blanked, filling)

    document = result_as_json(result, filling)

    line = r"│ New IDs +│ +2 written: D-1016 \(row 5\), D-1017 \(row 9\) │"
    assert re.search(line, summary_of(result, filling))
    assert document["new_ids"]["written"] == ["D-1016", "D-1017"]
    assert document["new_ids"]["skipped_rows"] == []


def test_plain_run_reports_no_new_ids(blanked: Path, plain: Pipeline) -> None:
    result = run_once(blanked, plain, dry_run=True)

    assert "new_ids" not in result_as_json(result, plain)
    assert "New IDs" not in summary_of(result, plain)


def test_csv_file_keeps_missing_id(tmp_path: Path, filling: Pipeline) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(
        "Deal ID,Account,Owner,Stage,Amount,Expected Close,Next Step Date,"
        "Lost Reason\n"
        "D-0001,Acme,Ana Lima,Lead,100,2025-12-01,2025-10-01,\n"
        ",Beta,Ben Ortiz,Lead,200,2025-12-01,2025-10-01,\n",
        encoding="utf-8",
    )

    result = run_sync(filling, CsvTable(path, "Deals"), AS_OF, dry_run=True)

    assert result.plan.id_cells == []
    missing = [f.row for f in result.findings if f.code is Code.MISSING_ID]
    assert missing == [3]


def test_filled_run_equals_typed_ids(
    blanked: Path, filling: Pipeline, tmp_path: Path
) -> None:
    typed = tmp_path / "typed.xlsx"
    shutil.copy(blanked, typed)

    def type_ids(sheet: Any) -> None:
        sheet.cell(5, 1).value = "D-1016"
        sheet.cell(9, 1).value = "D-1017"

    edit_deals(typed, type_ids)

    filled = run_once(blanked, filling, dry_run=True)
    by_hand = run_once(typed, filling, dry_run=True)

    assert filled.plan.id_cells != []
    assert by_hand.plan.id_cells == []
    assert [deal.deal_id for deal in filled.deals] == [
        deal.deal_id for deal in by_hand.deals
    ]
    assert filled.findings == by_hand.findings
    assert [tab.grid for tab in filled.plan.tabs] == [
        tab.grid for tab in by_hand.plan.tabs
    ]
