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
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from python_calamine import CalamineSheet, CalamineWorkbook

from sync.atomic import Fingerprint, has_changed, read_with_fingerprint
from sync.date_system import package_uses_1904_dates

if TYPE_CHECKING:
    from sync.xlsx.sheet_scan import SheetScan

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadAhead:
    """A workbook file as read ahead, and the one tab parsed from it.

    ``tab`` is the workbook's spelling of the tab and ``sheet`` its parsed cells,
    both None when the workbook has no such tab. ``date1904`` is true when the
    workbook counts date serial numbers from 1904-01-01. ``scan`` holds what the
    tab's XML tells beyond calamine's values (:mod:`sync.xlsx.sheet_scan`), or
    None when the scan failed.
    """

    fingerprint: Fingerprint
    workbook: CalamineWorkbook
    tab: str | None
    sheet: CalamineSheet | None
    date1904: bool
    scan: SheetScan | None


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
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    folded = tab.casefold()
    names = [name for name in workbook.sheet_names if name.casefold() == folded]
    name = tab if tab in names else next(iter(names), None)
    if name is None:
        date1904 = package_uses_1904_dates(data)
        return ReadAhead(fingerprint, workbook, None, None, date1904, None)
    # The XML pass runs beside calamine's parse: both leave the GIL while
    # they inflate and parse.
    scanning = _Scanning(path, name, data)
    sheet = workbook.get_sheet_by_name(name)
    scan = scanning.result()
    date1904 = package_uses_1904_dates(data)
    return ReadAhead(fingerprint, workbook, name, sheet, date1904, scan)


class _Scanning:
    """The scan of one tab's sheet XML, in a thread of its own."""

    def __init__(self, path: Path, tab: str, data: bytes) -> None:
        self._scan: SheetScan | None = None
        self._thread = threading.Thread(
            target=self._run, args=(path, tab, data), name="sheet-scan", daemon=True
        )
        self._thread.start()

    def result(self) -> SheetScan | None:
        self._thread.join()
        return self._scan

    def _run(self, path: Path, tab: str, data: bytes) -> None:
        # Imported here, off the main thread, which is busy importing the rest.
        from sync.xlsx.sheet_scan import scan_tab

        self._scan = scan_tab(path, tab, data)
