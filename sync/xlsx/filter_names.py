"""The hidden ``_xlnm._FilterDatabase`` names of generated tabs' AutoFilters.

LibreOffice 7.4 drops a sheet's ``<autoFilter>`` when its tab has no such
tab-scoped defined name for the range, as a ``soffice --convert-to xlsx`` of
the workbook shows. openpyxl 3.1 and XlsxWriter 3.3 write one with each
AutoFilter too.
"""

from __future__ import annotations

from sync.xlsx.markup import attribute_value, escape_markup
from sync.xlsx.part_outline import remove_elements, start_tag
from sync.xlsx.tab_digests import add_hidden_names, defined_name_elements

FILTER_NAME = "_xlnm._FilterDatabase"


def write_filter_names(workbook_xml: bytes, ranges: dict[int, str | None]) -> bytes:
    """Return the workbook part with the filter name of each tab in ``ranges``.

    :param ranges: the filtered range of each tab by position (0-based), such
        as ``'Problems'!$A$3:$G$90``, or None for a tab without a filter.
        Other filter names of those tabs are removed.
    :raises PartLayoutError: if the part is not well-formed XML.
    """
    old = [
        element
        for element in defined_name_elements(workbook_xml)
        if _filter_position(start_tag(workbook_xml, element)) in ranges
    ]
    xml = remove_elements(workbook_xml, old)
    filtered = sorted((position, ref) for position, ref in ranges.items() if ref)
    if not filtered:
        return xml

    values = [(position, escape_markup(ref).encode()) for position, ref in filtered]
    return add_hidden_names(xml, FILTER_NAME, values)


def filter_range(tab_name: str, first_row: int, last_row: int, last_column: str) -> str:
    """Return a tab's range as a defined name gives it, with absolute references.

    >>> filter_range("O'Neil", 3, 9, "G")
    "'O''Neil'!$A$3:$G$9"
    """
    quoted = tab_name.replace("'", "''")
    return f"'{quoted}'!$A${first_row}:${last_column}${last_row}"


def _filter_position(tag: bytes) -> int | None:
    """Return the tab position of a filter name's start tag, else None."""
    if attribute_value(tag, b"name") != FILTER_NAME.encode():
        return None
    position = attribute_value(tag, b"localSheetId")
    return int(position) if position is not None and position.isdigit() else None
