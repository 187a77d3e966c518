from __future__ import annotations

from urllib.parse import quote

from tests.fake_sheets.conftest import FIXED_NOW, Client
from tests.fake_sheets.fake import FakeSheets

SPREADSHEET = "application/vnd.google-apps.spreadsheet"
OTHER_USER = "colleague@example.com"


def _create(client: Client, name: str) -> str:
    reply = client.call(
        "POST",
        "/drive/v3/files",
        {"name": name, "mimeType": SPREADSHEET},
        query="supportsAllDrives=True",
    )
    assert reply.status == 200, reply.body
    return str(reply.json()["id"])


def test_create_returns_drive_file(client: Client) -> None:
    reply = client.call(
        "POST", "/drive/v3/files", {"name": "Pipeline", "mimeType": SPREADSHEET}
    )

    file = reply.json()
    assert file == {
        "kind": "drive#file",
        "id": file["id"],
        "name": "Pipeline",
        "mimeType": SPREADSHEET,
    }
    assert len(file["id"]) == 44


def test_create_other_mime_type_answers_400(client: Client) -> None:
    reply = client.call(
        "POST", "/drive/v3/files", {"name": "Doc", "mimeType": "text/plain"}
    )

    assert reply.status == 400
    assert reply.json()["error"]["errors"][0]["reason"] == "badRequest"


def test_get_selects_requested_fields(fake: FakeSheets, client: Client) -> None:
    file_id = _create(client, "Pipeline")
    fake.write(file_id, "Sheet1!A1", [["x"]])

    reply = client.call(
        "GET",
        f"/drive/v3/files/{file_id}",
        query="fields=modifiedTime,version&supportsAllDrives=true",
    )

    assert reply.json() == {"modifiedTime": "2024-05-06T07:08:09.123Z", "version": "2"}


def test_list_filters_by_name(client: Client) -> None:
    pipeline = _create(client, "Pipeline")
    _create(client, "Other")
    query = (
        "q="
        + quote(f'mimeType="{SPREADSHEET}" and name = "Pipeline"')
        + ("&pageSize=1000&fields=kind,nextPageToken,files(id,name)")
    )

    reply = client.call("GET", "/drive/v3/files", query=query)

    assert reply.json() == {
        "kind": "drive#fileList",
        "files": [{"id": pipeline, "name": "Pipeline"}],
    }


def test_list_pages_with_token(client: Client) -> None:
    for name in ("one", "two", "three"):
        _create(client, name)

    first = client.call("GET", "/drive/v3/files", query="pageSize=2").json()
    second = client.call(
        "GET", "/drive/v3/files", query=f"pageSize=2&pageToken={first['nextPageToken']}"
    ).json()

    assert len(first["files"]) == 2
    assert len(second["files"]) == 1
    assert "nextPageToken" not in second


def test_list_bad_query_answers_400(client: Client) -> None:
    reply = client.call("GET", "/drive/v3/files", query="q=" + quote("owner has 'x'"))

    assert reply.status == 400
    assert reply.json()["error"]["errors"][0]["reason"] == "invalid"


def test_copy_keeps_tabs_and_values(fake: FakeSheets, client: Client) -> None:
    source = _create(client, "Pipeline")
    fake.write(source, "Sheet1!A1", [["copied"]])

    reply = client.call(
        "POST",
        f"/drive/v3/files/{source}/copy",
        {"name": None, "mimeType": SPREADSHEET},
    )

    copy_id = reply.json()["id"]
    assert reply.json()["name"] == "Copy of Pipeline"
    assert copy_id != source
    assert fake.read(copy_id, "Sheet1!A1") == [["copied"]]
    assert fake.spreadsheet(copy_id).sheets[0].sheet_id == 0


def test_delete_then_get_answers_404(client: Client) -> None:
    file_id = _create(client, "Pipeline")

    deleted = client.call("DELETE", f"/drive/v3/files/{file_id}")
    drive_get = client.call("GET", f"/drive/v3/files/{file_id}")
    sheets_get = client.call("GET", f"/v4/spreadsheets/{file_id}")

    assert deleted.status == 204
    assert deleted.body == b""
    assert drive_get.json()["error"] == {
        "code": 404,
        "message": f"File not found: {file_id}.",
        "errors": [
            {
                "message": f"File not found: {file_id}.",
                "domain": "global",
                "reason": "notFound",
                "location": "fileId",
                "locationType": "parameter",
            }
        ],
        "status": "NOT_FOUND",
    }
    assert sheets_get.status == 404


def test_export_first_tab_as_csv(fake: FakeSheets, client: Client) -> None:
    file_id = _create(client, "Pipeline")
    fake.write(file_id, "Sheet1!A1", [["a1", "b,1"], ["", "=1+1"]])

    reply = client.call(
        "GET", f"/drive/v3/files/{file_id}/export", query="mimeType=text/csv"
    )

    assert reply.headers["Content-Type"] == "text/csv"
    assert reply.body == b'a1,"b,1"\n,2'


def test_import_csv_replaces_tabs(fake: FakeSheets) -> None:
    file_id = fake.create("Import")
    body = b"deal,stage\nD-1,Won\n"

    reply = fake.handler.handle(
        "PUT",
        f"/upload/drive/v2/files/{file_id}",
        "uploadType=media&convert=True",
        body,
        {},
    )

    spreadsheet = fake.spreadsheet(file_id)
    assert reply.json()["title"] == "Import"
    assert [sheet.title for sheet in spreadsheet.sheets] == ["Import"]
    assert fake.read(file_id, "Import!A1:B2") == [["deal", "stage"], ["D-1", "Won"]]


def test_sharing_grants_access(fake: FakeSheets, client: Client) -> None:
    file_id = _create(client, "Pipeline")
    fake.store.tokens.update({"owner": fake.store.default_user, "other": OTHER_USER})
    other = {"Authorization": "Bearer other"}
    owner = {"Authorization": "Bearer owner"}

    before = client.call("GET", f"/v4/spreadsheets/{file_id}", headers=other)
    drive_before = client.call("GET", f"/drive/v3/files/{file_id}", headers=other)
    client.call(
        "POST",
        f"/drive/v3/files/{file_id}/permissions",
        {"type": "user", "role": "reader", "emailAddress": OTHER_USER},
        headers=owner,
    )
    after = client.call("GET", f"/v4/spreadsheets/{file_id}", headers=other)
    write = client.call(
        "POST",
        f"/v4/spreadsheets/{file_id}:batchUpdate",
        {"requests": []},
        headers=other,
    )

    assert before.json()["error"] == {
        "code": 403,
        "message": "The caller does not have permission",
        "status": "PERMISSION_DENIED",
    }
    assert drive_before.status == 404
    assert after.status == 200
    assert write.status == 403


def test_unknown_token_answers_401(fake: FakeSheets, client: Client) -> None:
    fake.store.tokens["known"] = fake.store.default_user

    reply = client.call(
        "GET", "/drive/v3/files", headers={"Authorization": "Bearer stale"}
    )

    assert reply.status == 401
    assert reply.json()["error"]["status"] == "UNAUTHENTICATED"


def test_created_time_uses_store_clock(client: Client) -> None:
    file_id = _create(client, "Pipeline")

    reply = client.call("GET", f"/drive/v3/files/{file_id}", query="fields=createdTime")

    assert reply.json() == {"createdTime": FIXED_NOW.strftime("%Y-%m-%dT%H:%M:%S.123Z")}
