"""Generated tab XML: value types, serial dates, header style and layout."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest

from config.errors import SourceError
from rules.grid import CellValue
from sync.plan import GeneratedTab
from sync.xlsx.sheet_xml import excel_serial, render_tab, write_tab
from sync.xlsx.styles import DEFAULT_STYLES, StyleSheet
from sync.xlsx.tab_digests import DIGEST_ROWS, GridDigest, grid_digest


def cells(value: CellValue) -> str:
    """Return the sheet data of a tab with a header and ``value`` in A2."""
    xml = render_tab(
        GeneratedTab("T", [["H"], [value]]), StyleSheet(DEFAULT_STYLES, "w")
    )
    text = xml.decode()
    return text[text.index("</row>") + len("</row>") : text.index("</sheetData>")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (42, '<row r="2"><c r="A2" s="2"><v>42</v></c></row>'),
        (2.5, '<row r="2"><c r="A2" s="2"><v>2.5</v></c></row>'),
        (3.0, '<row r="2"><c r="A2" s="2"><v>3</v></c></row>'),
        (Decimal("1.25"), '<row r="2"><c r="A2" s="2"><v>1.25</v></c></row>'),
        (True, '<row r="2"><c r="A2" t="b"><v>1</v></c></row>'),
        (
            "a & <b>",
            (
                '<row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve">'
                "a &amp; &lt;b&gt;</t></is></c></row>"
            ),
        ),
        (
            "bell\x07 \x00\x1f tab\t line\n",
            (
                '<row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve">'
                "bell\ufffd \ufffd\ufffd tab\t line\n</t></is></c></row>"
            ),
        ),
        (
            "a\rb",
            (
                '<row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve">'
                "a_x000D_b</t></is></c></row>"
            ),
        ),
        (
            "_x0041_ and _x005F_x0042_",
            (
                '<row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve">'
                "_x005F_x0041_ and _x005F_x005F_x005F_x0042_</t></is></c></row>"
            ),
        ),
        (dt.date(2025, 9, 9), '<row r="2"><c r="A2" s="2"><v>45909</v></c></row>'),
        (
            dt.datetime(2025, 9, 9, 12),
            '<row r="2"><c r="A2" s="2"><v>45909.5</v></c></row>',
        ),
        (dt.time(6), '<row r="2"><c r="A2" s="2"><v>0.25</v></c></row>'),
        (
            dt.date(1850, 1, 1),
            (
                '<row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve">'
                "1850-01-01</t></is></c></row>"
            ),
        ),
        (math.inf, '<row r="2"><c r="A2" t="e"><v>#NUM!</v></c></row>'),
        (None, ""),
        (math.nan, ""),
        ("", ""),
    ],
    ids=[
        "int",
        "float",
        "whole-float",
        "decimal",
        "bool",
        "text",
        "control-characters",
        "carriage-return",
        "escape-lookalikes",
        "date",
        "datetime",
        "time",
        "date-before-1900",
        "infinity",
        "none",
        "nan",
        "empty-text",
    ],
)
def test_value_written_by_type(value: CellValue, expected: str) -> None:
    assert cells(value) == expected


@pytest.mark.parametrize(
    ("value", "serial"),
    [
        (dt.date(1900, 1, 1), 1),
        (dt.date(1900, 2, 28), 59),
        (dt.date(1900, 3, 1), 61),
        (dt.date(2025, 9, 9), 45909),
        (dt.datetime(2025, 9, 9, 18), 45909.75),
        (dt.date(1899, 12, 31), None),
    ],
    ids=[
        "first-day",
        "before-fake-leap-day",
        "after-fake-leap-day",
        "recent",
        "evening",
        "too-early",
    ],
)
def test_excel_serial_follows_excel_calendar(
    value: dt.date, serial: float | None
) -> None:
    assert excel_serial(value) == serial


@pytest.mark.parametrize(
    ("value", "serial"),
    [
        (dt.date(1904, 1, 1), 0),
        (dt.date(1904, 3, 1), 60),
        (dt.date(2025, 9, 9), 44447),
        (dt.datetime(2025, 9, 9, 18), 44447.75),
        (dt.date(1903, 12, 31), None),
    ],
    ids=["first-day", "after-real-leap-day", "recent", "evening", "too-early"],
)
def test_excel_serial_in_1904_date_system(value: dt.date, serial: float | None) -> None:
    assert excel_serial(value, date1904=True) == serial


def test_1904_tab_writes_1904_serial() -> None:
    tab = GeneratedTab("T", [["H"], [dt.date(2025, 9, 9)]])

    xml = render_tab(tab, StyleSheet(DEFAULT_STYLES, "w"), date1904=True).decode()

    assert "<v>44447</v>" in xml


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (dt.datetime(2025, 9, 9, tzinfo=dt.UTC), "A2"),
        (dt.time(6, tzinfo=dt.UTC), "A2"),
    ],
    ids=["datetime", "time"],
)
def test_zoned_value_rejected(value: CellValue, cell: str) -> None:
    tab = GeneratedTab("Log", [["When"], [value]])

    with pytest.raises(SourceError) as raised:
        render_tab(tab, StyleSheet(DEFAULT_STYLES, "w"))

    assert str(raised.value) == (
        f"Generated tab 'Log', cell {cell}: {value!r} has a time zone; convert it to "
        "the business time zone and drop the zone before writing it to a tab."
    )


def test_error_names_workbook_when_given() -> None:
    moment = dt.datetime(2025, 9, 9, tzinfo=dt.UTC)
    tab = GeneratedTab("Definitions", [["Last synced", moment]])

    with pytest.raises(SourceError) as raised:
        render_tab(tab, StyleSheet(DEFAULT_STYLES, "w"), workbook="Pipeline.xlsx")

    assert str(raised.value) == (
        "Workbook 'Pipeline.xlsx', generated tab 'Definitions', cell B1: "
        "datetime.datetime(2025, 9, 9, 0, 0, tzinfo=datetime.timezone.utc) has a "
        "time zone; convert it to the business time zone and drop the zone before "
        "writing it to a tab."
    )


def test_unknown_value_type_rejected() -> None:
    tab = GeneratedTab("Log", [["When"], [object]])  # type: ignore[list-item]

    with pytest.raises(SourceError) as raised:
        render_tab(tab, StyleSheet(DEFAULT_STYLES, "w"))

    assert str(raised.value) == (
        "Generated tab 'Log', cell A2: a type value (<class 'object'>) cannot be "
        "written to a cell; convert it to text, a number or a date first."
    )


def test_layout_has_bold_frozen_header_and_widths() -> None:
    tab = GeneratedTab(
        "Funnel", [["Stage", "Deals"], ["Lead", 4]], column_widths=[18, 0, 9.5]
    )
    styles = StyleSheet(DEFAULT_STYLES, "w")

    xml = render_tab(tab, styles, drawing_rel_id="rId1").decode()

    assert xml == (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<dimension ref="A1:B2"/><sheetViews><sheetView workbookViewId="0"><pane '
        'ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView>'
        '</sheetViews><sheetFormatPr defaultRowHeight="15"/><cols><col min="1" max="1" '
        'width="18" customWidth="1"/><col min="3" max="3" width="9.5" customWidth="1"/>'
        '</cols><sheetData><row r="1"><c r="A1" s="1" t="inlineStr"><is><t '
        'xml:space="preserve">Stage</t></is></c><c r="B1" s="1" t="inlineStr"><is><t '
        'xml:space="preserve">Deals</t></is></c></row><row r="2"><c r="A2" '
        't="inlineStr"><is><t xml:space="preserve">Lead</t></is></c><c r="B2" s="2">'
        "<v>4</v>"
        '</c></row></sheetData><pageMargins left="0.7" right="0.7" top="0.75" '
        'bottom="0.75" header="0.3" footer="0.3"/><drawing r:id="rId1"/></worksheet>'
    )


def test_empty_grid_gives_valid_sheet() -> None:
    xml = render_tab(
        GeneratedTab("Empty", []), StyleSheet(DEFAULT_STYLES, "w")
    ).decode()

    assert '<dimension ref="A1"/>' in xml
    assert "<sheetData></sheetData>" in xml


@pytest.mark.parametrize(
    ("column", "expected_rows"),
    [
        (
            [1, True, 1.5, 1.0],
            [
                '<row r="2"><c r="A2" s="2"><v>1</v></c></row>',
                '<row r="3"><c r="A3" t="b"><v>1</v></c></row>',
                '<row r="5"><c r="A5" s="3"><v>1</v></c></row>',
            ],
        ),
        (
            [7, 10**15, -(10**15)],
            [
                '<row r="2"><c r="A2" s="2"><v>7</v></c></row>',
                '<row r="3"><c r="A3" s="2"><v>1000000000000000.0</v></c></row>',
                '<row r="4"><c r="A4" s="2"><v>-1000000000000000.0</v></c></row>',
            ],
        ),
    ],
    ids=["equal-numbers-and-booleans-apart", "huge-integers-as-floats"],
)
def test_numbers_written_by_kind(
    column: list[CellValue], expected_rows: list[str]
) -> None:
    grid: list[list[CellValue]] = [["H"], *([value] for value in column)]

    xml = render_tab(GeneratedTab("T", grid), StyleSheet(DEFAULT_STYLES, "w")).decode()

    for row in expected_rows:
        assert row in xml


@pytest.mark.parametrize(
    "column",
    [[row % 7 - 3 for row in range(300)], list(range(-150, 150))],
    ids=["repeated-integers", "distinct-integers"],
)
def test_integer_column_written_as_digits(column: list[int]) -> None:
    grid: list[list[CellValue]] = [["H"], *([value] for value in column)]

    xml = render_tab(GeneratedTab("T", grid), StyleSheet(DEFAULT_STYLES, "w")).decode()

    for row, value in enumerate(column, start=2):
        assert f'<row r="{row}"><c r="A{row}" s="2"><v>{value}</v></c></row>' in xml


def test_rows_without_values_left_out() -> None:
    xml = render_tab(
        GeneratedTab("T", [["H"], [None, ""], [], ["x"]]),
        StyleSheet(DEFAULT_STYLES, "w"),
    ).decode()

    assert '<row r="2">' not in xml
    assert '<row r="3">' not in xml
    assert '<row r="4"><c r="A4" t="inlineStr">' in xml


def test_one_text_escaped_among_plain_text() -> None:
    xml = render_tab(
        GeneratedTab("T", [["H"], ["plain"], ["a<b"], ["_x0041_"]]),
        StyleSheet(DEFAULT_STYLES, "w"),
    ).decode()

    assert '<t xml:space="preserve">plain</t>' in xml
    assert '<t xml:space="preserve">a&lt;b</t>' in xml
    assert '<t xml:space="preserve">_x005F_x0041_</t>' in xml


@pytest.mark.parametrize(
    ("top_rows", "values", "expected_rows", "row_count"),
    [
        (
            [["H"]],
            range(1, 5001),
            [
                '<row r="4097"><c r="A4097" s="2"><v>4096</v></c></row>',
                '<row r="4098"><c r="A4098" s="2"><v>4097</v></c></row>',
            ],
            5001,
        ),
        (
            [["Banner"], [], ["Row"]],
            range(5000),
            [
                '<row r="4112"><c r="A4112" s="2"><v>4108</v></c></row>',
                '<row r="4113"><c r="A4113" s="2"><v>4109</v></c></row>',
            ],
            5002,
        ),
    ],
    ids=["header-row", "top-block"],
)
def test_block_rows_numbered_in_order(
    top_rows: list[list[CellValue]],
    values: range,
    expected_rows: list[str],
    row_count: int,
) -> None:
    grid: list[list[CellValue]] = [*top_rows, *([n] for n in values)]

    xml = render_tab(GeneratedTab("T", grid), StyleSheet(DEFAULT_STYLES, "w")).decode()

    for row in expected_rows:
        assert row in xml
    assert xml.count("<row ") == row_count


def test_repeated_text_escaped_in_every_row() -> None:
    xml = render_tab(
        GeneratedTab("T", [["H"], ["a<b"], ["plain"], ["a<b"]]),
        StyleSheet(DEFAULT_STYLES, "w"),
    ).decode()

    assert xml.count('<t xml:space="preserve">a&lt;b</t>') == 2
    assert '<row r="4"><c r="A4" t="inlineStr">' in xml


@pytest.mark.parametrize(
    "column",
    [["Größe", "é ÷ 100", "한국어 …"], ["Größe", 1, "é ÷ 100", None, "한국어 …"]],
    ids=["text-column", "mixed-column"],
)
def test_non_ascii_text_written_as_utf8(column: list[CellValue]) -> None:
    grid: list[list[CellValue]] = [["Überschrift"], *([value] for value in column)]

    xml = render_tab(GeneratedTab("T", grid), StyleSheet(DEFAULT_STYLES, "w"))

    text = xml.decode("utf-8")
    assert '<t xml:space="preserve">Überschrift</t>' in text
    assert '<t xml:space="preserve">Größe</t>' in text
    assert '<t xml:space="preserve">é ÷ 100</t>' in text
    assert '<t xml:space="preserve">한국어 …</t>' in text


def test_empty_column_between_values_left_out() -> None:
    xml = render_tab(
        GeneratedTab("T", [["H"], ["a", None, 1], [None, None, None], ["b", None]]),
        StyleSheet(DEFAULT_STYLES, "w"),
    ).decode()

    assert '<row r="2"><c r="A2" t="inlineStr">' in xml
    assert '</c><c r="C2" s="2"><v>1</v></c></row>' in xml
    assert '<row r="3">' not in xml
    assert '<row r="4"><c r="A4" t="inlineStr">' in xml


def test_top_rows_written_as_own_block() -> None:
    grid: list[list[CellValue]] = [["Banner"], [], ["Row"], *([n] for n in range(5000))]
    pieces: list[bytes] = []

    write_tab(GeneratedTab("T", grid), StyleSheet(DEFAULT_STYLES, "w"), pieces.append)

    first_block = pieces[2].decode()
    assert first_block.startswith('<row r="3"><c r="A3" t="inlineStr">')
    assert '<row r="16"><c r="A16" s="2"><v>12</v></c></row>' in first_block
    assert '<row r="17">' not in first_block
    assert (
        pieces[3]
        .decode()
        .startswith('<row r="17"><c r="A17" s="2"><v>13</v></c></row>')
    )


def mixed_grid(row_count: int) -> list[list[CellValue]]:
    """Return a tab's grid with top rows and ``row_count`` rows of mixed kinds."""
    top: list[list[CellValue]] = [["Banner"], [], ["Row", "Deal", "Due", "Note"]]
    rows: list[list[CellValue]] = [
        [n, f"D-{n}", dt.date(2025, 9, 1 + n % 28) if n % 3 else None, "a\x00b"]
        if n % 5
        else [n, None]
        for n in range(row_count)
    ]
    return (top + rows)[:row_count]


@pytest.mark.parametrize(
    "row_count",
    [0, 1, 17, DIGEST_ROWS, DIGEST_ROWS + 1, 2 * DIGEST_ROWS + 20],
    ids=["empty", "banner", "top-block", "one-block", "block-and-row", "three-blocks"],
)
def test_digest_hashed_while_rendering(row_count: int) -> None:
    grid = mixed_grid(row_count)
    digest = GridDigest()

    write_tab(
        GeneratedTab("T", grid),
        StyleSheet(DEFAULT_STYLES, "w"),
        lambda _block: None,
        digest=digest,
    )

    assert digest.hexdigest() == grid_digest(grid)


def test_table_header_frozen_bold_and_filtered() -> None:
    grid: list[list[CellValue]] = [
        ["Banner"],
        [],
        ["Row", "Days"],
        [4, 1200],
        [5, 2.5],
    ]
    tab = GeneratedTab("Log", grid, plain_number_columns=frozenset([0]))
    styles = StyleSheet(DEFAULT_STYLES, "w")

    xml = render_tab(tab, styles).decode()

    assert '<pane ySplit="3" topLeftCell="A4" activePane="bottomLeft" ' in xml
    assert '<selection pane="bottomLeft" activeCell="A4" sqref="A4"/>' in xml
    assert '<row r="3"><c r="A3" s="1" t="inlineStr">' in xml
    assert '<c r="B3" s="1" t="inlineStr">' in xml
    assert '</sheetData><autoFilter ref="A3:B5"/><pageMargins ' in xml
    # Row numbers keep General; the whole and the decimal number get the
    # built-in formats #,##0 (3) and #,##0.00 (4).
    assert '<c r="A4"><v>4</v></c>' in xml
    assert '<c r="B4" s="2"><v>1200</v></c>' in xml
    assert '<c r="B5" s="3"><v>2.5</v></c>' in xml
    assert '<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" ' in (
        styles.text
    )
    assert '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" ' in (
        styles.text
    )


@pytest.mark.parametrize(
    ("grid", "header_row", "filter_rows"),
    [
        ([["Banner"], [], ["Row", "Deal"], [1, "D-1"]], 2, (2, 3)),
        ([["Banner"], [], ["Row", "Deal"], [1, "D-1"], [], ["A", "B"]], 2, None),
        ([["Banner"], [], ["Row", "Deal"]], 2, None),
        ([["Banner"], ["Title"], ["Stage", 4], ["Stage", "Deals"]], 3, None),
        ([["Banner"], *([] for _ in range(12)), ["Row", "Deal"], [1, 2]], 0, None),
        ([["Stage", "Deals"], ["Lead", 4]], 0, None),
        ([], 0, None),
    ],
    ids=[
        "one-table",
        "two-tables",
        "header-only",
        "title-and-numbers-above",
        "header-too-low",
        "no-banner",
        "empty",
    ],
)
def test_header_and_filter_rows_found(
    grid: list[list[CellValue]],
    header_row: int,
    filter_rows: tuple[int, int] | None,
) -> None:
    tab = GeneratedTab("T", grid)

    assert tab.header_row == header_row
    assert tab.filter_rows == filter_rows
