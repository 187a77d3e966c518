"""One object to set up and inspect the fake from a test.

fake = FakeSheets()
spreadsheet_id = fake.create("Pipeline", tabs=("Deals",))
fake.write(spreadsheet_id, "Deals!A1", [["Deal", "Stage"], ["D-1", "Won"]])
with fake.responses():
    client = gspread.Client(AnonymousCredentials())
    ...
assert fake.read(spreadsheet_id, "Deals!B2") == [["Won"]]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import responses

from tests.fake_sheets.batch_update import batch_update
from tests.fake_sheets.call import Call
from tests.fake_sheets.exchange import ApiRequest
from tests.fake_sheets.faults import Faults
from tests.fake_sheets.handler import FakeSheetsHandler
from tests.fake_sheets.ranges import resolve
from tests.fake_sheets.responses_adapter import serve_with_responses
from tests.fake_sheets.server import FakeSheetsServer
from tests.fake_sheets.store import DEFAULT_USER, Spreadsheet, Store, utc_now
from tests.fake_sheets.values import ReadOptions, update_values, value_range


class FakeSheets:
    """A fake Google Sheets API: its store, faults and handler, plus helpers.

    :param user: the service account the fake treats as the caller.
    :param seed: seed for generated ids.
    :param now: clock for Drive timestamps.
    """

    def __init__(
        self,
        *,
        user: str = DEFAULT_USER,
        seed: int | None = 0,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = Store(user=user, seed=seed, now=now)
        self.faults = Faults()
        self.handler = FakeSheetsHandler(self.store, self.faults)

    @property
    def requests(self) -> list[ApiRequest]:
        """Every call served so far, in order, with its operation name."""
        return self.handler.requests

    def create(
        self,
        title: str,
        *,
        tabs: tuple[str, ...] = ("Sheet1",),
        owner: str | None = None,
    ) -> str:
        """Create a spreadsheet (first tab id 0, every tab 1000×26); return its id."""
        return self.store.create_spreadsheet(
            title, owner=owner, tabs=tabs
        ).spreadsheet_id

    def spreadsheet(self, spreadsheet_id: str) -> Spreadsheet:
        """Return the stored spreadsheet, to inspect or change it directly.

        Every successful write replaces the stored object with an updated copy, so
        fetch it again after a write instead of keeping the old object.
        """
        return self.store.find(spreadsheet_id)

    def write(
        self,
        spreadsheet_id: str,
        a1_range: str,
        rows: list[list[Any]],
        *,
        value_input: str = "USER_ENTERED",
    ) -> None:
        """Write values as ``values.update`` would, as the spreadsheet's owner."""
        owner = self.store.find(spreadsheet_id).owner
        call = Call(
            self.store,
            owner,
            query={"valueInputOption": [value_input]},
            body={"values": rows},
        )
        with self.store.lock:
            update_values(call, spreadsheet_id, a1_range)

    def read(
        self,
        spreadsheet_id: str,
        a1_range: str,
        *,
        value_render: str = "FORMATTED_VALUE",
        date_time_render: str = "SERIAL_NUMBER",
    ) -> list[list[Any]]:
        """Return values as ``values.get`` would, trailing empties trimmed."""
        with self.store.lock:
            spreadsheet = self.store.find(spreadsheet_id)
            options = ReadOptions("ROWS", value_render, date_time_render)
            result = value_range(spreadsheet, resolve(spreadsheet, a1_range), options)
        rows: list[list[Any]] = result.get("values", [])
        return rows

    def batch_update(
        self, spreadsheet_id: str, requests: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Apply batchUpdate requests as the owner; raise ApiError if one is invalid."""
        owner = self.store.find(spreadsheet_id).owner
        call = Call(self.store, owner, body={"requests": requests})
        with self.store.lock:
            return batch_update(call, spreadsheet_id)

    @contextmanager
    def responses(self) -> Iterator[responses.RequestsMock]:
        """Serve the fake to ``requests`` in this process through ``responses``."""
        with serve_with_responses(self.handler) as mock:
            yield mock

    def serve(self) -> FakeSheetsServer:
        """Return a loopback server for the fake; use it as a context manager."""
        return FakeSheetsServer(self.handler)
