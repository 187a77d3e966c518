"""Check the keys under ``columns:`` against the known fields that the checks read.

A definition may add fields of its own, so an unknown key cannot simply be an
error. A key that is written like a known field, or nearly so, is almost always
a typo, and the checks that read the known field would then be off unnoticed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rules.close_spellings import is_one_typo_apart

if TYPE_CHECKING:
    from config.models import ColumnSpec, FieldType

# Minimum similarity (difflib's ratio) of two folded names for a typo.
# 0.85 catches a dropped or doubled letter, as in 'ownr' or 'probabilty',
# but not custom fields such as 'state', 'country' or 'product_line'.
TYPO_CUTOFF = 0.85

# Usual header names of known fields, written as keys. A key that is one of
# them, such as 'follow_up_date', names the known field under another name,
# and the checks that read the known field would be off.
KNOWN_FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "account": ("account_name", "company", "customer"),
    "owner": ("rep", "sales_rep", "salesperson"),
    "amount": ("deal_value", "deal_size"),
    "probability": ("win_probability",),
    "created_date": (
        "created",
        "created_on",
        "created_at",
        "create_date",
        "creation_date",
        "date_created",
    ),
    "close_date": (
        "close",
        "closing_date",
        "closed_date",
        "expected_close",
        "expected_close_date",
    ),
    "next_step": ("next_action",),
    "next_step_date": (
        "follow_up_date",
        "follow_up",
        "next_follow_up",
        "next_date",
        "next_action_date",
    ),
    "stage_entered_date": (
        "stage_entered",
        "stage_date",
        "stage_since",
        "date_entered_stage",
    ),
    "snooze_until": ("snoozed_until",),
    "lost_reason": ("reason_lost", "loss_reason"),
}

# Folded aliases shorter than this match a key only when equal to it: 'close'
# is an alias of close_date, but 'closed' may be a field of its own.
MIN_FUZZY_ALIAS_LENGTH = 8


def check_field_names(
    columns: Mapping[str, ColumnSpec], known_types: Mapping[str, FieldType]
) -> list[str]:
    """Return a problem for each key that looks like an unmapped known field.

    :func:`find_field_typos` says which keys those are.
    """
    return [
        _typo_problem(field, typo.known, typo.alias)
        for field, typo in _find_typos(columns, known_types).items()
    ]


def find_field_typos(
    columns: Mapping[str, ColumnSpec], known_types: Mapping[str, FieldType]
) -> dict[str, str]:
    """Return each key that looks like an unmapped known field, with that field.

    A key matches when it equals a known field's name, or one of its usual
    names in :data:`KNOWN_FIELD_ALIASES`, ignoring case, spaces, dashes and
    underscores, or when it is a close match of one. A key near a known field
    that is mapped too is taken as a field of the definition's own. So is a
    key that adds a separate word to a known field's words or alias, or puts
    an unlike word in place of one of them, and a key declared with a ``type``
    other than the known field's. For example ``Owner``, ``next_stepdate``
    and ``follow_up_date`` are typos unless ``owner`` and ``next_step_date``
    are mapped as well, while ``product_id``, ``accountName``, ``created_by``
    and ``close_reason`` are fields of their own.
    """
    typos = _find_typos(columns, known_types)
    return {field: typo.known for field, typo in typos.items()}


@dataclass(frozen=True)
class _Typo:
    known: str
    # The usual name the key matched, or None when it matched the field's name.
    alias: str | None


def _find_typos(
    columns: Mapping[str, ColumnSpec], known_types: Mapping[str, FieldType]
) -> dict[str, _Typo]:
    unmapped = [known for known in known_types if known not in columns]
    names = [
        (name, _Typo(known, None if name == known else name))
        for known in unmapped
        for name in (known, *KNOWN_FIELD_ALIASES.get(known, ()))
    ]
    typos: dict[str, _Typo] = {}
    for field, spec in columns.items():
        if field in known_types:
            continue
        # A known field's type is fixed, so a key declared with another type
        # cannot be meant as that field.
        candidates = {
            _fold(name): typo
            for name, typo in names
            if spec.type in (None, known_types[typo.known])
            and not _extends_words(_words(field), _words(name))
            and not _replaces_word(_words(field), _words(name))
        }
        match = _nearest_name(_fold(field), candidates)
        if match is not None:
            typos[field] = match
    return typos


def _nearest_name(folded: str, candidates: dict[str, _Typo]) -> _Typo | None:
    # A known field's own name is tried before its usual names, so 'ownr'
    # reads as a typo of 'owner' whatever else it is near.
    names = [text for text, typo in candidates.items() if typo.alias is None]
    aliases = [text for text, typo in candidates.items() if typo.alias is not None]
    fuzzy_aliases = [text for text in aliases if len(text) >= MIN_FUZZY_ALIAS_LENGTH]
    for texts in (names, [text for text in aliases if text == folded], fuzzy_aliases):
        nearest = difflib.get_close_matches(folded, texts, n=1, cutoff=TYPO_CUTOFF)
        if nearest:
            return candidates[nearest[0]]
    return None


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


def _typo_problem(field: str, known: str, alias: str | None) -> str:
    if alias is None:
        return (
            f"columns.{field}: the key {field!r} looks like the known field "
            f"{known!r}, which is not mapped. Rename the key to {known!r}, or, "
            f"for a field of your own, choose a name less like {known!r}"
        )
    if _fold(field) == _fold(alias):
        likeness, other_name = "is a usual name", "another name"
    else:
        likeness = f"looks like {alias!r}, a usual name"
        other_name = f"a name less like {alias!r}"
    return (
        f"columns.{field}: the key {field!r} {likeness} of the known field "
        f"{known!r}, which is not mapped, so the checks that read {known!r} "
        f"would be off. Rename the key to {known!r}, or, for a field of your "
        f"own, choose {other_name}"
    )


def _fold(name: str) -> str:
    # 'Next Step-Date' and 'next_step_date' fold to the same text.
    return re.sub(r"[\s_-]+", "", name).casefold()


def _words(name: str) -> list[str]:
    # 'productId', 'Product ID' and 'product_id' give ['product', 'id'].
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return [word.casefold() for word in re.split(r"[\s_-]+", spaced) if word]


def _replaces_word(words: list[str], known_words: list[str]) -> bool:
    # A key that has the known name's words with one of them swapped for an
    # unlike word, such as 'close_reason' for 'lost_reason' or 'created_month'
    # for 'created_on', names another field. A misspelt word, as in
    # 'creatd_date', is one typo away from the word it replaces.
    if len(words) != len(known_words) or len(words) < 2:
        return False
    changed = [
        (word, known)
        for word, known in zip(words, known_words, strict=True)
        if word != known
    ]
    return len(changed) == 1 and not is_one_typo_apart(*changed[0])


def _extends_words(words: list[str], known_words: list[str]) -> bool:
    # A key that is the known field's words plus a word of its own, such as
    # 'product_id' or 'close_date_planned', names another field, not a typo.
    extra = len(words) - len(known_words)
    return extra > 0 and any(
        words[start : start + len(known_words)] == known_words
        for start in range(extra + 1)
    )
