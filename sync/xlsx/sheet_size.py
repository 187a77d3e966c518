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

NOTE: a sheet without a ``<dimension>`` element, or with a smaller one than its
cells need, is not checked.
"""

from __future__ import annotations

import io
import logging
import posixpath
import re
import xml.etree.ElementTree as ElementTree
import zipfile
import zlib
from pathlib import Path
from typing import IO

from config.errors import SheetLayoutError
from sync.date_system import SPREADSHEET_NS, workbook_part_name
from sync.xlsx.cell_refs import parse_range_ref

logger = logging.getLogger(__name__)

# A cell in calamine's block takes an estimated 32 bytes, so 25 million cells
# take about 800 MB before a single Python value exists. The 100k-row
# benchmark sheet has 1.7 million cells.
MAX_SHEET_CELLS = 25_000_000

# How much of a sheet's XML is read at a time while looking for its dimension.
READ_BYTES = 1 << 16

_DIMENSION = re.compile(
    rb"""<(?:[\w.-]+:)?dimension\b[^>]*?\bref\s*=\s*["']([^"']*)["']"""
)
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
    file = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with zipfile.ZipFile(file) as package:
            part = sheet_part_name(package, tab)
            if part is None:
                return None
            with package.open(part) as sheet:
                return _read_dimension(sheet)
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        KeyError,
        OSError,
        ElementTree.ParseError,
    ) as error:
        # A damaged part is left to the calamine read, which names it.
        logger.debug("Dimension of tab %r not read: %s", tab, error)
    except StopIteration:
        logger.debug("Dimension of tab %r not read: no workbook part", tab)
    return None


def check_sheet_size(source: Path | bytes, tab: str, workbook: str) -> None:
    """Check that worksheet ``tab`` is small enough for calamine to parse.

    :raises SheetLayoutError: if its used range has more than
        :data:`MAX_SHEET_CELLS` cells, naming the range and how to shrink it.
    """
    dimension = sheet_dimension(source, tab)
    corners = parse_range_ref(dimension) if dimension else None
    if corners is None:
        return
    first_row, first_column, last_row, last_column = corners
    rows = last_row - first_row + 1
    columns = last_column - first_column + 1
    if rows * columns <= MAX_SHEET_CELLS:
        return
    raise SheetLayoutError(
        f"Workbook {workbook!r}, tab {tab!r}: its used range is {dimension} "
        f"({rows:,} rows by {columns:,} columns, {rows * columns:,} cells), more "
        f"than the {MAX_SHEET_CELLS:,} cells pipesheet reads. A value typed far "
        "right of or below the table usually causes this: delete the columns "
        "right of the table and the rows below it, save, and run again."
    )


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
