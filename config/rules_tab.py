"""Read the blocks of a ``Rules`` tab into settings laid over a definition.

A ``Rules`` tab (``规则`` in a Chinese workbook) contains up to three blocks,
each starting with a header row. Blank rows between blocks are ignored, and
header texts are matched ignoring case, spaces, underscores and hyphens::

    Setting                 | Value
    based_on                | b2b-en
    followups.due_soon_days | 5

    Stage      | Aliases       | Probability | Required       | Idle days | Outcome
    Lead       | New, Prospect | 5%          | account, owner | 14        |
    Closed Won | Won           | 100%        | amount         |           | won

    Field | Headers          | Required
    owner | Owner, Sales Rep | yes

gives the overlay ``{"followups": {"due_soon_days": 5}, "stages": [...],
"columns": {"owner": {...}}}``: the settings by their dotted keys, the stage
table in place of the definition's stages, and each field row in place of
that field's headers. :mod:`config.rules_tab_problems` validates the result.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from config.close_matches import closest_value
from config.errors import DefinitionError
from config.rules_tab_layout import (
    BLOCKS,
    FIELDS,
    NOTES,
    SETTINGS,
    STAGES,
    Block,
    cell_text,
    convert_cell,
    header_key,
)
from rules.grid import CellValue, SheetGrid, column_letter, is_blank
from rules.merged_cells import read_header_rows
from rules.text_forms import fold_text, normalize_text

# The tab names pipesheet looks for when the workbook itself is CONFIG.
RULES_TAB_NAMES = ("Rules", "规则")
# The suffixes of the workbook files whose Rules tab pipesheet reads.
RULES_TAB_SUFFIXES = (".xlsx", ".xlsm", ".ods", ".xls")
# The setting that names the definition a workbook's Rules tab is laid over.
BASED_ON = "based_on"
# Settings the tab may not change, because the tab is read from that source.
SOURCE_ONLY_KEYS = ("kind", "path", "spreadsheet", "credentials", "rules_tab")


@dataclass(frozen=True)
class TabCell:
    """A cell of the Rules tab: 1-based row, 0-based column, and its header."""

    row: int
    column: int
    header: str
    value: CellValue

    def describe(self) -> str:
        """Return ``row 4, column B (Value)``, the cell as a message names it.

        A cell of a column the table lacks (column -1) is named by its row.
        """
        where = f"row {self.row}"
        if self.column >= 0:
            where += f", column {column_letter(self.column)}"
        return f"{where} ({self.header})" if self.header else where


@dataclass
class RulesTab:
    """The settings of a Rules tab, and the cell each key path was read from.

    ``overlay`` is laid over the base definition's data by :func:`lay_over`.
    ``cells`` maps key paths, such as ``("stages", 2, "idle_days")`` or
    ``("followups", "due_soon_days")``, to the cell of the value. ``key_cells``
    maps the key path of each setting to the cell naming it, and
    ``stage_rows`` maps a stage's index to its row. ``cleared`` lists the key
    paths of the settings whose blank value unsets them, which
    :func:`lay_over` does instead of laying a value over.
    """

    workbook: str
    tab: str
    overlay: dict[str, object] = field(default_factory=dict)
    cells: dict[tuple[object, ...], TabCell] = field(default_factory=dict)
    key_cells: dict[tuple[object, ...], TabCell] = field(default_factory=dict)
    stage_rows: dict[int, int] = field(default_factory=dict)
    cleared: list[tuple[str, ...]] = field(default_factory=list)
    based_on: TabCell | None = None

    def describe_location(self) -> str:
        """Return ``Workbook 'team.xlsx', tab 'Rules'``."""
        return f"Workbook {self.workbook!r}, tab {self.tab!r}"


@dataclass(frozen=True)
class _BlockStart:
    block: Block
    row: int
    # The block's columns by their 0-based position in the sheet.
    columns: dict[int, TabCell]
    # Positions of header cells that name no column, reported once.
    unknown: frozenset[int] = frozenset()


def _unsaved_formula_problems(grid: SheetGrid) -> list[str]:
    """Name each formula cell saved without its result, which reads as blank.

    A blank cell in a table is a setting left out, so such a formula would
    drop its setting without a word.
    """
    return [
        f"row {row}, column {column_letter(column)}: the cell holds a formula "
        "saved without its result (a script or a program that does not "
        "calculate wrote it); open the workbook in Excel or LibreOffice and "
        "save it, or type the value"
        for row, column in sorted(grid.unsaved_formula_results)
    ]


def read_rules_tab(grid: SheetGrid) -> RulesTab:
    """Read the blocks of a Rules tab, without validating their values.

    :raises DefinitionError: naming each cell whose layout is wrong: text
        outside a block, an unknown column header, two headers of one column,
        a repeated setting, a block given twice, or a row without its first
        cell.
    """
    rules = RulesTab(grid.workbook, grid.tab)
    problems = _unsaved_formula_problems(grid)
    # A cell merged down over several rows, such as one idle limit for two
    # stages, shows its value on each of them.
    grid = replace(grid, rows=read_header_rows(grid, len(grid.rows)))
    seen: dict[str, int] = {}
    for start, rows in _split_blocks(grid, problems):
        first_row = seen.setdefault(start.block.name, start.row)
        if first_row != start.row:
            problems.append(
                f"row {start.row}: a second {start.block.name} table (the first "
                f"starts on row {first_row}); put its rows into the first table "
                "and delete this header row"
            )
            continue
        problems += _check_required_columns(start)
        if start.block is SETTINGS:
            problems += _read_settings(start, rows, rules)
        elif start.block is STAGES:
            problems += _read_stages(start, rows, rules)
        else:
            problems += _read_fields(start, rows, rules)

    if not seen and not problems:
        problems.append(
            "the tab has no table; start one with a header row such as "
            "'Setting | Value', 'Stage | Aliases | Probability | Required | "
            "Idle days | Outcome' or 'Field | Headers | Required'"
        )
    if problems:
        raise DefinitionError(_problems_message(rules, problems))
    return rules


def _problems_message(rules: RulesTab, problems: list[str]) -> str:
    count = f"{len(problems)} problem" + ("" if len(problems) == 1 else "s")
    lines = "\n".join(f"  - {problem}" for problem in problems)
    return f"{rules.describe_location()}: invalid Rules tab ({count}):\n{lines}"


def _split_blocks(
    grid: SheetGrid, problems: list[str]
) -> Iterator[tuple[_BlockStart, list[tuple[int, list[CellValue]]]]]:
    """Yield each block's header and its filled rows (row number, cells)."""
    start: _BlockStart | None = None
    rows: list[tuple[int, list[CellValue]]] = []
    for number, cells in enumerate(grid.rows, start=1):
        if all(is_blank(cell) for cell in cells):
            continue
        header = _block_start(number, cells, start, problems)
        if header is not None:
            if start is not None:
                yield start, rows
            start, rows = header, []
        elif start is not None:
            rows.append((number, cells))
        else:
            problems.append(_text_above_blocks(number, cells))
    if start is not None:
        yield start, rows


def _block_start(
    number: int,
    cells: list[CellValue],
    current: _BlockStart | None,
    problems: list[str],
) -> _BlockStart | None:
    """Return the block a row starts, or None for a row of the current block."""
    filled = [(index, cell) for index, cell in enumerate(cells) if not is_blank(cell)]
    first_index, first = filled[0]
    block = next(
        (item for item in BLOCKS if item.column_for(cell_text(first)) is item.first),
        None,
    )
    if block is None:
        return None
    # A field is named "stage", so in a Field table only a row whose second
    # cell is a column header too starts a new block.
    if current is not None and current.block is FIELDS:
        second = cell_text(filled[1][1]) if len(filled) > 1 else ""
        column = block.column_for(second)
        if column is None or column is block.first:
            return None

    columns: dict[int, TabCell] = {}
    unknown: set[int] = set()
    first_of_key: dict[str, TabCell] = {}
    for index, cell in filled:
        column = block.column_for(cell_text(cell))
        if column is None:
            problems.append(_unknown_header(block, number, index, cell))
            unknown.add(index)
            continue
        header_cell = TabCell(number, index, column.key, cell)
        first_cell = first_of_key.setdefault(column.key, header_cell)
        if first_cell is not header_cell and column is not NOTES:
            # The later column's cells are not read, so they get no problem
            # of their own.
            problems.append(_repeated_header(block, first_cell, header_cell))
            unknown.add(index)
            continue
        columns[index] = header_cell
    return _BlockStart(block, number, columns, frozenset(unknown))


def _repeated_header(block: Block, first: TabCell, second: TabCell) -> str:
    """Return the problem of two header cells that name one column of a table."""
    column = next(item for item in block.columns if item.key == first.header)
    letters = f"{column_letter(first.column)} and {column_letter(second.column)}"
    return (
        f"row {first.row}, columns {letters}: {cell_text(first.value)!r} and "
        f"{cell_text(second.value)!r} both name the {column.headers[0]} column of "
        f"the {block.name} table, and pipesheet does not pick one. Delete one of "
        "these columns, or merge their values into one"
    )


def _unknown_header(block: Block, row: int, column: int, cell: CellValue) -> str:
    text = cell_text(cell)
    headers = [column.headers[0] for column in block.columns]
    nearest = closest_value(header_key(text), {header_key(h): h for h in headers})
    hint = f"Did you mean {nearest!r}? " if nearest is not None else ""
    return (
        f"row {row}, column {column_letter(column)}: {text!r} is not a column of "
        f"a {block.name} table. {hint}Its columns are {', '.join(headers)}. "
        "Rename the header, or clear it and its column"
    )


def _text_above_blocks(number: int, cells: list[CellValue]) -> str:
    index, first = next(
        (index, cell) for index, cell in enumerate(cells) if not is_blank(cell)
    )
    text = cell_text(first)
    names = {
        header_key(block.first.headers[0]): block.first.headers[0] for block in BLOCKS
    }
    nearest = closest_value(header_key(text), names)
    hint = f"; did you mean {nearest!r}?" if nearest is not None else "."
    return (
        f"row {number}, column {column_letter(index)}: {text!r} is above the "
        f"first table{hint} Each table starts with a header row whose first cell "
        "is Setting, Stage or Field; delete the text or put it in a Notes column"
    )


def _check_required_columns(start: _BlockStart) -> list[str]:
    keys = {cell.header for cell in start.columns.values()}
    return [
        f"row {start.row}: the {start.block.name} table has no {column.headers[0]} "
        f"column; add a header cell {column.headers[0]!r} to this row"
        for column in start.block.columns
        if column.key in start.block.required and column.key not in keys
    ]


def _row_cells(
    start: _BlockStart, number: int, cells: list[CellValue], problems: list[str]
) -> dict[str, TabCell]:
    """Return a row's filled cells by column key; report cells without a header."""
    found: dict[str, TabCell] = {}
    for index, value in enumerate(cells):
        if is_blank(value):
            continue
        header = start.columns.get(index)
        if index in start.unknown:
            continue
        if header is None:
            problems.append(
                f"row {number}, column {column_letter(index)}: the cell holds "
                f"{_shown(value)}, but its column has no header in row "
                f"{start.row}; add a header (Notes for remarks) or clear the cell"
            )
            continue
        found[header.header] = TabCell(number, index, _header_text(header), value)
    return found


def _header_text(header: TabCell) -> str:
    return normalize_text(cell_text(header.value))


def _header_cell(start: _BlockStart) -> TabCell:
    """Return the first header cell of a block, as problems with the table name it."""
    first = start.columns[min(start.columns)]
    return TabCell(first.row, first.column, _header_text(first), first.value)


def _missing_first_cell(start: _BlockStart, number: int) -> str:
    first = start.block.first.headers[0]
    return (
        f"row {number}: the {first} cell is blank, but other cells of the row are "
        f"filled; write the {first.lower()} into it or clear the row"
    )


def _position_of(start: _BlockStart, key: str) -> int:
    """Return the 0-based sheet column of the block's column ``key``, or -1."""
    return next(
        (position for position, cell in start.columns.items() if cell.header == key),
        -1,
    )


def _read_settings(
    start: _BlockStart, rows: list[tuple[int, list[CellValue]]], rules: RulesTab
) -> list[str]:
    from config.rules_tab_settings import (
        may_be_unset,
        setting_key_problem,
        setting_value,
    )

    problems: list[str] = []
    for number, cells in rows:
        found = _row_cells(start, number, cells, problems)
        key_cell = found.get("setting")
        if key_cell is None:
            if set(found) - {"notes"}:
                problems.append(_missing_first_cell(start, number))
            continue
        key = cell_text(key_cell.value).strip()
        value_cell = found.get("value") or TabCell(
            number, _position_of(start, "value"), "Value", None
        )
        if key == BASED_ON:
            rules.based_on = value_cell
            continue

        path = tuple(part.strip() for part in key.split("."))
        problem = _setting_path_problem(path, key)
        # A blank value clears a group of settings, such as a from_tab list.
        if problem is None and not is_blank(value_cell.value):
            problem = setting_key_problem(path)
        if problem is None and path in rules.key_cells:
            first = rules.key_cells[path].row
            problem = f"the setting {key!r} is also on row {first}; delete one"
        if problem is not None:
            problems.append(f"{key_cell.describe()}: {problem}")
            continue
        value, problem = setting_value(path, value_cell.value)
        if problem is not None:
            problems.append(f"{value_cell.describe()}: setting {key!r}: {problem}")
            continue
        # A blank value of a key that must have one is laid over, so that
        # validation names its cell.
        if is_blank(value_cell.value) and may_be_unset(path):
            rules.cleared.append(path)
        else:
            _put(rules.overlay, path, value)
        rules.cells[path] = value_cell
        rules.key_cells[path] = key_cell
    return problems


def _setting_path_problem(path: tuple[str, ...], key: str) -> str | None:
    if any(not part for part in path):
        return (
            f"invalid setting {key!r}; expected key names joined by single dots, "
            "such as 'followups.due_soon_days'"
        )
    if path[0] == "stages":
        return "stages are listed in a Stage table, not as a setting; move them there"
    if path[0] == "columns":
        return "fields are listed in a Field table, not as a setting; move them there"
    if path[0] == "source" and len(path) > 1 and path[1] in SOURCE_ONLY_KEYS:
        return (
            f"the tab cannot set {key!r}, because pipesheet reads the tab from "
            "that workbook; set it in the YAML definition or with --source"
        )
    return None


def _put(overlay: dict[str, object], path: tuple[str, ...], value: object) -> None:
    node = overlay
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[path[-1]] = value


def _read_stages(
    start: _BlockStart, rows: list[tuple[int, list[CellValue]]], rules: RulesTab
) -> list[str]:
    problems: list[str] = []
    stages: list[dict[str, object]] = []
    rules.cells[("stages",)] = _header_cell(start)
    for number, cells in rows:
        found = _row_cells(start, number, cells, problems)
        if "name" not in found:
            if set(found) - {"notes"}:
                problems.append(_missing_first_cell(start, number))
            continue
        index = len(stages)
        stages.append(_row_values(STAGES, found, ("stages", index), rules))
        rules.cells[("stages", index)] = found["name"]
        rules.stage_rows[index] = number
    rules.overlay["stages"] = stages
    return problems


def _read_fields(
    start: _BlockStart, rows: list[tuple[int, list[CellValue]]], rules: RulesTab
) -> list[str]:
    problems: list[str] = []
    columns: dict[str, object] = {}
    rules.cells[("columns",)] = _header_cell(start)
    for number, cells in rows:
        found = _row_cells(start, number, cells, problems)
        field_cell = found.pop("field", None)
        if field_cell is None:
            if set(found) - {"notes"}:
                problems.append(_missing_first_cell(start, number))
            continue
        name = "_".join(
            fold_text(cell_text(field_cell.value)).replace("-", " ").split()
        )
        if name in columns:
            problems.append(
                f"{field_cell.describe()}: the field {name!r} has two rows; delete one"
            )
            continue
        path = ("columns", name)
        columns[name] = _row_values(FIELDS, found, path, rules)
        rules.cells[path] = field_cell
    if columns:
        rules.overlay["columns"] = columns
    return problems


def _row_values(
    block: Block,
    found: dict[str, TabCell],
    path: tuple[object, ...],
    rules: RulesTab,
) -> dict[str, object]:
    values: dict[str, object] = {}
    for column in block.columns:
        cell = found.get(column.key)
        if cell is None or column is NOTES:
            continue
        values[column.key] = convert_cell(cell.value, column.kind)
        rules.cells[(*path, column.key)] = cell
    return values


def _shown(value: CellValue) -> str:
    return repr(cell_text(value))
