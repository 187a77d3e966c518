"""Formula references moved with inserted and deleted rows and columns.

Sheets rewrites every reference to a moved cell, in cell formulas and in the
custom formulas of conditional-format rules: after a column is inserted at A,
``=LEFT($G2,7)`` reads ``=LEFT($H2,7)``. A reference to a deleted cell becomes
``#REF!``, and a range that loses some of its rows or columns shrinks.

NOTE: the ``#REF!`` text for a deleted reference follows what the Sheets UI
shows; no recording shows the API's formula text after a delete.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.fake_sheets.a1 import column_index, column_letters

# One token of a formula: a string literal, which is copied as it is, or a
# reference with an optional tab name.
_TOKEN = re.compile(
    r"""
    (?P<string>"(?:[^"]|"")*")
    |(?<![\w.$])(?P<sheet>'(?:[^']|'')+'!|[^\W\d][\w.]*!)?
     (?P<reference>
        \$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?
        |\$?[A-Za-z]{1,3}:\$?[A-Za-z]{1,3}
        |\$?\d+:\$?\d+
     )(?![\w(!])
    """,
    re.VERBOSE,
)
_ENDPOINT = re.compile(r"(\$?)([A-Za-z]{0,3})(\$?)(\d*)")

REF_ERROR = "#REF!"

# A function that returns where a 0-based index went, or None for a deleted one.
IndexMove = Callable[[int], int | None]


def shift_formula(
    formula: str, moved_title: str, own_title: str, dimension: str, move: IndexMove
) -> str:
    """Return a formula with its references to the tab ``moved_title`` moved.

    :param own_title: the tab the formula is on, which references without a
        tab name point at.
    :param move: where each row (``dimension`` ROWS) or column index went.
    """

    def replace(match: re.Match[str]) -> str:
        if match.group("string") is not None:
            return match.group()
        sheet = match.group("sheet")
        title = own_title if sheet is None else _unquote(sheet[:-1])
        if title.casefold() != moved_title.casefold():
            return match.group()
        moved = _move_reference(match.group("reference"), dimension, move)
        return REF_ERROR if moved is None else (sheet or "") + moved

    return _TOKEN.sub(replace, formula)


def _unquote(name: str) -> str:
    if name.startswith("'"):
        return name[1:-1].replace("''", "'")
    return name


def _move_reference(reference: str, dimension: str, move: IndexMove) -> str | None:
    """Return a reference or range with its row or column moved, None if deleted."""
    parts = reference.split(":")
    indexes = [_axis_index(part, dimension) for part in parts]
    if all(index is None for index in indexes):
        return reference
    if len(parts) == 1:
        index = indexes[0]
        assert index is not None
        moved = move(index)
        return None if moved is None else _with_index(parts[0], dimension, moved)

    first, last = indexes
    assert first is not None and last is not None
    new_first, new_last = _move_span(first, last, move)
    if new_first is None or new_last is None:
        return None
    return ":".join(
        (
            _with_index(parts[0], dimension, new_first),
            _with_index(parts[1], dimension, new_last),
        )
    )


def _move_span(first: int, last: int, move: IndexMove) -> tuple[int | None, int | None]:
    """Return a span's ends after a move; a span that lost its ends shrinks."""
    new_first = next(
        (
            moved
            for index in range(first, last + 1)
            if (moved := move(index)) is not None
        ),
        None,
    )
    new_last = next(
        (
            moved
            for index in range(last, first - 1, -1)
            if (moved := move(index)) is not None
        ),
        None,
    )
    return new_first, new_last


def _axis_index(endpoint: str, dimension: str) -> int | None:
    """Return the 0-based row or column index an endpoint names, or None."""
    match = _ENDPOINT.fullmatch(endpoint)
    assert match is not None
    letters, digits = match.group(2), match.group(4)
    if dimension == "ROWS":
        return int(digits) - 1 if digits else None
    return column_index(letters) if letters else None


def _with_index(endpoint: str, dimension: str, index: int) -> str:
    match = _ENDPOINT.fullmatch(endpoint)
    assert match is not None
    column_dollar, letters, row_dollar, digits = match.groups()
    if dimension == "ROWS" and digits:
        digits = str(index + 1)
    elif dimension == "COLUMNS" and letters:
        letters = column_letters(index)
    return f"{column_dollar}{letters}{row_dollar}{digits}"
