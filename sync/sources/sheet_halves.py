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
puts every cell where the whole sheet would. :meth:`SheetHalves.join` gives
the rows the whole sheet gives, from A1, every row as wide as the widest. It
converts the rows of the half whose parse ends first while the other half is
still parsing, so that conversion runs beside the parse.

:func:`start_parse_in_halves` returns None, and the caller parses the whole
sheet, for any of these:

- a sheet under :data:`SPLIT_SHEET_BYTES` of XML;
- a package that zipcopy cannot read: damaged, or with encrypted members;
- a compression method other than deflate or stored;
- no row start with an ``r`` attribute near the middle;
- a platform without ``os.memfd_create``.

:meth:`SheetHalves.join` returns None after both parses have ended, and the
caller then parses the whole sheet, for any of these:

- rows out of order, or a half without cells;
- a half's package that would need zip64 records;
- a calamine error, which the whole-sheet parse then reports.

NOTE: while the halves are parsed, they are held in memory, and the two
in-memory files hold them again as shared memory, which the process's peak
RSS does not count. For the 100k-row benchmark sheet, the peak RSS after
reading the tab went from 228 MB to 262-270 MB, below the 375 MB peak the run
reaches later anyway.
"""

from __future__ import annotations

import io
import logging
import os
import queue
import re
import threading
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from python_calamine import CalamineSheet, CalamineWorkbook

from config.errors import UnsupportedWorkbookError
from sync.sources.excel_read_ahead import short_switch_interval
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

T = TypeVar("T")

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


class SheetHalves:
    """A sheet whose two halves are parsed on two threads of their own.

    :func:`start_parse_in_halves` starts the threads, and :meth:`join` waits
    for them and returns the whole sheet's rows.
    """

    def __init__(
        self, package: _Package, first: bytes, second: bytes, tab: str
    ) -> None:
        self._tab = tab
        self._sheets: list[CalamineSheet | None] = [None, None]
        # Each thread puts its half's index here when its parse ends, with or
        # without a sheet.
        self._ended: queue.SimpleQueue[int] = queue.SimpleQueue()
        # The XML of a half is passed to its thread only, which drops it when
        # its parse ends.
        for index, xml in enumerate((first, second)):
            threading.Thread(
                target=self._parse,
                args=(index, package, xml),
                name="sheet-half",
                daemon=True,
            ).start()

    def join(self, convert: Callable[[Any], T]) -> list[list[T]] | None:
        """Convert each half's rows once its parse ends, and return the sheet's rows.

        The half whose parse ends first is converted first, while the other
        one is still parsing. Each of calamine's cells becomes ``convert(cell)``.
        The rows start at A1 and are as wide as the widest, and a cell that no
        half reaches is ``convert("")``, as calamine gives an empty cell.

        Returns None, after both parses have ended, if a half failed, has no
        cells, or starts above the end of the first half. The caller then
        parses the whole sheet. Call this once.
        """
        converted: list[list[list[T]]] = [[], []]
        usable = True
        for _ in range(2):
            index = self._ended.get()
            sheet = self._sheets[index]
            if sheet is None or sheet.start is None:
                # Waiting for the other half too keeps its parse from running
                # beside the whole-sheet parse that follows.
                usable = False
            elif usable:
                converted[index] = _convert_half(sheet, index, convert)
        first, second = self._sheets
        if (
            not usable
            or first is None
            or second is None
            or not _in_order(first, second)
        ):
            logger.debug(
                "Tab %r not parsed in halves: a half failed, is empty or is out "
                "of order",
                self._tab,
            )
            return None
        return _join_rows(first, second, converted, convert(""))

    def _parse(self, index: int, package: _Package, xml: bytes) -> None:
        try:
            with short_switch_interval():
                self._sheets[index] = _parse_half(package, xml, self._tab)
        except Exception as error:
            # join then gives None, and the whole-sheet parse raises any error
            # again with its own message, as BackgroundCall's callers do.
            logger.debug(
                "Half %d of tab %r not parsed: %s", index + 1, self._tab, error
            )
        finally:
            self._ended.put(index)


def start_parse_in_halves(data: bytes, tab: str) -> SheetHalves | None:
    """Start parsing worksheet ``tab`` of the workbook ``data`` as two halves.

    Returns None when the sheet should be parsed whole because it cannot be
    split, as the module's docstring lists, also for a damaged package.
    """
    if not hasattr(os, "memfd_create"):
        return None
    try:
        split = _split_package(data, tab)
    except (
        zipfile.BadZipFile,
        KeyError,
        OSError,
        ElementTree.ParseError,
        UnsupportedWorkbookError,
    ) as error:
        logger.debug("Tab %r not parsed in halves: %s", tab, error)
        return None
    except StopIteration:
        logger.debug("Tab %r not parsed in halves: no workbook part", tab)
        return None
    if split is None:
        return None
    package, first, second = split
    return SheetHalves(package, first, second, tab)


def _convert_half(
    sheet: CalamineSheet, index: int, convert: Callable[[Any], T]
) -> list[list[T]]:
    """Convert the rows of the first half from A1, or of the second from its start row.

    Neither is padded on the right. The second half's rows are padded on the
    left to column A.
    """
    if index == 0:
        rows = (
            sheet.iter_rows()
            if sheet.start == (0, 0)
            else sheet.to_python(skip_empty_area=False)
        )
        return [list(map(convert, row)) for row in rows]
    assert sheet.start is not None
    left = [""] * sheet.start[1]
    rows = sheet.to_python(skip_empty_area=True)
    if left:
        return [list(map(convert, left + row)) for row in rows]
    return [list(map(convert, row)) for row in rows]


def _join_rows(
    first: CalamineSheet,
    second: CalamineSheet,
    converted: list[list[list[T]]],
    empty: T,
) -> list[list[T]]:
    """Pad the converted rows of both halves to one width, with empty rows between."""
    first_end, second_start, second_end = first.end, second.start, second.end
    assert first_end is not None and second_start is not None
    assert second_end is not None
    width = max(first_end[1], second_end[1]) + 1

    for rows, end in zip(converted, (first_end, second_end), strict=True):
        right = [empty] * (width - end[1] - 1)
        if right:
            for row in rows:
                row.extend(right)
    first_rows, second_rows = converted
    for _ in range(second_start[0] - first_end[0] - 1):
        first_rows.append([empty] * width)
    first_rows.extend(second_rows)
    return first_rows


def _in_order(first: CalamineSheet, second: CalamineSheet) -> bool:
    first_end, second_start = first.end, second.start
    return (
        first.start is not None
        and first_end is not None
        and second_start is not None
        and second.end is not None
        and first_end[0] < second_start[0]
    )


@dataclass(frozen=True)
class _Package:
    """The workbook's members other than the sheet, which each half's package copies."""

    data: bytes
    others: list[ZipMember]
    sheet: ZipMember
    comment: bytes


def _split_package(data: bytes, tab: str) -> tuple[_Package, bytes, bytes] | None:
    """Return the other members and the two halves of the sheet's XML, or None.

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
    return _Package(data, others, sheet, directory.comment), first, second


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


def _parse_half(package: _Package, half: bytes, tab: str) -> CalamineSheet:
    """Write a package with ``half`` as the sheet to an in-memory file; parse ``tab``.

    The package contains the other members as stored and the half without
    compression.

    :raises OSError: if the file cannot be created or written.
    :raises UnsupportedWorkbookError: if the package would need zip64.
    :raises CalamineError: if calamine cannot parse it.
    """
    member = NewMember(package.sheet.name, half, crc32(half), len(half), method=STORED)
    descriptor = os.memfd_create("pipesheet-sheet-half", os.MFD_CLOEXEC)
    try:
        with open(descriptor, "wb", closefd=False) as out:
            entries: list[ZipMember | NewMember] = [*package.others, member]
            write_archive(out, package.data, entries, package.comment, "workbook")
        workbook = CalamineWorkbook.from_path(f"/proc/self/fd/{descriptor}")
    finally:
        os.close(descriptor)
    return workbook.get_sheet_by_name(tab)
