"""Developer metadata: key/value tags on the spreadsheet, a tab, a row or a column.

Stored in the shape the API prints, with ``location.locationType`` filled in.
Row and column tags move with their row or column (see :mod:`dimensions`) and
are deleted with it. Tab tags follow the tab through renames because they store
its id.
Lookups use ``developerMetadataLookup`` data filters; ``a1Range`` and
``gridRange`` filters are not supported by the fake.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.fake_sheets.batch_context import RequestProblem
from tests.fake_sheets.call import Call
from tests.fake_sheets.errors import ApiError, invalid_argument
from tests.fake_sheets.metadata import metadata_json
from tests.fake_sheets.store import Spreadsheet

VISIBILITIES = ("DOCUMENT", "PROJECT")


def checked_location(spreadsheet: Spreadsheet, location: Any) -> dict[str, Any]:
    """Return a DeveloperMetadataLocation with its ``locationType``, or raise."""
    if not isinstance(location, dict):
        raise RequestProblem("developerMetadata.location is required.")
    if location.get("spreadsheet"):
        return {"locationType": "SPREADSHEET", "spreadsheet": True}
    if location.get("sheetId") is not None:
        sheet_id = int(location["sheetId"])
        if spreadsheet.sheet_by_id(sheet_id) is None:
            raise RequestProblem(f"No grid with id: {sheet_id}")
        return {"locationType": "SHEET", "sheetId": sheet_id}
    dimension_range = location.get("dimensionRange")
    if isinstance(dimension_range, dict):
        return _dimension_location(spreadsheet, dimension_range)
    raise RequestProblem(
        "developerMetadata.location must set spreadsheet, sheetId or dimensionRange."
    )


def _dimension_location(
    spreadsheet: Spreadsheet, dimension_range: dict[str, Any]
) -> dict[str, Any]:
    sheet_id = int(dimension_range.get("sheetId", 0))
    sheet = spreadsheet.sheet_by_id(sheet_id)
    if sheet is None:
        raise RequestProblem(f"No grid with id: {sheet_id}")
    dimension = dimension_range.get("dimension")
    start = dimension_range.get("startIndex")
    end = dimension_range.get("endIndex")
    if dimension not in ("ROWS", "COLUMNS") or start is None or end != start + 1:
        raise RequestProblem(
            "A metadata dimensionRange must name ROWS or COLUMNS and span exactly one "
            f"row or column; got {dimension_range!r}."
        )
    size = sheet.row_count if dimension == "ROWS" else sheet.column_count
    if not 0 <= int(start) < size:
        raise RequestProblem(f"dimensionRange index {start} is outside the grid.")
    return {
        "locationType": "ROW" if dimension == "ROWS" else "COLUMN",
        "dimensionRange": {
            "sheetId": sheet_id,
            "dimension": dimension,
            "startIndex": int(start),
            "endIndex": int(end),
        },
    }


def matches(item: dict[str, Any], data_filter: dict[str, Any]) -> bool:
    """Return whether stored metadata matches a DataFilter."""
    lookup = data_filter.get("developerMetadataLookup")
    if not isinstance(lookup, dict):
        raise RequestProblem(
            "The fake supports only developerMetadataLookup data filters; got "
            f"{sorted(data_filter)!r}."
        )
    for key in ("metadataId", "metadataKey", "metadataValue", "visibility"):
        if lookup.get(key) is not None and item.get(key) != lookup[key]:
            return False
    location = item["location"]
    if (
        lookup.get("locationType")
        and location["locationType"] != lookup["locationType"]
    ):
        return False
    requested = lookup.get("metadataLocation")
    if isinstance(requested, dict):
        return _location_matches(
            location, requested, lookup.get("locationMatchingStrategy")
        )
    return True


def _location_matches(
    location: dict[str, Any], requested: dict[str, Any], strategy: str | None
) -> bool:
    if requested.get("spreadsheet"):
        return bool(
            location["locationType"] == "SPREADSHEET"
            or strategy == "INTERSECTING_LOCATION"
        )
    if requested.get("sheetId") is not None:
        sheet_id = int(requested["sheetId"])
        if location.get("sheetId") == sheet_id:
            return True
        in_sheet = location.get("dimensionRange", {}).get("sheetId") == sheet_id
        return bool(in_sheet and strategy == "INTERSECTING_LOCATION")
    requested_range = requested.get("dimensionRange")
    actual_range = location.get("dimensionRange")
    if not isinstance(requested_range, dict) or not isinstance(actual_range, dict):
        return False
    return bool(
        int(requested_range.get("sheetId", 0)) == actual_range["sheetId"]
        and requested_range.get("dimension") == actual_range["dimension"]
        and requested_range.get("startIndex", 0) <= actual_range["startIndex"]
        and actual_range["endIndex"]
        <= requested_range.get("endIndex", actual_range["endIndex"])
    )


def matching(spreadsheet: Spreadsheet, data_filters: list[Any]) -> list[dict[str, Any]]:
    """Return stored metadata matching any of the filters, in creation order."""
    return [
        item
        for item in spreadsheet.developer_metadata
        if any(matches(item, data_filter) for data_filter in data_filters)
    ]


def search(call: Call, spreadsheet_id: str) -> dict[str, Any]:
    """Serve ``POST /v4/spreadsheets/{id}/developerMetadata:search``."""
    spreadsheet = call.store.open(spreadsheet_id, call.user, write=False)
    data_filters = call.json_body().get("dataFilters") or []
    found = []
    try:
        for item in spreadsheet.developer_metadata:
            matched = [f for f in data_filters if matches(item, f)]
            if matched:
                found.append(
                    {
                        "developerMetadata": metadata_json(item),
                        "dataFilters": copy.deepcopy(matched),
                    }
                )
    except RequestProblem as problem:
        raise invalid_argument(str(problem)) from None
    return {"matchedDeveloperMetadata": found} if found else {}


def get(call: Call, spreadsheet_id: str, metadata_id: str) -> dict[str, Any]:
    """Serve ``GET /v4/spreadsheets/{id}/developerMetadata/{metadataId}``."""
    spreadsheet = call.store.open(spreadsheet_id, call.user, write=False)
    for item in spreadsheet.developer_metadata:
        if str(item["metadataId"]) == metadata_id:
            return metadata_json(item)
    raise ApiError(404, f"No developer metadata with id {metadata_id}.")
