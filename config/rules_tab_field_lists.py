"""Read the field lists of a Rules tab's Stage table by field name or by header.

People who fill in the tab see the sheet's headers, not the definition's field
names, so a ``Required`` cell may list ``Account, Owner`` or ``客户名称, 负责人``.
Each name that is the header of exactly one field, as the columns of the
laid-over definition list it, stands for that field. Before::

    stages: [{name: Lead, required: [客户名称, owner]}]
    columns: {account: {aliases: [客户名称, 客户]}, owner: {aliases: [负责人]}}

After: ``required: [account, owner]``. A name that is neither a field nor a
header, or a header of two fields, is reported at its cell and left out, so
the other problems of the tab are reported in the same run.
"""

from __future__ import annotations

import re

from config.close_matches import closest_value
from config.rules_tab import RulesTab, TabCell
from rules.text_forms import fold_text, join_cjk_words

# The Stage table's columns that list fields.
FIELD_LIST_KEYS = ("required", "reached_if_filled")

# Fields listed in the message about a name that matches no field.
FIELDS_SHOWN = 8

# Separators people type between names, which a list cell does not split at
# (it splits at commas and line breaks).
_OTHER_SEPARATORS = re.compile(r"[;；|/]")

# A problem: its cell's row and column (the sort key) and its text.
CellProblem = tuple[tuple[int, int], str]


def name_fields_by_header(
    data: dict[object, object], rules: RulesTab, known_fields: set[str]
) -> list[CellProblem]:
    """Replace the headers in the tab's field lists by their fields, in place.

    :param data: the definition laid over by the tab.
    :param known_fields: fields the checks read. A known field missing from
        the columns stays in the list, because the definition's validation
        checks whether ``columns`` misspells it.
    :returns: a problem for each listed name that is neither a field of the
        columns nor a header of one.
    """
    columns, stages = data.get("columns"), data.get("stages")
    if not isinstance(columns, dict) or not isinstance(stages, list):
        return []

    fields_by_header = _fields_by_header(columns)
    problems: list[CellProblem] = []
    for index, stage in enumerate(stages):
        if not isinstance(stage, dict):
            continue
        for key in FIELD_LIST_KEYS:
            cell = rules.cells.get(("stages", index, key))
            names = stage.get(key)
            if cell is None or not isinstance(names, list):
                continue
            resolved: list[object] = []
            for name in names:
                field = _field_of(name, columns, fields_by_header, known_fields)
                if field is not None:
                    resolved.append(field)
                    continue
                where = (
                    f"{cell.describe()}, stage {str(stage.get('name', '')).strip()!r}"
                )
                text = _shared_header(name, fields_by_header) or _joined_names(
                    name, columns, fields_by_header, known_fields
                )
                if text is None:
                    text = _unknown_name(name, cell, rules, columns)
                problems.append(((cell.row, cell.column), f"{where}: {text}"))
            stage[key] = resolved
    return problems


def _fields_by_header(columns: dict[object, object]) -> dict[str, set[str]]:
    # Each header text, as headers are compared, with the fields it names.
    fields: dict[str, set[str]] = {}
    for name, spec in columns.items():
        aliases = spec.get("aliases") if isinstance(spec, dict) else None
        if not isinstance(name, str) or not isinstance(aliases, list):
            continue
        for alias in aliases:
            if isinstance(alias, str):
                fields.setdefault(_header_form(alias), set()).add(name)
    return fields


def _field_of(
    name: object,
    columns: dict[object, object],
    fields_by_header: dict[str, set[str]],
    known_fields: set[str],
) -> object | None:
    # The field a listed name stands for, or None.
    if not isinstance(name, str) or name in columns or name in known_fields:
        return name
    as_key = "_".join(fold_text(name).replace("-", " ").split())
    if as_key in columns:
        return as_key
    fields = fields_by_header.get(_header_form(name), set())
    if len(fields) == 1:
        return next(iter(fields))
    return None


def _shared_header(name: object, fields_by_header: dict[str, set[str]]) -> str | None:
    """Describe a listed header that names two or more fields, else return None.

    The Field table's problem about the header names the row to fix there.
    """
    if not isinstance(name, str):
        return None
    fields = sorted(fields_by_header.get(_header_form(name), set()))
    if len(fields) < 2:
        return None
    both = ", ".join(fields[:-1]) + f" and {fields[-1]}"
    either = ", ".join(fields[:-1]) + f" or {fields[-1]}"
    return (
        f"{name!r} is a header of the fields {both}, so it does not say which "
        f"field is meant. Write the field name instead: {either}."
    )


def _joined_names(
    name: object,
    columns: dict[object, object],
    fields_by_header: dict[str, set[str]],
    known_fields: set[str],
) -> str | None:
    """Describe names joined by another separator than a comma, else return None.

    Before: ``Account; Owner``, which names no field. After: the advice to
    write ``Account, Owner``.
    """
    if not isinstance(name, str) or not _OTHER_SEPARATORS.search(name):
        return None
    parts = [part.strip() for part in _OTHER_SEPARATORS.split(name)]
    if len(parts) < 2 or not all(parts):
        return None
    for part in parts:
        if _field_of(part, columns, fields_by_header, known_fields) is None:
            return None
    return (
        f"{name!r} lists {len(parts)} names, but the names of a list are "
        f"separated with commas: write {', '.join(parts)!r}."
    )


def _header_form(text: str) -> str:
    # As rules.headers.normalize_header compares a header with the sheet's.
    return join_cjk_words(fold_text(text))


def _unknown_name(
    name: object,
    cell: TabCell,
    rules: RulesTab,
    columns: dict[object, object],
) -> str:
    """Describe a listed name that is neither a field nor a header."""
    fields = sorted(str(field) for field in columns)
    listed = ", ".join(fields[:FIELDS_SHOWN])
    if len(fields) > FIELDS_SHOWN:
        listed += f" and {len(fields) - FIELDS_SHOWN} more"
    text = (
        f"{name!r} is neither a field nor a header of one. "
        f"{cell.header or 'This column'} takes fields ({listed}) or their "
        f"headers{_example(columns)}."
    )
    nearest = _nearest(str(name), columns)
    if nearest is not None:
        text += f" Did you mean {nearest!r}?"
    text += (
        f" Fix the name, or add {name!r} to the headers of its field in "
        f"{_field_table(rules)}."
    )
    return text


def _field_table(rules: RulesTab) -> str:
    # The tab's Field table as the tab names it, such as "the 字段 table (row 19)".
    header = rules.cells.get(("columns",))
    if header is None:
        return "a Field table"
    return f"the {header.header or 'Field'} table (row {header.row})"


def _example(columns: dict[object, object]) -> str:
    # One field with its first header, such as " ('客户名称' for account)".
    for name, spec in columns.items():
        aliases = spec.get("aliases") if isinstance(spec, dict) else None
        if isinstance(aliases, list) and aliases and aliases[0] != name:
            return f" ({aliases[0]!r} for {name})"
    return ""


def _nearest(name: str, columns: dict[object, object]) -> str | None:
    # The field or header closest to a name that is neither. A field wins
    # over a header written the same way.
    choices: dict[str, str] = {}
    for spec in columns.values():
        aliases = spec.get("aliases") if isinstance(spec, dict) else None
        for alias in aliases if isinstance(aliases, list) else []:
            choices[_header_form(str(alias))] = str(alias)
    choices.update({str(field): str(field) for field in columns})
    return closest_value(_header_form(name), choices)
