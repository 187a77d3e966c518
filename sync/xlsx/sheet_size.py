"""The size of a worksheet's used range, read from its XML before calamine parses it.

python-calamine holds a parsed sheet as one dense block of cells, from the
first filled cell to the last. One value typed far right of or below the table
makes that block huge: a 20,000-row sheet with one cell in column XFD asked for
a 10 GB block, and the allocation failure aborted the process. Excel,
LibreOffice and openpyxl write the used range as the sheet's ``<dimension>``
element, before its cells, so reading it costs the first piece of the sheet's
XML, and a sheet above :data:`MAX_SHEET_CELLS` is rejected with a message
instead of parsed.

NOTE: a sheet without a ``<dimension>`` element, or with a smaller one than its
cells need, is not checked.
"""

from __future__ import annotations

import logging
import re
from contextlib import closing
from pathlib import Path
from xml.etree import ElementTree

from config.errors import PipesheetError, SheetLayoutError
from sync.xlsx.cell_refs import parse_range_ref
from sync.xlsx.package import Package
from sync.xlsx.workbook_parts import WorkbookParts

logger = logging.getLogger(__name__)

# A cell in calamine's block takes an estimated 32 bytes, so 25 million cells
# take about 800 MB before a single Python value exists. The 100k-row
# benchmark sheet has 1.7 million cells.
MAX_SHEET_CELLS = 25_000_000

_DIMENSION = re.compile(rb"""<(?:[\w.-]+:)?dimension\b[^>]*?\bref\s*=\s*["']([^"']*)""")
# The sheet's cells follow the dimension, so the search stops there.
_SHEET_DATA = re.compile(rb"<(?:[\w.-]+:)?sheetData\b")


def sheet_dimension(path: Path, tab: str) -> str | None:
    """Return the ``<dimension>`` reference of worksheet ``tab``, or None.

    None also stands for a tab that is missing or not a worksheet, and for a
    file that cannot be read as a package: the calamine read reports those.
    """
    try:
        with Package(path) as package:
            workbook = WorkbookParts(package)
            sheet = workbook.find_sheet(tab) or workbook.find_sheet_ignoring_case(tab)
            if sheet is None or sheet.part is None or not sheet.is_worksheet:
                return None
            with closing(package.read_pieces(sheet.part)) as pieces:
                head = b""
                for piece in pieces:
                    head += piece
                    found = _DIMENSION.search(head)
                    if found is not None:
                        return found.group(1).decode("ascii", "replace")
                    if _SHEET_DATA.search(head) is not None:
                        return None
    except (PipesheetError, KeyError, OSError, ElementTree.ParseError) as error:
        logger.debug("Dimension of %s tab %r not read: %s", path.name, tab, error)
    return None


def check_sheet_size(path: Path, tab: str, workbook: str) -> None:
    """Check that worksheet ``tab`` is small enough for calamine to parse.

    :raises SheetLayoutError: if its used range has more than
        :data:`MAX_SHEET_CELLS` cells, naming the range and how to shrink it.
    """
    dimension = sheet_dimension(path, tab)
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
