"""The text Excel shows for a whole number whose format only pads or adds text.

A deal ID typed as the number 42 in a cell formatted ``"D-"0000`` shows as
``D-0042``, and one typed as 123 with ``00000`` shows as ``00123``. People
search for and retype the text they see, so pipesheet reads such an ID as
that text. Only formats that keep every digit of the number and add zeros in
front or literal text around it are rendered here:

- one run of digit placeholders, ``#`` signs followed by ``0`` signs
  (``0000``, ``#00``), or ``General``;
- literal text in double quotes (``"D-"``), escaped with a backslash
  (``\\D``), or one of the characters Excel shows as they are (``-``, ``$``,
  ``+``, ``(``, ``)``, space and a few more);
- colours (``[Red]``), which change no text.

Any other format gets None, and the cell keeps the reading of its bare
number. Among them are formats with a decimal point, a thousands separator,
a percent sign, an exponent, a fraction or a date or time code. So are
conditions (``[<100]``), currency or locale tags (``[$€-407]``), fills
(``*``), spaces the width of a character (``_``) and an ``@`` in a number
section.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from dataclasses import dataclass

# Excel keeps 15 significant digits. A larger number shows as Excel rounds it,
# which the rules report as an ID that lost digits.
_MAX_WHOLE_NUMBER = 10**15
# General shows a larger number in scientific notation (1.23457E+11).
_MAX_GENERAL_NUMBER = 10**11

# Characters that Excel shows as they are in a number format without quotes.
_PLAIN_LITERALS = frozenset("$-+()!^&'~{}<>= ")
_COLOURS = frozenset(
    ("black", "blue", "cyan", "green", "magenta", "red", "white", "yellow")
)
_COLOUR_NUMBER = re.compile(r"color\d{1,2}", re.IGNORECASE)
_PLACEHOLDERS = re.compile(r"#*0*")

WholeNumberText = Callable[[int], str | None]
"""Return the text a whole number shows, or None when it keeps its bare reading."""


@dataclass(frozen=True)
class _Section:
    """One section of a number format: text before and after, and zero padding.

    ``digits`` is None for a section that shows no number, only its text.
    """

    prefix: str
    suffix: str
    digits: int | None
    general: bool = False

    def render(self, number: int) -> str | None:
        if self.digits is None:
            return None
        if self.general and number >= _MAX_GENERAL_NUMBER:
            return None
        # A format of only ``#`` shows nothing for zero.
        shown = str(number).rjust(self.digits, "0") if number or self.digits else ""
        return self.prefix + shown + self.suffix


def whole_number_text(code: str) -> WholeNumberText | None:
    """Return how a format shows whole numbers, or None for other formats.

    >>> whole_number_text('"D-"0000')(42)
    'D-0042'
    >>> whole_number_text("0.00") is None
    True

    A number format has up to four sections split by ``;``: positive numbers,
    negative numbers, zero, and text. With one section a negative number
    gets a minus sign in front, with two or more it takes the second
    section's text and no sign. The text section is not used for numbers.
    """
    parts = _split_sections(code)
    if parts is None or not 1 <= len(parts) <= 4:
        return None
    sections = [_parse_section(part) for part in parts[:3]]
    if any(section is None for section in sections) or sections[0] is None:
        return None
    positive = sections[0]
    negative = sections[1] if len(sections) > 1 else None
    zero = sections[2] if len(sections) > 2 else positive
    if positive.digits is None:
        return None

    def render(number: int) -> str | None:
        if abs(number) >= _MAX_WHOLE_NUMBER:
            return None
        if number > 0:
            return positive.render(number)
        if number == 0:
            return zero.render(0) if zero is not None else None
        if negative is None:
            text = positive.render(-number)
            return None if text is None else "-" + text
        return negative.render(-number)

    return render


def _split_sections(code: str) -> list[str] | None:
    """Split a format at each ``;`` outside quotes; an open quote gives None."""
    sections = []
    start = 0
    index = 0
    while index < len(code):
        character = code[index]
        if character == '"':
            end = code.find('"', index + 1)
            if end < 0:
                return None
            index = end
        elif character == "\\":
            index += 1
        elif character == ";":
            sections.append(code[start:index])
            start = index + 1
        index += 1
    sections.append(code[start:])
    return sections


def _parse_section(section: str) -> _Section | None:
    """Return a section's literal text and padding, or None if it does more.

    An empty section shows nothing at all, which is not the number either.
    """
    if not section:
        return None
    before: list[str] = []
    after: list[str] = []
    digits: int | None = None
    general = False
    index = 0
    while index < len(section):
        literal, index_after = _literal_at(section, index)
        if literal is not None:
            (before if digits is None else after).append(literal)
            index = index_after
            continue
        if section[index] == "[":
            end = section.find("]", index)
            if end < 0 or not _is_colour(section[index + 1 : end]):
                return None
            index = end + 1
            continue
        if digits is not None:
            return None
        if section[index : index + 7].lower() == "general":
            digits, general, index = 1, True, index + 7
            continue
        placeholders = _PLACEHOLDERS.match(section, index)
        if placeholders is None or placeholders.end() == index:
            return None
        digits = placeholders.group().count("0")
        index = placeholders.end()
    return _Section("".join(before), "".join(after), digits, general)


def _literal_at(section: str, index: int) -> tuple[str | None, int]:
    """Return the literal text at ``index`` and where it ends, or None."""
    character = section[index]
    if character == '"':
        end = section.index('"', index + 1)
        return section[index + 1 : end], end + 1
    if character == "\\" and index + 1 < len(section):
        return section[index + 1], index + 2
    if character in _PLAIN_LITERALS:
        return character, index + 1
    return None, index


def _is_colour(name: str) -> bool:
    return name.lower() in _COLOURS or _COLOUR_NUMBER.fullmatch(name) is not None


def whole_number_styles(styles_xml: bytes) -> dict[int, WholeNumberText]:
    """Return the cell styles whose custom number format pads or adds text.

    The keys are indexes into ``<cellXfs>``, the values a cell's ``s``
    attribute refers to. Built-in formats (ids below 164 that ``<numFmts>``
    does not redefine) are left out, because none of them adds text to a
    whole number or pads it: ``0`` and ``General`` show it as it is.
    """
    root = ElementTree.fromstring(styles_xml)
    codes: dict[str, str] = {}
    cell_formats = None
    for element in root:
        name = _local_name(element.tag)
        if name == "numFmts":
            for number_format in element:
                format_id = number_format.get("numFmtId")
                code = number_format.get("formatCode")
                if format_id is not None and code is not None:
                    codes[format_id] = code
        elif name == "cellXfs":
            cell_formats = element
    if cell_formats is None or not codes:
        return {}

    renders: dict[str, WholeNumberText | None] = {}
    styles: dict[int, WholeNumberText] = {}
    for index, cell_format in enumerate(cell_formats):
        format_id = cell_format.get("numFmtId", "0")
        if format_id not in codes:
            continue
        if format_id not in renders:
            renders[format_id] = whole_number_text(codes[format_id])
        render = renders[format_id]
        if render is not None:
            styles[index] = render
    return styles


def _local_name(tag: str) -> str:
    return tag.rpartition("}")[2]
