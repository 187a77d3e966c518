"""``spreadsheets.create`` and ``spreadsheets.sheets.copyTo``."""

from __future__ import annotations

from typing import Any

from tests.fake_sheets.call import Call
from tests.fake_sheets.errors import ApiError, invalid_argument
from tests.fake_sheets.formats import normalize_tab_color
from tests.fake_sheets.metadata import sheet_properties_json, spreadsheet_json
from tests.fake_sheets.store import (
    DEFAULT_COLUMNS,
    DEFAULT_ROWS,
    Spreadsheet,
    new_sheet,
)


def create_spreadsheet(call: Call) -> dict[str, Any]:
    """Serve ``POST /v4/spreadsheets``: a spreadsheet with the requested tabs."""
    body = call.json_body()
    properties = body.get("properties") or {}
    spreadsheet = call.store.create_spreadsheet(
        properties.get("title") or "Untitled spreadsheet", owner=call.user
    )
    for key in ("locale", "timeZone", "autoRecalc"):
        if properties.get(key):
            spreadsheet.properties[key] = properties[key]

    requested_sheets = body.get("sheets") or []
    if requested_sheets:
        spreadsheet.sheets = []
    for position, requested in enumerate(requested_sheets):
        sheet_properties = dict(requested.get("properties") or {})
        grid = dict(sheet_properties.pop("gridProperties", {}) or {})
        sheet_id = sheet_properties.pop("sheetId", None)
        if sheet_id is None:
            sheet_id = 0 if position == 0 else call.store.new_sheet_id(spreadsheet)
        sheet = new_sheet(
            int(sheet_id),
            sheet_properties.pop("title", None) or f"Sheet{position + 1}",
            int(grid.pop("rowCount", DEFAULT_ROWS)),
            int(grid.pop("columnCount", DEFAULT_COLUMNS)),
        )
        sheet.grid.update(grid)
        sheet_properties.pop("index", None)
        sheet.properties.update(sheet_properties)
        normalize_tab_color(sheet.properties)
        spreadsheet.sheets.append(sheet)
    return spreadsheet_json(spreadsheet, [], with_data=False)


def copy_sheet_to(call: Call, spreadsheet_id: str, sheet_id: str) -> dict[str, Any]:
    """Serve ``POST .../sheets/{sheetId}:copyTo``: copy a tab into another spreadsheet.

    The copy is titled ``Copy of <title>`` (with a number when taken) and gets a
    new id; cells, merges and conditional formats come along.
    """
    source_spreadsheet = call.store.open(spreadsheet_id, call.user, write=False)
    source = source_spreadsheet.sheet_by_id(int(sheet_id))
    if source is None:
        raise ApiError(404)
    destination_id = call.json_body().get("destinationSpreadsheetId")
    if not destination_id:
        raise invalid_argument("destinationSpreadsheetId is required but not specified")

    with call.store.change(destination_id, call.user) as destination:
        copied = source.clone()
        new_id = call.store.new_sheet_id(destination)
        copied.properties["sheetId"] = new_id
        copied.properties["title"] = _free_title(destination, f"Copy of {source.title}")
        copied.protected_ranges = []
        copied.charts = []
        copied.merges = [{**merge, "sheetId": new_id} for merge in copied.merges]
        for rule in copied.conditional_formats:
            rule["ranges"] = [
                {**item, "sheetId": new_id} for item in rule.get("ranges", [])
            ]
        destination.sheets.append(copied)
        position = len(destination.sheets) - 1
    return sheet_properties_json(copied, position)


def _free_title(spreadsheet: Spreadsheet, title: str) -> str:
    if spreadsheet.sheet_by_title(title) is None:
        return title
    number = 2
    while spreadsheet.sheet_by_title(f"{title} {number}") is not None:
        number += 1
    return f"{title} {number}"
