"""The size of a worksheet's used range, read from its XML before calamine parses it.

python-calamine holds a parsed sheet as one dense block of cells, from the
first filled cell to the last. One value typed far right of or below the table
makes that block huge: a 20,000-row sheet with one cell in column XFD asked for
a 10 GB block, and the allocation failure aborted the process. Excel,
LibreOffice and openpyxl write the used range as the sheet's ``<dimension>``
element, before its cells, so reading it costs the first piece of the sheet's
XML, and a sheet above :data:`MAX_SHEET_CELLS` is rejected with a message
instead of parsed.

The check runs in the read-ahead thread before the parse, while the main
thread imports the writer, so this module reads the package with the standard
library's zipfile and imports no other module of :mod:`sync.xlsx` but the small
:mod:`sync.xlsx.cell_refs`.

A sheet without a ``<dimension>``, with a single-cell one (some writers keep
``A1``) or with one over the limit has its cells with values scanned instead:
a range that only formatting makes large is parsed, because calamine's block
covers values only. The scan takes about 0.9 s per 100,000 rows of 17
columns (``bench/generate.py``'s workbook, 2-core VM), so a sheet with a
right-sized dimension is not scanned.

NOTE: a sheet whose multi-cell ``<dimension>`` is smaller than its cells need
is not scanned.
"""

from __future__ import annotations

import io
import logging
import posixpath
import re
import xml.etree.ElementTree as ElementTree
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

from config.errors import SheetLayoutError
from rules.grid import column_letter
from sync.date_system import SPREADSHEET_NS, workbook_part_name
from sync.xlsx.cell_refs import column_index, parse_range_ref

logger = logging.getLogger(__name__)

T = TypeVar("T")

# A cell in calamine's block takes an estimated 32 bytes, so 25 million cells
# take about 800 MB before a single Python value exists. The 100k-row
# benchmark sheet has 1.7 million cells.
MAX_SHEET_CELLS = 25_000_000

# The end of both too-large messages: the usual cause and how to fix it.
_SHRINK_ADVICE = (
    "A value typed far right of or below the table usually causes this: delete "
    "the columns right of the table and the rows below it, save, and run again."
)

# How much of a sheet's XML is read at a time while looking for its dimension.
READ_BYTES = 1 << 16

_DIMENSION = re.compile(
    rb"""<(?:[\w.-]+:)?dimension\b[^>]*?\bref\s*=\s*["']([^"']*)["']"""
)
# A cell tag with content: one that does not close itself. Its ``r``
# attribute gives the column letters and the row.
_FILLED_CELL = re.compile(
    rb"""<(?:[\w.-]+:)?c\b[^>]*?\br\s*=\s*["']([A-Z]{1,3})(\d+)["'][^>]*?(?<!/)>"""
)
# How much of a sheet's XML is scanned at a time for its filled cells.
SCAN_BYTES = 1 << 24

# The sheet's cells follow the dimension, so the search stops there.
_SHEET_DATA = re.compile(rb"<(?:[\w.-]+:)?sheetData\b")

_SHEET = f"{{{SPREADSHEET_NS}}}sheet"
_RELATIONSHIP_ID = (
    "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
)
_RELATIONSHIP = (
    "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
)


def sheet_dimension(source: Path | bytes, tab: str) -> str | None:
    """Return the ``<dimension>`` reference of worksheet ``tab``, or None.

    ``source`` is the workbook file or its bytes; ``tab`` is matched ignoring
    case. None also stands for a tab that is missing and for a file that cannot
    be read as a package: the calamine read reports those.
    """
    return _read_sheet_part(source, tab, _read_dimension)


def check_sheet_size(source: Path | bytes, tab: str, workbook: str) -> None:
    """Check that worksheet ``tab`` is small enough for calamine to parse.

    :raises SheetLayoutError: if its used range has more than
        :data:`MAX_SHEET_CELLS` cells, naming the range and how to shrink it.
    """
    dimension = sheet_dimension(source, tab)
    corners = parse_range_ref(dimension) if dimension else None
    if corners is None or corners[:2] == corners[2:]:
        _check_filled_extent(source, tab, workbook)
        return
    first_row, first_column, last_row, last_column = corners
    rows = last_row - first_row + 1
    columns = last_column - first_column + 1
    if rows * columns <= MAX_SHEET_CELLS:
        return
    extent = filled_extent(source, tab)
    if extent is not None and _block_cells(extent) <= MAX_SHEET_CELLS:
        logger.debug("Tab %r: used range %s is formatting only", tab, dimension)
        return
    raise SheetLayoutError(
        f"Workbook {workbook!r}, tab {tab!r}: its used range is {dimension} "
        f"({rows:,} rows by {columns:,} columns, {rows * columns:,} cells), more "
        f"than the {MAX_SHEET_CELLS:,} cells pipesheet reads. {_SHRINK_ADVICE}"
    )


def filled_extent(source: Path | bytes, tab: str) -> tuple[int, int] | None:
    """Return the last row and the last column (0-based) of the tab's filled cells.

    None stands for a tab without such cells, a missing tab and a package that
    cannot be read, which the calamine read reports.
    """
    return _read_sheet_part(source, tab, _scan_filled_extent)


def _read_sheet_part(
    source: Path | bytes, tab: str, read: Callable[[IO[bytes]], T | None]
) -> T | None:
    """Return what ``read`` finds in the sheet part of ``tab``, or None.

    None also stands for a missing tab and a package that cannot be read.
    """
    file = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with zipfile.ZipFile(file) as package:
            part = sheet_part_name(package, tab)
            if part is None:
                return None
            with package.open(part) as sheet:
                return read(sheet)
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        KeyError,
        OSError,
        ElementTree.ParseError,
    ) as error:
        # A damaged part is left to the calamine read, which names it.
        logger.debug("Sheet part of tab %r not read: %s", tab, error)
    except StopIteration:
        logger.debug("Sheet part of tab %r not read: no workbook part", tab)
    return None


def _check_filled_extent(source: Path | bytes, tab: str, workbook: str) -> None:
    extent = filled_extent(source, tab)
    if extent is None or _block_cells(extent) <= MAX_SHEET_CELLS:
        return
    last_row, last_column = extent
    columns = last_column + 1
    raise SheetLayoutError(
        f"Workbook {workbook!r}, tab {tab!r}: its filled cells reach row "
        f"{last_row:,} and column {column_letter(last_column)} ({last_row:,} rows "
        f"by {columns:,} columns, {last_row * columns:,} cells), more than the "
        f"{MAX_SHEET_CELLS:,} cells pipesheet reads. {_SHRINK_ADVICE}"
    )


def _block_cells(extent: tuple[int, int]) -> int:
    last_row, last_column = extent
    return last_row * (last_column + 1)


def _scan_filled_extent(sheet: IO[bytes]) -> tuple[int, int] | None:
    last_row = 0
    letters: set[bytes] = set()
    carry = b""
    while True:
        piece = sheet.read(SCAN_BYTES)
        text = carry + piece
        # A tag cut at the end of a piece is scanned with the next one.
        cut = text.rfind(b"<") if piece else len(text)
        text, carry = (text[:cut], text[cut:]) if cut >= 0 else (b"", text)
        found = _FILLED_CELL.findall(text)
        if found:
            last_row = max(last_row, max(int(row) for _, row in found))
            letters.update(column for column, _ in found)
        if not piece:
            break
    if not last_row:
        return None
    return last_row, max(column_index(column.decode("ascii")) for column in letters)


def sheet_part_name(package: zipfile.ZipFile, tab: str) -> str | None:
    """Return the name of the sheet part of ``tab``, matched ignoring case."""
    workbook = workbook_part_name(package.read("_rels/.rels"))
    folded = tab.casefold()
    relationship = next(
        (
            sheet.get(_RELATIONSHIP_ID)
            for sheet in ElementTree.fromstring(package.read(workbook)).iter(_SHEET)
            if (sheet.get("name") or "").casefold() == folded
        ),
        None,
    )
    if relationship is None:
        return None
    folder, name = posixpath.split(workbook)
    rels = ElementTree.fromstring(package.read(f"{folder}/_rels/{name}.rels"))
    target = next(
        (
            element.get("Target", "")
            for element in rels.iter(_RELATIONSHIP)
            if element.get("Id") == relationship
        ),
        None,
    )
    if not target:
        return None
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(folder, target))


def _read_dimension(sheet: IO[bytes]) -> str | None:
    head = b""
    while piece := sheet.read(READ_BYTES):
        head += piece
        found = _DIMENSION.search(head)
        if found is not None:
            return found.group(1).decode("ascii", "replace")
        if _SHEET_DATA.search(head) is not None:
            return None
    return None
