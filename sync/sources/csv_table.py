"""A CSV file as a read-only pipeline tab.

A CSV file is one table without formats, so pipesheet reads it as the
definition's pipeline tab and never writes it: ``pipesheet check`` and
``pipesheet run --dry-run`` work on it, and a run that would write is rejected
(:mod:`sync.sources.read_only`). Every cell arrives as text, which the rules
read as a person typed it: ``12,000`` as an amount, ``2025-09-30`` as a date.

The text must be UTF-8 (with or without a byte order mark) or UTF-16 with a
byte order mark. Excel's "CSV UTF-8" and LibreOffice's default save both
write UTF-8. Other code pages are rejected rather than guessed, because a wrong
guess would change names without any sign.
"""

from __future__ import annotations

import codecs
import csv
import logging
from pathlib import Path

from config.errors import SheetLayoutError, SourceError, UnsupportedWorkbookError
from rules.grid import CellValue, SheetGrid
from sync.plan import WritePlan
from sync.sources.base import WriteReport
from sync.sources.read_only import read_only_error

logger = logging.getLogger(__name__)

# Delimiters a spreadsheet program writes: a comma, or a semicolon where the
# comma is the decimal separator, or a tab.
DELIMITERS = (",", ";", "\t")
# Lines of the file looked at to choose the delimiter.
SAMPLE_LINES = 50


class CsvTable:
    """A local .csv file read as the one tab ``tab``."""

    def __init__(self, path: Path, tab: str) -> None:
        self._path = path
        self._tab = tab
        self._grid: SheetGrid | None = None

    @property
    def name(self) -> str:
        """Return the file name."""
        return self._path.name

    @property
    def target_name(self) -> str:
        """Return the file name: nothing else is ever written."""
        return self._path.name

    @property
    def requests_made(self) -> int:
        """Return 0: a local file costs no API requests."""
        return 0

    def tab_names(self) -> list[str]:
        """Return the one tab: the pipeline tab the definition names."""
        return [self._tab]

    def has_tab(self, tab: str) -> bool:
        """Return whether ``tab`` is the file's one tab, ignoring case."""
        return tab.casefold() == self._tab.casefold()

    def read_tab(self, tab: str) -> SheetGrid:
        """Return the file's rows as the pipeline tab, every filled cell as text.

        :raises SheetLayoutError: if ``tab`` is not the pipeline tab.
        :raises UnsupportedWorkbookError: if the file is not UTF-8 or UTF-16 text.
        """
        if not self.has_tab(tab):
            raise SheetLayoutError(
                f"Workbook {self.name!r} is a CSV file, which contains one table, read "
                f"as tab {self._tab!r}. It has no tab {tab!r}. Save the workbook "
                "as .xlsx to keep its other tabs."
            )
        if self._grid is None:
            self._grid = SheetGrid(self.name, self._tab, self._read_rows())
        return self._grid

    def apply(self, plan: WritePlan) -> WriteReport:
        """Raise: pipesheet does not write CSV files.

        :raises UnsupportedWorkbookError: always.
        """
        raise read_only_error(self._path)

    def _read_rows(self) -> list[list[CellValue]]:
        text = self._decoded_text()
        delimiter = choose_delimiter(text)
        reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter)
        try:
            rows: list[list[CellValue]] = [
                [cell or None for cell in row] for row in reader
            ]
        except csv.Error as error:
            raise UnsupportedWorkbookError(
                f"Workbook {self.name!r} is not valid CSV at line "
                f"{reader.line_num}: {error}. Open it in a spreadsheet program "
                "and save it as CSV or .xlsx again."
            ) from error
        logger.debug("Read %d CSV rows from %s", len(rows), self.name)
        return rows

    def _decoded_text(self) -> str:
        try:
            data = self._path.read_bytes()
        except OSError as error:
            raise SourceError(
                f"Workbook {self.name!r} could not be read: {error}. Check that "
                "the file is readable by the user pipesheet runs as."
            ) from error
        try:
            return decode_csv(data)
        except UnicodeDecodeError as error:
            if "16" in error.encoding:
                raise UnsupportedWorkbookError(
                    f"Workbook {self.name!r} starts as UTF-16 text but is damaged "
                    f"at byte {error.start}. Save it again as CSV UTF-8 or .xlsx."
                ) from error
            line = data.count(b"\n", 0, error.start) + 1
            byte = data[error.start : error.start + 1]
            raise UnsupportedWorkbookError(
                f"Workbook {self.name!r} is not UTF-8 text: line {line} contains "
                f"the invalid byte {byte!r}. Save it as CSV UTF-8 (Excel: File > "
                "Save As > CSV UTF-8) or as .xlsx."
            ) from error


def decode_csv(data: bytes) -> str:
    """Decode CSV bytes as UTF-16 when they start with its byte order mark, else UTF-8.

    :raises UnicodeDecodeError: if the bytes are not valid in that encoding.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def choose_delimiter(text: str) -> str:
    """Return the delimiter that splits the first lines into the most equal fields.

    Each candidate is scored by the number of leading lines that it splits into
    the same number of fields, above one, as the longest of them. The comma wins
    a tie, so a one-column file reads as one column.

    >>> choose_delimiter("Deal ID;Amount\\nD-1;12,5\\n")
    ';'
    """
    sample = text.splitlines(keepends=True)[:SAMPLE_LINES]
    best, best_score = DELIMITERS[0], 0
    for delimiter in DELIMITERS:
        try:
            rows = list(csv.reader(sample, delimiter=delimiter))
        except csv.Error:
            continue
        widths = [len(row) for row in rows if row]
        widest = max(widths, default=0)
        score = sum(width == widest for width in widths) if widest > 1 else 0
        if score > best_score:
            best, best_score = delimiter, score
    return best
