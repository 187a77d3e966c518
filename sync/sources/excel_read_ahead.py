"""Reading an Excel workbook and parsing its pipeline tab in a background thread.

A command has the workbook's path and the tab's name as soon as it has loaded
the pipeline definition, but then spends most of a second importing the modules
that check and write. python-calamine parses a sheet without holding the GIL, so the
parse can run meanwhile: for the 100k-row benchmark workbook both take about
0.8 s on their own. :class:`sync.sources.excel.ExcelWorkbook` takes the result
when it first reads the same file.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook

from config.file_kinds import non_regular_kind
from sync.atomic import Fingerprint, has_changed, read_with_fingerprint
from sync.background import BackgroundCall
from sync.date_system import package_uses_1904_dates

if TYPE_CHECKING:
    from sync.sources.sheet_halves import SheetHalves

logger = logging.getLogger(__name__)

# While one thread runs Python code, another that waits for the GIL gets it
# only after Python's switch interval, 5 ms by default. A read ahead waits
# like that after each step that releases the GIL (reading, hashing, writing
# the in-memory file, opening, parsing), while the main thread imports modules.
# With this interval, the time from the start of a 100k-row read ahead to the
# start of its parse went from a median of 36 ms to 24 ms (7 runs each, busy
# main thread, 2-core VM).
READ_AHEAD_SWITCH_INTERVAL = 0.0005


@dataclass(frozen=True)
class ReadAhead:
    """A workbook file as read ahead, and the one tab parsed from it.

    ``tab`` is the workbook's spelling of the tab and ``sheet`` its cells,
    parsed whole or in two halves that may still be parsing, both None when
    the workbook has no such tab.
    ``date1904`` is true when the workbook counts date serial numbers from
    1904-01-01. ``data`` is the file's content that ``fingerprint`` describes.
    """

    fingerprint: Fingerprint
    workbook: CalamineWorkbook
    tab: str | None
    sheet: CalamineSheet | SheetHalves | None
    date1904: bool
    data: bytes


def _read_ahead(path: Path, tab: str) -> ReadAhead:
    # An error here leaves BackgroundCall without a result, so the workbook is
    # read the usual way, which raises the error again with its message.
    with short_switch_interval():
        return read_workbook_ahead(path, tab)


class _SwitchInterval:
    """Python's switch interval, shortened while any read ahead or sheet scan runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._readers = 0
        self._usual = sys.getswitchinterval()

    def shorten(self) -> None:
        with self._lock:
            if self._readers == 0:
                self._usual = sys.getswitchinterval()
                sys.setswitchinterval(min(self._usual, READ_AHEAD_SWITCH_INTERVAL))
            self._readers += 1

    def restore(self) -> None:
        with self._lock:
            self._readers -= 1
            if self._readers == 0:
                sys.setswitchinterval(self._usual)


_switch_interval = _SwitchInterval()


@contextmanager
def short_switch_interval() -> Iterator[None]:
    """Use ``READ_AHEAD_SWITCH_INTERVAL`` in a block.

    Blocks may overlap, in one thread or several. The usual interval comes
    back when the last of them ends, whichever started first.
    """
    _switch_interval.shorten()
    try:
        yield
    finally:
        _switch_interval.restore()


_readings: dict[Path, BackgroundCall[ReadAhead]] = {}
_lock = threading.Lock()


def start_read_ahead(path: Path, tab: str) -> None:
    """Start reading ``path`` and parsing ``tab`` in a background thread.

    A second call for the same file while the first result is unclaimed does
    nothing, and neither does a call for a path that is not a regular file:
    reading a FIFO would block the thread until a writer comes. Opening the
    workbook later reports such a path.
    """
    try:
        if non_regular_kind(path) is not None:
            return
    except OSError:
        return
    key = path.resolve()
    with _lock:
        if key not in _readings:
            _readings[key] = BackgroundCall(
                functools.partial(_read_ahead, path, tab), "read-ahead"
            )


def take_read_ahead(path: Path) -> ReadAhead | None:
    """Return the read ahead of ``path``, waiting for it to finish, and forget it.

    Returns None when no read ahead was started, when it failed, or when the
    file changed on disk after it was read or can no longer be looked at. The
    caller then reads the file.
    """
    with _lock:
        reading = _readings.pop(path.resolve(), None)
    ahead = reading.result() if reading is not None else None
    if ahead is None:
        return None
    try:
        changed = has_changed(path, ahead.fingerprint)
    except OSError as error:
        # The caller's own read of the file raises this with its message.
        logger.debug("Read ahead of %s not used: %s", path.name, error)
        return None
    return None if changed else ahead


def read_workbook_ahead(path: Path, tab: str) -> ReadAhead:
    """Read a workbook file and parse one tab, matched ignoring case.

    :raises OSError: if the file cannot be read.
    :raises CalamineError: if calamine cannot parse the workbook or the tab.
    :raises SheetLayoutError: if the tab is too large to parse.
    """
    # Imported here, in the background thread, because the command imports
    # this module before it starts the read ahead.
    from sync.sources.sheet_halves import start_parse_in_halves
    from sync.xlsx.sheet_size import check_sheet_size

    data, fingerprint = read_with_fingerprint(path)
    workbook = open_workbook_bytes(data)
    folded = tab.casefold()
    names = [name for name in workbook.sheet_names if name.casefold() == folded]
    name = tab if tab in names else next(iter(names), None)
    sheet: CalamineSheet | SheetHalves | None = None
    if name is not None:
        check_sheet_size(data, name, path.name)
        sheet = start_parse_in_halves(data, name) or workbook.get_sheet_by_name(name)
    date1904 = package_uses_1904_dates(data)
    return ReadAhead(fingerprint, workbook, name, sheet, date1904, data)


def open_workbook_bytes(data: bytes) -> CalamineWorkbook:
    """Open workbook bytes with calamine, without it calling back into Python.

    ``from_filelike`` reads its file object through Python calls, 20 for the
    6.4 MB 100k-row benchmark workbook. Each call waits for the GIL, which the
    main thread, busy importing modules, passes on only every 5 ms (Python's
    switch interval). So on Linux the bytes go to an in-memory file, which
    calamine opens by path and reads without the GIL. With a busy main thread,
    opening took a median of 17 ms instead of 76 ms (7 runs each, 2-core VM).
    Elsewhere, or if that fails, the bytes are read through ``from_filelike``.

    :raises CalamineError: if calamine cannot parse the workbook.
    """
    if hasattr(os, "memfd_create"):
        try:
            return _open_in_memory_file(data)
        except (OSError, CalamineError) as error:
            logger.debug("Opening an in-memory workbook file failed: %s", error)
    return CalamineWorkbook.from_filelike(io.BytesIO(data))


def _open_in_memory_file(data: bytes) -> CalamineWorkbook:
    """Open the bytes as a memfd file, which only Linux has, by its /proc path.

    calamine opens the path with its own handle, which keeps the memfd alive
    after this function closes its descriptor.

    :raises OSError: if the file cannot be created or written.
    :raises CalamineError: if calamine cannot open the path or parse the bytes.
    """
    descriptor = os.memfd_create("pipesheet-workbook", os.MFD_CLOEXEC)
    try:
        unwritten = memoryview(data)
        while unwritten:
            unwritten = unwritten[os.write(descriptor, unwritten) :]
        return CalamineWorkbook.from_path(f"/proc/self/fd/{descriptor}")
    finally:
        os.close(descriptor)
