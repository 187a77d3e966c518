from __future__ import annotations

import pytest

from tests.fake_sheets.a1 import (
    Bounds,
    RangeRef,
    column_index,
    column_letters,
    format_range,
    parse_cells,
    quote_title,
    split_range,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A1", Bounds(0, 1, 0, 1)),
        ("B2:A1", Bounds(0, 2, 0, 2)),
        ("A:C", Bounds(None, None, 0, 3)),
        ("2:5", Bounds(1, 5, None, None)),
        ("A5:A", Bounds(4, None, 0, 1)),
        ("A1:1", Bounds(0, 1, 0, None)),
        ("$B$3", Bounds(2, 3, 1, 2)),
        ("r2c3:R4C5", Bounds(1, 4, 2, 5)),
        ("zz10", Bounds(9, 10, 701, 702)),
    ],
    ids=[
        "cell",
        "reversed",
        "columns",
        "rows",
        "open-bottom",
        "open-right",
        "absolute",
        "r1c1",
        "lowercase",
    ],
)
def test_parse_cells_reads_a1_forms(text: str, expected: Bounds) -> None:
    assert parse_cells(text) == expected


@pytest.mark.parametrize(
    "text",
    ["NamedRange", "A0", "A", "A1:B2:C3", "AAAA1", ""],
    ids=["name", "row-zero", "lone-column", "three-parts", "four-letters", "empty"],
)
def test_parse_cells_rejects_non_a1(text: str) -> None:
    assert parse_cells(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'My ''tab'''!A1", RangeRef("My 'tab'", "A1")),
        ("'Sheet1'", RangeRef("Sheet1", None)),
        ("Sheet1!A1:B2", RangeRef("Sheet1", "A1:B2")),
        ("🌵 test 1!A:A", RangeRef("🌵 test 1", "A:A")),
        ("Deals", RangeRef(None, "Deals")),
        ("a!b!C3", RangeRef("a!b", "C3")),
    ],
    ids=["quoted", "quoted-sheet-only", "bare", "emoji", "no-sheet", "bang-in-title"],
)
def test_split_range_separates_sheet_and_cells(text: str, expected: RangeRef) -> None:
    assert split_range(text) == expected


@pytest.mark.parametrize(
    "text",
    ["'unterminated", "!A1", "'tab'A1", "'tab'!", "Sheet1!"],
    ids=[
        "unterminated",
        "no-title",
        "no-bang",
        "quoted-empty-cells",
        "bare-empty-cells",
    ],
)
def test_split_range_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError):
        split_range(text)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Sheet1", "Sheet1"),
        ("D3", "'D3'"),
        ("R1C1", "'R1C1'"),
        ("My tab", "'My tab'"),
        ("It's", "'It''s'"),
        ("Лист1", "Лист1"),
        ("1st", "'1st'"),
        ("🌵", "'🌵'"),
    ],
    ids=[
        "simple",
        "cell-like",
        "r1c1-like",
        "space",
        "quote",
        "cyrillic",
        "digit-first",
        "emoji",
    ],
)
def test_quote_title_quotes_only_when_needed(title: str, expected: str) -> None:
    assert quote_title(title) == expected


@pytest.mark.parametrize(
    ("index", "letters"),
    [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (18277, "ZZZ")],
    ids=["A", "Z", "AA", "ZZ", "ZZZ"],
)
def test_column_letters_round_trip(index: int, letters: str) -> None:
    assert column_letters(index) == letters
    assert column_index(letters) == index


def test_format_range_writes_single_cell_short() -> None:
    assert format_range("D3", 1, 2, 1, 2) == "'D3'!B2"


def test_format_range_writes_rectangle() -> None:
    assert format_range("Sheet1", 0, 4, 0, 4) == "Sheet1!A1:D4"
