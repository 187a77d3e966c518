from __future__ import annotations

from typing import Any

import pytest

from tests.fake_sheets.conftest import Client
from tests.fake_sheets.fake import FakeSheets


def _get(client: Client, spreadsheet_id: str, query: str = "") -> Any:
    reply = client.call("GET", f"/v4/spreadsheets/{spreadsheet_id}", query=query)
    assert reply.status == 200, reply.body
    return reply.json()


def _cell_range(row: int, column: int, sheet_id: int = 0) -> dict[str, int]:
    return {
        "sheetId": sheet_id,
        "startRowIndex": row,
        "endRowIndex": row + 1,
        "startColumnIndex": column,
        "endColumnIndex": column + 1,
    }


def test_get_lists_tabs_in_order(client: Client, spreadsheet_id: str) -> None:
    result = _get(client, spreadsheet_id, "includeGridData=false")

    funnel_id = result["sheets"][1]["properties"]["sheetId"]
    assert result["spreadsheetId"] == spreadsheet_id
    assert result["properties"]["title"] == "Pipeline"
    assert result["properties"]["timeZone"] == "Etc/GMT"
    assert result["properties"]["locale"] == "en_US"
    assert result["sheets"] == [
        {
            "properties": {
                "sheetId": 0,
                "title": "Deals",
                "index": 0,
                "sheetType": "GRID",
                "gridProperties": {"rowCount": 1000, "columnCount": 26},
            }
        },
        {
            "properties": {
                "sheetId": funnel_id,
                "title": "Funnel",
                "index": 1,
                "sheetType": "GRID",
                "gridProperties": {"rowCount": 1000, "columnCount": 26},
            }
        },
    ]
    assert result["spreadsheetUrl"] == (
        f"https://docs.google.com/spreadsheets/d/{spreadsheet_id}/edit"
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ("namedRanges", {}),
        (
            "sheets.properties.title",
            {
                "sheets": [
                    {"properties": {"title": "Deals"}},
                    {"properties": {"title": "Funnel"}},
                ]
            },
        ),
        (
            "properties.timeZone,properties/locale",
            {"properties": {"timeZone": "Etc/GMT", "locale": "en_US"}},
        ),
        (
            "sheets.properties.tabColorStyle",
            {"sheets": [{"properties": {}}, {"properties": {}}]},
        ),
    ],
    ids=["absent-field", "nested", "slash-and-dot", "unset-field"],
)
def test_fields_mask_selects_present_fields(
    client: Client, spreadsheet_id: str, fields: str, expected: Any
) -> None:
    assert _get(client, spreadsheet_id, f"fields={fields}") == expected


def test_fields_mask_sub_selection_picks_children(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    funnel_id = fake.spreadsheet(spreadsheet_id).sheets[1].sheet_id

    result = _get(client, spreadsheet_id, "fields=sheets(properties(sheetId,index))")

    assert result == {
        "sheets": [
            {"properties": {"sheetId": 0, "index": 0}},
            {"properties": {"sheetId": funnel_id, "index": 1}},
        ]
    }


def test_fields_mask_malformed_answers_400(client: Client, spreadsheet_id: str) -> None:
    reply = client.call(
        "GET", f"/v4/spreadsheets/{spreadsheet_id}", query="fields=sheets("
    )

    assert reply.json()["error"]["message"] == "Invalid field selection sheets("


def test_grid_data_carries_cell_details(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.write(spreadsheet_id, "Deals!B2", [["=1+1", "2020-01-01"]])

    result = _get(client, spreadsheet_id, "includeGridData=true&ranges=Deals!B2:C2")

    data = result["sheets"][0]["data"][0]
    cell, date = data["rowData"][0]["values"]
    assert len(result["sheets"]) == 1
    assert (data["startRow"], data["startColumn"]) == (1, 1)
    assert cell["userEnteredValue"] == {"formulaValue": "=1+1"}
    assert cell["effectiveValue"] == {"numberValue": 2}
    assert cell["formattedValue"] == "2"
    assert date["userEnteredFormat"] == {
        "numberFormat": {"type": "DATE", "pattern": "yyyy-mm-dd"}
    }
    assert data["columnMetadata"] == [{"pixelSize": 100}, {"pixelSize": 100}]


def test_notes_mask_trims_cells_without_notes(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.write(spreadsheet_id, "Deals!A1", [["a", "b", "c"], ["d", "e", "f"]])
    fake.batch_update(
        spreadsheet_id,
        [
            {
                "updateCells": {
                    "range": _cell_range(0, 1),
                    "fields": "note",
                    "rows": [{"values": [{"note": "n"}]}],
                }
            }
        ],
    )

    result = _get(
        client, spreadsheet_id, "fields=sheets.data.rowData.values.note&ranges=Deals"
    )

    assert result == {
        "sheets": [{"data": [{"rowData": [{"values": [{}, {"note": "n"}]}]}]}]
    }


def test_notes_mask_empty_tab_keeps_data(client: Client, spreadsheet_id: str) -> None:
    query = "fields=sheets/data/rowData/values/note&ranges=%27Funnel%27"

    assert _get(client, spreadsheet_id, query) == {"sheets": [{"data": [{}]}]}


def test_sheet_metadata_listed_without_grid_data(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.batch_update(
        spreadsheet_id,
        [
            {
                "createDeveloperMetadata": {
                    "developerMetadata": {
                        "metadataKey": "pipesheet.tab",
                        "metadataValue": "deals",
                        "location": {"sheetId": 0},
                        "visibility": "DOCUMENT",
                    }
                }
            },
            {
                "createDeveloperMetadata": {
                    "developerMetadata": {
                        "metadataKey": "pipesheet.status",
                        "location": {
                            "dimensionRange": {
                                "sheetId": 0,
                                "dimension": "COLUMNS",
                                "startIndex": 4,
                                "endIndex": 5,
                            }
                        },
                        "visibility": "DOCUMENT",
                    }
                }
            },
        ],
    )

    result = _get(client, spreadsheet_id, "fields=sheets.developerMetadata")
    columns = _get(
        client, spreadsheet_id, "fields=sheets.data.columnMetadata&ranges=Deals!E1"
    )

    tab_metadata = result["sheets"][0]["developerMetadata"]
    column_metadata = columns["sheets"][0]["data"][0]["columnMetadata"][0]
    assert [item["metadataKey"] for item in tab_metadata] == ["pipesheet.tab"]
    assert tab_metadata[0]["location"] == {"locationType": "SHEET", "sheetId": 0}
    assert column_metadata["developerMetadata"][0]["location"] == {
        "locationType": "COLUMN",
        "dimensionRange": {"dimension": "COLUMNS", "startIndex": 4, "endIndex": 5},
    }


def test_false_flags_are_left_out(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.batch_update(
        spreadsheet_id,
        [
            {
                "updateSheetProperties": {
                    "properties": {
                        "sheetId": 0,
                        "gridProperties": {"frozenRowCount": 1},
                    },
                    "fields": "gridProperties.frozenRowCount",
                }
            },
            {
                "updateSheetProperties": {
                    "properties": {
                        "sheetId": 0,
                        "gridProperties": {"frozenRowCount": 0},
                        "hidden": False,
                    },
                    "fields": "gridProperties.frozenRowCount,hidden",
                }
            },
        ],
    )

    properties = _get(client, spreadsheet_id)["sheets"][0]["properties"]

    assert "hidden" not in properties
    assert properties["gridProperties"] == {"rowCount": 1000, "columnCount": 26}


def test_protected_ranges_omit_sheet_zero(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.batch_update(
        spreadsheet_id,
        [
            {
                "addProtectedRange": {
                    "protectedRange": {
                        "range": _cell_range(0, 0),
                        "warningOnly": True,
                        "description": None,
                    }
                }
            }
        ],
    )

    result = _get(client, spreadsheet_id, "fields=sheets.protectedRanges")

    protected = result["sheets"][0]["protectedRanges"][0]
    assert protected["range"] == {
        "startRowIndex": 0,
        "endRowIndex": 1,
        "startColumnIndex": 0,
        "endColumnIndex": 1,
    }
    assert protected["warningOnly"] is True
    assert protected["editors"] == {"users": [fake.store.default_user]}
    assert "description" not in protected


@pytest.mark.parametrize(
    ("editors", "can_edit"),
    [(["rep@example.com"], False), (["rep@example.com", None], True)],
    ids=["not-an-editor", "editor"],
)
def test_protected_ranges_show_caller_permission(
    fake: FakeSheets,
    client: Client,
    spreadsheet_id: str,
    editors: list[str | None],
    can_edit: bool,
) -> None:
    fake.spreadsheet(spreadsheet_id).owner = "rep@example.com"
    fake.store.share(spreadsheet_id, fake.store.default_user, "writer")
    users = [user or fake.store.default_user for user in editors]
    protection = {"range": {"sheetId": 0}, "editors": {"users": users}}
    fake.batch_update(
        spreadsheet_id, [{"addProtectedRange": {"protectedRange": protection}}]
    )

    result = _get(client, spreadsheet_id, "fields=sheets.protectedRanges")

    protected = result["sheets"][0]["protectedRanges"][0]
    assert protected["requestingUserCanEdit"] is can_edit
    assert ("editors" in protected) is can_edit
