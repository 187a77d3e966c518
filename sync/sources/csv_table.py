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
import io
import logging
import re
from pathlib import Path

from config.errors import SheetLayoutError, UnsupportedWorkbookError
from config.file_signatures import OLE_SIGNATURE
from rules.grid import CellValue, SheetGrid
from sync.sources.read_only import ReadOnlyFile

logger = logging.getLogger(__name__)

# Delimiters a spreadsheet program writes: a comma, or a semicolon where the
# comma is the decimal separator, or a tab.
DELIMITERS = (",", ";", "\t")
# Lines of the file looked at to choose the delimiter.
SAMPLE_LINES = 50
# The first bytes of a zip package (.xlsx, .ods).
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
# Excel's first-line hint naming the delimiter, such as "sep=;".
SEPARATOR_HINT = re.compile(r"sep=([^\r\n])(?:\r\n|\r|\n)")


class CsvTable(ReadOnlyFile):
    """A local .csv or .tsv file read as the one tab ``tab``."""

    def __init__(self, path: Path, tab: str) -> None:
        super().__init__(path)
        self._tab = tab
        self._grid: SheetGrid | None = None

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
            rows = self._read_rows()
            self._grid = SheetGrid(self.name, self._tab, rows, has_tabs=False)
        return self._grid

    def _read_rows(self) -> list[list[CellValue]]:
        text = self._decoded_text()
        # Excel writes and reads a first line "sep=;" that names the delimiter,
        # and does not show it as a row.
        hint = SEPARATOR_HINT.match(text)
        if hint is not None:
            delimiter, text = hint.group(1), text[hint.end() :]
        else:
            delimiter = choose_delimiter(text)

        try:
            rows = parse_csv(text, delimiter)
        except csv.Error as error:
            raise UnsupportedWorkbookError(
                f"Workbook {self.name!r} is not valid CSV: {error}. Open it in a "
                "spreadsheet program and save it as CSV or .xlsx again."
            ) from error
        logger.debug("Read %d CSV rows from %s", len(rows), self.name)
        return [[cell or None for cell in row] for row in rows]

    def _decoded_text(self) -> str:
        data = self._read_bytes()
        _check_not_workbook(self.name, data)
        if looks_like_utf16(data):
            raise UnsupportedWorkbookError(
                f"Workbook {self.name!r} looks like UTF-16 text without a byte "
                "order mark, which cannot be read safely. Save it as CSV UTF-8 "
                "(Excel: File > Save As > CSV UTF-8) or as .xlsx."
            )
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


def _check_not_workbook(name: str, data: bytes) -> None:
    """Reject a workbook saved or renamed with a text extension such as .csv.

    :raises UnsupportedWorkbookError: the file starts with the signature of a
        zip package (.xlsx, .ods) or of an OLE2 file (.xls, encrypted .xlsx).
    """
    suffix = Path(name).suffix or "no extension"
    if data.startswith(ZIP_SIGNATURES):
        raise UnsupportedWorkbookError(
            f"Workbook {name!r} is an Excel workbook (a zip package, as .xlsx "
            f"and .ods files are) with {suffix!r} as its extension, not CSV text. "
            "Rename it to end in .xlsx (.ods if LibreOffice saved it) and point "
            "--source or source.path at the renamed file."
        )
    if data.startswith(OLE_SIGNATURE):
        raise UnsupportedWorkbookError(
            f"Workbook {name!r} is an old Excel workbook (.xls) or a "
            f"password-protected one with {suffix!r} as its extension, not CSV "
            "text. Open it in Excel and save it as Excel Workbook (.xlsx) or CSV "
            "UTF-8, then point --source or source.path at that file."
        )


def parse_csv(text: str, delimiter: str) -> list[list[str]]:
    """Split CSV text into rows of cells.

    Only CR, LF and CRLF end a row, as in RFC 4180: ``str.splitlines`` would
    also split at form feeds and Unicode line separators inside a cell. Text
    after a closing quote, as in ``"a"b``, is kept, as spreadsheet programs do.

    :raises csv.Error: if a quoted cell is never closed, naming the line where
        its row starts, or if a cell is longer than the csv module allows.
    """
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    row_start = 1
    try:
        for row in reader:
            rows.append(row)
            row_start = reader.line_num + 1
    except csv.Error as error:
        # Without a closing quote, a lenient reader would take the rest of the
        # file as one cell, so the rows after it would vanish without an error.
        if "unexpected end of data" in str(error):
            raise csv.Error(
                f"a quoted cell in the row starting on line {row_start} is never "
                "closed, so every line after it would be read as that one cell"
            ) from error
        if "field larger than field limit" in str(error):
            raise csv.Error(
                f"a cell on line {reader.line_num} is longer than "
                f"{csv.field_size_limit():,} characters"
            ) from error
        lenient = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return list(lenient)
    return rows


def looks_like_utf16(data: bytes) -> bool:
    """Return whether ``data`` has no byte order mark but the zero bytes of UTF-16.

    Latin text in UTF-16 has a zero byte in every other position. UTF-8 text
    has none, except in a rare cell that contains the NUL character.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    sample = data[:4096]
    return len(sample) >= 4 and sample.count(0) * 4 >= len(sample)


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
    lines = io.StringIO(text, newline="")
    sample = [line for _, line in zip(range(SAMPLE_LINES), lines, strict=False)]
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
