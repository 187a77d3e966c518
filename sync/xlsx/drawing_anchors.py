"""The cells that charts, pictures and shapes of a worksheet lie over.

A worksheet's ``<drawing r:id="…"/>`` names a drawing part, which places each
object with one of three anchors:

- ``twoCellAnchor``: the cells of its top-left and bottom-right corners, each
  with an offset in EMUs into that cell. XlsxWriter 3.3 anchors charts this
  way. The covered cells are exact: a corner with offset 0 lies on the
  cell's edge, so that cell is not covered.
- ``oneCellAnchor``: the top-left cell and the object's size in EMUs, as
  openpyxl 3.1 anchors charts.
- ``absoluteAnchor``: the top-left corner and the size, both in EMUs.

The last two need column widths and row heights to find the cells. They are
estimated from ``<cols>`` and ``<sheetFormatPr>``, with Excel's default font
(Calibri 11, 7 pixels per digit) and the default row height for every row.
NOTE: custom row heights and other default fonts are not read, so the far
edge of such an object can be off by a few cells.
"""

from __future__ import annotations

import logging
import math
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass

from rules.grid import DrawingBlock
from sync.xlsx.markup import attribute_value
from sync.xlsx.package import Package
from sync.xlsx.relationships import DRAWING, parse_relationships, rels_part

logger = logging.getLogger(__name__)

_XDR = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_CHART_URI = "http://schemas.openxmlformats.org/drawingml/2006/chart"
# English Metric Units: 914,400 per inch, 9,525 per pixel at 96 dpi.
EMU_PER_PIXEL = 9525
_EMU_PER_POINT = 12700
# Excel's default font, Calibri 11, is 7 pixels per digit, and a column
# width in characters gets 5 pixels of padding.
_DIGIT_PIXELS = 7
_PADDING_PIXELS = 5
# Excel's defaults without <sheetFormatPr>: 8 characters per column (64
# pixels with padding) and rows of 15 points (20 pixels).
_BASE_COLUMN_CHARACTERS = 8
_DEFAULT_ROW_POINTS = 15.0
# The last column (XFD) and row of a worksheet, 0-based.
_LAST_COLUMN = 16383
_LAST_ROW = 1048575

# The sheet's <drawing r:id="…"/> element, after its cells.
_DRAWING_TAG = re.compile(rb"<(?:[\w.-]+:)?drawing\s[^>]*>")
_SHEET_FORMAT = re.compile(rb"<(?:[\w.-]+:)?sheetFormatPr\s[^>]*>")
_COLUMN = re.compile(rb"<(?:[\w.-]+:)?col\s[^>]*>")
_RELATIONSHIP_ID = re.compile(rb"""\s[\w.-]+:id\s*=\s*["']([^"']+)["']""")

_KINDS = {
    "graphicFrame": "drawing object",
    "pic": "picture",
    "sp": "shape",
    "cxnSp": "connector",
    "grpSp": "group of shapes",
    "contentPart": "ink drawing",
}


@dataclass(frozen=True)
class _SheetSizes:
    """Column widths and row heights of a sheet, in EMUs, as estimated."""

    default_width: int
    widths: dict[int, int]
    row_height: int

    def column_at(self, offset: int) -> tuple[int, int]:
        """Return the 0-based column ``offset`` EMUs right of A's left edge.

        The second value is the offset into that column.
        """
        column = 0
        while column < _LAST_COLUMN:
            width = self.widths.get(column, self.default_width)
            if offset < width:
                break
            offset -= width
            column += 1
        return column, offset

    def row_at(self, offset: int) -> tuple[int, int]:
        """Return the 0-based row at ``offset`` EMUs from the top and the rest."""
        row = min(offset // self.row_height, _LAST_ROW)
        return row, offset - row * self.row_height

    def column_after(self, column: int, offset: int) -> tuple[int, int]:
        """Return the column and offset ``offset`` EMUs right of ``column``'s edge."""
        for earlier in range(column):
            offset += self.widths.get(earlier, self.default_width)
        return self.column_at(offset)


def sheet_drawing_id(after_cells: bytes) -> str | None:
    """Return the relationship id of the sheet's drawing, or None without one.

    ``after_cells`` is the sheet XML after ``</sheetData>``, where
    ``<drawing>`` is.
    """
    tag = _DRAWING_TAG.search(after_cells)
    if tag is None:
        return None
    found = _RELATIONSHIP_ID.search(tag.group(0))
    return found.group(1).decode() if found else None


def drawing_blocks(
    package: Package, sheet_part: str, drawing_id: str
) -> list[DrawingBlock]:
    """Return the objects of the sheet's drawing ``drawing_id`` and their cells.

    An anchor without a readable position is left out.

    :raises KeyError: if the package has no part the relationship names.
    :raises ElementTree.ParseError: if the drawing part is not XML.
    """
    drawing = _drawing_part(package, sheet_part, drawing_id)
    if drawing is None:
        return []
    root = ElementTree.fromstring(package.read(drawing))
    sizes: _SheetSizes | None = None
    blocks = []
    for anchor in _anchors(root):
        tag = anchor.tag.removeprefix(_XDR)
        if tag == "twoCellAnchor":
            block = _two_cell_block(anchor)
        else:
            if tag not in ("oneCellAnchor", "absoluteAnchor"):
                continue
            if sizes is None:
                sizes = _read_sheet_sizes(package, sheet_part)
            block = _sized_block(anchor, tag, sizes)
        if block is not None:
            blocks.append(block)
    return blocks


def _anchors(root: ElementTree.Element) -> Iterator[ElementTree.Element]:
    """Yield the anchors of a drawing, also those in mc:AlternateContent.

    NOTE: of an AlternateContent only the first branch (a Choice) is read,
    on the assumption that its Fallback places the object at the same cells.
    """
    for element in root:
        if element.tag != f"{_MC}AlternateContent":
            yield element
            continue
        branch = next(iter(element), None)
        if branch is not None:
            yield from branch


def _drawing_part(package: Package, sheet_part: str, drawing_id: str) -> str | None:
    rels = rels_part(sheet_part)
    if package.find(rels) is None:
        return None
    for relationship in parse_relationships(package.read(rels), sheet_part):
        if relationship.id == drawing_id and relationship.type == DRAWING:
            return None if relationship.external else relationship.target
    return None


def _two_cell_block(anchor: ElementTree.Element) -> DrawingBlock | None:
    start = _marker(anchor.find(f"{_XDR}from"))
    end = _marker(anchor.find(f"{_XDR}to"))
    if start is None or end is None:
        return None
    kind, name = _describe_object(anchor)
    return _block(kind, name, start, end, estimated=False)


def _sized_block(
    anchor: ElementTree.Element, tag: str, sizes: _SheetSizes
) -> DrawingBlock | None:
    extent = _pair(anchor.find(f"{_XDR}ext"), "cx", "cy")
    if extent is None:
        return None
    width, height = extent
    if tag == "oneCellAnchor":
        start = _marker(anchor.find(f"{_XDR}from"))
        if start is None:
            return None
        column, column_offset, row, row_offset = start
    else:
        position = _pair(anchor.find(f"{_XDR}pos"), "x", "y")
        if position is None:
            return None
        column, column_offset = sizes.column_at(position[0])
        row, row_offset = sizes.row_at(position[1])

    end_column, end_column_offset = sizes.column_after(column, column_offset + width)
    end_row, end_row_offset = sizes.row_at(row * sizes.row_height + row_offset + height)
    kind, name = _describe_object(anchor)
    start = (column, column_offset, row, row_offset)
    end = (end_column, end_column_offset, end_row, end_row_offset)
    return _block(kind, name, start, end, estimated=True)


def _block(
    kind: str,
    name: str,
    start: tuple[int, int, int, int],
    end: tuple[int, int, int, int],
    *,
    estimated: bool,
) -> DrawingBlock:
    column, _, row, _ = start
    end_column, end_column_offset, end_row, end_row_offset = end
    # A corner on a cell's left or top edge does not reach into that cell.
    last_column = end_column if end_column_offset > 0 else end_column - 1
    last_row = end_row if end_row_offset > 0 else end_row - 1
    return DrawingBlock(
        kind,
        name,
        row + 1,
        column,
        max(last_row, row) + 1,
        max(last_column, column),
        estimated,
    )


def _marker(element: ElementTree.Element | None) -> tuple[int, int, int, int] | None:
    """Return column, column offset, row and row offset of a from or to element."""
    if element is None:
        return None
    values = []
    for name in ("col", "colOff", "row", "rowOff"):
        child = element.find(f"{_XDR}{name}")
        number = _whole_number(child.text if child is not None else None)
        if number is None:
            return None
        values.append(number)
    column, column_offset, row, row_offset = values
    return column, column_offset, row, row_offset


def _pair(
    element: ElementTree.Element | None, first: str, second: str
) -> tuple[int, int] | None:
    if element is None:
        return None
    first_value = _whole_number(element.get(first))
    second_value = _whole_number(element.get(second))
    if first_value is None or second_value is None:
        return None
    return first_value, second_value


def _whole_number(text: str | None) -> int | None:
    try:
        number = int((text or "").strip())
    except ValueError:
        return None
    # A negative offset or index counts as 0, the sheet's edge.
    return max(number, 0)


def _describe_object(anchor: ElementTree.Element) -> tuple[str, str]:
    """Return the kind of the anchor's object and its name, such as 'Chart 1'."""
    for element in anchor:
        kind = _KINDS.get(element.tag.removeprefix(_XDR))
        if kind is None:
            continue
        if element.tag == f"{_XDR}graphicFrame" and _is_chart(element):
            kind = "chart"
        name = ""
        for properties in element.iter(f"{_XDR}cNvPr"):
            name = properties.get("name", "")
            break
        return kind, name
    return "drawing object", ""


def _is_chart(frame: ElementTree.Element) -> bool:
    return any(element.get("uri") == _CHART_URI for element in frame.iter())


def _read_sheet_sizes(package: Package, sheet_part: str) -> _SheetSizes:
    head = _sheet_head(package, sheet_part)
    row_points = _DEFAULT_ROW_POINTS
    default_width = _column_pixels(_BASE_COLUMN_CHARACTERS, padded=False)
    sheet_format = _SHEET_FORMAT.search(head)
    if sheet_format is not None:
        tag = sheet_format.group(0)
        row_points = _number(attribute_value(tag, b"defaultRowHeight")) or row_points
        width = _number(attribute_value(tag, b"defaultColWidth"))
        base = _number(attribute_value(tag, b"baseColWidth"))
        if width is not None:
            default_width = _column_pixels(width, padded=True)
        elif base is not None:
            default_width = _column_pixels(base, padded=False)

    widths: dict[int, int] = {}
    cells_start = head.find(b"sheetData")
    for column in _COLUMN.finditer(head, 0, max(cells_start, 0) or len(head)):
        tag = column.group(0)
        first = _number(attribute_value(tag, b"min"))
        last = _number(attribute_value(tag, b"max"))
        width = _number(attribute_value(tag, b"width"))
        if first is None or last is None or width is None:
            continue
        hidden = attribute_value(tag, b"hidden") in (b"1", b"true")
        pixels = 0 if hidden else _column_pixels(width, padded=True)
        # Columns up to the last one a drawing can reach, so a range to XFD
        # costs at most 16,384 entries.
        for index in range(int(first) - 1, min(int(last), _LAST_COLUMN + 1)):
            widths[index] = pixels * EMU_PER_PIXEL
    row_height = round(row_points * _EMU_PER_POINT) or _EMU_PER_POINT
    return _SheetSizes(default_width * EMU_PER_PIXEL, widths, row_height)


def _column_pixels(characters: float, *, padded: bool) -> int:
    """Return the pixels of a column width in characters of Calibri 11.

    A ``<col>`` width and ``defaultColWidth`` contain the padding. A
    ``baseColWidth`` does not, and is rounded up to a multiple of 8 pixels,
    which gives Excel's default of 64 pixels for 8 characters. Both are
    estimates for other fonts.
    """
    if not padded:
        return math.ceil((characters * _DIGIT_PIXELS + _PADDING_PIXELS) / 8) * 8
    units = 256 * characters + math.trunc(128 / _DIGIT_PIXELS)
    return math.trunc(units / 256 * _DIGIT_PIXELS)


def _number(value: bytes | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    if number is None or not math.isfinite(number) or number < 0:
        return None
    return number


def _sheet_head(package: Package, sheet_part: str) -> bytes:
    """Return the sheet XML up to the start of its cells, where <cols> is."""
    head: list[bytes] = []
    with closing(package.read_pieces(sheet_part)) as pieces:
        for piece in pieces:
            head.append(piece)
            if b"sheetData" in b"".join(head[-2:]):
                break
    return b"".join(head)
