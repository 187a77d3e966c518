"""Finding a workbook's date system in its package."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from sync.date_system import package_uses_1904_dates

ROOT_RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="book/main.xml"/></Relationships>'
)
WORKBOOK = (
    '<x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/'
    'main">{properties}<x:sheets/><x:workbookPr date1904="1"/></x:workbook>'
)


def package(properties: str, rels: str = ROOT_RELS) -> bytes:
    """Return a minimal package whose workbook part sits at book/main.xml."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("_rels/.rels", rels)
        archive.writestr("book/main.xml", WORKBOOK.format(properties=properties))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        ('<x:workbookPr date1904="1"/>', True),
        ('<x:workbookPr date1904="true"/>', True),
        ('<x:workbookPr date1904="0"/>', False),
        ('<x:workbookPr date1904="false"/>', False),
        ('<x:workbookPr codeName="ThisWorkbook"/>', False),
        ("", False),
    ],
    ids=["one", "true", "zero", "false", "attribute-missing", "element-missing"],
)
def test_date_system_read_from_workbook_part(properties: str, expected: bool) -> None:
    # The trailing <workbookPr> after <sheets> in WORKBOOK must not be read.
    assert package_uses_1904_dates(package(properties)) is expected


@pytest.mark.parametrize(
    "data",
    [b"not a zip", package("", rels="<Relationships")],
    ids=["not-a-zip", "damaged-rels"],
)
def test_unreadable_package_counts_as_1900(data: bytes) -> None:
    assert package_uses_1904_dates(data) is False


@pytest.mark.parametrize(
    ("epoch", "expected"), [(None, False), (CALENDAR_MAC_1904, True)]
)
def test_openpyxl_workbook_date_system(
    tmp_path: Path, epoch: object, expected: bool
) -> None:
    workbook = openpyxl.Workbook()
    if epoch is not None:
        workbook.epoch = epoch
    workbook.save(tmp_path / "book.xlsx")

    data = (tmp_path / "book.xlsx").read_bytes()

    assert package_uses_1904_dates(data) is expected
