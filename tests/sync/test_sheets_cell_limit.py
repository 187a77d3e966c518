"""The check that a write stays within Google's limit of cells per spreadsheet."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest

from config.errors import SourceError
from rules.grid import CellValue
from sync.run import RunResult, run_sync
from sync.sources.sheets_write import MAX_CELLS
from tests.fake_sheets import FakeSheets
from tests.sync.fake_spreadsheets import (
    DEALS_HEADER,
    make_pipeline,
    open_spreadsheet,
    upload_workbook,
)

AS_OF = dt.date(2025, 9, 10)
DEALS: list[list[CellValue]] = [
    DEALS_HEADER,
    ["D-1", "Acme", "Lead", 1000, dt.date(2025, 9, 1)],
    ["D-2", "Beta", "Proposal", 5000, dt.date(2025, 9, 20)],
]
# Rows of a one-column Archive tab that leave too little room for the write.
CROWDING_ROWS = MAX_CELLS - 100


@pytest.fixture
def fake() -> Iterator[FakeSheets]:
    """A fake Sheets API served through ``responses`` for the whole test."""
    served = FakeSheets()
    with served.responses():
        yield served


def crowded_spreadsheet(fake: FakeSheets, archive_rows: int) -> str:
    """Upload Deals and a one-column Archive tab of ``archive_rows``; return the id."""
    spreadsheet_id = upload_workbook(
        fake, "Pipeline", {"Deals": DEALS, "Archive": [["old deal"]]}
    )
    resize_archive(fake, spreadsheet_id, archive_rows)
    return spreadsheet_id


def resize_archive(fake: FakeSheets, spreadsheet_id: str, rows: int) -> None:
    sheet = fake.spreadsheet(spreadsheet_id).sheet_by_title("Archive")
    assert sheet is not None
    grid = {"rowCount": rows, "columnCount": 1}
    properties = {"sheetId": sheet.sheet_id, "gridProperties": grid}
    fields = "gridProperties(rowCount,columnCount)"
    request = {"properties": properties, "fields": fields}
    fake.batch_update(spreadsheet_id, [{"updateSheetProperties": request}])


def sync(spreadsheet_id: str) -> RunResult:
    pipeline = make_pipeline(spreadsheet_id)
    return run_sync(
        pipeline, open_spreadsheet(spreadsheet_id, pipeline=pipeline), AS_OF
    )


def test_write_over_cell_limit_rejected(fake: FakeSheets) -> None:
    spreadsheet_id = crowded_spreadsheet(fake, CROWDING_ROWS)
    before = fake.read(spreadsheet_id, "Deals")
    calls_before = len(fake.requests)

    with pytest.raises(SourceError) as raised:
        sync(spreadsheet_id)

    message = str(raised.value)
    assert re.fullmatch(
        r"Writing the generated tabs would give spreadsheet 'Pipeline' "
        r"10,000,[0-9]{3} cells, above Google's limit of 10,000,000 \(empty cells "
        r"count too\)\. Nothing was written\. Delete unused rows and columns of "
        r"other tabs, or move old data to another spreadsheet\.",
        message,
    )
    operations = [request.operation for request in fake.requests[calls_before:]]
    assert "spreadsheets.batchUpdate" not in operations
    assert fake.read(spreadsheet_id, "Deals") == before
    titles = [sheet.title for sheet in fake.spreadsheet(spreadsheet_id).sheets]
    assert titles == ["Deals", "Archive"]


def test_write_up_to_cell_limit_allowed(fake: FakeSheets) -> None:
    spreadsheet_id = crowded_spreadsheet(fake, CROWDING_ROWS)
    with pytest.raises(SourceError) as raised:
        sync(spreadsheet_id)
    counted = re.search(
        r"would give spreadsheet 'Pipeline' ([0-9,]+) cells", str(raised.value)
    )
    assert counted is not None
    excess = int(counted.group(1).replace(",", "")) - MAX_CELLS
    resize_archive(fake, spreadsheet_id, CROWDING_ROWS - excess)

    result = sync(spreadsheet_id)

    assert result.report is not None
    assert fake.spreadsheet(spreadsheet_id).cell_total() == MAX_CELLS
