"""``spreadsheets.get``: the Spreadsheet resource, with field masks and grid data.

Printing rules seen in real responses: ``sheetId`` is left out of GridRanges when
it is 0 (but kept in SheetProperties), and false or zero flags (``hidden``,
``frozenRowCount``, ``hideGridlines``) are left out. A field mask keeps only the
selected fields that exist, so ``fields=namedRanges`` on a spreadsheet without
named ranges returns ``{}``.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.fake_sheets.a1 import Bounds
from tests.fake_sheets.call import Call
from tests.fake_sheets.cells import extended_value_json
from tests.fake_sheets.errors import invalid_argument
from tests.fake_sheets.evaluation import Evaluator, user_entered_json
from tests.fake_sheets.fields import Mask, parse_mask, select
from tests.fake_sheets.formats import merged_format
from tests.fake_sheets.protection import protections_seen_by
from tests.fake_sheets.ranges import (
    Area,
    close_bounds,
    render_grid_range,
    render_grid_ranges_within,
    resolve,
)
from tests.fake_sheets.store import (
    DEFAULT_COLUMN_PIXELS,
    DEFAULT_ROW_PIXELS,
    Sheet,
    Spreadsheet,
)

_FALSY_GRID_FLAGS = (
    "frozenRowCount",
    "frozenColumnCount",
    "hideGridlines",
    "rowGroupControlAfter",
    "columnGroupControlAfter",
)


def spreadsheet_url(spreadsheet_id: str) -> str:
    """Return the browser address of a spreadsheet."""
    return f"https://docs.google.com/spreadsheets/d/{spreadsheet_id}/edit"


def get_spreadsheet(call: Call, spreadsheet_id: str) -> dict[str, Any]:
    """Serve ``GET /v4/spreadsheets/{id}`` with ``fields``, ``ranges`` and
    ``includeGridData``.

    Grid data is included when ``includeGridData`` is true or the mask selects
    ``sheets.data``. gspread sends ``includeGridData=False`` with a data mask, and
    the API still returns the data.
    """
    spreadsheet = call.store.open(spreadsheet_id, call.user, write=False)
    mask = _read_mask(call.param("fields"))
    areas = [resolve(spreadsheet, text) for text in call.query.get("ranges", [])]
    with_data = call.flag("includeGridData") or _selects_data(mask)

    full = spreadsheet_json(spreadsheet, areas, with_data=with_data, user=call.user)
    selected: dict[str, Any] = trim_row_data(select(full, mask))
    return selected


def _read_mask(fields: str | None) -> Mask | None:
    if fields is None:
        return None
    try:
        return parse_mask(fields)
    except ValueError:
        raise invalid_argument(f"Invalid field selection {fields}") from None


def _selects_data(mask: Mask | None) -> bool:
    if mask is None:
        return False
    sheets = mask.get("sheets", {})
    return sheets is None or "data" in sheets


def spreadsheet_json(
    spreadsheet: Spreadsheet,
    areas: list[Area],
    *,
    with_data: bool,
    user: str | None = None,
) -> dict[str, Any]:
    """Return the Spreadsheet resource; ``areas`` limit the tabs and the grid data.

    :param user: the caller, whose permission each protected range shows; None
        shows them as stored.
    """
    evaluator = Evaluator(spreadsheet)
    sheets = []
    for index, sheet in enumerate(spreadsheet.sheets):
        sheet_areas = [area for area in areas if area.sheet is sheet]
        if areas and not sheet_areas:
            continue
        rendered = sheet_json(spreadsheet, sheet, index, user)
        if with_data:
            rendered["data"] = [
                grid_data(evaluator, spreadsheet, area)
                for area in (
                    sheet_areas or [close_bounds(sheet, Bounds(None, None, None, None))]
                )
            ]
        sheets.append(rendered)

    result: dict[str, Any] = {
        "spreadsheetId": spreadsheet.spreadsheet_id,
        "properties": copy.deepcopy(spreadsheet.properties),
        "sheets": sheets,
    }
    if spreadsheet.named_ranges:
        result["namedRanges"] = [
            named_range_json(named) for named in spreadsheet.named_ranges
        ]
    document_metadata = metadata_at(spreadsheet, "SPREADSHEET")
    if document_metadata:
        result["developerMetadata"] = document_metadata
    result["spreadsheetUrl"] = spreadsheet_url(spreadsheet.spreadsheet_id)
    return result


def sheet_properties_json(sheet: Sheet, index: int) -> dict[str, Any]:
    """Return SheetProperties as printed: ``index`` added, false flags left out."""
    properties = copy.deepcopy(sheet.properties)
    ordered: dict[str, Any] = {
        "sheetId": properties.pop("sheetId"),
        "title": properties.pop("title"),
        "index": index,
        "sheetType": properties.pop("sheetType", "GRID"),
    }
    grid = properties.pop("gridProperties", {})
    for flag in _FALSY_GRID_FLAGS:
        if not grid.get(flag):
            grid.pop(flag, None)
    ordered["gridProperties"] = grid
    ordered.update(
        {key: value for key, value in properties.items() if value not in (False, None)}
    )
    return ordered


def sheet_json(
    spreadsheet: Spreadsheet, sheet: Sheet, index: int, user: str | None = None
) -> dict[str, Any]:
    """Return one Sheet resource without grid data; empty object lists left out."""
    rendered: dict[str, Any] = {"properties": sheet_properties_json(sheet, index)}
    protections = sheet.protected_ranges
    if user is not None:
        protections = protections_seen_by(spreadsheet, protections, user)
    objects = {
        "merges": [render_grid_range(merge) for merge in sheet.merges],
        "protectedRanges": render_grid_ranges_within(protections),
        "conditionalFormats": render_grid_ranges_within(sheet.conditional_formats),
        "charts": render_grid_ranges_within(sheet.charts),
        "rowGroups": [dimension_group_json(group) for group in sheet.row_groups],
        "columnGroups": [dimension_group_json(group) for group in sheet.column_groups],
        "developerMetadata": metadata_at(spreadsheet, "SHEET", sheet.sheet_id),
    }
    if sheet.basic_filter is not None:
        rendered["basicFilter"] = render_grid_ranges_within(sheet.basic_filter)
    rendered.update({name: value for name, value in objects.items() if value})
    return rendered


def dimension_range_json(dimension_range: dict[str, Any]) -> dict[str, Any]:
    """Return a DimensionRange as printed: ``sheetId`` 0 left out."""
    rendered = dict(dimension_range)
    if rendered.get("sheetId") == 0:
        del rendered["sheetId"]
    return rendered


def dimension_group_json(group: dict[str, Any]) -> dict[str, Any]:
    """Return a DimensionGroup as printed."""
    rendered = copy.deepcopy(group)
    rendered["range"] = dimension_range_json(group["range"])
    return rendered


def named_range_json(named: dict[str, Any]) -> dict[str, Any]:
    """Return a NamedRange as printed."""
    return {
        "namedRangeId": named["namedRangeId"],
        "name": named["name"],
        "range": render_grid_range(named["range"]),
    }


def metadata_json(item: dict[str, Any]) -> dict[str, Any]:
    """Return DeveloperMetadata as printed: dimension ranges without ``sheetId`` 0."""
    rendered = copy.deepcopy(item)
    location = rendered["location"]
    if "dimensionRange" in location:
        location["dimensionRange"] = dimension_range_json(location["dimensionRange"])
    return rendered


def metadata_at(
    spreadsheet: Spreadsheet, location_type: str, sheet_id: int | None = None
) -> list[dict[str, Any]]:
    """Return the developer metadata attached to the spreadsheet or to one tab."""
    return [
        metadata_json(item)
        for item in spreadsheet.developer_metadata
        if item["location"]["locationType"] == location_type
        and (sheet_id is None or item["location"].get("sheetId") == sheet_id)
    ]


def _dimension_metadata(
    spreadsheet: Spreadsheet, sheet: Sheet, dimension: str
) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for item in spreadsheet.developer_metadata:
        dimension_range = item["location"].get("dimensionRange")
        if not dimension_range or dimension_range.get("sheetId") != sheet.sheet_id:
            continue
        if dimension_range.get("dimension") != dimension:
            continue
        for index in range(dimension_range["startIndex"], dimension_range["endIndex"]):
            found.setdefault(index, []).append(metadata_json(item))
    return found


def grid_data(
    evaluator: Evaluator, spreadsheet: Spreadsheet, area: Area
) -> dict[str, Any]:
    """Return GridData of an area: rowData trimmed of trailing empties, then the
    row and column metadata of every row and column in the area."""
    data: dict[str, Any] = {}
    if area.start_row:
        data["startRow"] = area.start_row
    if area.start_column:
        data["startColumn"] = area.start_column

    rows = [
        [
            cell_data(evaluator, spreadsheet, area.sheet, row, column)
            for column in range(area.start_column, area.end_column)
        ]
        for row in range(area.start_row, area.end_row)
    ]
    row_data = _trimmed_rows(rows)
    if row_data:
        data["rowData"] = row_data
    data["rowMetadata"] = _dimension_properties(spreadsheet, area, "ROWS")
    data["columnMetadata"] = _dimension_properties(spreadsheet, area, "COLUMNS")
    return data


def _trimmed_rows(rows: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    row_data = []
    for cells in rows:
        while cells and not cells[-1]:
            cells.pop()
        row_data.append({"values": cells} if cells else {})
    while row_data and not row_data[-1]:
        row_data.pop()
    return row_data


def _dimension_properties(
    spreadsheet: Spreadsheet, area: Area, dimension: str
) -> list[dict[str, Any]]:
    sheet = area.sheet
    if dimension == "ROWS":
        indexes = range(area.start_row, area.end_row)
        stored, default = sheet.row_properties, DEFAULT_ROW_PIXELS
    else:
        indexes = range(area.start_column, area.end_column)
        stored, default = sheet.column_properties, DEFAULT_COLUMN_PIXELS
    metadata = _dimension_metadata(spreadsheet, sheet, dimension)

    properties = []
    for index in indexes:
        rendered = {"pixelSize": default, **copy.deepcopy(stored.get(index, {}))}
        if not rendered.get("hiddenByUser"):
            rendered.pop("hiddenByUser", None)
        if index in metadata:
            rendered["developerMetadata"] = metadata[index]
        properties.append(rendered)
    return properties


def cell_data(
    evaluator: Evaluator, spreadsheet: Spreadsheet, sheet: Sheet, row: int, column: int
) -> dict[str, Any]:
    """Return CellData of one cell; ``{}`` for an empty cell."""
    cell = sheet.cell(row, column)
    data: dict[str, Any] = {}
    if cell.value is not None:
        data["userEnteredValue"] = user_entered_json(cell.value)
        effective = extended_value_json(evaluator.value(sheet, row, column))
        if effective is not None:
            data["effectiveValue"] = effective
        data["formattedValue"] = evaluator.formatted(sheet, row, column)
    if cell.format:
        data["userEnteredFormat"] = copy.deepcopy(cell.format)
    if cell.value is not None or cell.format:
        # NOTE: the effective format is the default format with the user's laid
        # over it; conditional formats are not applied.
        default = spreadsheet.properties.get("defaultFormat", {})
        data["effectiveFormat"] = merged_format(default, cell.format)
    if cell.note:
        data["note"] = cell.note
    if cell.validation is not None:
        data["dataValidation"] = copy.deepcopy(cell.validation)
    data.update(copy.deepcopy(cell.extra))
    return data


def trim_row_data(result: Any) -> Any:
    """Trim trailing empty cells and rows left in rowData after a field mask.

    With ``fields=sheets.data.rowData.values.note`` cells without a note become
    ``{}``. Such cells are dropped from the end of each row, and rows left empty
    are dropped from the end of rowData, as in recorded responses.
    """
    for sheet in result.get("sheets", []) if isinstance(result, dict) else []:
        for data in sheet.get("data", []):
            row_data = data.get("rowData")
            if row_data is None:
                continue
            rows = [row.get("values", []) for row in row_data]
            trimmed = _trimmed_rows(rows)
            if trimmed:
                data["rowData"] = trimmed
            else:
                del data["rowData"]
    return result
