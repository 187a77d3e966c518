"""A stateful fake of the Google Sheets API v4 and the Drive v3 calls gspread makes.

Use :class:`FakeSheets` to create spreadsheets, then serve them to gspread either
in-process through ``responses`` (:meth:`FakeSheets.responses`) or over HTTP on
127.0.0.1 (:meth:`FakeSheets.serve`). ``faults`` injects errors, lost replies,
quota limits and concurrent edits.
"""

from tests.fake_sheets.errors import ApiError
from tests.fake_sheets.fake import FakeSheets
from tests.fake_sheets.faults import Faults
from tests.fake_sheets.handler import FakeSheetsHandler
from tests.fake_sheets.server import FakeSheetsServer, local_gspread_client
from tests.fake_sheets.store import Store

__all__ = [
    "ApiError",
    "FakeSheets",
    "FakeSheetsHandler",
    "FakeSheetsServer",
    "Faults",
    "Store",
    "local_gspread_client",
]
