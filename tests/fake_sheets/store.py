"""The in-memory state behind the fake: spreadsheets, their tabs, cells and objects.

Objects the API exposes as JSON (sheet properties, protected ranges, conditional
formats, charts, named ranges, developer metadata) are kept in their JSON shape, so
field masks and update requests apply to them directly. Cells are immutable
:class:`Cell` values in a sparse dict, so a spreadsheet is cheap to snapshot before
an atomic batch and to restore when the batch fails.
"""

from __future__ import annotations

import copy
import random
import string
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from tests.fake_sheets.errors import ApiError

DEFAULT_USER = "pipesheet-test@pipesheet-test.iam.gserviceaccount.com"
DEFAULT_ROWS = 1000
DEFAULT_COLUMNS = 26
DEFAULT_ROW_PIXELS = 21
DEFAULT_COLUMN_PIXELS = 100
MAX_CELLS = 10_000_000
"""Maximum cells (filled or not) in a spreadsheet, per Google's published limit."""

SPREADSHEET_MIME_TYPE = "application/vnd.google-apps.spreadsheet"

DEFAULT_FORMAT: dict[str, Any] = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {
        "foregroundColor": {},
        "fontFamily": "arial,sans,sans-serif",
        "fontSize": 10,
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "foregroundColorStyle": {"rgbColor": {}},
    },
    "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
}
"""The spreadsheet-wide default cell format a new spreadsheet reports."""

DEFAULT_THEME: dict[str, Any] = {
    "primaryFontFamily": "Arial",
    "themeColors": [
        {"colorType": "TEXT", "color": {"rgbColor": {}}},
        {
            "colorType": "BACKGROUND",
            "color": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
        },
    ],
}
"""A shortened spreadsheet theme; the real one lists every accent colour."""


@dataclass(frozen=True)
class Cell:
    """One cell as the API stores it (the writable parts of CellData).

    ``value`` is an ExtendedValue with exactly one key (``stringValue``,
    ``numberValue``, ``boolValue``, ``formulaValue`` or ``errorValue``), or ``None``
    for no value. ``extra`` keeps other CellData fields (``hyperlink``,
    ``textFormatRuns``) so they survive round trips.
    """

    value: dict[str, Any] | None = None
    format: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    validation: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def is_empty(self) -> bool:
        """Return whether the cell stores nothing at all, so it can be dropped."""
        return (
            self.value is None
            and not self.format
            and not self.note
            and self.validation is None
            and not self.extra
        )

    def without_value(self) -> Cell:
        """Return the cell with its value cleared and everything else kept."""
        return replace(self, value=None)


@dataclass
class Sheet:
    """One tab: its properties, its cells and the objects anchored on it.

    ``properties`` is the SheetProperties JSON without ``index`` (the position in
    :attr:`Spreadsheet.sheets` is the index). Ranges inside the object lists are
    GridRange JSON that always carries ``sheetId``.
    """

    properties: dict[str, Any]
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    merges: list[dict[str, Any]] = field(default_factory=list)
    protected_ranges: list[dict[str, Any]] = field(default_factory=list)
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)
    charts: list[dict[str, Any]] = field(default_factory=list)
    basic_filter: dict[str, Any] | None = None
    row_groups: list[dict[str, Any]] = field(default_factory=list)
    column_groups: list[dict[str, Any]] = field(default_factory=list)
    row_properties: dict[int, dict[str, Any]] = field(default_factory=dict)
    column_properties: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def sheet_id(self) -> int:
        """The sheet's numeric id (``gid``)."""
        return int(self.properties["sheetId"])

    @property
    def title(self) -> str:
        """The tab name."""
        return str(self.properties["title"])

    @property
    def grid(self) -> dict[str, Any]:
        """The ``gridProperties`` JSON, created on first use."""
        grid: dict[str, Any] = self.properties.setdefault("gridProperties", {})
        return grid

    @property
    def row_count(self) -> int:
        """Rows in the grid, filled or not."""
        return int(self.grid.get("rowCount", 0))

    @property
    def column_count(self) -> int:
        """Columns in the grid, filled or not."""
        return int(self.grid.get("columnCount", 0))

    def cell(self, row: int, column: int) -> Cell:
        """Return the cell at a 0-based position, empty when never written."""
        return self.cells.get((row, column), EMPTY_CELL)

    def put(self, row: int, column: int, cell: Cell) -> None:
        """Store a cell, dropping it from the sparse dict when it is empty."""
        if cell.is_empty():
            self.cells.pop((row, column), None)
        else:
            self.cells[(row, column)] = cell

    def clone(self) -> Sheet:
        """Return an independent copy (cells are immutable, so shared)."""
        copied = copy.copy(self)
        copied.properties = copy.deepcopy(self.properties)
        copied.cells = dict(self.cells)
        for name in (
            "merges",
            "protected_ranges",
            "conditional_formats",
            "charts",
            "basic_filter",
            "row_groups",
            "column_groups",
            "row_properties",
            "column_properties",
        ):
            setattr(copied, name, copy.deepcopy(getattr(self, name)))
        return copied


EMPTY_CELL = Cell()


@dataclass
class Spreadsheet:
    """A spreadsheet file: its tabs, spreadsheet-level objects and Drive facts."""

    spreadsheet_id: str
    properties: dict[str, Any]
    owner: str
    created_time: datetime
    modified_time: datetime
    sheets: list[Sheet] = field(default_factory=list)
    named_ranges: list[dict[str, Any]] = field(default_factory=list)
    developer_metadata: list[dict[str, Any]] = field(default_factory=list)
    editors: set[str] = field(default_factory=set)
    readers: set[str] = field(default_factory=set)
    version: int = 1

    @property
    def title(self) -> str:
        """The spreadsheet's title (the Drive file name)."""
        return str(self.properties["title"])

    def sheet_by_id(self, sheet_id: int) -> Sheet | None:
        """Return the tab with this id, or ``None``."""
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        return None

    def sheet_by_title(self, title: str) -> Sheet | None:
        """Return the tab with this title (case-insensitive, as the API matches)."""
        for sheet in self.sheets:
            if sheet.title.casefold() == title.casefold():
                return sheet
        return None

    def first_visible_sheet(self) -> Sheet:
        """Return the first tab that is not hidden, which unqualified ranges use."""
        for sheet in self.sheets:
            if not sheet.properties.get("hidden"):
                return sheet
        return self.sheets[0]

    def cell_total(self) -> int:
        """Return the number of grid cells over all tabs, filled or not."""
        return sum(sheet.row_count * sheet.column_count for sheet in self.sheets)

    def can_read(self, user: str) -> bool:
        """Return whether ``user`` may read this spreadsheet."""
        return user == self.owner or user in self.editors or user in self.readers

    def can_write(self, user: str) -> bool:
        """Return whether ``user`` may change this spreadsheet."""
        return user == self.owner or user in self.editors

    def clone(self) -> Spreadsheet:
        """Return an independent copy for an atomic batch."""
        copied = copy.copy(self)
        copied.properties = copy.deepcopy(self.properties)
        copied.sheets = [sheet.clone() for sheet in self.sheets]
        copied.named_ranges = copy.deepcopy(self.named_ranges)
        copied.developer_metadata = copy.deepcopy(self.developer_metadata)
        copied.editors = set(self.editors)
        copied.readers = set(self.readers)
        return copied


class IdSource:
    """Random ids shaped like Google's, reproducible from a seed."""

    _ALPHABET = string.ascii_letters + string.digits + "-_"

    def __init__(self, seed: int | None = 0) -> None:
        self._random = random.Random(seed)

    def spreadsheet_id(self) -> str:
        """Return a 44-character file id starting with ``1``, like Drive's."""
        return "1" + "".join(self._random.choices(self._ALPHABET, k=43))

    def number(self) -> int:
        """Return a positive 31-bit integer, the shape of sheet and object ids."""
        return self._random.randint(1, 2**31 - 1)


def utc_now() -> datetime:
    """Return the current time in UTC; the default clock of a :class:`Store`."""
    return datetime.now(UTC)


class Store:
    """All spreadsheets of the fake, the users who call it and how ids are made.

    :param user: the caller when a request carries no known bearer token; it owns
        what it creates.
    :param seed: seed of the id generator, so runs are reproducible.
    :param now: clock for Drive ``createdTime``/``modifiedTime``.
    """

    def __init__(
        self,
        *,
        user: str = DEFAULT_USER,
        seed: int | None = 0,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.default_user = user
        self.ids = IdSource(seed)
        self.now = now
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.tokens: dict[str, str] = {}
        self.lock = threading.RLock()

    def user_for_token(self, token: str | None) -> str | None:
        """Return the user a bearer token belongs to; ``None`` if it is unknown.

        With no tokens registered every request acts as :attr:`default_user`.
        """
        if not self.tokens:
            return self.default_user
        if token is None:
            return None
        return self.tokens.get(token)

    def create_spreadsheet(
        self,
        title: str,
        *,
        owner: str | None = None,
        spreadsheet_id: str | None = None,
        tabs: tuple[str, ...] = ("Sheet1",),
    ) -> Spreadsheet:
        """Create a spreadsheet the way Drive does: one 1000×26 tab with id 0."""
        created = self.now()
        spreadsheet = Spreadsheet(
            spreadsheet_id=spreadsheet_id or self._new_spreadsheet_id(),
            properties=new_spreadsheet_properties(title),
            owner=owner or self.default_user,
            created_time=created,
            modified_time=created,
        )
        for position, tab in enumerate(tabs):
            sheet_id = 0 if position == 0 else self.new_sheet_id(spreadsheet)
            spreadsheet.sheets.append(new_sheet(sheet_id, tab))

        self.spreadsheets[spreadsheet.spreadsheet_id] = spreadsheet
        return spreadsheet

    def _new_spreadsheet_id(self) -> str:
        while True:
            candidate = self.ids.spreadsheet_id()
            if candidate not in self.spreadsheets:
                return candidate

    def new_sheet_id(self, spreadsheet: Spreadsheet) -> int:
        """Return a sheet id not used in the spreadsheet."""
        while True:
            candidate = self.ids.number()
            if spreadsheet.sheet_by_id(candidate) is None:
                return candidate

    def find(self, spreadsheet_id: str) -> Spreadsheet:
        """Return a spreadsheet by id; raise the API's 404 if there is none."""
        spreadsheet = self.spreadsheets.get(spreadsheet_id)
        if spreadsheet is None:
            raise ApiError(404)
        return spreadsheet

    def open(self, spreadsheet_id: str, user: str, *, write: bool) -> Spreadsheet:
        """Return a spreadsheet ``user`` may read (or write); raise 404 or 403."""
        spreadsheet = self.find(spreadsheet_id)
        allowed = spreadsheet.can_write(user) if write else spreadsheet.can_read(user)
        if not allowed:
            raise ApiError(403)
        return spreadsheet

    @contextmanager
    def change(self, spreadsheet_id: str, user: str) -> Iterator[Spreadsheet]:
        """Yield a working copy of a spreadsheet and commit it if no error escapes.

        The commit bumps Drive's ``version`` and ``modifiedTime``, as every
        successful write to the real API does.
        """
        original = self.open(spreadsheet_id, user, write=True)
        working = original.clone()
        yield working

        working.version = original.version + 1
        working.modified_time = self.now()
        self.spreadsheets[spreadsheet_id] = working

    def share(self, spreadsheet_id: str, user: str, role: str) -> None:
        """Give ``user`` the ``reader`` or ``writer`` role on a spreadsheet."""
        spreadsheet = self.find(spreadsheet_id)
        if role == "reader":
            spreadsheet.readers.add(user)
        elif role in ("writer", "owner"):
            spreadsheet.editors.add(user)
        else:
            raise ValueError(f"unknown role {role!r}; expected 'reader' or 'writer'")


def new_spreadsheet_properties(title: str) -> dict[str, Any]:
    """Return the properties of a spreadsheet created by a service account."""
    return {
        "title": title,
        "locale": "en_US",
        "autoRecalc": "ON_CHANGE",
        "timeZone": "Etc/GMT",
        "defaultFormat": copy.deepcopy(DEFAULT_FORMAT),
        "spreadsheetTheme": copy.deepcopy(DEFAULT_THEME),
    }


def new_sheet(
    sheet_id: int,
    title: str,
    rows: int = DEFAULT_ROWS,
    columns: int = DEFAULT_COLUMNS,
) -> Sheet:
    """Return an empty grid tab."""
    properties = {
        "sheetId": sheet_id,
        "title": title,
        "sheetType": "GRID",
        "gridProperties": {"rowCount": rows, "columnCount": columns},
    }
    return Sheet(properties=properties)
