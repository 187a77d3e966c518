"""gspread 6 itself, unmodified, against the fake: in-process through ``responses``
and over HTTP on 127.0.0.1. Credentials are anonymous; no call leaves the machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import gspread
import pytest
import requests

from tests.fake_sheets.fake import FakeSheets
from tests.fake_sheets.server import anonymous_credentials, local_gspread_client

DEALS = [
    ["Deal", "Stage", "Amount"],
    ["D-1", "Won", "1,200.50"],
    ["D-2", "Lost", "300"],
]


@contextmanager
def gspread_client(fake: FakeSheets, transport: str) -> Iterator[gspread.Client]:
    """Yield a gspread client reaching the fake through ``transport``."""
    if transport == "responses":
        with fake.responses():
            yield gspread.authorize(anonymous_credentials())
        return
    with fake.serve() as server:
        yield local_gspread_client(server.base_url)


TRANSPORTS = pytest.mark.parametrize("transport", ["responses", "loopback"])


@TRANSPORTS
def test_open_by_key_lists_worksheets(
    fake: FakeSheets, spreadsheet_id: str, transport: str
) -> None:
    with gspread_client(fake, transport) as client:
        spreadsheet = client.open_by_key(spreadsheet_id)
        titles = [worksheet.title for worksheet in spreadsheet.worksheets()]

    assert spreadsheet.title == "Pipeline"
    assert titles == ["Deals", "Funnel"]


@TRANSPORTS
def test_get_all_values_reads_tab(
    fake: FakeSheets, spreadsheet_id: str, transport: str
) -> None:
    fake.write(spreadsheet_id, "Deals!A1", DEALS)

    with gspread_client(fake, transport) as client:
        rows = client.open_by_key(spreadsheet_id).worksheet("Deals").get_all_values()

    assert rows == DEALS


@TRANSPORTS
def test_update_writes_through_gspread(
    fake: FakeSheets, spreadsheet_id: str, transport: str
) -> None:
    with gspread_client(fake, transport) as client:
        worksheet = client.open_by_key(spreadsheet_id).worksheet("Deals")
        response = worksheet.update([["Status"], ["OK"]], "D1:D2")

    assert response["updatedRange"] == "Deals!D1:D2"
    assert fake.read(spreadsheet_id, "Deals!D1:D2") == [["Status"], ["OK"]]


@TRANSPORTS
def test_batch_update_writes_several_ranges(
    fake: FakeSheets, spreadsheet_id: str, transport: str
) -> None:
    with gspread_client(fake, transport) as client:
        worksheet = client.open_by_key(spreadsheet_id).worksheet("Funnel")
        worksheet.batch_update(
            [
                {"range": "A1:B1", "values": [["Stage", "Deals"]]},
                {"range": "A2", "values": [["Won"]]},
            ],
            value_input_option=gspread.utils.ValueInputOption.user_entered,
        )

    assert fake.read(spreadsheet_id, "Funnel!A1:B2") == [["Stage", "Deals"], ["Won"]]


@TRANSPORTS
def test_spreadsheet_batch_update_adds_tab(
    fake: FakeSheets, spreadsheet_id: str, transport: str
) -> None:
    with gspread_client(fake, transport) as client:
        spreadsheet = client.open_by_key(spreadsheet_id)
        spreadsheet.batch_update(
            {
                "requests": [
                    {"addSheet": {"properties": {"sheetId": 4242, "title": "Problems"}}}
                ]
            }
        )
        worksheet = spreadsheet.get_worksheet_by_id(4242)

    assert worksheet.title == "Problems"


@TRANSPORTS
def test_missing_spreadsheet_raises_not_found(fake: FakeSheets, transport: str) -> None:
    with (
        gspread_client(fake, transport) as client,
        pytest.raises(gspread.SpreadsheetNotFound),
    ):
        client.open_by_key("no-such-spreadsheet")


@TRANSPORTS
def test_private_spreadsheet_raises_permission_error(
    fake: FakeSheets, transport: str
) -> None:
    private = fake.create("Private", owner="someone-else@example.com")

    with gspread_client(fake, transport) as client, pytest.raises(PermissionError):
        client.open_by_key(private)


@TRANSPORTS
def test_api_error_carries_body_code(
    fake: FakeSheets, spreadsheet_id: str, transport: str
) -> None:
    fake.faults.fail_next(1, status=503)

    with (
        gspread_client(fake, transport) as client,
        pytest.raises(gspread.exceptions.APIError) as raised,
    ):
        client.open_by_key(spreadsheet_id).worksheet("Deals").get_all_values()

    assert raised.value.code == 503


@TRANSPORTS
def test_create_and_open_by_title(fake: FakeSheets, transport: str) -> None:
    with gspread_client(fake, transport) as client:
        created = client.create("Quarterly")
        opened = client.open("Quarterly")
        client.del_spreadsheet(created.id)

    assert opened.id == created.id
    assert created.id not in fake.store.spreadsheets


def test_responses_blocks_other_hosts(fake: FakeSheets) -> None:
    with fake.responses(), pytest.raises(requests.exceptions.ConnectionError):
        requests.get("https://example.invalid/", timeout=5)
