"""Turn the value cell of a Rules tab setting into the value its key declares.

The key's declared type picks the conversion: a list key splits the cell at
commas, a true/false key reads yes/no words, a text key reads a number cell
as the number's text (``2025``, not ``2025.0``). A value that does not fit is
left for validation, which reports what the key expects.
"""

from __future__ import annotations

from enum import Enum
from typing import get_args, get_origin

from pydantic import BaseModel

from config.rules_tab_layout import CellKind, convert_cell, split_list
from config.validation import declared_type_at
from rules.grid import CellValue, is_blank


def setting_key_problem(path: tuple[str, ...]) -> str | None:
    """Return the problem of a setting key that names a group of settings, or None."""
    declared = declared_type_at(path)
    if isinstance(declared, type) and issubclass(declared, BaseModel):
        first = next(iter(declared.model_fields))
        return (
            f"{'.'.join(path)!r} is a group of settings; name one of its keys in "
            f"the Setting cell, such as '{'.'.join(path)}.{first}'"
        )
    if get_origin(declared) is dict:
        return (
            f"{'.'.join(path)!r} holds one entry per name; name the entry and its "
            f"key in the Setting cell, such as '{'.'.join(path)}.NAME.KEY'"
        )
    return None


def may_be_unset(path: tuple[str, ...]) -> bool:
    """Return True when a blank value unsets the setting at ``path``.

    Such a setting is an entry of a dict, such as ``allowed.owner``, or a key
    whose default is None, such as ``metrics.win_rate_days`` or
    ``allowed.owner.from_tab``.
    """
    parent = declared_type_at(path[:-1])
    if get_origin(parent) is dict:
        return True
    if not isinstance(parent, type) or not issubclass(parent, BaseModel):
        return False
    field = parent.model_fields.get(path[-1])
    return field is not None and not field.is_required() and field.default is None


def holds_only_defaults(path: tuple[str, ...], entry: dict[object, object]) -> bool:
    """Return True when each key of ``entry``, the group at ``path``, is unset.

    A key counts as unset when it is None or its default value, so
    ``{"from_tab": None, "ignore_case": True}`` at ``allowed.owner`` is.
    """
    declared = declared_type_at(path)
    if not isinstance(declared, type) or not issubclass(declared, BaseModel):
        return False
    fields = declared.model_fields
    return all(
        value is None or (key in fields and value == fields[str(key)].default)
        for key, value in entry.items()
    )


def setting_value(path: tuple[str, ...], value: CellValue) -> tuple[object, str | None]:
    """Return the definition value of a setting's cell, or a problem with it.

    A blank cell gives None, which clears a key that may be unset.

    :returns: the value and None, or None and a problem for a list key whose
        items are groups of settings, which no cell can hold.
    """
    declared = declared_type_at(path)
    if is_blank(value):
        return None, None
    if get_origin(declared) is list:
        return _list_value(path, declared, value)
    return convert_cell(value, _cell_kind(declared)), None


def _list_value(
    path: tuple[str, ...], declared: object, value: CellValue
) -> tuple[object, str | None]:
    item = declared_type_at((*path, 0))
    if item is str:
        return split_list(value), None
    return None, (
        f"{'.'.join(path)!r} is a list of groups of settings, which a Rules tab "
        "cannot hold; set it in a YAML definition"
    )


def _cell_kind(declared: object) -> CellKind:
    if declared is bool:
        return CellKind.FLAG
    if declared in (int, float) or get_args(declared):
        # A number key, or one such as source.header_row that takes a number
        # or a word: a number cell stays a number.
        return CellKind.NUMBER
    if isinstance(declared, type) and issubclass(declared, Enum | str):
        return CellKind.TEXT
    return CellKind.NUMBER
