"""Records of written generated tabs: stored as defined names, read back, matched."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from config.loader import load_pipeline
from config.models import Locale
from config.shipped import shipped_definition
from rules.grid import CellValue
from sync.plan import GeneratedTab
from sync.run import run_sync
from sync.sources.excel import ExcelWorkbook
from sync.starter import build_starter_workbook
from sync.xlsx.package import Package
from sync.xlsx.tab_digests import (
    TabRecord,
    drop_tab_records,
    find_written_tabs,
    grid_digest,
    legacy_grid_digest,
    read_tab_records,
    shows_other_banner,
    tab_name_key,
    tabs_hashed_when_found,
    typed_grid_digest,
    write_tab_records,
)
from sync.xlsx.workbook_parts import WorkbookParts

AS_OF = dt.date(2025, 9, 30)
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
FIRST = TabRecord("a" * 64, 0x0123ABCD, 4096)
SECOND = TabRecord("b" * 64, 0xFFFFFFFF, 7)
# Digests of the grid in test_digest_pinned_for_known_grid, in formats 3, 2 and 1.
PINNED_DIGEST = "642a89241514190342edfb70fcda23f14dca1fa5c40af1024653911974ec4fbd"
PINNED_TYPED_DIGEST = "e719a59fb6cde1d7ee79daeaea46ab0939b85ff363f6e4ada3b4b5d0bccdfc22"
PINNED_LEGACY_DIGEST = (
    "8bec44a3b3ea4d6b9e663eda28c95400047cd857bb2b1aa21cd6b611558c181a"
)
# Digest of the grid in test_digest_pinned_for_empty_column, in format 3.
PINNED_EMPTY_COLUMN_DIGEST = (
    "674e14cc41505743366bf668940d1f15fbea0131a643407a6f6c12f5d3cfd3f8"
)


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
        f'hidden="1">"pipesheet 3 {"a" * 64} 0123abcd 4096"</definedName>'
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


def test_dropped_records_leave_others() -> None:
    xml = write_tab_records(workbook_xml(), {0: FIRST, 1: SECOND})

    xml = drop_tab_records(xml, [0])

    assert read_tab_records(xml) == {1: SECOND}


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
        f'"pipesheet 4 {"a" * 64} 0123abcd 1"',
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
def test_typed_digest_tells_types_apart(first: CellValue, second: CellValue) -> None:
    assert typed_grid_digest([["H"], [first]]) != typed_grid_digest([["H"], [second]])


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (1, "1"),
        (1, True),
        (dt.date(2025, 9, 30), "2025-09-30"),
        (dt.date(2025, 9, 30), dt.datetime(2025, 9, 30, 12)),
        (0.5, 1),
    ],
    ids=["int-text", "int-bool", "date-text", "date-noon", "fraction-integer"],
)
def test_digest_tells_shown_values_apart(first: CellValue, second: CellValue) -> None:
    assert grid_digest([["H"], [first]]) != grid_digest([["H"], [second]])


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ([["H"], [1.0]], [["H"], [1]]),
        ([["H"], [""]], [["H"], [None]]),
        ([["H"], [dt.datetime(2025, 9, 30)]], [["H"], [dt.date(2025, 9, 30)]]),
        ([["H"], [0.1 + 0.2]], [["H"], [0.3]]),
        ([["H"], ["a\x01b"]], [["H"], ["a\ufffdb"]]),
        ([["H"], [], ["x"]], [["H", None], [None, None], ["x", None]]),
        ([["H"], ["x"]], [["H"], ["x"], [None], [None]]),
        ([["a", "", "b"], ["c", "", "d"]], [["a", None, "b"], ["c", None, "d"]]),
    ],
    ids=[
        "whole-float",
        "empty-text",
        "midnight",
        "fifteen-digits",
        "control-character",
        "padded-rows",
        "empty-rows-below",
        "empty-middle-column",
    ],
)
def test_digest_same_for_tab_read_back(
    written: list[list[CellValue]], read: list[list[CellValue]]
) -> None:
    assert grid_digest(written) == grid_digest(read)


def test_digest_same_for_equal_grids() -> None:
    grid: list[list[CellValue]] = [["Row", "Due"], [4, dt.date(2025, 9, 30)]]

    assert grid_digest(grid) == grid_digest([list(row) for row in grid])


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ([["a\x00", "b"]], [["a", "\x00b"]]),
        ([["a", "b"]], [["a\x00b"]]),
        ([[1], [None]], [[None], [1]]),
        ([[2**70]], [[2**70 + 1]]),
        ([[dt.date(2025, 9, 30)]], [[dt.date(2025, 10, 1)]]),
        ([["H"], ["x"]], [["H", "x"]]),
        ([["a\x01", "b"]], [["a", "\x01b"]]),
    ],
    ids=[
        "nul-moved",
        "nul-joined",
        "empty-moved",
        "huge-integer",
        "next-day",
        "row-break",
        "control-character-moved",
    ],
)
def test_digest_tells_grids_apart(
    first: list[list[CellValue]], second: list[list[CellValue]]
) -> None:
    assert grid_digest(first) != grid_digest(second)


def test_digest_pinned_for_known_grid() -> None:
    # A changed digest would make every run rewrite tabs that earlier
    # versions recorded, so the bytes hashed must never change.
    grid: list[list[CellValue]] = [
        ["Generated by pipesheet"],
        [],
        ["Row", "Deal ID", "Due", "Days", "Note"],
        [4, "D-1", dt.date(2025, 9, 30), 2.5, None],
        [5, "D-2", None, True, "a\x00b"],
    ]

    assert grid_digest(grid) == PINNED_DIGEST
    assert typed_grid_digest(grid) == PINNED_TYPED_DIGEST
    assert legacy_grid_digest(grid) == PINNED_LEGACY_DIGEST


def test_digest_pinned_for_empty_column() -> None:
    # Columns with no value and columns of text with a control character
    # are hashed by their own paths, which must keep the bytes they hash.
    grid: list[list[CellValue]] = [
        ["Deal ID", None, "Note", None],
        ["D-1", None, "moved\x01"],
        ["D-2", None, None, None],
        ["D-3", None, "ok"],
    ]

    assert grid_digest(grid) == PINNED_EMPTY_COLUMN_DIGEST


def test_tab_has_digest_once_hashed() -> None:
    tab = GeneratedTab("T", [["H"], [1, "x"]])

    assert not tab.has_digest
    assert tab.digest == grid_digest(tab.grid)
    assert tab.has_digest


def test_format_one_record_read_back() -> None:
    record = TabRecord("c" * 64, 0x0123ABCD, 4096, format=1)
    xml = write_tab_records(workbook_xml(), {1: record})

    assert b'"pipesheet 1 ' in xml
    assert read_tab_records(xml) == {1: record}


def test_record_name_key_read_back() -> None:
    record = TabRecord("c" * 64, 0x0123ABCD, 4096, name_key=tab_name_key("Funnel"))
    xml = write_tab_records(workbook_xml(), {1: record})

    assert read_tab_records(xml) == {1: record}
    assert not record.names_other_tab("FUNNEL")
    assert record.names_other_tab("Funnel Q4 snapshot")


def test_record_without_name_key_names_no_other_tab() -> None:
    record = TabRecord("c" * 64, 0x0123ABCD, 4096)
    xml = write_tab_records(workbook_xml(), {1: record})

    assert read_tab_records(xml)[1].name_key is None
    assert not record.names_other_tab("Funnel Q4 snapshot")


def test_format_one_record_matches_repr_digest() -> None:
    tab = GeneratedTab("T", [["H"], [1, "x", dt.date(2025, 9, 30)]])

    assert TabRecord(legacy_grid_digest(tab.grid), 0, 0, format=1).matches(tab)
    assert not TabRecord(legacy_grid_digest(tab.grid), 0, 0).matches(tab)
    assert TabRecord(grid_digest(tab.grid), 0, 0).matches(tab)


def test_format_two_record_matches_typed_digest() -> None:
    tab = GeneratedTab("T", [["H"], [1.0, "x", dt.date(2025, 9, 30)]])

    assert TabRecord(typed_grid_digest(tab.grid), 0, 0, format=2).matches(tab)
    assert not TabRecord(typed_grid_digest(tab.grid), 0, 0).matches(tab)


@pytest.mark.parametrize("earlier_format", [1, 2], ids=["format-1", "format-2"])
def test_earlier_records_still_honoured(tmp_path: Path, earlier_format: int) -> None:
    pipeline = load_pipeline(shipped_definition("b2b-en"))
    path = build_starter_workbook(tmp_path / "pipeline.xlsx", Locale.EN, as_of=AS_OF)
    tabs = run_sync(pipeline, ExcelWorkbook(path), AS_OF).plan.tabs
    record_in_earlier_format(path, tabs, earlier_format)

    rerun = run_sync(pipeline, ExcelWorkbook(path), AS_OF)

    assert len(ExcelWorkbook(path).unchanged_generated_tabs(tabs)) == len(tabs)
    assert rerun.plan.tabs == []


def record_in_earlier_format(
    path: Path, tabs: list[GeneratedTab], earlier_format: int
) -> None:
    """Rewrite the records of ``tabs`` as an earlier version wrote them."""
    edited = path.with_name("edited.xlsx")
    with zipfile.ZipFile(path) as original, zipfile.ZipFile(edited, "w") as copy:
        for info in original.infolist():
            content = original.read(info)
            if info.filename == "xl/workbook.xml":
                content = with_earlier_records(content, tabs, earlier_format)
            copy.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED)
    shutil.move(edited, path)


def with_earlier_records(
    workbook: bytes, tabs: list[GeneratedTab], earlier_format: int
) -> bytes:
    digests = {1: legacy_grid_digest, 2: typed_grid_digest}
    for tab in tabs:
        new = f"pipesheet 3 {grid_digest(tab.grid)} ".encode()
        old = (
            f"pipesheet {earlier_format} {digests[earlier_format](tab.grid)} ".encode()
        )
        assert new in workbook
        workbook = workbook.replace(new, old)
    return workbook


@pytest.mark.parametrize(
    ("first", "banner", "expected"),
    [
        ("as of 2025-09-30", "as of 2025-09-30", False),
        ("as of 2025-10-01", "as of 2025-09-30", True),
        ("as of 2025-10-01", None, False),
        ("Tom & Jerry", "Tom and Jerry", False),
        ("", "as of 2025-09-30", False),
        (42, "42", False),
    ],
    ids=["same", "other-day", "unread", "escaped", "empty", "number"],
)
def test_other_banner_shown(
    first: CellValue, banner: str | None, expected: bool
) -> None:
    tab = GeneratedTab("Problems", [[first], [], ["Row"]])

    assert shows_other_banner(tab, banner) is expected


def test_empty_tab_shows_no_other_banner() -> None:
    assert not shows_other_banner(GeneratedTab("Problems", []), "as of 2025-09-30")


def written_starter(tmp_path: Path) -> tuple[Path, list[GeneratedTab]]:
    """Return a starter workbook after a run on AS_OF, and the tabs it wrote."""
    pipeline = load_pipeline(shipped_definition("b2b-en"))
    path = build_starter_workbook(tmp_path / "pipeline.xlsx", Locale.EN, as_of=AS_OF)
    return path, run_sync(pipeline, ExcelWorkbook(path), AS_OF).plan.tabs


def next_day_tabs(tabs: list[GeneratedTab]) -> list[GeneratedTab]:
    """Return copies of ``tabs`` whose banners name the next day."""
    next_day = (AS_OF + dt.timedelta(days=1)).isoformat()
    copies = []
    for tab in tabs:
        banner = str(tab.grid[0][0]).replace(AS_OF.isoformat(), next_day)
        grid = [[banner], *tab.grid[1:]]
        copies.append(GeneratedTab(tab.name, grid, tab.chart, tab.column_widths))
    return copies


def test_tab_of_earlier_day_found_unhashed(tmp_path: Path) -> None:
    path, tabs = written_starter(tmp_path)
    later = next_day_tabs(tabs)

    with Package(path) as package:
        workbook = WorkbookParts(package)
        found = find_written_tabs(package, workbook, later)
        hashed = tabs_hashed_when_found(package, workbook, later)

    assert sorted(found) == sorted(tab.name for tab in tabs)
    assert [tab.same_grid for tab in found.values()] == [False] * len(tabs)
    assert [tab.banner for tab in found.values()] == [t.grid[0][0] for t in tabs]
    assert [tab.has_digest for tab in later] == [False] * len(tabs)
    assert hashed == set()


def test_tab_of_same_day_found_hashed(tmp_path: Path) -> None:
    path, tabs = written_starter(tmp_path)
    again = [GeneratedTab(t.name, t.grid, t.chart, t.column_widths) for t in tabs]

    with Package(path) as package:
        workbook = WorkbookParts(package)
        found = find_written_tabs(package, workbook, again)
        hashed = tabs_hashed_when_found(package, workbook, again)

    assert [tab.same_grid for tab in found.values()] == [True] * len(tabs)
    assert [tab.has_digest for tab in again] == [True] * len(tabs)
    assert hashed == {tab.name for tab in tabs}


@pytest.mark.parametrize(
    "names",
    [
        (
            '<definedNames><definedName name="Ids">Deals!$A$2</definedName>'
            "</definedNames >"
        ),
        (
            f'<n:definedNames xmlns:n="{MAIN_NS}"><n:definedName name="Ids">Deals!$A$2'
            "</n:definedName></n:definedNames>"
        ),
    ],
    ids=["end-tag-with-space", "inner-prefix"],
)
def test_record_replaced_in_any_spelling(names: str) -> None:
    xml = write_tab_records(workbook_xml(names), {1: FIRST})

    xml = write_tab_records(xml, {1: SECOND})

    assert read_tab_records(xml) == {1: SECOND}
    assert xml.count(b'name="_pipesheet_tab"') == 1
    assert b'name="Ids"' in xml
    assert xml.count(b"definedNames") == 2, "one <definedNames> element"


def test_names_added_before_spaced_workbook_end() -> None:
    xml = workbook_xml().replace(b"</sheets>", b"</sheets >")
    xml = xml.replace(b"</workbook>", b"</workbook >")

    written = write_tab_records(xml, {1: FIRST})

    assert written.endswith(b"</definedNames></workbook >")
    assert read_tab_records(written) == {1: FIRST}
