"""Reading an Excel workbook and parsing its pipeline tab in a background thread.

A command has the workbook's path and the tab's name as soon as it has loaded
the pipeline definition, but then spends most of a second importing the modules
that check and write. python-calamine parses a sheet without holding the GIL, so the
parse can run meanwhile: for the 100k-row benchmark workbook both take about
0.8 s on their own. :class:`sync.sources.excel.ExcelWorkbook` takes the result
when it first reads the same file.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook

from sync.atomic import Fingerprint, has_changed, read_with_fingerprint
from sync.date_system import package_uses_1904_dates

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadAhead:
    """A workbook file as read ahead, and the one tab parsed from it.

    ``tab`` is the workbook's spelling of the tab and ``sheet`` its parsed cells,
    both None when the workbook has no such tab. ``date1904`` is true when the
    workbook counts date serial numbers from 1904-01-01.
    """

    fingerprint: Fingerprint
    workbook: CalamineWorkbook
    tab: str | None
    sheet: CalamineSheet | None
    date1904: bool


class _Reading:
    """One read ahead in progress; :meth:`result` waits for it to end."""

    def __init__(self, path: Path, tab: str) -> None:
        self._outcome: ReadAhead | None = None
        self._thread = threading.Thread(
            target=self._read, args=(path, tab), name="read-ahead", daemon=True
        )
        self._thread.start()

    def result(self) -> ReadAhead | None:
        self._thread.join()
        return self._outcome

    def _read(self, path: Path, tab: str) -> None:
        try:
            self._outcome = read_workbook_ahead(path, tab)
        # Whatever failed here fails again, with its proper message, when the
        # workbook is read the usual way, which is what happens without a result.
        except Exception as error:
            logger.debug("Reading %s ahead failed: %s", path.name, error)


_readings: dict[Path, _Reading] = {}
_lock = threading.Lock()


def start_read_ahead(path: Path, tab: str) -> None:
    """Start reading ``path`` and parsing ``tab`` in a background thread.

    A second call for the same file while the first result is unclaimed does
    nothing.
    """
    key = path.resolve()
    with _lock:
        if key not in _readings:
            _readings[key] = _Reading(path, tab)


def take_read_ahead(path: Path) -> ReadAhead | None:
    """Return the read ahead of ``path``, waiting for it to finish, and forget it.

    Returns None when no read ahead was started, when it failed, or when the
    file changed on disk after it was read. The caller then reads the file.
    """
    with _lock:
        reading = _readings.pop(path.resolve(), None)
    ahead = reading.result() if reading is not None else None
    if ahead is None or has_changed(path, ahead.fingerprint):
        return None
    return ahead


def read_workbook_ahead(path: Path, tab: str) -> ReadAhead:
    """Read a workbook file and parse one tab, matched ignoring case.

    :raises OSError: if the file cannot be read.
    :raises CalamineError: if calamine cannot parse the workbook or the tab.
    """
    data, fingerprint = read_with_fingerprint(path)
    workbook = open_workbook_bytes(data)
    folded = tab.casefold()
    names = [name for name in workbook.sheet_names if name.casefold() == folded]
    name = tab if tab in names else next(iter(names), None)
    sheet = workbook.get_sheet_by_name(name) if name is not None else None
    return ReadAhead(fingerprint, workbook, name, sheet, package_uses_1904_dates(data))


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
