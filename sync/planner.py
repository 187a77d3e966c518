"""Plan the writes of one run: only owned cells, only what changed."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import compress, repeat, zip_longest
from operator import attrgetter, itemgetter, ne
from typing import cast

from config.models import Locale, Pipeline
from rules.deals import ColumnMap, Deal
from rules.findings import Code, Finding, Severity
from rules.grid import SPARKLINE, CellValue, SheetGrid, column_letter, is_blank
from rules.id_fill import FilledId
from rules.merged_cells import read_header_row, read_upper_header_row
from rules.setting_place import setting_place
from rules.status import (
    STATUS_PREFIXES,
    is_status_text,
    row_statuses,
    status_text,
)
from sync.labels import LABELS
from sync.plan import (
    HIGHLIGHT_FILLS,
    GeneratedTab,
    HighlightRule,
    IdWrite,
    StatusWrite,
    WritePlan,
)
from sync.render_review import REVIEW_LABELS
from sync.status_alignment import deal_keys, row_values, shared_keys
from sync.status_range import oversized_status_column


def _banner_pattern(template: str) -> re.Pattern[str]:
    """Return a pattern for a banner's first sentence, with any text in each field.

    The sentence ends at the first full stop after the first field.
    """
    field = re.compile(r"\{[^{}]*\}")
    first_field = field.search(template)
    assert first_field is not None, template
    stops = [template.find(stop, first_field.end()) for stop in (".", "。")]
    end = min(stop for stop in stops if stop >= 0) + 1
    literals = field.split(template[:end])
    return re.compile(".+".join(map(re.escape, literals)), re.DOTALL)


def _banner_tab_pattern(template: str) -> re.Pattern[str]:
    """Return a pattern for a banner up to the text after its ``{tab}`` field.

    The group ``tab`` takes the field as written: quoted where the template
    has ``{tab!r}``.
    """
    parts = re.split(r"(\{[^{}]*\})", template)
    pattern = ""
    for index, part in enumerate(parts):
        if part in ("{tab}", "{tab!r}"):
            return re.compile(f"{pattern}(?P<tab>.+){re.escape(parts[index + 1])}")
        is_field = part.startswith("{") and part.endswith("}")
        pattern += ".+?" if is_field else re.escape(part)
    raise AssertionError(f"banner without a tab field: {template!r}")


# Every generated tab starts with the first sentence of one of these banners
# in A1. A tab of the user's is never overwritten, even when its A1 mentions
# pipesheet.
BANNERS = tuple(
    _banner_pattern(labels["banner"])
    for table in (LABELS, REVIEW_LABELS)
    for labels in table.values()
)
# The banners of the monthly review tabs, which stay as they were frozen.
REVIEW_BANNERS = tuple(
    _banner_pattern(labels["banner"]) for labels in REVIEW_LABELS.values()
)
# The same banners, as patterns that find the pipeline tab a banner names.
BANNER_TABS = tuple(
    (_banner_tab_pattern(labels["banner"]), "{tab!r}" in labels["banner"])
    for table in (LABELS, REVIEW_LABELS)
    for labels in table.values()
)

# Control characters that XML 1.0 cannot contain. The Excel writer stores U+FFFD
# in their place, so both sides of a tab comparison replace them the same way.
# Without that, a cell value with one would rewrite Problems on every run.
XML_ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def plan_writes(
    grid: SheetGrid,
    columns: ColumnMap,
    deals: Sequence[Deal],
    findings: Sequence[Finding],
    tabs: Sequence[GeneratedTab],
    existing_tabs: dict[str, SheetGrid],
    pipeline: Pipeline,
    *,
    statuses: bool = True,
    status_plan: WritePlan | None = None,
    id_fills: Sequence[FilledId] = (),
) -> WritePlan:
    """Compare the expected status cells and tabs with the sheet; keep the changes.

    ``existing_tabs`` contains the current content of every generated tab that
    already exists in the workbook, by name. With ``statuses`` false the plan
    has no status cell, header or highlight, as when
    :func:`status_column_problem` found the column unusable. ``status_plan``
    is what :func:`plan_statuses` returned for the same arguments, when the
    caller planned the status cells first.
    """
    if status_plan is None:
        status_plan = plan_statuses(
            grid,
            columns,
            deals,
            findings,
            pipeline,
            statuses=statuses,
            id_fills=id_fills,
        )
    changed_tabs = [tab for tab in tabs if not _same_tab(tab, existing_tabs)]
    owned = [name for name, tab in existing_tabs.items() if is_generated_tab(tab)]
    return dataclasses.replace(status_plan, tabs=changed_tabs, owned_tab_names=owned)


def plan_statuses(
    grid: SheetGrid,
    columns: ColumnMap,
    deals: Sequence[Deal],
    findings: Sequence[Finding],
    pipeline: Pipeline,
    *,
    statuses: bool = True,
    id_fills: Sequence[FilledId] = (),
) -> WritePlan:
    """Plan the status cells, header, highlights and new IDs; the plan has no tabs.

    A run plans them as soon as its findings are final, so a source can start
    writing them while the generated tabs are still being made.

    ``id_fills`` are new IDs for blank ID cells. ``grid`` is then the sheet as
    read, with those cells blank, and ``deals`` carry the new IDs. The status
    of a filled row is found by the row's content, as its new ID is, because
    the sheet does not contain that ID until the write.
    """
    status_column = choose_status_column(grid, columns)
    last_column = max(status_column, len(columns.headers) - 1)
    header_text = _status_header_cell(grid, columns.header_row, status_column)
    write_header = statuses and header_text != pipeline.outputs.status_header

    status_cells: list[StatusWrite] = []
    filled_rows = frozenset(fill.row for fill in id_fills)
    if statuses:
        status_cells = _changed_status_cells(
            grid,
            deals,
            findings,
            status_column,
            last_column,
            pipeline.outputs.locale,
            filled_rows=filled_rows,
        )
        stale = _stale_status_cells(
            grid, deals, columns.header_row, status_column, last_column
        )
        if stale:
            status_cells = sorted([*status_cells, *stale], key=lambda write: write.row)

    last_row = max([columns.header_row, *(deal.row for deal in deals)])
    highlights = _highlights(pipeline, columns.header_row + 1, status_column)
    # Rules go on data rows only, so a tab without deals gets none. A source
    # that cannot tell whether the rules are there gets them with status writes.
    # Rules that read another column, as after a program moved the status
    # column without updating conditional formats, are written again.
    misplaced = grid.pipesheet_highlights is True and bool(
        grid.highlight_columns - {status_column}
    )
    add_highlights = (
        statuses
        and bool(highlights)
        and last_row > columns.header_row
        and (grid.pipesheet_highlights is False or misplaced)
    )
    return WritePlan(
        tab=grid.tab,
        header_row=columns.header_row,
        id_column=columns.fields["id"],
        status_column=status_column,
        status_header=pipeline.outputs.status_header,
        write_status_header=write_header,
        last_row=last_row,
        last_column=last_column,
        status_cells=status_cells,
        id_cells=[
            IdWrite(
                fill.deal_id,
                fill.row,
                row_values(grid, fill.row, status_column, last_column),
            )
            for fill in id_fills
        ],
        highlights=highlights if statuses else [],
        remove_highlights=statuses
        and not pipeline.outputs.highlight_rows
        and grid.pipesheet_highlights is True,
        add_highlights=add_highlights,
        read_grid=grid,
    )


def _status_header_cell(grid: SheetGrid, header_row: int, column: int) -> CellValue:
    """Return the header the status column shows, read through merges.

    A header cell hidden under a block merged down over it shows the block's
    value, and a header written into it would stay hidden. A blank header
    cell of a two-row header shows the upper row's cell, where an earlier
    run may have written the status header.
    """
    for cells in (
        read_header_row(grid, header_row),
        read_upper_header_row(grid, header_row),
    ):
        value = cells[column] if column < len(cells) else None
        if not is_blank(value):
            return value
    return None


def choose_status_column(grid: SheetGrid, columns: ColumnMap) -> int:
    """Return the status column: its existing header, else the first unused column.

    A column is unused when no row has content in it or to its right, so notes a
    user typed beside the table under a blank header are never overwritten.
    A formula counts as content even when its result is empty, such as
    ``=IF(B2="Won","won","")`` in a helper column, and so does a sparkline
    drawn in a cell. Nor is the column inside a block merged on the header
    row or below, whose hidden cells read as empty.
    """
    if columns.status_column is not None:
        return columns.status_column
    used = max(
        (
            last_column + 1
            for _, _, last_row, last_column in grid.merged
            if last_row >= columns.header_row
        ),
        default=0,
    )
    used = max(used, _last_blank_formula_column(grid) + 1)
    used = max(
        [used]
        + [block.last_column + 1 for block in grid.drawings if block.kind == SPARKLINE]
    )
    for row in grid.rows:
        # Only cells right of ``used`` can move it, so a row no longer than
        # ``used`` is passed over and any other is read from its end down to there.
        if len(row) <= used:
            continue
        for index in range(len(row) - 1, used - 1, -1):
            if not is_blank(row[index]):
                used = index + 1
                break
    return max(used, len(columns.headers))


def _last_blank_formula_column(grid: SheetGrid) -> int:
    """Return the last column with a formula cell that reads empty, or -1."""
    return max(
        (
            column
            for cells in (grid.empty_formula_results, grid.unsaved_formula_results)
            for _, column in cells
        ),
        default=-1,
    )


def _last_column_user(grid: SheetGrid) -> tuple[str, str]:
    """Describe what fills the sheet's last column, and how to free that column.

    The description ends where the caller names the last column: "cell XFD3
    ('x') is in", or "cell XFG2 ('x') is past" for a source such as a CSV file
    that reads more columns than a sheet has. A merged block can reach the
    last column with only blank cells there, and so can a formula whose result
    is empty or a sparkline, which count as filled.
    """
    last = grid.max_columns - 1
    for number in range(len(grid.rows), 0, -1):
        row = grid.rows[number - 1]
        for column in range(len(row) - 1, last - 1, -1):
            value = row[column]
            if not is_blank(value):
                where = "is in" if column == last else "is past"
                cell = f"cell {column_letter(column)}{number} ({value!r})"
                return f"{cell} {where}", "Clear that cell"
    for first_row, first_column, last_row, last_column in grid.merged:
        if last_column >= last:
            start = f"{column_letter(first_column)}{first_row}"
            block = f"{start}:{column_letter(last_column)}{last_row}"
            return f"the merged block {block} reaches", "Unmerge it"
    formulas = grid.empty_formula_results | grid.unsaved_formula_results
    for number, column in sorted(formulas):
        if column >= last:
            cell = f"cell {column_letter(column)}{number}"
            return (
                f"{cell} (a formula whose result is empty) is in",
                "Clear that cell",
            )
    for drawing in grid.drawings:
        if drawing.kind == SPARKLINE and drawing.last_column >= last:
            cell = f"{column_letter(drawing.last_column)}{drawing.first_row}"
            return f"the sparkline in cell {cell} is in", "Delete that sparkline"
    return "the header row reaches", "Delete columns at its end"


def hidden_status_column(grid: SheetGrid, status_column: int) -> str | None:
    """Return a warning when the status column is hidden, naming the fix; else None.

    Hiding the unused columns right of a table is a common tidy-up, and the
    status column then goes into a hidden column, where it is not seen.
    """
    if not grid.is_hidden_column(status_column):
        return None
    letter = column_letter(status_column)
    before = column_letter(max(status_column - 1, 0))
    after = column_letter(status_column + 1)
    return (
        f"{grid.describe_location()}: the status column {letter} "
        "is hidden, so nobody sees the statuses pipesheet writes there. Unhide "
        f"column {letter}: select columns {before} to {after}, right-click a "
        "column header and choose Unhide."
    )


def status_column_problem(
    grid: SheetGrid,
    columns: ColumnMap,
    pipeline: Pipeline,
    deals: Sequence[Deal] | None = None,
) -> str | None:
    """Return why statuses cannot be written to the sheet, or None when they can.

    A column with the status header is pipesheet's only while the definition
    does not read it and most of its filled cells on deal rows are texts
    pipesheet writes. So a team's own column with that header is never
    overwritten, while a note a rep typed into pipesheet's column is replaced,
    as documented. Cells on other rows, such as a count of the errors in a
    table's Total Row or under the table, are never written and do not count.
    Without ``deals``, the rows below the header with a filled cell outside
    the status column count, except the Total Rows of Excel tables. Without
    such a column, the status goes right of every filled cell, which needs a
    free column before the last one the source's sheets have (XFD in Excel,
    ZZZ in Google Sheets) and room under the source's cell limit
    (:func:`sync.status_range.oversized_status_column`).
    """
    place = grid.describe_location()
    header = pipeline.outputs.status_header
    column = columns.status_column
    if column is None:
        column = choose_status_column(grid, columns)
        if column < grid.max_columns:
            return oversized_status_column(grid, column, header)
        last = column_letter(grid.max_columns - 1)
        blocker, fix = _last_column_user(grid)
        return (
            f"{place}: the status column goes right of every filled cell, but "
            f"{blocker} {last}, the last column a sheet has. {fix}, or head a free "
            f"column {header!r} where the status should go."
        )

    letter = column_letter(column)
    for field, index in columns.fields.items():
        if index == column:
            return (
                f"{place}: column {letter} has the status header {header!r} and is "
                f"also the definition's {field} column, so statuses would replace "
                "its values. Set outputs.status_header "
                f"{setting_place(pipeline.source.rules_tab)} to a header no "
                "column has."
            )

    # One pass over all the column's cells clears a column of statuses alone,
    # the usual case. Only a column with other values is read again, on the
    # deal rows: reading the deal rows alone took 42 ms of CPU against 33 ms
    # for the 100k-row benchmark workbook's statuses (2-core VM).
    first_row = columns.header_row + 1
    cells = [
        values[column] if column < len(values) else None
        for values in grid.rows[first_row - 1 :]
    ]
    if not _count_filled_and_foreign(cells)[1]:
        return None
    if deals is None:
        deal_rows = _rows_with_content(grid, columns.header_row, column)
    else:
        deal_rows = [deal.row for deal in deals]
    rows = grid.rows
    cells = [
        rows[row - 1][column] if column < len(rows[row - 1]) else None
        for row in deal_rows
    ]
    filled, foreign = _count_filled_and_foreign(cells)
    if not foreign or sum(foreign.values()) * 2 < filled:
        return None
    index = next(index for index, cell in enumerate(cells) if cell in foreign)
    row, value = deal_rows[index], cells[index]
    return (
        f"{place}: column {letter} has the status header {header!r} but contains "
        f"values pipesheet did not write, such as {letter}{row} = {value!r}, and "
        "pipesheet does not overwrite them. If it is pipesheet's status column, "
        "move those notes to a column of their own; otherwise rename that column, "
        "or set outputs.status_header "
        f"{setting_place(pipeline.source.rules_tab)} to a header no column has."
    )


def _rows_with_content(grid: SheetGrid, header_row: int, column: int) -> list[int]:
    """Return the rows below ``header_row`` that may hold deals.

    Those are the rows with a filled cell outside ``column``, except the
    Total Rows of Excel tables.
    """
    total_rows = set(grid.total_rows)
    return [
        number
        for number, values in enumerate(grid.rows[header_row:], start=header_row + 1)
        if number not in total_rows
        and any(
            not is_blank(cell) for index, cell in enumerate(values) if index != column
        )
    ]


def _count_filled_and_foreign(
    cells: list[CellValue],
) -> tuple[int, dict[CellValue, int]]:
    """Return the number of filled cells and the count of each foreign value.

    A foreign value is a filled cell that is no text pipesheet writes. A status
    column repeats a few texts on many rows, so each distinct value is checked
    once: 7 ms instead of 38 ms for the 100k-row benchmark workbook's written
    statuses (2-core VM). Values that are equal but of two types, such as 1
    and True, count as one, which changes nothing because neither is blank or
    a status.
    """
    counts = Counter(cells)
    blank = sum(count for value, count in counts.items() if is_blank(value))
    foreign = {
        value: count
        for value, count in counts.items()
        if not is_blank(value) and not is_status_text(value)
    }
    return len(cells) - blank, foreign


def earlier_status_columns(
    grid: SheetGrid, columns: ColumnMap, pipeline: Pipeline
) -> list[Finding]:
    """Return an ``old-status-column`` notice for each column that held statuses.

    Such a column is not the status column, is not read by the definition,
    and most of its filled cells are texts pipesheet writes, as after
    outputs.status_header changed or the column's header cell was changed
    (:attr:`ColumnMap.old_status_columns`). pipesheet keeps no record of the
    earlier status header, so it cannot tell these apart, and the notice
    offers the fix for each. It never deletes or clears such a column.
    """
    if not columns.old_status_columns:
        return []
    params = {
        "status_header": pipeline.outputs.status_header,
        "status_letter": column_letter(choose_status_column(grid, columns)),
    }
    return [
        Finding(
            Code.OLD_STATUS_COLUMN,
            Severity.INFO,
            columns.header_row,
            columns.headers[index] or None,
            params={**params, "letter": column_letter(index)},
        )
        for index in columns.old_status_columns
    ]


def is_generated_tab(tab: SheetGrid) -> bool:
    """Return True when the workbook records the tab as pipesheet's or A1 is a banner.

    The record keeps a tab pipesheet's after someone edits its banner.
    """
    if tab.recorded:
        return True
    first = tab.cell(1, 0)
    return isinstance(first, str) and any(banner.match(first) for banner in BANNERS)


def banner_source_tab(tab: SheetGrid) -> str | None:
    """Return the pipeline tab that the banner in A1 names as the tab's source.

    Before: A1 is "Generated by pipesheet from tab 'EU' as of 2026-12-08. …".
    After: ``'EU'``. Returns None when A1 is no banner or names no tab.
    """
    first = tab.cell(1, 0)
    if not isinstance(first, str):
        return None
    for pattern, quoted in BANNER_TABS:
        found = pattern.match(first)
        if found is None:
            continue
        if not quoted:
            return found["tab"]
        try:
            name = ast.literal_eval(found["tab"])
        except (ValueError, SyntaxError):
            return None
        return name if isinstance(name, str) else None
    return None


def _changed_status_cells(
    grid: SheetGrid,
    deals: Sequence[Deal],
    findings: Sequence[Finding],
    status_column: int,
    last_column: int,
    locale: Locale,
    *,
    filled_rows: frozenset[int] = frozenset(),
) -> list[StatusWrite]:
    """Return a write for every deal row whose status cell is not what it should be.

    A row with a unique ID is found again by that ID at write time. A row whose
    ID is blank or shared, or among ``filled_rows`` (its ID is new), carries
    its cells as read, so it is found by content.
    """
    statuses = row_statuses(findings, locale)
    ok = status_text([], locale)
    rows = list(map(attrgetter("row"), deals))
    expected = list(map(statuses.get, rows, repeat(ok)))
    current = _column_cells(grid, rows, status_column)
    # On a run without changes every status matches, and the ID checks below
    # can be left out.
    if expected == current:
        return []

    keys = deal_keys(map(attrgetter("deal_id"), deals))
    shared = shared_keys(keys)
    changed = list(map(ne, expected, current))
    if None not in keys and not shared and not filled_rows:
        # Every row is found by its unique ID, so no write needs the row's cells.
        return list(
            map(
                StatusWrite,
                compress(cast(list[str], keys), changed),
                compress(rows, changed),
                compress(expected, changed),
                compress(current, changed),
            )
        )
    return [
        StatusWrite(key, row, value, now)
        if key is not None and key not in shared and row not in filled_rows
        else StatusWrite(
            key or "",
            row,
            value,
            now,
            row_values(grid, row, status_column, last_column),
        )
        for key, row, value, now in compress(
            zip(keys, rows, expected, current, strict=True), changed
        )
    ]


def _column_cells(grid: SheetGrid, rows: list[int], column: int) -> list[CellValue]:
    """Return the cells of one column on the given rows, as :meth:`SheetGrid.cell` does.

    A first run's status column is past the end of every row, and a later
    run's is inside every row, so both cases take no call per row.
    """
    sheet_rows = grid.rows
    if rows and (min(rows) < 1 or max(rows) > len(sheet_rows)):
        return [grid.cell(row, column) for row in rows]
    deal_rows = [sheet_rows[row - 1] for row in rows]
    widths = list(map(len, deal_rows))
    if not deal_rows or max(widths) <= column:
        return [None] * len(deal_rows)
    if min(widths) > column:
        return list(map(itemgetter(column), deal_rows))
    return [
        values[column] if width > column else None
        for values, width in zip(deal_rows, widths, strict=True)
    ]


def _stale_status_cells(
    grid: SheetGrid,
    deals: Sequence[Deal],
    header_row: int,
    status_column: int,
    last_column: int,
) -> list[StatusWrite]:
    """Return a write that empties each status pipesheet left on a row with no deal.

    Such a status is left from a run that read the row as a deal: the row has
    since been cleared, or it is a totals row. Only a text pipesheet writes
    (``OK``, ``ERROR: ...``, in any output language) is emptied, so a note or
    formula typed in the column below the table stays. Like any status of a
    row without a unique ID, it is emptied only while the row still contains
    the cells it was read with.
    """
    data_rows = range(header_row + 1, len(grid.rows) + 1)
    if len(deals) == len(data_rows):
        return []
    deal_rows = {deal.row for deal in deals}
    writes = []
    for row in data_rows:
        status = grid.cell(row, status_column)
        if row in deal_rows or not is_status_text(status):
            continue
        cells = row_values(grid, row, status_column, last_column)
        writes.append(StatusWrite("", row, "", status, cells))
    return writes


def _highlights(
    pipeline: Pipeline, first_data_row: int, status_column: int
) -> list[HighlightRule]:
    if not pipeline.outputs.highlight_rows:
        return []
    prefixes = STATUS_PREFIXES[pipeline.outputs.locale]
    cell = f"${column_letter(status_column)}{first_data_row}"
    return [
        HighlightRule(
            formula=f'LEFT({cell},{len(prefixes[severity])})="{prefixes[severity]}"',
            fill_rgb=fill,
        )
        for severity, fill in HIGHLIGHT_FILLS.items()
    ]


def _same_tab(tab: GeneratedTab, existing_tabs: dict[str, SheetGrid]) -> bool:
    current = existing_tabs.get(tab.name)
    if current is None or current.head_only or not is_generated_tab(current):
        return False
    # A source that verified the tab still contains what pipesheet wrote
    # returns the generated grid itself, so no cell needs comparing.
    if current.rows is tab.grid:
        return True
    return _same_rows(tab.grid, current.rows)


def _same_rows(
    expected: Iterable[Sequence[CellValue]], current: Iterable[Sequence[CellValue]]
) -> bool:
    """Return True when both grids show the same, ignoring trailing blanks.

    Rows are compared as they come, so a difference ends the comparison.
    """
    pairs = zip_longest(map(_trimmed_row, expected), map(_trimmed_row, current))
    return all((first or []) == (second or []) for first, second in pairs)


def _trimmed_row(row: Sequence[CellValue]) -> list[object]:
    """Return a row's comparable cells without its trailing blanks."""
    values = [_comparable(value) for value in row]
    while values and values[-1] is None:
        values.pop()
    return values


def _comparable(value: CellValue) -> object:
    """Return a value equal across backends for what a reader shows the same."""
    if isinstance(value, str):
        return XML_ILLEGAL_CHARACTERS.sub("\ufffd", value) if value.strip() else None
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return None if math.isnan(value) else round(float(value), 9)
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else value
    return value
