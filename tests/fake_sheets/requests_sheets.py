"""batchUpdate requests on tabs and their rows and columns: add, delete, duplicate,
update properties, insert/delete/append dimensions, resize, group."""

from __future__ import annotations

import copy
from typing import Any

from tests.fake_sheets.batch_context import BatchContext, Handler, RequestProblem
from tests.fake_sheets.dimensions import delete_dimension, insert_dimension, resize_grid
from tests.fake_sheets.evaluation import Evaluator
from tests.fake_sheets.fields import Mask, apply_update, mask_paths, parse_mask
from tests.fake_sheets.formats import drop_stale_mirrors, normalize_tab_color
from tests.fake_sheets.metadata import dimension_group_json, sheet_properties_json
from tests.fake_sheets.store import (
    DEFAULT_COLUMNS,
    DEFAULT_ROW_PIXELS,
    DEFAULT_ROWS,
    MAX_CELLS,
    Sheet,
    Spreadsheet,
    new_sheet,
)

AUTO_RESIZE_PIXELS_PER_CHARACTER = 8691 / 1024
"""Column width per character that autoResizeDimensions assumes.

NOTE: fitted to one recording, where 1024 × ``A`` in Arial 10 became 8691 px.
Real widths depend on the glyphs and font, so tests should not assert exact widths.
"""
AUTO_RESIZE_MINIMUM_PIXELS = 21


def request_mask(payload: dict[str, Any]) -> Mask | None:
    """Return the ``fields`` mask an update request must carry."""
    fields = payload.get("fields")
    if not fields:
        raise RequestProblem(
            "At least one field must be updated, but none was specified."
        )
    try:
        return parse_mask(fields)
    except ValueError as error:
        raise RequestProblem(str(error)) from None


def check_cell_limit(spreadsheet: Spreadsheet) -> None:
    """Raise RequestProblem when the grids exceed the spreadsheet cell limit."""
    if spreadsheet.cell_total() > MAX_CELLS:
        raise RequestProblem(
            "This action would increase the number of cells in the workbook above the "
            f"limit of {MAX_CELLS} cells."
        )


def _check_new_title(spreadsheet: Spreadsheet, title: Any, sheet: Sheet | None) -> str:
    if not isinstance(title, str) or not title.strip():
        raise RequestProblem("Sheet title must not be empty.")
    existing = spreadsheet.sheet_by_title(title)
    if existing is not None and existing is not sheet:
        raise RequestProblem(
            f'A sheet with the name "{title}" already exists. '
            "Please enter another name."
        )
    return title


def _default_title(spreadsheet: Spreadsheet) -> str:
    number = len(spreadsheet.sheets) + 1
    while spreadsheet.sheet_by_title(f"Sheet{number}") is not None:
        number += 1
    return f"Sheet{number}"


def add_sheet(context: BatchContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Add a tab; its ``sheetId`` may be chosen by the caller."""
    spreadsheet = context.spreadsheet
    requested = copy.deepcopy(payload.get("properties") or {})
    title = _check_new_title(
        spreadsheet, requested.pop("title", None) or _default_title(spreadsheet), None
    )
    sheet_id = requested.pop("sheetId", None)
    if sheet_id is None:
        sheet_id = context.store.new_sheet_id(spreadsheet)
    elif int(sheet_id) < 0 or spreadsheet.sheet_by_id(int(sheet_id)) is not None:
        raise RequestProblem(f"Sheet with id {sheet_id} already exists or is invalid.")

    grid = requested.pop("gridProperties", {})
    sheet = new_sheet(
        int(sheet_id),
        title,
        int(grid.pop("rowCount", DEFAULT_ROWS)),
        int(grid.pop("columnCount", DEFAULT_COLUMNS)),
    )
    sheet.grid.update(grid)
    index = requested.pop("index", None)
    requested.pop("sheetType", None)
    sheet.properties.update(requested)
    normalize_tab_color(sheet.properties)

    position = (
        len(spreadsheet.sheets)
        if index is None
        else min(int(index), len(spreadsheet.sheets))
    )
    spreadsheet.sheets.insert(position, sheet)
    check_cell_limit(spreadsheet)
    return {"properties": sheet_properties_json(sheet, position)}


def delete_sheet(context: BatchContext, payload: dict[str, Any]) -> None:
    """Delete a tab with its named ranges and developer metadata."""
    spreadsheet = context.spreadsheet
    sheet = context.sheet(payload.get("sheetId"))
    if len(spreadsheet.sheets) == 1:
        raise RequestProblem("You can't remove all the sheets in a document.")
    spreadsheet.sheets.remove(sheet)
    spreadsheet.named_ranges = [
        named
        for named in spreadsheet.named_ranges
        if named["range"].get("sheetId", 0) != sheet.sheet_id
    ]
    spreadsheet.developer_metadata = [
        item
        for item in spreadsheet.developer_metadata
        if _metadata_sheet_id(item) != sheet.sheet_id
    ]


def _metadata_sheet_id(item: dict[str, Any]) -> int | None:
    location = item["location"]
    if "sheetId" in location:
        return int(location["sheetId"])
    if "dimensionRange" in location:
        return int(location["dimensionRange"].get("sheetId", 0))
    return None


def duplicate_sheet(context: BatchContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Copy a tab with its cells, merges, formats and filter under a new id."""
    spreadsheet = context.spreadsheet
    source = context.sheet(payload.get("sourceSheetId"))
    new_id = payload.get("newSheetId")
    if new_id is None:
        new_id = context.store.new_sheet_id(spreadsheet)
    elif spreadsheet.sheet_by_id(int(new_id)) is not None:
        raise RequestProblem(f"Sheet with id {new_id} already exists or is invalid.")
    title = _check_new_title(
        spreadsheet, payload.get("newSheetName") or f"Copy of {source.title}", None
    )

    copied = source.clone()
    copied.properties["sheetId"] = int(new_id)
    copied.properties["title"] = title
    copied.protected_ranges = []
    copied.charts = []
    for name in ("merges", "conditional_formats", "basic_filter"):
        setattr(
            copied, name, _retarget(getattr(copied, name), source.sheet_id, int(new_id))
        )

    position = payload.get("insertSheetIndex")
    position = len(spreadsheet.sheets) if position is None else int(position)
    spreadsheet.sheets.insert(position, copied)
    check_cell_limit(spreadsheet)
    return {"properties": sheet_properties_json(copied, position)}


def _retarget(value: Any, old_id: int, new_id: int) -> Any:
    if isinstance(value, list):
        return [_retarget(item, old_id, new_id) for item in value]
    if not isinstance(value, dict):
        return value
    retargeted = {key: _retarget(item, old_id, new_id) for key, item in value.items()}
    if retargeted.get("sheetId") == old_id:
        retargeted["sheetId"] = new_id
    return retargeted


def update_sheet_properties(context: BatchContext, payload: dict[str, Any]) -> None:
    """Update the masked SheetProperties: title, index, hidden, grid size, colours."""
    spreadsheet = context.spreadsheet
    requested = payload.get("properties") or {}
    sheet = context.sheet(requested.get("sheetId"))
    mask = request_mask(payload)
    paths = [path for path in mask_paths(mask) if path[0] not in ("sheetId", "index")]

    updated = copy.deepcopy(sheet.properties)
    old_grid = dict(sheet.grid)
    drop_stale_mirrors(updated, paths)
    apply_update(
        updated, {**requested, "sheetId": sheet.sheet_id}, _without_index(mask)
    )
    updated["sheetId"] = sheet.sheet_id
    updated.setdefault("gridProperties", {})
    _check_new_title(spreadsheet, updated.get("title"), sheet)
    if updated.get("hidden") and all(
        other.properties.get("hidden")
        for other in spreadsheet.sheets
        if other is not sheet
    ):
        raise RequestProblem("You can't hide all the sheets in a document.")

    normalize_tab_color(updated)
    sheet.properties = updated
    _apply_grid_change(sheet, old_grid)
    if mask is None or "index" in mask:
        _move_sheet(spreadsheet, sheet, requested.get("index"))


def _without_index(mask: Mask | None) -> Mask | None:
    if mask is None:
        return None
    return {name: child for name, child in mask.items() if name != "index"}


def _apply_grid_change(sheet: Sheet, old_grid: dict[str, Any]) -> None:
    new_rows = sheet.grid.get("rowCount")
    new_columns = sheet.grid.get("columnCount")
    if new_rows is None or new_columns is None:
        sheet.grid.setdefault("rowCount", old_grid.get("rowCount", DEFAULT_ROWS))
        sheet.grid.setdefault(
            "columnCount", old_grid.get("columnCount", DEFAULT_COLUMNS)
        )
    if int(sheet.grid["rowCount"]) < 1 or int(sheet.grid["columnCount"]) < 1:
        raise RequestProblem("The grid must keep at least one row and one column.")
    resize_grid(sheet, int(sheet.grid["rowCount"]), int(sheet.grid["columnCount"]))


def _move_sheet(spreadsheet: Spreadsheet, sheet: Sheet, index: Any) -> None:
    """Move a tab; like the API, ``index`` counts positions before the move."""
    old = spreadsheet.sheets.index(sheet)
    target = len(spreadsheet.sheets) if index is None else int(index)
    spreadsheet.sheets.remove(sheet)
    if target > old:
        target -= 1
    spreadsheet.sheets.insert(max(0, min(target, len(spreadsheet.sheets))), sheet)


def update_spreadsheet_properties(
    context: BatchContext, payload: dict[str, Any]
) -> None:
    """Update the masked SpreadsheetProperties (title, locale, timeZone...)."""
    mask = request_mask(payload)
    apply_update(context.spreadsheet.properties, payload.get("properties") or {}, mask)
    if not context.spreadsheet.properties.get("title"):
        raise RequestProblem("Spreadsheet title must not be empty.")


def _dimension_range(context: BatchContext, value: Any) -> tuple[Sheet, str, int, int]:
    dimension_range = value or {}
    sheet = context.sheet(dimension_range.get("sheetId"))
    dimension = dimension_range.get("dimension")
    if dimension not in ("ROWS", "COLUMNS"):
        raise RequestProblem(
            f"Invalid dimension {dimension!r}; expected ROWS or COLUMNS."
        )
    size = sheet.row_count if dimension == "ROWS" else sheet.column_count
    start = int(dimension_range.get("startIndex", 0))
    end = int(dimension_range.get("endIndex", size))
    if start < 0 or end < start:
        raise RequestProblem(f"Invalid dimension range {start}–{end}.")
    return sheet, dimension, start, end


def _check_within(sheet: Sheet, dimension: str, end: int) -> None:
    size = sheet.row_count if dimension == "ROWS" else sheet.column_count
    if end > size:
        raise RequestProblem(
            f"Range exceeds grid limits. Max rows: {sheet.row_count}, "
            f"max columns: {sheet.column_count}"
        )


def insert_dimension_request(context: BatchContext, payload: dict[str, Any]) -> None:
    """Insert empty rows or columns before ``startIndex``."""
    sheet, dimension, start, end = _dimension_range(context, payload.get("range"))
    size = sheet.row_count if dimension == "ROWS" else sheet.column_count
    if start > size:
        _check_within(sheet, dimension, start)
    insert_dimension(context.spreadsheet, sheet, dimension, start, end - start)
    check_cell_limit(context.spreadsheet)


def delete_dimension_request(context: BatchContext, payload: dict[str, Any]) -> None:
    """Delete rows or columns and what sits on them."""
    sheet, dimension, start, end = _dimension_range(context, payload.get("range"))
    _check_within(sheet, dimension, end)
    size = sheet.row_count if dimension == "ROWS" else sheet.column_count
    if start == 0 and end >= size:
        noun = "rows" if dimension == "ROWS" else "columns"
        raise RequestProblem(f"You can't delete all the {noun} on the sheet.")
    delete_dimension(context.spreadsheet, sheet, dimension, start, end)


def append_dimension(context: BatchContext, payload: dict[str, Any]) -> None:
    """Add rows or columns at the end of a tab."""
    sheet = context.sheet(payload.get("sheetId"))
    length = int(payload.get("length", 0))
    if length <= 0:
        raise RequestProblem("length must be greater than zero.")
    key = "rowCount" if payload.get("dimension") == "ROWS" else "columnCount"
    sheet.grid[key] = int(sheet.grid[key]) + length
    check_cell_limit(context.spreadsheet)


def update_dimension_properties(context: BatchContext, payload: dict[str, Any]) -> None:
    """Set masked DimensionProperties (pixelSize, hiddenByUser) on rows or columns."""
    sheet, dimension, start, end = _dimension_range(context, payload.get("range"))
    _check_within(sheet, dimension, end)
    mask = request_mask(payload)
    stored = sheet.row_properties if dimension == "ROWS" else sheet.column_properties
    for index in range(start, end):
        properties = stored.setdefault(index, {})
        apply_update(properties, payload.get("properties") or {}, mask)
        if not properties:
            del stored[index]


def auto_resize_dimensions(context: BatchContext, payload: dict[str, Any]) -> None:
    """Fit column widths (or row heights) to their content, approximately."""
    sheet, dimension, start, end = _dimension_range(context, payload.get("dimensions"))
    evaluator = Evaluator(context.spreadsheet)
    for index in range(start, end):
        if dimension == "ROWS":
            lines = max(
                (
                    evaluator.formatted(sheet, row, column).count("\n") + 1
                    for (row, column) in sheet.cells
                    if row == index
                ),
                default=1,
            )
            sheet.row_properties.setdefault(index, {})["pixelSize"] = (
                DEFAULT_ROW_PIXELS * lines
            )
            continue
        longest = max(
            (
                max(
                    len(line)
                    for line in evaluator.formatted(sheet, row, column).split("\n")
                )
                for (row, column) in sheet.cells
                if column == index
            ),
            default=0,
        )
        if longest:
            width = max(
                round(longest * AUTO_RESIZE_PIXELS_PER_CHARACTER),
                AUTO_RESIZE_MINIMUM_PIXELS,
            )
            sheet.column_properties.setdefault(index, {})["pixelSize"] = width


def add_dimension_group(
    context: BatchContext, payload: dict[str, Any]
) -> dict[str, Any]:
    """Group rows or columns; depth grows with the groups that already contain them.

    NOTE: this is simpler than the API. A new group's depth is one more than the
    number of existing groups containing it, and groups are never merged or split.
    """
    sheet, dimension, start, end = _dimension_range(context, payload.get("range"))
    groups = sheet.row_groups if dimension == "ROWS" else sheet.column_groups
    depth = 1 + sum(
        1
        for group in groups
        if group["range"]["startIndex"] <= start and end <= group["range"]["endIndex"]
    )
    group_range = {
        "sheetId": sheet.sheet_id,
        "dimension": dimension,
        "startIndex": start,
        "endIndex": end,
    }
    groups.append({"range": group_range, "depth": depth})
    control = (
        "rowGroupControlAfter" if dimension == "ROWS" else "columnGroupControlAfter"
    )
    sheet.grid[control] = True
    return _groups_reply(groups)


def delete_dimension_group(
    context: BatchContext, payload: dict[str, Any]
) -> dict[str, Any]:
    """Remove the group covering exactly the given range."""
    sheet, dimension, start, end = _dimension_range(context, payload.get("range"))
    groups = sheet.row_groups if dimension == "ROWS" else sheet.column_groups
    for group in sorted(groups, key=lambda group: -group["depth"]):
        if (group["range"]["startIndex"], group["range"]["endIndex"]) == (start, end):
            groups.remove(group)
            return _groups_reply(groups)
    raise RequestProblem(f"No dimension group covers {dimension} {start}–{end}.")


def _groups_reply(groups: list[dict[str, Any]]) -> dict[str, Any]:
    if not groups:
        return {}
    return {"dimensionGroups": [dimension_group_json(group) for group in groups]}


SHEET_REQUESTS: dict[str, Handler] = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "duplicateSheet": duplicate_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "insertDimension": insert_dimension_request,
    "deleteDimension": delete_dimension_request,
    "appendDimension": append_dimension,
    "updateDimensionProperties": update_dimension_properties,
    "autoResizeDimensions": auto_resize_dimensions,
    "addDimensionGroup": add_dimension_group,
    "deleteDimensionGroup": delete_dimension_group,
}
