"""A1 notation: parse range strings the way the Sheets API reads them, and format them.

Accepted forms (sheet part optional, quoted or not): ``A1``, ``A1:B2``, ``A:C``,
``2:5``, ``A5:A`` (rows open at the bottom), ``A1:1`` (columns open to the right),
``$A$1``, ``R1C1`` and ``R1C1:R2C3``. Corners may come in any order (``D4:A1``).
Anything else after the ``!`` is a candidate named range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_COLUMNS = 18278
"""Column ``ZZZ``, the last column a sheet can have."""

_ENDPOINT = re.compile(r"^\$?([A-Za-z]{1,3})?\$?(\d+)?$")
_R1C1_CELL = re.compile(r"^[Rr](\d+)[Cc](\d+)$")
_CELL_LIKE_TITLE = re.compile(r"^(?:[A-Za-z]{1,3}\d+|[Rr]\d+[Cc]\d+)$")
_SIMPLE_TITLE = re.compile(r"[^\W\d]\w*")


@dataclass(frozen=True)
class Bounds:
    """A rectangle of cells, 0-based and half-open; ``None`` marks an open side."""

    start_row: int | None
    end_row: int | None
    start_column: int | None
    end_column: int | None


@dataclass(frozen=True)
class RangeRef:
    """A range string split into its sheet title and its cell part.

    ``sheet`` is ``None`` when the string names no sheet; ``cells`` is ``None`` when
    it names only a sheet (``'Sheet1'``).
    """

    sheet: str | None
    cells: str | None


@dataclass(frozen=True)
class _Endpoint:
    row: int | None
    column: int | None


def column_letters(index: int) -> str:
    """Return the letters of a 0-based column index: ``0`` → ``A``, ``26`` → ``AA``."""
    letters = ""
    number = index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def column_index(letters: str) -> int:
    """Return the 0-based index of column letters: ``A`` → ``0``, ``AA`` → ``26``."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number - 1


def split_range(text: str) -> RangeRef:
    """Split ``'My tab'!A1:B2`` into title and cells; raise ValueError if malformed."""
    if text.startswith("'"):
        return _split_quoted(text)
    if "!" in text:
        sheet, cells = text.rsplit("!", 1)
        if not sheet or not cells:
            raise ValueError(text)
        return RangeRef(sheet, cells)
    if not text:
        raise ValueError(text)
    return RangeRef(None, text)


def _split_quoted(text: str) -> RangeRef:
    position = 1
    title = ""
    while position < len(text):
        character = text[position]
        if character == "'" and text[position + 1 : position + 2] == "'":
            title += "'"
            position += 2
            continue
        if character == "'":
            break
        title += character
        position += 1
    else:
        raise ValueError(text)

    rest = text[position + 1 :]
    if not title or (rest and not rest.startswith("!")) or rest == "!":
        raise ValueError(text)
    return RangeRef(title, rest[1:] if rest else None)


def parse_cells(text: str) -> Bounds | None:
    """Return the bounds of an A1 or R1C1 cell part, or ``None`` if it is neither.

    ``parse_cells("B2:A1")`` → rows 0–2, columns 0–2; ``parse_cells("A5:A")`` → rows
    from 4 open-ended, column 0 only.
    """
    parts = text.split(":")
    if len(parts) > 2:
        return None
    endpoints = [_parse_endpoint(part) for part in parts]
    if any(endpoint is None for endpoint in endpoints):
        return None
    known = [endpoint for endpoint in endpoints if endpoint is not None]

    if len(known) == 1:
        single = known[0]
        if single.row is None or single.column is None:
            return None
        return Bounds(single.row, single.row + 1, single.column, single.column + 1)
    return _join_endpoints(known[0], known[1])


def _parse_endpoint(text: str) -> _Endpoint | None:
    r1c1 = _R1C1_CELL.match(text)
    if r1c1:
        return _Endpoint(int(r1c1.group(1)) - 1, int(r1c1.group(2)) - 1)

    match = _ENDPOINT.match(text)
    if not match or not (match.group(1) or match.group(2)):
        return None
    row = int(match.group(2)) - 1 if match.group(2) else None
    column = column_index(match.group(1)) if match.group(1) else None
    if (row is not None and row < 0) or (column is not None and column >= MAX_COLUMNS):
        return None
    return _Endpoint(row, column)


def _join_endpoints(first: _Endpoint, second: _Endpoint) -> Bounds:
    start_row, end_row = _join_axis(first.row, second.row)
    start_column, end_column = _join_axis(first.column, second.column)
    return Bounds(start_row, end_row, start_column, end_column)


def _join_axis(first: int | None, second: int | None) -> tuple[int | None, int | None]:
    if first is not None and second is not None:
        return min(first, second), max(first, second) + 1
    if first is not None:
        return first, None
    if second is not None:
        return None, second + 1
    return None, None


def quote_title(title: str) -> str:
    """Return a sheet title as the API writes it in ranges, quoted when needed.

    Titles of letters, digits and ``_`` that do not start with a digit stay bare
    (``Sheet1``), unless they read as a cell reference (``D3``). Others are quoted
    with inner quotes doubled. NOTE: the recordings confirm ``Sheet1``, ``'D3'``
    and titles with spaces or emoji; the rest of the rule is an inference.
    """
    if _SIMPLE_TITLE.fullmatch(title) and not _CELL_LIKE_TITLE.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def format_cells(
    start_row: int, end_row: int, start_column: int, end_column: int
) -> str:
    """Return ``A1:D4`` for closed bounds, or ``B2`` when they cover one cell."""
    first = f"{column_letters(start_column)}{start_row + 1}"
    if end_row - start_row == 1 and end_column - start_column == 1:
        return first
    return f"{first}:{column_letters(end_column - 1)}{end_row}"


def format_range(
    title: str, start_row: int, end_row: int, start_column: int, end_column: int
) -> str:
    """Return ``Sheet1!A1:D4`` (or ``'My tab'!B2``) for closed bounds on a sheet."""
    cells = format_cells(start_row, end_row, start_column, end_column)
    return f"{quote_title(title)}!{cells}"
