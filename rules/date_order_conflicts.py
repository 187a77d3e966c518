"""Warn when a date column's text dates contradict the definition's date_order.

Text such as ``12/31/2026`` is a date only month first, and ``31/12/2026``
only day first, so such dates show the order a column was typed in. When a
column's text dates all point to the other order, its dates that read either
way (``12/07/2026``) are probably misread, because they are still read in the
definition's order.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from config.models import DateOrder, FieldType, Pipeline
from rules.cell_dates import (
    FIRST_NUMBER_WORDS,
    OTHER_DATE_ORDER,
    day_month_readings,
)
from rules.cell_problem import Reason
from rules.deals import ColumnMap
from rules.findings import Code, Finding
from rules.grid import CellValue, SheetGrid, column_letter
from rules.setting_place import setting_place


@dataclass(frozen=True)
class _OrderEvidence:
    """The text dates of one column, sorted by which day/month order reads them.

    ``only_other`` are valid only in the order the definition does not set,
    ``only_setting`` only in the one it sets, and ``either`` in both, as two
    different days. Each contains (text, date) pairs, with the date that the
    run reads, or would read in the other order.
    """

    only_other: list[tuple[str, dt.date]]
    only_setting: list[tuple[str, dt.date]]
    either: list[tuple[str, dt.date]]


def describe_date_order_conflicts(
    grid: SheetGrid,
    columns: ColumnMap,
    pipeline: Pipeline,
    fields: Collection[str] | None = None,
) -> list[str]:
    """Return a warning for each date column whose text dates contradict date_order.

    A column contradicts the setting when some of its text dates are valid
    only in the other day/month order and none only in the setting's. A column
    that contains both kinds gets no warning here, because each date that the
    setting cannot read gets its own ``bad-date`` finding. ``fields`` limits
    the check to those fields, such as :func:`date_order_mismatch_fields`
    returns, because reading a date column again takes about 8 ms of CPU per
    100,000 rows (``bench/generate.py``'s workbook, 2-core VM).

    Before: ``date_order: dmy``, and column F contains '12/31/2026' and
    '01/10/2027'. After: "Workbook 'deals.xlsx', tab 'Deals', column
    'Expected Close': the text date F2 '12/31/2026' is valid only when read
    month first, ... If the sheet's dates are written month first, set
    date_order: mdy in the definition, ..."
    """
    setting = pipeline.date_order
    scope = "tab" if grid.has_tabs else "file"
    rows = grid.rows[columns.header_row :]
    messages = []
    for name, index in sorted(columns.fields.items(), key=operator.itemgetter(1)):
        if pipeline.field_type(name) is not FieldType.DATE:
            continue
        if fields is not None and name not in fields:
            continue
        cells = _column_cells(rows, index)
        evidence = _order_evidence(cells, setting)
        if not evidence.only_other or evidence.only_setting:
            continue

        location = _CellLocation(cells, columns.header_row + 1, index)
        messages.append(
            f"{grid.describe_location()}, column "
            f"{columns.headers[index]!r}: "
            f"{_describe_other_order(evidence, location, setting)}"
            f"{_describe_either_order(evidence, location, setting)}"
            f"{_describe_fix(setting, scope, pipeline.source.rules_tab)}"
        )
    return messages


def date_order_mismatch_fields(findings: Iterable[Finding]) -> set[str]:
    """Return the fields with a ``bad-date`` finding on a date of the other order.

    Only those columns contain a text date valid only in the day/month order
    that the definition does not set, so only they can contradict it.
    """
    return {
        finding.field
        for finding in findings
        if finding.code is Code.BAD_DATE
        and finding.field is not None
        and finding.params.get("reason") == Reason.DATE_ORDER_MISMATCH
    }


def _column_cells(rows: list[list[CellValue]], index: int) -> list[CellValue]:
    # Rows may be shorter than the header, so a missing cell reads as None.
    if min(map(len, rows), default=index + 1) > index:
        return list(map(operator.itemgetter(index), rows))
    return [row[index] if index < len(row) else None for row in rows]


def _order_evidence(cells: list[CellValue], setting: DateOrder) -> _OrderEvidence:
    # Each distinct text is read once, in the order of its first cell, so the
    # examples a warning shows are the column's first ones.
    other = OTHER_DATE_ORDER[setting]
    evidence = _OrderEvidence([], [], [])
    for text in dict.fromkeys(cells):
        if not isinstance(text, str):
            continue
        readings = day_month_readings(text)
        if not readings:
            continue
        if setting not in readings:
            evidence.only_other.append((text, readings[other]))
        elif other not in readings:
            evidence.only_setting.append((text, readings[setting]))
        elif readings[setting] != readings[other]:
            evidence.either.append((text, readings[setting]))
    return evidence


@dataclass(frozen=True)
class _CellLocation:
    """The cell references, such as ``F2``, of the texts in one column."""

    cells: Sequence[CellValue]
    first_row: int
    column: int

    def of(self, text: str) -> str:
        row = self.first_row + self.cells.index(text)
        return f"{column_letter(self.column)}{row}"


def _describe_other_order(
    evidence: _OrderEvidence, location: _CellLocation, setting: DateOrder
) -> str:
    text, _date = evidence.only_other[0]
    count = len(evidence.only_other)
    other_first = FIRST_NUMBER_WORDS[OTHER_DATE_ORDER[setting]]
    if count == 1:
        subject = f"the text date {location.of(text)} {text!r} is"
    else:
        subject = f"{count:,} text dates, such as {location.of(text)} {text!r}, are"
    return (
        f"{subject} valid only when read {other_first}, but the definition's "
        f"date_order is {setting.value!r}."
    )


def _describe_either_order(
    evidence: _OrderEvidence, location: _CellLocation, setting: DateOrder
) -> str:
    if not evidence.either:
        return ""
    text, date = evidence.either[0]
    return (
        f" Its dates that read either way ({len(evidence.either):,} in the "
        f"column), such as {location.of(text)} {text!r}, are read "
        f"{FIRST_NUMBER_WORDS[setting]} (as {date}) and may be wrong."
    )


def _describe_fix(setting: DateOrder, scope: str, rules_tab: str | None) -> str:
    # ``scope`` names what the grid is: a "tab", or a "file" without tabs.
    other = OTHER_DATE_ORDER[setting]
    return (
        f" If the sheet's dates are written {FIRST_NUMBER_WORDS[other]}, set "
        f"date_order: {other.value} {setting_place(rules_tab)}. The setting "
        f"applies to every date column of the {scope}."
    )
