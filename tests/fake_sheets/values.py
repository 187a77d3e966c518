"""The ``spreadsheets.values`` endpoints get, batchGet, update, batchUpdate, clear
and batchClear (append is in :mod:`append`).

Reads trim trailing empty rows and cells and leave out ``values`` when nothing is
left. Returned ranges are the requested ones, normalised (``'Sheet1'!D4:A1`` →
``Sheet1!A1:D4``, ``'Sheet1'!A1:C`` → ``Sheet1!A1:C1000``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from tests.fake_sheets.a1 import Bounds, column_letters
from tests.fake_sheets.call import Call, check_choice
from tests.fake_sheets.cells import (
    InvalidCellInput,
    Parsed,
    parse_raw,
    parse_user_entered,
)
from tests.fake_sheets.errors import invalid_argument, invalid_field_value
from tests.fake_sheets.evaluation import Evaluator
from tests.fake_sheets.protection import check_can_edit
from tests.fake_sheets.ranges import Area, exceeds_grid, resolve
from tests.fake_sheets.store import Sheet, Spreadsheet

DIMENSIONS = ("ROWS", "COLUMNS")
VALUE_RENDERS = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
DATE_TIME_RENDERS = ("SERIAL_NUMBER", "FORMATTED_STRING")
INPUT_OPTIONS = ("RAW", "USER_ENTERED")
MAX_CELL_CHARACTERS = 50_000


@dataclass(frozen=True)
class ReadOptions:
    """How a read renders values: majorDimension and the two render options."""

    major_dimension: str = "ROWS"
    value_render: str = "FORMATTED_VALUE"
    date_time_render: str = "SERIAL_NUMBER"


@dataclass
class WriteResult:
    """What one written range reports: its A1 range and the non-null cells written."""

    area: Area
    cells: set[tuple[int, int]] = field(default_factory=set)

    def response(self, spreadsheet_id: str) -> dict[str, Any]:
        """Return the UpdateValuesResponse; zero counts are left out (proto3 JSON)."""
        response: dict[str, Any] = {
            "spreadsheetId": spreadsheet_id,
            "updatedRange": self.area.a1(),
        }
        counts = {
            "updatedRows": len({row for row, _ in self.cells}),
            "updatedColumns": len({column for _, column in self.cells}),
            "updatedCells": len(self.cells),
        }
        response.update({name: count for name, count in counts.items() if count})
        return response


def read_options(call: Call, prefix: str = "") -> ReadOptions:
    """Return the render options of a read (``prefix`` is ``response`` for writes)."""

    def name(base: str) -> str:
        return prefix + base[0].upper() + base[1:] if prefix else base

    return ReadOptions(
        call.choice("majorDimension", DIMENSIONS, "ROWS") if not prefix else "ROWS",
        call.choice(name("valueRenderOption"), VALUE_RENDERS, "FORMATTED_VALUE"),
        call.choice(name("dateTimeRenderOption"), DATE_TIME_RENDERS, "SERIAL_NUMBER"),
    )


def value_range(
    spreadsheet: Spreadsheet, area: Area, options: ReadOptions
) -> dict[str, Any]:
    """Return a ValueRange of an area: trailing empties trimmed, no ``values`` if empty.

    ``A1:D4`` holding ``A1 B1 _ D1 / _ b2 _ _ / _ _ _ _ / A4`` reads back as
    ``[["A1","B1","","D1"], ["","b2"], [], ["A4"]]``.
    """
    evaluator = Evaluator(spreadsheet)
    rows_first = options.major_dimension == "ROWS"
    lines = _occupied_lines(area, rows_first)
    matrix: list[list[Any]] = []
    outer_start = area.start_row if rows_first else area.start_column
    inner_start = area.start_column if rows_first else area.start_row

    for outer in range(outer_start, outer_start + (max(lines) + 1 if lines else 0)):
        last = lines.get(outer - outer_start, -1)
        line = []
        for inner in range(inner_start, inner_start + last + 1):
            row, column = (outer, inner) if rows_first else (inner, outer)
            line.append(
                evaluator.render(
                    area.sheet,
                    row,
                    column,
                    options.value_render,
                    options.date_time_render,
                )
            )
        while line and line[-1] == "":
            line.pop()
        matrix.append(line)

    while matrix and not matrix[-1]:
        matrix.pop()
    result: dict[str, Any] = {
        "range": area.a1(),
        "majorDimension": options.major_dimension,
    }
    if matrix:
        result["values"] = matrix
    return result


def _occupied_lines(area: Area, rows_first: bool) -> dict[int, int]:
    """Map each line (row, or column) offset holding values to its last used offset."""
    lines: dict[int, int] = {}
    for (row, column), cell in area.sheet.cells.items():
        if cell.value is None:
            continue
        if not (area.start_row <= row < area.end_row):
            continue
        if not (area.start_column <= column < area.end_column):
            continue
        outer = row - area.start_row if rows_first else column - area.start_column
        inner = column - area.start_column if rows_first else row - area.start_row
        lines[outer] = max(lines.get(outer, -1), inner)
    return lines


def get_values(call: Call, spreadsheet_id: str, range_text: str) -> dict[str, Any]:
    """Serve ``GET values/{range}``."""
    spreadsheet = call.store.open(spreadsheet_id, call.user, write=False)
    options = read_options(call)
    return value_range(spreadsheet, resolve(spreadsheet, range_text), options)


def batch_get_values(call: Call, spreadsheet_id: str) -> dict[str, Any]:
    """Serve ``GET values:batchGet?ranges=...&ranges=...``."""
    spreadsheet = call.store.open(spreadsheet_id, call.user, write=False)
    options = read_options(call)
    areas = [resolve(spreadsheet, text) for text in call.query.get("ranges", [])]
    response: dict[str, Any] = {"spreadsheetId": spreadsheet_id}
    if areas:
        response["valueRanges"] = [
            value_range(spreadsheet, area, options) for area in areas
        ]
    return response


def input_option(value: Any, field_name: str) -> str:
    """Return the valueInputOption, which every write requires."""
    if value is None:
        raise invalid_argument(f"'{field_name}' is required but not specified")
    return check_choice(field_name, value, INPUT_OPTIONS, "RAW")


def checked_matrix(values: Any, field_name: str) -> list[list[Any]]:
    """Return ``values`` if it is a list of lists, else raise the API's 400."""
    if values is None:
        return []
    if not isinstance(values, list):
        raise invalid_field_value(field_name, "google.protobuf.ListValue", values)
    for index, row in enumerate(values):
        if not isinstance(row, list):
            raise invalid_field_value(
                f"{field_name}[{index}]", "google.protobuf.ListValue", row
            )
    return values


def rows_of(values: list[list[Any]], major_dimension: str) -> list[list[Any]]:
    """Return a request matrix as rows; COLUMNS input is transposed (ragged allowed)."""
    if major_dimension == "ROWS":
        return values
    height = max((len(column) for column in values), default=0)
    return [
        [column[row] if row < len(column) else None for column in values]
        for row in range(height)
    ]


def write_area(
    target: Area, rows: list[list[Any]], *, single_cell_expands: bool
) -> Area:
    """Return the area a matrix written into ``target`` covers.

    A single-cell target grows from its corner; a larger target must contain the
    matrix (``Requested writing within range [...]`` otherwise).
    """
    height = len(rows)
    width = max((len(row) for row in rows), default=0)
    if target.rows == 1 and target.columns == 1 and single_cell_expands:
        return Area(
            target.sheet,
            target.start_row,
            target.start_row + height,
            target.start_column,
            target.start_column + width,
        )

    if height > target.rows:
        raise invalid_argument(
            f"Requested writing within range [{target.a1()}], but tried writing to "
            f"row [{target.start_row + height}]"
        )
    if width > target.columns:
        raise invalid_argument(
            f"Requested writing within range [{target.a1()}], but tried writing to "
            f"column [{column_letters(target.start_column + width - 1)}]"
        )
    return Area(
        target.sheet,
        target.start_row,
        target.start_row + height,
        target.start_column,
        target.start_column + width,
    )


def check_inside_grid(area: Area) -> None:
    """Raise the API's 400 when a written area reaches past the grid."""
    sheet = area.sheet
    if area.end_row > sheet.row_count or area.end_column > sheet.column_count:
        bounds = Bounds(
            area.start_row, area.end_row, area.start_column, area.end_column
        )
        raise exceeds_grid(sheet, bounds)


def write_rows(
    spreadsheet: Spreadsheet,
    area: Area,
    rows: list[list[Any]],
    option: str,
    user: str,
) -> WriteResult:
    """Write a matrix at an area's corner: ``None`` skips a cell, ``""`` clears it."""
    check_can_edit(spreadsheet, area, user)
    parse = parse_user_entered if option == "USER_ENTERED" else parse_raw
    result = WriteResult(area)
    for row_offset, row in enumerate(rows):
        for column_offset, raw in enumerate(row):
            if raw is None:
                continue
            position = (area.start_row + row_offset, area.start_column + column_offset)
            _write_cell(area.sheet, position, raw, parse)
            result.cells.add(position)
    return result


def _write_cell(
    sheet: Sheet,
    position: tuple[int, int],
    raw: Any,
    parse: Callable[[Any], Parsed],
) -> None:
    if isinstance(raw, str) and len(raw) > MAX_CELL_CHARACTERS:
        raise invalid_argument(
            f"Your input contains more than the maximum of {MAX_CELL_CHARACTERS} "
            "characters in a single cell."
        )
    try:
        value, number_format = parse(raw)
    except InvalidCellInput:
        raise invalid_field_value("data.values", "google.protobuf.Value", raw) from None

    cell = sheet.cell(*position)
    cell_format = cell.format
    if number_format is not None:
        cell_format = {**cell.format, "numberFormat": number_format}
    sheet.put(*position, replace(cell, value=value, format=cell_format))


def update_values(call: Call, spreadsheet_id: str, range_text: str) -> dict[str, Any]:
    """Serve ``PUT values/{range}?valueInputOption=...``."""
    body = call.json_body()
    rows = checked_matrix(body.get("values"), "data.values")
    option = input_option(call.param("valueInputOption"), "valueInputOption")
    major = check_choice(
        "data.major_dimension", body.get("majorDimension"), DIMENSIONS, "ROWS"
    )

    with call.store.change(spreadsheet_id, call.user) as spreadsheet:
        result = _update_one(
            spreadsheet, range_text, rows_of(rows, major), option, call.user
        )
        response = result.response(spreadsheet_id)
        if call.flag("includeValuesInResponse"):
            options = replace(read_options(call, "response"), major_dimension=major)
            response["updatedData"] = value_range(spreadsheet, result.area, options)
    return response


def _update_one(
    spreadsheet: Spreadsheet,
    range_text: str,
    rows: list[list[Any]],
    option: str,
    user: str,
) -> WriteResult:
    target = resolve(spreadsheet, range_text)
    if not rows:
        return WriteResult(target)
    area = write_area(target, rows, single_cell_expands=True)
    check_inside_grid(area)
    return write_rows(spreadsheet, area, rows, option, user)


def batch_update_values(call: Call, spreadsheet_id: str) -> dict[str, Any]:
    """Serve ``POST values:batchUpdate``; all ranges are written or none."""
    body = call.json_body()
    option = input_option(body.get("valueInputOption"), "valueInputOption")
    data = body.get("data") or []

    results: list[WriteResult] = []
    with call.store.change(spreadsheet_id, call.user) as spreadsheet:
        for index, entry in enumerate(data):
            rows = checked_matrix(entry.get("values"), f"data[{index}].values")
            major = check_choice(
                f"data[{index}].major_dimension",
                entry.get("majorDimension"),
                DIMENSIONS,
                "ROWS",
            )
            range_text = entry.get("range")
            if not range_text:
                raise invalid_argument(
                    f"data[{index}].range is required but not specified"
                )
            results.append(
                _update_one(
                    spreadsheet, range_text, rows_of(rows, major), option, call.user
                )
            )
        responses = [result.response(spreadsheet_id) for result in results]
        if body.get("includeValuesInResponse"):
            _add_updated_data(spreadsheet, body, results, responses)
    return _batch_totals(spreadsheet_id, results, responses)


def _add_updated_data(
    spreadsheet: Spreadsheet,
    body: dict[str, Any],
    results: list[WriteResult],
    responses: list[dict[str, Any]],
) -> None:
    options = ReadOptions(
        "ROWS",
        check_choice(
            "responseValueRenderOption",
            body.get("responseValueRenderOption"),
            VALUE_RENDERS,
            "FORMATTED_VALUE",
        ),
        check_choice(
            "responseDateTimeRenderOption",
            body.get("responseDateTimeRenderOption"),
            DATE_TIME_RENDERS,
            "SERIAL_NUMBER",
        ),
    )
    for result, response in zip(results, responses, strict=True):
        response["updatedData"] = value_range(spreadsheet, result.area, options)


def _batch_totals(
    spreadsheet_id: str, results: list[WriteResult], responses: list[dict[str, Any]]
) -> dict[str, Any]:
    # NOTE: rows and columns are counted once per tab even when several ranges
    # touch them. The one recording (two one-row ranges over A:D gave 2 rows and
    # 4 columns) fits this reading but does not rule out others.
    rows = {(r.area.sheet.sheet_id, row) for r in results for row, _ in r.cells}
    columns = {
        (r.area.sheet.sheet_id, column) for r in results for _, column in r.cells
    }
    sheets = {r.area.sheet.sheet_id for r in results if r.cells}
    totals = {
        "totalUpdatedRows": len(rows),
        "totalUpdatedColumns": len(columns),
        "totalUpdatedCells": sum(len(r.cells) for r in results),
        "totalUpdatedSheets": len(sheets),
    }
    response: dict[str, Any] = {"spreadsheetId": spreadsheet_id}
    response.update({name: count for name, count in totals.items() if count})
    if responses:
        response["responses"] = responses
    return response


def clear_values(call: Call, spreadsheet_id: str, range_text: str) -> dict[str, Any]:
    """Serve ``POST values/{range}:clear``: values go, formats and notes stay."""
    with call.store.change(spreadsheet_id, call.user) as spreadsheet:
        area = resolve(spreadsheet, range_text)
        clear_area(spreadsheet, area, call.user)
    return {"spreadsheetId": spreadsheet_id, "clearedRange": area.a1()}


def batch_clear_values(call: Call, spreadsheet_id: str) -> dict[str, Any]:
    """Serve ``POST values:batchClear`` with ``{"ranges": [...]}``."""
    ranges = call.json_body().get("ranges") or []
    with call.store.change(spreadsheet_id, call.user) as spreadsheet:
        areas = [resolve(spreadsheet, text) for text in ranges]
        for area in areas:
            clear_area(spreadsheet, area, call.user)
    response: dict[str, Any] = {"spreadsheetId": spreadsheet_id}
    if areas:
        response["clearedRanges"] = [area.a1() for area in areas]
    return response


def clear_area(spreadsheet: Spreadsheet, area: Area, user: str) -> None:
    """Remove the values of every cell in an area."""
    check_can_edit(spreadsheet, area, user)
    sheet = area.sheet
    for position, cell in list(sheet.cells.items()):
        row, column = position
        if (
            area.start_row <= row < area.end_row
            and area.start_column <= column < area.end_column
        ):
            sheet.put(row, column, cell.without_value())
