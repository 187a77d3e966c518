"""Read the data rows of the pipeline tab into deals and cell-level findings."""

from __future__ import annotations

import bisect
import datetime as dt
import operator
from collections.abc import Sequence
from dataclasses import dataclass

from config.models import ID_FIELD, STAGE_FIELD, FieldType, Pipeline
from rules.cells import CellParser, CellProblem, cell_parser, display_value
from rules.deals import ColumnMap, Deal, ParsedValue, RowCells
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
# distinct value of these types once. Floats, bools, datetimes and times are
# left out because -0.0 equals 0.0, True equals 1 and aware values equal across
# time zones, yet each of these pairs parses differently.
_CACHED_TYPES = frozenset({type(None), str, int, dt.date})

# A parsed cell: its field and value, the problem that kept it from parsing, or
# None when it is blank. Pairs let a row's entries become its ``values`` dict
# in one call.
ParsedEntry = tuple[str, ParsedValue] | CellProblem | None


@dataclass
class ParsedColumn:
    """One field's parsed cells, one entry per record."""

    name: str
    entries: list[ParsedEntry]
    has_problems: bool


@dataclass
class _RowReader:
    """Per-tab inputs of row reading: columns, stage lookup and column groups.

    ``field_types`` has every mapped field in the order a deal's ``values``
    keep: id, stage, then the others in sheet column order. ``raw_positions``
    maps each mapped field to its index in the cells that :func:`_mapped_cells`
    returns, for the deals' ``raw`` views.
    """

    columns: ColumnMap
    pipeline: Pipeline
    stages: StageLookup
    stage_names: str
    field_types: dict[str, FieldType]
    raw_positions: dict[str, int]
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
        raw_positions={name: index for index, name in enumerate(columns.fields)},
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
        _parse_column(name, raw_columns[name], cell_parser(kind, date_order))
        for name, kind in reader.field_types.items()
    ]
    problems = _take_problems(parsed_columns)

    parsed_rows = zip(*[column.entries for column in parsed_columns], strict=True)
    deals = [
        _build_deal(reader, row_number, raw_cells, entries)
        for (row_number, _), raw_cells, entries in zip(
            records, raw_rows, parsed_rows, strict=True
        )
    ]
    findings: list[Finding] = []
    for index, deal in enumerate(deals):
        if index in problems or deal.deal_id is None or deal.stage is None:
            findings.extend(_row_findings(reader, deal, problems.get(index, [])))
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
        parsed = self.parse(cell)
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
    parses = _ColumnParses(name, parse)
    if _CACHED_TYPES.issuperset(map(type, cells)):
        entries = list(map(parses.__getitem__, cells))
    else:
        entries = [
            parses[cell] if type(cell) in _CACHED_TYPES else parses.parse_entry(cell)
            for cell in cells
        ]
    return ParsedColumn(name, entries, parses.has_problems)


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


def _build_deal(
    reader: _RowReader,
    row_number: int,
    raw_cells: tuple[CellValue, ...],
    entries: tuple[ParsedEntry, ...],
) -> Deal:
    # Problems were taken out, so entries are (field, value) pairs or None.
    values: dict[str, ParsedValue] = dict(filter(None, entries))  # type: ignore[arg-type]
    deal_id, label = values.get(ID_FIELD), values.get(STAGE_FIELD)
    stage = reader.stages.find(label) if isinstance(label, str) else None
    raw = RowCells(reader.raw_positions, raw_cells)

    # Positional arguments, because keywords took roughly a fifth of this
    # function's time (an estimate on CPython 3.11 with 100k deals).
    return Deal(
        row_number, deal_id if isinstance(deal_id, str) else None, stage, raw, values
    )


def _row_findings(
    reader: _RowReader,
    deal: Deal,
    unreadable: list[tuple[str, CellProblem]],
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

    for name, problem in unreadable:
        params = {"reason": problem.reason.value, "detail": problem.detail}
        code = PROBLEM_CODES[reader.field_types[name]]
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
