"""``spreadsheets.batchUpdate``: apply a list of requests atomically.

Each request is an object with one key naming its kind. Replies come back in
order; kinds without a reply type reply ``{}``. When a request is invalid the
whole batch is dropped and the error names the request:
``Invalid requests[0].updateSheetProperties: You can't hide all the sheets...``.
"""

from __future__ import annotations

import logging
from typing import Any

from tests.fake_sheets.batch_context import BatchContext, Handler, RequestProblem
from tests.fake_sheets.call import Call
from tests.fake_sheets.errors import ApiError, invalid_argument, unknown_field
from tests.fake_sheets.metadata import spreadsheet_json
from tests.fake_sheets.ranges import RangeProblem, resolve
from tests.fake_sheets.requests_cells import CELL_REQUESTS
from tests.fake_sheets.requests_layout import LAYOUT_REQUESTS
from tests.fake_sheets.requests_objects import OBJECT_REQUESTS
from tests.fake_sheets.requests_sheets import SHEET_REQUESTS

logger = logging.getLogger(__name__)

HANDLERS: dict[str, Handler] = {
    **SHEET_REQUESTS,
    **CELL_REQUESTS,
    **LAYOUT_REQUESTS,
    **OBJECT_REQUESTS,
}

API_REQUEST_KINDS = frozenset(
    {
        "addBanding",
        "addChart",
        "addConditionalFormatRule",
        "addDataSource",
        "addDimensionGroup",
        "addFilterView",
        "addNamedRange",
        "addProtectedRange",
        "addSheet",
        "addSlicer",
        "addTable",
        "appendCells",
        "appendDimension",
        "autoFill",
        "autoResizeDimensions",
        "cancelDataSourceRefresh",
        "clearBasicFilter",
        "copyPaste",
        "createDeveloperMetadata",
        "cutPaste",
        "deleteBanding",
        "deleteConditionalFormatRule",
        "deleteDataSource",
        "deleteDeveloperMetadata",
        "deleteDimension",
        "deleteDimensionGroup",
        "deleteDuplicates",
        "deleteEmbeddedObject",
        "deleteFilterView",
        "deleteNamedRange",
        "deleteProtectedRange",
        "deleteRange",
        "deleteSheet",
        "deleteTable",
        "duplicateFilterView",
        "duplicateSheet",
        "findReplace",
        "insertDimension",
        "insertRange",
        "mergeCells",
        "moveDimension",
        "pasteData",
        "randomizeRange",
        "refreshDataSource",
        "repeatCell",
        "setBasicFilter",
        "setDataValidation",
        "sortRange",
        "textToColumns",
        "trimWhitespace",
        "unmergeCells",
        "updateBanding",
        "updateBorders",
        "updateCells",
        "updateChartSpec",
        "updateConditionalFormatRule",
        "updateDataSource",
        "updateDeveloperMetadata",
        "updateDimensionGroup",
        "updateDimensionProperties",
        "updateEmbeddedObjectBorder",
        "updateEmbeddedObjectPosition",
        "updateFilterView",
        "updateNamedRange",
        "updateProtectedRange",
        "updateSheetProperties",
        "updateSlicerSpec",
        "updateSpreadsheetProperties",
        "updateTable",
    }
)
"""Every request kind of the Sheets API v4 Request union, as of 2025."""


def batch_update(call: Call, spreadsheet_id: str) -> dict[str, Any]:
    """Serve ``POST /v4/spreadsheets/{id}:batchUpdate``."""
    body = call.json_body()
    requests = body.get("requests") or []
    if not isinstance(requests, list):
        raise invalid_argument("Invalid value at 'requests': expected a list.")

    with call.store.change(spreadsheet_id, call.user) as spreadsheet:
        context = BatchContext(call.store, spreadsheet, call.user)
        replies = [
            _apply(context, index, request) for index, request in enumerate(requests)
        ]
        response: dict[str, Any] = {"spreadsheetId": spreadsheet_id, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            areas = [
                resolve(spreadsheet, text) for text in body.get("responseRanges") or []
            ]
            with_data = bool(body.get("responseIncludeGridData"))
            response["updatedSpreadsheet"] = spreadsheet_json(
                spreadsheet, areas, with_data=with_data
            )
    return response


def _apply(context: BatchContext, index: int, request: Any) -> dict[str, Any]:
    if not isinstance(request, dict) or len(request) != 1:
        raise invalid_argument(
            f"Invalid requests[{index}]: a request must set exactly one kind of update."
        )
    kind, payload = next(iter(request.items()))
    handler = HANDLERS.get(kind)
    if handler is None:
        raise _unserved(index, kind)

    logger.debug("batchUpdate request %d: %s", index, kind)
    try:
        reply = handler(context, payload or {})
    except (RequestProblem, RangeProblem) as problem:
        raise ApiError(400, f"Invalid requests[{index}].{kind}: {problem}") from None
    return {kind: reply} if reply is not None else {}


def _unserved(index: int, kind: str) -> ApiError:
    if kind not in API_REQUEST_KINDS:
        return unknown_field(kind, f"requests[{index}]")
    return ApiError(
        400,
        f"Invalid requests[{index}].{kind}: the fake Sheets API does not implement "
        f"'{kind}'; add it to tests/fake_sheets or avoid it.",
    )
