"""Records of the generated tabs pipesheet wrote, so later runs need not read them.

Comparing a generated tab with the workbook's copy costs a full read of that
tab, and the Problems or Stage log tab of a large sheet has as many rows as the
pipeline tab. So when pipesheet writes a generated tab it also stores a hidden
defined name scoped to that tab in the workbook part::

    <definedName name="_pipesheet_tab" localSheetId="4" hidden="1"
        >"pipesheet 2 <SHA-256 of the grid> <CRC-32 of the part> <size>"</definedName>

The zip directory lists the CRC-32 and size of every member, so a later run
can tell without inflating anything whether the tab's sheet part is still the
one pipesheet wrote. If it is, and the tab to write has the same digest, the
tab is unchanged. Excel and LibreOffice rewrite every part when they save a
workbook, so after a person saves it the record no longer matches and the tab
is read and compared cell by cell, as it is without a record.

A record may end with a name key, the first 16 hexadecimal digits of the
SHA-256 of the tab's name (case-folded) when pipesheet wrote it. A tab whose
name no longer gives that key was renamed by a person after pipesheet wrote
it, because pipesheet writes each generated tab under its ``outputs.tabs``
name. Records without the key, from earlier versions, say nothing about
renames.

Format 3 hashes the grid as a spreadsheet shows it, column by column: a
whole float is hashed as the integer it shows, an empty text as an empty cell,
and a row's trailing empty cells not at all. A tab that Excel or LibreOffice
saved again therefore reads back with the digest of its record, and a tab
whose read content has another digest was edited since pipesheet wrote it.

Records of format 1, which earlier versions wrote, hash the ``repr`` of the
grid's rows, and those of format 2 hash its values with their Python types,
column by column. Such a record is still checked with its own digest, so a
workbook written by an earlier version is not rewritten for the new format.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import numbers
import operator
import re
import sys
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from decimal import Decimal
from itertools import compress, repeat, zip_longest
from typing import TYPE_CHECKING, cast

from rules.grid import CellValue
from sync.plan import GeneratedTab
from sync.planner import XML_ILLEGAL_CHARACTERS
from sync.xlsx.first_cell import first_cell_text
from sync.xlsx.markup import attribute_value, escape_cell_text
from sync.xlsx.part_outline import (
    ElementSpan,
    PartLayoutError,
    PartOutline,
    append_child,
    insert_in_order,
    remove_elements,
    start_tag,
)

if TYPE_CHECKING:
    from sync.xlsx.package import Package
    from sync.xlsx.workbook_parts import WorkbookParts

RECORD_NAME = "_pipesheet_tab"
RECORD_FORMAT = 3
TYPED_RECORD_FORMAT = 2
LEGACY_RECORD_FORMAT = 1
# Rows of a grid hashed per update of its digest, in formats 3, 2 and 1.
DIGEST_ROWS = 4096
LEGACY_DIGEST_ROWS = 1000
# Integers up to this size are hashed as 8-byte values, larger ones as their repr.
MAX_HASHED_INTEGER = 2**63 - 1
# Whole floats up to this size are hashed as the integers a reader returns.
MAX_EXACT_FLOAT_INTEGER = 2**53
# Decimal places a number is compared to, as the planner compares tabs, so a
# number saved again with fewer digits still has the digest of its record.
SHOWN_DECIMALS = 9
# Value types that a spreadsheet shows and a reader returns unchanged.
SHOWN_AS_IS = frozenset({type(None), int, bool, dt.date})

SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# Elements the schema puts after <definedNames> in a workbook part, for
# inserting a missing <definedNames> in the right place.
AFTER_DEFINED_NAMES = (
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
# The characters of XML_ILLEGAL_CHARACTERS, NUL among them, as UTF-8 bytes. No
# other character's UTF-8 encoding contains these bytes.
_XML_ILLEGAL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_RECORD_VALUE = re.compile(
    rb'"pipesheet ([123]) ([0-9a-f]{64}) ([0-9a-f]{8}) (\d+)(?: ([0-9a-f]{16}))?"'
)
# Hexadecimal digits of a tab name's SHA-256 that a record keeps.
NAME_KEY_LENGTH = 16


@dataclass(frozen=True)
class TabRecord:
    """A record of one written generated tab: its grid's digest and its sheet part.

    ``name_key`` is :func:`tab_name_key` of the name the tab was written
    under, or None in a record from a version that did not store it.
    """

    digest: str
    crc: int
    size: int
    format: int = RECORD_FORMAT
    name_key: str | None = None

    def to_value(self) -> str:
        """Return the defined name's content: a quoted text constant."""
        name_key = f" {self.name_key}" if self.name_key is not None else ""
        fields = f"{self.format} {self.digest} {self.crc:08x} {self.size}{name_key}"
        return f'"pipesheet {fields}"'

    def names_other_tab(self, tab: str) -> bool:
        """Return True when the record shows the tab was written under another name."""
        return self.name_key is not None and self.name_key != tab_name_key(tab)

    def matches(self, tab: GeneratedTab, date1904: bool = False) -> bool:
        """Return True when the record's digest is that of the tab's grid.

        ``date1904`` is the workbook's date system now. Versions that wrote
        format 1 wrote every date in the 1900 system, so such a record never
        matches in a 1904 workbook.
        """
        if self.format == LEGACY_RECORD_FORMAT:
            return not date1904 and self.digest == legacy_grid_digest(tab.grid)
        if self.format == TYPED_RECORD_FORMAT:
            digest = typed_grid_digest(tab.grid)
            return self.digest == record_digest(digest, date1904)
        return self.digest == record_digest(tab.digest, date1904)

    def matches_shown(
        self, rows: Sequence[Sequence[CellValue]], date1904: bool
    ) -> bool:
        """Return True when a tab read back shows the grid this record was written for.

        A record of a format before 3 cannot tell, so it matches every grid.
        """
        if self.format < RECORD_FORMAT:
            return True
        return self.digest == record_digest(grid_digest(rows), date1904)


def tab_name_key(tab: str) -> str:
    """Return the key a record stores for a tab's name, ignoring case as Excel does."""
    return hashlib.sha256(tab.casefold().encode("utf-8")).hexdigest()[:NAME_KEY_LENGTH]


def record_digest(digest: str, date1904: bool) -> str:
    """Return the digest a record stores for a grid written in a date system.

    The same grid gives other serial numbers in a 1904 workbook, so its record
    differs: a workbook switched to that system then gets its tabs rewritten.
    1900-system records keep the grid's digest, as earlier versions wrote them.
    """
    if not date1904:
        return digest
    return hashlib.sha256(f"date1904 {digest}".encode()).hexdigest()


def grid_digest(grid: Sequence[Sequence[CellValue]]) -> str:
    """Return the SHA-256 of a grid as a spreadsheet shows it (format 3).

    A generated tab's grid and the same tab read back from the workbook give
    the same digest. Each block of rows is hashed as its number, then its
    columns, each without its trailing empty cells. A block without a value is
    left out. Every part hashed starts with its kind and byte length, so
    grids that show different values give different bytes to hash. The bytes
    depend only on the values, not on the process or the platform.
    """
    digest = GridDigest()
    for start in range(0, len(grid), DIGEST_ROWS):
        digest.add_block(grid[start : start + DIGEST_ROWS])
    return digest.hexdigest()


class GridDigest:
    """A :func:`grid_digest` computed one block of rows at a time.

    A caller that has transposed a block already passes its columns, so the
    sheet XML and the digest of a generated tab share that work.
    """

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._blocks = 0

    def add_block(
        self,
        rows: Sequence[Sequence[CellValue]],
        columns: Iterable[Sequence[CellValue]] | None = None,
    ) -> None:
        """Hash the next block of rows, ``DIGEST_ROWS`` of them unless it is the last.

        :param columns: the block's columns, as ``zip_longest(*rows)`` gives them.
        """
        number = self._blocks
        self._blocks += 1
        parts = [
            _shown_column_bytes(column)
            for column in (zip_longest(*rows) if columns is None else columns)
        ]
        while parts and parts[-1] is None:
            parts.pop()
        if not parts:
            return

        self._hash.update(_part(b"b", _integer_bytes([number])))
        for part in parts:
            for piece in (_part(b"e", b""),) if part is None else part:
                self._hash.update(piece)

    def hexdigest(self) -> str:
        """Return the SHA-256 of the blocks added so far, in hexadecimal."""
        return self._hash.hexdigest()


def typed_grid_digest(grid: Sequence[Sequence[CellValue]]) -> str:
    """Return the digest of a grid that format 2 records store, types included.

    Each block of rows is hashed as the lengths of its rows, then its columns.
    """
    digest = hashlib.sha256()
    for start in range(0, len(grid), DIGEST_ROWS):
        rows = grid[start : start + DIGEST_ROWS]
        digest.update(_part(b"l", _integer_bytes(list(map(len, rows)))))
        for column in zip_longest(*rows):
            digest.update(_column_bytes(column))
    return digest.hexdigest()


def legacy_grid_digest(grid: Sequence[Sequence[CellValue]]) -> str:
    """Return the digest of a grid that format 1 records store.

    ``repr`` distinguishes ``1`` from ``1.0``, ``"1"`` and ``True``, which the
    sheet XML writes differently, and is the same in every process for the
    values a grid contains.
    """
    digest = hashlib.sha256()
    # In slices, so that no text as long as the whole tab is built at once.
    for start in range(0, len(grid), LEGACY_DIGEST_ROWS):
        rows = grid[start : start + LEGACY_DIGEST_ROWS]
        digest.update(repr(rows).encode("utf-8"))
    return digest.hexdigest()


def read_tab_records(workbook_xml: bytes) -> dict[int, TabRecord]:
    """Return pipesheet's records in a workbook part, by tab position (0-based).

    A part that :class:`PartOutline` cannot read has no records, so its
    generated tabs are read and compared.
    """
    records: dict[int, TabRecord] = {}
    try:
        defined_names = list(_defined_names(workbook_xml))
    except PartLayoutError:
        return records
    for tag, content in defined_names:
        position = _record_position(tag)
        match = _RECORD_VALUE.fullmatch(content.strip())
        if position is not None and match is not None:
            version, digest, crc, size, name_key = match.groups()
            record = TabRecord(
                digest.decode(),
                int(crc, 16),
                int(size),
                int(version),
                name_key.decode() if name_key is not None else None,
            )
            records[position] = record
    return records


def drop_tab_records(workbook_xml: bytes, positions: Iterable[int]) -> bytes:
    """Return the workbook part without pipesheet's records of these tabs.

    :raises PartLayoutError: if the part is not well-formed XML.
    """
    return _without_records(workbook_xml, set(positions))


def write_tab_records(workbook_xml: bytes, records: dict[int, TabRecord]) -> bytes:
    """Return the workbook part with ``records`` stored, by tab position.

    A record replaces pipesheet's earlier record of the same tab; every other
    defined name stays as it is.

    :raises PartLayoutError: if the part is not well-formed XML.
    """
    if not records:
        return workbook_xml
    xml = _without_records(workbook_xml, set(records))
    values = [
        (position, record.to_value().encode())
        for position, record in sorted(records.items())
    ]
    return add_hidden_names(xml, RECORD_NAME, values)


def add_hidden_names(
    workbook_xml: bytes, name: str, values: Sequence[tuple[int, bytes]]
) -> bytes:
    """Return the workbook part with a hidden, tab-scoped defined name per value.

    :param values: each tab's position (0-based) and the name's value, already
        escaped as markup.
    :raises PartLayoutError: if the part is not well-formed XML.
    """
    outline = PartOutline(workbook_xml, max_depth=1)
    root = outline.root
    names = outline.find_child(root, SPREADSHEET_NS, "definedNames")
    prefix = root.prefix if names is None else names.prefix
    elements = b"".join(
        b'<%sdefinedName name="%s" localSheetId="%d" hidden="1">%s</%sdefinedName>'
        % (prefix, name.encode(), position, value, prefix)
        for position, value in values
    )
    if names is not None:
        return append_child(workbook_xml, names, elements)

    block = b"<%sdefinedNames>%s</%sdefinedNames>" % (prefix, elements, prefix)
    return insert_in_order(
        workbook_xml, outline, root, block, SPREADSHEET_NS, AFTER_DEFINED_NAMES
    )


@dataclass(frozen=True)
class WrittenTab:
    """A generated tab whose sheet part is still the one pipesheet wrote.

    ``name`` is the tab's name as the workbook spells it, ``part`` its sheet
    part, and ``same_grid`` whether the record's digest is that of the grid a
    run would write now. ``banner`` is the text of the part's A1, as
    :func:`~sync.xlsx.first_cell.first_cell_text` returns it.
    """

    name: str
    part: str
    same_grid: bool
    banner: str | None = None


def find_written_tabs(
    package: Package, workbook: WorkbookParts, tabs: Iterable[GeneratedTab]
) -> dict[str, WrittenTab]:
    """Return the tabs whose sheet part is exactly the one pipesheet wrote.

    A tab counts when its sheet part has the CRC-32 and size of pipesheet's
    record. The result is keyed by the generated tab's name. A tab whose
    record's digest is not that of its grid, in the record's format, differs
    from what the run would write, with no need to read it. So does a tab
    whose A1 differs from the part's (see :func:`shows_other_banner`), and
    then its grid is not hashed here.
    """
    written: dict[str, WrittenTab] = {}
    for tab, name, part, record in _recorded_parts(package, workbook, tabs):
        banner = _read_banner(package, part)
        same = not shows_other_banner(tab, banner) and record.matches(
            tab, workbook.date1904
        )
        written[tab.name] = WrittenTab(name, part, same, banner)
    return written


def tabs_hashed_when_found(
    package: Package, workbook: WorkbookParts, tabs: Iterable[GeneratedTab]
) -> set[str]:
    """Return the names of the tabs whose grids :func:`find_written_tabs` hashes.

    A caller that hashes the other grids elsewhere, such as in a child
    process, then hashes no grid twice.
    """
    return {
        tab.name
        for tab, _, part, _ in _recorded_parts(package, workbook, tabs)
        if not shows_other_banner(tab, _read_banner(package, part))
    }


def shows_other_banner(tab: GeneratedTab, banner: str | None) -> bool:
    """Return True when a part whose A1 text is ``banner`` shows another grid.

    A generated tab's A1 is a banner naming the day of the run, so a tab
    written on an earlier day differs in A1 from the one a run would write
    now. When the tab's A1 is text that the sheet XML contains unescaped, a
    part written for the same grid has that very text in A1. Another text
    there means the grids differ, so the grids need not be hashed before the
    write: those of a next-day run on the 100k-row benchmark sheet took
    0.14 s of CPU (2-core AMD EPYC).
    """
    first = tab.grid[0][0] if tab.grid and tab.grid[0] else None
    if banner is None or not isinstance(first, str) or not first:
        return False
    return escape_cell_text(first) == first and banner != first


def _recorded_parts(
    package: Package, workbook: WorkbookParts, tabs: Iterable[GeneratedTab]
) -> Iterator[tuple[GeneratedTab, str, str, TabRecord]]:
    """Yield each tab whose sheet part has the CRC-32 and size of its record.

    Each comes with its name as the workbook spells it, its sheet part and
    the record.
    """
    records = workbook.tab_records()
    for tab in tabs:
        sheet = workbook.find_sheet_ignoring_case(tab.name)
        if sheet is None or sheet.part is None:
            continue
        record = records.get(workbook.sheets.index(sheet))
        member = package.stored_member(sheet.part)
        if record is None or member is None:
            continue
        if (member.crc, member.size) == (record.crc, record.size):
            yield tab, sheet.name, sheet.part, record


def _read_banner(package: Package, part: str) -> str | None:
    """Return the text of A1 in a sheet part, read from its first row only."""
    with closing(package.read_pieces(part)) as pieces:
        return first_cell_text(pieces)


def find_unchanged_tabs(
    package: Package, workbook: WorkbookParts, tabs: Iterable[GeneratedTab]
) -> dict[str, str]:
    """Return the tabs whose workbook copy is exactly what pipesheet wrote for them.

    Those are the tabs of :func:`find_written_tabs` with the same grid. The
    result maps the generated tab's name to the tab's name as the workbook
    spells it.
    """
    written = find_written_tabs(package, workbook, tabs)
    return {name: tab.name for name, tab in written.items() if tab.same_grid}


def _shown_column_bytes(values: Sequence[CellValue]) -> tuple[bytes, ...] | None:
    """Return the bytes hashed for a column as it is shown, or None if it is empty.

    Before: ``(1.0, "", "a\x01", None)``. After: the bytes of ``(1, None,
    "a\ufffd")``, as a reader returns the cells written for the first. The
    bytes come in pieces to hash one after the other, so a column of long
    texts is not copied to join its kind and length to it.
    """
    # The value types of a column with more than text that is hashed as it is,
    # kept so that they are found once.
    kinds: set[type] | None = None
    try:
        text = "\x00".join(values)  # type: ignore[arg-type]
    except TypeError:
        kinds = set(map(type, values))
        if not _shown_as_is(values, kinds):
            values = list(map(_shown_value, values))
            kinds = None
    else:
        encoded = text.encode("utf-8", "surrogatepass")
        if "" not in values and _are_plain_texts(encoded, len(values)):
            return _part_head(b"s", encoded), encoded
        values = list(map(_shown_value, values))

    end = len(values)
    if end and values[-1] is None:
        # A whole block of a column is often empty, such as the Exited column
        # of a first run's Stage log, and counting is faster than the loop.
        if values.count(None) == end:
            return None
        while values[end - 1] is None:
            end -= 1
    if end < len(values):
        return (_column_bytes(values[:end]),)
    if kinds is not None:
        return (_typed_column_bytes(values, kinds),)
    return (_column_bytes(values),)


def _shown_as_is(values: Sequence[CellValue], kinds: set[type]) -> bool:
    """Return True when a column of more than text is shown as its values are.

    :param kinds: the types of ``values``.
    """
    if kinds <= SHOWN_AS_IS:
        return True
    if kinds - SHOWN_AS_IS != {str} or "" in values:
        return False
    if kinds == {str, type(None)}:
        texts = list(filter(None, values))
    else:
        texts = [value for value in values if type(value) is str]
    encoded = "\x00".join(cast(list[str], texts)).encode("utf-8", "surrogatepass")
    return _are_plain_texts(encoded, len(texts))


def _are_plain_texts(encoded: bytes, count: int) -> bool:
    """Return True when texts joined by NULs have no NUL or XML-illegal character.

    The sheet XML contains such texts as they are. ``count`` is the number of
    texts joined.
    """
    # The NULs between the texts are ``count - 1`` of the bytes deleted, so
    # deleting no other byte means the texts have no NUL or illegal character.
    legal = encoded.translate(None, _XML_ILLEGAL_BYTES)
    return len(encoded) - len(legal) == count - 1


def _shown_value(value: CellValue) -> CellValue:
    """Return a cell value as a reader returns it from the cell written for it."""
    if isinstance(value, str):
        return XML_ILLEGAL_CHARACTERS.sub("\ufffd", value) if value else None
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else value
    if isinstance(value, float | Decimal | numbers.Real):
        number = float(value)
        if math.isnan(number):
            return None
        number = round(number, SHOWN_DECIMALS)
        if number.is_integer() and abs(number) < MAX_EXACT_FLOAT_INTEGER:
            return int(number)
        return number
    return value


def _column_bytes(values: Sequence[CellValue]) -> bytes:
    """Return the bytes hashed for one column of a block, by the kinds of its values.

    Text is hashed as the texts joined by NULs, with their lengths when a
    text contains a NUL itself. Integers and dates are hashed as 8-byte
    numbers. A column with empty cells is hashed as which cells are empty, then
    its other values. Every other column is hashed as its repr, which
    distinguishes ``1`` from ``1.0``, ``"1"`` and ``True``.
    """
    try:
        text = "\x00".join(values)  # type: ignore[arg-type]
    except TypeError:
        return _typed_column_bytes(values)
    # Without a NUL in the texts, the NULs between them mark where each ends.
    if text.count("\x00") == len(values) - 1:
        return _part(b"s", text.encode("utf-8", "surrogatepass"))
    lengths = _integer_bytes(list(map(len, cast(Sequence[str], values))))
    return _part(b"t", lengths + text.encode("utf-8", "surrogatepass"))


def _typed_column_bytes(
    values: Sequence[CellValue], kinds: set[type] | None = None
) -> bytes:
    """Return the bytes hashed for a column with a value other than text.

    :param kinds: the types of ``values``, when the caller has them.
    """
    if kinds is None:
        kinds = set(map(type, values))
    if type(None) in kinds and len(kinds) > 1:
        present = list(map(operator.is_not, values, repeat(None)))
        values = list(compress(values, present))
        return _part(b"n", bytes(present)) + _column_bytes(values)
    if kinds == {int} and _fit_eight_bytes(cast(Sequence[int], values)):
        return _part(b"i", _integer_bytes(cast(Sequence[int], values)))
    if kinds == {dt.date}:
        days = list(map(dt.date.toordinal, cast(Sequence[dt.date], values)))
        return _part(b"d", _integer_bytes(days))
    return _part(b"r", repr(list(values)).encode("utf-8"))


def _fit_eight_bytes(integers: Sequence[int]) -> bool:
    return -MAX_HASHED_INTEGER <= min(integers) and max(integers) <= MAX_HASHED_INTEGER


def _integer_bytes(integers: Sequence[int]) -> bytes:
    """Return integers as 8-byte little-endian values."""
    values = array("q", integers)
    if sys.byteorder == "big":
        values.byteswap()
    return values.tobytes()


def _part(kind: bytes, content: bytes) -> bytes:
    """Return ``content`` after its kind and its length in bytes."""
    return _part_head(kind, content) + content


def _part_head(kind: bytes, content: bytes) -> bytes:
    """Return the kind and the length in bytes that :func:`_part` puts first."""
    return kind + len(content).to_bytes(8, "little")


def _defined_names(xml: bytes) -> Iterable[tuple[bytes, bytes]]:
    """Yield the start tag and the content of every ``<definedName>``."""
    for element in defined_name_elements(xml):
        yield start_tag(xml, element), xml[element.content_start : element.content_end]


def defined_name_elements(xml: bytes) -> list[ElementSpan]:
    """Return the ``<definedName>`` elements in the workbook's ``<definedNames>``."""
    outline = PartOutline(xml, max_depth=2)
    names = outline.find_child(outline.root, SPREADSHEET_NS, "definedNames")
    if names is None:
        return []
    return [
        element
        for element in outline.children(names)
        if (element.namespace, element.name) == (SPREADSHEET_NS, "definedName")
    ]


def _record_position(start_tag: bytes) -> int | None:
    """Return the tab position of one of pipesheet's records, else None."""
    if attribute_value(start_tag, b"name") != RECORD_NAME.encode():
        return None
    position = attribute_value(start_tag, b"localSheetId")
    return int(position) if position is not None and position.isdigit() else None


def _without_records(xml: bytes, positions: set[int]) -> bytes:
    replaced = [
        element
        for element in defined_name_elements(xml)
        if _record_position(start_tag(xml, element)) in positions
    ]
    return remove_elements(xml, replaced)
