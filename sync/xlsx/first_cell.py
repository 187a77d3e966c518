"""The text of A1 in the sheet XML of a generated tab, read from its first row.

A generated tab starts with a banner in A1. Reading only the first row of its
sheet XML gives that banner without inflating a large tab whole.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable

from sync.date_system import SPREADSHEET_NS

# The maximum XML read from the start of a generated tab to find its first row.
FIRST_ROW_BYTES = 1 << 20
_FIRST_ROW = re.compile(rb"<row\b[^>]*>.*?</row>", re.DOTALL)
_ESCAPED_CHARACTER = re.compile(r"_x[0-9A-Fa-f]{4}_")


def first_cell_text(pieces: Iterable[bytes]) -> str | None:
    """Return the text of A1 in sheet XML that :mod:`sync.xlsx.sheet_xml` wrote.

    Only the first row is parsed, so a large tab's banner costs a few
    kilobytes of inflating. Returns None when A1 is not the first cell of the
    first row, or contains no plain text (a caller then reads the whole tab).
    """
    head = b""
    for piece in pieces:
        head += piece
        if b"</row>" in head or len(head) >= FIRST_ROW_BYTES:
            break
    row = _FIRST_ROW.search(head)
    if row is None:
        return None
    try:
        element = ElementTree.fromstring(
            f'<sheetData xmlns="{SPREADSHEET_NS}">'.encode()
            + row.group()
            + b"</sheetData>"
        )
    except ElementTree.ParseError:
        return None
    cell = element.find(f"{{{SPREADSHEET_NS}}}row/{{{SPREADSHEET_NS}}}c")
    if cell is None or cell.get("r") != "A1" or cell.get("t") != "inlineStr":
        return None
    text = "".join(cell.itertext())
    # Text with an escaped character would need decoding, which a banner
    # never needs.
    return None if _ESCAPED_CHARACTER.search(text) else text
