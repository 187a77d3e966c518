from __future__ import annotations

from typing import Any

import pytest

from tests.fake_sheets.conftest import Client
from tests.fake_sheets.fake import FakeSheets


def _get(client: Client, spreadsheet_id: str, a1_range: str, query: str = "") -> Any:
    reply = client.call(
        "GET", client.values_path(spreadsheet_id, a1_range), query=query
    )
    assert reply.status == 200, reply.body
    return reply.json()


def _put(
    client: Client, spreadsheet_id: str, a1_range: str, body: Any, option: str = "RAW"
) -> Any:
    path = client.values_path(spreadsheet_id, a1_range)
    return client.call("PUT", path, body, query=f"valueInputOption={option}")


def test_get_trims_trailing_empty_cells(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.write(
        spreadsheet_id,
        "Deals!A1",
        [
            ["A1", "B1", "", "D1"],
            ["", "b2", "", ""],
            ["", "", "", ""],
            ["A4", "", "", ""],
        ],
    )

    result = _get(client, spreadsheet_id, "'Deals'!A1:D5")

    assert result == {
        "range": "Deals!A1:D5",
        "majorDimension": "ROWS",
        "values": [["A1", "B1", "", "D1"], ["", "b2"], [], ["A4"]],
    }


def test_get_empty_range_has_no_values(client: Client, spreadsheet_id: str) -> None:
    assert _get(client, spreadsheet_id, "'Deals'!A1:B2") == {
        "range": "Deals!A1:B2",
        "majorDimension": "ROWS",
    }


@pytest.mark.parametrize(
    ("requested", "returned"),
    [
        ("'Deals'", "Deals!A1:Z1000"),
        ("'Deals'!A1:C", "Deals!A1:C1000"),
        ("'Deals'!A1:1", "Deals!A1:Z1"),
        ("'Deals'!D4:A1", "Deals!A1:D4"),
        ("Deals!D4", "Deals!D4"),
        ("A1:B2", "Deals!A1:B2"),
        ("Funnel", "Funnel!A1:Z1000"),
        ("deals!B:B", "Deals!B1:B1000"),
    ],
    ids=[
        "whole-tab",
        "open-rows",
        "open-columns",
        "reversed",
        "single-cell",
        "no-tab",
        "bare-title",
        "title-case-insensitive",
    ],
)
def test_get_normalises_returned_range(
    client: Client, spreadsheet_id: str, requested: str, returned: str
) -> None:
    assert _get(client, spreadsheet_id, requested)["range"] == returned


def test_get_named_range_resolves_to_cells(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    named = {
        "name": "Stages",
        "range": {
            "sheetId": 0,
            "startRowIndex": 0,
            "endRowIndex": 3,
            "startColumnIndex": 1,
            "endColumnIndex": 3,
        },
    }
    fake.batch_update(spreadsheet_id, [{"addNamedRange": {"namedRange": named}}])

    assert _get(client, spreadsheet_id, "'Deals'!Stages")["range"] == "Deals!B1:C3"


@pytest.mark.parametrize(
    ("requested", "message"),
    [
        ("'Nope'!A1", "Unable to parse range: 'Nope'!A1"),
        ("'Deals'!A1:B2:C3", "Unable to parse range: 'Deals'!A1:B2:C3"),
        (
            "'Deals'!A1001",
            "Range (Deals!A1001) exceeds grid limits. Max rows: 1000, max columns: 26",
        ),
        (
            "'Deals'!AA1:AB2",
            (
                "Range (Deals!AA1:AB2) exceeds grid limits. Max rows: 1000, "
                "max columns: 26"
            ),
        ),
    ],
    ids=["unknown-tab", "three-parts", "row-past-grid", "column-past-grid"],
)
def test_get_bad_range_answers_400(
    client: Client, spreadsheet_id: str, requested: str, message: str
) -> None:
    reply = client.call("GET", client.values_path(spreadsheet_id, requested))

    assert reply.status == 400
    assert reply.json() == {
        "error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}
    }


def test_get_unknown_spreadsheet_answers_404(client: Client) -> None:
    reply = client.call("GET", client.values_path("missing", "A1"))

    assert reply.status == 404
    assert reply.json()["error"] == {
        "code": 404,
        "message": "Requested entity was not found.",
        "status": "NOT_FOUND",
    }


USER_ENTERED_ROW = [
    "=4/2",
    "2020-01-01",
    "string",
    53,
    "12%",
    "$1.50",
    "TRUE",
    "'0042",
    "2,000,000.01",
    "0042",
    "3_1_0",
    "1/2/2020",
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "valueRenderOption=FORMATTED_VALUE",
            [
                "2",
                "2020-01-01",
                "string",
                "53",
                "12%",
                "$1.50",
                "TRUE",
                "0042",
                "2,000,000.01",
                "42",
                "3_1_0",
                "1/2/2020",
            ],
        ),
        (
            "valueRenderOption=UNFORMATTED_VALUE",
            [
                2,
                43831,
                "string",
                53,
                0.12,
                1.5,
                True,
                "0042",
                2000000.01,
                42,
                "3_1_0",
                43832,
            ],
        ),
        (
            "valueRenderOption=UNFORMATTED_VALUE&dateTimeRenderOption=FORMATTED_STRING",
            [
                2,
                "2020-01-01",
                "string",
                53,
                0.12,
                1.5,
                True,
                "0042",
                2000000.01,
                42,
                "3_1_0",
                "1/2/2020",
            ],
        ),
        (
            "valueRenderOption=FORMULA",
            [
                "=4/2",
                43831,
                "string",
                53,
                0.12,
                1.5,
                True,
                "0042",
                2000000.01,
                42,
                "3_1_0",
                43832,
            ],
        ),
    ],
    ids=["formatted", "unformatted", "formatted-dates", "formula"],
)
def test_user_entered_values_render_per_option(
    client: Client, spreadsheet_id: str, query: str, expected: list[Any]
) -> None:
    _put(
        client,
        spreadsheet_id,
        "'Deals'!A1",
        {"values": [USER_ENTERED_ROW]},
        "USER_ENTERED",
    )

    assert _get(client, spreadsheet_id, "'Deals'!A1:L1", query)["values"] == [expected]


def test_raw_input_keeps_text_and_types(client: Client, spreadsheet_id: str) -> None:
    _put(client, spreadsheet_id, "'Deals'!A1", {"values": [["=1+1", "12345", 7, True]]})

    result = _get(
        client, spreadsheet_id, "'Deals'!A1:D1", "valueRenderOption=UNFORMATTED_VALUE"
    )

    assert result["values"] == [["=1+1", "12345", 7, True]]


def test_formula_reads_other_cells(client: Client, spreadsheet_id: str) -> None:
    rows = [[2, 3, "=SUM(A1:B1)*2", '=IF(C1>8,"big","small")', "=A1/0", "=NOPE(1)"]]
    _put(client, spreadsheet_id, "'Deals'!A1", {"values": rows}, "USER_ENTERED")

    result = _get(client, spreadsheet_id, "'Deals'!A1:F1")

    assert result["values"] == [["2", "3", "10", "big", "#DIV/0!", "#NAME?"]]


def test_columns_major_dimension_transposes(
    client: Client, spreadsheet_id: str
) -> None:
    body = {"values": [["a", "b"], ["c"]], "majorDimension": "COLUMNS"}
    _put(client, spreadsheet_id, "'Deals'!A1", body)

    rows = _get(client, spreadsheet_id, "'Deals'!A1:B2")
    columns = _get(client, spreadsheet_id, "'Deals'!A1:B2", "majorDimension=COLUMNS")

    assert rows["values"] == [["a", "c"], ["b"]]
    assert columns["values"] == [["a", "b"], ["c"]]


def test_update_reports_written_cells(client: Client, spreadsheet_id: str) -> None:
    reply = _put(
        client, spreadsheet_id, "'Deals'!B2", {"values": [["x", None], [None, ""]]}
    )

    assert reply.json() == {
        "spreadsheetId": spreadsheet_id,
        "updatedRange": "Deals!B2:C3",
        "updatedRows": 2,
        "updatedColumns": 2,
        "updatedCells": 2,
    }


def test_update_null_keeps_and_empty_clears(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.write(spreadsheet_id, "Deals!A1", [["keep", "clear"]])

    _put(client, spreadsheet_id, "'Deals'!A1", {"values": [[None, ""]]})

    assert fake.read(spreadsheet_id, "Deals!A1:B1") == [["keep"]]


def test_update_includes_values_when_asked(client: Client, spreadsheet_id: str) -> None:
    path = client.values_path(spreadsheet_id, "'Deals'!A1")
    query = "valueInputOption=USER_ENTERED&includeValuesInResponse=true"

    reply = client.call("PUT", path, {"values": [["=1+2"]]}, query=query)

    assert reply.json()["updatedData"] == {
        "range": "Deals!A1",
        "majorDimension": "ROWS",
        "values": [["3"]],
    }


@pytest.mark.parametrize(
    ("a1_range", "values", "message"),
    [
        (
            "'Deals'!A1:B1",
            [["a", "b", "c"]],
            (
                "Requested writing within range [Deals!A1:B1], but tried writing to "
                "column [C]"
            ),
        ),
        (
            "'Deals'!A1:B1",
            [["a"], ["b"]],
            (
                "Requested writing within range [Deals!A1:B1], but tried writing to "
                "row [2]"
            ),
        ),
        (
            "'Deals'!A1000",
            [["a"], ["b"]],
            (
                "Range (Deals!A1000:A1001) exceeds grid limits. Max rows: 1000, "
                "max columns: 26"
            ),
        ),
    ],
    ids=["too-wide", "too-tall", "past-grid"],
)
def test_update_outside_range_answers_400(
    client: Client,
    spreadsheet_id: str,
    a1_range: str,
    values: list[list[Any]],
    message: str,
) -> None:
    reply = _put(client, spreadsheet_id, a1_range, {"values": values})

    assert reply.status == 400
    assert reply.json()["error"]["message"] == message


def test_update_without_input_option_answers_400(
    client: Client, spreadsheet_id: str
) -> None:
    path = client.values_path(spreadsheet_id, "'Deals'!A1")

    reply = client.call("PUT", path, {"values": [["a"]]})

    assert (
        reply.json()["error"]["message"]
        == "'valueInputOption' is required but not specified"
    )


def test_update_values_not_list_answers_400(
    client: Client, spreadsheet_id: str
) -> None:
    reply = _put(client, spreadsheet_id, "'Deals'!A1", {"values": "X"})

    message = (
        "Invalid value at 'data.values' "
        '(type.googleapis.com/google.protobuf.ListValue), "X"'
    )
    assert reply.json() == {
        "error": {
            "code": 400,
            "message": message,
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [
                        {"field": "data.values", "description": message}
                    ],
                }
            ],
        }
    }


def test_update_too_long_cell_answers_400(client: Client, spreadsheet_id: str) -> None:
    reply = _put(client, spreadsheet_id, "'Deals'!A1", {"values": [["x" * 50_001]]})

    assert reply.json()["error"]["message"] == (
        "Your input contains more than the maximum of 50000 characters in a single "
        "cell."
    )


def _append(
    client: Client, spreadsheet_id: str, a1_range: str, rows: Any, query: str = ""
) -> Any:
    path = client.values_path(spreadsheet_id, a1_range, ":append")
    reply = client.call(
        "POST", path, {"values": rows}, query="valueInputOption=RAW" + query
    )
    assert reply.status == 200, reply.body
    return reply.json()


def test_append_writes_below_table(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.write(spreadsheet_id, "Deals!A1", [["Deal", "Stage"], ["D-1", "Won"]])

    result = _append(client, spreadsheet_id, "'Deals'", [["D-2", "Lost"]])

    assert result["tableRange"] == "Deals!A1:B2"
    assert result["updates"]["updatedRange"] == "Deals!A3:B3"


def test_append_empty_tab_has_no_table(client: Client, spreadsheet_id: str) -> None:
    result = _append(client, spreadsheet_id, "'Deals'", [["a", "b"]])

    assert "tableRange" not in result
    assert result["updates"]["updatedRange"] == "Deals!A1:B1"


def test_append_grows_grid(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.write(spreadsheet_id, "Deals!A1000", [["last"]])

    result = _append(client, spreadsheet_id, "'Deals'", [["more"], ["rows"]])

    assert result["updates"]["updatedRange"] == "Deals!A1001:A1002"
    assert fake.spreadsheet(spreadsheet_id).sheets[0].row_count == 1002


def test_append_insert_rows_shifts_data_down(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.write(spreadsheet_id, "Deals!A1", [["head"], ["body"], [""], ["footer"]])

    _append(
        client,
        spreadsheet_id,
        "'Deals'!A1:A2",
        [["new"]],
        "&insertDataOption=INSERT_ROWS",
    )

    assert fake.read(spreadsheet_id, "Deals!A1:A6") == [
        ["head"],
        ["body"],
        ["new"],
        [],
        ["footer"],
    ]


def test_clear_keeps_formats_and_notes(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.write(spreadsheet_id, "Deals!A1", [["value"]])
    cell = {"note": "keep me", "userEnteredFormat": {"textFormat": {"bold": True}}}
    grid_range = {
        "sheetId": 0,
        "startRowIndex": 0,
        "endRowIndex": 1,
        "startColumnIndex": 0,
        "endColumnIndex": 1,
    }
    fake.batch_update(
        spreadsheet_id,
        [
            {
                "repeatCell": {
                    "range": grid_range,
                    "cell": cell,
                    "fields": "note,userEnteredFormat",
                }
            }
        ],
    )

    reply = client.call("POST", client.values_path(spreadsheet_id, "'Deals'", ":clear"))

    stored = fake.spreadsheet(spreadsheet_id).sheets[0].cell(0, 0)
    assert reply.json() == {
        "spreadsheetId": spreadsheet_id,
        "clearedRange": "Deals!A1:Z1000",
    }
    assert stored.value is None
    assert stored.note == "keep me"
    assert stored.format == {"textFormat": {"bold": True}}


def test_batch_get_reads_several_tabs(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.write(spreadsheet_id, "Deals!A1", [["d"]])
    query = "ranges=%27Deals%27%21A1%3AB1&ranges=Funnel"

    reply = client.call(
        "GET", f"/v4/spreadsheets/{spreadsheet_id}/values:batchGet", query=query
    )

    assert reply.json() == {
        "spreadsheetId": spreadsheet_id,
        "valueRanges": [
            {"range": "Deals!A1:B1", "majorDimension": "ROWS", "values": [["d"]]},
            {"range": "Funnel!A1:Z1000", "majorDimension": "ROWS"},
        ],
    }


def test_batch_update_counts_totals(client: Client, spreadsheet_id: str) -> None:
    body = {
        "valueInputOption": "RAW",
        "data": [
            {"range": "'Deals'!A1:D1", "values": [["a", "b", "", "d"]]},
            {"range": "'Deals'!A4:D4", "values": [["a", "b", "", "d"]]},
            {"range": "Funnel!A1", "values": [["f"]]},
        ],
    }

    reply = client.call(
        "POST", f"/v4/spreadsheets/{spreadsheet_id}/values:batchUpdate", body
    )

    result = reply.json()
    assert result["totalUpdatedRows"] == 3
    assert result["totalUpdatedColumns"] == 5
    assert result["totalUpdatedCells"] == 9
    assert result["totalUpdatedSheets"] == 2
    assert [item["updatedRange"] for item in result["responses"]] == [
        "Deals!A1:D1",
        "Deals!A4:D4",
        "Funnel!A1",
    ]


def test_batch_update_is_all_or_nothing(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    body = {
        "valueInputOption": "RAW",
        "data": [
            {"range": "'Deals'!A1", "values": [["written?"]]},
            {"range": "'Nope'!A1", "values": [["x"]]},
        ],
    }

    reply = client.call(
        "POST", f"/v4/spreadsheets/{spreadsheet_id}/values:batchUpdate", body
    )

    assert reply.status == 400
    assert fake.read(spreadsheet_id, "Deals!A1") == []


def test_batch_clear_lists_cleared_ranges(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    fake.write(spreadsheet_id, "Deals!A1", [["a", "b"], ["c", "d"]])
    body = {"ranges": ["'Deals'!A1:B1", "Deals!B2"]}

    reply = client.call(
        "POST", f"/v4/spreadsheets/{spreadsheet_id}/values:batchClear", body
    )

    assert reply.json()["clearedRanges"] == ["Deals!A1:B1", "Deals!B2"]
    assert fake.read(spreadsheet_id, "Deals!A1:B2") == [[], ["c"]]


def test_write_bumps_drive_version(fake: FakeSheets, spreadsheet_id: str) -> None:
    before = fake.spreadsheet(spreadsheet_id).version

    fake.write(spreadsheet_id, "Deals!A1", [["x"]])

    assert fake.spreadsheet(spreadsheet_id).version == before + 1


def _put_typed(
    fake: FakeSheets, spreadsheet_id: str, cells: list[tuple[float, str, str]]
) -> None:
    """Store numbers with number formats, (value, type, pattern) each, from A1."""
    values = [
        {
            "userEnteredValue": {"numberValue": value},
            "userEnteredFormat": {"numberFormat": {"type": kind, "pattern": pattern}},
        }
        for value, kind, pattern in cells
    ]
    start = {"sheetId": 0, "rowIndex": 0, "columnIndex": 0}
    fields = "userEnteredValue,userEnteredFormat"
    update = {"start": start, "rows": [{"values": values}], "fields": fields}
    fake.batch_update(spreadsheet_id, [{"updateCells": update}])


TYPED_CELLS = [
    (1.5, "TIME", "[h]:mm:ss"),
    (46366, "TIME", "[h]:mm:ss"),
    (2958466, "DATE", "yyyy-mm-dd"),
    (2958465, "DATE", "yyyy-mm-dd"),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "valueRenderOption=FORMATTED_VALUE",
            ["36:00:00", "1112784:00:00", "2958466", "9999-12-31"],
        ),
        (
            "valueRenderOption=UNFORMATTED_VALUE&dateTimeRenderOption=FORMATTED_STRING",
            ["36:00:00", "1112784:00:00", 2958466, "9999-12-31"],
        ),
        (
            "valueRenderOption=UNFORMATTED_VALUE",
            [1.5, 46366, 2958466, 2958465],
        ),
    ],
    ids=["formatted", "formatted-dates", "unformatted"],
)
def test_durations_and_far_dates_render(
    fake: FakeSheets,
    client: Client,
    spreadsheet_id: str,
    query: str,
    expected: list[Any],
) -> None:
    _put_typed(fake, spreadsheet_id, TYPED_CELLS)

    assert _get(client, spreadsheet_id, "'Deals'!A1:D1", query)["values"] == [expected]


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("=DATE(2026,11,1)", "11/1/2026"),
        ("=DATE(2026,13,32)", "2/1/2027"),
        ("=DATE(26,1,1)", "1/1/1926"),
        ("=A1+7", "2026-11-08"),
        ("=7+A1", "2026-11-08"),
        ("=A1-A1", "0"),
        ("=NA()", "#N/A"),
        ("=DATE(10000,1,1)", "#NUM!"),
    ],
    ids=[
        "date",
        "rolled-over",
        "two-digit-year",
        "date-plus-days",
        "days-plus-date",
        "date-minus-date",
        "not-available",
        "year-past-9999",
    ],
)
def test_formula_dates_render_as_dates(
    fake: FakeSheets,
    client: Client,
    spreadsheet_id: str,
    formula: str,
    expected: str,
) -> None:
    _put_typed(fake, spreadsheet_id, [(46327, "DATE", "yyyy-mm-dd")])
    _put(client, spreadsheet_id, "'Deals'!B1", {"values": [[formula]]}, "USER_ENTERED")

    assert _get(client, spreadsheet_id, "'Deals'!B1")["values"] == [[expected]]


def test_formula_date_reads_as_formatted_string(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    _put_typed(fake, spreadsheet_id, [(46327, "DATE", "yyyy-mm-dd")])
    _put(client, spreadsheet_id, "'Deals'!B1", {"values": [["=A1+7"]]}, "USER_ENTERED")
    query = "valueRenderOption=UNFORMATTED_VALUE&dateTimeRenderOption=FORMATTED_STRING"

    assert _get(client, spreadsheet_id, "'Deals'!B1", query)["values"] == [
        ["2026-11-08"]
    ]
