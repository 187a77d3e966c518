"""Records of the generated tabs pipesheet wrote, so later runs need not read them.

Comparing a generated tab with the workbook's copy costs a full read of that
tab, and the Problems or Stage log tab of a large sheet has as many rows as the
pipeline tab. So when pipesheet writes a generated tab it also stores a hidden
defined name scoped to that tab in the workbook part::

    <definedName name="_pipesheet_tab" localSheetId="4" hidden="1"
        >"pipesheet 1 <SHA-256 of the grid> <CRC-32 of the part> <size>"</definedName>

The zip directory lists the CRC-32 and size of every member, so a later run
can tell without inflating anything whether the tab's sheet part is still the
one pipesheet wrote. If it is, and the tab to write has the same digest, the
tab is unchanged. Excel and LibreOffice rewrite every part when they save a
workbook, so after a person saves it the record no longer matches and the tab
is read and compared cell by cell, as it is without a record.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rules.grid import CellValue
from sync.plan import GeneratedTab
from sync.xlsx.markup import attribute_value, root_prefix

if TYPE_CHECKING:
    from sync.xlsx.package import Package
    from sync.xlsx.workbook_parts import WorkbookParts

RECORD_NAME = "_pipesheet_tab"
RECORD_FORMAT = "pipesheet 1"
# Rows of a grid hashed per update of its digest.
DIGEST_ROWS = 1000

# Elements the schema puts after <definedNames> in a workbook part, for
# inserting a missing <definedNames> in the right place.
_AFTER_DEFINED_NAMES = (
    "calcPr",
    "oleSize",
    "customWorkbookViews",
    "pivotCaches",
    "smartTagPr",
    "smartTagTypes",
    "webPublishing",
    "fileRecoveryPr",
    "webPublishObjects",
    "extLst",
)
_RECORD_VALUE = re.compile(
    rb'"' + re.escape(RECORD_FORMAT.encode()) + rb' ([0-9a-f]{64}) ([0-9a-f]{8}) (\d+)"'
)


@dataclass(frozen=True)
class TabRecord:
    """A record of one written generated tab: its grid's digest and its sheet part."""

    digest: str
    crc: int
    size: int

    def to_value(self) -> str:
        """Return the defined name's content: a quoted text constant."""
        return f'"{RECORD_FORMAT} {self.digest} {self.crc:08x} {self.size}"'


def grid_digest(grid: Sequence[Sequence[CellValue]]) -> str:
    """Return the SHA-256 of a generated tab's grid, types included.

    ``repr`` distinguishes ``1`` from ``1.0``, ``"1"`` and ``True``, which the
    sheet XML writes differently, and is the same in every process for the
    values a grid contains.
    """
    digest = hashlib.sha256()
    # In slices, so that no text as long as the whole tab is built at once.
    for start in range(0, len(grid), DIGEST_ROWS):
        digest.update(repr(grid[start : start + DIGEST_ROWS]).encode("utf-8"))
    return digest.hexdigest()


def read_tab_records(workbook_xml: bytes) -> dict[int, TabRecord]:
    """Return pipesheet's records in a workbook part, by tab position (0-based)."""
    records: dict[int, TabRecord] = {}
    for start_tag, content in _defined_names(workbook_xml):
        position = _record_position(start_tag)
        match = _RECORD_VALUE.fullmatch(content.strip())
        if position is not None and match is not None:
            digest, crc, size = match.groups()
            records[position] = TabRecord(digest.decode(), int(crc, 16), int(size))
    return records


def write_tab_records(workbook_xml: bytes, records: dict[int, TabRecord]) -> bytes:
    """Return the workbook part with ``records`` stored, by tab position.

    A record replaces pipesheet's earlier record of the same tab; every other
    defined name stays as it is.
    """
    if not records:
        return workbook_xml
    prefix = root_prefix(workbook_xml)
    xml = _without_records(workbook_xml, prefix, set(records))
    elements = b"".join(
        b'<%sdefinedName name="%s" localSheetId="%d" hidden="1">%s</%sdefinedName>'
        % (prefix, RECORD_NAME.encode(), position, record.to_value().encode(), prefix)
        for position, record in sorted(records.items())
    )

    closing = b"</" + prefix + b"definedNames>"
    at = xml.find(closing)
    if at >= 0:
        return xml[:at] + elements + xml[at:]
    empty = re.search(rb"<" + re.escape(prefix) + rb"definedNames\s*/>", xml)
    if empty is not None:
        opened = b"<" + prefix + b"definedNames>" + elements + closing
        return xml[: empty.start()] + opened + xml[empty.end() :]
    at = _defined_names_place(xml, prefix)
    return xml[:at] + b"<" + prefix + b"definedNames>" + elements + closing + xml[at:]


def find_unchanged_tabs(
    package: Package, workbook: WorkbookParts, tabs: Iterable[GeneratedTab]
) -> dict[str, str]:
    """Return the tabs whose workbook copy is exactly what pipesheet wrote for them.

    A tab counts when its sheet part has the CRC-32 and size of pipesheet's
    record and the record's digest is that of the tab's grid. The result maps
    the generated tab's name to the tab's name as the workbook spells it.
    """
    records = workbook.tab_records()
    unchanged: dict[str, str] = {}
    for tab in tabs:
        sheet = workbook.find_sheet_ignoring_case(tab.name)
        if sheet is None or sheet.part is None:
            continue
        record = records.get(workbook.sheets.index(sheet))
        member = package.stored_member(sheet.part)
        if record is None or member is None:
            continue
        same_part = (member.crc, member.size) == (record.crc, record.size)
        if same_part and record.digest == tab.digest:
            unchanged[tab.name] = sheet.name
    return unchanged


def _defined_names(xml: bytes) -> Iterable[tuple[bytes, bytes]]:
    """Yield the start tag and the content of every ``<definedName>``."""
    prefix = re.escape(root_prefix(xml))
    pattern = rb"(<" + prefix + rb"definedName(?=[\s>])[^>]*(?<!/)>)(.*?)</" + prefix
    for match in re.finditer(pattern + rb"definedName>", xml, flags=re.DOTALL):
        yield match.group(1), match.group(2)


def _record_position(start_tag: bytes) -> int | None:
    """Return the tab position of one of pipesheet's records, else None."""
    if attribute_value(start_tag, b"name") != RECORD_NAME.encode():
        return None
    position = attribute_value(start_tag, b"localSheetId")
    return int(position) if position is not None and position.isdigit() else None


def _without_records(xml: bytes, prefix: bytes, positions: set[int]) -> bytes:
    p = re.escape(prefix)
    start_tag = rb"<" + p + rb"definedName(?=[\s>])[^>]*(?<!/)>"
    pattern = start_tag + rb".*?</" + p + rb"definedName>"

    def keep_unless_replaced(match: re.Match[bytes]) -> bytes:
        start_tag = match.group(0)[: match.group(0).index(b">") + 1]
        replaced = _record_position(start_tag) in positions
        return b"" if replaced else match.group(0)

    return re.sub(pattern, keep_unless_replaced, xml, flags=re.DOTALL)


def _defined_names_place(xml: bytes, prefix: bytes) -> int:
    """Return where a new ``<definedNames>`` goes: before what follows it."""
    sheets_end = xml.find(b"</" + prefix + b"sheets>")
    start = max(sheets_end, 0)
    for name in _AFTER_DEFINED_NAMES:
        element = re.compile(rb"<" + re.escape(prefix + name.encode()) + rb"(?=[\s/>])")
        found = element.search(xml, start)
        if found is not None:
            return found.start()
    return xml.rindex(b"</" + prefix + b"workbook>")
