"""Deals as parsed from the pipeline tab, and how columns were matched."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from config.models import Stage
from rules.grid import CellValue

# A parsed cell: text for text fields, a date for date fields, a float for
# amounts, numbers and percents (0.25 for 25%), a bool for flags.
ParsedValue = str | float | bool | dt.date


@dataclass(frozen=True)
class ColumnMap:
    """Column positions of the logical fields in the pipeline tab.

    ``header_row`` is 1-based as the user sees it; column indexes are 0-based.
    """

    header_row: int
    headers: list[str]
    fields: dict[str, int]
    status_column: int | None

    def header_of(self, field_name: str) -> str:
        """Return the header text, as written in the sheet, of a mapped field."""
        return self.headers[self.fields[field_name]]


@dataclass
class Deal:
    """One data row of the pipeline tab.

    ``raw`` keeps every mapped cell as read. ``values`` contains the parsed value of
    each mapped field that is filled and parsed cleanly; a blank or unparseable
    cell is absent from ``values`` (the latter with a finding).
    """

    row: int
    deal_id: str | None
    stage: Stage | None
    raw: dict[str, CellValue] = field(default_factory=dict)
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
