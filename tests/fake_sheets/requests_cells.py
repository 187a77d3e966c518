"""batchUpdate requests on cell contents: updateCells, repeatCell, appendCells,
setDataValidation, updateBorders and findReplace."""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from typing import Any

from tests.fake_sheets.a1 import Bounds
from tests.fake_sheets.batch_context import BatchContext, Handler, RequestProblem
from tests.fake_sheets.errors import ApiError
from tests.fake_sheets.fields import Mask, apply_update, mask_paths, without_nulls
from tests.fake_sheets.formats import drop_stale_mirrors, normalize_format
from tests.fake_sheets.protection import check_can_edit
from tests.fake_sheets.ranges import Area, close_bounds
from tests.fake_sheets.requests_sheets import check_cell_limit, request_mask
from tests.fake_sheets.store import Cell, Sheet
from tests.fake_sheets.values import MAX_CELL_CHARACTERS

_VALUE_KINDS = ("stringValue", "numberValue", "boolValue", "formulaValue", "errorValue")
_KNOWN_CELL_FIELDS = ("userEnteredValue", "userEnteredFormat", "note", "dataValidation")
_READ_ONLY_CELL_FIELDS = ("effectiveValue", "formattedValue", "effectiveFormat")


def cell_to_data(cell: Cell) -> dict[str, Any]:
    """Return the writable CellData fields of a stored cell."""
    data: dict[str, Any] = copy.deepcopy(cell.extra)
    if cell.value is not None:
        data["userEnteredValue"] = copy.deepcopy(cell.value)
    if cell.format:
        data["userEnteredFormat"] = copy.deepcopy(cell.format)
    if cell.note:
        data["note"] = cell.note
    if cell.validation is not None:
        data["dataValidation"] = copy.deepcopy(cell.validation)
    return data


def data_to_cell(data: dict[str, Any]) -> Cell:
    """Return the cell CellData describes; raise RequestProblem for a bad value."""
    value = data.get("userEnteredValue")
    if value is not None:
        value = _checked_value(value)
    cell_format = data.get("userEnteredFormat") or {}
    extra = {
        key: item
        for key, item in data.items()
        if key not in _KNOWN_CELL_FIELDS and key not in _READ_ONLY_CELL_FIELDS
    }
    return Cell(
        value=value,
        format=normalize_format(cell_format) if cell_format else {},
        note=str(data.get("note") or ""),
        validation=without_nulls(data.get("dataValidation")),
        extra=extra,
    )


def _checked_value(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        raise RequestProblem(f"userEnteredValue must be an object, got {value!r}.")
    kinds = [kind for kind in _VALUE_KINDS if value.get(kind) is not None]
    if len(kinds) > 1:
        raise RequestProblem(f"userEnteredValue sets more than one of {kinds}.")
    if not kinds:
        return None
    kind = kinds[0]
    if kind == "stringValue" and len(str(value[kind])) > MAX_CELL_CHARACTERS:
        # NOTE: the recorded message is that of values.update; the batchUpdate
        # form is taken to carry the same text after its request prefix.
        raise RequestProblem(
            f"Your input contains more than the maximum of {MAX_CELL_CHARACTERS} "
            "characters in a single cell."
        )
    if kind == "numberValue":
        return {kind: float(value[kind])}
    if kind == "formulaValue" and not str(value[kind]).startswith("="):
        raise RequestProblem(f"Formula {value[kind]!r} must start with '='.")
    return {kind: value[kind]}


def update_cell(
    sheet: Sheet, row: int, column: int, source: dict[str, Any], mask: Mask | None
) -> None:
    """Apply the masked CellData fields of ``source`` to one stored cell."""
    data = cell_to_data(sheet.cell(row, column))
    paths = mask_paths(mask)
    drop_stale_mirrors(data, paths)
    apply_update(data, source, mask)
    sheet.put(row, column, data_to_cell(data))


def update_cells(context: BatchContext, payload: dict[str, Any]) -> None:
    """Write rows of CellData from ``start``, or into ``range`` (clearing the rest)."""
    mask = request_mask(payload)
    rows = payload.get("rows") or []
    if payload.get("range") is not None:
        area = context.area(payload["range"])
    else:
        area = _area_from_start(context, payload.get("start") or {}, rows)
    check_can_edit(context.spreadsheet, area, context.user)

    for row, column in area.positions():
        row_values = _row_values(rows, row - area.start_row)
        offset = column - area.start_column
        source = row_values[offset] if offset < len(row_values) else {}
        update_cell(area.sheet, row, column, source or {}, mask)


def _row_values(rows: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    if index >= len(rows):
        return []
    return list(rows[index].get("values") or [])


def _area_from_start(
    context: BatchContext, start: dict[str, Any], rows: list[dict[str, Any]]
) -> Area:
    sheet = context.sheet(start.get("sheetId"))
    first_row = int(start.get("rowIndex", 0))
    first_column = int(start.get("columnIndex", 0))
    height = len(rows)
    width = max((len(row.get("values") or []) for row in rows), default=0)
    bounds = Bounds(
        first_row,
        first_row + max(height, 1),
        first_column,
        first_column + max(width, 1),
    )
    try:
        return close_bounds(sheet, bounds)
    except ApiError as error:
        raise RequestProblem(error.message) from None


def repeat_cell(context: BatchContext, payload: dict[str, Any]) -> None:
    """Apply the same masked CellData to every cell of a range."""
    mask = request_mask(payload)
    area = context.area(payload.get("range"))
    check_can_edit(context.spreadsheet, area, context.user)
    source = payload.get("cell") or {}
    for row, column in area.positions():
        update_cell(area.sheet, row, column, source, mask)


def append_cells(context: BatchContext, payload: dict[str, Any]) -> None:
    """Write rows of CellData below the last row holding data, growing the grid."""
    sheet = context.sheet(payload.get("sheetId"))
    mask = request_mask(payload)
    rows = payload.get("rows") or []
    first_row = 1 + max(
        (row for (row, _), cell in sheet.cells.items() if cell.value), default=-1
    )
    width = max((len(row.get("values") or []) for row in rows), default=0)
    sheet.grid["rowCount"] = max(sheet.row_count, first_row + len(rows))
    sheet.grid["columnCount"] = max(sheet.column_count, width)
    check_cell_limit(context.spreadsheet)
    for offset, row in enumerate(rows):
        for column, source in enumerate(row.get("values") or []):
            update_cell(sheet, first_row + offset, column, source or {}, mask)


def set_data_validation(context: BatchContext, payload: dict[str, Any]) -> None:
    """Set (or with no rule, clear) the data validation rule of a range."""
    area = context.area(payload.get("range"))
    rule = without_nulls(payload.get("rule"))
    for row, column in area.positions():
        cell = area.sheet.cell(row, column)
        area.sheet.put(row, column, replace(cell, validation=rule))


def _cell_borders(
    area: Area, row: int, column: int, payload: dict[str, Any]
) -> dict[str, Any]:
    """Return the border sides a request sets on one cell of its range."""
    sides: dict[str, Any] = {}
    first_row, last_row = row == area.start_row, row == area.end_row - 1
    first_column, last_column = (
        column == area.start_column,
        column == area.end_column - 1,
    )
    sources = {
        "top": "top" if first_row else "innerHorizontal",
        "bottom": "bottom" if last_row else "innerHorizontal",
        "left": "left" if first_column else "innerVertical",
        "right": "right" if last_column else "innerVertical",
    }
    for side, source in sources.items():
        if payload.get(source) is not None:
            sides[side] = payload[source]
    return sides


def update_borders(context: BatchContext, payload: dict[str, Any]) -> None:
    """Set the borders of a range: outer sides, and inner lines between its cells.

    A side that the request leaves out keeps its border; style ``NONE`` removes it.
    """
    area = context.area(payload.get("range"))
    check_can_edit(context.spreadsheet, area, context.user)
    for row, column in area.positions():
        sides = _cell_borders(area, row, column, payload)
        if not sides:
            continue
        cell = area.sheet.cell(row, column)
        borders = dict(cell.format.get("borders") or {})
        for side, border in sides.items():
            if border.get("style") == "NONE":
                borders.pop(side, None)
            else:
                borders[side] = without_nulls(border)
        cell_format = (
            {**cell.format, "borders": borders}
            if borders
            else {key: item for key, item in cell.format.items() if key != "borders"}
        )
        area.sheet.put(row, column, replace(cell, format=normalize_format(cell_format)))


def find_replace(context: BatchContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Replace text in string cells (and formulas on request); count the changes.

    NOTE: numbers and dates are not searched; the real API also matches their
    formatted text.
    """
    find = payload.get("find")
    if not find:
        raise RequestProblem("find must not be empty.")
    pattern = _find_pattern(payload)
    replacement = payload.get("replacement") or ""
    counts = {"values": 0, "formulas": 0, "occurrences": 0}
    rows: set[tuple[int, int]] = set()
    sheets: set[int] = set()

    for sheet, area in _find_scope(context, payload):
        for position, cell in list(sheet.cells.items()):
            if not (
                area.start_row <= position[0] < area.end_row
                and area.start_column <= position[1] < area.end_column
            ):
                continue
            changed = _replace_in_cell(
                sheet, position, cell, pattern, replacement, payload, counts
            )
            if changed:
                rows.add((sheet.sheet_id, position[0]))
                sheets.add(sheet.sheet_id)

    reply = {
        "valuesChanged": counts["values"],
        "formulasChanged": counts["formulas"],
        "rowsChanged": len(rows),
        "sheetsChanged": len(sheets),
        "occurrencesChanged": counts["occurrences"],
    }
    return {name: count for name, count in reply.items() if count}


def _find_pattern(payload: dict[str, Any]) -> re.Pattern[str]:
    find = str(payload["find"])
    expression = find if payload.get("searchByRegex") else re.escape(find)
    if payload.get("matchEntireCell"):
        expression = f"^(?:{expression})$"
    flags = 0 if payload.get("matchCase") else re.IGNORECASE
    try:
        return re.compile(expression, flags)
    except re.error as error:
        raise RequestProblem(f"Invalid regular expression {find!r}: {error}") from None


def _find_scope(
    context: BatchContext, payload: dict[str, Any]
) -> list[tuple[Sheet, Area]]:
    if payload.get("range") is not None:
        area = context.area(payload["range"])
        return [(area.sheet, area)]
    if payload.get("sheetId") is not None:
        sheets = [context.sheet(payload["sheetId"])]
    elif payload.get("allSheets"):
        sheets = list(context.spreadsheet.sheets)
    else:
        raise RequestProblem("One of range, sheetId or allSheets must be set.")
    return [
        (sheet, close_bounds(sheet, Bounds(None, None, None, None))) for sheet in sheets
    ]


def _replace_in_cell(
    sheet: Sheet,
    position: tuple[int, int],
    cell: Cell,
    pattern: re.Pattern[str],
    replacement: str,
    payload: dict[str, Any],
    counts: dict[str, int],
) -> bool:
    value = cell.value or {}
    kind = "formulaValue" if "formulaValue" in value else "stringValue"
    if kind not in value or (
        kind == "formulaValue" and not payload.get("includeFormulas")
    ):
        return False
    text = str(value[kind])
    new_text, occurrences = pattern.subn(replacement.replace("\\", "\\\\"), text)
    if not occurrences:
        return False
    sheet.put(
        *position,
        replace(cell, value={kind: new_text}),
    )
    counts["formulas" if kind == "formulaValue" else "values"] += 1
    counts["occurrences"] += occurrences
    return True


CELL_REQUESTS: dict[str, Handler] = {
    "updateCells": update_cells,
    "repeatCell": repeat_cell,
    "appendCells": append_cells,
    "setDataValidation": set_data_validation,
    "updateBorders": update_borders,
    "findReplace": find_replace,
}
