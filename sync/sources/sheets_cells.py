"""Cell values between pipesheet and the Sheets API, in both directions.

Reading: values come from ``values.batchGet`` with ``UNFORMATTED_VALUE`` and
``SERIAL_NUMBER``, so text stays text (``"0042"``, ``"=x"``), numbers are JSON
numbers, and dates are serial numbers. In the pipeline tab, a second read with
``FORMATTED_STRING`` shows which numbers are formatted as dates or times, and
:func:`type_date_cells` turns them into the values the Excel source gives.

Writing: every value becomes a typed ``CellData``: text a ``stringValue``
(never parsed, so ``"=x"`` stays text), numbers a ``numberValue``, and dates
a serial ``numberValue`` with a date number format. Serials count days from
1899-12-30, with the time of day as the fraction.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from config.errors import SourceError
from rules.grid import CellValue, column_letter
from sync.cell_text import fit_cell_text

logger = logging.getLogger(__name__)

SERIAL_EPOCH = dt.datetime(1899, 12, 30)
SECONDS_PER_DAY = 86_400

MAX_CELL_CHARACTERS = 50_000
"""Google's limit on the text of one cell."""

NUMBER_FORMATS = {
    "date": {"type": "DATE", "pattern": "yyyy-mm-dd"},
    "datetime": {"type": "DATE_TIME", "pattern": "yyyy-mm-dd hh:mm:ss"},
    "time": {"type": "TIME", "pattern": "hh:mm:ss"},
}

_CELL = re.compile(r"^([A-Z]{1,3})([0-9]+)$")
# Duration text as Google formats [h]:mm:ss and similar patterns, hours past 23 too.
_DURATION_TEXT = re.compile(r"-?[0-9]+:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?")


def cell_from_api(value: Any) -> CellValue:
    """Return a value of ``values.batchGet`` as a cell value; ``""`` is empty.

    Whole numbers become ints, as the Excel source gives them.
    """
    if value == "" or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def rows_from_api(value_range: dict[str, Any]) -> list[list[CellValue]]:
    """Return the rows of one ValueRange; a range without values has none."""
    return [
        [cell_from_api(value) for value in row] for row in value_range.get("values", [])
    ]


def type_date_cells(
    serial_rows: list[list[CellValue]], formatted_rows: list[list[CellValue]]
) -> list[list[CellValue]]:
    """Turn the numbers a cell shows as a date, time or duration into such values.

    ``formatted_rows`` is the same range read with ``FORMATTED_STRING``: a
    number there that is text is formatted as a date or time. The values match
    what python-calamine gives for an .xlsx cell::

        46366 / "12/10/2026"          → date(2026, 12, 10)
        46366.5 / "12/10/2026 12:00"  → datetime(2026, 12, 10, 12, 0)
        0.5208333 / "12:30"           → time(12, 30)
        1.5 / "36:00:00"              → "36:00:00" (a duration, as text)

    A row that differs between the reads in anything but such cells was edited
    between them, so its numbers stay numbers, and the next run types them.
    """
    typed = [list(row) for row in serial_rows]
    # Equal dates share one value, as in the Excel source, so later passes
    # compare them cheaply.
    values: dict[tuple[float, str], CellValue] = {}
    pairs = zip(typed, formatted_rows, strict=False)
    for number, (row, formatted_row) in enumerate(pairs, start=1):
        found = _date_cells_of_row(row, formatted_row)
        if found is None:
            logger.debug("Row %d changed between reads; its dates stay numbers", number)
            continue
        for column, serial, formatted in found:
            value = values.get((serial, formatted))
            if value is None:
                value = values[serial, formatted] = date_cell(serial, formatted)
            row[column] = value
    return typed


@dataclass
class DateCells:
    """The numbers the first read typed as dates or times, for a later re-read.

    ``by_value`` maps each 0-based column to the typed value of each number
    that column showed only one way. A number that the column also showed
    another way, such as a plain number pasted beside a date of the same day,
    is in ``by_position`` instead: the number and its typed value by 0-based
    (row, column) of the first read.
    """

    by_value: dict[int, dict[float, CellValue]] = field(default_factory=dict)
    by_position: dict[tuple[int, int], tuple[float, CellValue]] = field(
        default_factory=dict
    )


def date_cells_by_column(
    serial_rows: list[list[CellValue]], typed_rows: list[list[CellValue]]
) -> DateCells:
    """Return the numbers :func:`type_date_cells` typed, and their values.

    Before: column B contains 46366 shown as a date on row 1 and 46367 shown as
    a date on row 2. After: ``by_value`` is ``{1: {46366.0: date(2026, 12, 10),
    46367.0: date(2026, 12, 11)}}``. With a plain 46366 on row 3 too, 46366 is
    kept by position instead: ``by_position`` is ``{(0, 1): (46366.0,
    date(2026, 12, 10))}``.
    """
    plain: dict[int, set[float]] = {}
    found = DateCells()
    for row_index, (serial_row, typed_row) in enumerate(
        zip(serial_rows, typed_rows, strict=True)
    ):
        for column, (serial, typed) in enumerate(
            zip(serial_row, typed_row, strict=True)
        ):
            if not _is_number(serial):
                continue
            assert isinstance(serial, int | float)
            if typed is serial:
                plain.setdefault(column, set()).add(float(serial))
            else:
                found.by_position[row_index, column] = (float(serial), typed)

    # A number typed one way everywhere in its column is found by value, which
    # also finds it on a row that moved since the first read.
    typed_ways: dict[tuple[int, float], set[object]] = {}
    for (_, column), (serial, typed) in found.by_position.items():
        typed_ways.setdefault((column, serial), set()).add(_hashable(typed))
    for (row_index, column), (serial, typed) in list(found.by_position.items()):
        ways = typed_ways[column, serial]
        if len(ways) == 1 and serial not in plain.get(column, set()):
            found.by_value.setdefault(column, {})[serial] = typed
            del found.by_position[row_index, column]
    return found


def _hashable(value: CellValue) -> object:
    return (type(value).__name__, value)


def retype_date_cells(rows: list[list[CellValue]], found: DateCells) -> None:
    """Give the numbers of a later read the values the first read typed them as.

    A re-read gets serial numbers only. A number that the first read typed the
    same way everywhere in its column gets that value on any row. A number the
    column also showed otherwise is typed only at the cell where the first read
    typed it, so a plain number equal to a date elsewhere stays a number.
    ``rows`` start at row 1, as the first read's rows do.
    """
    # NOTE: a row that moved between the reads and contains such a number found
    # by position compares as changed, so its status waits for the next run.
    if not found.by_value and not found.by_position:
        return
    for column, typed_values in found.by_value.items():
        for row in rows:
            if column < len(row) and _is_number(row[column]):
                value = row[column]
                assert isinstance(value, int | float)
                row[column] = typed_values.get(float(value), value)

    for (row_index, column), (serial, typed) in found.by_position.items():
        row = rows[row_index] if row_index < len(rows) else []
        value = row[column] if column < len(row) else None
        if _is_number(value) and value == serial:
            row[column] = typed


def date_cell(serial: float, formatted: str) -> CellValue:
    """Return the value of a number that a date or time format shows as ``formatted``.

    A whole number is a date, a fraction below 1 a time of day, and any other
    number a date and time, as python-calamine reads .xlsx date cells. A
    duration becomes text, as the Excel source shows it. Negative numbers and
    dates past year 9999 stay numbers, which the column's type rejects.
    """
    # NOTE: a duration below one day shows like a time of day (12:30:00), so
    # it reads as a time. The Excel source gives text for it.
    if _DURATION_TEXT.fullmatch(formatted.strip()) and not 0 <= serial < 1:
        return duration_text(serial)
    if serial < 0:
        return serial
    kind = "datetime"
    if float(serial).is_integer():
        kind = "date"
    elif serial < 1:
        kind = "time"
    try:
        return value_from_serial(serial, kind)
    except OverflowError:
        return serial


def duration_text(serial: float) -> str:
    """Return a duration in days as ``[h]:mm:ss`` shows it: 1.5 → ``36:00:00``."""
    seconds = round(serial * SECONDS_PER_DAY)
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _date_cells_of_row(
    row: list[CellValue], formatted_row: list[CellValue]
) -> list[tuple[int, float, str]] | None:
    """Return (column, number, formatted text) of each number a row shows as text.

    Return None when the two reads of the row differ in any other cell.
    """
    if len(row) != len(formatted_row):
        return None
    found: list[tuple[int, float, str]] = []
    for column, (value, formatted) in enumerate(zip(row, formatted_row, strict=True)):
        if value == formatted:
            continue
        if not isinstance(formatted, str) or not _is_number(value):
            return None
        assert isinstance(value, int | float)
        found.append((column, value, formatted))
    return found


def _is_number(value: CellValue) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def value_kind(value: CellValue) -> str | None:
    """Return ``date``, ``datetime`` or ``time`` for a date-like value, else None."""
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dt.time):
        return "time"
    return None


def serial_from_value(value: dt.date | dt.datetime | dt.time) -> float | int:
    """Return the serial number of a date, date and time, or time of day.

    ``date(2020, 1, 1)`` → ``43831``; ``time(12, 0)`` → ``0.5``.
    """
    if isinstance(value, dt.datetime):
        delta = value - SERIAL_EPOCH
        return (
            delta.days
            + delta.seconds / SECONDS_PER_DAY
            + (delta.microseconds / SECONDS_PER_DAY / 1_000_000)
        )
    if isinstance(value, dt.date):
        return (value - SERIAL_EPOCH.date()).days
    seconds = value.hour * 3600 + value.minute * 60 + value.second
    return (seconds + value.microsecond / 1_000_000) / SECONDS_PER_DAY


def value_from_serial(serial: float, kind: str) -> CellValue:
    """Return the date, datetime or time a serial number written by pipesheet holds.

    The time of day is rounded to the microsecond.
    """
    moment = SERIAL_EPOCH + dt.timedelta(
        microseconds=round(serial * SECONDS_PER_DAY * 1e6)
    )
    if kind == "date":
        return moment.date()
    if kind == "time":
        return moment.time()
    return moment


def cell_data(
    value: CellValue, *, tab: str, position: str, bold: bool = False
) -> dict[str, Any]:
    """Return the CellData that writes ``value`` with its type kept.

    Blank text, NaN and infinities give an empty cell, as they have no cell
    form. Text longer than Google's cell limit is cut to the limit, ending in
    a count of the characters left out.

    :raises SourceError: a date and time with a time zone, which a cell
        cannot store.
    """
    data: dict[str, Any] = {}
    entered = _entered_value(value, tab, position)
    if entered is not None:
        data["userEnteredValue"] = entered

    cell_format: dict[str, Any] = {}
    kind = value_kind(value)
    if kind is not None:
        cell_format["numberFormat"] = dict(NUMBER_FORMATS[kind])
    if bold:
        cell_format["textFormat"] = {"bold": True}
    if cell_format:
        data["userEnteredFormat"] = cell_format
    return data


def _entered_value(value: CellValue, tab: str, position: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        if not value.strip():
            return None
        return {"stringValue": fit_cell_text(value, MAX_CELL_CHARACTERS)}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int | float):
        return {"numberValue": value} if math.isfinite(value) else None

    if isinstance(value, dt.datetime | dt.time) and value.tzinfo is not None:
        raise SourceError(
            f"Generated tab {tab!r} cell {position} contains a date and time with "
            f"a time zone ({value!r}), which a cell cannot store. Convert it to "
            "the business time zone and drop the tzinfo before writing."
        )
    return {"numberValue": serial_from_value(value)}


def typed_positions(grid: Sequence[Sequence[CellValue]]) -> dict[str, list[str]]:
    """Return where a grid contains dates, datetimes and times, as A1 ranges by type.

    Each column's run of rows of one type is one range::

        row 4: date, row 5: date, row 7: date (column G) → {"date": ["G4:G5", "G7"]}
    """
    positions: dict[str, list[str]] = {}
    width = max((len(row) for row in grid), default=0)
    for column in range(width):
        kinds = [value_kind(row[column]) if column < len(row) else None for row in grid]
        for kind, first, last in _runs(kinds):
            letter = column_letter(column)
            cells = (
                f"{letter}{first}"
                if first == last
                else f"{letter}{first}:{letter}{last}"
            )
            positions.setdefault(kind, []).append(cells)
    return positions


def _runs(kinds: list[str | None]) -> Iterable[tuple[str, int, int]]:
    """Yield (kind, first row, last row) of each run of equal non-None kinds."""
    start = 0
    while start < len(kinds):
        kind = kinds[start]
        end = start
        while end + 1 < len(kinds) and kinds[end + 1] == kind:
            end += 1
        if kind is not None:
            yield kind, start + 1, end + 1
        start = end + 1


def restore_typed_cells(
    rows: list[list[CellValue]], positions: dict[str, list[str]]
) -> list[list[CellValue]]:
    """Turn the serial numbers at recorded positions back into dates and times.

    Only numbers are converted, so a cell a person overwrote with text stays
    text and makes the tab differ from what pipesheet would write.
    """
    restored = [list(row) for row in rows]
    for kind, ranges in positions.items():
        for cells in ranges:
            for row, column in _cells_of(cells):
                if row < len(restored) and column < len(restored[row]):
                    value = restored[row][column]
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        restored[row][column] = value_from_serial(value, kind)
    return restored


def _cells_of(cells: str) -> Iterable[tuple[int, int]]:
    """Yield the 0-based (row, column) of every cell of ``G4`` or ``G4:G9``."""
    first, _, last = cells.partition(":")
    start = parse_cell(first)
    end = parse_cell(last) if last else start
    if start is None or end is None:
        return
    for row in range(start[0], end[0] + 1):
        for column in range(start[1], end[1] + 1):
            yield row, column


def parse_cell(text: str) -> tuple[int, int] | None:
    """Return the 0-based row and column of a cell reference: ``G4`` → ``(3, 6)``."""
    match = _CELL.match(text)
    if match is None:
        return None
    column = 0
    for letter in match.group(1):
        column = column * 26 + ord(letter) - ord("A") + 1
    return int(match.group(2)) - 1, column - 1
