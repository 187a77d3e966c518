"""Parsing a sheet in two halves: the rows of the whole sheet, or None."""

from __future__ import annotations

import datetime as dt
import io
import random
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineError, CalamineWorkbook

from config.models import Locale
from rules.grid import CellValue
from sync.sources import sheet_halves
from sync.sources.excel import ExcelWorkbook, read_rows
from sync.sources.excel_read_ahead import start_read_ahead, take_read_ahead
from sync.sources.sheet_halves import SheetHalves, start_parse_in_halves
from sync.starter import build_starter_workbook

SHEET_PART = "xl/worksheets/sheet1.xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@pytest.fixture(autouse=True)
def split_every_sheet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Split sheets of any size, so small test sheets take the split path."""
    monkeypatch.setattr(sheet_halves, "SPLIT_SHEET_BYTES", 0)


def base_package() -> bytes:
    """Return a one-tab workbook 'Deals' whose sheet part is SHEET_PART."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Deals"
    sheet["A1"] = "seed"
    sheet["B1"] = dt.date(2025, 1, 2)
    sheet["B1"].number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_sheet(package: bytes, sheet_xml: str) -> bytes:
    """Return ``package`` with its sheet part replaced by ``sheet_xml``, deflated."""
    source = zipfile.ZipFile(io.BytesIO(package))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == SHEET_PART:
                content = sheet_xml.encode("utf-8")
            target.writestr(info.filename, content)
    return buffer.getvalue()


def whole_rows(data: bytes) -> list[list[CellValue]]:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return read_rows(workbook, "Deals", "book.xlsx")


def halves_rows(data: bytes) -> list[list[CellValue]] | None:
    halves = start_parse_in_halves(data, "Deals")
    if halves is None:
        return None
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return read_rows(workbook, "Deals", "book.xlsx", halves)


def whole_raw_rows(data: bytes) -> list[list[Any]]:
    """Return calamine's cells of the whole sheet from A1, as calamine gives them."""
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return workbook.get_sheet_by_name("Deals").to_python(skip_empty_area=False)


def joined_rows(data: bytes) -> list[list[Any]] | None:
    """Return the joined halves' cells unconverted, or None if not both usable."""
    halves = start_parse_in_halves(data, "Deals")
    if halves is None:
        return None
    return halves.join(lambda cell: cell)


def cell_xml(reference: str | None, value: object, prefix: str = "") -> str:
    attribute = f' r="{reference}"' if reference else ""
    if isinstance(value, bool):
        body = f"<{prefix}v>{int(value)}</{prefix}v>"
        return f'<{prefix}c{attribute} t="b">{body}</{prefix}c>'
    if isinstance(value, int | float):
        return f"<{prefix}c{attribute}><{prefix}v>{value}</{prefix}v></{prefix}c>"
    return (
        f'<{prefix}c{attribute} t="inlineStr"><{prefix}is><{prefix}t>{value}'
        f"</{prefix}t></{prefix}is></{prefix}c>"
    )


def sheet_xml(rows: list[str], prefix: str = "", tail: str = "") -> str:
    namespace = f'xmlns:{prefix[:-1]}="{MAIN_NS}"' if prefix else f'xmlns="{MAIN_NS}"'
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<{prefix}worksheet {namespace}><{prefix}dimension ref="A1"/>'
        f"<{prefix}sheetData>{''.join(rows)}</{prefix}sheetData>{tail}"
        f"</{prefix}worksheet>"
    )


def column_name(index: int) -> str:
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[index]


def random_sheet(seed: int) -> str:
    """Return the XML of a random sheet: gaps, ragged widths, missing references."""
    rng = random.Random(seed)
    prefix = rng.choice(["", "", "x:"])
    row_number = rng.randint(1, 4)
    rows = []
    for _ in range(rng.randint(4, 60)):
        row_number += rng.choice([1, 1, 1, 2, 5])
        with_row_reference = rng.random() > 0.2
        with_cell_references = with_row_reference and rng.random() > 0.1
        first_column = rng.randint(0, 3)
        cells = []
        for column in range(first_column, first_column + rng.randint(0, 6)):
            if rng.random() < 0.2:
                continue
            value: object = rng.choice(
                ["Lead", "Won", "a & b", 7, 2.5, True, False, 45000, "  spaced "]
            )
            if isinstance(value, str):
                value = value.replace("&", "&amp;")
            reference = f"{column_name(column)}{row_number}"
            cells.append(
                cell_xml(reference if with_cell_references else None, value, prefix)
            )
        row_attribute = (
            f' r="{row_number}"'
            if with_row_reference
            else rng.choice(["", ' spans="1:4"'])
        )
        if cells or rng.random() < 0.5:
            rows.append(f"<{prefix}row{row_attribute}>{''.join(cells)}</{prefix}row>")
        else:
            rows.append(f"<{prefix}row{row_attribute}/>")
    merged = f'<{prefix}mergeCell ref="A1:B1"/>'
    tail = f'<{prefix}mergeCells count="1">{merged}</{prefix}mergeCells>'
    return sheet_xml(rows, prefix, tail if rng.random() < 0.5 else "")


@pytest.mark.parametrize("seed", range(60))
def test_random_sheets_read_same(seed: int) -> None:
    data = with_sheet(base_package(), random_sheet(seed))

    joined = joined_rows(data)

    if joined is not None:
        assert joined == whole_raw_rows(data)
        assert halves_rows(data) == whole_rows(data)


def test_most_random_sheets_are_split() -> None:
    # Guards the test above against passing because nothing is ever split.
    split = sum(
        joined_rows(with_sheet(base_package(), random_sheet(seed))) is not None
        for seed in range(60)
    )

    assert split >= 30


def table_rows(count: int, width: int = 4, start: int = 1) -> list[str]:
    return [
        f'<row r="{number}">'
        + "".join(
            cell_xml(f"{column_name(column)}{number}", f"v{number}-{column}")
            for column in range(width)
        )
        + "</row>"
        for number in range(start, start + count)
    ]


def test_plain_table_split_equal() -> None:
    data = with_sheet(base_package(), sheet_xml(table_rows(40)))

    split = halves_rows(data)

    assert split is not None
    assert split == whole_rows(data)
    assert len(split) == 40


def test_second_half_wider_and_shifted() -> None:
    rows = table_rows(20, width=2) + table_rows(20, width=6, start=30)
    data = with_sheet(base_package(), sheet_xml(rows))

    split = halves_rows(data)

    assert split is not None
    assert split == whole_rows(data)
    assert all(len(row) == 6 for row in split)


def hold_half(
    monkeypatch: pytest.MonkeyPatch, marker: bytes, release: threading.Event
) -> list[bool]:
    """Hold the parse of the half whose XML contains ``marker`` until ``release``.

    Returns a list that gets True if ``release`` was set within 10 s, or False
    if the half went on after that timeout.
    """
    released: list[bool] = []
    parse_half = sheet_halves._parse_half

    def held_parse_half(*arguments: Any) -> Any:
        if any(isinstance(value, bytes) and marker in value for value in arguments):
            released.append(release.wait(10))
        return parse_half(*arguments)

    monkeypatch.setattr(sheet_halves, "_parse_half", held_parse_half)
    return released


def converting_until(cell: str, seen: threading.Event) -> Any:
    """Return a conversion that keeps each cell and sets ``seen`` at ``cell``."""

    def convert(value: Any) -> Any:
        if value == cell:
            seen.set()
        return value

    return convert


def test_first_half_converted_while_second_parses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = with_sheet(base_package(), sheet_xml(table_rows(40)))
    first_converted = threading.Event()
    released = hold_half(monkeypatch, b"v40-0", first_converted)

    halves = start_parse_in_halves(data, "Deals")
    assert halves is not None
    rows = halves.join(converting_until("v1-0", first_converted))

    assert released == [True]
    assert rows == whole_raw_rows(data)


def test_second_half_converted_while_first_parses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = with_sheet(base_package(), sheet_xml(table_rows(40)))
    second_converted = threading.Event()
    released = hold_half(monkeypatch, b"v1-0", second_converted)

    halves = start_parse_in_halves(data, "Deals")
    assert halves is not None
    rows = halves.join(converting_until("v40-0", second_converted))

    assert released == [True]
    assert rows == whole_raw_rows(data)


def test_failed_half_parses_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    data = with_sheet(base_package(), sheet_xml(table_rows(40)))
    parse_half = sheet_halves._parse_half
    parses: list[bytes] = []

    def failing_second_half(package: Any, half: bytes, tab: str) -> Any:
        parses.append(half)
        if b"v40-0" in half:
            raise CalamineError("damaged half")
        return parse_half(package, half, tab)

    monkeypatch.setattr(sheet_halves, "_parse_half", failing_second_half)

    assert joined_rows(data) is None
    assert halves_rows(data) == whole_rows(data)
    # Each of the two reads parsed both halves before the whole sheet.
    assert len(parses) == 4


def test_half_without_cells_parses_whole() -> None:
    # The spaces put the middle of the XML among the rows without cells.
    empty_rows = [f'<row r="{number}"{" " * 400}/>' for number in range(1, 41)]
    rows = empty_rows + table_rows(40, start=41)
    data = with_sheet(base_package(), sheet_xml(rows))

    assert joined_rows(data) is None
    assert halves_rows(data) == whole_rows(data)
    assert whole_rows(data)[40][0] == "v41-0"


def test_table_starting_at_c5() -> None:
    rows = [
        f'<row r="{number}">'
        + "".join(
            cell_xml(f"{letter}{number}", f"{letter}{number}") for letter in "CDE"
        )
        + "</row>"
        for number in range(5, 45)
    ]
    data = with_sheet(base_package(), sheet_xml(rows))

    split = halves_rows(data)

    assert split is not None
    assert split == whole_rows(data)
    assert split[4][2] == "C5"


def test_rows_out_of_order_parsed_whole() -> None:
    rows = table_rows(30)
    # Row 1 is written last, so the second half reaches above the first.
    rows.append(rows.pop(0))
    data = with_sheet(base_package(), sheet_xml(rows))

    assert joined_rows(data) is None
    assert halves_rows(data) == whole_rows(data)
    assert whole_rows(data)[0][0] == "v1-0"


def test_rows_without_numbers_parse_whole() -> None:
    rows = [
        f'<row spans="1:1">{cell_xml(None, f"x{number}")}</row>'
        for number in range(200)
    ]
    data = with_sheet(base_package(), sheet_xml(rows))

    assert start_parse_in_halves(data, "Deals") is None


def test_small_sheet_parsed_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheet_halves, "SPLIT_SHEET_BYTES", 1 << 20)
    data = with_sheet(base_package(), sheet_xml(table_rows(40)))

    assert start_parse_in_halves(data, "Deals") is None


def test_prefixed_archive_parsed_whole() -> None:
    data = b"MZ self-extractor" + with_sheet(base_package(), sheet_xml(table_rows(40)))

    assert start_parse_in_halves(data, "Deals") is None


def test_damaged_sheet_member_parses_whole() -> None:
    data = bytearray(with_sheet(base_package(), sheet_xml(table_rows(40))))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo(SHEET_PART)
    name_length = int.from_bytes(
        data[info.header_offset + 26 : info.header_offset + 28], "little"
    )
    extra_length = int.from_bytes(
        data[info.header_offset + 28 : info.header_offset + 30], "little"
    )
    start = info.header_offset + 30 + name_length + extra_length
    data[start + info.compress_size // 2] ^= 0xFF

    assert start_parse_in_halves(bytes(data), "Deals") is None


def test_missing_tab_parsed_whole() -> None:
    data = with_sheet(base_package(), sheet_xml(table_rows(40)))

    assert start_parse_in_halves(data, "Pipeline") is None


@pytest.fixture
def starter(tmp_path: Path) -> Iterator[Path]:
    path = build_starter_workbook(
        tmp_path / "pipeline.xlsx", Locale.EN, as_of=dt.date(2025, 9, 30)
    )
    yield path
    take_read_ahead(path)


def test_read_ahead_grid_from_halves(starter: Path) -> None:
    expected = ExcelWorkbook(starter).read_tab("Deals")
    start_read_ahead(starter, "Deals")
    ahead = take_read_ahead(starter)
    assert ahead is not None
    assert isinstance(ahead.sheet, SheetHalves)

    start_read_ahead(starter, "Deals")
    grid = ExcelWorkbook(starter).read_tab("Deals")

    assert grid == expected


def test_read_ahead_taken_while_halves_parse(
    starter: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = ExcelWorkbook(starter).read_tab("Deals")
    read_ahead_taken = threading.Event()
    released = hold_half(monkeypatch, b"<sheetData", read_ahead_taken)

    start_read_ahead(starter, "Deals")
    ahead = take_read_ahead(starter)
    read_ahead_taken.set()
    assert ahead is not None
    assert isinstance(ahead.sheet, SheetHalves)
    workbook = ahead.workbook
    rows = read_rows(workbook, "Deals", starter.name, ahead.sheet)

    assert released == [True, True]
    assert rows == [list(row) for row in expected.rows]


def test_without_memfd_parses_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    # macOS and Windows have no os.memfd_create.
    monkeypatch.delattr("os.memfd_create", raising=False)
    data = with_sheet(base_package(), sheet_xml(table_rows(40)))

    assert start_parse_in_halves(data, "Deals") is None
