"""The Drive calls gspread makes: files create, get, list, copy, delete, export,
comments and permissions (v3), and the CSV import upload (v2).

Only Google Sheets files exist in the fake. Drive errors carry an ``errors``
array, unlike Sheets errors.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from typing import Any

from tests.fake_sheets.call import Call
from tests.fake_sheets.cells import parse_user_entered
from tests.fake_sheets.errors import drive_error, drive_file_not_found
from tests.fake_sheets.evaluation import Evaluator
from tests.fake_sheets.fields import Mask, parse_mask, select
from tests.fake_sheets.store import SPREADSHEET_MIME_TYPE, Cell, Spreadsheet, new_sheet

_QUERY_TERM = re.compile(
    r"""\s*(?P<field>name|mimeType|trashed)\s*
    (?P<operator>=|!=|contains)\s*
    (?:"(?P<double>(?:[^"\\]|\\.)*)"|'(?P<single>(?:[^'\\]|\\.)*)'|(?P<bare>true|false))\s*""",
    re.VERBOSE,
)
IMPORTED_TIME_ZONE = "America/Los_Angeles"
"""Time zone an upload with ``convert=True`` left on the spreadsheet.

NOTE: taken from the one recorded import; probably the account's default.
"""


def rfc3339(moment: datetime) -> str:
    """Return a time as Drive prints it: ``2023-09-06T21:30:02.174Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def file_json(spreadsheet: Spreadsheet) -> dict[str, Any]:
    """Return every File field the fake stores for a spreadsheet."""
    return {
        "kind": "drive#file",
        "id": spreadsheet.spreadsheet_id,
        "name": spreadsheet.title,
        "mimeType": SPREADSHEET_MIME_TYPE,
        "createdTime": rfc3339(spreadsheet.created_time),
        "modifiedTime": rfc3339(spreadsheet.modified_time),
        "version": str(spreadsheet.version),
        "trashed": False,
    }


def _selected(call: Call, value: dict[str, Any], default_fields: str) -> dict[str, Any]:
    """Return the File fields the call's ``fields`` parameter requests."""
    selected: dict[str, Any] = select(value, _fields(call, default_fields))
    return selected


def _fields(call: Call, default: str) -> Mask | None:
    text = call.param("fields") or default
    try:
        return parse_mask(text)
    except ValueError:
        raise drive_error(
            400, f"Invalid field selection {text}", "invalidParameter"
        ) from None


def _readable(call: Call, file_id: str) -> Spreadsheet:
    spreadsheet = call.store.spreadsheets.get(file_id)
    if spreadsheet is None or not spreadsheet.can_read(call.user):
        raise drive_file_not_found(file_id)
    return spreadsheet


def _writable(call: Call, file_id: str) -> Spreadsheet:
    spreadsheet = _readable(call, file_id)
    if not spreadsheet.can_write(call.user):
        raise drive_error(
            403,
            "The user does not have sufficient permissions for this file.",
            "insufficientFilePermissions",
        )
    return spreadsheet


def create_file(call: Call) -> dict[str, Any]:
    """Serve ``POST /drive/v3/files``: create an empty spreadsheet."""
    body = call.json_body()
    if body.get("mimeType") != SPREADSHEET_MIME_TYPE:
        raise drive_error(
            400,
            f"The fake Drive stores only {SPREADSHEET_MIME_TYPE} files; got "
            f"{body.get('mimeType')!r}.",
            "badRequest",
        )
    spreadsheet = call.store.create_spreadsheet(
        body.get("name") or "Untitled spreadsheet", owner=call.user
    )
    return _selected(call, file_json(spreadsheet), "kind,id,name,mimeType")


def get_file(call: Call, file_id: str) -> dict[str, Any]:
    """Serve ``GET /drive/v3/files/{id}``."""
    spreadsheet = _readable(call, file_id)
    return _selected(call, file_json(spreadsheet), "kind,id,name,mimeType")


def list_files(call: Call) -> dict[str, Any]:
    """Serve ``GET /drive/v3/files?q=...``: newest changes first, paged."""
    terms = _parse_query(call.param("q") or "")
    found = [
        spreadsheet
        for spreadsheet in call.store.spreadsheets.values()
        if spreadsheet.can_read(call.user) and _matches(file_json(spreadsheet), terms)
    ]
    found.sort(key=lambda spreadsheet: spreadsheet.modified_time, reverse=True)

    page_size = int(call.param("pageSize") or 100)
    start = int(call.param("pageToken") or 0)
    page = found[start : start + page_size]
    result: dict[str, Any] = {
        "kind": "drive#fileList",
        "files": [file_json(spreadsheet) for spreadsheet in page],
    }
    if start + page_size < len(found):
        result["nextPageToken"] = str(start + page_size)
    default_fields = "kind,nextPageToken,incompleteSearch,files(kind,id,name,mimeType)"
    return _selected(call, result, default_fields)


def _parse_query(query: str) -> list[tuple[str, str, str]]:
    """Split ``mimeType="..." and name = "..."`` into (field, operator, value) terms."""
    terms = []
    for part in re.split(r"\s+and\s+", query.strip()) if query.strip() else []:
        match = _QUERY_TERM.fullmatch(part)
        if match is None:
            raise drive_error(
                400, f"Invalid Value: q={query!r}", "invalid", location="q"
            )
        value = (
            match.group("double") or match.group("single") or match.group("bare") or ""
        )
        value = re.sub(r"\\(.)", r"\1", value)
        terms.append((match.group("field"), match.group("operator"), value))
    return terms


def _matches(file: dict[str, Any], terms: list[tuple[str, str, str]]) -> bool:
    for field_name, operator, value in terms:
        actual = (
            str(file[field_name]).lower()
            if field_name == "trashed"
            else str(file[field_name])
        )
        if operator == "=" and actual != value:
            return False
        if operator == "!=" and actual == value:
            return False
        if operator == "contains" and value.casefold() not in actual.casefold():
            return False
    return True


def copy_file(call: Call, file_id: str) -> dict[str, Any]:
    """Serve ``POST /drive/v3/files/{id}/copy``: same tabs and ids, new file id."""
    source = _readable(call, file_id)
    body = call.json_body()
    copied = source.clone()
    created = call.store.create_spreadsheet(
        body.get("name") or f"Copy of {source.title}", owner=call.user
    )
    copied.spreadsheet_id = created.spreadsheet_id
    copied.properties["title"] = created.title
    copied.owner = call.user
    copied.editors, copied.readers = set(), set()
    copied.created_time = copied.modified_time = created.created_time
    copied.version = 1
    call.store.spreadsheets[copied.spreadsheet_id] = copied
    return _selected(call, file_json(copied), "kind,id,name,mimeType")


def delete_file(call: Call, file_id: str) -> None:
    """Serve ``DELETE /drive/v3/files/{id}``; the reply is 204 with no body."""
    spreadsheet = _readable(call, file_id)
    if call.user != spreadsheet.owner:
        raise drive_error(
            403,
            "The user does not have sufficient permissions for this file.",
            "insufficientFilePermissions",
        )
    del call.store.spreadsheets[file_id]


def export_file(call: Call, file_id: str) -> str:
    """Serve ``GET /drive/v3/files/{id}/export?mimeType=text/csv``: the first tab."""
    spreadsheet = _readable(call, file_id)
    mime_type = call.param("mimeType")
    if mime_type != "text/csv":
        raise drive_error(
            400, f"The fake exports only text/csv; got {mime_type!r}.", "badRequest"
        )
    return sheet_csv(spreadsheet)


def sheet_csv(spreadsheet: Spreadsheet) -> str:
    """Return the first tab's formatted values as CSV, trailing blanks trimmed."""
    sheet = spreadsheet.sheets[0]
    evaluator = Evaluator(spreadsheet)
    last_row = max(
        (row for (row, _), cell in sheet.cells.items() if cell.value), default=-1
    )
    last_column = max(
        (column for (_, column), cell in sheet.cells.items() if cell.value), default=-1
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in range(last_row + 1):
        writer.writerow(
            [
                evaluator.formatted(sheet, row, column)
                for column in range(last_column + 1)
            ]
        )
    return buffer.getvalue().rstrip("\n")


def list_comments(call: Call, file_id: str) -> dict[str, Any]:
    """Serve ``GET /drive/v3/files/{id}/comments``; the fake keeps no comments."""
    _readable(call, file_id)
    return {"comments": []}


def create_permission(call: Call, file_id: str) -> dict[str, Any]:
    """Serve ``POST /drive/v3/files/{id}/permissions``: share with a user."""
    _writable(call, file_id)
    body = call.json_body()
    email = body.get("emailAddress")
    role = body.get("role")
    if not email or role not in ("reader", "commenter", "writer", "owner"):
        raise drive_error(
            400, "A permission needs emailAddress and a valid role.", "badRequest"
        )
    call.store.share(file_id, email, "reader" if role == "commenter" else role)
    return {
        "kind": "drive#permission",
        "id": email,
        "type": body.get("type", "user"),
        "role": role,
    }


def list_permissions(call: Call, file_id: str) -> dict[str, Any]:
    """Serve ``GET /drive/v3/files/{id}/permissions``."""
    spreadsheet = _readable(call, file_id)
    entries = [(spreadsheet.owner, "owner")]
    entries += [(user, "writer") for user in sorted(spreadsheet.editors)]
    entries += [(user, "reader") for user in sorted(spreadsheet.readers)]
    permissions = [
        {
            "kind": "drive#permission",
            "id": user,
            "type": "user",
            "emailAddress": user,
            "role": role,
        }
        for user, role in entries
    ]
    return {"kind": "drive#permissionList", "permissions": permissions}


def import_csv(call: Call, file_id: str) -> dict[str, Any]:
    """Serve ``PUT /upload/drive/v2/files/{id}?uploadType=media&convert=True``.

    Replaces all tabs with one tab named after the spreadsheet holding the CSV
    text, like the real conversion. The reply is a small part of a v2 File.
    """
    spreadsheet = _writable(call, file_id)
    text = call.raw_body.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    sheet = new_sheet(call.store.new_sheet_id(spreadsheet), spreadsheet.title)
    for row_index, row in enumerate(rows):
        for column_index, value in enumerate(row):
            if value:
                sheet.cells[(row_index, column_index)] = _imported_cell(value)
    spreadsheet.sheets = [sheet]
    spreadsheet.named_ranges = []
    spreadsheet.developer_metadata = []
    spreadsheet.properties["timeZone"] = IMPORTED_TIME_ZONE
    spreadsheet.version += 1
    spreadsheet.modified_time = call.store.now()
    return {
        "kind": "drive#file",
        "id": spreadsheet.spreadsheet_id,
        "title": spreadsheet.title,
        "mimeType": SPREADSHEET_MIME_TYPE,
    }


def _imported_cell(value: str) -> Cell:
    entered, number_format = parse_user_entered(value)
    return Cell(entered, {"numberFormat": number_format} if number_format else {})
