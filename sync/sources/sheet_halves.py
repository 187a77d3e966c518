"""Parsing a large sheet in two halves, one per thread.

python-calamine parses a sheet on one thread: the 60 MB of XML of the 100k-row
benchmark sheet take 0.74 s of CPU. The read ahead runs that parse while the
main thread imports modules, and on a 2-core machine the imports end first, so
the run waits for the parse. Here the sheet's XML is cut at a row start near
its middle. Each half goes into a package of its own, made of the workbook's
other members as stored and that half as the sheet's member, without
compression (:mod:`sync.xlsx.zipcopy` writes it). calamine parses the two
packages on two threads, since it does not hold the GIL while it parses.

Each half keeps the XML before ``<sheetData>`` (dimension, columns, views),
and the first half also keeps what follows ``</sheetData>``. calamine places
a cell by its reference, and a row without an ``r`` attribute one row below
the row before it. So the cut is made at a row that has one, and each half
puts every cell where the whole sheet would. :func:`join_halves` gives the
rows the whole sheet gives, from A1, every row as wide as the widest.

:func:`parse_in_halves` returns None, and the caller parses the whole sheet,
for any of these:

- a sheet under :data:`SPLIT_SHEET_BYTES` of XML;
- a package that zipcopy cannot read or copy: damaged, with encrypted
  members, or one that would need zip64 records;
- a compression method other than deflate or stored;
- no row start with an ``r`` attribute near the middle;
- rows out of order, or a half without cells;
- a platform without ``os.memfd_create``;
- a calamine error, which the whole-sheet parse then reports.

NOTE: while the halves are parsed, they are held in memory, and the two
in-memory files hold them again as shared memory, which the process's peak
RSS does not count. For the 100k-row benchmark sheet, the peak RSS after
reading the tab went from 228 MB to 262-270 MB, below the 375 MB peak the run
reaches later anyway.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import re
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook

from config.errors import UnsupportedWorkbookError
from sync.background import BackgroundCall
from sync.xlsx.compression import crc32
from sync.xlsx.sheet_size import sheet_part_name
from sync.xlsx.zipcopy import (
    STORED,
    NewMember,
    ZipMember,
    read_directory,
    read_member,
    write_archive,
)

logger = logging.getLogger(__name__)

# Sheets with less XML than this are parsed whole. Preparing the halves of
# the 60 MB benchmark sheet (inflating it, checking its CRC-32, finding the
# cut, copying each half into one buffer) took 0.08 s of CPU. For a 4.1 MB
# sheet (7,000 generated deals), parse and conversion took 0.043 s in halves
# against 0.064 s whole (best of 21). For 1.2 MB, both took 0.018 s.
SPLIT_SHEET_BYTES = 4 << 20

# How many row start tags after the middle are tried for an ``r`` attribute.
ROW_STARTS_TRIED = 64

_SHEET_DATA = re.compile(rb"<([\w.-]+:)?sheetData(?=[\s/>])[^>]*?(/?)>")
_ROW_NUMBER = re.compile(rb"""\sr\s*=\s*["']\d+["']""")


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
            functools.partial(_parse_half, halves, halves.second, tab), "sheet-half"
        )
        try:
            first = _parse_half(halves, halves.first, tab)
        finally:
            # Waiting also when the first half failed keeps the second half's
            # parse from running on beside the whole-sheet parse that follows.
            second_sheet = second.result()
    except (
        zipfile.BadZipFile,
        KeyError,
        OSError,
        ElementTree.ParseError,
        UnsupportedWorkbookError,
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


@dataclass(frozen=True)
class _Halves:
    """The parts of the two packages: the other members, and each half."""

    data: bytes
    others: list[ZipMember]
    sheet: ZipMember
    comment: bytes
    first: bytes
    second: bytes


def _split_package(data: bytes, tab: str) -> _Halves | None:
    """Return the members and the two halves of the sheet's XML, or None.

    :raises UnsupportedWorkbookError: if the package or the sheet's member is
        damaged.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        part = sheet_part_name(package, tab)
    directory = read_directory(data, "workbook")
    sheet = next((m for m in directory.members if m.name == part), None)
    if sheet is None or sheet.size < SPLIT_SHEET_BYTES:
        return None
    xml = read_member(data, sheet, "workbook")
    cut = _cut(xml)
    if cut is None:
        return None
    body, middle, close = cut
    view = memoryview(xml)
    # Each half is one buffer, so the whole XML is freed before the parse.
    first = b"".join((view[:middle], view[close:]))
    second = b"".join((view[:body], view[middle:]))
    others = [member for member in directory.members if member is not sheet]
    return _Halves(data, others, sheet, directory.comment, first, second)


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


def _parse_half(halves: _Halves, half: bytes, tab: str) -> CalamineSheet:
    """Write a package with ``half`` as the sheet to an in-memory file; parse ``tab``.

    The package contains the other members as stored and the half without
    compression.

    :raises OSError: if the file cannot be created or written.
    :raises UnsupportedWorkbookError: if the package would need zip64.
    :raises CalamineError: if calamine cannot parse it.
    """
    member = NewMember(halves.sheet.name, half, crc32(half), len(half), method=STORED)
    descriptor = os.memfd_create("pipesheet-sheet-half", os.MFD_CLOEXEC)
    try:
        with open(descriptor, "wb", closefd=False) as out:
            entries: list[ZipMember | NewMember] = [*halves.others, member]
            write_archive(out, halves.data, entries, halves.comment, "workbook")
        workbook = CalamineWorkbook.from_path(f"/proc/self/fd/{descriptor}")
    finally:
        os.close(descriptor)
    return workbook.get_sheet_by_name(tab)
