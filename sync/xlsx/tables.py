"""Excel tables (list objects) on the pipeline tab whose header row pipesheet writes.

A table stores its column names in its own part as well as in the header cells,
and Excel reports the workbook as damaged when the two differ. When the status
header cell lies in a table's header row, the table's column is renamed to the
same text.

NOTE: formulas that name the old column in a structured reference
(``Table1[Old name]``) are not rewritten.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from config.errors import FeatureLossError
from sync.xlsx.cell_refs import parse_range_ref
from sync.xlsx.markup import attribute_value, escape_attribute, unescape
from sync.xlsx.package import Package
from sync.xlsx.part_outline import (
    ElementSpan,
    PartLayoutError,
    PartOutline,
    start_tag,
)
from sync.xlsx.relationships import (
    OFFICE_RELATIONSHIPS_NS,
    parse_relationships,
    rels_part,
)

logger = logging.getLogger(__name__)

TABLE = OFFICE_RELATIONSHIPS_NS + "/table"

SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def rename_table_headers(
    package: Package, sheet_part: str, row: int, column: int, header: str, place: str
) -> None:
    """Name the table column under the header cell ``header``, if a table has one there.

    :param row: the 1-based row of the header cell; ``column`` is 0-based.
    :raises FeatureLossError: if another column of that table already has the
        name, since table column names must be unique.
    """
    for part in _table_parts(package, sheet_part):
        xml = package.read(part)
        renamed = _renamed_column(xml, row, column, header, place)
        if renamed != xml:
            package.write(part, renamed)
            logger.debug("Renamed a column of %s to the status header", part)


def _table_parts(package: Package, sheet_part: str) -> Iterator[str]:
    """Yield the parts of the Excel tables on a sheet that the package contains."""
    rels = rels_part(sheet_part)
    if package.find(rels) is None:
        return
    for relationship in parse_relationships(package.read(rels), sheet_part):
        if relationship.type != TABLE or relationship.external:
            continue
        if package.find(relationship.target) is not None:
            yield relationship.target


def _renamed_column(
    xml: bytes, row: int, column: int, header: str, place: str
) -> bytes:
    outline = _outline(xml, place)
    if outline is None:
        return xml
    root_tag = start_tag(xml, outline.root)
    if attribute_value(root_tag, b"headerRowCount") == b"0":
        return xml
    ref = attribute_value(root_tag, b"ref")
    corners = parse_range_ref(ref.decode()) if ref else None
    if corners is None:
        return xml

    first_row, first_column, _, last_column = corners
    if row != first_row or not first_column <= column <= last_column:
        return xml
    container = outline.find_child(outline.root, SPREADSHEET_NS, "tableColumns")
    columns = [] if container is None else list(outline.children(container))
    columns = [c for c in columns if c.namespace == SPREADSHEET_NS]
    columns = [c for c in columns if c.name == "tableColumn"]
    index = column - first_column
    if index >= len(columns):
        return xml

    names = [
        unescape((attribute_value(start_tag(xml, c), b"name") or b"").decode())
        for c in columns
    ]
    if names[index] == header:
        return xml
    # The column renamed may differ from the header in case only, which is
    # no clash: Excel leaves that after a user retypes the header.
    others = names[:index] + names[index + 1 :]
    if header.casefold() in (name.casefold() for name in others):
        raise FeatureLossError(
            f"{place}: the status header {header!r} is already the name of another "
            "column of the Excel table there, and table column names must be unique. "
            "Rename that column or change the status header, then run again."
        )
    return _with_name(xml, columns[index], header)


def _outline(xml: bytes, place: str) -> PartOutline | None:
    """Return the outline of a table part, or None when it is not a table."""
    try:
        outline = PartOutline(xml, max_depth=2)
        outline.require_root(SPREADSHEET_NS, "table")
    except PartLayoutError as error:
        logger.debug("%s: table part skipped because %s", place, error)
        return None
    return outline


def _with_name(xml: bytes, column: ElementSpan, header: str) -> bytes:
    value = escape_attribute(header).encode()
    # A value in double quotes may contain single quotes and the other way
    # round, as in name="Ann's notes".
    pattern = rb"""(\sname\s*=\s*)(?:"[^"]*"|'[^']*')"""
    tag = start_tag(xml, column)
    renamed, count = re.subn(
        pattern, lambda m: m.group(1) + b'"' + value + b'"', tag, count=1
    )
    if count == 0:
        at = len(b"<" + column.qualified_name)
        renamed = tag[:at] + b' name="' + value + b'"' + tag[at:]
    return xml[: column.start] + renamed + xml[column.content_start :]


def table_total_rows(package: Package, sheet_part: str) -> list[int]:
    """Return the 1-based rows that the Excel tables of a sheet use as total rows.

    A table with a Total Row has ``totalsRowCount`` in its part: that many rows
    at the bottom of its range contain totals, whatever their first cell shows.
    """
    rows: list[int] = []
    for part in _table_parts(package, sheet_part):
        xml = package.read(part)
        outline = _outline(xml, part)
        if outline is None:
            continue
        root_tag = start_tag(xml, outline.root)
        count = attribute_value(root_tag, b"totalsRowCount")
        ref = attribute_value(root_tag, b"ref")
        corners = parse_range_ref(ref.decode()) if ref else None
        if corners is None or count is None or not count.isdigit():
            continue
        last_row = corners[2]
        rows.extend(range(last_row - int(count) + 1, last_row + 1))
    return rows
