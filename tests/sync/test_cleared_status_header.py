"""A status column whose header cell a user cleared, in .xlsx and Google Sheets.

The run takes the column as the status column again and writes its header
back, instead of adding a second status column and warning of the old
statuses as content under a blank header.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from config.loader import load_pipeline
from config.models import Locale
from config.shipped import shipped_definition
from rules.findings import Code
from rules.grid import CellValue
from sync.run import run_sync
from sync.sources.excel import ExcelWorkbook
from sync.starter import build_starter_workbook
from tests.fake_sheets import FakeSheets
from tests.sync.fake_spreadsheets import (
    DEALS_HEADER,
    make_pipeline,
    open_spreadsheet,
    upload_workbook,
)

AS_OF = dt.date(2025, 9, 30)
STATUS_HEADER = "pipesheet status"
# The English starter workbook's header is on row 3 and its status goes in R.
STARTER_STATUS_CELL = "R3"
DEALS: list[list[CellValue]] = [
    DEALS_HEADER,
    ["D-1", "Acme", "Lead", 1000, dt.date(2025, 10, 1)],
    ["D-2", None, "Lead", 2000, dt.date(2025, 10, 2)],
]


def test_excel_header_written_back(tmp_path: Path) -> None:
    path = build_starter_workbook(tmp_path / "pipeline.xlsx", Locale.EN, as_of=AS_OF)
    pipeline = load_pipeline(shipped_definition("b2b-en"))
    run_sync(pipeline, ExcelWorkbook(path), AS_OF)
    before = [
        [cell.value for cell in row] for row in openpyxl.load_workbook(path)["Deals"]
    ]
    book = openpyxl.load_workbook(path)
    book["Deals"][STARTER_STATUS_CELL] = None
    book.save(path)

    result = run_sync(pipeline, ExcelWorkbook(path), AS_OF)
    rerun = run_sync(pipeline, ExcelWorkbook(path), AS_OF)

    after = [
        [cell.value for cell in row] for row in openpyxl.load_workbook(path)["Deals"]
    ]
    codes = {finding.code for finding in result.findings}
    assert result.report is not None
    assert result.report.status_header_written
    assert result.report.status_cells_written == 0
    assert after == before
    assert Code.CONTENT_UNDER_BLANK_HEADER not in codes
    assert Code.OLD_STATUS_COLUMN not in codes
    assert rerun.report is None


@pytest.fixture
def fake() -> Iterator[FakeSheets]:
    """A fake Sheets API served through ``responses`` for the whole test."""
    served = FakeSheets()
    with served.responses():
        yield served


def clear_cell(fake: FakeSheets, spreadsheet_id: str, row: int, column: int) -> None:
    """Clear one cell of the Deals tab (0-based row and column), as a user would."""
    start = {"sheetId": 0, "rowIndex": row, "columnIndex": column}
    update = {"start": start, "rows": [{"values": [{}]}], "fields": "userEnteredValue"}
    fake.batch_update(spreadsheet_id, [{"updateCells": update}])


def test_google_header_written_back(fake: FakeSheets) -> None:
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": DEALS})
    pipeline = make_pipeline(spreadsheet_id)
    run_sync(pipeline, open_spreadsheet(spreadsheet_id, pipeline=pipeline), AS_OF)
    before = fake.read(spreadsheet_id, "Deals")
    clear_cell(fake, spreadsheet_id, 0, len(DEALS_HEADER))

    source = open_spreadsheet(spreadsheet_id, pipeline=pipeline)
    result = run_sync(pipeline, source, AS_OF)
    writes = len(fake.requests)
    run_sync(pipeline, open_spreadsheet(spreadsheet_id, pipeline=pipeline), AS_OF)

    codes = {finding.code for finding in result.findings}
    assert before[0] == [*DEALS_HEADER, STATUS_HEADER]
    assert result.report is not None
    assert result.report.status_header_written
    assert result.report.status_cells_written == 0
    assert fake.read(spreadsheet_id, "Deals") == before
    assert Code.CONTENT_UNDER_BLANK_HEADER not in codes
    assert Code.OLD_STATUS_COLUMN not in codes
    operations = [request.operation for request in fake.requests[writes:]]
    assert "spreadsheets.batchUpdate" not in operations
