"""The spreadsheet metadata pipesheet reads, parsed from ``spreadsheets.get``.

One request with :data:`SPREADSHEET_FIELDS` as its field mask returns the tabs
with their ids, sizes, merges, conditional formats, charts, protections and
developer metadata, and the spreadsheet's title, locale and time zone, but no
cell data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from config.errors import WorkbookBusyError
from rules.grid import column_letter

SPREADSHEET_FIELDS = (
    "spreadsheetId,"
    "properties(title,locale,timeZone),"
    "developerMetadata(metadataId,metadataKey,metadataValue),"
    "sheets(properties(sheetId,title,index,hidden,gridProperties),merges,"
    "conditionalFormats,charts(chartId),"
    "protectedRanges(protectedRangeId,range,warningOnly,description,"
    "requestingUserCanEdit),"
    "developerMetadata(metadataId,metadataKey,metadataValue))"
)

GENERATED_TAB_KEY = "pipesheet:generated-tab"
"""Developer metadata key on every tab pipesheet generated."""

WRITTEN_NAME = "name"
"""Key of the tab's name in the generated-tab metadata value (a JSON object).

Every other key names a cell type and maps to a list of ranges, so this
one, whose value is text, cannot be taken for one.
"""

MAX_COLUMNS = 18_278
"""The number of columns a Google Sheets tab can have, A to ZZZ."""

WRITE_MARKER_KEY = "pipesheet:last-write"
"""Spreadsheet-level developer metadata key whose value names pipesheet's last write."""


@dataclass(frozen=True)
class DeveloperMetadata:
    """One developer metadata entry: an id, a key and a value."""

    metadata_id: int
    key: str
    value: str


@dataclass(frozen=True)
class Rectangle:
    """A block of cells by 0-based, end-exclusive indexes; None ends are open."""

    start_row: int
    end_row: int | None
    start_column: int
    end_column: int | None

    def contains(self, row: int, column: int) -> bool:
        """Return True when the 0-based cell lies inside."""
        below_end = self.end_row is None or row < self.end_row
        left_of_end = self.end_column is None or column < self.end_column
        return (
            self.start_row <= row
            and below_end
            and self.start_column <= column
            and left_of_end
        )


@dataclass(frozen=True)
class TabInfo:
    """One tab's properties and the objects on it.

    ``conditional_formats`` are the API's ConditionalFormatRule objects in
    priority order (their index in the list is what delete requests name).
    """

    sheet_id: int
    title: str
    index: int
    rows: int
    columns: int
    frozen_rows: int = 0
    merges: list[Rectangle] = field(default_factory=list)
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)
    chart_ids: list[int] = field(default_factory=list)
    protected_ranges: list[dict[str, Any]] = field(default_factory=list)
    metadata: list[DeveloperMetadata] = field(default_factory=list)

    def find_metadata(self, key: str) -> DeveloperMetadata | None:
        """Return the tab's first developer metadata entry with ``key``."""
        return next((item for item in self.metadata if item.key == key), None)

    @property
    def is_generated(self) -> bool:
        """True when pipesheet's generated-tab metadata is on the tab."""
        return self.find_metadata(GENERATED_TAB_KEY) is not None

    def has_warning_protection(self) -> bool:
        """Return True when a warning-only protection covers the whole tab."""
        return any(
            item.get("warningOnly") and _covers_whole_tab(item.get("range") or {})
            for item in self.protected_ranges
        )

    def merge_at(self, row: int, column: int) -> Rectangle | None:
        """Return the merged block that contains a 0-based cell, if any."""
        return next(
            (merge for merge in self.merges if merge.contains(row, column)), None
        )


@dataclass(frozen=True)
class SpreadsheetInfo:
    """The spreadsheet's title, locale, time zone, tabs and own metadata."""

    spreadsheet_id: str
    title: str
    locale: str
    time_zone: str
    tabs: list[TabInfo]
    metadata: list[DeveloperMetadata] = field(default_factory=list)

    def find_tab(self, title: str) -> TabInfo | None:
        """Return the tab of that title, ignoring case as Google Sheets does."""
        folded = title.casefold()
        return next((tab for tab in self.tabs if tab.title.casefold() == folded), None)

    def find_tab_by_id(self, sheet_id: int) -> TabInfo | None:
        """Return the tab with that sheet id, whatever its title is now."""
        return next((tab for tab in self.tabs if tab.sheet_id == sheet_id), None)

    def find_metadata(self, key: str) -> DeveloperMetadata | None:
        """Return the first spreadsheet-level developer metadata entry with ``key``."""
        return next((item for item in self.metadata if item.key == key), None)

    def cell_count(self) -> int:
        """Return the grid cells of all tabs, filled or not."""
        return sum(tab.rows * tab.columns for tab in self.tabs)


def parse_spreadsheet(data: dict[str, Any]) -> SpreadsheetInfo:
    """Return the metadata in a ``spreadsheets.get`` response."""
    properties = data.get("properties") or {}
    tabs = [_parse_tab(sheet) for sheet in data.get("sheets") or []]
    return SpreadsheetInfo(
        spreadsheet_id=str(data.get("spreadsheetId", "")),
        title=str(properties.get("title", "")),
        locale=str(properties.get("locale", "")),
        time_zone=str(properties.get("timeZone", "")),
        tabs=sorted(tabs, key=lambda tab: tab.index),
        metadata=_parse_metadata(data.get("developerMetadata")),
    )


def _parse_tab(sheet: dict[str, Any]) -> TabInfo:
    properties = sheet.get("properties") or {}
    grid = properties.get("gridProperties") or {}
    return TabInfo(
        sheet_id=int(properties.get("sheetId", 0)),
        title=str(properties.get("title", "")),
        index=int(properties.get("index", 0)),
        rows=int(grid.get("rowCount", 0)),
        columns=int(grid.get("columnCount", 0)),
        frozen_rows=int(grid.get("frozenRowCount", 0)),
        merges=[parse_rectangle(merge) for merge in sheet.get("merges") or []],
        conditional_formats=list(sheet.get("conditionalFormats") or []),
        chart_ids=[int(chart["chartId"]) for chart in sheet.get("charts") or []],
        protected_ranges=list(sheet.get("protectedRanges") or []),
        metadata=_parse_metadata(sheet.get("developerMetadata")),
    )


def _parse_metadata(entries: Any) -> list[DeveloperMetadata]:
    return [
        DeveloperMetadata(
            int(entry.get("metadataId", 0)),
            str(entry.get("metadataKey", "")),
            str(entry.get("metadataValue", "")),
        )
        for entry in entries or []
    ]


def parse_rectangle(grid_range: dict[str, Any]) -> Rectangle:
    """Return a GridRange as a :class:`Rectangle`; missing ends are open."""
    end_row = grid_range.get("endRowIndex")
    end_column = grid_range.get("endColumnIndex")
    return Rectangle(
        start_row=int(grid_range.get("startRowIndex", 0)),
        end_row=None if end_row is None else int(end_row),
        start_column=int(grid_range.get("startColumnIndex", 0)),
        end_column=None if end_column is None else int(end_column),
    )


def _covers_whole_tab(grid_range: dict[str, Any]) -> bool:
    rectangle = parse_rectangle(grid_range)
    return rectangle == Rectangle(0, None, 0, None)


def grid_range(
    sheet_id: int,
    start_row: int,
    end_row: int | None,
    start_column: int,
    end_column: int | None,
) -> dict[str, Any]:
    """Return a GridRange; a None end leaves that side open."""
    found: dict[str, Any] = {
        "sheetId": sheet_id,
        "startRowIndex": start_row,
        "startColumnIndex": start_column,
    }
    if end_row is not None:
        found["endRowIndex"] = end_row
    if end_column is not None:
        found["endColumnIndex"] = end_column
    return found


def quote_title(title: str) -> str:
    """Return a tab title quoted for A1 notation: ``Bob's`` → ``'Bob''s'``."""
    return "'" + title.replace("'", "''") + "'"


def a1_rows(title: str, first_row: int, last_column: int) -> str:
    """Return the A1 range from column A of ``first_row`` (1-based) to the last row.

    ``a1_rows("Deals", 3, 10)`` → ``'Deals'!A3:K``.
    """
    return f"{quote_title(title)}!A{first_row}:{column_letter(last_column)}"


def read_generated_types(tab: TabInfo) -> dict[str, list[str]]:
    """Return the typed cells recorded in a generated tab's metadata, by type.

    The value is JSON such as ``{"date": ["G4:G9"], "name": "Funnel"}``;
    anything else gives an empty result, so the tab is compared as plain
    numbers and rewritten.
    """
    return {
        str(kind): [str(item) for item in ranges]
        for kind, ranges in _generated_tab_record(tab).items()
        if isinstance(ranges, list)
    }


def read_written_name(tab: TabInfo) -> str | None:
    """Return the name pipesheet last wrote the generated tab under, if recorded.

    Versions before the name was recorded give None, as does a value that is
    not the expected JSON.
    """
    name = _generated_tab_record(tab).get(WRITTEN_NAME)
    return name if isinstance(name, str) else None


def _generated_tab_record(tab: TabInfo) -> dict[str, Any]:
    entry = tab.find_metadata(GENERATED_TAB_KEY)
    if entry is None:
        return {}
    try:
        recorded = json.loads(entry.value or "{}")
    except ValueError:
        return {}
    return recorded if isinstance(recorded, dict) else {}


def changed_tab_error(
    title: str, spreadsheet: str, now: TabInfo | None, setting: str
) -> WorkbookBusyError:
    """Return the error for a tab the run reads that was renamed or deleted meanwhile.

    :param now: the tab with the same sheet id as read now, or None if deleted.
    :param setting: the definition's setting that names the tab.
    """
    if now is None:
        return WorkbookBusyError(
            f"Tab {title!r} of spreadsheet {spreadsheet!r} was deleted while "
            "pipesheet was running, so nothing was written. Restore it (File > "
            f"Version history) or point {setting} at the right tab, then run again."
        )
    return WorkbookBusyError(
        f"Tab {title!r} of spreadsheet {spreadsheet!r} was renamed to "
        f"{now.title!r} while pipesheet was running, so nothing was written. "
        f"Rename it back, or set {setting} to the new name, then run again."
    )
