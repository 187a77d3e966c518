"""Check the keys under ``columns:`` against the known fields that the checks read.

A definition may add fields of its own, so an unknown key cannot simply be an
error. A key that is written like a known field, or nearly so, is almost always
a typo, and the checks that read the known field would then be off unnoticed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from config.models import ColumnSpec, FieldType

# Minimum similarity (difflib's ratio) of two folded names for a typo.
# 0.85 catches a dropped or doubled letter, as in 'ownr' or 'probabilty',
# but not custom fields such as 'state', 'country' or 'product_line'.
TYPO_CUTOFF = 0.85


def check_field_names(
    fields: list[str], known_types: Mapping[str, FieldType]
) -> list[str]:
    """Return a problem for each key that looks like an unmapped known field.

    :func:`find_field_typos` says which keys those are.
    """
    typos = find_field_typos(fields, known_types)
    return [_typo_problem(field, known) for field, known in typos.items()]


def find_field_typos(
    fields: list[str], known_types: Mapping[str, FieldType]
) -> dict[str, str]:
    """Return each key that looks like an unmapped known field, with that field.

    A key matches when it equals a known field's name ignoring case, spaces,
    dashes and underscores, or when it is a close match of one. A key near a
    known field that is mapped too is taken as a field of the definition's own,
    and so is a key that adds a separate word to a known field's words.
    For example ``Owner`` and ``next_stepdate`` are typos unless ``owner``
    and ``next_step_date`` are mapped as well, while ``product_id`` and
    ``accountName`` are fields of their own.
    """
    unmapped = [known for known in known_types if known not in fields]
    typos: dict[str, str] = {}
    for field in fields:
        if field in known_types:
            continue
        candidates = {
            _fold(known): known
            for known in unmapped
            if not _extends_words(_words(field), _words(known))
        }
        nearest = difflib.get_close_matches(
            _fold(field), list(candidates), n=1, cutoff=TYPO_CUTOFF
        )
        if nearest:
            typos[field] = candidates[nearest[0]]
    return typos


def check_field_types(
    columns: Mapping[str, ColumnSpec], known_types: Mapping[str, FieldType]
) -> list[str]:
    """Return a problem for each known field declared with a type not its own.

    The checks rely on a known field's type: an ``amount`` read as
    text would count every deal as worth 0.
    """
    problems: list[str] = []
    for field, spec in columns.items():
        expected = known_types.get(field)
        if expected is None or spec.type is None or spec.type == expected:
            continue
        problems.append(
            f"columns.{field}.type: invalid value {spec.type.value!r}; expected "
            f"{expected.value!r}, the fixed type of the known field {field!r}. "
            "Delete 'type', or map the column under a name of your own to read "
            f"it as {spec.type.value!r}"
        )
    return problems


def _typo_problem(field: str, known: str) -> str:
    return (
        f"columns.{field}: the key {field!r} looks like the known field "
        f"{known!r}, which is not mapped. Rename the key to {known!r}, or, "
        f"for a field of your own, choose a name less like {known!r}"
    )


def _fold(name: str) -> str:
    # 'Next Step-Date' and 'next_step_date' fold to the same text.
    return re.sub(r"[\s_-]+", "", name).casefold()


def _words(name: str) -> list[str]:
    # 'productId', 'Product ID' and 'product_id' give ['product', 'id'].
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return [word.casefold() for word in re.split(r"[\s_-]+", spaced) if word]


def _extends_words(words: list[str], known_words: list[str]) -> bool:
    # A key that is the known field's words plus a word of its own, such as
    # 'product_id' or 'close_date_planned', names another field, not a typo.
    extra = len(words) - len(known_words)
    return extra > 0 and any(
        words[start : start + len(known_words)] == known_words
        for start in range(extra + 1)
    )
