"""Reading test workbooks at the zip level: raw members, parts and cell values."""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from tests.shared_data import XLSX_RESEARCH

FIDELITY = XLSX_RESEARCH

# The parts pipesheet owns in the fidelity workbook when it writes the Deals tab.
FIDELITY_OWNED = {
    "[Content_Types].xml",
    "xl/_rels/workbook.xml.rels",
    "xl/workbook.xml",
    "xl/worksheets/sheet1.xml",
    "xl/styles.xml",
    "docProps/app.xml",
}


@dataclass(frozen=True)
class RawMember:
    """A member exactly as stored: its CRC, method and compressed bytes."""

    crc: int
    method: int
    flags: int
    payload: bytes


def raw_members(path: Path) -> dict[str, RawMember]:
    """Return every member of an archive as stored, without inflating it."""
    members = {}
    data = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name_length, extra_length = struct.unpack_from(
                "<HH", data, info.header_offset + 26
            )
            start = info.header_offset + 30 + name_length + extra_length
            payload = data[start : start + info.compress_size]
            members[info.filename] = RawMember(
                info.CRC, info.compress_type, info.flag_bits, payload
            )
    return members


def read_part(path: Path, part: str) -> str:
    """Return one part of a workbook as text."""
    with zipfile.ZipFile(path) as archive:
        return archive.read(part).decode("utf-8")


def member_names(path: Path) -> list[str]:
    """Return the member names of an archive in order."""
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def tab_values(path: Path, tab: str) -> list[list[Any]]:
    """Return a tab's values as calamine reads them (empty cells are '')."""
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(tab).to_python()


def column_values(path: Path, tab: str, column: int) -> list[Any]:
    """Return one 0-based column of a tab as calamine reads it."""
    return [row[column] if column < len(row) else "" for row in tab_values(path, tab)]
