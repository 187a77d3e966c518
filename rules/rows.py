"""Read the data rows of the pipeline tab into deals and cell-level findings."""

from __future__ import annotations

from dataclasses import dataclass, field

from config.models import ID_FIELD, STAGE_FIELD, FieldType, Pipeline, Stage
from rules.cells import CellProblem, display_value, parse_cell, parse_text
from rules.deals import ColumnMap, Deal
from rules.findings import Code, Finding, Severity
from rules.grid import CellValue, SheetGrid, column_letter, is_blank
from rules.headers import normalize_header, stage_lookup

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


@dataclass
class _RowReader:
    """Per-tab inputs of row reading: columns, stage lookup and column groups."""

    columns: ColumnMap
    pipeline: Pipeline
    stages: dict[str, Stage]
    stage_names: str
    value_fields: dict[str, FieldType]
    record_columns: list[int]
    blank_header_columns: list[int]
    stage_keys: dict[str, str] = field(default_factory=dict)


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
    deals: list[Deal] = []
    findings: list[Finding] = []
    warned: set[int] = set()

    for row_number in range(columns.header_row + 1, len(grid.rows) + 1):
        cells = grid.rows[row_number - 1]
        deal: Deal | None = None
        if any(not is_blank(_cell(cells, index)) for index in reader.record_columns):
            deal, row_findings = _read_deal(reader, row_number, cells)
            deals.append(deal)
            findings.extend(row_findings)
        findings.extend(_blank_header_warnings(reader, row_number, cells, deal, warned))
    return deals, findings


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
        stages=stage_lookup(pipeline),
        stage_names=", ".join(stage.name for stage in pipeline.stages),
        value_fields=_value_fields(columns, pipeline),
        record_columns=[i for i in range(width) if headed[i] and i not in own],
        blank_header_columns=[
            i for i in range(width) if not headed[i] and i not in own
        ],
    )


def _value_fields(columns: ColumnMap, pipeline: Pipeline) -> dict[str, FieldType]:
    """Return the type of each mapped field but id and stage, in sheet column order."""
    by_column = sorted(columns.fields.items(), key=lambda item: item[1])
    return {
        name: pipeline.field_type(name)
        for name, _ in by_column
        if name not in (ID_FIELD, STAGE_FIELD)
    }


def _cell(cells: list[CellValue], index: int) -> CellValue:
    # Rows may be shorter than the header: trailing blank cells are left out.
    return cells[index] if index < len(cells) else None


def _read_deal(
    reader: _RowReader, row_number: int, cells: list[CellValue]
) -> tuple[Deal, list[Finding]]:
    raw = {name: _cell(cells, index) for name, index in reader.columns.fields.items()}
    deal = Deal(row=row_number, deal_id=None, stage=None, raw=raw)
    findings = _read_id(reader, deal)
    findings.extend(_read_stage(reader, deal))
    for name in reader.value_fields:
        findings.extend(_read_value(reader, deal, name))
    return deal, findings


def _read_id(reader: _RowReader, deal: Deal) -> list[Finding]:
    # IDs are always text, so 1001.0 from a number cell becomes "1001".
    cell = deal.raw.get(ID_FIELD)
    if is_blank(cell):
        return [_finding(Code.MISSING_ID, deal, reader, ID_FIELD)]

    deal.deal_id = parse_text(cell)
    deal.values[ID_FIELD] = deal.deal_id
    return []


def _read_stage(reader: _RowReader, deal: Deal) -> list[Finding]:
    cell = deal.raw.get(STAGE_FIELD)
    if is_blank(cell):
        return [_finding(Code.MISSING_REQUIRED, deal, reader, STAGE_FIELD)]

    label = parse_text(cell)
    deal.values[STAGE_FIELD] = label
    deal.stage = reader.stages.get(_stage_key(reader, label))
    if deal.stage is not None:
        return []
    params = {"stages": reader.stage_names}
    return [_finding(Code.UNKNOWN_STAGE, deal, reader, STAGE_FIELD, params)]


def _stage_key(reader: _RowReader, label: str) -> str:
    # Stage labels repeat on most rows, so each distinct label is normalized once.
    if label not in reader.stage_keys:
        reader.stage_keys[label] = normalize_header(label)
    return reader.stage_keys[label]


def _read_value(reader: _RowReader, deal: Deal, name: str) -> list[Finding]:
    cell = deal.raw[name]
    if is_blank(cell):
        return []

    field_type = reader.value_fields[name]
    parsed = parse_cell(cell, field_type, date_order=reader.pipeline.date_order)
    if not isinstance(parsed, CellProblem):
        deal.values[name] = parsed
        return []

    params = {"reason": parsed.reason.value, "detail": parsed.detail}
    return [_finding(PROBLEM_CODES[field_type], deal, reader, name, params)]


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
    row_number: int,
    cells: list[CellValue],
    deal: Deal | None,
    warned: set[int],
) -> list[Finding]:
    findings: list[Finding] = []
    for index in reader.blank_header_columns:
        value = _cell(cells, index)
        if index in warned or is_blank(value):
            continue

        warned.add(index)
        letter = column_letter(index)
        findings.append(
            Finding(
                code=Code.CONTENT_UNDER_BLANK_HEADER,
                severity=SEVERITIES[Code.CONTENT_UNDER_BLANK_HEADER],
                row=row_number,
                value=display_value(value),
                deal_id=deal.deal_id if deal is not None else None,
                params={"column": letter, "cell": f"{letter}{row_number}"},
            )
        )
    return findings
