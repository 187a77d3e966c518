"""Computed cell values: formulas evaluated on demand, then rendered for responses."""

from __future__ import annotations

from typing import Any

from tests.fake_sheets.a1 import Bounds
from tests.fake_sheets.cells import render_value
from tests.fake_sheets.formulas import (
    DateSerial,
    FormulaError,
    RangeReader,
    Value,
    evaluate,
)
from tests.fake_sheets.number_formats import (
    DEFAULT_PATTERNS,
    is_date_format,
    json_number,
)
from tests.fake_sheets.store import Sheet, Spreadsheet

_MAX_RANGE_CELLS = 1_000_000
"""Cells a formula reference may read; larger references evaluate to ``#REF!``."""


class Evaluator:
    """Compute cell values of one spreadsheet, caching results for one request.

    A formula that refers back to itself evaluates to ``#REF!`` instead of looping.
    """

    def __init__(self, spreadsheet: Spreadsheet) -> None:
        self.spreadsheet = spreadsheet
        self._cache: dict[tuple[int, int, int], Value] = {}
        self._in_progress: set[tuple[int, int, int]] = set()

    def value(self, sheet: Sheet, row: int, column: int) -> Value:
        """Return the computed value of a cell (``None`` when it is empty)."""
        cell = sheet.cell(row, column)
        stored = cell.value
        if stored is None:
            return None
        if "formulaValue" not in stored:
            return _typed_value(_stored_value(stored), cell.format.get("numberFormat"))

        key = (sheet.sheet_id, row, column)
        if key in self._cache:
            return self._cache[key]
        if key in self._in_progress:
            return FormulaError("#REF!")
        self._in_progress.add(key)
        try:
            result = evaluate(stored["formulaValue"], self._reader_for(sheet))
        finally:
            self._in_progress.discard(key)
        self._cache[key] = result
        return result

    def _reader_for(self, home: Sheet) -> RangeReader:
        def read_range(title: str | None, bounds: Bounds) -> list[list[Value]]:
            sheet = home if title is None else self.spreadsheet.sheet_by_title(title)
            if sheet is None:
                return [[FormulaError("#REF!")]]
            return self.read(sheet, bounds)

        return read_range

    def read(self, sheet: Sheet, bounds: Bounds) -> list[list[Value]]:
        """Return computed values of a rectangle, open sides clamped to the grid."""
        start_row = bounds.start_row or 0
        start_column = bounds.start_column or 0
        end_row = min(bounds.end_row or sheet.row_count, sheet.row_count)
        end_column = min(bounds.end_column or sheet.column_count, sheet.column_count)
        if (end_row - start_row) * (end_column - start_column) > _MAX_RANGE_CELLS:
            return [[FormulaError("#REF!")]]
        return [
            [
                self.value(sheet, row, column)
                for column in range(start_column, end_column)
            ]
            for row in range(start_row, end_row)
        ]

    def render(
        self,
        sheet: Sheet,
        row: int,
        column: int,
        value_render: str = "FORMATTED_VALUE",
        date_time_render: str = "SERIAL_NUMBER",
    ) -> Any:
        """Return a cell as a values.get response shows it (``""`` when empty)."""
        cell = sheet.cell(row, column)
        if value_render == "FORMULA" and cell.value and "formulaValue" in cell.value:
            return cell.value["formulaValue"]
        if value_render == "FORMULA":
            value_render = "UNFORMATTED_VALUE"

        number_format = cell.format.get("numberFormat")
        computed = self.value(sheet, row, column)
        if number_format is None and isinstance(computed, DateSerial):
            # A date result shows in the format Sheets picks for the formula.
            number_format = {"type": "DATE", "pattern": computed.pattern}
        return render_value(computed, number_format, value_render, date_time_render)

    def formatted(self, sheet: Sheet, row: int, column: int) -> str:
        """Return a cell's FORMATTED_VALUE as text."""
        return str(self.render(sheet, row, column))


def _typed_value(value: Value, number_format: dict[str, Any] | None) -> Value:
    """Return a number shown as a date as a :class:`DateSerial`, else the value."""
    if not isinstance(value, float) or not is_date_format(number_format):
        return value
    assert number_format is not None
    pattern = number_format.get("pattern") or DEFAULT_PATTERNS["DATE"]
    return DateSerial(value, str(pattern))


def _stored_value(stored: dict[str, Any]) -> Value:
    if "stringValue" in stored:
        return str(stored["stringValue"])
    if "boolValue" in stored:
        return bool(stored["boolValue"])
    if "numberValue" in stored:
        return float(stored["numberValue"])
    if "errorValue" in stored:
        return FormulaError("#ERROR!")
    return None


def user_entered_json(stored: dict[str, Any]) -> dict[str, Any]:
    """Return a stored ExtendedValue as the API prints it (whole numbers as ints)."""
    if "numberValue" in stored:
        return {"numberValue": json_number(float(stored["numberValue"]))}
    return dict(stored)
