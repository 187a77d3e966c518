"""Protected ranges that keep the service account from writing its cells.

A hard protection (``warningOnly`` false) in Google Sheets lets only its
editors change the cells it covers, so a write to them fails even though the
service account is an Editor of the spreadsheet. Google's error does not say
which protection it was, but the metadata does: each protected range carries
``requestingUserCanEdit``, which is false when the caller is not one of its
editors. A warning-only protection is taken not to block API writes, because
it only warns in the browser (inferred, not seen in recorded traffic).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from config.errors import SourceError
from rules.grid import column_letter
from sync.sources.sheets_retry import SheetsRequestError
from sync.sources.sheets_state import (
    Rectangle,
    SpreadsheetInfo,
    TabInfo,
    parse_rectangle,
)

# Part of Google's message for a write to a protected cell: "You are trying to
# edit a protected cell or object. Please contact the spreadsheet owner ...".
PROTECTED_CELL_TEXT = "protected cell"
PROTECTION_MENU = "Data > Protect sheets and ranges"


@dataclass(frozen=True)
class WriteTarget:
    """Cells pipesheet writes on one tab; ``area`` None means the whole tab."""

    tab: str
    area: Rectangle | None = None


def is_protected_cell_error(error: SheetsRequestError) -> bool:
    """Return True when Google refused a write because it touched a protected cell.

    The old API returned 400 for such a write and v4 is not confirmed to use
    403, so both are accepted.
    """
    return error.status in (400, 403) and PROTECTED_CELL_TEXT in error.api_message


def locked_protections(
    info: SpreadsheetInfo, targets: Sequence[WriteTarget], *, known_only: bool = True
) -> list[str]:
    """Describe the hard protections over ``targets`` that the caller may not edit.

    :param known_only: list only protections whose ``requestingUserCanEdit``
        is false. With False, every hard protection over the targets is listed.
        That is for when Google already reported that one of them blocked a
        write.
    """
    found: list[str] = []
    for target in targets:
        tab = info.find_tab(target.tab)
        if tab is None:
            continue
        for protected in tab.protected_ranges:
            if protected.get("warningOnly"):
                continue
            if known_only and protected.get("requestingUserCanEdit", True):
                continue
            if _overlaps(protected, target.area):
                found.append(describe_protection(tab, protected))
    return found


def describe_protection(tab: TabInfo, protected: dict[str, Any]) -> str:
    """Describe a protected range as the Google Sheets panel of protections does.

    For example ``the whole tab 'Deals' ("locked by sales ops")`` or
    ``range H1:H1000 of tab 'Deals'``, with open ends at the tab's edges.
    """
    grid_range = protected.get("range")
    if grid_range is None:
        where = f"a named range of tab {tab.title!r}"
    elif parse_rectangle(grid_range) == Rectangle(0, None, 0, None):
        where = f"the whole tab {tab.title!r}"
    else:
        where = f"range {_a1(parse_rectangle(grid_range), tab)} of tab {tab.title!r}"
    description = protected.get("description")
    return f'{where} ("{description}")' if description else where


def protection_error(
    spreadsheet: str, account: str | None, protections: Sequence[str], reason: str
) -> SourceError:
    """Return the error for protections that keep the service account out.

    :param account: the service account's e-mail address, when known.
    :param protections: descriptions from :func:`locked_protections`; empty
        when the metadata did not show which protection it was.
    :param reason: what happened or would happen, as a sentence.
    """
    account_name = (
        f"the service account {account}" if account else "the service account"
    )
    add = account or "the service account's e-mail address (client_email)"
    if not protections:
        return SourceError(
            f"A protected range in spreadsheet {spreadsheet!r} keeps {account_name} "
            f"from writing. {reason} In Google Sheets, open {PROTECTION_MENU}, find "
            f"the protection over pipesheet's status column or generated tabs, "
            f"and add {add} to its editors or remove it. Then run again."
        )

    listed = "; ".join(protections)
    noun = "protection" if len(protections) == 1 else "protections"
    return SourceError(
        f"Spreadsheet {spreadsheet!r} has a protected range that {account_name} "
        f"may not edit: {listed}. {reason} In Google Sheets, open "
        f"{PROTECTION_MENU}, and add {add} to the editors of that {noun} or "
        "remove it. Then run again."
    )


def _overlaps(protected: dict[str, Any], area: Rectangle | None) -> bool:
    grid_range = protected.get("range")
    if area is None or grid_range is None:
        return True
    rectangle = parse_rectangle(grid_range)
    return _spans_overlap(
        rectangle.start_row, rectangle.end_row, area.start_row, area.end_row
    ) and _spans_overlap(
        rectangle.start_column,
        rectangle.end_column,
        area.start_column,
        area.end_column,
    )


def _spans_overlap(
    start: int, end: int | None, other_start: int, other_end: int | None
) -> bool:
    return (other_end is None or start < other_end) and (
        end is None or other_start < end
    )


def _a1(rectangle: Rectangle, tab: TabInfo) -> str:
    end_row = tab.rows if rectangle.end_row is None else rectangle.end_row
    end_column = tab.columns if rectangle.end_column is None else rectangle.end_column
    first = f"{column_letter(rectangle.start_column)}{rectangle.start_row + 1}"
    return f"{first}:{column_letter(max(end_column - 1, 0))}{end_row}"
