"""Spreadsheets on the fake Sheets API for the Google Sheets source tests.

Values are uploaded typed, as Google Sheets keeps an imported .xlsx: text as
text (``"0042"`` stays text), numbers as numbers, dates as serial numbers with
a date format. Clients sign in with anonymous credentials, so no token request
is made; a service-account key file only names the account in messages.

The service account owns each spreadsheet made here, and an owner writes
through every protection. Tests of protections call :func:`give_to_person`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import random
from pathlib import Path
from typing import Any

import gspread
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from config.loader import parse_pipeline
from config.models import Pipeline
from rules.grid import CellValue
from sync.sources.google_sheets import GoogleSpreadsheet
from tests.fake_sheets import FakeSheets
from tests.fake_sheets.server import anonymous_credentials
from tests.fake_sheets.store import DEFAULT_USER

SERVICE_ACCOUNT = DEFAULT_USER
SERIAL_EPOCH = dt.date(1899, 12, 30)
TOKEN_URI = "https://oauth2.googleapis.com/token"
CELL_FIELDS = "userEnteredValue,userEnteredFormat"

DEALS_HEADER = ["Deal ID", "Account", "Stage", "Amount", "Next Step Date"]
DEFINITION: dict[str, Any] = {
    "name": "Test pipeline",
    "source": {"kind": "google_sheets", "spreadsheet": "", "tab": "Deals"},
    "columns": {
        "id": {"aliases": ["Deal ID"], "type": "text", "required": True},
        "account": {"aliases": ["Account"], "required": True},
        "stage": {"aliases": ["Stage"], "required": True},
        "amount": {"aliases": ["Amount"]},
        "next_step_date": {"aliases": ["Next Step Date"]},
    },
    "stages": [
        {"name": "Lead", "probability": 0.1, "required": ["account"]},
        {"name": "Proposal", "probability": 0.5, "required": ["account", "amount"]},
        {"name": "Won", "outcome": "won"},
        {"name": "Lost", "outcome": "lost"},
    ],
    "followups": {"require_next_step_date": False},
}


class FakeClock:
    """A clock whose ``sleep`` only moves the time on; it records every wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        """Return the fake time in seconds."""
        return self.now

    def sleep(self, seconds: float) -> None:
        """Move the fake time on by ``seconds``."""
        self.sleeps.append(seconds)
        self.now += seconds


def make_pipeline(spreadsheet_id: str, **changes: Any) -> Pipeline:
    """Return the test definition for a spreadsheet, with top-level keys replaced."""
    data = json.loads(json.dumps(DEFINITION))
    data["source"]["spreadsheet"] = spreadsheet_id
    data.update(changes)
    return parse_pipeline(data, origin="test definition")


def cell_json(value: CellValue) -> dict[str, Any]:
    """Return the CellData a typed upload stores for a value."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {"userEnteredValue": {"stringValue": value}}
    if isinstance(value, bool):
        return {"userEnteredValue": {"boolValue": value}}
    if isinstance(value, int | float):
        return {"userEnteredValue": {"numberValue": value}}
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        serial = (value - SERIAL_EPOCH).days
        number_format = {"type": "DATE", "pattern": "yyyy-mm-dd"}
        return {
            "userEnteredValue": {"numberValue": serial},
            "userEnteredFormat": {"numberFormat": number_format},
        }
    raise TypeError(f"no typed upload for {value!r}")


def upload_tab(
    fake: FakeSheets, spreadsheet_id: str, tab: str, rows: list[list[CellValue]]
) -> None:
    """Write typed rows into a tab from A1, sizing its grid to fit them."""
    sheet = fake.spreadsheet(spreadsheet_id).sheet_by_title(tab)
    assert sheet is not None, f"no tab {tab!r}"
    width = max([1, *(len(row) for row in rows)])
    grid = {"rowCount": max(1, len(rows)), "columnCount": width}
    properties = {"sheetId": sheet.sheet_id, "gridProperties": grid}
    fields = "gridProperties(rowCount,columnCount)"
    data = [{"values": [cell_json(value) for value in row]} for row in rows]
    start = {"sheetId": sheet.sheet_id, "rowIndex": 0, "columnIndex": 0}
    requests = [
        {"updateSheetProperties": {"properties": properties, "fields": fields}},
        {"updateCells": {"start": start, "rows": data, "fields": CELL_FIELDS}},
    ]
    if rows:
        fake.batch_update(spreadsheet_id, requests)


def upload_workbook(
    fake: FakeSheets, title: str, tabs: dict[str, list[list[CellValue]]]
) -> str:
    """Create a spreadsheet holding ``tabs`` (in order); return its id."""
    spreadsheet_id = fake.create(title, tabs=tuple(tabs))
    for tab, rows in tabs.items():
        upload_tab(fake, spreadsheet_id, tab, rows)
    return spreadsheet_id


def give_to_person(fake: FakeSheets, spreadsheet_id: str, owner: str) -> None:
    """Make a person own the spreadsheet and share it with the service account.

    Real spreadsheets are owned this way. A spreadsheet the account owns
    lets it write through every protection, which hides protection bugs.
    """
    fake.spreadsheet(spreadsheet_id).owner = owner
    fake.store.share(spreadsheet_id, SERVICE_ACCOUNT, "writer")


@functools.cache
def _private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def write_key_file(
    path: Path, *, email: str = SERVICE_ACCOUNT, token_uri: str = TOKEN_URI
) -> Path:
    """Write a service-account key file with a fresh RSA key; return its path."""
    info = {
        "type": "service_account",
        "project_id": "pipesheet-test",
        "private_key_id": "0123456789abcdef",
        "private_key": _private_key_pem(),
        "client_email": email,
        "client_id": "100000000000000000000",
        "token_uri": token_uri,
    }
    path.write_text(json.dumps(info), encoding="utf-8")
    return path


def anonymous_client() -> gspread.Client:
    """Return a gspread client that sends no token, to use with ``fake.responses()``."""
    return gspread.Client(anonymous_credentials())


def open_spreadsheet(
    spreadsheet_id: str,
    *,
    key_file: Path | None = None,
    pipeline: Pipeline | None = None,
    clock: FakeClock | None = None,
    deadline_seconds: float = 180.0,
) -> GoogleSpreadsheet:
    """Return the source for a fake spreadsheet, with an anonymous client."""
    return GoogleSpreadsheet(
        spreadsheet_id,
        credentials=key_file,
        client=anonymous_client(),
        pipeline=pipeline,
        deadline_seconds=deadline_seconds,
        clock=clock or FakeClock(),
        random_source=random.Random(0),
    )
