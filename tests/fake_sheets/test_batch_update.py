from __future__ import annotations

from typing import Any

import pytest

from tests.fake_sheets.conftest import Client
from tests.fake_sheets.fake import FakeSheets

OTHER_USER = "colleague@example.com"


def _batch(
    client: Client, spreadsheet_id: str, *requests: dict[str, Any], **extra: Any
) -> Any:
    body = {"requests": list(requests), **extra}
    return client.call("POST", f"/v4/spreadsheets/{spreadsheet_id}:batchUpdate", body)


def _ok(client: Client, spreadsheet_id: str, *requests: dict[str, Any]) -> Any:
    reply = _batch(client, spreadsheet_id, *requests)
    assert reply.status == 200, reply.body
    return reply.json()


def _error(client: Client, spreadsheet_id: str, *requests: dict[str, Any]) -> str:
    reply = _batch(client, spreadsheet_id, *requests)
    assert reply.status == 400, reply.body
    return str(reply.json()["error"]["message"])


def _grid(
    rows: tuple[int, int], columns: tuple[int, int], sheet_id: int = 0
) -> dict[str, int]:
    return {
        "sheetId": sheet_id,
        "startRowIndex": rows[0],
        "endRowIndex": rows[1],
        "startColumnIndex": columns[0],
        "endColumnIndex": columns[1],
    }


def _string_row(*texts: str) -> dict[str, Any]:
    return {"values": [{"userEnteredValue": {"stringValue": text}} for text in texts]}


def test_add_sheet_then_fill_in_batch(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    result = _ok(
        client,
        spreadsheet_id,
        {
            "addSheet": {
                "properties": {
                    "sheetId": 777,
                    "title": "Problems",
                    "index": 1,
                    "gridProperties": {"rowCount": 10, "columnCount": 3},
                }
            }
        },
        {
            "updateCells": {
                "start": {"sheetId": 777, "rowIndex": 0, "columnIndex": 0},
                "rows": [_string_row("Deal", "Finding")],
                "fields": "userEnteredValue",
            }
        },
    )

    assert result["replies"] == [
        {
            "addSheet": {
                "properties": {
                    "sheetId": 777,
                    "title": "Problems",
                    "index": 1,
                    "sheetType": "GRID",
                    "gridProperties": {"rowCount": 10, "columnCount": 3},
                }
            }
        },
        {},
    ]
    assert fake.read(spreadsheet_id, "Problems!A1:C1") == [["Deal", "Finding"]]
    assert [sheet.title for sheet in fake.spreadsheet(spreadsheet_id).sheets] == [
        "Deals",
        "Problems",
        "Funnel",
    ]


@pytest.mark.parametrize(
    ("request_body", "message"),
    [
        (
            {"addSheet": {"properties": {"title": "deals"}}},
            (
                'Invalid requests[0].addSheet: A sheet with the name "deals" already '
                "exists. Please enter another name."
            ),
        ),
        (
            {"deleteSheet": {"sheetId": 123}},
            "Invalid requests[0].deleteSheet: No grid with id: 123",
        ),
        (
            {
                "repeatCell": {
                    "range": _grid((0, 1), (26, 27)),
                    "cell": {},
                    "fields": "note",
                }
            },
            (
                "Invalid requests[0].repeatCell: Range (Deals!AA1) exceeds grid "
                "limits. Max rows: 1000, max columns: 26"
            ),
        ),
        (
            {"updateSheetProperties": {"properties": {"sheetId": 0, "title": "X"}}},
            (
                "Invalid requests[0].updateSheetProperties: At least one field must be "
                "updated, but none was specified."
            ),
        ),
        (
            {
                "updateCells": {
                    "range": _grid((0, 1), (0, 1)),
                    "rows": [
                        {
                            "values": [
                                {"userEnteredValue": {"stringValue": "x" * 50_001}}
                            ]
                        }
                    ],
                    "fields": "userEnteredValue",
                }
            },
            (
                "Invalid requests[0].updateCells: Your input contains more than the "
                "maximum of 50000 characters in a single cell."
            ),
        ),
    ],
    ids=["duplicate-title", "unknown-sheet", "past-grid", "no-fields", "long-text"],
)
def test_invalid_request_names_itself(
    client: Client, spreadsheet_id: str, request_body: dict[str, Any], message: str
) -> None:
    assert _error(client, spreadsheet_id, request_body) == message


def test_unknown_request_kind_answers_400(client: Client, spreadsheet_id: str) -> None:
    reply = _batch(client, spreadsheet_id, {"frobnicate": {}})

    message = (
        "Invalid JSON payload received. Unknown name \"frobnicate\" at 'requests[0]': "
        "Cannot find field."
    )
    assert reply.status == 400
    assert reply.json()["error"]["message"] == message
    assert reply.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_unimplemented_request_kind_answers_400(
    client: Client, spreadsheet_id: str
) -> None:
    message = _error(client, spreadsheet_id, {"addBanding": {}})

    assert message == (
        "Invalid requests[0].addBanding: the fake Sheets API does not implement "
        "'addBanding'; add it to tests/fake_sheets or avoid it."
    )


def test_failed_batch_changes_nothing(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    version = fake.spreadsheet(spreadsheet_id).version

    _error(
        client,
        spreadsheet_id,
        {"addSheet": {"properties": {"title": "Kept?"}}},
        {"deleteSheet": {"sheetId": 404}},
    )

    assert fake.spreadsheet(spreadsheet_id).sheet_by_title("Kept?") is None
    assert fake.spreadsheet(spreadsheet_id).version == version


def test_cannot_hide_every_tab(client: Client) -> None:
    spreadsheet_id = client.fake.create("Solo")

    message = _error(
        client,
        spreadsheet_id,
        {
            "updateSheetProperties": {
                "properties": {"sheetId": 0, "hidden": True},
                "fields": "hidden",
            }
        },
    )

    assert message == (
        "Invalid requests[0].updateSheetProperties: You can't hide all the sheets in a "
        "document."
    )


def test_cannot_delete_last_tab(client: Client) -> None:
    spreadsheet_id = client.fake.create("Solo")

    message = _error(client, spreadsheet_id, {"deleteSheet": {"sheetId": 0}})

    assert message == (
        "Invalid requests[0].deleteSheet: You can't remove all the sheets in a "
        "document."
    )


def test_index_counts_positions_before_move(fake: FakeSheets, client: Client) -> None:
    spreadsheet_id = fake.create("Order", tabs=("A", "B", "C"))

    _ok(
        client,
        spreadsheet_id,
        {
            "updateSheetProperties": {
                "properties": {"sheetId": 0, "index": 2},
                "fields": "index",
            }
        },
    )

    titles = [sheet.title for sheet in fake.spreadsheet(spreadsheet_id).sheets]
    assert titles == ["B", "A", "C"]


def test_resize_drops_cells_outside_grid(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.write(spreadsheet_id, "Deals!A1", [["a", "b"], ["c", "d"]])

    _ok(
        client,
        spreadsheet_id,
        {
            "updateSheetProperties": {
                "properties": {
                    "sheetId": 0,
                    "gridProperties": {"rowCount": 1, "columnCount": 1},
                },
                "fields": "gridProperties/rowCount,gridProperties/columnCount",
            }
        },
    )
    _ok(
        client,
        spreadsheet_id,
        {"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 1}},
    )

    assert fake.read(spreadsheet_id, "Deals") == [["a"]]
    assert fake.spreadsheet(spreadsheet_id).sheets[0].row_count == 2


def test_tab_colour_reads_back_quantised(client: Client, spreadsheet_id: str) -> None:
    _ok(
        client,
        spreadsheet_id,
        {
            "updateSheetProperties": {
                "properties": {
                    "sheetId": 0,
                    "tabColorStyle": {"rgbColor": {"red": 1, "green": 0, "blue": 0.5}},
                },
                "fields": "tabColorStyle",
            }
        },
    )

    reply = client.call(
        "GET",
        f"/v4/spreadsheets/{spreadsheet_id}",
        query="fields=sheets.properties(tabColor,tabColorStyle)",
    )

    properties = reply.json()["sheets"][0]["properties"]
    assert properties == {
        "tabColor": {"red": 1, "blue": 0.49803922},
        "tabColorStyle": {"rgbColor": {"red": 1, "blue": 0.49803922}},
    }


def test_insert_rows_moves_anchored_objects(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.write(spreadsheet_id, "Deals!A1", [["head"], ["D-1"], ["D-2"]])
    _ok(
        client,
        spreadsheet_id,
        {"mergeCells": {"range": _grid((2, 3), (0, 2)), "mergeType": "MERGE_ALL"}},
        {
            "addNamedRange": {
                "namedRange": {"name": "Second", "range": _grid((2, 3), (0, 1))}
            }
        },
        {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataKey": "deal",
                    "metadataValue": "D-2",
                    "visibility": "DOCUMENT",
                    "location": {
                        "dimensionRange": {
                            "sheetId": 0,
                            "dimension": "ROWS",
                            "startIndex": 2,
                            "endIndex": 3,
                        }
                    },
                }
            }
        },
    )

    _ok(
        client,
        spreadsheet_id,
        {
            "insertDimension": {
                "range": {
                    "sheetId": 0,
                    "dimension": "ROWS",
                    "startIndex": 1,
                    "endIndex": 3,
                }
            }
        },
    )

    spreadsheet = fake.spreadsheet(spreadsheet_id)
    assert fake.read(spreadsheet_id, "Deals!A1:A5") == [
        ["head"],
        [],
        [],
        ["D-1"],
        ["D-2"],
    ]
    assert spreadsheet.sheets[0].merges == [_grid((4, 5), (0, 2))]
    assert spreadsheet.named_ranges[0]["range"] == _grid((4, 5), (0, 1))
    assert (
        spreadsheet.developer_metadata[0]["location"]["dimensionRange"]["startIndex"]
        == 4
    )
    assert spreadsheet.sheets[0].row_count == 1002


def test_delete_rows_drops_their_metadata(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.write(spreadsheet_id, "Deals!A1", [["head"], ["D-1"], ["D-2"]])
    _ok(
        client,
        spreadsheet_id,
        {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataKey": "deal",
                    "visibility": "DOCUMENT",
                    "location": {
                        "dimensionRange": {
                            "sheetId": 0,
                            "dimension": "ROWS",
                            "startIndex": 1,
                            "endIndex": 2,
                        }
                    },
                }
            }
        },
    )

    _ok(
        client,
        spreadsheet_id,
        {
            "deleteDimension": {
                "range": {
                    "sheetId": 0,
                    "dimension": "ROWS",
                    "startIndex": 1,
                    "endIndex": 2,
                }
            }
        },
    )

    assert fake.read(spreadsheet_id, "Deals!A1:A3") == [["head"], ["D-2"]]
    assert fake.spreadsheet(spreadsheet_id).developer_metadata == []


def test_merge_keeps_only_top_left_value(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.write(spreadsheet_id, "Deals!A1", [["a", "b"], ["c", "d"]])

    _ok(
        client,
        spreadsheet_id,
        {"mergeCells": {"range": _grid((0, 2), (0, 2)), "mergeType": "MERGE_ROWS"}},
    )

    assert fake.read(spreadsheet_id, "Deals!A1:B2") == [["a"], ["c"]]
    assert len(fake.spreadsheet(spreadsheet_id).sheets[0].merges) == 2


def test_partial_merge_overlap_answers_400(client: Client, spreadsheet_id: str) -> None:
    _ok(client, spreadsheet_id, {"mergeCells": {"range": _grid((0, 2), (0, 2))}})

    message = _error(
        client, spreadsheet_id, {"mergeCells": {"range": _grid((1, 3), (0, 2))}}
    )

    assert message == (
        "Invalid requests[0].mergeCells: You must select all cells in a merged range "
        "to merge or unmerge them."
    )


def test_sort_range_orders_rows(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.write(spreadsheet_id, "Deals!A1", [["b", 2], ["", 9], ["a", 3], ["c", 1]])

    _ok(
        client,
        spreadsheet_id,
        {
            "sortRange": {
                "range": _grid((0, 4), (0, 2)),
                "sortSpecs": [{"dimensionIndex": 0, "sortOrder": "DESCENDING"}],
            }
        },
    )

    assert fake.read(spreadsheet_id, "Deals!A1:B4") == [
        ["c", "1"],
        ["b", "2"],
        ["a", "3"],
        ["", "9"],
    ]


def test_copy_paste_fills_destination(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.write(spreadsheet_id, "Deals!A1", [["x", "y"]])

    _ok(
        client,
        spreadsheet_id,
        {
            "copyPaste": {
                "source": _grid((0, 1), (0, 2)),
                "destination": _grid((1, 3), (0, 4)),
                "pasteType": "PASTE_NORMAL",
            }
        },
    )

    assert fake.read(spreadsheet_id, "Deals!A1:D3") == [
        ["x", "y"],
        ["x", "y", "x", "y"],
        ["x", "y", "x", "y"],
    ]


def test_cut_paste_moves_cells(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.write(spreadsheet_id, "Deals!A1", [["x"], ["y"]])

    _ok(
        client,
        spreadsheet_id,
        {
            "cutPaste": {
                "source": _grid((0, 2), (0, 1)),
                "destination": {"sheetId": 0, "rowIndex": 0, "columnIndex": 2},
            }
        },
    )

    assert fake.read(spreadsheet_id, "Deals!A1:C2") == [["", "", "x"], ["", "", "y"]]


def test_find_replace_counts_changes(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.write(spreadsheet_id, "Deals!A1", [["Lost", "lost deal"], ["Won", '="Lost"']])

    result = _ok(
        client,
        spreadsheet_id,
        {"findReplace": {"find": "lost", "replacement": "Closed lost", "sheetId": 0}},
    )

    assert result["replies"] == [
        {
            "findReplace": {
                "valuesChanged": 2,
                "rowsChanged": 1,
                "sheetsChanged": 1,
                "occurrencesChanged": 2,
            }
        }
    ]
    assert fake.read(spreadsheet_id, "Deals!A1:B1") == [
        ["Closed lost", "Closed lost deal"]
    ]


def test_repeat_cell_format_gets_style_mirrors(
    client: Client, spreadsheet_id: str
) -> None:
    cell = {
        "userEnteredFormat": {
            "backgroundColor": {"green": 1, "blue": 1},
            "textFormat": {"foregroundColor": {"red": 1}, "bold": True},
        }
    }
    _ok(
        client,
        spreadsheet_id,
        {
            "repeatCell": {
                "range": _grid((1, 2), (0, 2)),
                "cell": cell,
                "fields": "userEnteredFormat(backgroundColor,textFormat)",
            }
        },
    )

    reply = client.call(
        "GET",
        f"/v4/spreadsheets/{spreadsheet_id}",
        query="ranges=Deals!A2&fields=sheets.data.rowData.values.userEnteredFormat",
    )

    cell_format = reply.json()["sheets"][0]["data"][0]["rowData"][0]["values"][0]
    assert cell_format == {
        "userEnteredFormat": {
            "backgroundColor": {"green": 1, "blue": 1},
            "backgroundColorStyle": {"rgbColor": {"green": 1, "blue": 1}},
            "textFormat": {
                "foregroundColor": {"red": 1},
                "bold": True,
                "foregroundColorStyle": {"rgbColor": {"red": 1}},
            },
        }
    }


def test_data_validation_is_stored_per_cell(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    rule = {
        "condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "Won"}]},
        "strict": True,
        "inputMessage": None,
    }

    _ok(
        client,
        spreadsheet_id,
        {"setDataValidation": {"range": _grid((1, 3), (1, 2)), "rule": rule}},
    )

    sheet = fake.spreadsheet(spreadsheet_id).sheets[0]
    expected = {"condition": rule["condition"], "strict": True}
    assert sheet.cell(1, 1).validation == expected
    assert sheet.cell(2, 1).validation == expected
    assert sheet.cell(3, 1).validation is None


def test_update_borders_sets_outer_and_inner(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    solid = {"style": "SOLID", "width": 1, "color": {"red": 1}}
    dashed = {"style": "DASHED"}

    _ok(
        client,
        spreadsheet_id,
        {
            "updateBorders": {
                "range": _grid((0, 2), (0, 1)),
                "top": solid,
                "innerHorizontal": dashed,
            }
        },
    )

    sheet = fake.spreadsheet(spreadsheet_id).sheets[0]
    assert sheet.cell(0, 0).format["borders"] == {
        "top": {
            "style": "SOLID",
            "width": 1,
            "color": {"red": 1},
            "colorStyle": {"rgbColor": {"red": 1}},
        },
        "bottom": dashed,
    }
    assert sheet.cell(1, 0).format["borders"] == {"top": dashed}


def test_dimension_properties_show_in_metadata(
    client: Client, spreadsheet_id: str
) -> None:
    _ok(
        client,
        spreadsheet_id,
        {
            "updateDimensionProperties": {
                "range": {
                    "sheetId": 0,
                    "dimension": "COLUMNS",
                    "startIndex": 1,
                    "endIndex": 2,
                },
                "properties": {"pixelSize": 160, "hiddenByUser": True},
                "fields": "pixelSize,hiddenByUser",
            }
        },
    )

    reply = client.call(
        "GET",
        f"/v4/spreadsheets/{spreadsheet_id}",
        query="ranges=Deals!A1:C1&fields=sheets.data.columnMetadata",
    )

    assert reply.json()["sheets"][0]["data"][0]["columnMetadata"] == [
        {"pixelSize": 100},
        {"pixelSize": 160, "hiddenByUser": True},
        {"pixelSize": 100},
    ]


def test_conditional_format_rules_keep_priority(
    client: Client, spreadsheet_id: str
) -> None:
    def rule(text: str) -> dict[str, Any]:
        return {
            "ranges": [_grid((1, 100), (1, 2))],
            "booleanRule": {
                "condition": {
                    "type": "TEXT_EQ",
                    "values": [{"userEnteredValue": text}],
                },
                "format": {"backgroundColor": {"red": 1}},
            },
        }

    _ok(
        client,
        spreadsheet_id,
        {"addConditionalFormatRule": {"rule": rule("Lost"), "index": 0}},
        {"addConditionalFormatRule": {"rule": rule("Won"), "index": 0}},
    )
    moved = _ok(
        client,
        spreadsheet_id,
        {"updateConditionalFormatRule": {"sheetId": 0, "index": 0, "newIndex": 1}},
    )
    deleted = _ok(
        client,
        spreadsheet_id,
        {"deleteConditionalFormatRule": {"sheetId": 0, "index": 0}},
    )

    deleted_rule = deleted["replies"][0]["deleteConditionalFormatRule"]["rule"]
    assert moved["replies"][0]["updateConditionalFormatRule"]["newIndex"] == 1
    assert deleted_rule["booleanRule"]["condition"]["values"] == [
        {"userEnteredValue": "Lost"}
    ]
    assert deleted_rule["ranges"] == [
        {
            "startRowIndex": 1,
            "endRowIndex": 100,
            "startColumnIndex": 1,
            "endColumnIndex": 2,
        }
    ]
    assert deleted_rule["booleanRule"]["format"] == {
        "backgroundColor": {"red": 1},
        "backgroundColorStyle": {"rgbColor": {"red": 1}},
    }


def test_add_chart_assigns_id(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    funnel_id = fake.spreadsheet(spreadsheet_id).sheets[1].sheet_id
    chart = {
        "spec": {"title": "Funnel", "basicChart": {"chartType": "BAR"}},
        "position": {
            "overlayPosition": {
                "anchorCell": {"sheetId": funnel_id, "rowIndex": 0, "columnIndex": 4}
            }
        },
    }

    result = _ok(client, spreadsheet_id, {"addChart": {"chart": chart}})

    reply = result["replies"][0]["addChart"]["chart"]
    stored = fake.spreadsheet(spreadsheet_id).sheets[1].charts
    assert reply["chartId"] == stored[0]["chartId"]
    assert reply["spec"]["title"] == "Funnel"
    assert reply["position"]["overlayPosition"]["widthPixels"] == 600


def test_delete_embedded_object_removes_chart(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    chart = {"chartId": 42, "spec": {"title": "Funnel"}, "position": {"sheetId": 0}}
    _ok(client, spreadsheet_id, {"addChart": {"chart": chart}})

    _ok(client, spreadsheet_id, {"deleteEmbeddedObject": {"objectId": 42}})

    assert fake.spreadsheet(spreadsheet_id).sheets[0].charts == []


def test_metadata_follows_tab_through_rename(
    client: Client, spreadsheet_id: str
) -> None:
    created = _ok(
        client,
        spreadsheet_id,
        {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataKey": "pipesheet.generated",
                    "metadataValue": "funnel/v1",
                    "location": {"sheetId": 0},
                    "visibility": "PROJECT",
                }
            }
        },
    )
    _ok(
        client,
        spreadsheet_id,
        {
            "updateSheetProperties": {
                "properties": {"sheetId": 0, "title": "Renamed"},
                "fields": "title",
            }
        },
    )

    body = {
        "dataFilters": [
            {"developerMetadataLookup": {"metadataKey": "pipesheet.generated"}}
        ]
    }
    search = client.call(
        "POST", f"/v4/spreadsheets/{spreadsheet_id}/developerMetadata:search", body
    ).json()

    metadata = created["replies"][0]["createDeveloperMetadata"]["developerMetadata"]
    assert metadata["location"] == {"locationType": "SHEET", "sheetId": 0}
    assert search["matchedDeveloperMetadata"] == [
        {"developerMetadata": metadata, "dataFilters": body["dataFilters"]}
    ]


def test_metadata_update_and_delete_by_filter(
    client: Client, spreadsheet_id: str
) -> None:
    created = _ok(
        client,
        spreadsheet_id,
        {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataId": 99,
                    "metadataKey": "k",
                    "metadataValue": "v1",
                    "location": {"spreadsheet": True},
                    "visibility": "DOCUMENT",
                }
            }
        },
    )
    lookup = {"developerMetadataLookup": {"metadataId": 99}}

    updated = _ok(
        client,
        spreadsheet_id,
        {
            "updateDeveloperMetadata": {
                "dataFilters": [lookup],
                "developerMetadata": {"metadataValue": "v2"},
                "fields": "metadataValue",
            }
        },
    )
    fetched = client.call(
        "GET", f"/v4/spreadsheets/{spreadsheet_id}/developerMetadata/99"
    )
    deleted = _ok(
        client, spreadsheet_id, {"deleteDeveloperMetadata": {"dataFilter": lookup}}
    )
    missing = client.call(
        "GET", f"/v4/spreadsheets/{spreadsheet_id}/developerMetadata/99"
    )

    original = created["replies"][0]["createDeveloperMetadata"]["developerMetadata"]
    assert original["location"] == {"locationType": "SPREADSHEET", "spreadsheet": True}
    assert (
        updated["replies"][0]["updateDeveloperMetadata"]["developerMetadata"][0][
            "metadataValue"
        ]
        == "v2"
    )
    assert fetched.json()["metadataValue"] == "v2"
    assert (
        len(
            deleted["replies"][0]["deleteDeveloperMetadata"]["deletedDeveloperMetadata"]
        )
        == 1
    )
    assert missing.status == 404


def test_metadata_needs_single_row_or_column(
    client: Client, spreadsheet_id: str
) -> None:
    message = _error(
        client,
        spreadsheet_id,
        {
            "createDeveloperMetadata": {
                "developerMetadata": {
                    "metadataKey": "k",
                    "visibility": "DOCUMENT",
                    "location": {
                        "dimensionRange": {
                            "sheetId": 0,
                            "dimension": "ROWS",
                            "startIndex": 1,
                            "endIndex": 3,
                        }
                    },
                }
            }
        },
    )

    assert message.startswith(
        "Invalid requests[0].createDeveloperMetadata: A metadata dimensionRange must "
        "name ROWS or COLUMNS and span exactly one row or column"
    )


def test_protected_range_blocks_other_editors(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.store.share(spreadsheet_id, OTHER_USER, "writer")
    fake.store.tokens.update(
        {"owner-token": fake.store.default_user, "other-token": OTHER_USER}
    )
    owner = {"Authorization": "Bearer owner-token"}
    other = {"Authorization": "Bearer other-token"}
    body = {
        "requests": [
            {
                "addProtectedRange": {
                    "protectedRange": {
                        "range": _grid((0, 1), (0, 1)),
                        "warningOnly": False,
                        "editors": {"users": [], "groups": []},
                    }
                }
            }
        ]
    }
    client.call(
        "POST", f"/v4/spreadsheets/{spreadsheet_id}:batchUpdate", body, headers=owner
    )
    path = client.values_path(spreadsheet_id, "'Deals'!A1")

    blocked = client.call(
        "PUT", path, {"values": [["x"]]}, query="valueInputOption=RAW", headers=other
    )
    allowed = client.call(
        "PUT", path, {"values": [["x"]]}, query="valueInputOption=RAW", headers=owner
    )

    assert blocked.status == 403
    assert blocked.json()["error"]["message"] == (
        "You are trying to edit a protected cell or object. Please contact the "
        "spreadsheet owner to remove protection if you need to edit."
    )
    assert allowed.status == 200


def test_warning_only_protection_allows_writes(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.store.share(spreadsheet_id, OTHER_USER, "writer")
    fake.store.tokens.update(
        {"owner-token": fake.store.default_user, "other-token": OTHER_USER}
    )
    body = {
        "requests": [
            {
                "addProtectedRange": {
                    "protectedRange": {"range": {"sheetId": 0}, "warningOnly": True}
                }
            }
        ]
    }
    client.call(
        "POST",
        f"/v4/spreadsheets/{spreadsheet_id}:batchUpdate",
        body,
        headers={"Authorization": "Bearer owner-token"},
    )

    reply = client.call(
        "PUT",
        client.values_path(spreadsheet_id, "'Deals'!A1"),
        {"values": [["x"]]},
        query="valueInputOption=RAW",
        headers={"Authorization": "Bearer other-token"},
    )

    assert reply.status == 200


def test_update_spreadsheet_properties_renames_file(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    _ok(
        client,
        spreadsheet_id,
        {
            "updateSpreadsheetProperties": {
                "properties": {"title": "Renamed", "timeZone": "Europe/Paris"},
                "fields": "title,timeZone",
            }
        },
    )

    properties = fake.spreadsheet(spreadsheet_id).properties
    assert properties["title"] == "Renamed"
    assert properties["timeZone"] == "Europe/Paris"


def test_include_spreadsheet_in_response(client: Client, spreadsheet_id: str) -> None:
    reply = _batch(
        client,
        spreadsheet_id,
        {"addSheet": {"properties": {"title": "New"}}},
        includeSpreadsheetInResponse=True,
    )

    titles = [
        sheet["properties"]["title"]
        for sheet in reply.json()["updatedSpreadsheet"]["sheets"]
    ]
    assert titles == ["Deals", "Funnel", "New"]


def test_dimension_groups_report_depth(client: Client, spreadsheet_id: str) -> None:
    group = {
        "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1, "endIndex": 5}
    }
    inner = {
        "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 2, "endIndex": 3}
    }

    _ok(client, spreadsheet_id, {"addDimensionGroup": group})
    added = _ok(client, spreadsheet_id, {"addDimensionGroup": inner})
    removed = _ok(client, spreadsheet_id, {"deleteDimensionGroup": inner})

    groups = added["replies"][0]["addDimensionGroup"]["dimensionGroups"]
    assert [item["depth"] for item in groups] == [1, 2]
    assert removed["replies"][0]["deleteDimensionGroup"]["dimensionGroups"] == [
        {"range": {"dimension": "ROWS", "startIndex": 1, "endIndex": 5}, "depth": 1}
    ]


def test_duplicate_sheet_copies_cells(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.write(spreadsheet_id, "Deals!A1", [["copy me"]])

    result = _ok(
        client,
        spreadsheet_id,
        {
            "duplicateSheet": {
                "sourceSheetId": 0,
                "newSheetId": 5,
                "insertSheetIndex": 1,
            }
        },
    )

    assert (
        result["replies"][0]["duplicateSheet"]["properties"]["title"] == "Copy of Deals"
    )
    assert fake.read(spreadsheet_id, "'Copy of Deals'!A1") == [["copy me"]]
