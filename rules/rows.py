"""Read the data rows of the pipeline tab into deals and cell-level findings."""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from config.models import ID_FIELD, STAGE_FIELD, FieldType, Pipeline
from rules.cells import CellProblem, display_value, parse_cell
from rules.deals import ColumnMap, Deal, ParsedValue
from rules.findings import Code, Finding, Severity
from rules.grid import CellValue, SheetGrid, column_letter, is_blank
from rules.headers import StageLookup, normalize_header

# The finding a cell gets when it cannot be read as its column's type. Text
# columns accept every value, so they have no entry.
PROBLEM_CODES: dict[FieldType, Code] = {
    FieldType.DATE: Code.BAD_DATE,
    FieldType.AMOUNT: Code.BAD_AMOUNT,
    FieldType.NUMBER: Code.BAD_NUMBER,
    FieldType.PERCENT: Code.BAD_PROBABILITY,
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
    Code.BAD_FLAG: Severity.ERROR,
    Code.CONTENT_UNDER_BLANK_HEADER: Severity.WARNING,
}

# Cell types whose equal values always parse alike, so a column parses each
# distinct value of these types once. Floats, bools and datetimes are left out
# because -0.0 equals 0.0, True equals 1 and aware datetimes equal across time
# zones, yet each of these pairs parses differently.
_CACHED_TYPES = (str, int, dt.date)

# A parsed column: one entry per deal, None where the cell is blank.
ParsedColumn = list[ParsedValue | CellProblem | None]
CellParser = Callable[[CellValue], ParsedValue | CellProblem]


@dataclass
class _RowReader:
    """Per-tab inputs of row reading: columns, stage lookup and column groups.

    ``field_types`` has every mapped field in the order a deal's ``values``
    keep: id, stage, then the others in sheet column order.
    """

    columns: ColumnMap
    pipeline: Pipeline
    stages: StageLookup
    stage_names: str
    field_types: dict[str, FieldType]
    record_columns: list[int]
    blank_header_columns: list[int]


def read_deals(
    grid: SheetGrid, columns: ColumnMap, pipeline: Pipeline
) -> tuple[list[Deal], list[Finding]]:
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
    status column is filled. Content under a blank header gets one
    ``content-under-blank-header`` warning per column, at its first filled row.
    """
    reader = _row_reader(grid, columns, pipeline)
    first_row = columns.header_row + 1
    records = [
        (row_number, cells)
        for row_number, cells in enumerate(grid.rows[first_row - 1 :], first_row)
        if _is_record(cells, reader.record_columns)
    ]

    deals, findings = _read_records(reader, records)
    warnings = _blank_header_warnings(reader, grid, first_row, deals)
    # The sort is stable, so a row's cell findings stay before its warnings.
    return deals, sorted([*findings, *warnings], key=lambda item: item.row or 0)


def _row_reader(grid: SheetGrid, columns: ColumnMap, pipeline: Pipeline) -> _RowReader:
    width = max([len(columns.headers), *(len(row) for row in grid.rows)])
    headed = [
        index < len(columns.headers) and bool(normalize_header(columns.headers[index]))
        for index in range(width)
    ]
    own = {columns.status_column}
    return _RowReader(
        columns=columns,
        pipeline=pipeline,
        stages=StageLookup(pipeline),
        stage_names=", ".join(stage.name for stage in pipeline.stages),
        field_types=_field_types(columns, pipeline),
        record_columns=[i for i in range(width) if headed[i] and i not in own],
        blank_header_columns=[
            i for i in range(width) if not headed[i] and i not in own
        ],
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


def _is_record(cells: list[CellValue], record_columns: list[int]) -> bool:
    # Rows may be shorter than the header: trailing blank cells are left out.
    width = len(cells)
    for index in record_columns:
        if index < width and not is_blank(cells[index]):
            return True
    return False


def _read_records(
    reader: _RowReader, records: list[tuple[int, list[CellValue]]]
) -> tuple[list[Deal], list[Finding]]:
    """Parse the mapped cells column by column, then build one deal per record."""
    raw_names = list(reader.columns.fields)
    raw_rows = _mapped_cells([cells for _, cells in records], reader.columns)
    transposed = list(zip(*raw_rows, strict=True)) or [()] * len(raw_names)
    raw_columns = dict(zip(raw_names, transposed, strict=True))

    date_order = reader.pipeline.date_order
    parsed_columns = [
        _parse_column(
            raw_columns[name],
            functools.partial(parse_cell, field_type=kind, date_order=date_order),
        )
        for name, kind in reader.field_types.items()
    ]
    parsed_rows = zip(*parsed_columns, strict=True)

    deals: list[Deal] = []
    findings: list[Finding] = []
    for (row_number, _), raw_cells, parsed in zip(
        records, raw_rows, parsed_rows, strict=True
    ):
        raw = dict(zip(raw_names, raw_cells, strict=True))
        deal = _build_deal(reader, row_number, raw, parsed)
        deals.append(deal)

        unreadable = CellProblem in map(type, parsed)
        if unreadable or deal.deal_id is None or deal.stage is None:
            findings.extend(_row_findings(reader, deal, parsed))
    return deals, findings


def _mapped_cells(
    rows: list[list[CellValue]], columns: ColumnMap
) -> list[tuple[CellValue, ...]]:
    """Return each row's mapped cells, in the order of ``columns.fields``."""
    indexes = list(columns.fields.values())
    width = max(indexes, default=-1) + 1
    padded = [
        cells if len(cells) >= width else [*cells, *[None] * (width - len(cells))]
        for cells in rows
    ]
    if len(indexes) == 1:
        return [(cells[indexes[0]],) for cells in padded]
    return list(map(operator.itemgetter(*indexes), padded))


def _parse_column(cells: Sequence[CellValue], parse: CellParser) -> ParsedColumn:
    """Parse one column's cells, each distinct text, whole number or date once."""
    known: dict[CellValue, ParsedValue | CellProblem | None] = {}
    parsed: ParsedColumn = []
    for cell in cells:
        if cell is None:
            parsed.append(None)
        elif type(cell) in _CACHED_TYPES:
            if cell not in known:
                known[cell] = _parse_filled(cell, parse)
            parsed.append(known[cell])
        else:
            parsed.append(_parse_filled(cell, parse))
    return parsed


def _parse_filled(
    cell: CellValue, parse: CellParser
) -> ParsedValue | CellProblem | None:
    return None if is_blank(cell) else parse(cell)


def _build_deal(
    reader: _RowReader,
    row_number: int,
    raw: dict[str, CellValue],
    parsed: tuple[ParsedValue | CellProblem | None, ...],
) -> Deal:
    # ``parsed`` follows ``field_types``: the id, the stage label, then the rest.
    values = {
        name: value
        for name, value in zip(reader.field_types, parsed, strict=True)
        if value is not None and not isinstance(value, CellProblem)
    }
    deal_id, label = values.get(ID_FIELD), values.get(STAGE_FIELD)
    deal = Deal(row=row_number, deal_id=None, stage=None, raw=raw, values=values)
    deal.deal_id = deal_id if isinstance(deal_id, str) else None
    if isinstance(label, str):
        deal.stage = reader.stages.find(label)
    return deal


def _row_findings(
    reader: _RowReader,
    deal: Deal,
    parsed: tuple[ParsedValue | CellProblem | None, ...],
) -> list[Finding]:
    findings: list[Finding] = []
    if deal.deal_id is None:
        findings.append(_finding(Code.MISSING_ID, deal, reader, ID_FIELD))
    if STAGE_FIELD not in deal.values:
        findings.append(_finding(Code.MISSING_REQUIRED, deal, reader, STAGE_FIELD))
    elif deal.stage is None:
        params = {"stages": reader.stage_names}
        code = Code.UNKNOWN_STAGE
        findings.append(_finding(code, deal, reader, STAGE_FIELD, params))

    for (name, field_type), value in zip(
        reader.field_types.items(), parsed, strict=True
    ):
        if isinstance(value, CellProblem):
            params = {"reason": value.reason.value, "detail": value.detail}
            code = PROBLEM_CODES[field_type]
            findings.append(_finding(code, deal, reader, name, params))
    return findings


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
    reader: _RowReader, grid: SheetGrid, first_row: int, deals: list[Deal]
) -> list[Finding]:
    """Return a warning at the first filled cell of each column with a blank header."""
    findings: list[Finding] = []
    for index in reader.blank_header_columns:
        found = _first_filled(grid, first_row, index)
        if found is None:
            continue

        row_number, value = found
        letter = column_letter(index)
        findings.append(
            Finding(
                code=Code.CONTENT_UNDER_BLANK_HEADER,
                severity=SEVERITIES[Code.CONTENT_UNDER_BLANK_HEADER],
                row=row_number,
                value=display_value(value),
                deal_id=_deal_id_at(deals, row_number),
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
    grid: SheetGrid, first_row: int, index: int
) -> tuple[int, CellValue] | None:
    for row_number in range(first_row, len(grid.rows) + 1):
        cells = grid.rows[row_number - 1]
        if index < len(cells) and not is_blank(cells[index]):
            return row_number, cells[index]
    return None
