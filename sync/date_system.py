"""The date system in which a workbook file counts its date serial numbers.

Excel for Windows counts days from 1899-12-30. Old Mac Excel counted from
1904-01-01, and a workbook saved that way sets ``<workbookPr date1904="1"/>``
in its workbook part. Both are still in use, so
a serial read from a cell or written into a generated tab must use the
workbook's own system.

This module imports nothing from :mod:`sync.xlsx`, because the pipeline tab is
read in a background thread that starts before the writer is imported.
"""

from __future__ import annotations

import io
import logging
import posixpath
import xml.etree.ElementTree as ElementTree
import zipfile
from typing import IO

logger = logging.getLogger(__name__)

SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIP = (
    "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
)
_OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)
_WORKBOOK_PROPERTIES = f"{{{SPREADSHEET_NS}}}workbookPr"
_SHEETS = f"{{{SPREADSHEET_NS}}}sheets"


def uses_1904_dates(workbook_xml: ElementTree.Element) -> bool:
    """Return whether a parsed workbook part sets the 1904 date system."""
    properties = workbook_xml.find(_WORKBOOK_PROPERTIES)
    return properties is not None and _is_true(properties.get("date1904"))


def package_uses_1904_dates(data: bytes) -> bool:
    """Return whether the .xlsx or .xlsm file in ``data`` uses the 1904 date system.

    A package whose workbook part cannot be found or parsed counts as using the
    1900 system, because reading it fails elsewhere with a message naming the
    problem.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            part = workbook_part_name(package.read("_rels/.rels"))
            with package.open(part) as workbook:
                return _scan_workbook_properties(workbook)
    except (zipfile.BadZipFile, KeyError, StopIteration, ElementTree.ParseError):
        logger.debug("No date system found in the package; using 1900")
        return False


def workbook_part_name(root_rels: bytes) -> str:
    """Return the workbook part's name from the package's root relationships.

    :raises StopIteration: if no relationship points to a workbook part.
    """
    document = next(
        element
        for element in ElementTree.fromstring(root_rels)
        if element.tag == _RELATIONSHIP and element.get("Type") == _OFFICE_DOCUMENT
    )
    # Targets of the root relationships are relative to the package root.
    return posixpath.normpath(document.get("Target", "").lstrip("/"))


def _scan_workbook_properties(workbook: IO[bytes]) -> bool:
    # <workbookPr> comes before <sheets>, so the scan stops there rather than
    # parse defined names that can fill megabytes.
    for _event, element in ElementTree.iterparse(workbook, events=("start",)):
        if element.tag == _WORKBOOK_PROPERTIES:
            return _is_true(element.get("date1904"))
        if element.tag == _SHEETS:
            break
    return False


def _is_true(value: str | None) -> bool:
    # An xsd:boolean: "1" and "true" mean yes.
    return value is not None and value.strip() in ("1", "true")
