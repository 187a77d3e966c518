"""batchUpdate requests on objects: named ranges, protected ranges, conditional
formats, charts and developer metadata."""

from __future__ import annotations

import copy
import re
from typing import Any

from tests.fake_sheets.batch_context import BatchContext, Handler, RequestProblem
from tests.fake_sheets.developer_metadata import (
    VISIBILITIES,
    checked_location,
    matching,
)
from tests.fake_sheets.fields import apply_update, without_nulls
from tests.fake_sheets.formats import normalize_format
from tests.fake_sheets.metadata import metadata_json, named_range_json
from tests.fake_sheets.ranges import render_grid_ranges_within, stored_grid_range
from tests.fake_sheets.requests_sheets import request_mask
from tests.fake_sheets.store import Sheet

_NAMED_RANGE_NAME = re.compile(r"[^\W\d]\w*")
_CELL_LIKE = re.compile(r"^(?:[A-Za-z]{1,3}\d+|[Rr]\d+[Cc]\d+)$")


def _checked_range(context: BatchContext, grid_range: Any) -> dict[str, Any]:
    if not isinstance(grid_range, dict):
        raise RequestProblem("range is required.")
    context.area(grid_range)
    return stored_grid_range(grid_range)


def _check_name(context: BatchContext, name: Any, named_range_id: Any) -> str:
    if (
        not isinstance(name, str)
        or not _NAMED_RANGE_NAME.fullmatch(name)
        or _CELL_LIKE.match(name)
    ):
        raise RequestProblem(f"Named range name {name!r} is not valid.")
    for named in context.spreadsheet.named_ranges:
        if (
            named["name"].casefold() == name.casefold()
            and named["namedRangeId"] != named_range_id
        ):
            raise RequestProblem(
                f'A named range with the name "{name}" already exists.'
            )
    return name


def add_named_range(context: BatchContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Add a named range; its id is a string of digits, as the API makes them."""
    requested = payload.get("namedRange") or {}
    named_range_id = str(requested.get("namedRangeId") or context.new_id())
    named = {
        "namedRangeId": named_range_id,
        "name": _check_name(context, requested.get("name"), named_range_id),
        "range": _checked_range(context, requested.get("range")),
    }
    context.spreadsheet.named_ranges.append(named)
    return {"namedRange": named_range_json(named)}


def _named_range(context: BatchContext, named_range_id: Any) -> dict[str, Any]:
    for named in context.spreadsheet.named_ranges:
        if named["namedRangeId"] == str(named_range_id):
            return named
    raise RequestProblem(f"No named range with id {named_range_id}.")


def update_named_range(context: BatchContext, payload: dict[str, Any]) -> None:
    """Update the masked fields (name, range) of a named range."""
    requested = payload.get("namedRange") or {}
    named = _named_range(context, requested.get("namedRangeId"))
    mask = request_mask(payload)
    updated = copy.deepcopy(named)
    apply_update(updated, requested, mask)
    _check_name(context, updated.get("name"), named["namedRangeId"])
    updated["range"] = _checked_range(context, updated.get("range"))
    updated["namedRangeId"] = named["namedRangeId"]
    named.clear()
    named.update(updated)


def delete_named_range(context: BatchContext, payload: dict[str, Any]) -> None:
    """Delete a named range by id."""
    named = _named_range(context, payload.get("namedRangeId"))
    context.spreadsheet.named_ranges.remove(named)


def _protection_sheet(context: BatchContext, protected: dict[str, Any]) -> Sheet:
    if protected.get("range") is not None:
        return context.sheet(protected["range"].get("sheetId"))
    named_range_id = protected.get("namedRangeId")
    if named_range_id is None:
        raise RequestProblem("A protected range needs a range or a namedRangeId.")
    return context.sheet(_named_range(context, named_range_id)["range"].get("sheetId"))


def add_protected_range(
    context: BatchContext, payload: dict[str, Any]
) -> dict[str, Any]:
    """Protect a range or a whole tab.

    The caller is always added to the editors, as the API does when a service
    account sends empty editor lists. The reply echoes the requested editors
    without empty lists; NOTE: with non-empty editor lists in the request the
    reply's exact content is an inference.
    """
    requested = without_nulls(payload.get("protectedRange") or {})
    sheet = _protection_sheet(context, requested)
    protected_range_id = int(requested.get("protectedRangeId") or context.new_id())
    if any(p["protectedRangeId"] == protected_range_id for p in sheet.protected_ranges):
        raise RequestProblem(
            f"A protected range with id {protected_range_id} already exists."
        )

    stored = _stored_protection(context, sheet, requested, protected_range_id)
    sheet.protected_ranges.append(stored)
    reply = copy.deepcopy(stored)
    reply["editors"] = {
        key: value for key, value in (requested.get("editors") or {}).items() if value
    }
    return {"protectedRange": render_grid_ranges_within(reply)}


def _stored_protection(
    context: BatchContext,
    sheet: Sheet,
    requested: dict[str, Any],
    protected_range_id: int,
) -> dict[str, Any]:
    stored: dict[str, Any] = {"protectedRangeId": protected_range_id}
    if requested.get("range") is not None:
        stored["range"] = _checked_range(
            context, {"sheetId": sheet.sheet_id, **requested["range"]}
        )
    if requested.get("namedRangeId") is not None:
        stored["namedRangeId"] = str(requested["namedRangeId"])
    if requested.get("description"):
        stored["description"] = requested["description"]
    if requested.get("warningOnly"):
        stored["warningOnly"] = True
    stored["requestingUserCanEdit"] = True
    unprotected = requested.get("unprotectedRanges") or []
    if unprotected:
        stored["unprotectedRanges"] = [
            _checked_range(context, item) for item in unprotected
        ]

    editors = requested.get("editors") or {}
    users = [context.user] + [
        user for user in editors.get("users", []) if user != context.user
    ]
    stored["editors"] = {"users": users}
    if editors.get("groups"):
        stored["editors"]["groups"] = list(editors["groups"])
    if editors.get("domainUsersCanEdit"):
        stored["editors"]["domainUsersCanEdit"] = True
    return stored


def _protected_range(
    context: BatchContext, protected_range_id: Any
) -> tuple[Sheet, dict[str, Any]]:
    for sheet in context.spreadsheet.sheets:
        for protected in sheet.protected_ranges:
            if protected["protectedRangeId"] == int(protected_range_id or 0):
                return sheet, protected
    raise RequestProblem(f"No protected range with id: {protected_range_id}")


def update_protected_range(context: BatchContext, payload: dict[str, Any]) -> None:
    """Update the masked fields of a protected range (description, warningOnly...)."""
    requested = without_nulls(payload.get("protectedRange") or {})
    sheet, protected = _protected_range(context, requested.get("protectedRangeId"))
    mask = request_mask(payload)
    updated = copy.deepcopy(protected)
    apply_update(updated, requested, mask)
    if "range" in updated:
        updated["range"] = _checked_range(
            context, {"sheetId": sheet.sheet_id, **updated["range"]}
        )
    if not updated.get("warningOnly"):
        updated.pop("warningOnly", None)
    updated["protectedRangeId"] = protected["protectedRangeId"]
    protected.clear()
    protected.update(updated)


def delete_protected_range(context: BatchContext, payload: dict[str, Any]) -> None:
    """Remove a protected range by id."""
    sheet, protected = _protected_range(context, payload.get("protectedRangeId"))
    sheet.protected_ranges.remove(protected)


def _stored_rule(context: BatchContext, rule: Any) -> tuple[Sheet, dict[str, Any]]:
    if not isinstance(rule, dict) or not rule.get("ranges"):
        raise RequestProblem("A conditional format rule needs at least one range.")
    stored = without_nulls(copy.deepcopy(rule))
    stored["ranges"] = [_checked_range(context, item) for item in rule["ranges"]]
    sheet_ids = {item["sheetId"] for item in stored["ranges"]}
    if len(sheet_ids) != 1:
        raise RequestProblem(
            "All ranges of a conditional format rule must be on one sheet."
        )
    for kind in ("booleanRule",):
        if isinstance(stored.get(kind, {}).get("format"), dict):
            stored[kind]["format"] = normalize_format(stored[kind]["format"])
    return context.sheet(sheet_ids.pop()), stored


def add_conditional_format_rule(context: BatchContext, payload: dict[str, Any]) -> None:
    """Insert a conditional format rule at ``index`` (0 = highest priority)."""
    sheet, stored = _stored_rule(context, payload.get("rule"))
    index = int(payload.get("index", 0))
    if not 0 <= index <= len(sheet.conditional_formats):
        raise RequestProblem(f"index {index} is out of range.")
    sheet.conditional_formats.insert(index, stored)


def _rule_at(context: BatchContext, payload: dict[str, Any]) -> tuple[Sheet, int]:
    sheet = context.sheet(payload.get("sheetId"))
    index = int(payload.get("index", 0))
    if not 0 <= index < len(sheet.conditional_formats):
        raise RequestProblem(f"No conditional format rule at index {index}.")
    return sheet, index


def update_conditional_format_rule(
    context: BatchContext, payload: dict[str, Any]
) -> dict[str, Any]:
    """Replace a rule at ``index``, or move it to ``newIndex``."""
    sheet, index = _rule_at(context, payload)
    old_rule = sheet.conditional_formats[index]
    new_index = index
    if payload.get("rule") is not None:
        _, new_rule = _stored_rule(context, payload["rule"])
        sheet.conditional_formats[index] = new_rule
    else:
        new_index = int(payload.get("newIndex", index))
        if not 0 <= new_index < len(sheet.conditional_formats):
            raise RequestProblem(f"newIndex {new_index} is out of range.")
        sheet.conditional_formats.insert(
            new_index, sheet.conditional_formats.pop(index)
        )
    reply: dict[str, Any] = {
        "newRule": render_grid_ranges_within(sheet.conditional_formats[new_index]),
        "oldRule": render_grid_ranges_within(old_rule),
        "newIndex": new_index,
        "oldIndex": index,
    }
    return {key: value for key, value in reply.items() if value != 0}


def delete_conditional_format_rule(
    context: BatchContext, payload: dict[str, Any]
) -> dict[str, Any]:
    """Delete the rule at ``index``; the reply contains the deleted rule."""
    sheet, index = _rule_at(context, payload)
    return {"rule": render_grid_ranges_within(sheet.conditional_formats.pop(index))}


def _chart_sheet(context: BatchContext, position: dict[str, Any]) -> Sheet:
    overlay = position.get("overlayPosition")
    if isinstance(overlay, dict):
        return context.sheet((overlay.get("anchorCell") or {}).get("sheetId"))
    if position.get("sheetId") is not None:
        return context.sheet(position["sheetId"])
    raise RequestProblem(
        "The fake supports charts placed with overlayPosition or sheetId; "
        "position.newSheet is not implemented."
    )


def add_chart(context: BatchContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Add an embedded chart to the tab its position names.

    NOTE: the overlay size defaults (600×371 px) are assumed, not recorded.
    """
    requested = without_nulls(copy.deepcopy(payload.get("chart") or {}))
    if not isinstance(requested.get("spec"), dict):
        raise RequestProblem("chart.spec is required.")
    position = requested.get("position") or {}
    sheet = _chart_sheet(context, position)
    overlay = position.get("overlayPosition")
    if isinstance(overlay, dict):
        overlay.setdefault("widthPixels", 600)
        overlay.setdefault("heightPixels", 371)
    chart_id = int(requested.get("chartId") or context.new_id())
    if any(
        chart["chartId"] == chart_id
        for other in context.spreadsheet.sheets
        for chart in other.charts
    ):
        raise RequestProblem(f"A chart with id {chart_id} already exists.")

    stored = {"chartId": chart_id, **requested}
    stored["position"] = position
    sheet.charts.append(stored)
    return {"chart": render_grid_ranges_within(stored)}


def _chart(context: BatchContext, chart_id: Any) -> tuple[Sheet, dict[str, Any]]:
    for sheet in context.spreadsheet.sheets:
        for chart in sheet.charts:
            if chart["chartId"] == int(chart_id or 0):
                return sheet, chart
    raise RequestProblem(f"No chart with id: {chart_id}")


def update_chart_spec(context: BatchContext, payload: dict[str, Any]) -> None:
    """Replace a chart's spec."""
    _, chart = _chart(context, payload.get("chartId"))
    if not isinstance(payload.get("spec"), dict):
        raise RequestProblem("spec is required.")
    chart["spec"] = without_nulls(copy.deepcopy(payload["spec"]))


def delete_embedded_object(context: BatchContext, payload: dict[str, Any]) -> None:
    """Delete a chart by its object id."""
    sheet, chart = _chart(context, payload.get("objectId"))
    sheet.charts.remove(chart)


def create_developer_metadata(
    context: BatchContext, payload: dict[str, Any]
) -> dict[str, Any]:
    """Attach developer metadata to the spreadsheet, a tab, a row or a column."""
    requested = payload.get("developerMetadata") or {}
    if not requested.get("metadataKey"):
        raise RequestProblem("developerMetadata.metadataKey is required.")
    if requested.get("visibility") not in VISIBILITIES:
        raise RequestProblem(
            f"developerMetadata.visibility must be one of {VISIBILITIES}."
        )
    metadata_id = int(requested.get("metadataId") or context.new_id())
    if metadata_id <= 0 or any(
        item["metadataId"] == metadata_id
        for item in context.spreadsheet.developer_metadata
    ):
        raise RequestProblem(f"Metadata id {metadata_id} is invalid or already in use.")

    stored: dict[str, Any] = {
        "metadataId": metadata_id,
        "metadataKey": requested["metadataKey"],
    }
    if requested.get("metadataValue") is not None:
        stored["metadataValue"] = requested["metadataValue"]
    stored["location"] = checked_location(
        context.spreadsheet, requested.get("location")
    )
    stored["visibility"] = requested["visibility"]
    context.spreadsheet.developer_metadata.append(stored)
    return {"developerMetadata": metadata_json(stored)}


def update_developer_metadata(
    context: BatchContext, payload: dict[str, Any]
) -> dict[str, Any]:
    """Update the masked fields of all metadata matching the data filters."""
    mask = request_mask(payload)
    found = matching(context.spreadsheet, payload.get("dataFilters") or [])
    if not found:
        raise RequestProblem("No developer metadata matched the data filters.")
    requested = payload.get("developerMetadata") or {}
    for item in found:
        apply_update(item, requested, mask)
        item["location"] = checked_location(context.spreadsheet, item.get("location"))
        if not item.get("metadataKey") or item.get("visibility") not in VISIBILITIES:
            raise RequestProblem(
                "Updated metadata needs a metadataKey and a visibility."
            )
    return {"developerMetadata": [metadata_json(item) for item in found]}


def delete_developer_metadata(
    context: BatchContext, payload: dict[str, Any]
) -> dict[str, Any]:
    """Delete all metadata matching the data filter."""
    found = matching(context.spreadsheet, [payload.get("dataFilter") or {}])
    remaining = [
        item for item in context.spreadsheet.developer_metadata if item not in found
    ]
    context.spreadsheet.developer_metadata = remaining
    if not found:
        return {}
    return {"deletedDeveloperMetadata": [metadata_json(item) for item in found]}


OBJECT_REQUESTS: dict[str, Handler] = {
    "addNamedRange": add_named_range,
    "updateNamedRange": update_named_range,
    "deleteNamedRange": delete_named_range,
    "addProtectedRange": add_protected_range,
    "updateProtectedRange": update_protected_range,
    "deleteProtectedRange": delete_protected_range,
    "addConditionalFormatRule": add_conditional_format_rule,
    "updateConditionalFormatRule": update_conditional_format_rule,
    "deleteConditionalFormatRule": delete_conditional_format_rule,
    "addChart": add_chart,
    "updateChartSpec": update_chart_spec,
    "deleteEmbeddedObject": delete_embedded_object,
    "createDeveloperMetadata": create_developer_metadata,
    "updateDeveloperMetadata": update_developer_metadata,
    "deleteDeveloperMetadata": delete_developer_metadata,
}
