"""What each batchUpdate request handler works on: the working copy and its caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fake_sheets.ranges import Area, area_of
from tests.fake_sheets.store import Sheet, Spreadsheet, Store


class RequestProblem(ValueError):
    """A batchUpdate request is invalid; the message explains why (no prefix)."""


@dataclass
class BatchContext:
    """The spreadsheet a batch changes (a working copy), the store and the caller."""

    store: Store
    spreadsheet: Spreadsheet
    user: str

    def sheet(self, sheet_id: Any) -> Sheet:
        """Return a tab by id (missing id means 0), or raise RequestProblem."""
        number = int(sheet_id or 0)
        sheet = self.spreadsheet.sheet_by_id(number)
        if sheet is None:
            raise RequestProblem(f"No grid with id: {number}")
        return sheet

    def area(self, grid_range: dict[str, Any] | None) -> Area:
        """Return the cells of a request's GridRange, open sides clamped to the grid."""
        return area_of(self.spreadsheet, grid_range or {})

    def new_id(self) -> int:
        """Return a fresh positive id for a protected range, chart or metadata."""
        return self.store.ids.number()


Handler = Callable[[BatchContext, dict[str, Any]], dict[str, Any] | None]
"""A request handler: takes the request payload, returns its reply or ``None``."""
