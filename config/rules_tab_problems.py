"""Lay a Rules tab over a definition and report each problem at its cell.

A problem's key path is looked up among the cells the tab's values came
from, so the message names the row and column to fix::

    stages[2] ('Demo').idle_days: invalid value 'two'; expected a whole number

becomes::

    row 9, column E (Idle days), stage 'Demo': invalid value 'two'; expected
    a whole number

(one line in the real message). A problem about a key the tab does not set
is reported with its key path and the base definition it comes from.
"""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from typing import TYPE_CHECKING, get_origin

from config.errors import DefinitionError
from config.rules_tab import RulesTab, TabCell
from config.rules_tab_field_lists import FIELD_LIST_KEYS, name_fields_by_header

if TYPE_CHECKING:
    from config.models import Pipeline

# The key path at the start of a problem line, as format_key_path writes it:
# "stages[2] ('Demo').idle_days: ..." or "outputs.tabs.funnel: ...".
_PATH = re.compile(
    r"^(?P<path>[\w-]+(?:\[\d+\](?: \((?:'[^']*'|\"[^\"]*\")\))?"
    r"|\[(?:'[^']*'|\"[^\"]*\")\]|\.[\w-]+)*): "
)
_PART = re.compile(
    r"\[(?P<index>\d+)\](?: \((?:'[^']*'|\"[^\"]*\")\))?"
    r"|\[(?P<quoted>'[^']*'|\"[^\"]*\")\]|\.?(?P<key>[\w-]+)"
)
# A stage named in a problem's text, with the key of one of its cells or
# without: "stages[5] ('Closed Won')" or "stages[5] ('Closed Won').required".
_STAGE_MENTION = re.compile(
    r"stages\[(?P<index>\d+)\] \((?P<name>'[^']*'|\"[^\"]*\")\)"
    r"(?:\.(?P<key>\w+))?"
)


def lay_over(base: dict[object, object], rules: RulesTab) -> dict[object, object]:
    """Return the base definition's data with the tab's settings laid over it.

    Settings replace the keys they name, the Stage table replaces the stages,
    and each Field row replaces that field's headers, and its required flag
    and type where the row gives them. A setting in ``rules.cleared`` is
    unset: an entry such as ``allowed.owner`` is removed, and a key such as
    ``metrics.win_rate_days`` becomes None. An entry left with nothing set,
    such as ``allowed.owner`` after its only source ``from_tab`` is cleared,
    is removed too.
    """
    merged = copy.deepcopy(dict(base))
    _merge_into(merged, rules.overlay)
    for path in rules.cleared:
        _unset(merged, path)
    return merged


def _unset(data: dict[object, object], path: tuple[str, ...]) -> None:
    from config.rules_tab_settings import holds_only_defaults
    from config.validation import declared_type_at

    # A group the data does not have is left out, not added just to unset a key.
    groups = [data]
    for part in path[:-1]:
        child = groups[-1].get(part)
        if not isinstance(child, dict):
            return
        groups.append(child)
    parent = groups[-1]
    if get_origin(declared_type_at(path[:-1])) is dict:
        parent.pop(path[-1], None)
        return

    parent[path[-1]] = None
    if len(path) < 3 or get_origin(declared_type_at(path[:-2])) is not dict:
        return
    if holds_only_defaults(path[:-1], parent):
        groups[-2].pop(path[-2], None)


def _merge_into(target: dict[object, object], overlay: dict[str, object]) -> None:
    for key, value in overlay.items():
        current = target.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            _merge_into(current, value)
        else:
            target[key] = copy.deepcopy(value)


def validate_with_rules_tab(
    data: dict[object, object], rules: RulesTab, base_origin: str
) -> Pipeline:
    """Validate a definition laid over by a Rules tab.

    :param base_origin: the base definition, named in problems about keys
        the tab does not set.
    :raises DefinitionError: one line per problem, at its cell where known.
    """
    from pydantic import ValidationError

    from config.loader import check_top_level
    from config.models import KNOWN_FIELD_TYPES, Pipeline

    check_top_level(data, base_origin)
    # Checked before the model, which checks the lists only once every
    # value is valid, so that the tab's value problems come in one run.
    list_problems = name_fields_by_header(data, rules, set(KNOWN_FIELD_TYPES))
    lines: list[str] = []
    try:
        pipeline = Pipeline.model_validate(data)
    except ValidationError as error:
        from config.validation import describe_validation_error

        lines = describe_validation_error(error, data)
    else:
        if not list_problems:
            return pipeline

    located = [_locate(line, rules, base_origin) for line in lines]
    problems = [text for _, text in sorted([*located, *list_problems])]
    count = f"{len(problems)} problem" + ("" if len(problems) == 1 else "s")
    listed = "\n".join(f"  - {problem}" for problem in problems)
    raise DefinitionError(
        f"{rules.describe_location()}, laid over {base_origin}: invalid pipeline "
        f"definition ({count}):\n{listed}"
    )


# The fix that a problem about an unmapped field gives for YAML, and the ends
# of the key paths of the Stage table's field lists, where the tab's Field
# table is the place to map the field.
_YAML_FIELD_FIX = "under columns with the header aliases of its column"
# The end of a problem about a yes/no value (see config.validation).
_FLAG_EXPECTED = "expected true or false"
_FIELD_LIST_ENDS = {(key,) for key in FIELD_LIST_KEYS}

# The sort key of a problem without a cell, which puts it after every row.
_NO_CELL = (1 << 31, 0)


def _locate(
    line: str, rules: RulesTab, base_origin: str
) -> tuple[tuple[int, int], str]:
    """Put the cell a problem is about before its text; return its sort key too."""
    match = _PATH.match(line)
    if match is None:
        return _NO_CELL, f"{_mention_rows(line, rules)} (in {base_origin})"
    location = parse_key_path(match.group("path"))
    problem = _mention_rows(line[match.end() :], rules)
    unknown_key = problem.startswith("unknown key")
    cell = _cell_of(location, rules, unknown_key)
    if cell is None:
        return _NO_CELL, f"{match.group('path')}: {problem} (in {base_origin})"
    if location[-1:] == ("probability",):
        problem += _percent_hint(cell)
    if problem.endswith(_FLAG_EXPECTED):
        problem += _flag_words()
    if location[:1] == ("stages",) and location[-1:] in _FIELD_LIST_ENDS:
        problem = problem.replace(_YAML_FIELD_FIX, "as a row of the Field table")
    text = f"{cell.describe()}{_subject(location, rules)}: {problem}"
    return (cell.row, cell.column), text


def _flag_words() -> str:
    # A yes/no cell of the tab is read by parse_flag, which takes more words
    # than the true and false that the YAML problem names.
    from rules.cells import FALSE_WORDS, TRUE_WORDS

    return (
        f"; write one of {', '.join(TRUE_WORDS)} for true, or one of "
        f"{', '.join(FALSE_WORDS)} for false, in any case"
    )


def _percent_hint(cell: TabCell) -> str:
    # 50 in a probability cell is meant as 50%, which a cell stores as 0.5.
    # Typed as text, "50" is the same mistake.
    from rules.cell_numbers import decimal_from_cell

    value = cell.value
    if isinstance(value, str):
        number = decimal_from_cell(value.strip(), money=False)
        if not isinstance(number, Decimal):
            return ""
        value = float(number)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 1:
        text = _cell_text(cell).strip()
        return f"; write {text}% for {text} percent"
    return ""


def _subject(location: tuple[object, ...], rules: RulesTab) -> str:
    """Name the stage, field or setting a cell's problem is about."""
    if len(location) >= 2 and location[0] == "stages" and isinstance(location[1], int):
        name = rules.cells.get(("stages", location[1]))
        return f", stage {_cell_text(name)!r}" if name is not None else ""
    if len(location) >= 2 and location[0] == "columns":
        return f", field {location[1]!r}"
    setting = _setting_of(location, rules)
    return f", setting {'.'.join(map(str, setting))!r}" if setting else ""


def _setting_of(
    location: tuple[object, ...], rules: RulesTab
) -> tuple[object, ...] | None:
    for path in rules.key_cells:
        if path[: len(location)] == location or location[: len(path)] == path:
            return path
    return None


def _cell_of(
    location: tuple[object, ...], rules: RulesTab, unknown_key: bool
) -> TabCell | None:
    """Return the cell a key path was read from, or the nearest one that is."""
    cells = rules.key_cells if unknown_key else rules.cells
    if location in cells:
        return cells[location]
    # A key under a setting or stage, such as a model check of the whole item.
    for length in range(len(location) - 1, 0, -1):
        if location[:length] in rules.cells:
            return rules.cells[location[:length]]
    # A problem with a group the tab sets keys of, such as 'allowed.source'.
    for path, cell in cells.items():
        if path[: len(location)] == location:
            return cell
    return None


def parse_key_path(text: str) -> tuple[object, ...]:
    """Return the parts of a key path as :func:`format_key_path` writes it.

    >>> parse_key_path("stages[2] ('Demo').idle_days")
    ('stages', 2, 'idle_days')
    >>> parse_key_path("notifications.owners['Ana Lima'].email")
    ('notifications', 'owners', 'Ana Lima', 'email')
    """
    parts: list[object] = []
    for match in _PART.finditer(text):
        if match.group("index") is not None:
            parts.append(int(match.group("index")))
        elif match.group("quoted") is not None:
            parts.append(match.group("quoted")[1:-1])
        else:
            parts.append(match.group("key"))
    return tuple(parts)


def _mention_rows(text: str, rules: RulesTab) -> str:
    """Write "stages[5] ('Won')" in a problem as "stage 'Won' (row 12)".

    With a key, "stages[5] ('Won').required" becomes "the Required cell of
    stage 'Won' (row 12)", named by the tab's column header.
    """

    def replace(match: re.Match[str]) -> str:
        index = int(match.group("index"))
        row = rules.stage_rows.get(index)
        if row is None:
            return match.group(0)
        stage = f"stage {match.group('name')} (row {row})"
        key = match.group("key")
        if key is None:
            return stage
        cell = rules.cells.get(("stages", index, key))
        header = cell.header if cell is not None and cell.header else key
        return f"the {header} cell of {stage}"

    return _STAGE_MENTION.sub(replace, text)


def _cell_text(cell: TabCell) -> str:
    from rules.cells import display_value

    return display_value(cell.value).strip()
