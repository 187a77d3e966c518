"""Text cut to fit one spreadsheet cell, with a count of what was left out."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from rules.grid import CellValue
from sync.cell_text import MAX_CELL_TEXT, fit_cell_text, fit_tab_texts
from sync.plan import GeneratedTab
from tests.sync.test_cli import AS_OF, invoke, write_tiny


@pytest.mark.parametrize(
    ("length", "limit", "kept", "mark"),
    [
        (40_000, 32_767, 32_742, "… (7,258 more characters)"),
        (32_768, 32_767, 32_745, "… (23 more characters)"),
        (60_000, 50_000, 49_974, "… (10,026 more characters)"),
    ],
    ids=["excel", "one-over", "google"],
)
def test_long_text_cut_to_limit(length: int, limit: int, kept: int, mark: str) -> None:
    cut = fit_cell_text("x" * length, limit)

    assert len(cut) == limit
    assert cut == "x" * kept + mark


EMOJI = "\U0001f600"


def utf16_length(text: str) -> int:
    """Return the length of ``text`` as Excel's LEN counts it."""
    return len(text.encode("utf-16-le")) // 2


def test_emoji_count_two_code_units() -> None:
    cut = fit_cell_text(EMOJI * 20_000)

    assert cut == EMOJI * 16_371 + "… (3,629 more characters)"
    assert utf16_length(cut) == MAX_CELL_TEXT


@pytest.mark.parametrize("odd", [0, 1], ids=["pair-at-limit", "pair-over-limit"])
def test_cut_never_splits_surrogate_pair(odd: int) -> None:
    text = "x" * odd + EMOJI * 20_000

    cut = fit_cell_text(text)

    assert utf16_length(cut) <= MAX_CELL_TEXT
    assert cut.encode("utf-16-le").decode("utf-16-le") == cut
    assert cut.startswith("x" * odd + EMOJI * 16_370)


def test_emoji_text_under_limit_kept() -> None:
    text = EMOJI * 16_383

    assert fit_cell_text(text) is text


def test_mixed_text_over_limit_cut() -> None:
    # 20,500 code points and 32,800 UTF-16 code units: over the limit.
    text = "a" * 8_200 + EMOJI * 12_300

    cut = fit_cell_text(text)

    # The last emoji that would cross the limit is left out whole.
    assert utf16_length(cut) == MAX_CELL_TEXT - 1
    assert cut.endswith(EMOJI + "… (28 more characters)")


def test_tab_emoji_text_cut() -> None:
    tab = GeneratedTab("Problems", [["banner"], [1, EMOJI * 16_400]])

    grid = fit_tab_texts(tab).grid

    assert utf16_length(str(grid[1][1])) <= MAX_CELL_TEXT


def test_text_at_limit_kept() -> None:
    text = "x" * MAX_CELL_TEXT

    assert fit_cell_text(text) is text


def test_tab_without_long_text_kept() -> None:
    tab = GeneratedTab("Problems", [["banner"], [1, "short", None]])

    assert fit_tab_texts(tab) is tab


def test_tab_long_text_cut() -> None:
    tab = GeneratedTab("Problems", [["banner"], [1, "x" * 40_000, None]])

    grid = fit_tab_texts(tab).grid

    assert grid[0] == ["banner"]
    assert grid[1][0] == 1
    assert grid[1][1] == "x" * 32_742 + "… (7,258 more characters)"
    assert grid[1][2] is None


def test_excel_problems_message_cut_with_mark(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_tiny([["Deal ID", "Stage", "Amount"], ["D-1", "x" * 30_000, 100]])

    result = invoke("run", "tiny.yaml", "--as-of", AS_OF)

    assert result.exit_code == 0
    workbook = openpyxl.load_workbook("tiny.xlsx", read_only=True)
    problems = list(workbook["Problems"].iter_rows(min_row=4, values_only=True))
    workbook.close()
    message = problems[0][7]
    assert isinstance(message, str)
    assert len(message) == MAX_CELL_TEXT
    assert message.endswith(" more characters)")


@pytest.mark.parametrize(
    "column",
    [
        ["short", "x" * 40_000, "short"],
        [None, "x" * 40_000, ""],
        [7, "x" * 40_000, 2.5],
    ],
    ids=["texts", "texts-and-blanks", "texts-and-numbers"],
)
def test_tab_long_text_cut_in_any_column(column: list[CellValue]) -> None:
    rows: list[list[CellValue]] = [["banner"], *([1, value] for value in column)]

    grid = fit_tab_texts(GeneratedTab("Problems", rows)).grid

    assert grid[2][1] == "x" * 32_742 + "… (7,258 more characters)"
    assert grid[1][1] == column[0]
    assert grid[3][1] == column[2]


def test_tab_many_rows_long_text_cut() -> None:
    rows: list[list[CellValue]] = [[row, "short"] for row in range(2_000)]
    rows[1_500][1] = "x" * 40_000

    grid = fit_tab_texts(GeneratedTab("Problems", rows)).grid

    assert grid[1_500][1] == "x" * 32_742 + "… (7,258 more characters)"
    assert grid[1_499][1] == "short"
