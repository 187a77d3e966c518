"""Deal IDs typed as numbers in an Excel workbook, read as the text they show.

Before: the cells A2 = 42 with the format ``"D-"0000`` and A3 = 123 with
``00000``, which python-calamine reads as 42 and 123. After: ``"D-0042"``
and ``"00123"``, as Excel shows them, so the generated tabs, the JSON report
and ``pipesheet log`` use the ID people see and search for, and a new ID
from ``columns.id.fill`` never repeats one of them. The formats rendered are
those of :mod:`sync.xlsx.number_formats`; a cell with another format keeps
the reading of its bare number.

Most ID columns hold only text, which one type test per row in C finds, and
then nothing else is read. Otherwise the styles part is read, and the sheet
XML is searched only when a cell style has such a format.
"""

from __future__ import annotations

import logging
import posixpath
import xml.etree.ElementTree as ElementTree
from operator import itemgetter
from pathlib import Path

from config.errors import PipesheetError
from rules.grid import CellValue
from sync.xlsx.number_formats import WholeNumberText, whole_number_styles
from sync.xlsx.package import Package
from sync.xlsx.relationships import STYLES
from sync.xlsx.sheet_scan import column_styles_of_tab
from sync.xlsx.workbook_parts import WorkbookParts

logger = logging.getLogger(__name__)


def show_formatted_ids(
    path: Path, data: bytes | None, tab: str, rows: list[list[CellValue]], column: int
) -> int:
    """Replace each whole number in ``column`` by the text its format shows.

    ``rows`` are the tab's rows as read from ``data``, the workbook's bytes
    (or the file at ``path`` when None), and are changed in place. Returns
    how many cells changed.
    """
    if not _has_whole_numbers(rows, column):
        return 0
    styles = _read_whole_number_styles(path, data)
    if not styles:
        return 0

    cell_styles = column_styles_of_tab(path, tab, column, styles.keys(), data)
    changed = 0
    for row, style in cell_styles.items():
        if not 1 <= row <= len(rows) or column >= len(rows[row - 1]):
            continue
        cells = rows[row - 1]
        number = cells[column]
        if type(number) is not int:
            continue
        text = styles[style](number)
        if text is not None and text.strip():
            cells[column] = text
            changed += 1
    logger.debug(
        "Read %d deal IDs of tab %r as their number format shows them", changed, tab
    )
    return changed


def _has_whole_numbers(rows: list[list[CellValue]], column: int) -> bool:
    """Return True when a cell of ``column`` contains a whole number (an int)."""
    try:
        types = set(map(type, map(itemgetter(column), rows)))
    except IndexError:
        types = {type(row[column]) for row in rows if column < len(row)}
    return int in types


def _read_whole_number_styles(
    path: Path, data: bytes | None
) -> dict[int, WholeNumberText]:
    """Return the cell styles whose number format pads or adds text to a number.

    A styles part that is missing or cannot be read gives none, so the IDs
    keep the reading of their bare numbers.
    """
    try:
        with Package(path, data=data) as package:
            workbook = WorkbookParts(package)
            related = workbook.related(STYLES)
            folder = posixpath.dirname(workbook.part)
            part = related[0].target if related else f"{folder}/styles.xml"
            part = part.lstrip("/")
            if package.find(part) is None:
                return {}
            return whole_number_styles(package.read(part))
    except (PipesheetError, KeyError, OSError, ElementTree.ParseError) as error:
        logger.debug("Styles of %s not read: %s", path.name, error)
        return {}
