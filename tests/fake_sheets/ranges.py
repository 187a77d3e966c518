"""Ranges on a spreadsheet: resolving A1 strings and GridRange JSON to cell areas.

Also moves stored GridRanges when rows or columns are inserted or deleted, so
merges, protections, named ranges and metadata stay on the same cells.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.fake_sheets.a1 import Bounds, format_range, parse_cells, split_range
from tests.fake_sheets.errors import ApiError, invalid_argument
from tests.fake_sheets.store import Sheet, Spreadsheet

GRID_RANGE_KEYS = frozenset(
    {"sheetId", "startRowIndex", "endRowIndex", "startColumnIndex", "endColumnIndex"}
)


class RangeProblem(ValueError):
    """A range in a batchUpdate request is unusable; the message explains why."""


@dataclass(frozen=True)
class Area:
    """A closed rectangle of cells on one tab, 0-based and half-open."""

    sheet: Sheet
    start_row: int
    end_row: int
    start_column: int
    end_column: int

    @property
    def rows(self) -> int:
        """Number of rows covered."""
        return self.end_row - self.start_row

    @property
    def columns(self) -> int:
        """Number of columns covered."""
        return self.end_column - self.start_column

    def a1(self) -> str:
        """Return the area as the API writes it: ``Sheet1!A1:D4``."""
        return format_range(
            self.sheet.title,
            self.start_row,
            self.end_row,
            self.start_column,
            self.end_column,
        )

    def positions(self) -> Iterator[tuple[int, int]]:
        """Yield every (row, column) in row-major order."""
        for row in range(self.start_row, self.end_row):
            for column in range(self.start_column, self.end_column):
                yield row, column

    def grid_range(self) -> dict[str, Any]:
        """Return the area as stored GridRange JSON (always with ``sheetId``)."""
        return {
            "sheetId": self.sheet.sheet_id,
            "startRowIndex": self.start_row,
            "endRowIndex": self.end_row,
            "startColumnIndex": self.start_column,
            "endColumnIndex": self.end_column,
        }


def unparsable(text: str) -> ApiError:
    """Return the API's 400 error for a range it cannot parse."""
    return invalid_argument(f"Unable to parse range: {text}")


def exceeds_grid(sheet: Sheet, bounds: Bounds) -> ApiError:
    """Return the 400 for a range reaching past the last row or column."""
    start_row = bounds.start_row or 0
    start_column = bounds.start_column or 0
    end_row = bounds.end_row if bounds.end_row is not None else sheet.row_count
    end_column = (
        bounds.end_column if bounds.end_column is not None else sheet.column_count
    )
    rendered = format_range(
        sheet.title,
        start_row,
        max(end_row, start_row + 1),
        start_column,
        max(end_column, start_column + 1),
    )
    return invalid_argument(
        f"Range ({rendered}) exceeds grid limits. Max rows: {sheet.row_count}, "
        f"max columns: {sheet.column_count}"
    )


def resolve(spreadsheet: Spreadsheet, text: str) -> Area:
    """Return the area an A1 range names, open sides clamped to the grid.

    Raise the API's 400 if the text cannot be parsed or reaches past the grid.
    NOTE: a bounded range that only partly overlaps the grid is rejected; the
    recordings do not show whether the API clamps it instead.
    """
    sheet, bounds = _locate(spreadsheet, text)
    return close_bounds(sheet, bounds)


def close_bounds(sheet: Sheet, bounds: Bounds) -> Area:
    """Clamp open sides of bounds to the grid; raise the API's 400 if they exceed it."""
    start_row = bounds.start_row or 0
    start_column = bounds.start_column or 0
    end_row = sheet.row_count if bounds.end_row is None else bounds.end_row
    end_column = sheet.column_count if bounds.end_column is None else bounds.end_column
    if (
        start_row >= sheet.row_count
        or start_column >= sheet.column_count
        or end_row > sheet.row_count
        or end_column > sheet.column_count
    ):
        raise exceeds_grid(sheet, bounds)
    return Area(sheet, start_row, end_row, start_column, end_column)


def _locate(spreadsheet: Spreadsheet, text: str) -> tuple[Sheet, Bounds]:
    try:
        ref = split_range(text)
    except ValueError:
        raise unparsable(text) from None

    if ref.sheet is None:
        assert ref.cells is not None
        return _locate_unqualified(spreadsheet, ref.cells, text)
    sheet = spreadsheet.sheet_by_title(ref.sheet)
    if sheet is None:
        raise unparsable(text)
    if ref.cells is None:
        return sheet, Bounds(None, None, None, None)

    bounds = parse_cells(ref.cells)
    if bounds is not None:
        return sheet, bounds
    named = named_range_bounds(spreadsheet, ref.cells)
    if named is None:
        raise unparsable(text)
    return named


def _locate_unqualified(
    spreadsheet: Spreadsheet, cells: str, text: str
) -> tuple[Sheet, Bounds]:
    bounds = parse_cells(cells)
    if bounds is not None:
        return spreadsheet.first_visible_sheet(), bounds
    named = named_range_bounds(spreadsheet, cells)
    if named is not None:
        return named
    sheet = spreadsheet.sheet_by_title(cells)
    if sheet is None:
        raise unparsable(text)
    return sheet, Bounds(None, None, None, None)


def named_range_bounds(
    spreadsheet: Spreadsheet, name: str
) -> tuple[Sheet, Bounds] | None:
    """Return the tab and bounds of a named range, or ``None`` if there is none."""
    for named in spreadsheet.named_ranges:
        if named["name"].casefold() != name.casefold():
            continue
        grid_range = named["range"]
        sheet = spreadsheet.sheet_by_id(int(grid_range.get("sheetId", 0)))
        if sheet is not None:
            return sheet, bounds_of(grid_range)
    return None


def bounds_of(grid_range: dict[str, Any]) -> Bounds:
    """Return the bounds of GridRange JSON; missing indexes are open sides."""
    return Bounds(
        grid_range.get("startRowIndex"),
        grid_range.get("endRowIndex"),
        grid_range.get("startColumnIndex"),
        grid_range.get("endColumnIndex"),
    )


def area_of(spreadsheet: Spreadsheet, grid_range: dict[str, Any]) -> Area:
    """Return the area of GridRange JSON from a batchUpdate request.

    Raise :class:`RangeProblem` for an unknown ``sheetId`` or a range past the grid.
    """
    sheet_id = int(grid_range.get("sheetId", 0))
    sheet = spreadsheet.sheet_by_id(sheet_id)
    if sheet is None:
        raise RangeProblem(f"No grid with id: {sheet_id}")
    try:
        return close_bounds(sheet, bounds_of(grid_range))
    except ApiError as error:
        raise RangeProblem(error.message) from None


def stored_grid_range(grid_range: dict[str, Any]) -> dict[str, Any]:
    """Return request GridRange JSON as stored: known keys only, ``sheetId`` kept."""
    stored = {key: grid_range[key] for key in GRID_RANGE_KEYS if key in grid_range}
    stored.setdefault("sheetId", 0)
    return stored


def render_grid_range(grid_range: dict[str, Any]) -> dict[str, Any]:
    """Return stored GridRange JSON as the API prints it: ``sheetId`` 0 omitted."""
    rendered: dict[str, Any] = {
        key: grid_range[key]
        for key in (
            "sheetId",
            "startRowIndex",
            "endRowIndex",
            "startColumnIndex",
            "endColumnIndex",
        )
        if key in grid_range
    }
    if rendered.get("sheetId") == 0:
        del rendered["sheetId"]
    return rendered


def render_grid_ranges_within(value: Any) -> Any:
    """Return a JSON value with every GridRange inside it rendered for output."""
    if isinstance(value, list):
        return [render_grid_ranges_within(item) for item in value]
    if not isinstance(value, dict):
        return value
    if value and set(value) <= GRID_RANGE_KEYS and "sheetId" in value:
        return render_grid_range(value)
    return {key: render_grid_ranges_within(item) for key, item in value.items()}


def shift_index_for_insert(index: int, start: int, count: int) -> int:
    """Move a boundary index past ``count`` rows or columns inserted at ``start``."""
    return index + count if index > start else index


def shift_start_for_insert(index: int, start: int, count: int) -> int:
    """Move a start index: a range starting at the insert point moves down too."""
    return index + count if index >= start else index


def shift_index_for_delete(index: int, start: int, end: int) -> int:
    """Move an index after rows or columns ``start``–``end`` are deleted."""
    if index <= start:
        return index
    if index <= end:
        return start
    return index - (end - start)


_AXIS_KEYS = {
    "ROWS": ("startRowIndex", "endRowIndex"),
    "COLUMNS": ("startColumnIndex", "endColumnIndex"),
}


def shift_grid_ranges(
    value: Any, sheet_id: int, dimension: str, start: int, count: int
) -> Any:
    """Return a JSON value with its GridRanges on a tab moved for an insert (count > 0)
    or a delete (count < 0, of ``-count`` indexes from ``start``).

    A range that loses all its rows or columns becomes ``None`` in lists, which
    callers drop.
    """
    if isinstance(value, list):
        shifted = [
            shift_grid_ranges(item, sheet_id, dimension, start, count) for item in value
        ]
        return [item for item in shifted if item is not None]
    if not isinstance(value, dict):
        return value
    if value and set(value) <= GRID_RANGE_KEYS and value.get("sheetId", 0) == sheet_id:
        return _shift_one(value, dimension, start, count)
    shifted_dict = {}
    for key, item in value.items():
        shifted_item = shift_grid_ranges(item, sheet_id, dimension, start, count)
        if shifted_item is None:
            return None
        shifted_dict[key] = shifted_item
    return shifted_dict


def _shift_one(
    grid_range: dict[str, Any], dimension: str, start: int, count: int
) -> dict[str, Any] | None:
    start_key, end_key = _AXIS_KEYS[dimension]
    shifted = dict(grid_range)
    if count > 0:
        if start_key in shifted:
            shifted[start_key] = shift_start_for_insert(
                shifted[start_key], start, count
            )
        if end_key in shifted:
            shifted[end_key] = shift_index_for_insert(shifted[end_key], start, count)
        return shifted

    end = start - count
    if start_key in shifted:
        shifted[start_key] = shift_index_for_delete(shifted[start_key], start, end)
    if end_key in shifted:
        shifted[end_key] = shift_index_for_delete(shifted[end_key], start, end)
    if (
        start_key in shifted
        and end_key in shifted
        and shifted[start_key] >= shifted[end_key]
    ):
        return None
    return shifted
