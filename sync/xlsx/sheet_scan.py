"""Facts of a worksheet that python-calamine's cell values leave out.

Two of them come from one pass over the sheet XML:

- Cells showing a formula error. python-calamine 0.9 reads a cell whose
  formula ends in an error (``#N/A``, ``#DIV/0!``) as "", the same as an empty
  cell, so a required field would ask to "fill it in" although the sheet shows
  the error. The XML stores such a cell with ``t="e"`` and the error's text as
  its value.
- Cells whose formula uses ``ROW()`` or ``ROWS()``, such as ``="D-"&ROW()``. A
  deal ID computed that way changes when the rows are sorted. calamine gives
  only the formula's result, so the rules learn of it from here.
- Cells whose formula calls ``SUBTOTAL``, ``AGGREGATE`` or ``SUM``, such as
  ``=SUBTOTAL(9,E3:E50)``. A row of nothing but those sums the deals, as a
  totals row does, and has no label that would tell the rules so. Those that
  call ``SUBTOTAL`` or ``AGGREGATE`` are also listed apart: Excel's Data >
  Subtotal writes them, also into the ID column when it counts the IDs, and
  a deal's own cells seldom use them.
- Formula cells whose saved result is empty text, such as
  ``=IF(F2="","",F2*G2)`` before F2 is filled in. calamine reads them as
  empty, so a required field would ask to fill in a cell that contains a
  formula. Excel, LibreOffice and XlsxWriter save that result as an empty
  value element (``<v></v>``).
- Formula cells saved without any result: openpyxl writes a formula with
  ``<v />`` after it, and other writers with no value element. Excel
  calculates them when it opens the file, but calamine reads them as empty.
- The reference of every formula cell. A row whose only filled cells hold
  formulas contains nothing a person typed: an empty row of an Excel table
  with a calculated column, or formulas copied down past the last deal.
- Formulas stored for a block of cells (``<f t="array" ref="D3:E3">``): an
  array formula, a dynamic array's spill range, a formula filled over a
  block (``t="shared"``) or a data table (``t="dataTable"``). A status
  written into such a block would change the formula's results.

The same pass keeps the sheet's last pieces, where ``<mergeCells>`` lists the
merged blocks, whose hidden cells calamine reads as empty. It also keeps all of
the XML after ``</sheetData>``, where the conditional formats show whether
pipesheet's highlight rules are there, because a run that missed them would
write them again on every run. The ``<extLst>`` there lists the cells that
show sparklines (:mod:`sync.xlsx.sparklines`). The rows Excel tables use as
their Total Row come from the sheet's table parts
(:func:`sync.xlsx.tables.table_total_rows`).

A pass of its own finds negative numbers, because calamine reads a negative
number in a cell formatted as a date or time as a time of day, without its
sign or whole part (-5 as 00:00, -1.25 as 18:00). A message would quote a
value the cell does not contain. That pass runs only when calamine read a time.

The first pass looks for ``t="e"`` with ``bytes.find``. On the 60 MB sheet of
the 100k-row benchmark workbook it took 0.05 s to inflate and 0.035 s per
search (python-isal 1.9.1, 2-core AMD EPYC). The searches of formula text
and results (``ROW``, ``SUBTOTAL(``, ``AGGREGATE(``, ``SUM(``,
``<v></v>``, ``ref=``) run only on the pieces that contain a formula
(:class:`_FormulaGate`). That sheet has no formulas, and the search for
their end tag ``</f>`` took 0.041 s of CPU there, where a ``ROW`` search on
every piece took 0.046 s (2-core Xeon). A sheet with formulas throughout pays
one search per kind. Recording the formula cells costs about 0.55 µs per
formula as well: 0.55 s of CPU for a 100k-row sheet with ten formula
columns (1.7 s before the search was one regular expression; 2-core VM under
load), in the thread beside calamine's read.

XlsxWriter, openpyxl and LibreOffice write the attribute as ``t="e"``. A
writer that quotes with apostrophes is recognised by its first cell.
NOTE: spaces around the ``=`` are valid XML but are not recognised; no
writer tried produces them.

NOTE: unlike the status-column patch (:mod:`sync.xlsx.sheet_source`), these
searches read the text of comments and CDATA sections as markup, so a
commented-out error cell is recorded. They also miss a formula or cell whose
end tag has white space before its ``>`` (``</f >``, ``</c >``).
"""

from __future__ import annotations

import functools
import logging
import math
import re
import xml.etree.ElementTree as ElementTree
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from config.errors import PipesheetError
from rules.grid import DrawingBlock, RangeFormula, column_letter
from sync.xlsx.cell_refs import column_index, parse_range_ref
from sync.xlsx.drawing_anchors import drawing_blocks, sheet_drawing_id
from sync.xlsx.highlights import pipesheet_highlight_blocks
from sync.xlsx.package import Package
from sync.xlsx.sparklines import sparkline_blocks
from sync.xlsx.styles import read_fill_dxf_colours
from sync.xlsx.tables import table_total_rows
from sync.xlsx.workbook_parts import WorkbookParts

logger = logging.getLogger(__name__)

# A cell position: 1-based row, 0-based column.
CellPosition = tuple[int, int]

# A block of cells: first row, first column, last row, last column.
CellBlock = tuple[int, int, int, int]

_START_TAG = re.compile(rb"<(?:[\w.-]+:)?c[\s/>]")
_FORMULA_TAG = re.compile(rb"<(?:[\w.-]+:)?f[\s>]")
_ERROR_TYPE = re.compile(rb"""\st\s*=\s*["']e["']""")
_REFERENCE = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]{1,3})(\d+)["']""")
_SHARED_RANGE = re.compile(rb"""\sref\s*=\s*["']([A-Za-z0-9:$]+)["']""")
_CELL_END = re.compile(rb"</(?:[\w.-]+:)?c>")
_MERGE_CELL = re.compile(
    rb"""<(?:[\w.-]+:)?mergeCell\s[^>]*?\bref\s*=\s*["']([^"']+)"""
)
# A column range of ``<cols>`` and the attributes that matter here.
_COLUMN = re.compile(rb"<(?:[\w.-]+:)?col\s([^>]*)>")
_HIDDEN = re.compile(rb"""\shidden\s*=\s*["']([^"']*)["']""")
_MIN = re.compile(rb"""\smin\s*=\s*["'](\d+)["']""")
_MAX = re.compile(rb"""\smax\s*=\s*["'](\d+)["']""")
# How much of the sheet's start is searched for <cols>, which comes before
# the cells and lists each column range once.
HEAD_BYTES = 1 << 20
# How many of the sheet's last pieces are kept to find its merged blocks in.
TAIL_PIECES = 2
# The end of the cells: ``</sheetData>``, or ``<sheetData/>`` on a sheet without
# any. Cell text cannot hold either tag, because XML escapes its ``<``.
_CELLS_END = re.compile(rb"</(?:[\w.-]+:)?sheetData\s*>|<(?:[\w.-]+:)?sheetData\s*/>")
# A row's start tag: ``<row r="5">``, ``<x:row>``, but not ``<rowBreaks>``.
_ROW_START = re.compile(rb"<(?:[\w.-]+:)?row[\s/>]")
_FORMULA_END = re.compile(rb"</(?:[\w.-]+:)?f>")
_VALUE = re.compile(rb"<(?:[\w.-]+:)?v>([^<]*)</")
# A value element whose text starts with a minus sign, and the cell's type.
_NEGATIVE_VALUE = re.compile(rb"<(?:[\w.-]+:)?v>(-[^<]*)<")
_CELL_TYPE = re.compile(rb"""\st\s*=\s*["']([^"']*)["']""")
_ROW_FUNCTION = re.compile(rb"(?<![\w.])ROWS?\(")
# Excel stores functions added in Excel 2010 or later, AGGREGATE among them,
# with the prefix "_xlfn.".
_SUBTOTAL_FUNCTION = re.compile(rb"(?<![\w.])(?:_xlfn\.)?(?:SUBTOTAL|AGGREGATE|SUM)\(")
_AGGREGATE_FUNCTION = re.compile(rb"(?<![\w.])(?:_xlfn\.)?(?:SUBTOTAL|AGGREGATE)\(")
# Text literals and quoted sheet names, where "ROW(" is no call.
_QUOTED = re.compile(rb""""[^"]*"|'[^']*'""")


@dataclass
class SheetScan:
    """Facts of one worksheet: error cells, ROW formulas, Total Rows, merges.

    ``error_cells`` maps a position to the error's text, ``negative_numbers``
    a position to its negative number, ``row_formulas``
    lists the blocks whose formulas use ROW or ROWS, ``subtotal_formulas``
    those whose formulas call SUBTOTAL, AGGREGATE or SUM, ``aggregate_formulas``
    those whose formulas call SUBTOTAL or AGGREGATE, ``empty_formula_results`` the
    positions of formula cells whose saved result is empty, ``formula_cells``
    the references (``b"I4"``, as the XML spells them) of all cells with a
    formula of their own,
    ``unsaved_formula_results`` those of formula cells saved without a
    result, ``range_formulas`` the formulas stored for a block of more than
    one cell, ``total_rows`` the
    1-based rows Excel tables use as their Total Row and ``merged`` the merged
    blocks. A shared formula's
    block is the range its first cell declares, because the other cells of
    the range store no formula text of their own.
    """

    error_cells: dict[CellPosition, str] = field(default_factory=dict)
    negative_numbers: dict[CellPosition, float] = field(default_factory=dict)
    row_formulas: list[CellBlock] = field(default_factory=list)
    subtotal_formulas: list[CellBlock] = field(default_factory=list)
    aggregate_formulas: list[CellBlock] = field(default_factory=list)
    empty_formula_results: set[CellPosition] = field(default_factory=set)
    formula_cells: set[bytes] = field(default_factory=set)
    unsaved_formula_results: set[CellPosition] = field(default_factory=set)
    range_formulas: list[RangeFormula] = field(default_factory=list)
    total_rows: list[int] = field(default_factory=list)
    merged: list[CellBlock] = field(default_factory=list)
    hidden_columns: list[tuple[int, int]] = field(default_factory=list)
    pipesheet_highlights: bool = False
    # The conditional-format blocks with rules of pipesheet's, each with the
    # 0-based columns those rules read. scan_sheet finds the rules by formula
    # and range alone, and scan_tab keeps those whose format is pipesheet's fill.
    highlight_blocks: dict[bytes, frozenset[int]] = field(default_factory=dict)
    # The relationship id of the sheet's <drawing>. The objects it places and
    # the cells that show sparklines go into ``drawings``.
    drawing_id: str | None = None
    drawings: list[DrawingBlock] = field(default_factory=list)


def scan_sheet(pieces: Iterable[bytes]) -> SheetScan:
    """Return the error cells and ROW formulas of a sheet's XML.

    :param pieces: the sheet XML, split anywhere.
    """
    found = SheetScan()
    tail: deque[bytes] = deque(maxlen=TAIL_PIECES)
    after_cells = _AfterCells()
    # The pieces up to the start of the cells, where <cols> is.
    head: list[bytes] = []

    def noted(pieces: Iterable[bytes]) -> Iterator[bytes]:
        head_done = False
        head_size = 0
        for piece in pieces:
            tail.append(piece)
            after_cells.add(piece)
            if not head_done:
                head.append(piece)
                head_size += len(piece)
                # Two pieces, in case the tag's name is split between them.
                head_done = (
                    b"sheetData" in b"".join(head[-2:]) or head_size >= HEAD_BYTES
                )
            yield piece

    formula_searches = (
        _formula_position_search,
        _row_search,
        _subtotal_search,
        _empty_result_search,
        _unsaved_result_search,
        _range_formula_search,
    )
    _scan_cells(noted(pieces), (_error_search,), found, formula_searches)
    found.row_formulas = list(dict.fromkeys(found.row_formulas))
    found.subtotal_formulas = list(dict.fromkeys(found.subtotal_formulas))
    found.aggregate_formulas = list(dict.fromkeys(found.aggregate_formulas))
    found.range_formulas = list(dict.fromkeys(found.range_formulas))
    found.merged = _merged_blocks(b"".join(tail))
    found.hidden_columns = _hidden_columns(b"".join(head))
    after = after_cells.text()
    found.highlight_blocks = pipesheet_highlight_blocks(after)
    found.pipesheet_highlights = bool(found.highlight_blocks)
    found.drawing_id = sheet_drawing_id(after)
    found.drawings = sparkline_blocks(after)
    return found


def scan_negative_numbers(pieces: Iterable[bytes]) -> dict[CellPosition, float]:
    """Return the negative numbers of a sheet's XML by position.

    A pass of its own, because only a read that met a time of day needs it,
    and each search of the 100k-row benchmark workbook's sheet takes about
    0.035 s.

    :param pieces: the sheet XML, split anywhere.
    """
    found = SheetScan()
    _scan_cells(pieces, (_negative_search,), found)
    return found.negative_numbers


def scan_column_styles(
    pieces: Iterable[bytes], column: int, styles: Collection[int]
) -> dict[int, int]:
    """Return the style of each cell of ``column`` that has one of ``styles``.

    The result maps a 1-based row to the cell's ``s`` attribute, an index
    into the styles part's ``<cellXfs>``. Only the cells with those styles are
    looked at: each style's attribute (``s="5"``) is one search per piece,
    and a hit outside a cell's start tag, such as a row's style, is passed
    over.

    :param pieces: the sheet XML, split anywhere.
    :param column: the 0-based column.
    """
    found: dict[int, int] = {}
    letters = column_letter(column).encode("ascii")
    # The row of a reference in the column, such as 12 of r="A12".
    reference = re.compile(
        rb"""\sr\s*=\s*["']""" + letters + rb"""(\d+)["']""", re.IGNORECASE
    )

    def search(
        buffer: bytes, spelling: _Spelling, _found: SheetScan
    ) -> Iterator[_Outcome]:
        for style in styles:
            marker = b"s=" + spelling.quote + str(style).encode() + spelling.quote
            record = functools.partial(
                _styled_cell, buffer, spelling, reference, style, found
            )
            yield from _search(buffer, marker, record)

    _scan_cells(pieces, (search,), SheetScan())
    return found


def _styled_cell(
    buffer: bytes,
    spelling: _Spelling,
    reference: re.Pattern[bytes],
    style: int,
    found: dict[int, int],
    hit: int,
) -> int | _Unfinished:
    """Record the row of the cell whose start tag has the style at ``hit``.

    ``reference`` matches the cell references of the column, and only such
    a cell is recorded.
    """
    start = buffer.rfind(spelling.cell_open, 0, hit)
    if start < 0 or not _START_TAG.match(buffer, start):
        return hit + 1
    tag_end = buffer.find(b">", start)
    if tag_end < 0:
        return _Unfinished(start)
    # A space before the attribute, so that ``ss="5"`` is no match.
    if tag_end < hit or buffer[hit - 1 : hit] not in (b" ", b"\t", b"\n", b"\r"):
        return hit + 1
    in_column = reference.search(buffer, start, tag_end)
    if in_column is not None:
        found[int(in_column.group(1))] = style
    return tag_end + 1


class _AfterCells:
    """The sheet XML after its cells, collected from the pieces of the whole XML.

    The cells end after the last row's start tag, so only the XML from there
    is kept and searched for their end. That start is a backward search from
    a piece's end, which stops within one row. Searching each piece for the
    end of the cells took 27 ms of CPU on the 60 MB sheet of the 100k-row
    benchmark workbook, this search less than 1 ms (2-core VM).
    """

    def __init__(self) -> None:
        self._from_last_row: list[bytes] = []

    def add(self, piece: bytes) -> None:
        start = _last_row_start(piece)
        if start is None:
            self._from_last_row.append(piece)
        else:
            self._from_last_row = [piece[start:]]

    def text(self) -> bytes:
        """Return the XML after the cells, or b"" when their end was not found."""
        xml = b"".join(self._from_last_row)
        end = _cells_end(xml)
        return b"" if end is None else xml[end:]


def _last_row_start(piece: bytes) -> int | None:
    """Return where the last whole row start tag in ``piece`` begins, or None."""
    position = len(piece)
    while (position := piece.rfind(b"row", 0, position)) >= 0:
        start = piece.rfind(b"<", 0, position)
        tag = _ROW_START.match(piece, start) if start >= 0 else None
        if tag is not None and tag.end() == position + len(b"row") + 1:
            return start
    return None


def _cells_end(xml: bytes) -> int | None:
    """Return where the sheet's cells end in ``xml``, or None if not in it."""
    position = xml.find(b"sheetData")
    while position >= 0:
        start = xml.rfind(b"<", 0, position)
        end = _CELLS_END.match(xml, start) if start >= 0 else None
        if end is not None:
            return end.end()
        position = xml.find(b"sheetData", position + 1)
    return None


def _hidden_columns(head: bytes) -> list[tuple[int, int]]:
    """Return the hidden columns that ``<cols>`` lists, as 0-based first and last.

    ``<cols>`` comes before the cells, so ``head`` is the XML up to and
    including the piece where ``<sheetData`` starts.
    """
    end = head.find(b"sheetData")
    hidden = []
    for match in _COLUMN.finditer(head, 0, end if end >= 0 else len(head)):
        # The leading space lets the first attribute match like the others.
        attributes = b" " + match.group(1)
        flag = _HIDDEN.search(attributes)
        first = _MIN.search(attributes)
        last = _MAX.search(attributes)
        if flag is None or flag.group(1) not in (b"1", b"true"):
            continue
        if first is None or last is None:
            continue
        hidden.append((int(first.group(1)) - 1, int(last.group(1)) - 1))
    return hidden


def _merged_blocks(tail: bytes) -> list[CellBlock]:
    """Return the merged blocks listed in the sheet's last pieces.

    ``<mergeCells>`` follows the cells, with only small elements between. So
    the last pieces hold it, unless those elements take megabytes.

    NOTE: blocks listed before the last pieces are missed.

    Cell text cannot hold a ``<mergeCell`` tag, because XML escapes its ``<``.
    """
    blocks = (
        parse_range_ref(match.group(1).decode("ascii", "replace"))
        for match in _MERGE_CELL.finditer(tail)
    )
    return [block for block in blocks if block is not None]


@dataclass(frozen=True)
class _Spelling:
    """The start of a cell's tag in the sheet (``<c``, ``<x:c``) and its quote."""

    cell_open: bytes
    quote: bytes

    @property
    def formula_open(self) -> bytes:
        """The start of a formula's tag, with the cells' namespace prefix."""
        return self.cell_open[:-1] + b"f"

    @property
    def formula_close(self) -> bytes:
        """The end tag of a formula, with the cells' namespace prefix."""
        return b"</" + self.cell_open[1:-1] + b"f>"

    @property
    def empty_value(self) -> bytes:
        """An empty value element, with the cells' namespace prefix."""
        prefix = self.cell_open[1:-1]
        return b"<" + prefix + b"v></" + prefix + b"v>"

    @property
    def unsaved_value_markers(self) -> tuple[bytes, ...]:
        """The markers of a formula cell saved without a result.

        They are a self-closing value element, and an element's end or a
        self-closing tag right before the cell's end tag. Cells without a
        formula contain them too, so each hit's cell is checked for one.
        """
        prefix = self.cell_open[1:-1]
        cell_close = b"</" + prefix + b"c>"
        return (
            b"<" + prefix + b"v/>",
            b"<" + prefix + b"v />",
            b"f>" + cell_close,
            b"/>" + cell_close,
        )


def _spelling(head: bytes) -> _Spelling | None:
    """Return the spelling of the sheet's first cell, or None before a cell."""
    cell = _START_TAG.search(head)
    if cell is None:
        return None
    tag_end = head.find(b">", cell.start())
    if tag_end < 0:
        return None
    cell_open = head[cell.start() : cell.end() - 1]
    reference = _REFERENCE.search(head, cell.start(), tag_end)
    if reference is not None and head[reference.end() - 1 : reference.end()] == b"'":
        return _Spelling(cell_open, b"'")
    return _Spelling(cell_open, b'"')


@dataclass(frozen=True)
class _Unfinished:
    """A cell that continues past the end of the buffer, from ``start``."""

    start: int


# A search finds each hit of its marker in a buffer and records the cell there.
# It returns where the next hit may start, or the cell that goes on past the
# buffer's end.
_Outcome = int | _Unfinished
_Search = Callable[[bytes, "_Spelling", SheetScan], Iterator[_Outcome]]


def _scan_cells(
    pieces: Iterable[bytes],
    searches: Sequence[_Search],
    found: SheetScan,
    formula_searches: Sequence[_Search] = (),
) -> None:
    """Run ``searches`` over the sheet XML in ``pieces``, recording into ``found``.

    ``formula_searches`` run only where :class:`_FormulaGate` lets them.
    """
    spelling: _Spelling | None = None
    gate: _FormulaGate | None = None
    rest = b""
    for piece in pieces:
        buffer = rest + piece if rest else piece
        if spelling is None:
            spelling = _spelling(buffer)
            if spelling is None:
                rest = buffer
                continue
            gate = _FormulaGate(spelling, searches, formula_searches)
        assert gate is not None
        rest = buffer[_scan(buffer, spelling, found, gate.searches(buffer)) :]
    if rest:
        spelling = spelling or _Spelling(b"<c", b'"')
        gate = gate or _FormulaGate(spelling, searches, formula_searches)
        _scan(rest, spelling, found, gate.searches(rest))


class _FormulaGate:
    """The searches each buffer needs: formula searches only where formulas are.

    A buffer starts at a cell's start, and a cell whose formula text ends past
    the buffer is scanned again with the next piece. Up to the first formula,
    a buffer needs the formula searches only if it contains a formula's end
    tag (``</f>``), which is quicker to search for than ``<f``. From there on,
    it needs them if it contains a formula's start tag, because the other
    cells of a shared formula have no end tag (``<f t="shared" si="0"/>``) and
    come after its first cell.
    """

    def __init__(
        self,
        spelling: _Spelling,
        searches: Sequence[_Search],
        formula_searches: Sequence[_Search],
    ) -> None:
        self._marker = spelling.formula_close
        self._formula_open = spelling.formula_open
        self._searches = searches
        self._all = [*searches, *formula_searches] if formula_searches else searches

    def searches(self, buffer: bytes) -> Sequence[_Search]:
        """Return the searches to run on ``buffer``."""
        if self._all is self._searches or buffer.find(self._marker) < 0:
            return self._searches
        self._marker = self._formula_open
        return self._all


def _scan(
    buffer: bytes, spelling: _Spelling, found: SheetScan, searches: Sequence[_Search]
) -> int:
    """Record what ``buffer`` contains whole; return where the next scan starts.

    That is the start of the buffer's last cell, which may go on in the next
    piece, or of an earlier cell that does. Scanning a finished cell twice
    records it twice, which the caller's dict and de-duplication absorb.
    """
    keep = buffer.rfind(spelling.cell_open)
    if keep < 0:
        keep = buffer.rfind(b"<")
    for search in searches:
        for outcome in search(buffer, spelling, found):
            if isinstance(outcome, _Unfinished):
                keep = min(keep, outcome.start)
    return max(keep, 0)


def _search(
    buffer: bytes, marker: bytes, record: Callable[[int], _Outcome]
) -> Iterator[_Outcome]:
    """Call ``record`` on each hit of ``marker`` until a cell goes past the end."""
    position = 0
    while (hit := buffer.find(marker, position)) >= 0:
        outcome = record(hit)
        yield outcome
        if isinstance(outcome, _Unfinished):
            return
        position = outcome


def _error_search(
    buffer: bytes, spelling: _Spelling, found: SheetScan
) -> Iterator[_Outcome]:
    quote = spelling.quote
    marker = b"t=" + quote + b"e" + quote
    return _search(buffer, marker, lambda hit: _error_cell(buffer, hit, found))


def _row_search(
    buffer: bytes, spelling: _Spelling, found: SheetScan
) -> Iterator[_Outcome]:
    def record(hit: int) -> _Outcome:
        return _formula_cell(buffer, hit, _uses_row_function, found.row_formulas)

    return _search(buffer, b"ROW", record)


def _subtotal_search(
    buffer: bytes, spelling: _Spelling, found: SheetScan
) -> Iterator[_Outcome]:
    """Record the cells whose formulas call SUBTOTAL, AGGREGATE or SUM.

    A SUBTOTAL or AGGREGATE cell goes to both ``subtotal_formulas`` and
    ``aggregate_formulas``, so the sheet is searched once for each name.
    """

    def record_sum(hit: int) -> _Outcome:
        return _formula_cell(buffer, hit, _calls_subtotal, found.subtotal_formulas)

    def record_aggregate(hit: int) -> _Outcome:
        outcome = record_sum(hit)
        if not isinstance(outcome, _Unfinished):
            _formula_cell(buffer, hit, _calls_aggregate, found.aggregate_formulas)
        return outcome

    yield from _search(buffer, b"SUBTOTAL(", record_aggregate)
    yield from _search(buffer, b"AGGREGATE(", record_aggregate)
    yield from _search(buffer, b"SUM(", record_sum)


def _empty_result_search(
    buffer: bytes, spelling: _Spelling, found: SheetScan
) -> Iterator[_Outcome]:
    marker = spelling.empty_value
    cells = found.empty_formula_results
    return _search(
        buffer,
        marker,
        lambda hit: _formula_cell_at(
            buffer, hit, marker=marker, spelling=spelling, cells=cells
        ),
    )


def _unsaved_result_search(
    buffer: bytes, spelling: _Spelling, found: SheetScan
) -> Iterator[_Outcome]:
    """Find formula cells with an empty value tag (``<v />``) or none at all.

    The second kind ends its formula, or its shared formula's tag, right
    before the cell's end tag (``</f></c>``, ``si="0"/></c>``).
    """
    cells = found.unsaved_formula_results
    for marker in spelling.unsaved_value_markers:
        record = functools.partial(
            _formula_cell_at,
            buffer,
            marker=marker,
            spelling=spelling,
            cells=cells,
            without_value=True,
        )
        yield from _search(buffer, marker, record)


def _range_formula_search(
    buffer: bytes, spelling: _Spelling, found: SheetScan
) -> Iterator[_Outcome]:
    """Record the formulas whose ``ref`` attribute names a block of cells.

    The gate opens on a formula's end tag, and a data table's formula may
    have none (``<f t="dataTable" ref="C3:C5" .../>``). But a data table
    calculates a formula that sits above or left of its results, so the gate
    is open by the time the scan reaches the table.
    """
    formulas = found.range_formulas
    return _search(buffer, b"ref=", lambda hit: _range_formula(buffer, hit, formulas))


def _range_formula(
    buffer: bytes, hit: int, formulas: list[RangeFormula]
) -> int | _Unfinished:
    """Record the formula whose start tag has the ``ref=`` at ``hit``.

    Other elements have a ``ref`` too (``<mergeCell>``, ``<hyperlink>``,
    ``sqref``), so the tag must be a formula's.
    """
    end = hit + len(b"ref=")
    if buffer[hit - 1 : hit] not in (b" ", b"\t", b"\n", b"\r"):
        return end
    tag_start = buffer.rfind(b"<", 0, hit)
    if tag_start < 0 or _FORMULA_TAG.match(buffer, tag_start) is None:
        return end
    tag_end = buffer.find(b">", hit)
    if tag_end < 0:
        return _Unfinished(tag_start)

    tag = buffer[tag_start:tag_end]
    reference = _SHARED_RANGE.search(tag)
    block = parse_range_ref(reference.group(1).decode("ascii")) if reference else None
    if block is None or (block[0] == block[2] and block[1] == block[3]):
        return tag_end + 1
    kind = _CELL_TYPE.search(tag)
    formulas.append(
        RangeFormula(kind.group(1).decode("ascii", "replace") if kind else "", *block)
    )
    return tag_end + 1


def _formula_position_search(
    buffer: bytes, spelling: _Spelling, found: SheetScan
) -> Iterator[_Outcome]:
    """Record the reference of each cell with a formula tag, such as ``b"I4"``.

    Excel, LibreOffice, openpyxl and XlsxWriter write the reference as the
    cell tag's first attribute, so one regular expression finds most
    formula cells in C. Where it finds fewer than the buffer has formula
    tags, each formula tag's cell is looked up. On a 100k-row sheet with ten
    formula columns the expression took 0.4 s of CPU where the lookups took
    1.7 s (2-core VM under load). A cell cut off by the buffer's end is
    scanned again with the next piece.
    """
    references = found.formula_cells
    marker = spelling.formula_open
    tags = buffer.count(marker + b">") + buffer.count(marker + b" ")
    if not tags:
        yield from ()
        return
    first_attribute = _first_reference_pattern(spelling)
    matches = first_attribute.findall(buffer)
    references.update(matches)
    if len(matches) >= tags:
        yield from ()
        return
    cell_open = spelling.cell_open
    position = 0
    while (hit := buffer.find(marker, position)) >= 0:
        position = hit + len(marker)
        cell_start = buffer.rfind(cell_open, 0, hit)
        reference = buffer.find(b" r=", cell_start, hit) if cell_start >= 0 else -1
        if reference < 0 or _FORMULA_TAG.match(buffer, hit) is None:
            continue
        # The attribute's own quote, which may differ from the first cell's.
        quote = buffer[reference + 3 : reference + 4]
        end = buffer.find(quote, reference + 4, hit)
        if end > 0:
            references.add(buffer[reference + 4 : end])
    yield from ()


@functools.cache
def _first_reference_pattern(spelling: _Spelling) -> re.Pattern[bytes]:
    """Return the pattern of a formula cell whose first attribute is ``r``."""
    quote = re.escape(spelling.quote)
    return re.compile(
        re.escape(spelling.cell_open)
        + rb" r="
        + quote
        + rb"([A-Z]{1,3}[0-9]{1,7})"
        + quote
        + rb"[^>]*>"
        + re.escape(spelling.formula_open)
        + rb"[\s>]"
    )


def _formula_cell_at(
    buffer: bytes,
    hit: int,
    *,
    marker: bytes,
    spelling: _Spelling,
    cells: set[CellPosition],
    without_value: bool = False,
) -> int:
    """Add to ``cells`` the cell of the ``marker`` at ``hit`` if it has a formula.

    :param without_value: add it only if it has no value element with text or
        an empty one (``<v>3</v>``, ``<v></v>``) either.
    """
    end = hit + len(marker)
    cell_start = buffer.rfind(spelling.cell_open, 0, hit)
    tag_end = buffer.find(b">", cell_start, hit) if cell_start >= 0 else -1
    if tag_end < 0 or not _START_TAG.match(buffer, cell_start):
        return end
    reference = _REFERENCE.search(buffer, cell_start, tag_end)
    formula = _FORMULA_TAG.search(buffer, tag_end, end)
    if reference is None or formula is None:
        return end
    if without_value and _VALUE.search(buffer, tag_end, end) is not None:
        return end
    cells.add(_position(reference))
    return end


def _negative_search(
    buffer: bytes, spelling: _Spelling, found: SheetScan
) -> Iterator[_Outcome]:
    return _search(
        buffer, b"v>-", lambda hit: _negative_cell(buffer, hit, spelling, found)
    )


def _error_cell(buffer: bytes, hit: int, found: SheetScan) -> int | _Unfinished:
    """Record the error cell whose start tag contains ``hit``; return where to go on."""
    start = buffer.rfind(b"<", 0, hit)
    if start < 0:
        return hit + 1
    tag_end = buffer.find(b">", hit)
    if tag_end < 0:
        return _Unfinished(start)
    tag = buffer[start : tag_end + 1]
    if not _START_TAG.match(tag) or not _ERROR_TYPE.search(tag) or tag[-2:] == b"/>":
        return tag_end + 1
    end = _CELL_END.search(buffer, tag_end)
    if end is None:
        return _Unfinished(start)
    reference = _REFERENCE.search(tag)
    value = _VALUE.search(buffer, tag_end, end.start())
    if reference is not None and value is not None:
        text = value.group(1).decode("utf-8", "replace").strip()
        if text:
            found.error_cells[_position(reference)] = text
    return end.end()


def _negative_cell(
    buffer: bytes, hit: int, spelling: _Spelling, found: SheetScan
) -> int | _Unfinished:
    """Record the number cell whose value, starting at ``hit``, is negative."""
    value_start = buffer.rfind(b"<", 0, hit)
    cell_start = buffer.rfind(spelling.cell_open, 0, value_start)
    if value_start < 0 or cell_start < 0:
        return hit + 3
    value = _NEGATIVE_VALUE.match(buffer, value_start)
    if value is None:
        if buffer.find(b"<", hit) < 0:
            return _Unfinished(cell_start)
        return hit + 3
    tag_end = buffer.find(b">", cell_start)
    tag = buffer[cell_start : tag_end + 1]
    kind = _CELL_TYPE.search(tag)
    reference = _REFERENCE.search(tag)
    # Text a formula gives (t="str") may start with a minus sign too.
    if reference is not None and (kind is None or kind.group(1) == b"n"):
        try:
            number = float(value.group(1))
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            found.negative_numbers[_position(reference)] = number
    return value.end()


def _formula_cell(
    buffer: bytes,
    hit: int,
    matches: Callable[[bytes], bool],
    blocks: list[CellBlock],
) -> int | _Unfinished:
    """Record the block of the formula cell at ``hit`` if ``matches`` its formula.

    ``hit`` is in the formula's text, and the block goes to ``blocks``.
    """
    formula_start = buffer.rfind(b"<", 0, hit)
    cell_start = buffer.rfind(b"<", 0, formula_start) if formula_start > 0 else -1
    if cell_start < 0:
        return hit + 3
    formula_tag = _FORMULA_TAG.match(buffer, formula_start)
    cell_tag = _START_TAG.match(buffer, cell_start)
    if formula_tag is None or cell_tag is None:
        return hit + 3
    tag_end = buffer.find(b">", formula_start)
    close = _FORMULA_END.search(buffer, tag_end) if tag_end >= 0 else None
    if close is None:
        return _Unfinished(cell_start)
    if matches(buffer[tag_end + 1 : close.start()]):
        _record_formula(
            buffer[cell_start:formula_start], buffer[formula_start:tag_end], blocks
        )
    return close.end()


def _uses_row_function(formula: bytes) -> bool:
    """Return True when ``formula`` calls ROW or ROWS outside quoted text."""
    return _ROW_FUNCTION.search(_formula_code(formula)) is not None


def _calls_subtotal(formula: bytes) -> bool:
    """Return True when ``formula`` calls SUBTOTAL, AGGREGATE or SUM, not in text."""
    return _SUBTOTAL_FUNCTION.search(_formula_code(formula)) is not None


def _calls_aggregate(formula: bytes) -> bool:
    """Return True when ``formula`` calls SUBTOTAL or AGGREGATE, not in text."""
    return _AGGREGATE_FUNCTION.search(_formula_code(formula)) is not None


def _formula_code(formula: bytes) -> bytes:
    """Return a formula's text without its text literals and quoted sheet names."""
    unescaped = formula.replace(b"&quot;", b'"').replace(b"&apos;", b"'")
    return _QUOTED.sub(b"", unescaped)


def _record_formula(
    cell_tag: bytes, formula_tag: bytes, blocks: list[CellBlock]
) -> None:
    reference = _REFERENCE.search(cell_tag)
    if reference is None:
        return
    row, column = _position(reference)
    shared = _SHARED_RANGE.search(formula_tag)
    block = parse_range_ref(shared.group(1).decode("ascii")) if shared else None
    blocks.append(block or (row, column, row, column))


def _position(reference: re.Match[bytes]) -> CellPosition:
    letters, row = reference.groups()
    return int(row), column_index(letters.decode("ascii"))


def scan_tab(path: Path, tab: str) -> SheetScan:
    """Scan the worksheet ``tab`` of a workbook file, matched as Excel does.

    A tab that is missing or not a worksheet gives an empty scan. So does a
    workbook the scan cannot read: the calamine read or the write reports
    its damage.
    """

    def scan(package: Package, part: str) -> SheetScan:
        with closing(package.read_pieces(part)) as pieces:
            scan = scan_sheet(pieces)
        scan.total_rows = table_total_rows(package, part)
        if scan.highlight_blocks:
            _keep_highlights_with_owned_fills(scan, package)
        if scan.drawing_id is not None:
            drawn = _read_drawings(package, part, scan.drawing_id)
            scan.drawings = [*drawn, *scan.drawings]
        return scan

    return _read_sheet(path, tab, scan) or SheetScan()


def _keep_highlights_with_owned_fills(scan: SheetScan, package: Package) -> None:
    """Keep only the highlight rules whose format is pipesheet's fill.

    A styles part that cannot be read keeps them all, as the write reports it.
    """
    try:
        fill_dxfs = read_fill_dxf_colours(package, WorkbookParts(package))
    except (PipesheetError, KeyError, OSError) as error:
        logger.debug("Styles of %s not read: %s", package.workbook, error)
        return
    blocks = b"".join(scan.highlight_blocks)
    scan.highlight_blocks = pipesheet_highlight_blocks(blocks, fill_dxfs)
    scan.pipesheet_highlights = bool(scan.highlight_blocks)


def _read_drawings(package: Package, part: str, drawing_id: str) -> list[DrawingBlock]:
    # A drawing that cannot be read costs only the warning about objects
    # over the status column, so it does not drop the rest of the scan.
    try:
        return drawing_blocks(package, part, drawing_id)
    except (PipesheetError, KeyError, OSError, ElementTree.ParseError) as error:
        logger.debug("Drawing %s of %s not read: %s", drawing_id, part, error)
        return []


def negative_numbers_of_tab(path: Path, tab: str) -> dict[CellPosition, float]:
    """Return the negative numbers of the worksheet ``tab``, read as in scan_tab."""

    def scan(package: Package, part: str) -> dict[CellPosition, float]:
        with closing(package.read_pieces(part)) as pieces:
            return scan_negative_numbers(pieces)

    return _read_sheet(path, tab, scan) or {}


def column_styles_of_tab(
    path: Path,
    tab: str,
    column: int,
    styles: Collection[int],
    data: bytes | None = None,
) -> dict[int, int]:
    """Return the styles of a column's cells in ``tab``, read as in scan_tab.

    See :func:`scan_column_styles`. ``data`` is the workbook's bytes, when the
    caller has them, so that the styles come from the bytes it read.
    """

    def scan(package: Package, part: str) -> dict[int, int]:
        with closing(package.read_pieces(part)) as pieces:
            return scan_column_styles(pieces, column, styles)

    return _read_sheet(path, tab, scan, data) or {}


_Found = TypeVar("_Found")


def _read_sheet(
    path: Path,
    tab: str,
    scan: Callable[[Package, str], _Found],
    data: bytes | None = None,
) -> _Found | None:
    """Return ``scan`` of the sheet part of ``tab``; None if it cannot be read."""
    try:
        with Package(path, data=data) as package:
            workbook = WorkbookParts(package)
            sheet = workbook.find_sheet(tab) or workbook.find_sheet_ignoring_case(tab)
            if sheet is None or sheet.part is None or not sheet.is_worksheet:
                return None
            return scan(package, sheet.part)
    except (PipesheetError, KeyError, OSError, ElementTree.ParseError) as error:
        logger.debug("Sheet XML of %s tab %r not scanned: %s", path.name, tab, error)
        return None
