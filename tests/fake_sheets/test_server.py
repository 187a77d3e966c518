from __future__ import annotations

import re

import pytest
import requests

from tests.fake_sheets.fake import FakeSheets


def test_server_listens_on_loopback(fake: FakeSheets) -> None:
    with fake.serve() as server:
        address = server.base_url

    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", address)


def test_server_serves_handler_replies(fake: FakeSheets, spreadsheet_id: str) -> None:
    fake.write(spreadsheet_id, "Deals!A1", [["over http"]])

    with fake.serve() as server, requests.Session() as session:
        session.trust_env = False
        reply = session.get(
            f"{server.base_url}/v4/spreadsheets/{spreadsheet_id}/values/%27Deals%27%21A1",
            timeout=5,
        )

    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert reply.json()["values"] == [["over http"]]


def test_server_keeps_slash_in_titles(fake: FakeSheets) -> None:
    spreadsheet_id = fake.create("Slashes", tabs=("Won/Lost",))
    fake.write(spreadsheet_id, "'Won/Lost'!A1", [["ok"]])

    with fake.serve() as server, requests.Session() as session:
        session.trust_env = False
        reply = session.get(
            f"{server.base_url}/v4/spreadsheets/{spreadsheet_id}/values/%27Won%2FLost%27%21A1",
            timeout=5,
        )

    assert reply.json()["range"] == "'Won/Lost'!A1"


def test_server_stops_on_exit(fake: FakeSheets) -> None:
    with fake.serve() as server:
        address = server.base_url

    with (
        requests.Session() as session,
        pytest.raises(requests.exceptions.ConnectionError),
    ):
        session.trust_env = False
        session.get(f"{address}/drive/v3/files", timeout=5)
