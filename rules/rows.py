"""Read the data rows of the pipeline tab into deals and cell-level findings."""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
import math
import operator
import unicodedata
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar, cast

from config.models import (
    ID_FIELD,
    OWNER_FIELD,
    PROBABILITY_FIELD,
    STAGE_FIELD,
    FieldType,
    Pipeline,
    Stage,
)
from rules.cell_percents import PercentQuantity, choose_percent_scale, parse_percent
from rules.cell_problem import Reason
from rules.cells import (
    FORMULA_ERRORS,
    CellParser,
    CellProblem,
    cell_parser,
    display_value,
    formula_error,
    is_numbered_error,
    parse_text,
)
from rules.currencies import CurrencyMix, find_currency_mix
from rules.deals import ColumnMap, Deal, ParsedValue, RowCells
from rules.findings import Code, Finding, Severity, join_items
from rules.formula_rows import formula_only_rows
from rules.grid import CellValue, SheetGrid, column_letter, is_blank
from rules.headers import StageLookup, normalize_header
from rules.merged_cells import (
    SpreadRows,
    UnreadCell,
    join_continuation_rows,
    merged_down_blocks,
    spread_merged_values,
)
from rules.text_forms import deal_id_key
from rules.totals_labels import ends_with_totals_word, is_totals_label

# The finding a cell gets when it cannot be read as its column's type. Text
# columns accept every value, so they have no entry. The probability field
# gets bad-probability instead of bad-percent.
PROBLEM_CODES: dict[FieldType, Code] = {
    FieldType.DATE: Code.BAD_DATE,
    FieldType.AMOUNT: Code.BAD_AMOUNT,
    FieldType.NUMBER: Code.BAD_NUMBER,
    FieldType.PERCENT: Code.BAD_PERCENT,
    FieldType.FLAG: Code.BAD_FLAG,
}

# The severity of each finding reading rows produces.
SEVERITIES: dict[Code, Severity] = {
    Code.MISSING_ID: Severity.ERROR,
    Code.MISSING_REQUIRED: Severity.ERROR,
    Code.UNKNOWN_STAGE: Severity.ERROR,
    Code.BAD_DATE: Severity.ERROR,
    Code.BAD_AMOUNT: Severity.ERROR,
    Code.BAD_NUMBER: Severity.ERROR,
    Code.BAD_PROBABILITY: Severity.ERROR,
    Code.BAD_PERCENT: Severity.ERROR,
    Code.BAD_FLAG: Severity.ERROR,
    Code.CONTENT_UNDER_BLANK_HEADER: Severity.WARNING,
    Code.FORMULA_ERROR: Severity.ERROR,
    Code.ID_FROM_ROW_NUMBER: Severity.ERROR,
    Code.TOTALS_ROW: Severity.INFO,
    Code.REPEATED_HEADER: Severity.INFO,
    Code.SECTION_HEADING: Severity.INFO,
    Code.MERGED_AMOUNT: Severity.ERROR,
    Code.CONTINUATION_VALUE: Severity.WARNING,
    Code.ID_NOT_TEXT: Severity.ERROR,
    Code.MIXED_CURRENCY: Severity.ERROR,
}

# The number of filled mapped cells that must be header texts of their columns
# for a row below the header to count as another header row. A row with only
# two mapped cells filled counts when both are.
REPEATED_HEADER_CELLS = 3

# Cell types whose equal values always parse alike, so a column parses each
# distinct value of these types once. Floats, bools, datetimes and times are
# left out because -0.0 equals 0.0, True equals 1 and aware values equal across
# time zones, yet each of these pairs parses differently.
_CACHED_TYPES = frozenset({type(None), str, int, dt.date})

# Cached types that no cell of another type equals (an int can equal a bool or
# a float). When a column's distinct cells all have these types, so do its cells.
_UNMIXED_TYPES = frozenset({type(None), str, dt.date})

# A parsed cell: its field and value, the problem that kept it from parsing, or
# None when it is blank. Pairs let a row's entries become its ``values`` dict
# in one call.
ParsedEntry = tuple[str, ParsedValue] | CellProblem | None

_T = TypeVar("_T")

_second = operator.itemgetter(1)


@dataclass
class ParsedColumn:
    """One field's parsed cells, one entry per data row or, once taken, per record.

    ``distinct`` lists the distinct entry objects of a column whose equal
    cells share one entry, and is None for the other columns.
    """

    name: str
    entries: list[ParsedEntry]
    has_problems: bool
    distinct: Collection[ParsedEntry] | None = None


@dataclass
class _RowReader:
    """Per-tab inputs of row reading: columns, stage lookup and column groups.

    ``field_types`` has every mapped field in the order a deal's ``values``
    keep: id, stage, then the others in sheet column order. ``width`` is the
    number of columns rows are read to: the header's or the longest row's.
    """

    columns: ColumnMap
    pipeline: Pipeline
    stages: StageLookup
    stage_names: str
    field_types: dict[str, FieldType]
    width: int
    record_columns: list[int]
    blank_header_columns: list[int]
    date1904: bool
    text_date_fields: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class DealRows:
    """The deals of the pipeline tab and the findings that reading them gave.

    ``text_date_fields`` are the date fields with a cell typed as text, such
    as ``12/07/2026``, whose findings show that text.
    """

    deals: list[Deal]
    findings: list[Finding]
    text_date_fields: frozenset[str]


def read_deals(
    grid: SheetGrid, columns: ColumnMap, pipeline: Pipeline
) -> tuple[list[Deal], list[Finding]]:
    """Read every data row below the header into a deal, with cell findings.

    See :func:`read_deal_rows`, which also returns the date fields with text.
    """
    rows = read_deal_rows(grid, columns, pipeline)
    return rows.deals, rows.findings


def read_deal_rows(grid: SheetGrid, columns: ColumnMap, pipeline: Pipeline) -> DealRows:
    """Read every data row below the header into a deal, with cell findings.

    Before (header in row 1)::

        Deal ID | Stage    | Amount
        D-101   | Proposal | $12,000
                |          |
        D-102   | Demoo    | lots

    After: deals for rows 2 and 4 (the empty row 3 is no record), with
    ``amount`` 12000.0 on D-101, and findings ``unknown-stage`` and
    ``bad-amount`` on row 4.

    A row counts as a deal when any cell under a non-blank header other than the
    status column and the old status columns is filled. Content under a blank
    header gets one ``content-under-blank-header`` warning per column, at its
    first filled row.
    A block of merged cells counts for each row it covers
    (:func:`spread_merged_values`), but a row whose only content is such a
    block is no deal, and neither is a second header row that header cells
    merged down cover. Rows that one deal ID cell is merged down over are one
    deal (:func:`join_continuation_rows`). An amount merged down over the rows
    of several deals counts once, on the first of them, and each of them gets
    ``merged-amount``. A row whose only content is a text label above a group
    of deals is a section heading (:func:`_section_headings`), no deal. Nor
    is a row whose filled cells all hold formulas that give it no deal ID and
    no stage (:mod:`rules.formula_rows`), such as an empty row of an Excel
    table with a calculated column.
    """
    reader = _row_reader(grid, columns, pipeline)
    first_row = columns.header_row + 1
    spread = spread_merged_values(grid, first_row)
    rows = spread.rows
    unread: list[UnreadCell] = []
    if grid.merged:
        rows, unread = _join_continuation_rows(reader, grid, first_row, rows)
    data = _data_columns(rows, reader.width)
    parsed_columns = _parse_columns(reader, data)
    records = _record_indexes(reader, data, parsed_columns)
    if spread.changed:
        records = _records_with_own_cells(reader, grid, first_row, records, spread)
    totals = _totals_rows(reader, data, parsed_columns, records)
    totals.update(_table_total_rows(reader, data, grid, first_row, records))
    totals.update(_subtotal_rows(reader, data, grid, first_row, records))
    for index, label in _aggregate_rows(reader, data, grid, first_row, records).items():
        totals.setdefault(index, label)
    headers = _repeated_headers(reader, data, records)
    in_header = _rows_in_merged_header(reader, data, grid, records)
    if totals or headers or in_header:
        skipped = totals.keys() | headers.keys() | in_header
        records = [i for i in records if i not in skipped]
    formula_only = _formula_only_records(
        reader, data, grid, first_row, records, parsed_columns
    )
    if formula_only:
        records = [i for i in records if i not in formula_only]
    headings = _section_headings(reader, data, grid, first_row, records, parsed_columns)
    if headings:
        records = [i for i in records if i not in headings]
    shared_amounts = _shared_merged_amounts(
        reader, grid, first_row, records, parsed_columns
    )

    deals, findings = _read_records(reader, first_row, rows, records, parsed_columns)
    findings += _shared_amount_findings(reader, first_row, deals, shared_amounts)
    findings += _unread_cell_findings(reader, deals, unread)
    findings += _mixed_currency_findings(reader, data, deals)
    warnings = _blank_header_warnings(reader, data, first_row, deals, in_header)
    warnings += _row_number_ids(reader, grid, first_row, deals)
    warnings += _ids_not_text(reader, data, first_row, deals)
    warnings += _totals_notices(first_row, totals)
    rules_tab = reader.pipeline.source.rules_tab
    warnings += _row_notices(
        Code.REPEATED_HEADER,
        first_row,
        headers,
        {} if rules_tab is None else {"rules_tab": rules_tab},
    )
    warnings += _row_notices(Code.SECTION_HEADING, first_row, headings)
    # The sort is stable, so a row's cell findings stay before its warnings.
    findings = sorted([*findings, *warnings], key=lambda item: item.row or 0)
    return DealRows(deals, findings, frozenset(reader.text_date_fields))


def _row_reader(grid: SheetGrid, columns: ColumnMap, pipeline: Pipeline) -> _RowReader:
    width = max(len(columns.headers), max(map(len, grid.rows), default=0))
    headed = [
        index < len(columns.headers) and bool(normalize_header(columns.headers[index]))
        for index in range(width)
    ]
    # Statuses pipesheet wrote make no row a deal and get no finding, also in a
    # column that pipesheet no longer writes to.
    own = {columns.status_column, *columns.old_status_columns}
    return _RowReader(
        columns=columns,
        pipeline=pipeline,
        stages=StageLookup(pipeline),
        stage_names=join_items(stage.name for stage in pipeline.stages),
        field_types=_field_types(columns, pipeline),
        width=width,
        record_columns=[i for i in range(width) if headed[i] and i not in own],
        blank_header_columns=[
            i for i in range(width) if not headed[i] and i not in own
        ],
        date1904=grid.date1904,
    )


def _field_types(columns: ColumnMap, pipeline: Pipeline) -> dict[str, FieldType]:
    """Return the type of each mapped field: id and stage first, then column order.

    IDs and stage labels are always read as text, so 1001.0 becomes "1001".
    """
    by_column = sorted(columns.fields.items(), key=lambda item: item[1])
    types = {ID_FIELD: FieldType.TEXT, STAGE_FIELD: FieldType.TEXT}
    types.update(
        (name, pipeline.field_type(name))
        for name, _ in by_column
        if name not in (ID_FIELD, STAGE_FIELD)
    )
    return {name: kind for name, kind in types.items() if name in columns.fields}


def _data_columns(rows: list[list[CellValue]], width: int) -> list[Sequence[CellValue]]:
    """Return the cells of the data rows column by column, ``width`` columns.

    Rows may be shorter than the header (trailing blank cells left out), so
    short rows and missing columns are padded with None.

    >>> _data_columns([["D-1"], ["D-2", "Won"]], 3)
    [('D-1', 'D-2'), (None, 'Won'), (None, None)]
    """
    lengths = set(map(len, rows))
    data: list[Sequence[CellValue]]
    if len(lengths) > 1:
        data = list(itertools.zip_longest(*rows))
    else:
        # Calamine gives every row the sheet's width, so that is the usual case.
        data = _equal_width_columns(rows, lengths.pop() if lengths else 0)
    return data + [(None,) * len(rows)] * (width - len(data))


def _equal_width_columns(
    rows: list[list[CellValue]], row_width: int
) -> list[Sequence[CellValue]]:
    """Return the columns of rows that all have ``row_width`` cells.

    >>> _equal_width_columns([["D-1", "Won"], ["D-2", "Lost"]], 2)
    [['D-1', 'D-2'], ['Won', 'Lost']]
    """
    # Copying the cells row by row into one list and slicing each column out
    # of it reads every row once. zip(*rows) reads every row once per column,
    # which took 0.038 s of CPU against 0.021 s for 100k rows of 17 cells
    # (the 100k-row benchmark sheet, 2-core AMD EPYC).
    cells = list(itertools.chain.from_iterable(rows))
    return [cells[column::row_width] for column in range(row_width)]


def _parse_columns(
    reader: _RowReader, data: list[Sequence[CellValue]]
) -> list[ParsedColumn]:
    """Parse the cells of each mapped field, in the order of ``field_types``.

    A probability column is read on one scale, fractions or percent points,
    chosen from its numbers by :func:`choose_percent_scale`.
    """
    fields = reader.columns.fields
    date_order = reader.pipeline.date_order
    columns = []
    for name, kind in reader.field_types.items():
        cells = data[fields[name]]
        if kind is FieldType.PERCENT:
            scale = choose_percent_scale(cells)
            quantity = (
                PercentQuantity.PROBABILITY
                if name == PROBABILITY_FIELD
                else PercentQuantity.PERCENTAGE
            )
            parse: CellParser = functools.partial(
                parse_percent, scale=scale, quantity=quantity
            )
        elif kind is FieldType.DATE:
            date_parser = cell_parser(kind, date_order, date1904=reader.date1904)
            parse = _RecordingDateParser(name, date_parser, reader.text_date_fields)
        else:
            parse = cell_parser(kind, date_order, date1904=reader.date1904)
        columns.append(_parse_column(name, cells, parse))
    return columns


@dataclass(frozen=True)
class _RecordingDateParser:
    """A date column's parser that adds its field to ``found`` on a text cell.

    Columns parse each distinct cell once, so this costs one call per
    distinct date, not one per row.
    """

    name: str
    parse: CellParser
    found: set[str]

    def __call__(self, cell: CellValue) -> ParsedValue | CellProblem:
        if type(cell) is str:
            self.found.add(self.name)
        return self.parse(cell)


def _record_indexes(
    reader: _RowReader,
    data: list[Sequence[CellValue]],
    parsed_columns: list[ParsedColumn],
) -> Sequence[int]:
    """Return the indexes of the data rows with a filled cell in a record column.

    A mapped field's entry is None exactly where its cell is blank, so only the
    columns without a field need a blank test. A field mapped to the status
    column (its alias is the status header) does not make a row a deal.
    """
    height = len(data[0]) if data else 0
    blank_rows: Sequence[int] = range(height)
    record_columns = set(reader.record_columns)
    fields = reader.columns.fields
    for name, column in zip(reader.field_types, parsed_columns, strict=True):
        if fields[name] in record_columns:
            entries = column.entries
            blank_rows = [row for row in blank_rows if entries[row] is None]

    mapped = set(fields.values())
    for index in [i for i in reader.record_columns if i not in mapped]:
        cells = data[index]
        blank_rows = [row for row in blank_rows if is_blank(cells[row])]
    if not blank_rows:
        return range(height)

    skipped = set(blank_rows)
    return [row for row in range(height) if row not in skipped]


def _records_with_own_cells(
    reader: _RowReader,
    grid: SheetGrid,
    first_row: int,
    records: Sequence[int],
    spread: SpreadRows,
) -> list[int]:
    """Return the records with a filled record cell of their own, not only merged.

    A block merged down past the last deal of its group would otherwise make
    each blank row it covers a deal without an ID or a stage.
    """
    columns = reader.record_columns
    return [
        index
        for index in records
        if index not in spread.changed
        or any(not is_blank(grid.cell(first_row + index, i)) for i in columns)
    ]


def _join_continuation_rows(
    reader: _RowReader, grid: SheetGrid, first_row: int, rows: list[list[CellValue]]
) -> tuple[list[list[CellValue]], list[UnreadCell]]:
    """Join each deal written over rows with its ID merged down into one row.

    Text fields are joined line by line. The stage, the owner and a date,
    amount, number, percent or flag field take their first filled value
    (see :func:`join_continuation_rows`), because a deal has one of each. So
    a second stage below the first gets a ``continuation-value`` warning that
    names its cell, where joining would make an unknown stage.
    """
    fields = reader.columns.fields
    id_column = fields.get(ID_FIELD)
    if id_column is None:
        return rows, []
    first_value_columns = {
        fields[name]
        for name, kind in reader.field_types.items()
        if kind is not FieldType.TEXT or name in (STAGE_FIELD, OWNER_FIELD)
    }
    status_columns = set(reader.columns.old_status_columns)
    if reader.columns.status_column is not None:
        status_columns.add(reader.columns.status_column)
    joined = join_continuation_rows(
        grid, first_row, rows, id_column, first_value_columns, status_columns
    )
    return joined.rows, joined.unread


def _unread_cell_findings(
    reader: _RowReader, deals: list[Deal], unread: list[UnreadCell]
) -> list[Finding]:
    """Return ``continuation-value`` on each deal with a continuation cell not read."""
    if not unread:
        return []
    deals_by_row = {deal.row: deal for deal in deals}
    headers = reader.columns.headers
    fields_by_column = {column: name for name, column in reader.columns.fields.items()}
    findings: list[Finding] = []
    for cell in unread:
        deal = deals_by_row.get(cell.deal_row)
        if deal is None:
            continue
        header = headers[cell.column] if cell.column < len(headers) else None
        findings.append(
            Finding(
                code=Code.CONTINUATION_VALUE,
                severity=SEVERITIES[Code.CONTINUATION_VALUE],
                row=deal.row,
                column=display_value(header) or None,
                value=display_value(cell.value),
                deal_id=deal.deal_id,
                field=fields_by_column.get(cell.column),
                params={"cell": f"{column_letter(cell.column)}{cell.row}"},
            )
        )
    return findings


def _section_headings(
    reader: _RowReader,
    data: list[Sequence[CellValue]],
    grid: SheetGrid,
    first_row: int,
    records: Sequence[int],
    parsed_columns: list[ParsedColumn],
) -> dict[int, str]:
    """Return the records that head a group of deals, each with its label.

    A team often puts a row such as ``EMEA`` above each group. Such a row
    contains one text cell and nothing else, and the next record below it
    has a stage or is another heading. A label in the deal ID column could
    also be a deal with only its ID typed, which must keep its findings. So
    it heads a group only when it is merged across two or more columns, or
    when it has no digit and the ID of the group's first deal has one.
    ``EMEA`` above ``D-1`` is a heading, and ``D-7`` above ``D-8`` a deal.
    """
    stages = next((c for c in parsed_columns if c.name == STAGE_FIELD), None)
    if stages is None:
        return {}
    # Only rows without a stage can be headings, and a sheet has few of them.
    candidates = _rows_without_stage(reader.stages, stages, records)
    if not candidates:
        return {}
    columns = [*reader.record_columns, *reader.blank_header_columns]
    id_column = reader.columns.fields.get(ID_FIELD)
    headings: dict[int, str] = {}
    group_deals: dict[int, int] = {}
    for index in reversed(candidates):
        label = _only_text_cell(data, columns, index)
        position = bisect.bisect_right(records, index)
        if label is None or position >= len(records):
            continue
        below = records[position]
        if below in headings:
            deal = group_deals[below]
        elif stages.entries[below] is not None:
            deal = below
        else:
            continue
        column, text = label
        if column == id_column and not _merged_across(grid, first_row + index, column):
            deal_id = data[column][deal]
            if _has_digit(text) or not _has_digit(display_value(deal_id)):
                continue
        headings[index] = text
        group_deals[index] = deal
    return headings


def _formula_only_records(
    reader: _RowReader,
    data: list[Sequence[CellValue]],
    grid: SheetGrid,
    first_row: int,
    records: Sequence[int],
    parsed_columns: list[ParsedColumn],
) -> set[int]:
    """Return the records whose filled cells all hold formulas, with no ID or stage.

    Only a source that reads formulas lists formula cells. Only rows whose
    ID and stage are blank or a formula error are looked at, so a sheet
    whose every row has a stage costs one pass over the distinct stages.
    """
    if not grid.formula_cells:
        return set()
    by_name = {column.name: column for column in parsed_columns}
    candidates: Sequence[int] = records
    stages = by_name.get(STAGE_FIELD)
    if stages is not None:
        candidates = _rows_with_blank_entry(stages, records)
    ids = by_name.get(ID_FIELD)
    if ids is not None:
        candidates = [i for i in candidates if _is_blank_or_error(ids.entries[i])]
    if not candidates:
        return set()
    columns = [*reader.record_columns, *reader.blank_header_columns]
    return formula_only_rows(grid, first_row, candidates, data, columns)


def _rows_with_blank_entry(
    column: ParsedColumn, records: Sequence[int]
) -> Sequence[int]:
    """Return the records whose entry in ``column`` is blank or a formula error."""
    return _records_with_entries(column, records, _is_blank_or_error)


def _is_blank_or_error(entry: ParsedEntry) -> bool:
    return entry is None or (
        isinstance(entry, CellProblem) and entry.reason is Reason.FORMULA_ERROR
    )


def _only_text_cell(
    data: list[Sequence[CellValue]], columns: Sequence[int], index: int
) -> tuple[int, str] | None:
    """Return the column and text of a row's only filled cell, if it is text.

    A formula error such as ``#N/A`` is a result, not a label.
    """
    found: tuple[int, str] | None = None
    for column in columns:
        cell = data[column][index]
        if is_blank(cell):
            continue
        if found is not None or not isinstance(cell, str):
            return None
        if formula_error(cell) is not None:
            return None
        found = column, cell.strip()
    return found


def _merged_across(grid: SheetGrid, row: int, column: int) -> bool:
    """Return True when the cell is the top-left of a block two or more columns wide."""
    return any(
        top == row and left == column and right > left
        for top, left, _bottom, right in grid.merged
    )


def _has_digit(text: str) -> bool:
    return any(character.isdigit() for character in text)


@dataclass(frozen=True)
class _SharedAmount:
    """An amount merged down over the rows of several deals.

    ``block`` is the merged block (first row, first column, last row, last
    column) and ``covered`` the indexes of the records it covers.
    """

    name: str
    block: tuple[int, int, int, int]
    covered: list[int]


def _shared_merged_amounts(
    reader: _RowReader,
    grid: SheetGrid,
    first_row: int,
    records: Sequence[int],
    parsed_columns: list[ParsedColumn],
) -> list[_SharedAmount]:
    """Return the amounts merged down over several deals, counting each once.

    A merged block's value is spread over each row it covers, which is right
    for a grouping column such as Owner but would add a merged amount once
    per deal. So the amount stays on the first deal the block covers, and
    the others read as having no amount. Their raw cell keeps the value, so
    a stage that requires an amount adds no ``missing-required``.
    """
    if not grid.merged:
        return []
    fields = reader.columns.fields
    amount_columns = {
        fields[name]: name
        for name, kind in reader.field_types.items()
        if kind is FieldType.AMOUNT
    }
    blocks = merged_down_blocks(grid, first_row, amount_columns)
    if not blocks:
        return []
    entries = {column.name: column.entries for column in parsed_columns}
    shared: list[_SharedAmount] = []
    for block in blocks:
        top, left, bottom, _right = block
        low = bisect.bisect_left(records, top - first_row)
        high = bisect.bisect_right(records, bottom - first_row)
        covered = list(records[low:high])
        if len(covered) < 2:
            continue
        name = amount_columns[left]
        for index in covered[1:]:
            entries[name][index] = None
        shared.append(_SharedAmount(name, block, covered))
    return shared


def _shared_amount_findings(
    reader: _RowReader,
    first_row: int,
    deals: list[Deal],
    shared: list[_SharedAmount],
) -> list[Finding]:
    """Return ``merged-amount`` on each deal that a shared merged amount covers."""
    if not shared:
        return []
    deals_by_row = {deal.row: deal for deal in deals}
    findings: list[Finding] = []
    for amount in shared:
        top, left, bottom, right = amount.block
        rows = [first_row + index for index in amount.covered]
        params = {
            "cells": f"{column_letter(left)}{top}:{column_letter(right)}{bottom}",
            "count": str(len(rows)),
            "first_row": str(rows[0]),
        }
        findings += [
            _finding(Code.MERGED_AMOUNT, deals_by_row[row], reader, amount.name, params)
            for row in rows
            if row in deals_by_row
        ]
    return findings


def _totals_rows(
    reader: _RowReader,
    data: list[Sequence[CellValue]],
    parsed_columns: list[ParsedColumn],
    records: Sequence[int],
) -> dict[int, str]:
    """Return the records that are a totals row, with the label that marks each.

    In such a row the first filled cell is a totals label ("Total", "Grand
    Total", "Ann Count", "线索 汇总", "Total (USD)"), and the deal ID and the
    stage are blank or that label: Excel's table Total Row writes "Total" in
    the first column, and Data > Subtotal writes "<group> Total" in the column
    it groups by, which may be the stage. A label with its totals word before
    other words, such as "Total EMEA", counts only in a row that also contains a
    number, because it may name a company (:mod:`rules.totals_labels`).
    Counting such a row as a deal would add errors for its blank cells and
    count its sum as a deal's amount.
    """
    entries = {column.name: column.entries for column in parsed_columns}
    ids = entries.get(ID_FIELD)
    stages = next((c for c in parsed_columns if c.name == STAGE_FIELD), None)
    totals: dict[int, str] = {}
    for index in _rows_without_stage(reader.stages, stages, records):
        if ids is not None and not _blank_or_label(ids[index]):
            counted = _numeric_id_label(reader, data, index, stages)
            if counted is not None:
                totals[index] = counted
            continue
        first = _first_filled_cell(reader, data, index)
        if not isinstance(first, str) or not is_totals_label(first):
            continue
        if ends_with_totals_word(first) or _holds_number(reader, data, index):
            totals[index] = first
    return totals


def _numeric_id_label(
    reader: _RowReader,
    data: list[Sequence[CellValue]],
    index: int,
    stages: ParsedColumn | None,
) -> str | None:
    """Return the stage cell's label of a Data > Subtotal row that counts the IDs.

    Grouped by stage with Count on the ID column, Excel writes "Lead Count" in
    the stage cell and the number of IDs in the ID cell, and nothing else.
    Where the source does not read formulas (.ods, .xls), that count reads as
    a numeric ID. So a row is taken as such a row when its ID is a number, its
    stage ends with a totals word and its other cells contain no text.
    """
    entry = stages.entries[index] if stages is not None else None
    if not isinstance(entry, tuple) or not isinstance(entry[1], str):
        return None
    if not ends_with_totals_word(entry[1]):
        return None
    id_cell = data[reader.columns.fields[ID_FIELD]][index]
    if not isinstance(id_cell, (int, float)) or isinstance(id_cell, bool):
        return None
    label_columns = {
        reader.columns.fields[ID_FIELD],
        reader.columns.fields[STAGE_FIELD],
    }
    for column in reader.record_columns:
        cell = data[column][index]
        if column not in label_columns and isinstance(cell, str) and not is_blank(cell):
            return None
    return entry[1]


def _holds_number(
    reader: _RowReader, data: list[Sequence[CellValue]], index: int
) -> bool:
    """Return True when a record cell of the row is a number, not a TRUE/FALSE."""
    for column in reader.record_columns:
        cell = data[column][index]
        if isinstance(cell, (int, float)) and not isinstance(cell, bool):
            return True
    return False


def _table_total_rows(
    reader: _RowReader,
    data: list[Sequence[CellValue]],
    grid: SheetGrid,
    first_row: int,
    records: Sequence[int],
) -> dict[int, str]:
    """Return the records that an Excel table uses as its Total Row.

    Its first cell may show a count or a sum instead of "Total", so the
    table's own definition decides. The notice shows the row's first cell.
    """
    if not grid.total_rows:
        return {}
    recorded = set(records)
    indexes = [row - first_row for row in grid.total_rows if row >= first_row]
    return {
        index: display_value(_first_filled_cell(reader, data, index))
        for index in indexes
        if index in recorded
    }


def _subtotal_rows(
    reader: _RowReader,
    data: list[Sequence[CellValue]],
    grid: SheetGrid,
    first_row: int,
    records: Sequence[int],
) -> dict[int, str]:
    """Return the records whose filled cells all call SUBTOTAL, AGGREGATE or SUM.

    Such a row sums the deals, as ``=SUBTOTAL(9,E3:E50)`` above a filtered
    list does, although no label marks it. The notice shows its first cell.
    """
    if not grid.subtotal_formulas:
        return {}
    covered: dict[int, set[int]] = {}
    for top, left, bottom, right in grid.subtotal_formulas:
        for row in range(max(top, first_row), min(bottom, len(grid.rows)) + 1):
            covered.setdefault(row - first_row, set()).update(range(left, right + 1))

    totals: dict[int, str] = {}
    for index in sorted(covered.keys() & set(records)):
        columns = covered[index]
        filled = [i for i in reader.record_columns if not is_blank(data[i][index])]
        if filled and columns.issuperset(filled):
            totals[index] = display_value(data[filled[0]][index])
    return totals


def _aggregate_rows(
    reader: _RowReader,
    data: list[Sequence[CellValue]],
    grid: SheetGrid,
    first_row: int,
    records: Sequence[int],
) -> dict[int, str]:
    """Return the records with a SUBTOTAL or AGGREGATE formula and no ID of their own.

    Excel's Data > Subtotal writes such a row under each group: a label such
    as "Lead Count" in the column it groups by, and SUBTOTAL formulas in the
    columns it adds up or counts, the ID column among them when it counts the
    IDs. Whatever the label and function, the row is no deal. A row whose ID
    cell contains an ID without such a formula stays a deal, as one that numbers
    the visible rows with ``=SUBTOTAL(3,$A$2:A2)`` does. The notice shows the
    row's first text without such a formula, else its first cell.
    """
    if not grid.aggregate_formulas:
        return {}
    covered: dict[int, set[int]] = {}
    for top, left, bottom, right in grid.aggregate_formulas:
        for row in range(max(top, first_row), min(bottom, len(grid.rows)) + 1):
            covered.setdefault(row - first_row, set()).update(range(left, right + 1))

    id_column = reader.columns.fields.get(ID_FIELD)
    totals: dict[int, str] = {}
    for index in sorted(covered.keys() & set(records)):
        columns = covered[index]
        if columns.isdisjoint(reader.record_columns):
            continue
        if id_column is not None and id_column not in columns:
            id_cell = data[id_column][index]
            if not is_blank(id_cell) and not (
                isinstance(id_cell, str) and is_totals_label(id_cell)
            ):
                continue
        totals[index] = _subtotal_label(reader, data, index, columns)
    return totals


def _subtotal_label(
    reader: _RowReader, data: list[Sequence[CellValue]], index: int, formulas: set[int]
) -> str:
    for column in reader.record_columns:
        cell = data[column][index]
        if column not in formulas and isinstance(cell, str) and not is_blank(cell):
            return cell
    return display_value(_first_filled_cell(reader, data, index))


def _rows_without_stage(
    lookup: StageLookup, column: ParsedColumn | None, records: Sequence[int]
) -> Sequence[int]:
    """Return the records whose stage is blank or a totals label, not a stage.

    Each distinct stage cell has one shared entry, so the entries are compared
    by identity. Hashing the entries instead made read_deals 0.06 s slower at
    100k rows. Compared by identity, read_deals takes what it took without
    the check (0.216 against 0.218 s CPU, ``bench/read_stages.py``).
    """
    if column is None:
        return records
    return _records_with_entries(
        column,
        records,
        lambda entry: _blank_or_label(entry) and not _is_stage(lookup, entry),
    )


def _records_with_entries(
    column: ParsedColumn,
    records: Sequence[int],
    accept: Callable[[ParsedEntry], bool],
) -> Sequence[int]:
    """Return the records whose entry in ``column`` ``accept`` takes.

    Each distinct cell of a column has one shared entry, so ``accept`` runs
    once per distinct entry and the entries are compared by identity.
    """
    entries = column.entries
    # The column's parse cache lists its distinct entries, which saves a pass
    # over the entries (6 ms at 100k rows).
    distinct = column.distinct
    if distinct is None:
        distinct = dict(zip(map(id, entries), entries, strict=True)).values()
    matching = {id(entry) for entry in distinct if accept(entry)}
    if not matching:
        return []
    flags = map(matching.__contains__, map(id, entries))
    found = itertools.compress(range(len(entries)), flags)
    if isinstance(records, range) and records == range(len(entries)):
        return list(found)
    recorded = set(records)
    return [index for index in found if index in recorded]


def _blank_or_label(entry: ParsedEntry) -> bool:
    if entry is None:
        return True
    return (
        isinstance(entry, tuple)
        and isinstance(entry[1], str)
        and is_totals_label(entry[1])
    )


def _is_stage(lookup: StageLookup, entry: ParsedEntry) -> bool:
    """Return True for a stage entry that names a stage of the pipeline.

    A stage or alias such as "Sum up" contains a totals word, but a row in
    that stage is a deal.
    """
    return isinstance(entry, tuple) and lookup.find(str(entry[1])) is not None


def _first_filled_cell(
    reader: _RowReader, data: list[Sequence[CellValue]], index: int
) -> CellValue:
    """Return the first non-blank cell of a row in the record columns, or None."""
    for column in reader.record_columns:
        cell = data[column][index]
        if not is_blank(cell):
            return cell
    return None


def _totals_notices(first_row: int, totals: dict[int, str]) -> list[Finding]:
    return _row_notices(Code.TOTALS_ROW, first_row, totals)


def _row_notices(
    code: Code,
    first_row: int,
    labels: dict[int, str],
    params: dict[str, str] | None = None,
) -> list[Finding]:
    """Return a notice for each record left out, showing its label.

    :param params: the template's params the notices share, if any.
    """
    return [
        Finding(
            code=code,
            severity=SEVERITIES[code],
            row=first_row + index,
            value=label,
            params=params,
        )
        for index, label in sorted(labels.items())
    ]


def _repeated_headers(
    reader: _RowReader, data: list[Sequence[CellValue]], records: Sequence[int]
) -> dict[int, str]:
    """Return the records that are another header row, each with its label.

    A second table pasted below the first, such as an archive of closed deals
    or a second export, starts with such a row, and it may name the columns
    by other aliases (``ID`` in the header, ``Deal ID`` below). Its stage
    cell is a header text, its deal ID cell a header text or blank, and
    enough of its filled mapped cells are (:func:`_is_header_row`). The
    label is the row's deal ID cell, or its stage cell when the ID is blank.
    """
    header_texts = _header_texts_by_column(reader)
    stage_column = reader.columns.fields[STAGE_FIELD]
    # A stage column contains a few distinct labels, so those are folded, and
    # the rows are searched only when one of them names the stage column.
    # Folding each distinct ID instead took 0.1 s at 100k rows.
    stages = data[stage_column]
    header_stages = {
        cell
        for cell in set(stages)
        if isinstance(cell, str)
        and normalize_header(cell) in header_texts[stage_column]
    }
    if not header_stages:
        return {}

    # The ID cell is checked next because it costs one fold where the whole
    # row costs one per mapped column. With 100k rows whose stage cell names
    # the stage column, checking whole rows first took 1.9 s of CPU instead
    # of 0.1 s. The empty text in id_texts lets a blank ID pass.
    id_column = reader.columns.fields[ID_FIELD]
    ids = data[id_column]
    id_texts = {"", *header_texts[id_column]}
    return {
        index: str(stages[index] if is_blank(ids[index]) else ids[index])
        for index in records
        if stages[index] in header_stages
        and normalize_header(ids[index]) in id_texts
        and _is_header_row(data, index, header_texts)
    }


def _header_texts_by_column(reader: _RowReader) -> dict[int, set[str]]:
    """Return the folded texts that name each mapped column as a header would.

    These are the aliases of the column's fields and its header text.
    """
    texts: dict[int, set[str]] = {}
    for name, column in reader.columns.fields.items():
        aliases = reader.pipeline.columns[name].aliases
        found = texts.setdefault(column, set())
        found.update(normalize_header(alias) for alias in aliases)
        found.add(normalize_header(reader.columns.headers[column]))
    return texts


def _is_header_row(
    data: list[Sequence[CellValue]], index: int, header_texts: dict[int, set[str]]
) -> bool:
    """Return True when enough of a row's filled mapped cells are header texts.

    See :data:`REPEATED_HEADER_CELLS`. So a real deal with an ID, a stage
    named like the stage column and an account called ``Company`` stays a
    deal: 2 of its 3 filled cells are header texts.
    """
    filled = named = 0
    for column, texts in header_texts.items():
        cell = data[column][index]
        if is_blank(cell):
            continue
        filled += 1
        named += normalize_header(cell) in texts
    return named >= max(2, min(REPEATED_HEADER_CELLS, filled))


def _rows_in_merged_header(
    reader: _RowReader,
    data: list[Sequence[CellValue]],
    grid: SheetGrid,
    records: Sequence[int],
) -> set[int]:
    """Return the records that continue a header with merged cells.

    A header of two rows merges header cells across the columns of a group,
    such as ``Amount`` over E1:F1 with ``USD`` and ``EUR`` below, and often
    merges the other header cells down over the second row. A row below the
    header without a deal ID and a stage continues the header when each of
    its filled cells is text. Each such cell must lie under a header cell
    merged across columns, or inside one merged down to that row. A row with
    a deal ID or a stage stays a deal, whatever merge covers it.
    """
    header_row = reader.columns.header_row
    merges = [block for block in grid.merged if block[0] == header_row]
    if not merges:
        return set()
    bottom = max(header_row + 1, *(last for _top, _left, last, _right in merges))
    fields = reader.columns.fields
    ids, stages = data[fields[ID_FIELD]], data[fields[STAGE_FIELD]]
    continued = set()
    for index in records:
        row = header_row + 1 + index
        if row > bottom:
            break
        if not is_blank(ids[index]) or not is_blank(stages[index]):
            continue
        filled = [
            column for column in range(len(data)) if not is_blank(data[column][index])
        ]
        if all(
            isinstance(data[column][index], str)
            and _under_header_merge(merges, row, column)
            for column in filled
        ):
            continued.add(index)
    return continued


def _under_header_merge(
    merges: Sequence[tuple[int, int, int, int]], row: int, column: int
) -> bool:
    """Return True when a header merge spans ``column`` across, or ``row`` down."""
    return any(
        left <= column <= right and (right > left or last >= row)
        for _top, left, last, right in merges
    )


def _read_records(
    reader: _RowReader,
    first_row: int,
    rows: list[list[CellValue]],
    records: Sequence[int],
    parsed_columns: list[ParsedColumn],
) -> tuple[list[Deal], list[Finding]]:
    """Build one deal per record from the parsed columns, with its cell findings."""
    parsed_columns = [
        ParsedColumn(column.name, _take(column.entries, records), column.has_problems)
        for column in parsed_columns
    ]
    problems = _take_problems(parsed_columns)

    record_rows = _padded_rows(_take(rows, records), reader.width)
    deals, complete = _build_deals(
        reader, first_row, records, record_rows, parsed_columns
    )
    findings: list[Finding] = []
    for index in _indexes_with_findings(deals, problems, complete):
        findings.extend(_row_findings(reader, deals[index], problems.get(index, [])))
    return deals, findings


def _take(items: list[_T], records: Sequence[int]) -> list[_T]:
    """Return the items at the record indexes, or all items if every row is a record."""
    if len(records) == len(items):
        return items
    return list(map(items.__getitem__, records))


def _padded_rows(
    rows: Sequence[list[CellValue]], width: int
) -> Sequence[Sequence[CellValue]]:
    """Return the rows with short ones padded with None to ``width`` cells."""
    if min(map(len, rows), default=width) >= width:
        return rows
    return [
        cells if len(cells) >= width else [*cells, *[None] * (width - len(cells))]
        for cells in rows
    ]


class _ColumnParses(dict[CellValue, ParsedEntry]):
    """The entries of one column's distinct cells, each parsed on its first lookup."""

    def __init__(self, name: str, parse: CellParser) -> None:
        super().__init__()
        self.name = name
        self.parse = parse
        self.has_problems = False

    def __missing__(self, cell: CellValue) -> ParsedEntry:
        entry = self[cell] = self.parse_entry(cell)
        return entry

    def parse_entry(self, cell: CellValue) -> ParsedEntry:
        """Parse one cell into its entry, bypassing the cache."""
        if is_blank(cell):
            return None
        parsed = formula_error(cell) or self.parse(cell)
        if isinstance(parsed, CellProblem):
            self.has_problems = True
            return parsed
        return self.name, parsed


def _parse_column(
    name: str, cells: Sequence[CellValue], parse: CellParser
) -> ParsedColumn:
    """Parse one column's cells into entries, each distinct cell once where safe.

    For example, amount cells ``["$5", None, "$5", "lots"]`` become the entries
    ``[("amount", 5.0), None, ("amount", 5.0), CellProblem(...)]``.
    """
    if name == ID_FIELD:
        entries, has_problems = _parse_ids(cells)
        if has_problems:
            entries = [_id_problem(entry) for entry in entries]
        return ParsedColumn(name, entries, has_problems)

    parses = _ColumnParses(name, parse)
    entries, shared = _parse_distinct(parses, cells)
    distinct = parses.values() if shared else None
    return ParsedColumn(name, entries, parses.has_problems, distinct)


def _parse_ids(cells: Sequence[CellValue]) -> tuple[list[ParsedEntry], bool]:
    """Return the entries of the deal ID column, and whether one shows an error.

    IDs are read as text (see :func:`_field_types`), every cell once.
    :func:`parse_text` returns "" for a blank cell, and a text left with only
    invisible format characters becomes "" too, as :func:`is_blank` counts it
    blank. IDs are meant to be unique, so a cache would only add work. A cell
    that shows a formula error (``#N/A``) is no ID; the caller turns those
    entries into problems.
    """
    try:
        # parse_text returns a text cell stripped, and str.strip maps a column
        # of texts without a Python call per cell.
        texts = list(map(str.strip, cells))  # type: ignore[arg-type]
    except TypeError:
        texts = list(map(parse_text, cells))
    if not all(map(str.isascii, texts)):
        texts = [_compose_id(text) for text in texts]
    # A numbered error starts with "Err:", so one search of the joined IDs
    # spares a Python call per ID in a column without one.
    has_errors = not FORMULA_ERRORS.isdisjoint(texts) or (
        "Err:" in "\n".join(texts) and any(map(is_numbered_error, texts))
    )
    if "" not in texts:
        return list(zip(itertools.repeat(ID_FIELD), texts)), has_errors
    return [(ID_FIELD, text) if text else None for text in texts], has_errors


def _compose_id(text: str) -> str:
    """Return an ID cell's text in NFC form, or "" when only invisible marks remain.

    NFC composes an accent stored as a combining mark (``U`` and U+0308 is
    ``Ü``), so the ID is the same deal however the cell stored it, in the
    state database and in messages too. Invisible marks are kept, so messages
    can name them.
    """
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", text) if deal_id_key(text) else ""


def _id_problem(entry: ParsedEntry) -> ParsedEntry:
    """Return the problem of an ID cell showing a formula error, else the entry."""
    if isinstance(entry, tuple):
        return formula_error(entry[1]) or entry
    return entry


def _parse_distinct(
    parses: _ColumnParses, cells: Sequence[CellValue]
) -> tuple[list[ParsedEntry], bool]:
    """Return the entries of a column's cells, parsing each distinct cell once.

    Also returns whether every entry is one of the values of ``parses``.
    """
    entries = list(map(parses.__getitem__, cells))
    if _UNMIXED_TYPES.issuperset(map(type, parses)):
        return entries, True
    cell_types = set(map(type, cells))
    if _CACHED_TYPES.issuperset(cell_types):
        # No cell of a cached type equals a cell of another cached type, so
        # every lookup found its own cell's entry.
        return entries, True
    if _CACHED_TYPES.issuperset(cell_types - {float}) and not _has_whole_float(cells):
        # A float with a fraction equals no int or bool, and it parses as
        # every float equal to it does, so each lookup also found its own
        # cell's entry. Percent columns of fractions (0.25) are like this.
        return entries, True

    # A cell may have been looked up under an equal key of another type (True
    # under 1), so the column is parsed again, caching only the safe types.
    parses.clear()
    parses.has_problems = False
    entries = [
        parses[cell] if type(cell) in _CACHED_TYPES else parses.parse_entry(cell)
        for cell in cells
    ]
    return entries, False


def _has_whole_float(cells: Sequence[CellValue]) -> bool:
    """Return True when a float cell has no fraction, as 2.0 and -0.0 have."""
    # filter with a type's own check runs in C, but mypy cannot narrow it.
    floats = cast("Iterator[float]", filter(float.__instancecheck__, cells))
    return any(map(float.is_integer, floats))


def _take_problems(
    columns: list[ParsedColumn],
) -> dict[int, list[tuple[str, CellProblem]]]:
    """Move the cell problems out of the parsed columns, by record index.

    A record's problems keep the order of ``field_types``. The entries they
    leave become None, like blank cells.
    """
    problems: dict[int, list[tuple[str, CellProblem]]] = {}
    for column in columns:
        if not column.has_problems:
            continue
        for index, entry in enumerate(column.entries):
            if isinstance(entry, CellProblem):
                problems.setdefault(index, []).append((column.name, entry))
                column.entries[index] = None
    return problems


def _build_deals(
    reader: _RowReader,
    first_row: int,
    records: Sequence[int],
    record_rows: Sequence[Sequence[CellValue]],
    parsed_columns: list[ParsedColumn],
) -> tuple[list[Deal], bool]:
    """Build the deals from the parsed columns, each step one pass over all records.

    Returns the deals and whether every one has a deal ID and a known stage.
    A deal's ``raw`` view reads its row's cells by the mapped columns' indexes.
    """
    rows = map(first_row.__add__, records)
    # Problems were taken out, so entries are (field, value) pairs or None.
    entry_rows = zip(*[column.entries for column in parsed_columns], strict=True)
    values = list(map(dict, map(filter, itertools.repeat(None), entry_rows)))
    raws = map(RowCells, itertools.repeat(reader.columns.fields), record_rows)

    entries_by_field = {column.name: column.entries for column in parsed_columns}
    ids, all_ids = _ids_of(entries_by_field.get(ID_FIELD), len(records))
    stage_entries = entries_by_field.get(STAGE_FIELD) or [None] * len(records)
    stage_finds = _StageFinds(reader.stages)
    stages = list(map(stage_finds.__getitem__, stage_entries))
    deals = list(map(Deal, rows, ids, stages, raws, values))
    return deals, all_ids and None not in stage_finds.values()


def _ids_of(
    entries: list[ParsedEntry] | None, count: int
) -> tuple[list[str | None], bool]:
    """Return each record's deal ID, None if blank, and whether none is blank."""
    if entries is None:
        return [None] * count, count == 0
    try:
        # An id entry is a pair whose value is text (see _parse_ids), so only
        # a blank entry, None, raises here.
        pairs = cast("list[tuple[str, str]]", entries)
        return list(map(_second, pairs)), True
    except TypeError:
        ids = [
            entry[1] if isinstance(entry, tuple) and isinstance(entry[1], str) else None
            for entry in entries
        ]
        return ids, False


class _StageFinds(dict[ParsedEntry, Stage | None]):
    """The stage of each distinct stage entry, found on its first lookup."""

    def __init__(self, stages: StageLookup) -> None:
        super().__init__()
        self.stages = stages

    def __missing__(self, entry: ParsedEntry) -> Stage | None:
        label = entry[1] if isinstance(entry, tuple) else None
        stage = self.stages.find(label) if isinstance(label, str) else None
        self[entry] = stage
        return stage


def _indexes_with_findings(
    deals: list[Deal],
    problems: dict[int, list[tuple[str, CellProblem]]],
    complete: bool,
) -> list[int]:
    """Return the indexes of the deals that get a finding, in row order.

    ``complete`` is true when every deal has a deal ID and a known stage, so
    only the deals with cell problems get findings.
    """
    if complete:
        return sorted(problems)
    incomplete = [
        index
        for index, deal in enumerate(deals)
        if deal.deal_id is None or deal.stage is None
    ]
    return sorted({*problems, *incomplete})


def _row_findings(
    reader: _RowReader,
    deal: Deal,
    unreadable: list[tuple[str, CellProblem]],
) -> list[Finding]:
    findings: list[Finding] = []
    # A cell showing a formula error gets that finding, not "missing".
    failed = {
        name for name, problem in unreadable if problem.reason is Reason.FORMULA_ERROR
    }
    if deal.deal_id is None and ID_FIELD not in failed:
        findings.append(_finding(Code.MISSING_ID, deal, reader, ID_FIELD))
    stage_failed = STAGE_FIELD in failed
    if not stage_failed and STAGE_FIELD not in deal.values:
        findings.append(_finding(Code.MISSING_REQUIRED, deal, reader, STAGE_FIELD))
    elif not stage_failed and deal.stage is None:
        params = {"stages": reader.stage_names}
        label = str(deal.values[STAGE_FIELD])
        suggestion = reader.stages.suggest(label)
        raw = deal.raw.get(STAGE_FIELD)
        # An alias for a totals label would make every such row a deal.
        if is_totals_label(label):
            params["totals_label"] = label
        elif isinstance(raw, dt.date | dt.datetime):
            # A date cell: Excel turned a stage typed like 1/2 into a date, so a
            # stage spelt like it would be the wrong fix.
            params["date_cell"] = raw.isoformat()[:10]
        elif suggestion is not None:
            params["suggestion"] = suggestion
        code = Code.UNKNOWN_STAGE
        findings.append(_finding(code, deal, reader, STAGE_FIELD, params))

    for name, problem in unreadable:
        if problem.reason is Reason.FORMULA_ERROR:
            findings.append(_finding(Code.FORMULA_ERROR, deal, reader, name))
            continue
        params = {"reason": problem.reason.value, "detail": problem.detail}
        params.update(problem.params)
        code = PROBLEM_CODES[reader.field_types[name]]
        if name == PROBABILITY_FIELD:
            code = Code.BAD_PROBABILITY
        findings.append(_finding(code, deal, reader, name, params))
    return findings


def _mixed_currency_findings(
    reader: _RowReader, data: list[Sequence[CellValue]], deals: list[Deal]
) -> list[Finding]:
    """Return ``mixed-currency`` on each amount not in its column's main currency.

    Such an amount is taken out of the deal's values, as an unreadable amount
    is, so that no total adds two currencies. A column whose most common
    currencies tie has no main currency, so each of its amounts with a mark
    is taken out, whatever the order of the rows.
    """
    findings: list[Finding] = []
    for name, kind in reader.field_types.items():
        # A test of the whole column skips the per-deal work for most columns,
        # which have one currency or none.
        column = data[reader.columns.fields[name]]
        if kind is not FieldType.AMOUNT or find_currency_mix(column) is None:
            continue
        readable = [deal for deal in deals if name in deal.values]
        mix = find_currency_mix([deal.raw.get(name) for deal in readable])
        if mix is None:
            continue

        for deal, currency in zip(readable, mix.currencies, strict=True):
            if currency is None or currency == mix.main:
                continue
            del deal.values[name]
            params = _mixed_currency_params(mix, currency)
            findings.append(_finding(Code.MIXED_CURRENCY, deal, reader, name, params))
    return findings


def _mixed_currency_params(mix: CurrencyMix, currency: str) -> dict[str, str]:
    if mix.main is not None:
        return {"currency": currency, "main_currency": mix.main}
    return {
        "currency": currency,
        "tied_currencies": ", ".join(mix.tied),
        "tied_count": str(mix.tied_count),
    }


def _row_number_ids(
    reader: _RowReader, grid: SheetGrid, first_row: int, deals: list[Deal]
) -> list[Finding]:
    """Return a finding on each deal whose ID is computed from the row number.

    Such an ID (``="D-"&ROW()``) moves to another deal when rows are sorted,
    so the run would match statuses and stage history to the wrong deals.
    Each such deal gets the error, so that its status shows it.
    """
    column = reader.columns.fields.get(ID_FIELD)
    if column is None:
        return []
    blocks = [
        (max(first, first_row), last)
        for first, first_column, last, last_column in grid.row_formulas
        if first_column <= column <= last_column and last >= first_row
    ]
    if not blocks:
        return []
    deal_rows = [deal.row for deal in deals]
    rows = [
        row for row in deal_rows if any(first <= row <= last for first, last in blocks)
    ]
    header = reader.columns.header_of(ID_FIELD)
    severity = SEVERITIES[Code.ID_FROM_ROW_NUMBER]
    return [
        Finding(
            code=Code.ID_FROM_ROW_NUMBER,
            severity=severity,
            row=row,
            column=header,
            value=display_value(grid.cell(row, column)) or None,
            deal_id=_deal_id_at(deals, row),
            field=ID_FIELD,
        )
        for row in rows
    ]


def _ids_not_text(
    reader: _RowReader,
    data: list[Sequence[CellValue]],
    first_row: int,
    deals: list[Deal],
) -> list[Finding]:
    """Return an error on each deal whose ID cell is not text or a whole number.

    A TRUE/FALSE, date, time or fractional number cell is read as the text it
    shows, which depends on the program and its settings: a float of 17
    significant digits shows 15. A person searching for or retyping such an
    ID can get another one, so it must be typed as text. So must a whole
    number of more than 15 significant digits, whose last digits are lost.
    """
    column = reader.columns.fields.get(ID_FIELD)
    if column is None:
        return []
    cells = data[column]
    # Nearly every ID column contains only text, so checking the set of its cell
    # types first spares a Python test per cell.
    types = set(map(type, cells))
    if types <= _TEXT_ID_TYPES and (int not in types or not _has_long_int(cells)):
        return []
    rows = [
        first_row + index
        for index, cell in enumerate(cells)
        if (type(cell) not in _TEXT_ID_TYPES and not _is_whole_number(cell))
        or _has_lost_digits(cell)
    ]
    if not rows:
        return []

    deals_by_row = {deal.row: deal for deal in deals}
    return [
        _finding(
            Code.ID_NOT_TEXT,
            deals_by_row[row],
            reader,
            ID_FIELD,
            _id_not_text_params(cells[row - first_row], deals_by_row[row]),
        )
        for row in rows
        if row in deals_by_row
    ]


def _id_not_text_params(cell: CellValue, deal: Deal) -> dict[str, str]:
    if not _has_lost_digits(cell):
        return {"cell_kind": _id_cell_kind(cell)}
    full_number = deal.deal_id or ""
    return {
        "cell_kind": "long-number",
        "digit_count": str(len(full_number.lstrip("-"))),
        "significant_digits": str(_SPREADSHEET_DIGITS),
        "full_number": full_number,
    }


# Spreadsheets keep 15 significant digits of a number, so a numeric ID with
# more has lost digits, or loses them when it is edited or retyped.
_SPREADSHEET_DIGITS = 15
_LONG_NUMBER: int = 10**_SPREADSHEET_DIGITS


def _has_long_int(cells: Sequence[CellValue]) -> bool:
    # Called for a column of texts, ints and blanks with an int among them.
    # 100,000 int IDs cost about 10 ms (timeit, 2-core VM).
    numbers = [cell for cell in cells if type(cell) is int]
    return max(map(abs, numbers), default=0) >= _LONG_NUMBER


def _has_lost_digits(cell: CellValue) -> bool:
    """Return True for a number of more significant digits than a spreadsheet keeps.

    Before: 1.234567890123457e19, or the int 12345678901234569216 that a reader
    makes of it. After: True, because the number has 16 significant digits.
    1234567890123450000 has 15, so it is kept whole.
    """
    if type(cell) not in (int, float):
        return False
    number = cast(int | float, cell)
    if not math.isfinite(number) or abs(number) < _LONG_NUMBER:
        return False
    # A whole float, or an int a reader made of one, has the digits of the
    # float's shortest form, not the many digits of its exact binary value.
    if isinstance(number, float) or float(number) == number:
        digits = repr(float(abs(number))).partition("e")[0].replace(".", "")
    else:
        digits = str(abs(number))
    return len(digits.strip("0")) > _SPREADSHEET_DIGITS


# Cell types of a deal ID that read back as the same text in every program.
_TEXT_ID_TYPES = frozenset({str, int, type(None)})


def _id_cell_kind(cell: CellValue) -> str:
    """Return the ``cell_kind`` param of an ``id-not-text`` finding on ``cell``."""
    if isinstance(cell, bool):
        return "true-false"
    if isinstance(cell, dt.datetime):
        return "date" if cell.time() == dt.time() else "date-time"
    if isinstance(cell, dt.date):
        return "date"
    if isinstance(cell, dt.time):
        return "time"
    return "decimal"


def _is_whole_number(cell: CellValue) -> bool:
    return type(cell) is float and math.isfinite(cell) and cell.is_integer()


def _finding(
    code: Code,
    deal: Deal,
    reader: _RowReader,
    name: str,
    params: dict[str, str] | None = None,
) -> Finding:
    cell = deal.raw.get(name)
    return Finding(
        code=code,
        severity=SEVERITIES[code],
        row=deal.row,
        column=reader.columns.header_of(name),
        value=None if is_blank(cell) else display_value(cell),
        deal_id=deal.deal_id,
        field=name,
        params=params or {},
    )


def _blank_header_warnings(
    reader: _RowReader,
    data: list[Sequence[CellValue]],
    first_row: int,
    deals: list[Deal],
    header_rows: Collection[int] = (),
) -> list[Finding]:
    """Return a warning at the first filled cell of each column with a blank header.

    Cells on ``header_rows``, which continue the header, are passed over, so
    a sub-column's label such as ``EUR`` is not the cell the warning names.
    The warning names no deal: the cell is outside the mapped columns, and
    whichever deal sits on its row changes when the deals are sorted.
    """
    findings: list[Finding] = []
    for index in reader.blank_header_columns:
        found = _first_filled(data[index], header_rows)
        if found is None:
            continue

        row_number, value = first_row + found, data[index][found]
        letter = column_letter(index)
        findings.append(
            Finding(
                code=Code.CONTENT_UNDER_BLANK_HEADER,
                severity=SEVERITIES[Code.CONTENT_UNDER_BLANK_HEADER],
                row=row_number,
                value=display_value(value),
                params={"column": letter, "cell": f"{letter}{row_number}"},
            )
        )
    return findings


def _deal_id_at(deals: list[Deal], row_number: int) -> str | None:
    # Deals are in row order, so a binary search finds the row's deal if any.
    position = bisect.bisect_left(deals, row_number, key=operator.attrgetter("row"))
    if position < len(deals) and deals[position].row == row_number:
        return deals[position].deal_id
    return None


def _first_filled(
    cells: Sequence[CellValue], skipped: Collection[int] = ()
) -> int | None:
    return next(
        (
            row
            for row, cell in enumerate(cells)
            if not is_blank(cell) and row not in skipped
        ),
        None,
    )
