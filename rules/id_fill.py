"""New IDs for the deal rows whose ID cell is blank, when the definition sets ``fill``.

With ``columns.id.fill: {prefix: D-, digits: 4}``, a deal row with a blank ID
cell gets the next number after the highest ``D-`` number on the sheet and in
the run history::

    Deal ID | Stage           Deal ID | Stage
    D-0007  | Lead            D-0007  | Lead
            | Proposal   →    D-0010  | Proposal     (D-0009 was deleted,
    D-0008  | Demo            D-0008  | Demo          but the history has it)

Pure: the caller reads the sheet and the history and writes the cells.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from config.models import ID_FIELD, IdFill
from rules.deals import ColumnMap, Deal, RowCells
from rules.findings import LAYOUT_CODES, Code, Finding
from rules.grid import CellValue, SheetGrid, is_blank
from rules.rows import DealRows
from rules.stage_history import StageHistory

_NUMBER = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class FilledId:
    """A new ID for the blank ID cell of the deal on ``row`` (1-based)."""

    row: int
    deal_id: str


def plan_id_fills(
    grid: SheetGrid,
    columns: ColumnMap,
    deals: Sequence[Deal],
    fill: IdFill,
    used_ids: Iterable[str],
) -> list[FilledId]:
    """Return a new ID for each deal whose ID cell is blank, top row first.

    A deal is a row with some cell filled (see :func:`rules.rows.read_deal_rows`).
    Only a row with a filled cell of a mapped field other than the ID gets
    an ID. A fully blank row, or one with only a note in an unmapped column,
    gets none. An ID cell that contains a formula (its
    result is blank) or lies inside a merged block is left alone, because
    writing a value there would destroy the formula or the merge.

    :param used_ids: IDs that the run history has, so that the ID of a deal
        deleted from the sheet is never given again. The IDs of the sheet's
        own rows are read from ``grid``.
    """
    column = columns.fields["id"]
    formulas = grid.empty_formula_results | grid.unsaved_formula_results
    blank = [
        deal.row
        for deal in deals
        if not deal.deal_id
        and _has_deal_cells(deal)
        and _is_fillable(grid, deal.row, column, formulas)
    ]
    if not blank:
        return []

    sheet_ids = [
        grid.cell(row, column)
        for row in range(columns.header_row + 1, len(grid.rows) + 1)
    ]
    number = highest_id_number([*map(_text, sheet_ids), *used_ids], fill.prefix)
    fills = []
    for row in blank:
        number += 1
        fills.append(FilledId(row, format_id(fill, number)))
    return fills


def highest_id_number(ids: Iterable[str | None], prefix: str) -> int:
    """Return the highest number after ``prefix`` among ``ids``, or 0 for none.

    The prefix matches ignoring case and the spaces around an ID, and only
    digits may follow it: ``D-0042`` and ``d-42`` give 42, ``D-42a`` gives
    nothing.
    """
    folded = prefix.casefold()
    highest = 0
    for deal_id in ids:
        if deal_id is None:
            continue
        text = deal_id.strip()
        if not text[: len(prefix)].casefold() == folded:
            continue
        digits = text[len(prefix) :]
        if _NUMBER.fullmatch(digits):
            highest = max(highest, int(digits))
    return highest


def format_id(fill: IdFill, number: int) -> str:
    """Return the ID with ``number`` padded to the configured digits.

    >>> format_id(IdFill(prefix="D-", digits=4), 42)
    'D-0042'
    """
    return f"{fill.prefix}{number:0{fill.digits}d}"


def history_deal_ids(history: StageHistory | None) -> Iterator[str]:
    """Yield every deal ID of the latest snapshot and of the recorded stage changes.

    A deal that appeared or disappeared has a stage change with it, so this
    covers every deal that a recorded run saw. The IDs are yielded lazily: a
    run whose sheet has no blank ID never walks the history.
    """
    if history is None:
        return
    yield from (transition.deal_id for transition in history.transitions)
    yield from (snapshot.deal_id for snapshot in history.previous or [])


def grid_with_ids(grid: SheetGrid, column: int, fills: Sequence[FilledId]) -> SheetGrid:
    """Return a copy of ``grid`` whose ID cells on the filled rows contain the new IDs.

    Only the filled rows are copied. ``grid`` itself is left as it is, because
    the write compares the sheet with it.
    """
    rows = list(grid.rows)
    for fill in fills:
        cells = list(rows[fill.row - 1])
        if len(cells) <= column:
            cells.extend([None] * (column + 1 - len(cells)))
        cells[column] = fill.deal_id
        rows[fill.row - 1] = cells
    return dataclasses.replace(grid, rows=rows)


def with_filled_ids(
    deal_rows: DealRows,
    columns: ColumnMap,
    filled_grid: SheetGrid,
    fills: Sequence[FilledId],
) -> DealRows:
    """Return the deals and findings that reading ``filled_grid`` gives.

    ``deal_rows`` were read from the sheet before the fill, and ``filled_grid``
    is :func:`grid_with_ids` of it. Reading a 100,000-row tab again took about
    1.2 s on a busy 2-core machine (``bench/fill_steps.py``). An ID cell that
    was blank and now contains text changes only its own row's reading: the deal
    gets the ID, its ``missing-id`` finding goes and its other findings name
    the ID. So only those rows are changed here. A test compares the result
    with a whole second read.
    """
    new_ids = {fill.row: fill.deal_id for fill in fills}
    width = len(columns.headers)
    deals = []
    for deal in deal_rows.deals:
        deal_id = new_ids.get(deal.row)
        if deal_id is None:
            deals.append(deal)
            continue
        cells = filled_grid.rows[deal.row - 1]
        if len(cells) < width:
            cells = [*cells, *[None] * (width - len(cells))]
        raw = RowCells(columns.fields, cells)
        values = {ID_FIELD: deal_id, **deal.values}
        deals.append(Deal(deal.row, deal_id, deal.stage, raw, values))

    findings = [
        _with_deal_id(finding, new_ids)
        for finding in deal_rows.findings
        if not (finding.code is Code.MISSING_ID and finding.row in new_ids)
    ]
    return DealRows(deals, findings, deal_rows.text_date_fields)


def _with_deal_id(finding: Finding, new_ids: dict[int, str]) -> Finding:
    deal_id = new_ids.get(finding.row) if finding.row is not None else None
    # A finding about the sheet's layout names no deal (``LAYOUT_CODES``).
    if deal_id is None or finding.code in LAYOUT_CODES:
        return finding
    return dataclasses.replace(finding, deal_id=deal_id)


def _has_deal_cells(deal: Deal) -> bool:
    """Return whether a mapped cell other than the ID is filled.

    A row that holds only a note in a column the definition does not map is
    not a deal to number, although it is read as a row with its findings.
    """
    return any(
        name != ID_FIELD and not is_blank(value) for name, value in deal.raw.items()
    )


def _is_fillable(
    grid: SheetGrid, row: int, column: int, formulas: frozenset[tuple[int, int]]
) -> bool:
    if not is_blank(grid.cell(row, column)):
        return False
    if (row, column) in formulas:
        return False
    return not any(
        top <= row <= bottom and left <= column <= right
        for top, left, bottom, right in grid.merged
    )


def _text(value: CellValue) -> str | None:
    return value if isinstance(value, str) else None
