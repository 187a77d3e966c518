"""Find the opening quote of a quoted YAML scalar that is never closed.

PyYAML reports such a quote where the scalar ends: at the end of the file, or
after the next quote of the same kind, which it reads as the closing one.
Definitions are edited by hand, so a message about an unclosed quote points
at the line that opened the scalar instead.
"""

from __future__ import annotations

import re

import yaml

# PyYAML's context of an error inside a quoted scalar.
_QUOTED_TEXT = "while scanning a quoted scalar"
# Escapes that never end a quoted scalar: '' in single quotes, \x in double.
_ESCAPES = {"'": re.compile("''"), '"': re.compile(r"\\.")}
# Characters after which a quote starts a quoted scalar rather than sitting
# inside a plain one, as the apostrophe of "Bob's" does.
_FLOW_STARTS = "[{,"
_INDICATORS = ":-?"


def find_unclosed_quote(
    error: yaml.MarkedYAMLError, text: str
) -> tuple[int, int] | None:
    """Return the 0-based line and column of the quote that opens an unclosed scalar.

    Before: line 1 is ``name: 'Won`` and line 7 ``aliases: ['Deal ID']``, so
    PyYAML ends the scalar at the first quote on line 7 and fails just after it.
    After: ``(0, 6)``, the quote on line 1. None when the error has no such
    cause.
    """
    if error.context == _QUOTED_TEXT and error.context_mark is not None:
        return error.context_mark.line, error.context_mark.column
    mark = error.problem_mark
    if mark is None:
        return None

    # The quote that PyYAML took as the closing one is the last before the error.
    lines = text.splitlines()
    problem_line = lines[mark.line] if mark.line < len(lines) else ""
    before = problem_line[: mark.column]
    closing = max(before.rfind("'"), before.rfind('"'))
    if closing < 0:
        return None
    quote = problem_line[closing]

    # The lines between the opening quote and the closing one lie inside the
    # scalar, so none contains a quote of that kind but in an escape. The
    # opening line is the nearest line above that does.
    for index in range(mark.line - 1, -1, -1):
        if quote not in _ESCAPES[quote].sub("", lines[index]):
            continue
        opening = _open_quote(lines[index])
        if opening is not None and lines[index][opening] == quote:
            return index, opening
        return None
    return None


def _open_quote(line: str) -> int | None:
    """Return the column of a quote that opens a scalar the line does not close.

    Quotes in a comment or inside a plain scalar, and quoted scalars closed on
    the line, are passed over.

    NOTE: a line of a block scalar (after ``|`` or ``>``) is read as YAML
    too, so one that starts with an unpaired quote is taken for an opening.
    """
    column = 0
    while column < len(line):
        char = line[column]
        if char == "#" and (column == 0 or line[column - 1] in " \t"):
            return None
        if char in "'\"" and _starts_text(line, column):
            end = _closing_quote(line, column)
            if end is None:
                return column
            column = end
        column += 1
    return None


def _starts_text(line: str, column: int) -> bool:
    before = line[:column].rstrip()
    if not before or before[-1] in _FLOW_STARTS:
        return True
    # A ':', '-' or '?' indicator is followed by a space, as in "key: 'text'".
    return before[-1] in _INDICATORS and len(before) < column


def _closing_quote(line: str, opening: int) -> int | None:
    quote = line[opening]
    column = opening + 1
    while column < len(line):
        char = line[column]
        if quote == '"' and char == "\\":
            column += 2
            continue
        if char == quote:
            if quote == "'" and line[column + 1 : column + 2] == "'":
                column += 2
                continue
            return column
        column += 1
    return None
