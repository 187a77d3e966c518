"""The check that a write stays within Google's limit of cells per spreadsheet."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest

from config.errors import SourceError
from rules.grid import CellValue
from sync.run import RunResult, run_sync
from sync.sources.sheets_cell_limit import MAX_CELLS, status_column_over_limit
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
        r"Writing would give spreadsheet 'Pipeline' 10,000,[0-9]{3} cells, above "
        r"Google's limit of 10,000,000 \(empty cells count too\)\. Nothing was "
        r"written\. It has 9,999,915 cells now, and the write adds 3 for the new "
        r"status column F of tab 'Deals' \(3 rows\) and [0-9,]+ for the generated "
        r"tabs\. Its largest tab is 'Archive', with 9,999,900 rows and 1 column\. "
        r"Delete the unused rows and columns of tab 'Archive', or move old data to "
        r"another spreadsheet\.",
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


# Rows of a five-column Deals tab that the new status column takes past the
# limit, though the tab itself is within it.
TALL_ROWS = 1_700_000


def tall_deals(fake: FakeSheets) -> str:
    """Upload Deals and give it :data:`TALL_ROWS` rows; return the id."""
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": DEALS})
    grid = {"rowCount": TALL_ROWS}
    properties = {"sheetId": 0, "gridProperties": grid}
    request = {"properties": properties, "fields": "gridProperties.rowCount"}
    fake.batch_update(spreadsheet_id, [{"updateSheetProperties": request}])
    return spreadsheet_id


def test_status_column_over_limit_named(fake: FakeSheets) -> None:
    spreadsheet_id = tall_deals(fake)

    with pytest.raises(SourceError) as raised:
        sync(spreadsheet_id)

    assert re.fullmatch(
        r"Writing would give spreadsheet 'Pipeline' 10,2[0-9]{2},[0-9]{3} cells, "
        r"above Google's limit of 10,000,000 \(empty cells count too\)\. Nothing "
        r"was written\. It has 8,500,000 cells now, and the write adds 1,700,000 "
        r"for the new status column F of tab 'Deals' \(1,700,000 rows\) and "
        r"[0-9,]+ for the generated tabs\. Its largest tab is 'Deals', with "
        r"1,700,000 rows and 5 columns\. Delete the unused rows and columns of tab "
        r"'Deals', or move old data to another spreadsheet\.",
        str(raised.value),
    )


def test_status_column_over_limit_for_doctor(fake: FakeSheets) -> None:
    spreadsheet_id = tall_deals(fake)
    pipeline = make_pipeline(spreadsheet_id)
    info = open_spreadsheet(spreadsheet_id, pipeline=pipeline).metadata()

    assert status_column_over_limit(info, "Deals", 5) == (
        "Writing would give spreadsheet 'Pipeline' 10,200,000 cells, above "
        "Google's limit of 10,000,000 (empty cells count too). Every run stops "
        "before it writes. It has 8,500,000 cells now, and the write adds "
        "1,700,000 for the new status column F of tab 'Deals' (1,700,000 rows). "
        "Its largest tab is 'Deals', with 1,700,000 rows and 5 columns. Delete the "
        "unused rows and columns of tab 'Deals', or move old data to another "
        "spreadsheet."
    )
    assert status_column_over_limit(info, "Deals", 4) is None
