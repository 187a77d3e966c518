"""Deals as parsed from the pipeline tab, and how columns were matched."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar, overload

from config.models import Stage
from rules.grid import CellValue

# A parsed cell: text for text fields, a date for date fields, a float for
# amounts, numbers and percents (0.25 for 25%), a bool for flags.
ParsedValue = str | float | bool | dt.date


@dataclass(frozen=True)
class ColumnMap:
    """Column positions of the logical fields in the pipeline tab.

    ``header_row`` is 1-based as the user sees it; column indexes are 0-based.
    ``old_status_columns`` are the columns that are neither mapped nor the status
    column but contain mostly statuses pipesheet wrote, such as the column of
    an earlier ``outputs.status_header``.
    """

    header_row: int
    headers: list[str]
    fields: dict[str, int]
    status_column: int | None
    old_status_columns: tuple[int, ...] = ()

    def header_of(self, field_name: str) -> str:
        """Return the header text of a mapped field, its whitespace collapsed."""
        return self.headers[self.fields[field_name]]


_T = TypeVar("_T")


class RowCells(Mapping[str, CellValue]):
    """The mapped cells of one row by field name: a read-only view of the row.

    The deals of one tab share ``positions`` (each field's column index), so
    each deal keeps only its row's cells, not a dict of its own.

    >>> cells = RowCells({"id": 0, "stage": 1}, ("D-1", "Demo"))
    >>> cells["stage"], cells.get("amount"), dict(cells)
    ('Demo', None, {'id': 'D-1', 'stage': 'Demo'})
    """

    __slots__ = ("_positions", "_cells")

    def __init__(
        self, positions: Mapping[str, int], cells: Sequence[CellValue]
    ) -> None:
        self._positions = positions
        self._cells = cells

    def __getitem__(self, name: str) -> CellValue:
        return self._cells[self._positions[name]]

    @overload
    def get(self, name: str, /) -> CellValue: ...

    @overload
    def get(self, name: str, default: CellValue, /) -> CellValue: ...

    @overload
    def get(self, name: str, default: _T, /) -> CellValue | _T: ...

    def get(self, name: str, default: object = None, /) -> object:
        """Return the cell of field ``name``, or ``default`` if it is not mapped."""
        position = self._positions.get(name)
        return default if position is None else self._cells[position]

    def __contains__(self, name: object) -> bool:
        return name in self._positions

    def __iter__(self) -> Iterator[str]:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._positions)

    def __repr__(self) -> str:
        return repr(dict(self))


@dataclass(slots=True)
class Deal:
    """One data row of the pipeline tab.

    ``raw`` keeps every mapped cell as read, as a dict or a :class:`RowCells`
    view of the row. ``values`` contains the parsed value of
    each mapped field that is filled and parsed cleanly; a blank or unparseable
    cell is absent from ``values`` (the latter with a finding).
    """

    row: int
    deal_id: str | None
    stage: Stage | None
    raw: Mapping[str, CellValue] = field(default_factory=dict)
    values: dict[str, ParsedValue] = field(default_factory=dict)

    def text(self, field_name: str) -> str | None:
        value = self.values.get(field_name)
        return value if isinstance(value, str) else None

    def date(self, field_name: str) -> dt.date | None:
        value = self.values.get(field_name)
        return value if isinstance(value, dt.date) else None

    def number(self, field_name: str) -> float | None:
        value = self.values.get(field_name)
        if isinstance(value, bool):
            return None
        return value if isinstance(value, float) else None


@dataclass(frozen=True)
class ParsedSheet:
    """The pipeline tab after header matching and cell parsing."""

    columns: ColumnMap
    deals: list[Deal]
