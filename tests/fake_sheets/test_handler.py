from __future__ import annotations

import pytest

from tests.fake_sheets.conftest import Client
from tests.fake_sheets.fake import FakeSheets


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [
        ("GET", "/v4/spreadsheets/ID", "spreadsheets.get"),
        ("POST", "/v4/spreadsheets/ID:batchUpdate", "spreadsheets.batchUpdate"),
        ("GET", "/v4/spreadsheets/ID/values/Sheet1!A1:B2", "values.get"),
        ("POST", "/v4/spreadsheets/ID/values/Sheet1!A1:B2:append", "values.append"),
        ("POST", "/v4/spreadsheets/ID/values/%27Sheet1%27:clear", "values.clear"),
        ("GET", "/v4/spreadsheets/ID/values:batchGet", "values.batchGet"),
        ("POST", "/drive/v3/files/ID/copy", "drive.files.copy"),
        ("PUT", "/upload/drive/v2/files/ID", "drive.files.import"),
    ],
    ids=[
        "metadata",
        "batch-update",
        "raw-colon-range",
        "raw-append",
        "encoded-clear",
        "batch-get",
        "drive-copy",
        "drive-upload",
    ],
)
def test_routes_name_operation(
    fake: FakeSheets, method: str, path: str, operation: str
) -> None:
    fake.handler.handle(method, path)

    assert fake.requests[-1].operation == operation


@pytest.mark.parametrize(
    ("path", "quota"),
    [
        ("/v4/spreadsheets/ID", "read"),
        ("/v4/spreadsheets/ID/values/A1", "write"),
        ("/drive/v3/files", "drive"),
    ],
    ids=["sheets-read", "sheets-write", "drive"],
)
def test_routes_assign_quota_bucket(fake: FakeSheets, path: str, quota: str) -> None:
    method = "PUT" if path.endswith("A1") else "GET"

    fake.handler.handle(method, path)

    assert fake.requests[-1].quota == quota


def test_unknown_path_answers_404(client: Client) -> None:
    reply = client.call("GET", "/v4/nothing/here")

    assert reply.status == 404
    assert reply.json()["error"]["message"] == "Method not found: GET /v4/nothing/here"


def test_invalid_json_body_answers_400(fake: FakeSheets, spreadsheet_id: str) -> None:
    reply = fake.handler.handle(
        "POST", f"/v4/spreadsheets/{spreadsheet_id}:batchUpdate", "", b"{not json", {}
    )

    assert reply.status == 400
    assert reply.json()["error"]["message"].startswith("Invalid JSON payload received.")


def test_malformed_request_answers_400(client: Client, spreadsheet_id: str) -> None:
    body = {"requests": [{"deleteSheet": {"sheetId": {"nested": 1}}}]}

    reply = client.call("POST", f"/v4/spreadsheets/{spreadsheet_id}:batchUpdate", body)

    assert reply.status == 400
    assert reply.json()["error"]["message"].startswith("Invalid request: TypeError: ")


def test_error_code_equals_http_status(client: Client) -> None:
    reply = client.call("GET", "/v4/spreadsheets/missing")

    assert reply.json()["error"]["code"] == reply.status


def test_json_reply_is_pretty_printed(client: Client, spreadsheet_id: str) -> None:
    reply = client.call(
        "GET", f"/v4/spreadsheets/{spreadsheet_id}", query="fields=namedRanges"
    )

    assert reply.body == b"{}\n"
    assert reply.headers == {"Content-Type": "application/json; charset=UTF-8"}


def test_request_over_size_limit_answers_400(
    fake: FakeSheets, client: Client, spreadsheet_id: str
) -> None:
    text = "x" * 10_485_760
    cell = {"userEnteredValue": {"stringValue": text}}
    start = {"sheetId": 0, "rowIndex": 0, "columnIndex": 0}
    update = {"start": start, "rows": [{"values": [cell]}], "fields": "*"}
    body = {"requests": [{"updateCells": update}]}

    reply = client.call("POST", f"/v4/spreadsheets/{spreadsheet_id}:batchUpdate", body)

    assert reply.status == 400
    assert reply.json()["error"]["message"] == (
        "Request payload size exceeds the limit: 10485760 bytes."
    )
    assert fake.read(spreadsheet_id, "Deals!A1") == []
