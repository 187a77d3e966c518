"""batchUpdate requests that rearrange cells: merges, sortRange, copyPaste,
cutPaste and basic filters."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from tests.fake_sheets.batch_context import BatchContext, Handler, RequestProblem
from tests.fake_sheets.evaluation import Evaluator
from tests.fake_sheets.fields import without_nulls
from tests.fake_sheets.formulas import FormulaError, Value
from tests.fake_sheets.protection import check_can_edit
from tests.fake_sheets.ranges import Area
from tests.fake_sheets.store import EMPTY_CELL, Cell, Sheet


def _intersects(merge: dict[str, Any], area: Area) -> bool:
    return bool(
        merge["startRowIndex"] < area.end_row
        and area.start_row < merge["endRowIndex"]
        and merge["startColumnIndex"] < area.end_column
        and area.start_column < merge["endColumnIndex"]
    )


def _inside(merge: dict[str, Any], area: Area) -> bool:
    return bool(
        area.start_row <= merge["startRowIndex"]
        and merge["endRowIndex"] <= area.end_row
        and area.start_column <= merge["startColumnIndex"]
        and merge["endColumnIndex"] <= area.end_column
    )


def _detach_merges(sheet: Sheet, area: Area) -> None:
    """Remove merges inside an area; raise if one only partly overlaps it."""
    for merge in list(sheet.merges):
        if not _intersects(merge, area):
            continue
        if not _inside(merge, area):
            raise RequestProblem(
                "You must select all cells in a merged range to merge or unmerge them."
            )
        sheet.merges.remove(merge)


def merge_cells(context: BatchContext, payload: dict[str, Any]) -> None:
    """Merge a range whole, by rows or by columns; only top-left values survive."""
    area = context.area(payload.get("range"))
    merge_type = payload.get("mergeType", "MERGE_ALL")
    sheet = area.sheet
    _detach_merges(sheet, area)
    pieces = {
        "MERGE_ALL": [area],
        "MERGE_ROWS": [
            Area(sheet, row, row + 1, area.start_column, area.end_column)
            for row in range(area.start_row, area.end_row)
        ],
        "MERGE_COLUMNS": [
            Area(sheet, area.start_row, area.end_row, column, column + 1)
            for column in range(area.start_column, area.end_column)
        ],
    }.get(merge_type)
    if pieces is None:
        raise RequestProblem(f"Invalid mergeType {merge_type!r}.")

    for piece in pieces:
        if piece.rows * piece.columns < 2:
            continue
        sheet.merges.append(piece.grid_range())
        for row, column in piece.positions():
            if (row, column) != (piece.start_row, piece.start_column):
                sheet.put(row, column, sheet.cell(row, column).without_value())


def unmerge_cells(context: BatchContext, payload: dict[str, Any]) -> None:
    """Remove the merges inside a range."""
    area = context.area(payload.get("range"))
    _detach_merges(area.sheet, area)


def _sort_key(value: Value) -> tuple[int, Any]:
    """Sheets' ascending order: numbers, text (ignoring case), booleans, errors.

    NOTE: the relative order of the types is an inference; blanks always go last,
    whatever the sort order.
    """
    if isinstance(value, FormulaError):
        return 3, value.code
    if isinstance(value, bool):
        return 2, value
    if isinstance(value, str):
        return 1, value.casefold()
    return 0, value


def sort_range(context: BatchContext, payload: dict[str, Any]) -> None:
    """Sort the rows of a range by one or more columns; blanks stay at the bottom."""
    area = context.area(payload.get("range"))
    check_can_edit(context.spreadsheet, area, context.user)
    evaluator = Evaluator(context.spreadsheet)
    sheet = area.sheet
    order = list(range(area.start_row, area.end_row))

    for spec in reversed(payload.get("sortSpecs") or []):
        column = int(spec.get("dimensionIndex", 0))
        descending = spec.get("sortOrder") == "DESCENDING"
        values = {row: evaluator.value(sheet, row, column) for row in order}
        filled = [row for row in order if values[row] not in (None, "")]
        blank = [row for row in order if values[row] in (None, "")]
        filled.sort(key=lambda row: _sort_key(values[row]), reverse=descending)
        order = filled + blank

    snapshot = {position: sheet.cell(*position) for position in area.positions()}
    for target_row, source_row in zip(
        range(area.start_row, area.end_row), order, strict=True
    ):
        for column in range(area.start_column, area.end_column):
            sheet.put(target_row, column, snapshot[(source_row, column)])


def _pasted(
    cell: Cell,
    paste_type: str,
    evaluator: Evaluator,
    sheet: Sheet,
    position: tuple[int, int],
    target: Cell,
) -> Cell:
    """Return what a paste of ``cell`` (from ``position``) leaves on ``target``."""
    if paste_type == "PASTE_VALUES":
        value = evaluator.value(sheet, *position)
        if value is None or isinstance(value, FormulaError):
            return replace(target, value=None)
        return replace(target, value=_entered(value))
    if paste_type == "PASTE_FORMAT":
        return replace(target, format=cell.format)
    if paste_type == "PASTE_FORMULA":
        return replace(target, value=cell.value)
    if paste_type == "PASTE_DATA_VALIDATION":
        return replace(target, validation=cell.validation)
    if paste_type == "PASTE_NO_BORDERS":
        without_borders = {
            key: item for key, item in cell.format.items() if key != "borders"
        }
        return replace(cell, format=without_borders)
    return cell


def _entered(value: Value) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    return {"numberValue": value}


def _snapshot(area: Area, transpose: bool) -> list[list[tuple[tuple[int, int], Cell]]]:
    grid = [
        [
            ((row, column), area.sheet.cell(row, column))
            for column in range(area.start_column, area.end_column)
        ]
        for row in range(area.start_row, area.end_row)
    ]
    if transpose:
        grid = [list(column) for column in zip(*grid, strict=True)]
    return grid


def copy_paste(context: BatchContext, payload: dict[str, Any]) -> None:
    """Copy a range onto another, repeating it to fill a larger destination.

    NOTE: formulas are copied as written; the real API shifts their relative
    references.
    """
    source = context.area(payload.get("source"))
    destination = context.area(payload.get("destination"))
    check_can_edit(context.spreadsheet, destination, context.user)
    paste_type = payload.get("pasteType", "PASTE_NORMAL")
    grid = _snapshot(source, payload.get("pasteOrientation") == "TRANSPOSE")
    height, width = len(grid), len(grid[0])
    evaluator = Evaluator(context.spreadsheet)

    rows = max(destination.rows, height) // height * height
    columns = max(destination.columns, width) // width * width
    target = Area(
        destination.sheet,
        destination.start_row,
        destination.start_row + rows,
        destination.start_column,
        destination.start_column + columns,
    )
    _check_fits(target)
    for row, column in target.positions():
        position, cell = grid[(row - target.start_row) % height][
            (column - target.start_column) % width
        ]
        current = target.sheet.cell(row, column)
        target.sheet.put(
            row,
            column,
            _pasted(cell, paste_type, evaluator, source.sheet, position, current),
        )


def _check_fits(area: Area) -> None:
    if area.end_row > area.sheet.row_count or area.end_column > area.sheet.column_count:
        raise RequestProblem(
            f"Range ({area.a1()}) exceeds grid limits. "
            f"Max rows: {area.sheet.row_count}, "
            f"max columns: {area.sheet.column_count}"
        )


def cut_paste(context: BatchContext, payload: dict[str, Any]) -> None:
    """Move a range so its top-left cell lands on ``destination``."""
    source = context.area(payload.get("source"))
    anchor = payload.get("destination") or {}
    sheet = context.sheet(anchor.get("sheetId"))
    first_row = int(anchor.get("rowIndex", 0))
    first_column = int(anchor.get("columnIndex", 0))
    target = Area(
        sheet,
        first_row,
        first_row + source.rows,
        first_column,
        first_column + source.columns,
    )
    _check_fits(target)
    check_can_edit(context.spreadsheet, source, context.user)
    check_can_edit(context.spreadsheet, target, context.user)

    paste_type = payload.get("pasteType", "PASTE_NORMAL")
    evaluator = Evaluator(context.spreadsheet)
    grid = _snapshot(source, transpose=False)
    for position in source.positions():
        source.sheet.put(*position, EMPTY_CELL)
    for row, column in target.positions():
        position, cell = grid[row - first_row][column - first_column]
        current = sheet.cell(row, column)
        sheet.put(
            row,
            column,
            _pasted(cell, paste_type, evaluator, source.sheet, position, current),
        )


def set_basic_filter(context: BatchContext, payload: dict[str, Any]) -> None:
    """Set a tab's basic filter; its range is stored with every side closed."""
    requested = copy.deepcopy(payload.get("filter") or {})
    area = context.area(requested.get("range"))
    requested["range"] = area.grid_range()
    area.sheet.basic_filter = without_nulls(requested)


def clear_basic_filter(context: BatchContext, payload: dict[str, Any]) -> None:
    """Remove a tab's basic filter."""
    context.sheet(payload.get("sheetId")).basic_filter = None


LAYOUT_REQUESTS: dict[str, Handler] = {
    "mergeCells": merge_cells,
    "unmergeCells": unmerge_cells,
    "sortRange": sort_range,
    "copyPaste": copy_paste,
    "cutPaste": cut_paste,
    "setBasicFilter": set_basic_filter,
    "clearBasicFilter": clear_basic_filter,
}
