"""Tests of columns inserted or deleted while pipesheet writes a Google Sheet.

The fake Sheets API applies the column change just before the run's
``batchUpdate``, after pipesheet re-read the tab: another person editing
between the read and the write. No cell outside the status column may keep a
status, and the next run puts the statuses into the status column.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from rules.grid import CellValue
from sync.run import RunResult, run_sync
from sync.sources.sheets_column_moves import column_layout
from tests.fake_sheets import FakeSheets
from tests.fake_sheets.store import Store
from tests.sync.fake_spreadsheets import (
    DEALS_HEADER,
    make_pipeline,
    open_spreadsheet,
    upload_workbook,
)

FIRST_DAY = dt.date(2025, 9, 10)
NEXT_DAY = dt.date(2025, 9, 11)
STATUS_HEADER = "pipesheet status"
# Owner, Notes and Extra are the team's columns, which the definition does
# not name. The status column is H.
HEADER: list[CellValue] = [
    DEALS_HEADER[0],
    "Owner",
    *DEALS_HEADER[1:],
    "Notes",
    STATUS_HEADER,
    "Extra",
]
ROWS: list[list[CellValue]] = [
    HEADER,
    ["D-1", "Ann", "Acme", "Lead", 1000, dt.date(2025, 9, 1), "n1", None, "x1"],
    ["D-2", "Bob", "Beta", "Proposal", 5000, dt.date(2025, 9, 5), "n2", None, "x2"],
    ["D-3", "Ann", None, "Lead", 2000, dt.date(2025, 9, 15), "n3", None, "x3"],
    ["D-4", "Bob", "Delta", "Won", 7000, None, "n4", None, "x4"],
]
NOTES = 6
# The run's calls: metadata, values, date cells, re-read, then the write.
WRITE_CALL = 5
# D-1 and D-2 are overdue, so their statuses change every day.
CHANGED_NEXT_DAY = {
    "D-1": "WARN: follow-up 10 days overdue",
    "D-2": "WARN: follow-up 6 days overdue",
}


@pytest.fixture
def fake() -> Iterator[FakeSheets]:
    served = FakeSheets()
    with served.responses():
        yield served


def sync(fake: FakeSheets, spreadsheet_id: str, as_of: dt.date) -> RunResult:
    pipeline = make_pipeline(spreadsheet_id)
    return run_sync(
        pipeline, open_spreadsheet(spreadsheet_id, pipeline=pipeline), as_of
    )


def columns(start: int, count: int = 1) -> dict[str, Any]:
    return {
        "sheetId": 0,
        "dimension": "COLUMNS",
        "startIndex": start,
        "endIndex": start + count,
    }


def insert_column(at: int) -> list[dict[str, Any]]:
    return [{"insertDimension": {"range": columns(at)}}]


def delete_column(at: int) -> list[dict[str, Any]]:
    return [{"deleteDimension": {"range": columns(at)}}]


def merge_notes(spreadsheet_id: str, fake: FakeSheets) -> None:
    """Merge the Notes cells of rows 2 and 3 into one block."""
    block = {
        "sheetId": 0,
        "startRowIndex": 1,
        "endRowIndex": 3,
        "startColumnIndex": NOTES,
        "endColumnIndex": NOTES + 1,
    }
    fake.batch_update(
        spreadsheet_id, [{"mergeCells": {"range": block, "mergeType": "MERGE_ALL"}}]
    )


def read_tab(fake: FakeSheets, spreadsheet_id: str) -> list[list[Any]]:
    return fake.read(spreadsheet_id, "Deals", value_render="FORMULA")


def outside_status(rows: list[list[Any]]) -> list[list[Any]]:
    """Return the rows without the status column, trailing blanks left out."""
    status = status_index(rows)
    kept = []
    for row in rows:
        cells = [value for column, value in enumerate(row) if column != status]
        while cells and cells[-1] == "":
            cells.pop()
        kept.append(cells)
    return kept


def status_index(rows: list[list[Any]]) -> int | None:
    """Return the status column's index, found by its header; None without one."""
    return rows[0].index(STATUS_HEADER) if STATUS_HEADER in rows[0] else None


def statuses_by_id(rows: list[list[Any]]) -> dict[str, Any]:
    status = rows[0].index(STATUS_HEADER)
    id_column = rows[0].index("Deal ID")
    return {
        row[id_column]: row[status] if len(row) > status else ""
        for row in rows[1:]
        if len(row) > id_column and row[id_column]
    }


def change_before_write(
    fake: FakeSheets, spreadsheet_id: str, requests: list[dict[str, Any]]
) -> list[list[list[Any]]]:
    """Apply ``requests`` just before the next run's write.

    Return a list that then contains the tab as it was right after the change,
    which is what every cell outside the status column must show after the run.
    """
    seen: list[list[list[Any]]] = []

    def mutate(_store: Store) -> None:
        fake.batch_update(spreadsheet_id, requests)
        seen.append(read_tab(fake, spreadsheet_id))

    fake.faults.before_call(len(fake.requests) + WRITE_CALL, mutate)
    return seen


CHANGES = {
    "insert-a": insert_column(0),
    "insert-before-status": insert_column(NOTES),
    "insert-at-status": insert_column(NOTES + 1),
    "insert-after-status": insert_column(NOTES + 2),
    "delete-owner": delete_column(1),
    "delete-before-status": delete_column(NOTES),
    "delete-status": delete_column(NOTES + 1),
    "delete-after-status": delete_column(NOTES + 2),
}


@pytest.mark.parametrize("merged", [False, True], ids=["plain", "merged-notes"])
@pytest.mark.parametrize("change", list(CHANGES))
def test_column_change_during_write(
    fake: FakeSheets, change: str, merged: bool
) -> None:
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": ROWS})
    # Room right of the table, as a real sheet has, so a deleted column
    # leaves the write inside the grid.
    fake.batch_update(
        spreadsheet_id,
        [{"appendDimension": {"sheetId": 0, "dimension": "COLUMNS", "length": 5}}],
    )
    if merged:
        merge_notes(spreadsheet_id, fake)
    sync(fake, spreadsheet_id, FIRST_DAY)
    seen = change_before_write(fake, spreadsheet_id, CHANGES[change])

    sync(fake, spreadsheet_id, NEXT_DAY)

    assert len(seen) == 1
    expected = outside_status(seen[0])
    assert outside_status(read_tab(fake, spreadsheet_id)) == expected

    sync(fake, spreadsheet_id, NEXT_DAY)

    after_next_run = read_tab(fake, spreadsheet_id)
    assert outside_status(after_next_run) == expected
    found = statuses_by_id(after_next_run)
    for deal, text in CHANGED_NEXT_DAY.items():
        assert found[deal] == text


@pytest.mark.parametrize("at", [0, NOTES], ids=["column-a", "column-g"])
def test_column_inserted_during_first_write(fake: FakeSheets, at: int) -> None:
    rows = [row[: NOTES + 1] for row in ROWS]
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": rows})
    seen = change_before_write(fake, spreadsheet_id, insert_column(at))

    sync(fake, spreadsheet_id, FIRST_DAY)

    # The status header and statuses went into column H, which now contains
    # the Notes column, and were taken back.
    assert read_tab(fake, spreadsheet_id) == seen[0]
    assert STATUS_HEADER not in seen[0][0]


def test_moved_column_warning_names_cells(
    fake: FakeSheets, caplog: pytest.LogCaptureFixture
) -> None:
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": ROWS})
    sync(fake, spreadsheet_id, FIRST_DAY)
    change_before_write(fake, spreadsheet_id, insert_column(0))

    with caplog.at_level(logging.WARNING):
        result = sync(fake, spreadsheet_id, NEXT_DAY)

    assert (
        "Columns of tab 'Deals' of spreadsheet 'Pipeline' were inserted or "
        "deleted while pipesheet wrote the statuses, so the statuses went into "
        "column H, which is no longer the status column (the status column is "
        "now column I). No status was written, and the next run writes them "
        "into the status column."
    ) in caplog.messages
    assert (
        "pipesheet put back the values that cells H2, H3 of tab 'Deals' of "
        "spreadsheet 'Pipeline' had before the write: H2 'n1', H3 'n2'."
    ) in caplog.messages
    assert result.report is not None
    assert result.report.status_cells_written == 0


def test_put_back_dates_shown_as_dates(
    fake: FakeSheets, caplog: pytest.LogCaptureFixture
) -> None:
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": ROWS})
    sync(fake, spreadsheet_id, FIRST_DAY)
    # Two columns at A move Next Step Date into H, where the statuses go.
    change_before_write(fake, spreadsheet_id, insert_column(0) + insert_column(0))

    with caplog.at_level(logging.WARNING):
        sync(fake, spreadsheet_id, NEXT_DAY)

    assert (
        "pipesheet put back the values that cells H2, H3 of tab 'Deals' of "
        "spreadsheet 'Pipeline' had before the write: H2 2025-09-01, "
        "H3 2025-09-05."
    ) in caplog.messages
    assert fake.read(spreadsheet_id, "Deals!H2:H3") == [["2025-09-01"], ["2025-09-05"]]


def test_cell_edited_after_misplaced_write_kept(
    fake: FakeSheets, caplog: pytest.LogCaptureFixture
) -> None:
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": ROWS})
    sync(fake, spreadsheet_id, FIRST_DAY)
    change_before_write(fake, spreadsheet_id, insert_column(0))
    # Someone types into a cell that got a status, just after the write.
    fake.faults.before_call(
        len(fake.requests) + WRITE_CALL + 1,
        lambda _store: fake.write(spreadsheet_id, "Deals!H2", [["call back"]]),
    )

    with caplog.at_level(logging.WARNING):
        sync(fake, spreadsheet_id, NEXT_DAY)

    assert fake.read(spreadsheet_id, "Deals!H2:H3") == [["call back"], ["n2"]]
    assert any(
        message.startswith("Cells H2 of tab 'Deals'") for message in caplog.messages
    )


def test_unmatched_column_left_with_warning(
    fake: FakeSheets, caplog: pytest.LogCaptureFixture
) -> None:
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": ROWS})
    sync(fake, spreadsheet_id, FIRST_DAY)
    # A column inserted at A, and a Notes cell retyped at the same moment, so
    # the landed column no longer matches the Notes column of the re-read.
    change_before_write(
        fake,
        spreadsheet_id,
        [
            *insert_column(0),
            {
                "updateCells": {
                    "start": {"sheetId": 0, "rowIndex": 4, "columnIndex": NOTES + 1},
                    "rows": [{"values": [{"userEnteredValue": {"stringValue": "m"}}]}],
                    "fields": "userEnteredValue",
                }
            },
        ],
    )

    with caplog.at_level(logging.WARNING):
        sync(fake, spreadsheet_id, NEXT_DAY)

    assert fake.read(spreadsheet_id, "Deals!H2:H3") == [
        [CHANGED_NEXT_DAY["D-1"]],
        [CHANGED_NEXT_DAY["D-2"]],
    ]
    assert (
        "Cells H2, H3 of tab 'Deals' of spreadsheet 'Pipeline' contain statuses "
        "pipesheet wrote into another column, and it could not tell which "
        "column they belonged to ('Notes'), so it left them. Restore them from "
        "File > Version history, from the version before this run."
    ) in caplog.messages


def test_layout_matches_inserted_column() -> None:
    layout = column_layout(["ID", "Notes", "Status"], [None, "ID", "Notes", "Status"])

    assert layout.now_of == {0: 1, 1: 2, 2: 3}
    assert 0 not in layout.before_of


def test_layout_matches_retyped_header() -> None:
    layout = column_layout(["ID", "Notes", "Status"], ["ID", "Remarks", "Status"])

    assert layout.now_of == {0: 0, 1: 1, 2: 2}


def test_failed_repair_names_cells(
    fake: FakeSheets, caplog: pytest.LogCaptureFixture
) -> None:
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": ROWS})
    sync(fake, spreadsheet_id, FIRST_DAY)
    change_before_write(fake, spreadsheet_id, insert_column(0))
    # The read of the grid size that the repair needs fails.
    fake.faults.before_call(
        len(fake.requests) + WRITE_CALL,
        lambda _store: fake.faults.fail_when(
            lambda request: request.operation == "spreadsheets.get", 403
        ),
    )

    with caplog.at_level(logging.WARNING):
        sync(fake, spreadsheet_id, NEXT_DAY)

    warnings = [
        message
        for message in caplog.messages
        if "Putting back their values failed" in message
    ]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        "Columns of tab 'Deals' of spreadsheet 'Pipeline' were inserted or "
        "deleted while pipesheet wrote the statuses, so the statuses went into "
        "cells H2, H3, which may belong to another column now."
    )


def test_headerless_column_right_of_status(fake: FakeSheets) -> None:
    # Column I has values but no header. Deleting Notes moves it under the
    # status writes, and its values come back.
    rows = [
        [*row[: NOTES + 2], None if index == 0 else f"y{index}"]
        for index, row in enumerate(ROWS)
    ]
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": rows})
    sync(fake, spreadsheet_id, FIRST_DAY)
    seen = change_before_write(fake, spreadsheet_id, delete_column(NOTES))

    sync(fake, spreadsheet_id, NEXT_DAY)

    assert outside_status(read_tab(fake, spreadsheet_id)) == outside_status(seen[0])
    assert fake.read(spreadsheet_id, "Deals!H2:H3") == [["y1"], ["y2"]]


def test_columns_appended_and_notes_deleted(fake: FakeSheets) -> None:
    # The status column is the last one, and the grid gains columns while
    # losing Notes, so the statuses go into the blank column right of it.
    rows = [row[: NOTES + 2] for row in ROWS]
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": rows})
    sync(fake, spreadsheet_id, FIRST_DAY)
    appended = {"sheetId": 0, "dimension": "COLUMNS", "length": 3}
    seen = change_before_write(
        fake,
        spreadsheet_id,
        [{"appendDimension": appended}, *delete_column(NOTES)],
    )

    sync(fake, spreadsheet_id, NEXT_DAY)

    assert outside_status(read_tab(fake, spreadsheet_id)) == outside_status(seen[0])
    assert fake.read(spreadsheet_id, "Deals!H1:H5") == []


@pytest.mark.parametrize("at", [1, NOTES], ids=["delete-owner", "delete-notes"])
def test_column_deleted_before_write_past_grid(fake: FakeSheets, at: int) -> None:
    # The grid ends at Notes, so the first write adds the status column H.
    # With a column deleted, H would be a new blank cell, and no value of the
    # deleted column may end there.
    rows = [row[: NOTES + 1] for row in ROWS]
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": rows})
    seen = change_before_write(fake, spreadsheet_id, delete_column(at))

    sync(fake, spreadsheet_id, FIRST_DAY)

    assert read_tab(fake, spreadsheet_id) == seen[0]

    sync(fake, spreadsheet_id, FIRST_DAY)

    after_next_run = read_tab(fake, spreadsheet_id)
    assert outside_status(after_next_run) == seen[0]
    assert status_index(after_next_run) == NOTES


def change_after_write(
    fake: FakeSheets, spreadsheet_id: str, requests: list[dict[str, Any]]
) -> None:
    """Apply ``requests`` just after the next run's write, before its check."""
    fake.faults.before_call(
        len(fake.requests) + WRITE_CALL + 1,
        lambda _store: fake.batch_update(spreadsheet_id, requests),
    )


AFTER_WRITE = {
    "insert-a": insert_column(0),
    "insert-before-status": insert_column(NOTES),
    "delete-owner": delete_column(1),
    "delete-notes": delete_column(NOTES),
}


@pytest.mark.parametrize("change", list(AFTER_WRITE))
def test_column_change_after_first_write(
    fake: FakeSheets, change: str, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [row[: NOTES + 1] for row in ROWS]
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": rows})
    change_after_write(fake, spreadsheet_id, AFTER_WRITE[change])

    with caplog.at_level(logging.WARNING):
        result = sync(fake, spreadsheet_id, FIRST_DAY)

    assert caplog.messages == []
    assert result.report is not None
    assert result.report.status_cells_written == 4
    assert result.report.status_header_written
    assert result.report.skipped == []
    found = statuses_by_id(read_tab(fake, spreadsheet_id))
    assert found["D-1"] == "WARN: follow-up 9 days overdue"


@pytest.mark.parametrize("change", list(AFTER_WRITE))
def test_column_change_after_next_day_write(
    fake: FakeSheets, change: str, caplog: pytest.LogCaptureFixture
) -> None:
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": ROWS})
    sync(fake, spreadsheet_id, FIRST_DAY)
    change_after_write(fake, spreadsheet_id, AFTER_WRITE[change])

    with caplog.at_level(logging.WARNING):
        result = sync(fake, spreadsheet_id, NEXT_DAY)

    assert caplog.messages == []
    assert result.report is not None
    assert result.report.status_cells_written == len(CHANGED_NEXT_DAY)
    assert result.report.skipped == []
    found = statuses_by_id(read_tab(fake, spreadsheet_id))
    for deal, text in CHANGED_NEXT_DAY.items():
        assert found[deal] == text


def test_new_status_column_place_not_claimed(
    fake: FakeSheets, caplog: pytest.LogCaptureFixture
) -> None:
    # The first write adds the status column, so no header shows where it
    # went after a column was inserted at A.
    rows = [row[: NOTES + 1] for row in ROWS]
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": rows})
    change_before_write(fake, spreadsheet_id, insert_column(0))

    with caplog.at_level(logging.WARNING):
        sync(fake, spreadsheet_id, FIRST_DAY)

    assert (
        "Columns of tab 'Deals' of spreadsheet 'Pipeline' were inserted or "
        "deleted while pipesheet wrote the statuses, so the statuses went into "
        "column H, which is no longer the status column (pipesheet cannot tell "
        "where the status column is now). No status was written, and the next "
        "run writes them into the status column."
    ) in caplog.messages
