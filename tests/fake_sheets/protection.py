"""Protected ranges: who may edit which cells.

A protection with ``warningOnly`` only warns in the UI, so API writes pass. A hard
protection lets only its editors (and the spreadsheet owner) change its cells. A
protection without ``range`` bounds covers the whole tab, minus its
``unprotectedRanges``.
NOTE: the API's status for writing a protected cell is not confirmed (the v3 API
returned 400), so the fake returns 403 PERMISSION_DENIED with Google's message.
``spreadsheets.get`` shows ``requestingUserCanEdit`` for the caller, and the
``editors`` only to a caller who may edit the range, as the API documents.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.fake_sheets.errors import ApiError
from tests.fake_sheets.ranges import Area
from tests.fake_sheets.store import Spreadsheet

PROTECTED_MESSAGE = (
    "You are trying to edit a protected cell or object. Please contact the "
    "spreadsheet owner to remove protection if you need to edit."
)


def check_can_edit(spreadsheet: Spreadsheet, area: Area, user: str) -> None:
    """Raise 403 if ``user`` may not change some cell of ``area``."""
    for protected in area.sheet.protected_ranges:
        if may_edit(spreadsheet, protected, user):
            continue
        if _overlaps(protected.get("range", {}), area) and not _exempt(protected, area):
            raise ApiError(403, PROTECTED_MESSAGE)


def may_edit(spreadsheet: Spreadsheet, protected: dict[str, Any], user: str) -> bool:
    """Return whether ``user`` may change the cells of one protected range."""
    return (
        user == spreadsheet.owner
        or bool(protected.get("warningOnly"))
        or user in protected.get("editors", {}).get("users", [])
    )


def protections_seen_by(
    spreadsheet: Spreadsheet, protections: list[dict[str, Any]], user: str
) -> list[dict[str, Any]]:
    """Return protected ranges as ``user`` reads them, with their own permission."""
    seen = []
    for protected in protections:
        rendered = copy.deepcopy(protected)
        rendered["requestingUserCanEdit"] = may_edit(spreadsheet, protected, user)
        if not rendered["requestingUserCanEdit"]:
            rendered.pop("editors", None)
        seen.append(rendered)
    return seen


def _overlaps(grid_range: dict[str, Any], area: Area) -> bool:
    return bool(
        grid_range.get("startRowIndex", 0) < area.end_row
        and area.start_row < grid_range.get("endRowIndex", area.sheet.row_count)
        and grid_range.get("startColumnIndex", 0) < area.end_column
        and area.start_column
        < grid_range.get("endColumnIndex", area.sheet.column_count)
    )


def _exempt(protected: dict[str, Any], area: Area) -> bool:
    """Return whether an unprotected range inside the protection covers the area."""
    for unprotected in protected.get("unprotectedRanges", []):
        if (
            unprotected.get("startRowIndex", 0) <= area.start_row
            and area.end_row <= unprotected.get("endRowIndex", area.sheet.row_count)
            and unprotected.get("startColumnIndex", 0) <= area.start_column
            and area.end_column
            <= unprotected.get("endColumnIndex", area.sheet.column_count)
        ):
            return True
    return False
