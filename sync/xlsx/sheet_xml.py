"""Sheet XML for a generated tab: values only, with a bold, frozen header row.

The first row of the grid is the banner and the first table's header row is
:attr:`~sync.plan.GeneratedTab.header_row`. Both are bold, and the rows down to
the header row are frozen. A tab with one table gets an AutoFilter over it.
Numbers are written as numbers, text as inline strings, booleans as booleans,
and dates and times as serial numbers with a date format (so Excel shows them
as dates). Whole numbers show as ``#,##0`` and other numbers as ``#,##0.00``,
except in the tab's plain number columns. Empty cells (None, NaN) are left out.
A grid row with only empty cells gives no ``<row>`` element.

Characters XML cannot carry (control characters other than tab, line feed and
carriage return) become U+FFFD. The planner makes the same replacement when it
compares a tab read back from the workbook with the tab it generates, so such
text does not rewrite the tab on every run.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from itertools import compress, zip_longest
from typing import cast

from config.errors import SourceError
from rules.grid import CellValue, column_letter
from sync.plan import GeneratedTab
from sync.xlsx.cell_refs import range_ref
from sync.xlsx.markup import (
    are_plain_cell_texts,
    escape_cell_text,
    escape_cell_texts,
)
from sync.xlsx.styles import StyleSheet
from sync.xlsx.tab_digests import DIGEST_ROWS, GridDigest

SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

# Built-in number formats: m/d/yyyy, m/d/yyyy h:mm and h:mm:ss, shown in the
# reader's locale.
DATE_FORMAT = 14
DATETIME_FORMAT = 22
TIME_FORMAT = 21
# Built-in number formats #,##0 and #,##0.00, and General.
WHOLE_NUMBER_FORMAT = 3
DECIMAL_FORMAT = 4
GENERAL_FORMAT = 0

# Excel's serial day 0 is 1899-12-30 for every date from 1900-03-01 on. Earlier
# serials are one lower, because Excel counts a 29 February 1900 that never was.
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
FIRST_REAL_LEAP_SERIAL = 61
# In the 1904 date system (``<workbookPr date1904="1"/>``, old Mac Excel's
# default) serial day 0 is 1904-01-01 and no day is counted twice.
EXCEL_1904_EPOCH = dt.datetime(1904, 1, 1)

# Whole numbers of this size or more are written as a float's repr, not as digits.
MAX_INTEGER_TEXT = 10**15
# Number of values at the top of an integer column that decide whether its
# values repeat enough to convert each distinct value once.
INTEGER_SAMPLE_SIZE = 256

# Number of grid rows rendered together, column by column. Blocks end where
# the digest's blocks end, so the digest can hash the same columns.
ROWS_PER_BLOCK = DIGEST_ROWS
# Rows at the top of a tab, the header row among them, rendered apart from the
# large blocks.
FIRST_BLOCK_ROWS = 16


def render_tab(
    tab: GeneratedTab,
    styles: StyleSheet,
    drawing_rel_id: str | None = None,
    *,
    workbook: str | None = None,
    date1904: bool = False,
) -> bytearray:
    """Return the sheet XML of a generated tab, as :func:`write_tab` writes it.

    :raises SourceError: for a value that cannot go into a cell, such as a
        datetime with a time zone.
    """
    xml = bytearray()
    write_tab(
        tab, styles, xml.extend, drawing_rel_id, workbook=workbook, date1904=date1904
    )
    return xml


def write_tab(
    tab: GeneratedTab,
    styles: StyleSheet,
    write: Callable[[bytes], object],
    drawing_rel_id: str | None = None,
    *,
    workbook: str | None = None,
    date1904: bool = False,
    digest: GridDigest | None = None,
) -> None:
    """Pass the sheet XML of a generated tab to ``write``, a block of rows at a time.

    The Problems tab of a large sheet is tens of megabytes of XML, which a
    caller can deflate as it comes instead of holding it whole.

    :param styles: where date and header formats are found or added.
    :param drawing_rel_id: the relationship id of the tab's drawing (its chart),
        or None for a tab without one.
    :param workbook: the workbook's file name, for error messages.
    :param date1904: whether the workbook counts dates in the 1904 date system.
    :param digest: a digest to add the tab's grid to while the XML is
        rendered, with the result of
        :func:`~sync.xlsx.tab_digests.grid_digest`.
    :raises SourceError: for a value that cannot go into a cell, such as a
        datetime with a time zone.
    """
    last_column = max(map(len, tab.grid), default=1) - 1
    dimension = range_ref(1, 0, max(len(tab.grid), 1), max(last_column, 0))
    drawing = f'<drawing r:id="{drawing_rel_id}"/>' if drawing_rel_id else ""
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{SPREADSHEET_NS}" xmlns:r="{RELATIONSHIPS_NS}">'
        f'<dimension ref="{dimension}"/>{_sheet_views(tab)}'
        f'<sheetFormatPr defaultRowHeight="15"/>{_columns(tab)}'
        "<sheetData>"
    )
    tail = (
        f"</sheetData>{_auto_filter(tab)}"
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
        f'footer="0.3"/>{drawing}</worksheet>'
    )

    write(head.encode())
    try:
        sheet_data = _SheetData(styles, date1904, tab.plain_number_columns)
        sheet_data.render(tab.grid, write, digest, tab.header_row)
    except ValueError as error:
        place = f"Workbook {workbook!r}, generated" if workbook else "Generated"
        raise SourceError(f"{place} tab {tab.name!r}, {error}.") from error
    write(tail.encode())


def excel_serial(
    value: dt.date | dt.datetime | dt.time, *, date1904: bool = False
) -> float | None:
    """Return Excel's serial number for a date, datetime or time of day.

    Returns None for dates before 1900-01-01 (before 1904-01-01 with
    ``date1904``), which Excel cannot show as dates.

    :raises ValueError: if ``value`` carries a time zone, since Excel stores
        wall-clock times only; convert it to the business time zone first.
    """
    if isinstance(value, dt.time):
        _require_naive(value.tzinfo, value)
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return (seconds + value.microsecond / 1e6) / 86400
    epoch = EXCEL_1904_EPOCH if date1904 else EXCEL_EPOCH
    if isinstance(value, dt.datetime):
        _require_naive(value.tzinfo, value)
        delta = value - epoch
        serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    else:
        serial = (value - epoch.date()).days

    if date1904:
        return serial if serial >= 0 else None
    if serial < FIRST_REAL_LEAP_SERIAL:
        serial -= 1
    return serial if serial >= 1 else None


class _SheetData:
    """The ``<row>`` elements of a generated tab, written a block of rows at a time.

    A generated tab can have a million cells, so each block is rendered column
    by column. Most columns contain a few repeated stage names or codes, or text
    that needs no escaping, and a whole column is checked for both at once. Each
    distinct value of a column is rendered once.
    """

    def __init__(
        self,
        styles: StyleSheet,
        date1904: bool = False,
        plain_number_columns: frozenset[int] = frozenset(),
    ) -> None:
        self.styles = styles
        self.date1904 = date1904
        self.plain_number_columns = plain_number_columns
        # The number formats of whole and other numbers in the column rendered.
        self.whole_format = WHOLE_NUMBER_FORMAT
        self.decimal_format = DECIMAL_FORMAT
        self.letters: list[str] = []
        self.style_attributes: dict[tuple[int, bool], str] = {}

    def render(
        self,
        grid: list[list[CellValue]],
        write: Callable[[bytes], object],
        digest: GridDigest | None = None,
        header_row: int = 0,
    ) -> None:
        """Pass the rows of ``grid`` to ``write``, leaving out rows without a value.

        The first row (the banner) and the ``header_row`` of the grid are
        bold. Rendering one block at a time keeps memory low, because the
        Problems tab of a large sheet is tens of megabytes of XML. Every text
        in a block is already in UTF-8 code units (see
        :func:`_utf8_code_units`), so Latin-1 encodes the block as UTF-8.

        :param digest: a digest to add the grid to. From its second block on,
            it hashes the columns the XML was rendered from, so those rows are
            transposed once.
        """
        header = grid[:1]
        header_columns = list(zip_longest(*header))
        write(self.rows(header_columns, len(header), 1, bold=True).encode("latin-1"))
        # The digest's first block covers the header and the first XML blocks.
        if digest is not None and grid:
            digest.add_block(grid[:DIGEST_ROWS])
        for start, end in _blocks(len(grid)):
            # The header row is in the first block, which the digest hashes
            # apart, so a block that is split is never passed to the digest.
            for part_start, part_end in _split_at(start, end, header_row):
                rows = grid[part_start:part_end]
                columns = list(zip_longest(*rows))
                bold = part_start == header_row
                xml = self.rows(columns, len(rows), part_start + 1, bold)
                write(xml.encode("latin-1"))
            if digest is not None and start >= DIGEST_ROWS:
                digest.add_block(rows, columns)

    def rows(
        self,
        columns: list[tuple[CellValue, ...]],
        row_count: int,
        first_number: int,
        bold: bool = False,
    ) -> str:
        """Return the ``<row>`` elements of consecutive grid rows, given by column.

        Each column gives pieces, which are constant markup or lists with one
        string per row. Joining the pieces row by row builds the XML without a
        format call per cell.
        """
        numbers = list(map(str, range(first_number, first_number + row_count)))
        pieces: list[str | list[str]] = ['<row r="', numbers, '">']
        every_row_has_cells = False
        for index, column in enumerate(columns):
            column_pieces, dense = self.column_pieces(index, numbers, column, bold)
            pieces += column_pieces
            every_row_has_cells |= dense
        pieces.append("</row>")

        return _join_rows(pieces, numbers, every_row_has_cells)

    def column_pieces(
        self,
        index: int,
        numbers: list[str],
        values: tuple[CellValue, ...],
        bold: bool,
    ) -> tuple[list[str | list[str]], bool]:
        """Return the pieces of a column's cells, and whether every cell has a value."""
        opening = f'<c r="{self.letter(index)}'
        if index in self.plain_number_columns:
            self.whole_format = self.decimal_format = GENERAL_FORMAT
        else:
            self.whole_format, self.decimal_format = WHOLE_NUMBER_FORMAT, DECIMAL_FORMAT
        joined = _joined_texts(values)
        if joined is not None and "" not in values:
            head, tail = self.text_parts(bold)
            escaped = _escaped_texts(cast(tuple[str, ...], values), joined)
            return [opening, numbers, '"' + head, escaped, tail], True

        kinds = set(map(type, values))
        if kinds == {type(None)}:
            return [], False
        if kinds == {int} and _written_as_integers(cast(tuple[int, ...], values)):
            head = f'"{self.style(self.whole_format, bold)}><v>'
            texts = _integer_texts(cast(tuple[int, ...], values))
            return [opening, numbers, head, texts, "</v></c>"], True

        try:
            bodies = self.column_bodies(values, bold, kinds)
        except ValueError as error:
            number = numbers[self.first_rejected(values, bold)]
            raise ValueError(f"cell {self.letter(index)}{number}: {error}") from error
        if "" not in bodies:
            return [opening, numbers, '"', bodies], True
        cells = [
            f'{opening}{number}"{body}' if body else ""
            for number, body in zip(numbers, bodies, strict=True)
        ]
        return [cells], False

    def column_bodies(
        self,
        values: tuple[CellValue, ...],
        bold: bool,
        kinds: set[type] | None = None,
    ) -> list[str]:
        """Return what follows each cell's reference: attributes, value, end tag.

        :param kinds: the types of ``values``, when the caller has them.
        :raises ValueError: for a value that cannot go into a cell.
        """
        if kinds is None:
            kinds = set(map(type, values))
        # 1, 1.0 and True are equal dict keys but True is written as a boolean,
        # so a column with more than one non-text type keys each value by type.
        typed = len(kinds - {str, type(None)}) > 1
        keys: Sequence[object] = (
            list(zip(map(type, values), values, strict=True)) if typed else values
        )

        distinct: dict[object, str | None] = dict.fromkeys(keys)
        texts = [key for key in distinct if type(key) is str]
        distinct.update(zip(texts, self.text_bodies(texts, bold), strict=True))
        for key, body in distinct.items():
            if body is None:
                value = key[1] if typed else key  # type: ignore[index]
                distinct[key] = self.body(cast(CellValue, value), bold)
        return list(map(distinct.__getitem__, keys))  # type: ignore[arg-type]

    def first_rejected(self, values: tuple[CellValue, ...], bold: bool) -> int:
        """Return the index of the first value that cannot go into a cell."""
        for index, value in enumerate(values):
            try:
                self.body(value, bold)
            except ValueError:
                return index
        return 0

    def body(self, value: CellValue, bold: bool) -> str:
        """Return what follows a cell's reference, or ``""`` for an empty value.

        :raises ValueError: for a value that cannot go into a cell.
        """
        # NaN and pandas' NaT are the only values unequal to themselves, and both
        # mean empty.
        if value is None or value != value:
            return ""
        # Whole numbers are the most common values after text, so they come first.
        if type(value) is int:
            return self.number_body(value, bold)
        if isinstance(value, bool):
            return f'{self.style(0, bold)} t="b"><v>{int(value)}</v></c>'
        if isinstance(value, str):
            return self.text_body(escape_cell_text(value), bold)
        # The concrete types come first because isinstance is slower on an ABC.
        if isinstance(value, int | float | Decimal | numbers.Real):
            return self.number_body(float(value), bold)
        if isinstance(value, dt.date | dt.datetime | dt.time):
            return self.date_body(value, bold)
        kind = type(value).__name__
        raise ValueError(
            f"a {kind} value ({value!r}) cannot be written to a cell; "
            "convert it to text, a number or a date first"
        )

    def text_bodies(self, texts: list[str], bold: bool) -> list[str]:
        """Escape ``texts`` together and return the bodies of their cells."""
        if not texts:
            return []
        return [self.text_body(text, bold) for text in escape_cell_texts(texts)]

    def text_body(self, escaped: str, bold: bool) -> str:
        if not escaped:
            return ""
        head, tail = self.text_parts(bold)
        return head + _utf8_code_units(escaped) + tail

    def text_parts(self, bold: bool) -> tuple[str, str]:
        """Return the markup of a text cell's body before and after its text."""
        head = f'{self.style(0, bold)} t="inlineStr"><is><t xml:space="preserve">'
        return head, "</t></is></c>"

    def number_body(self, number: int | float, bold: bool) -> str:
        if math.isnan(number):
            return ""
        if math.isinf(number):
            return f'{self.style(0, bold)} t="e"><v>#NUM!</v></c>'
        number_format = (
            self.whole_format if type(number) is int else self.decimal_format
        )
        return f"{self.style(number_format, bold)}><v>{_number_text(number)}</v></c>"

    def date_body(self, value: dt.date | dt.datetime | dt.time, bold: bool) -> str:
        serial = excel_serial(value, date1904=self.date1904)
        if serial is None:
            return self.text_body(escape_cell_text(value.isoformat()), bold)
        if isinstance(value, dt.datetime):
            number_format = DATETIME_FORMAT
        elif isinstance(value, dt.time):
            number_format = TIME_FORMAT
        else:
            number_format = DATE_FORMAT
        text = str(int(serial)) if float(serial).is_integer() else repr(serial)
        return f"{self.style(number_format, bold)}><v>{text}</v></c>"

    def letter(self, index: int) -> str:
        while len(self.letters) <= index:
            self.letters.append(column_letter(len(self.letters)))
        return self.letters[index]

    def style(self, number_format: int, bold: bool) -> str:
        attribute = self.style_attributes.get((number_format, bold))
        if attribute is None:
            xf = self.styles.cell_xf_id(number_format, bold)
            attribute = f' s="{xf}"' if xf else ""
            self.style_attributes[(number_format, bold)] = attribute
        return attribute


def _blocks(row_count: int) -> Iterator[tuple[int, int]]:
    """Yield the start and end of each block of rows after the first row.

    The first block is short because the rows at the top of a generated tab
    are table headers and blank rows, whose values differ in kind from the
    column below them. Kept out of the large blocks, they do not send a whole
    block's columns through the slower path for mixed kinds. Every later block
    ends at a grid index that is a multiple of ``ROWS_PER_BLOCK``.
    """
    start = 1
    end = min(FIRST_BLOCK_ROWS, row_count)
    while start < row_count:
        yield start, end
        start, end = end, min(end - end % ROWS_PER_BLOCK + ROWS_PER_BLOCK, row_count)


def _split_at(start: int, end: int, row: int) -> list[tuple[int, int]]:
    """Return the rows from ``start`` to ``end`` as parts, with ``row`` alone in one.

    >>> _split_at(1, 16, 2)
    [(1, 2), (2, 3), (3, 16)]
    """
    if not start <= row < end:
        return [(start, end)]
    parts = [(start, row), (row, row + 1), (row + 1, end)]
    return [(first, last) for first, last in parts if first < last]


def _join_rows(
    pieces: list[str | list[str]], numbers: list[str], every_row_has_cells: bool
) -> str:
    """Join the pieces row by row, leaving out rows without a cell.

    Each piece is constant markup or a list with one string per row. The
    strings of all rows go into one list at a stride of one row's pieces, so
    that a single join builds the XML without a format call per cell.
    """
    merged: list[str | list[str]] = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)

    with_cells = _rows_with_cells(merged, numbers) if not every_row_has_cells else None
    row_count = len(numbers) if with_cells is None else sum(with_cells)
    stride = len(merged)
    strings = [""] * (row_count * stride)
    for offset, piece in enumerate(merged):
        if isinstance(piece, str):
            strings[offset::stride] = [piece] * row_count
        elif with_cells is None:
            strings[offset::stride] = piece
        else:
            strings[offset::stride] = compress(piece, with_cells)
    return "".join(strings)


def _rows_with_cells(pieces: list[str | list[str]], numbers: list[str]) -> list[bool]:
    """Return for each row whether any of its cells has a value."""
    cell_lists = [
        piece for piece in pieces if isinstance(piece, list) and piece is not numbers
    ]
    return list(map(any, zip(*cell_lists, strict=True)))


def _joined_texts(values: tuple[CellValue, ...]) -> str | None:
    """Return a column's values joined by line feeds, or None unless all are text.

    Joining checks the kinds in one call, faster than taking the type of each
    value, and the joined text is what :func:`_escaped_texts` checks.
    """
    try:
        return "\n".join(values)  # type: ignore[arg-type]
    except TypeError:
        return None


def _escaped_texts(texts: tuple[str, ...], joined: str) -> list[str]:
    """Escape a column's texts and return them as UTF-8 code units.

    Most columns are ASCII text that needs no escaping, which one check of the
    joined text finds. Otherwise each distinct text is escaped once, since a
    generated column repeats a few stage names, codes or messages on many rows.

    :param joined: the texts joined by line feeds.
    """
    if joined.isascii() and are_plain_cell_texts(texts, joined):
        return list(texts)
    distinct = list(dict.fromkeys(texts))
    escaped = escape_cell_texts(distinct)
    if escaped is distinct and all(map(str.isascii, distinct)):
        return list(texts)
    written = map(_utf8_code_units, escaped)
    return list(map(dict(zip(distinct, written, strict=True)).__getitem__, texts))


def _utf8_code_units(text: str) -> str:
    """Return ``text`` with each character replaced by its UTF-8 bytes as characters.

    Example: ``'÷'`` becomes ``'\xc3\xb7'``. Encoding the result as Latin-1
    gives the UTF-8 of ``text``. A block of rows joined from such text has
    no character above U+00FF, so Python stores it at one byte per character
    and joins and encodes it faster than text with wider characters.
    """
    if text.isascii():
        return text
    return text.encode("utf-8", "replace").decode("latin-1")


def _written_as_integers(numbers: tuple[int, ...]) -> bool:
    """Return True when :func:`_number_text` gives ``str(number)`` for every number."""
    return -MAX_INTEGER_TEXT < min(numbers) and max(numbers) < MAX_INTEGER_TEXT


def _integer_texts(integers: tuple[int, ...]) -> list[str]:
    """Return ``str`` of each integer, converting a repeated value once.

    Columns of day counts repeat a few dozen values on thousands of rows, where
    a lookup is faster than a conversion. Columns of row numbers repeat few, so
    a sample of the first values decides.
    """
    sample = integers[:INTEGER_SAMPLE_SIZE]
    if len(set(sample)) * 2 > len(sample):
        return list(map(str, integers))
    distinct: dict[int, str | None] = dict.fromkeys(integers)
    for integer in distinct:
        distinct[integer] = str(integer)
    return list(map(distinct.__getitem__, integers))  # type: ignore[arg-type]


def _number_text(number: int | float) -> str:
    """Return the ``<v>`` text of a number, as an integer when whole and below 1e15."""
    if type(number) is int and -MAX_INTEGER_TEXT < number < MAX_INTEGER_TEXT:
        return str(number)
    number = float(number)
    if number.is_integer() and abs(number) < MAX_INTEGER_TEXT:
        return str(int(number))
    return repr(number)


def _sheet_views(tab: GeneratedTab) -> str:
    """Return the view that freezes the rows down to the tab's header row."""
    frozen = tab.header_row + 1
    if len(tab.grid) <= frozen:
        return '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
    top = f"A{frozen + 1}"
    return (
        f'<sheetViews><sheetView workbookViewId="0"><pane ySplit="{frozen}" '
        f'topLeftCell="{top}" activePane="bottomLeft" state="frozen"/>'
        f'<selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/>'
        "</sheetView></sheetViews>"
    )


def _auto_filter(tab: GeneratedTab) -> str:
    """Return the AutoFilter over the tab's only table, or "" for no filter.

    LibreOffice also needs the workbook's defined name for the range, which
    :mod:`sync.xlsx.filter_names` writes.
    """
    rows = tab.filter_rows
    if rows is None:
        return ""
    first, last = rows
    last_column = max(len(tab.grid[first]) - 1, 0)
    return f'<autoFilter ref="{range_ref(first + 1, 0, last + 1, last_column)}"/>'


def _columns(tab: GeneratedTab) -> str:
    widths = [
        f'<col min="{index + 1}" max="{index + 1}" width="{width:g}" customWidth="1"/>'
        for index, width in enumerate(tab.column_widths)
        if width and width > 0
    ]
    return f"<cols>{''.join(widths)}</cols>" if widths else ""


def _require_naive(zone: dt.tzinfo | None, value: object) -> None:
    if zone is not None:
        raise ValueError(
            f"{value!r} has a time zone; convert it to the business time zone and "
            "drop the zone before writing it to a tab"
        )
