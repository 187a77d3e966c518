"""Tell what an OLE compound file is: an encrypted workbook or an old .xls.

Excel saves a password-protected workbook, whatever its format, and every
.xls workbook as a compound file (the same container), so the file's first
bytes cannot tell them apart. The names of the container's streams can: an
encrypted workbook has an ``EncryptedPackage`` stream, an .xls workbook a
``Workbook`` (Excel 97 and later) or ``Book`` (Excel 5) stream. The names are
stored as UTF-16LE text in the container's directory, so a search of the
file's bytes finds them without parsing the container.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from config.file_signatures import OLE_SIGNATURE

# A larger file is not searched: its kind stays unknown.
MAX_SEARCHED_BYTES = 64 << 20


class CompoundKind(StrEnum):
    """The content of a compound file that pipesheet can name."""

    ENCRYPTED = "encrypted"
    OLD_EXCEL = "old-excel"


def _stream_name(name: str) -> bytes:
    return name.encode("utf-16-le")


def compound_kind(data: bytes) -> CompoundKind | None:
    """Return what a compound file holds, or None when it is unclear."""
    if not data.startswith(OLE_SIGNATURE):
        return None
    if _stream_name("EncryptedPackage") in data:
        return CompoundKind.ENCRYPTED
    if _stream_name("Workbook") in data or _stream_name("Book\x00") in data:
        return CompoundKind.OLD_EXCEL
    return None


def compound_file_kind(path: Path) -> CompoundKind | None:
    """Return what the compound file at ``path`` holds, or None when it is unclear."""
    try:
        if path.stat().st_size > MAX_SEARCHED_BYTES:
            return None
        return compound_kind(path.read_bytes())
    except OSError:
        return None
