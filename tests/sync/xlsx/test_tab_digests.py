"""Records of written generated tabs: stored as defined names, read back, matched."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from rules.grid import CellValue
from sync.xlsx.tab_digests import (
    TabRecord,
    grid_digest,
    read_tab_records,
    write_tab_records,
)

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
FIRST = TabRecord("a" * 64, 0x0123ABCD, 4096)
SECOND = TabRecord("b" * 64, 0xFFFFFFFF, 7)


def workbook_xml(after_sheets: str = "", prefix: str = "") -> bytes:
    """Return a workbook part with two tabs and ``after_sheets`` after them."""
    p = f"{prefix}:" if prefix else ""
    declaration = f"xmlns:{prefix}" if prefix else "xmlns"
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<{p}workbook {declaration}="{MAIN_NS}"><{p}sheets>'
        f'<{p}sheet name="Deals" sheetId="1"/><{p}sheet name="Problems" sheetId="2"/>'
        f"</{p}sheets>{after_sheets}</{p}workbook>"
    ).encode()


def test_records_read_back_by_position() -> None:
    xml = write_tab_records(workbook_xml(), {1: FIRST, 3: SECOND})

    assert read_tab_records(xml) == {1: FIRST, 3: SECOND}


def test_record_written_as_hidden_tab_name() -> None:
    xml = write_tab_records(workbook_xml(), {1: FIRST}).decode()

    assert (
        '<definedNames><definedName name="_pipesheet_tab" localSheetId="1" '
        f'hidden="1">"pipesheet 1 {"a" * 64} 0123abcd 4096"</definedName>'
        "</definedNames></workbook>"
    ) in xml


def test_record_replaces_earlier_record_of_tab() -> None:
    xml = write_tab_records(workbook_xml(), {1: FIRST})

    xml = write_tab_records(xml, {1: SECOND})

    assert read_tab_records(xml) == {1: SECOND}
    assert xml.count(b"_pipesheet_tab") == 1


def test_other_defined_names_kept() -> None:
    names = (
        "<definedNames>"
        '<definedName name="_xlnm.Print_Area" localSheetId="1">Problems!$A$1:$B$2'
        '</definedName><definedName name="StageList">Deals!$B$2:$B$7</definedName>'
        "</definedNames>"
    )
    xml = write_tab_records(workbook_xml(names), {1: FIRST}).decode()

    assert (
        '<definedName name="_xlnm.Print_Area" localSheetId="1">Problems!$A$1:$B$2'
        '</definedName><definedName name="StageList">Deals!$B$2:$B$7</definedName>'
        '<definedName name="_pipesheet_tab" localSheetId="1"'
    ) in xml


def test_records_of_other_tabs_kept() -> None:
    xml = write_tab_records(workbook_xml(), {0: FIRST})

    xml = write_tab_records(xml, {1: SECOND})

    assert read_tab_records(xml) == {0: FIRST, 1: SECOND}


@pytest.mark.parametrize(
    ("after_sheets", "expected"),
    [
        ('<calcPr calcId="1"/>', "</sheets><definedNames>.*</definedNames><calcPr"),
        ("<definedNames/>", "</sheets><definedNames>.*</definedNames></workbook>"),
        ("<extLst></extLst>", "</sheets><definedNames>.*</definedNames><extLst>"),
    ],
    ids=["before-calc-pr", "empty-element", "before-ext-lst"],
)
def test_defined_names_placed_by_schema(after_sheets: str, expected: str) -> None:
    xml = write_tab_records(workbook_xml(after_sheets), {1: FIRST}).decode()

    assert re.search(expected, xml) is not None


def test_prefixed_workbook_part_gets_prefixed_names() -> None:
    xml = write_tab_records(workbook_xml(prefix="x"), {1: FIRST})

    assert b"<x:definedNames><x:definedName " in xml
    assert read_tab_records(xml) == {1: FIRST}


@pytest.mark.parametrize(
    "value",
    [
        '"pipesheet 1 short 0123abcd 1"',
        "Problems!$A$1",
        f'"pipesheet 2 {"a" * 64} 0123abcd 1"',
    ],
    ids=["short-digest", "cell-reference", "other-format"],
)
def test_foreign_record_value_ignored(value: str) -> None:
    name = f'<definedName name="_pipesheet_tab" localSheetId="1">{value}</definedName>'
    xml = workbook_xml(f"<definedNames>{name}</definedNames>")

    assert read_tab_records(xml) == {}


def test_workbook_scoped_name_ignored() -> None:
    name = f'<definedName name="_pipesheet_tab">{FIRST.to_value()}</definedName>'

    assert read_tab_records(workbook_xml(f"<definedNames>{name}</definedNames>")) == {}


def test_no_records_leave_part_unchanged() -> None:
    assert write_tab_records(workbook_xml(), {}) == workbook_xml()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (1, 1.0),
        (1, "1"),
        (1, True),
        (None, ""),
        (dt.date(2025, 9, 30), "2025-09-30"),
        (dt.date(2025, 9, 30), dt.datetime(2025, 9, 30)),
    ],
    ids=["int-float", "int-text", "int-bool", "none-empty", "date-text", "date-time"],
)
def test_digest_tells_types_apart(first: CellValue, second: CellValue) -> None:
    assert grid_digest([["H"], [first]]) != grid_digest([["H"], [second]])


def test_digest_same_for_equal_grids() -> None:
    grid: list[list[CellValue]] = [["Row", "Due"], [4, dt.date(2025, 9, 30)]]

    assert grid_digest(grid) == grid_digest([list(row) for row in grid])
