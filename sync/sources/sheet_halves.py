"""Parsing a large sheet in two halves, one per thread.

python-calamine parses a sheet on one thread: the 60 MB of XML of the 100k-row
benchmark sheet take 0.74 s of CPU. The read ahead runs that parse while the
main thread imports modules, and on a 2-core machine the imports end first, so
the run waits for the parse. Here the sheet's XML is cut at a row start near
its middle. Each half goes into a package of its own, made of the workbook's
bytes with the sheet's member replaced by that half, stored without
compression. calamine parses the two packages on two threads, since it does
not hold the GIL while it parses.

Each half keeps the XML before ``<sheetData>`` (dimension, columns, views),
and the first half also keeps what follows ``</sheetData>``. calamine places
a cell by its reference, and a row without an ``r`` attribute one row below
the row before it. So the cut is made at a row that has one, and each half
puts every cell where the whole sheet would. :func:`join_halves` gives the
rows the whole sheet gives, from A1, every row as wide as the widest.

:func:`parse_in_halves` returns None, and the caller parses the whole sheet,
for any of these:

- a sheet under :data:`SPLIT_SHEET_BYTES` of XML;
- a zip64 or self-extracting archive;
- a compression method other than deflate or stored;
- no row start with an ``r`` attribute near the middle;
- rows out of order, or a half without cells;
- a platform without ``os.memfd_create``;
- a calamine error, which the whole-sheet parse then reports.

NOTE: while the halves are parsed, the sheet's XML is held in memory, and the
two in-memory files hold it again as shared memory, which the process's peak
RSS does not count. For the 100k-row benchmark sheet, the peak RSS after
reading the tab went from 228 to 264 MB, below the 375 MB peak the run
reaches later anyway.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import re
import struct
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook

from sync.background import BackgroundCall
from sync.xlsx.compression import crc32, inflate
from sync.xlsx.sheet_size import sheet_part_name

logger = logging.getLogger(__name__)

# Sheets with less XML than this are parsed whole. Preparing the halves of
# the 60 MB benchmark sheet (inflating it, checking its CRC-32, finding the
# cut) took 0.055 s of CPU. For a 4.1 MB sheet (7,000 generated deals), parse
# and conversion took 0.043 s in halves against 0.064 s whole (best of 21);
# for 1.2 MB, 0.018 s either way.
SPLIT_SHEET_BYTES = 4 << 20

# How many row start tags after the middle are tried for an ``r`` attribute.
ROW_STARTS_TRIED = 64

_SHEET_DATA = re.compile(rb"<([\w.-]+:)?sheetData(?=[\s/>])[^>]*?(/?)>")
_ROW_NUMBER = re.compile(rb"""\sr\s*=\s*["']\d+["']""")

# Zip records, as the zip format (APPNOTE) lays them out.
_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_CENTRAL_HEADER = struct.Struct("<IHHHHHHIIIHHHHHII")
_END_RECORD = struct.Struct("<IHHHHIIH")
_LOCAL_SIGNATURE = 0x04034B50
_CENTRAL_SIGNATURE = 0x02014B50
_END_SIGNATURE = 0x06054B50
_ZIP64_LOCATOR = b"PK\x06\x07"
_UTF8_NAME_FLAG = 0x800
_STORED = 0
_VERSION = 20
_LARGEST = 0xFFFFFFFF


@dataclass(frozen=True)
class SheetHalves:
    """A sheet parsed as two halves. ``second`` starts below the end of ``first``."""

    first: CalamineSheet
    second: CalamineSheet


def parse_in_halves(data: bytes, tab: str) -> SheetHalves | None:
    """Parse worksheet ``tab`` of the workbook ``data`` as two halves at once.

    Returns None when the sheet should be parsed whole, as the module's
    docstring lists, also for a damaged package.
    """
    if not hasattr(os, "memfd_create"):
        return None
    try:
        halves = _split_package(data, tab)
        if halves is None:
            return None
        second = BackgroundCall(
            functools.partial(_parse_package, halves[1], tab), "sheet-half"
        )
        try:
            first = _parse_package(halves[0], tab)
        finally:
            # Waiting also when the first half failed keeps the second half's
            # parse from running on beside the whole-sheet parse that follows.
            second_sheet = second.result()
    except (
        zipfile.BadZipFile,
        KeyError,
        OSError,
        ValueError,
        struct.error,
        ElementTree.ParseError,
        CalamineError,
    ) as error:
        logger.debug("Tab %r not parsed in halves: %s", tab, error)
        return None
    except StopIteration:
        logger.debug("Tab %r not parsed in halves: no workbook part", tab)
        return None
    if second_sheet is None:
        logger.debug("Tab %r not parsed in halves: the second half failed", tab)
        return None
    parsed = SheetHalves(first, second_sheet)
    if not _in_order(parsed):
        logger.debug(
            "Tab %r not parsed in halves: a half is empty or out of order", tab
        )
        return None
    return parsed


def join_halves(halves: SheetHalves) -> Iterator[list[Any]]:
    """Yield the raw rows of the whole sheet from A1, each as wide as the widest.

    An empty cell is ``""``, as calamine gives it.
    """
    first, second = halves.first, halves.second
    first_end, second_start, second_end = first.end, second.start, second.end
    assert first_end is not None and second_start is not None
    assert second_end is not None
    width = max(first_end[1], second_end[1]) + 1

    first_rows = (
        first.iter_rows()
        if first.start == (0, 0)
        else first.to_python(skip_empty_area=False)
    )
    right = [""] * (width - first_end[1] - 1)
    for row in first_rows:
        yield row + right if right else row
    for _ in range(second_start[0] - first_end[0] - 1):
        yield [""] * width
    left = [""] * second_start[1]
    right = [""] * (width - second_end[1] - 1)
    for row in second.to_python(skip_empty_area=True):
        yield left + row + right if left or right else row


def _in_order(halves: SheetHalves) -> bool:
    first_end, second_start = halves.first.end, halves.second.start
    return (
        halves.first.start is not None
        and first_end is not None
        and second_start is not None
        and halves.second.end is not None
        and first_end[0] < second_start[0]
    )


def _split_package(
    data: bytes, tab: str
) -> tuple[list[memoryview], list[memoryview]] | None:
    """Return the pieces of the two packages, each one zip file, or None.

    :raises ValueError: if the sheet's member is damaged.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        part = sheet_part_name(package, tab)
        if part is None:
            return None
        info = package.getinfo(part)
    if info.file_size < SPLIT_SHEET_BYTES or info.compress_type not in (
        zipfile.ZIP_STORED,
        zipfile.ZIP_DEFLATED,
    ):
        return None
    directory = _central_directory(data)
    if directory is None:
        return None
    xml = _member_bytes(data, info)
    cut = _cut(xml)
    if cut is None:
        return None
    body, middle, close = cut
    view = memoryview(xml)
    first = [view[:middle], view[close:]]
    second = [view[:body], view[middle:]]
    return (
        _package_pieces(data, directory, part, first),
        _package_pieces(data, directory, part, second),
    )


def _central_directory(data: bytes) -> tuple[int, int] | None:
    """Return the offset and size of the central directory, or None for zip64.

    Returns None also for an archive with bytes before its first member (a
    self-extracting one), whose offsets the copy would have to shift.
    """
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 0x10000 - _END_RECORD.size))
    if end < 0 or data[max(0, end - 20) : end].startswith(_ZIP64_LOCATOR):
        return None
    fields = _END_RECORD.unpack_from(data, end)
    entries, size, offset = fields[4], fields[5], fields[6]
    if entries == 0xFFFF or offset == _LARGEST or offset + size != end:
        return None
    return offset, size


def _member_bytes(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """Return a member's uncompressed bytes, checked against its CRC-32.

    :raises ValueError: if the member is damaged.
    """
    header = _LOCAL_HEADER.unpack_from(data, info.header_offset)
    if header[0] != _LOCAL_SIGNATURE:
        raise ValueError(f"no local header for {info.filename}")
    start = info.header_offset + _LOCAL_HEADER.size + header[9] + header[10]
    raw = data[start : start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        xml = raw
    else:
        xml = inflate(raw, info.file_size)
    if len(xml) != info.file_size or crc32(xml) != info.CRC:
        raise ValueError(f"member {info.filename} fails its size or CRC-32 check")
    return xml


def _cut(xml: bytes) -> tuple[int, int, int] | None:
    """Return where the rows start, the row start to cut at, and ``</sheetData>``."""
    opening = _SHEET_DATA.search(xml)
    if opening is None or opening.group(2):
        return None
    prefix = opening.group(1) or b""
    body = opening.end()
    close = xml.rfind(b"</" + prefix + b"sheetData>")
    if close < body:
        return None
    row_start = b"<" + prefix + b"row"
    position = body + (close - body) // 2
    for _ in range(ROW_STARTS_TRIED):
        position = xml.find(row_start, position, close)
        if position < 0:
            return None
        name_end = position + len(row_start)
        tag_end = xml.find(b">", name_end, close)
        if tag_end < 0:
            return None
        if xml[name_end : name_end + 1] in (b" ", b"\t", b"\r", b"\n") and (
            _ROW_NUMBER.search(xml, name_end, tag_end)
        ):
            return body, position, close
        position = name_end
    return None


def _package_pieces(
    data: bytes, directory: tuple[int, int], part: str, sheet: list[memoryview]
) -> list[memoryview]:
    """Return a zip of ``data``'s members with ``part`` replaced by ``sheet``, stored.

    The members are copied as they are, and so are their central directory
    entries, except the one of ``part``. The new member follows the old
    members. The old one stays in the file, but no entry points to it.

    :raises ValueError: if the central directory is damaged, or the package
        would need zip64.
    """
    offset, size = directory
    length = sum(len(piece) for piece in sheet)
    crc = 0
    for piece in sheet:
        crc = crc32(piece, crc)
    name = part.encode("utf-8")
    local, entry = _new_member_records(name, crc, length, offset)

    view = memoryview(data)
    entries_kept = [
        view[start:end]
        for start, end, entry_name in _central_entries(data, offset, offset + size)
        if entry_name != name
    ]
    directory_start = offset + len(local) + length
    directory_size = sum(len(piece) for piece in entries_kept) + len(entry)
    if directory_start + directory_size >= _LARGEST:
        raise ValueError("package with a half sheet needs zip64, not written here")
    count = len(entries_kept) + 1
    end_record = _END_RECORD.pack(
        _END_SIGNATURE, 0, 0, count, count, directory_size, directory_start, 0
    )
    return [
        view[:offset],
        memoryview(local),
        *sheet,
        *entries_kept,
        memoryview(entry),
        memoryview(end_record),
    ]


def _new_member_records(
    name: bytes, crc: int, length: int, offset: int
) -> tuple[bytes, bytes]:
    """Return the local header and central directory entry of a stored member."""
    flags = 0 if name.isascii() else _UTF8_NAME_FLAG
    # MS-DOS time 00:00 and date 1980-01-01, the earliest a zip entry can carry.
    dos_time, dos_date = 0, (1 << 5) | 1
    local = _LOCAL_HEADER.pack(
        _LOCAL_SIGNATURE, _VERSION, flags, _STORED, dos_time, dos_date,
        crc, length, length, len(name), 0,
    )  # fmt: skip
    entry = _CENTRAL_HEADER.pack(
        _CENTRAL_SIGNATURE, _VERSION, _VERSION, flags, _STORED, dos_time, dos_date,
        crc, length, length, len(name), 0, 0, 0, 0, 0, offset,
    )  # fmt: skip
    return local + name, entry + name


def _central_entries(
    data: bytes, start: int, end: int
) -> Iterator[tuple[int, int, bytes]]:
    """Yield the start, end and name of each central directory entry.

    :raises ValueError: if an entry lacks its signature.
    """
    position = start
    while position < end:
        fields = _CENTRAL_HEADER.unpack_from(data, position)
        if fields[0] != _CENTRAL_SIGNATURE:
            raise ValueError("central directory entry without its signature")
        name_start = position + _CENTRAL_HEADER.size
        name_length, extra_length, comment_length = fields[10], fields[11], fields[12]
        entry_end = name_start + name_length + extra_length + comment_length
        yield position, entry_end, data[name_start : name_start + name_length]
        position = entry_end


def _parse_package(pieces: list[memoryview], tab: str) -> CalamineSheet:
    """Write the pieces to an in-memory file and parse ``tab`` from it.

    :raises OSError: if the file cannot be created or written.
    :raises CalamineError: if calamine cannot parse it.
    """
    descriptor = os.memfd_create("pipesheet-sheet-half", os.MFD_CLOEXEC)
    try:
        for piece in pieces:
            while piece:
                piece = piece[os.write(descriptor, piece) :]
        workbook = CalamineWorkbook.from_path(f"/proc/self/fd/{descriptor}")
    finally:
        os.close(descriptor)
    return workbook.get_sheet_by_name(tab)
