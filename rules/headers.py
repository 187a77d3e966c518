"""Find the header row of the pipeline tab and map its columns to logical fields.

Headers are compared after :func:`normalize_header`, so ``Deal ID``, `` deal id``
and ``Ｄｅａｌ　ＩＤ`` name the same column. Headers are only read, never edited:
a layout pipesheet cannot map unambiguously stops the run with a
:class:`~config.errors.SheetLayoutError` that names the header to rename.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Collection, Iterable, Sequence

from config.close_matches import closest_value
from config.errors import SheetLayoutError
from config.models import ID_FIELD, STAGE_FIELD, Pipeline, Stage
from rules.cells import display_value
from rules.deals import ColumnMap
from rules.grid import CellValue, SheetGrid, column_letter, is_blank
from rules.merged_cells import (
    read_header_row,
    read_header_rows,
    read_upper_header_row,
)
from rules.setting_place import setting_place
from rules.split_header import describe_split_header
from rules.status import contains_mostly_statuses
from rules.text_forms import fold_text, join_cjk_words

# With ``header_row: auto`` the header is looked for in this many top rows, so
# title and instruction rows above the table are skipped.
AUTO_HEADER_SEARCH_ROWS = 30

# Rows shown in the error when no header row is found.
ROWS_SHOWN_WHEN_NOT_FOUND = 3
# Rows searched for a header row below the automatic search, only to name it in
# that error. A header further down than this is taken for no header at all.
HEADER_HINT_SEARCH_ROWS = 1_000

# Similarity (difflib ratio) a header needs to be suggested for a missing column.
NEAREST_HEADER_CUTOFF = 0.6
# Length up to which a header found inside an alias (or the reverse) is taken
# as chance, not as a sign of the same column.
MAX_CHANCE_SUBSTRING = 2

# The fewest mapped cells a row above the header row needs to look like a deal.
DEAL_LIKE_FIELDS = 3


def normalize_header(text: object) -> str:
    """Return the form of a header or label that matching compares.

    NFKC (full-width and half-width forms become equal), every run of whitespace
    (no-break and ideographic spaces included) collapsed to one space, trimmed and
    casefolded. A space or line break beside a CJK character is dropped when a
    letter, digit or CJK character is on its other side, so a header wrapped in
    its cell (``商机⏎编号``) is ``商机编号``. A blank cell gives ``""``.

    >>> normalize_header("\\u3000Next\\u00a0Step  Date ")
    'next step date'
    """
    if text is None:
        return ""
    if isinstance(text, str | int | float | dt.date | dt.time):
        return join_cjk_words(fold_text(display_value(text)))
    return join_cjk_words(fold_text(str(text)))


def match_columns(
    grid: SheetGrid, pipeline: Pipeline, *, check_required: bool = True
) -> ColumnMap:
    """Locate the header row and map each logical field to its column.

    ``headers`` in the result contains the header text as written in the sheet,
    with each run of whitespace (line breaks included) as one space and trimmed.
    A header cell inside a block merged down from a row above reads as the
    block's value (:func:`~rules.merged_cells.read_header_rows`), so the lower
    row of a two-row header can name every column.
    It covers every column up to the last one with content at or below the
    header row, so a column of notes under a blank header gets ``""``.
    With ``check_required`` false, a required field without a column is left
    out of the map instead of raising, so a caller can describe the others.

    :raises SheetLayoutError: no header row is found, a required field has no
        column, a field matches two columns, or the status header appears twice.
    """
    _check_not_empty(grid, pipeline)
    aliases = _aliases_by_field(pipeline)
    header_row = _header_row(grid, pipeline, aliases)
    headers = _header_texts(grid, header_row, read_header_row(grid, header_row))
    normalized = [normalize_header(header) for header in headers]

    fields = _map_fields(grid, header_row, headers, normalized, aliases)
    if check_required:
        _check_required(grid, pipeline, header_row, headers, fields, aliases)
    _check_no_header_below(grid, pipeline, header_row, fields, aliases)
    if not isinstance(pipeline.source.header_row, int):
        _check_no_deal_above(grid, pipeline, header_row, fields)
    status_column = _status_column(grid, header_row, normalized, pipeline)
    known = {*fields.values(), status_column}
    status_columns = _status_text_columns(grid, header_row, len(headers), known)
    if status_column is None:
        status_column = _headerless_status_column(normalized, status_columns)
    old = tuple(index for index in status_columns if index != status_column)
    return ColumnMap(header_row, headers, fields, status_column, old)


def required_fields(pipeline: Pipeline) -> dict[str, list[str]]:
    """Return the fields a run needs a column for, each with the stages requiring it.

    These are ``id``, ``stage``, the fields with ``required: true`` and the
    fields a stage lists under ``required``, in the order of ``columns``.
    """
    stages_by_field: dict[str, list[str]] = {}
    for stage in pipeline.stages:
        for field in stage.required:
            stages_by_field.setdefault(field, []).append(stage.name)

    return {
        field: stages_by_field.get(field, [])
        for field, spec in pipeline.columns.items()
        if spec.required or field in (ID_FIELD, STAGE_FIELD) or field in stages_by_field
    }


def stage_lookup(pipeline: Pipeline) -> dict[str, Stage]:
    """Return every stage by its normalized name and normalized aliases."""
    lookup: dict[str, Stage] = {}
    for stage in pipeline.stages:
        for label in (stage.name, *stage.aliases):
            lookup[normalize_header(label)] = stage
    return lookup


# difflib similarity below which no stage is suggested for an unknown label.
STAGE_CUTOFF = 0.6


class StageLookup:
    """Stages by label as typed, each distinct label normalized only once.

    A sheet repeats a few stage labels on every row, so runs over many deals
    use this instead of calling :func:`normalize_header` per deal.
    """

    def __init__(self, pipeline: Pipeline) -> None:
        self._by_key = stage_lookup(pipeline)
        self._names_by_key = {key: stage.name for key, stage in self._by_key.items()}
        self._by_label: dict[str | None, Stage | None] = {}
        self._suggestions: dict[str, str | None] = {}

    def find(self, label: str | None) -> Stage | None:
        """Return the stage whose normalized name or alias equals ``label``'s."""
        if label not in self._by_label:
            self._by_label[label] = self._by_key.get(normalize_header(label))
        return self._by_label[label]

    def suggest(self, label: str) -> str | None:
        """Return the name of the stage whose name or alias is closest to ``label``.

        Returns None when nothing is close enough, or when two stages are about
        as close, as ``"Closed"`` is to Closed Won and Closed Lost (see
        :func:`~config.close_matches.closest_value`). ``"Qualifed"`` gives
        ``"Qualified"``. Each distinct label is compared once, since a wrong
        label often fills a whole column.
        """
        if label not in self._suggestions:
            self._suggestions[label] = closest_value(
                normalize_header(label), self._names_by_key, STAGE_CUTOFF
            )
        return self._suggestions[label]


def find_stage(label: object, pipeline: Pipeline) -> Stage | None:
    """Return the stage whose name or alias matches ``label``, or None.

    ``" closed　WON"`` finds the stage named ``Closed Won``. For many rows, build
    :func:`stage_lookup` once and look labels up in it.
    """
    key = normalize_header(label)
    if not key:
        return None
    return stage_lookup(pipeline).get(key)


def _aliases_by_field(pipeline: Pipeline) -> dict[str, set[str]]:
    return {
        field: {normalize_header(alias) for alias in spec.aliases}
        for field, spec in pipeline.columns.items()
    }


def _check_not_empty(grid: SheetGrid, pipeline: Pipeline) -> None:
    # The first non-blank cell ends the scan, so a tab with content costs little.
    if any(not is_blank(cell) for row in grid.rows for cell in row):
        return

    id_header = pipeline.columns[ID_FIELD].aliases[0]
    stage_header = pipeline.columns[STAGE_FIELD].aliases[0]
    fill = (
        f"add a header row that names the id and stage columns (such as "
        f"{id_header!r} and {stage_header!r}) with one deal per row below it"
    )
    if not grid.has_tabs:
        raise SheetLayoutError(
            f"File {grid.workbook!r} is empty: {fill}, or point --source or "
            "source.path at the file that contains the deals."
        )
    raise SheetLayoutError(
        f"Tab {grid.tab!r} of workbook {grid.workbook!r} is empty: {fill}, or "
        "point source.tab in the pipeline definition at the tab that contains "
        "the deals."
    )


def _header_row(
    grid: SheetGrid, pipeline: Pipeline, aliases: dict[str, set[str]]
) -> int:
    configured = pipeline.source.header_row
    if isinstance(configured, int):
        return configured
    return _find_header_row(grid, pipeline, aliases)


def _find_header_row(
    grid: SheetGrid, pipeline: Pipeline, aliases: dict[str, set[str]]
) -> int:
    """Return the row naming id, stage and the most other fields; ties go to the top."""
    best_row = _likely_header_row(grid, aliases)
    if best_row is None:
        raise SheetLayoutError(_no_header_row_message(grid, pipeline, aliases))
    return best_row


def _check_no_deal_above(
    grid: SheetGrid, pipeline: Pipeline, header_row: int, fields: dict[str, int]
) -> None:
    """Check that no row above the header row looks like a deal.

    A sort of the whole tab with the header row taken for data moves the
    header below deals. Read as it is, the run would see no deal above it and
    record every one of them as removed from the sheet. A row counts as a deal
    when it has a deal ID, a known stage and at least half of the mapped
    columns filled (three at the least, when there are three). So a filter row
    or a count-by-stage block above the table does not count. A header row set
    in the definition is taken as it is.

    :raises SheetLayoutError: naming the first such row and how to undo it.
    """
    stages = StageLookup(pipeline)
    mapped = sorted(set(fields.values()))
    enough = min(len(mapped), max(DEAL_LIKE_FIELDS, (len(mapped) + 1) // 2))
    for number in range(1, header_row):
        deal_id = grid.cell(number, fields[ID_FIELD])
        stage = grid.cell(number, fields[STAGE_FIELD])
        if (
            is_blank(deal_id)
            or not isinstance(stage, str)
            or stages.find(stage) is None
        ):
            continue
        filled = sum(not is_blank(grid.cell(number, column)) for column in mapped)
        if filled < enough:
            continue
        raise SheetLayoutError(
            f"{grid.describe_location()}: row {number}, above the "
            f"header row {header_row}, looks like a deal ({display_value(deal_id)!r} "
            f"in stage {stage!r}), so the header row was probably sorted in with "
            "the deals. Undo that sort, or move the header row back above the "
            "deals, then sort with the header row left out."
        )


def _likely_header_row(grid: SheetGrid, aliases: dict[str, set[str]]) -> int | None:
    """Return the row naming id, stage and the most other fields, or None.

    Rows are read through merges, so of a two-row header whose single
    columns are merged down, the lower row names the most fields.
    """
    best_row, best_count = None, 0
    rows = read_header_rows(grid, AUTO_HEADER_SEARCH_ROWS)
    for row_number, cells in enumerate(rows, start=1):
        found = _fields_named(cells, aliases)
        if ID_FIELD in found and STAGE_FIELD in found and len(found) > best_count:
            best_row, best_count = row_number, len(found)
    return best_row


def _fields_named(cells: Sequence[CellValue], aliases: dict[str, set[str]]) -> set[str]:
    texts = {normalize_header(cell) for cell in cells if not is_blank(cell)}
    return {field for field, names in aliases.items() if names & texts}


def _no_header_row_message(
    grid: SheetGrid, pipeline: Pipeline, aliases: dict[str, set[str]]
) -> str:
    looked_for = "; ".join(
        f"{field}: {_quoted(pipeline.columns[field].aliases)}"
        for field in (ID_FIELD, STAGE_FIELD)
    )
    fix = (
        _header_row_below_search(
            grid, aliases, setting_place(pipeline.source.rules_tab)
        )
        or _split_id_and_stage(grid, aliases)
        or (
            "Rename those headers to one of the aliases, add the sheet's header "
            "texts to the aliases in the definition, or set source.header_row."
        )
    )
    return (
        f"{grid.describe_location()}: no header row found in the "
        f"first {AUTO_HEADER_SEARCH_ROWS} rows. The header row must name both the "
        f"id and the stage column; looked for {looked_for}. In the sheet, "
        f"{_first_filled_rows(grid)}. {fix}"
    )


def _header_row_below_search(
    grid: SheetGrid, aliases: dict[str, set[str]], place: str
) -> str | None:
    """Return the fix that names a header row below the automatic search, or None.

    That is the first row naming the id and stage columns, of the rows up to
    :data:`HEADER_HINT_SEARCH_ROWS`. ``place`` names where to set it, as
    :func:`~rules.setting_place.setting_place` words it.
    """
    rows = read_header_rows(grid, HEADER_HINT_SEARCH_ROWS)
    for row_number in range(AUTO_HEADER_SEARCH_ROWS + 1, len(rows) + 1):
        found = _fields_named(rows[row_number - 1], aliases)
        if ID_FIELD in found and STAGE_FIELD in found:
            return (
                f"Row {row_number} names the id and stage columns: set "
                f"source.header_row to {row_number} {place}."
            )
    return None


def _first_filled_rows(grid: SheetGrid) -> str:
    """Describe the first filled rows of the tab, and the empty rows above them.

    Before: rows 1 to 40 empty, row 41 "Deal ID | Stage". After: "rows 1 to
    40 contain nothing; row 41 contains A 'Deal ID', B 'Stage'".
    """
    filled: list[int] = []
    for row_number, row in enumerate(grid.rows, start=1):
        if any(not is_blank(value) for value in row):
            filled.append(row_number)
            if len(filled) == ROWS_SHOWN_WHEN_NOT_FOUND:
                break
    parts = [
        f"row {row_number} contains {_row_contents(grid, row_number)}"
        for row_number in filled
    ]
    if filled and filled[0] == 2:
        parts.insert(0, "row 1 contains nothing")
    elif filled and filled[0] > 2:
        parts.insert(0, f"rows 1 to {filled[0] - 1} contain nothing")
    return "; ".join(parts)


def _split_id_and_stage(grid: SheetGrid, aliases: dict[str, set[str]]) -> str | None:
    """Describe two adjacent rows of which one names the id and the other the stage.

    Returns None when no two rows do, or when the lower row has a name below
    each name of the upper row.
    """
    rows = read_header_rows(grid, AUTO_HEADER_SEARCH_ROWS)
    for upper_row in range(1, len(rows)):
        upper, lower = rows[upper_row - 1], rows[upper_row]
        upper_fields = _fields_named(upper, aliases)
        lower_fields = _fields_named(lower, aliases)
        if not {ID_FIELD, STAGE_FIELD} <= upper_fields | lower_fields:
            continue
        fix = describe_split_header(
            upper_row, upper, lower, set_header_row=False, can_merge=grid.has_tabs
        )
        if fix is None:
            continue
        id_row = upper_row if ID_FIELD in upper_fields else upper_row + 1
        stage_row = upper_row if STAGE_FIELD in upper_fields else upper_row + 1
        return (
            f"Row {id_row} names the id column and row {stage_row} the stage "
            f"column. {fix}"
        )
    return None


def _row_contents(grid: SheetGrid, row_number: int) -> str:
    row = grid.rows[row_number - 1] if row_number <= len(grid.rows) else []
    cells = [
        f"{column_letter(index)} {display_value(value)!r}"
        for index, value in enumerate(row)
        if not is_blank(value)
    ]
    return ", ".join(cells) if cells else "nothing"


def _header_texts(
    grid: SheetGrid, header_row: int, header_cells: list[CellValue]
) -> list[str]:
    # Line breaks and runs of spaces are collapsed, because messages, status
    # cells and JSON show these texts on one line.
    rows = grid.rows[header_row - 1 :]
    if rows:
        rows[0] = header_cells
    width = _content_width(rows)
    cells = [
        header_cells[index] if index < len(header_cells) else None
        for index in range(width)
    ]
    return [" ".join(display_value(cell).split()) for cell in cells]


def _content_width(rows: Sequence[list[CellValue]]) -> int:
    """Return the number of columns up to the last non-blank cell of any row.

    Columns are tested from the widest row's last one leftwards, and each test
    stops at the column's first filled cell. So a filled last column costs a
    few cell reads, not one loop step per row.
    """
    width = max(map(len, rows), default=0)
    while width and _is_blank_column(rows, width - 1):
        width -= 1
    return width


def _is_blank_column(rows: Sequence[list[CellValue]], index: int) -> bool:
    return all(is_blank(row[index]) for row in rows if len(row) > index)


def _map_fields(
    grid: SheetGrid,
    header_row: int,
    headers: list[str],
    normalized: list[str],
    aliases: dict[str, set[str]],
) -> dict[str, int]:
    fields: dict[str, int] = {}
    for field, names in aliases.items():
        matches = [index for index, text in enumerate(normalized) if text in names]
        if len(matches) > 1:
            raise SheetLayoutError(
                _ambiguous_message(grid, header_row, field, headers, matches)
            )
        if matches:
            fields[field] = matches[0]
    return fields


def _ambiguous_message(
    grid: SheetGrid, header_row: int, field: str, headers: list[str], matches: list[int]
) -> str:
    columns = " and ".join(
        f"{headers[index]!r} in column {column_letter(index)}" for index in matches
    )
    return (
        f"{grid.describe_location()}: the field {field!r} matches "
        f"more than one column in header row {header_row}: {columns}. pipesheet "
        "does not pick one or edit headers. Rename one of these headers in the "
        f"sheet, or change the aliases of {field!r} in the definition so that only "
        "one header matches (for example a more specific header text)."
    )


def _check_required(
    grid: SheetGrid,
    pipeline: Pipeline,
    header_row: int,
    headers: list[str],
    fields: dict[str, int],
    aliases: dict[str, set[str]],
) -> None:
    required = required_fields(pipeline)
    missing = {
        field: stages for field, stages in required.items() if field not in fields
    }
    if not missing:
        return

    taken = set(fields.values())
    problems = " ".join(
        _missing_field_sentence(
            field, pipeline.columns[field].aliases, stages, headers, taken
        )
        for field, stages in missing.items()
    )
    # A split header comes first: setting header_row to its upper row would
    # only stop the run there, over the names of its lower row.
    fix = (
        _split_header_fix(grid, pipeline, header_row, set(missing), aliases)
        or _moved_header_fix(
            grid,
            header_row,
            set(required) - set(missing),
            aliases,
            setting_place(pipeline.source.rules_tab),
        )
        or _rename_fix(missing)
    )
    raise SheetLayoutError(
        f"{grid.describe_location()}: required columns are "
        f"missing in header row {header_row}. {problems} Headers found: "
        f"{listed_headers(headers)}. {fix}"
    )


def _check_no_header_below(
    grid: SheetGrid,
    pipeline: Pipeline,
    header_row: int,
    fields: dict[str, int],
    aliases: dict[str, set[str]],
) -> None:
    """Check that the row below the header row is no lower half of the header.

    It is when its deal ID and stage cells are blank and it reads as the
    lower row of a header (:func:`_names_continuing_header`), such as
    'Amount' under a group title 'Deal value'. Read as a deal, that row would
    get findings, and the fields it names would not be read at all. A row
    that may be a deal is read as one: it gets the findings of a deal without
    an ID and stage, which point at it.

    :raises SheetLayoutError: naming the cells that join the two rows.
    """
    below = header_row + 1
    if below > len(grid.rows) or any(
        not is_blank(grid.cell(below, fields[field]))
        for field in (ID_FIELD, STAGE_FIELD)
        if field in fields
    ):
        return
    rows = read_header_rows(grid, below)
    upper, lower = rows[header_row - 1], rows[below - 1]
    named = _names_continuing_header(upper, lower, aliases)
    if not named:
        return

    found = ", ".join(
        f"{display_value(lower[index])!r} in {column_letter(index)}{below}"
        for index in named
    )
    fix = describe_split_header(
        header_row,
        upper,
        lower,
        set_header_row=pipeline.source.header_row != "auto",
        can_merge=grid.has_tabs,
    ) or (
        f"Set source.header_row to {below}, or to auto, "
        f"{setting_place(pipeline.source.rules_tab)}."
    )
    raise SheetLayoutError(
        f"{grid.describe_location()}: row {below}, below the header row "
        f"{header_row}, names more columns ({found}), so it is part of the "
        f"header, not a deal. {fix}"
    )


def _names_continuing_header(
    upper: Sequence[CellValue], lower: Sequence[CellValue], aliases: dict[str, set[str]]
) -> list[int]:
    """Return the columns where ``lower`` names fields as the lower row of a header.

    A name counts under a blank cell of ``upper`` or under a group title, a
    cell that names no field. ``lower`` is no header row when it contains a value
    of a deal: a number or date, or any text under a cell of ``upper`` that
    names a field, unless it repeats that cell (as a merged block reads).
    So a new deal typed under the header, without an ID or stage yet, whose
    Lead Source cell contains 'Channel' (an alias of that field) or whose Notes
    cell contains 'Amount', is a deal. Returns an empty list for such a row.
    """
    named: list[int] = []
    for index, cell in enumerate(lower):
        if is_blank(cell):
            continue
        above = _cell_at(upper, index)
        text = normalize_header(cell)
        if text == normalize_header(above):
            continue
        if not isinstance(cell, str) or _fields_named([above], aliases):
            return []
        if _fields_named([cell], aliases):
            named.append(index)
    return named


def _cell_at(cells: Sequence[CellValue], index: int) -> CellValue:
    return cells[index] if index < len(cells) else None


def _rename_fix(missing: dict[str, list[str]]) -> str:
    fix = (
        "Rename the header in the sheet, or add the sheet's header text to the "
        "field's aliases in the definition."
    )
    if not any(missing.values()):
        return fix
    # A team that does not keep the column may drop the stage's rule instead.
    return (
        f"{fix} If the sheet does not keep that column, add it, or take the "
        "field out of the stage's required list in the definition."
    )


def _moved_header_fix(
    grid: SheetGrid,
    header_row: int,
    found: set[str],
    aliases: dict[str, set[str]],
    place: str,
) -> str | None:
    """Return the fix that sets source.header_row to the row auto finds, or None.

    The headers may have moved since source.header_row was set. ``found``
    contains the required fields the set row names. A row that lacks one of
    them is no fix, because the run would then stop over that field.
    ``place`` names where to set it.
    """
    likely = _likely_header_row(grid, aliases)
    if likely is None or likely == header_row:
        return None
    named = _fields_named(read_header_row(grid, likely), aliases)
    if not found <= named:
        return None
    return (
        f"Row {likely} names the id and stage columns: set source.header_row "
        f"to {likely}, or to auto, {place}."
    )


def _split_header_fix(
    grid: SheetGrid,
    pipeline: Pipeline,
    header_row: int,
    missing: set[str],
    aliases: dict[str, set[str]],
) -> str | None:
    """Describe how to join the header row and a row beside it naming missing fields.

    Of the rows above and below the header row, the one naming more of the
    missing fields is taken, the row below on a tie. Returns None when the
    lower of the two rows contains a deal (:func:`_names_continuing_header`).
    """
    rows = read_header_rows(grid, header_row + 1)
    if len(rows) < header_row:
        return None
    neighbours = [
        (len(_fields_named(rows[row - 1], aliases) & missing), row)
        for row in (header_row - 1, header_row + 1)
        if 1 <= row <= len(rows)
    ]
    count, row = max(neighbours, default=(0, 0))
    if not count:
        return None

    named = [
        index
        for index, cell in enumerate(rows[row - 1])
        if any(normalize_header(cell) in aliases[field] for field in missing)
    ]
    upper_row = min(row, header_row)
    lower_row = upper_row + 1
    # A lower row that contains a deal, as when header_row is set to the first
    # deal's row, is no half of the header: typing names into it would
    # overwrite that deal.
    upper, lower = rows[upper_row - 1], rows[lower_row - 1]
    if not _names_continuing_header(upper, lower, aliases):
        return None
    fix = describe_split_header(
        upper_row,
        upper,
        lower,
        set_header_row=pipeline.source.header_row not in (lower_row, "auto"),
        can_merge=grid.has_tabs,
    )
    if fix is None:
        return None
    found = ", ".join(
        f"{display_value(rows[row - 1][index])!r} in {column_letter(index)}{row}"
        for index in named
    )
    return f"Row {row} names {found}. {fix}"


def _missing_field_sentence(
    field: str,
    aliases: list[str],
    stages: list[str],
    headers: list[str],
    taken: Collection[int],
) -> str:
    sentence = f"No column for {field!r} (looked for {_quoted(aliases)})."
    if len(stages) == 1:
        sentence = f"{sentence[:-1]}, which stage {stages[0]!r} requires."
    elif stages:
        sentence = f"{sentence[:-1]}, which the stages {_quoted(stages)} require."
    nearest = nearest_header(aliases, headers, taken)
    if nearest is None:
        return sentence
    return f"{sentence[:-1]}; the nearest header is {nearest}."


def nearest_header(
    aliases: list[str], headers: list[str], taken: Collection[int] = ()
) -> str | None:
    """Return the header most like one of ``aliases``, with its column letter.

    A header that contains an alias, or is contained in one, comes first:
    'Verlustgrund' is nearer to the alias 'Grund' than 'Kunde' is, although
    difflib rates 'Kunde' higher. The columns in ``taken``, which other
    fields read, are no suggestion.
    """
    best_index = -1
    best_score = (False, NEAREST_HEADER_CUTOFF)
    for index, header in enumerate(headers):
        folded_header = normalize_header(header)
        if not folded_header or index in taken:
            continue
        for alias in aliases:
            folded_alias = normalize_header(alias)
            score = (
                _contains_either(folded_alias, folded_header),
                difflib.SequenceMatcher(None, folded_alias, folded_header).ratio(),
            )
            if score >= best_score:
                best_index, best_score = index, score
    if best_index < 0:
        return None
    return f"{headers[best_index]!r} in column {column_letter(best_index)}"


def _contains_either(first: str, second: str) -> bool:
    # Two or fewer characters, such as 'ID' in 'Paid', are found by chance.
    shorter, longer = sorted((first, second), key=len)
    return len(shorter) > MAX_CHANCE_SUBSTRING and shorter in longer


def listed_headers(headers: list[str]) -> str:
    listed = [
        f"{column_letter(index)} {header!r}"
        for index, header in enumerate(headers)
        if normalize_header(header)
    ]
    return ", ".join(listed) if listed else "none (the row is empty)"


def _status_column(
    grid: SheetGrid, header_row: int, normalized: list[str], pipeline: Pipeline
) -> int | None:
    status_key = normalize_header(pipeline.outputs.status_header)
    row = header_row
    matches = [index for index, text in enumerate(normalized) if text == status_key]
    if not matches:
        row = header_row - 1
        matches = _status_headers_above(grid, header_row, normalized, status_key)
    if len(matches) > 1:
        letters = " and ".join(column_letter(index) for index in matches)
        raise SheetLayoutError(
            f"{grid.describe_location()}: the status header "
            f"{pipeline.outputs.status_header!r} appears in columns {letters} of "
            f"header row {row}, so pipesheet cannot tell where to write. "
            "Delete or rename all but one of these columns."
        )
    return matches[0] if matches else None


def _status_headers_above(
    grid: SheetGrid, header_row: int, normalized: list[str], status_key: str
) -> list[int]:
    """Return the columns with the status header in the upper row of a two-row header.

    Only status headers over a blank header cell count. A run that took the
    upper row for the header row wrote the status header there, as runs did
    before the lower row was read through merges.
    """
    upper = read_upper_header_row(grid, header_row)
    return [
        index
        for index, cell in enumerate(upper)
        if normalize_header(cell) == status_key
        and (index >= len(normalized) or not normalized[index])
    ]


def _status_text_columns(
    grid: SheetGrid, header_row: int, width: int, known: Collection[int | None]
) -> list[int]:
    """Return the columns whose filled cells below the header are mostly statuses.

    :param known: the mapped columns and the one with the status header, which
        are left out without counting their cells.
    """
    rows = range(header_row + 1, len(grid.rows) + 1)
    return [
        index
        for index in range(width)
        if index not in known
        and contains_mostly_statuses(grid.cell(row, index) for row in rows)
    ]


def _headerless_status_column(
    normalized: list[str], status_columns: list[int]
) -> int | None:
    """Return the first column with statuses under a blank header, or None.

    Such a column is pipesheet's status column whose header cell a user
    cleared, so the run writes the header back instead of starting a new
    status column and leaving the old statuses under no header.
    """
    return next((index for index in status_columns if not normalized[index]), None)


def _quoted(texts: Iterable[str]) -> str:
    return ", ".join(repr(text) for text in texts)
