"""Allowed-value lists: inline in the definition or read from a column of a tab."""

from __future__ import annotations

from config.errors import AllowedListNotFoundError, AmbiguousListColumnError
from config.models import AllowedValues
from rules.cells import display_value
from rules.grid import SheetGrid, column_letter, is_blank
from rules.headers import normalize_header

# A list tab's header is looked for in its first rows only, so a long list whose
# values happen to equal the header text further down is not mistaken for it.
HEADER_SEARCH_ROWS = 10


def read_allowed_column(
    grid: SheetGrid, column: str, field: str, rules_tab: str | None = None
) -> list[str]:
    """Return the filled values under the header ``column`` of a list tab.

    ``field`` is the field the list is for, named in the error, and
    ``rules_tab`` the Rules tab laid over the definition, if any, whose
    settings the error names as the fix.

    Before (tab ``Lists``)::

        Stage    | Owner
        Lead     | Ana Lima
        Proposal | Ben Ortiz
                 | Chen Wei

    After, for ``column="Owner"``: ``["Ana Lima", "Ben Ortiz", "Chen Wei"]``.

    :raises AllowedListNotFoundError: no header cell equals ``column``.
    :raises AmbiguousListColumnError: two cells of the header row equal
        ``column``, so either column could be the list.
    """
    header = normalize_header(column)
    for row_number in range(1, min(HEADER_SEARCH_ROWS, len(grid.rows)) + 1):
        cells = grid.rows[row_number - 1]
        matches = [
            index
            for index, value in enumerate(cells)
            if not is_blank(value) and normalize_header(value) == header
        ]
        if len(matches) > 1:
            raise AmbiguousListColumnError(
                _ambiguous_column_message(grid, row_number, matches, field)
            )
        if matches:
            return _values_below(grid, row_number, matches[0])
    raise AllowedListNotFoundError(
        f"{grid.describe_location()}: no column headed {column!r} in the first "
        f"{HEADER_SEARCH_ROWS} rows, so the allowed values of {field!r} cannot be "
        f"read and runs do not check them. {_likely_header_row(grid)} "
        f"{list_fix('Add the column', field, 'column', rules_tab)}"
    )


def list_fix(first: str, field: str, key: str | None, rules_tab: str | None) -> str:
    """Return the fixes for an allowed list whose tab or column is wrong or empty.

    ``first`` is the fix in the workbook, such as 'Add the tab', and ``key``
    the from_tab key (``tab`` or ``column``) to correct, if any. With a
    ``rules_tab`` the other fixes are settings of that tab, because its base
    may be a shipped definition that the team does not edit.
    """
    if rules_tab is None:
        fixes = [first, f"delete allowed.{field} from the definition"]
        if key is not None:
            fixes.insert(1, f"fix allowed.{field}.from_tab.{key}")
        return f"{', '.join(fixes[:-1])}, or {fixes[-1]}."
    setting = f"allowed.{field}.from_tab.{key}"
    named = "name of the tab that has" if key == "tab" else "header of the column with"
    fixes = [f"the setting allowed.{field} with a blank value to stop checking it"]
    if key is not None:
        fixes.insert(0, f"the setting {setting} with the {named} the list")
    return f"{first}. Or add to tab {rules_tab!r} {', or '.join(fixes)}."


def allowed_inline(spec: AllowedValues) -> list[str] | None:
    """Return the inline values of a list, or None when it is read from a tab."""
    return list(spec.values) if spec.values is not None else None


def _ambiguous_column_message(
    grid: SheetGrid, row_number: int, matches: list[int], field: str
) -> str:
    cells = grid.rows[row_number - 1]
    columns = " and ".join(
        f"{column_letter(index)} {display_value(cells[index])!r}" for index in matches
    )
    return (
        f"{grid.describe_location()}: row {row_number} has more than one column "
        f"headed like the allowed list of {field!r}: {columns}. pipesheet does "
        "not pick one, so runs do not check the values of "
        f"{field!r}. Move the values into one of these columns and delete the "
        "other, or rename its header."
    )


def _values_below(grid: SheetGrid, header_row: int, index: int) -> list[str]:
    values: list[str] = []
    for row in grid.rows[header_row:]:
        cell = row[index] if index < len(row) else None
        if not is_blank(cell):
            values.append(display_value(cell).strip())
    return values


def _likely_header_row(grid: SheetGrid) -> str:
    """Describe the searched row with the most filled cells, the likely header row.

    A title above the header has fewer cells, and so does a list below it that
    is shorter than its neighbors. The first of equally full rows is taken.
    """
    searched = grid.rows[:HEADER_SEARCH_ROWS]
    counts = [sum(not is_blank(value) for value in row) for row in searched]
    if not any(counts):
        return f"The first {HEADER_SEARCH_ROWS} rows are empty."

    index = counts.index(max(counts))
    row_number = index + 1
    cells = [
        f"{column_letter(column)}{row_number}={display_value(value)!r}"
        for column, value in enumerate(searched[index])
        if not is_blank(value)
    ]
    more = f" and {len(cells) - 12} more" if len(cells) > 12 else ""
    return (
        f"Row {row_number}, the one with the most filled cells, has "
        f"{', '.join(cells[:12])}{more}."
    )
