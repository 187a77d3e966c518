"""Generated tabs whose columns fit their texts, so no label is cut unmarked."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from rules.grid import CellValue
from sync.cell_text import (
    MAX_CELL_TEXT,
    WIDEST_COLUMN,
    display_width,
    explanation_lines,
    fit_tab,
    fit_tab_texts,
    with_content_widths,
)
from sync.plan import GeneratedTab
from tests.sync.test_cli import invoke


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Build each demo in the test's own folder."""
    monkeypatch.chdir(tmp_path)


def demo_workbook() -> Path:
    """Return the demo's workbook, named in the demo's language."""
    [path] = Path("demo").glob("*.xlsx")
    return path


def generated_tabs() -> list[str]:
    """Return the demo's generated tabs: Funnel, Follow-ups, Problems,
    Definitions and Stage log, in the workbook's language."""
    workbook = openpyxl.load_workbook(demo_workbook(), read_only=True)
    names = workbook.sheetnames[-5:]
    workbook.close()
    return names


def test_display_width_counts_wide_characters_two() -> None:
    assert display_width("Won deals") == 9
    assert display_width("赢单数 2026-11") == 14
    assert display_width("ＡＢ") == 4


def test_label_column_as_wide_as_longest_label() -> None:
    tab = GeneratedTab(
        "Review",
        [
            ["A banner much longer than any label, alone in its row"],
            ["Figure", "Value"],
            ["“预计成交日期”在 2026-11 且无阶段变化记录的赢单数", 2],
            ["Won deals", 1],
        ],
        column_widths=[28, 16],
    )

    widths = with_content_widths(tab).column_widths

    # 49 columns of text plus a margin of 2; the banner spills to the right.
    assert widths == [51, 16]


def test_last_cell_of_row_is_not_measured() -> None:
    tab = GeneratedTab(
        "Follow-ups",
        [["Owner", "Next step"], ["Ana", "x" * 300], ["Ben Ortiz-Lima", None]],
        column_widths=[18, 60],
    )

    assert with_content_widths(tab).column_widths == [16, 60]


@pytest.mark.parametrize(
    ("column", "width"),
    [
        ([1, 250_000, None], 9),
        ([1.5, -1_234_567.891], 15),
        (["text", 12, None], 6),
        (["x" * 300, "y"], WIDEST_COLUMN),
    ],
    ids=["ints", "floats", "mixed", "capped"],
)
def test_column_width_of_each_kind(column: list[CellValue], width: int) -> None:
    grid: list[list[CellValue]] = [["Head", "Last"]]
    grid.extend([value, "last"] for value in column)

    assert with_content_widths(GeneratedTab("T", grid)).column_widths[0] == width


LONG = "x" * (MAX_CELL_TEXT + 10)


@pytest.mark.parametrize(
    "grid",
    [
        [["Banner"], ["ID", "Message"], ["D-1", LONG]],
        [[LONG], ["ID", "Message"], ["D-1", "short"]],
        [["Banner"], ["ID", "Message"], [LONG, "short"]],
        [["Banner"], ["ID", "Message", "Note"], ["D-1", "short"]],
        [["ID", "Count"], ["D-1", 3], ["D-2", None]],
    ],
    ids=["last-cell", "one-cell-row", "measured-cell", "all-fit", "numbers"],
)
def test_fit_tab_cuts_and_widens_as_both_steps(grid: list[list[CellValue]]) -> None:
    tab = GeneratedTab("Problems", grid, column_widths=[10, 12])

    fitted = fit_tab(tab)
    expected = with_content_widths(fit_tab_texts(tab))

    assert fitted.grid == expected.grid
    assert fitted.column_widths == expected.column_widths
    assert all(
        len(value) <= MAX_CELL_TEXT
        for row in fitted.grid
        for value in row
        if isinstance(value, str)
    )


def test_explanation_breaks_at_spaces_or_between_chinese_characters() -> None:
    english = explanation_lines("word " * 50, width=30)
    chinese = explanation_lines("阶段" * 40, width=30)

    assert english[0] == "word word word word word word"
    assert all(display_width(line) <= 30 for line in english + chinese)
    assert "".join(chinese) == "阶段" * 40
    assert chinese[0] == "阶段" * 7 + "阶"


def cut_cells(path: Path, tabs: list[str]) -> list[str]:
    """Return the text cells of ``tabs`` wider than their column, with a filled
    cell to their right, so that the sheet cuts them at the column's edge."""
    workbook = openpyxl.load_workbook(path)
    cut = []
    for name in tabs:
        sheet = workbook[name]
        for row in sheet.iter_rows():
            for cell, after in zip(row, row[1:], strict=False):
                if not isinstance(cell.value, str) or after.value is None:
                    continue
                letter = get_column_letter(cell.column)
                width = sheet.column_dimensions[letter].width
                if display_width(cell.value) > width:
                    cut.append(f"{name}!{cell.coordinate}: {cell.value}")
    workbook.close()
    return cut


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_demo_tabs_cut_no_text(lang: str) -> None:
    invoke("demo", "--folder", "demo", "--lang", lang, "-q")

    assert cut_cells(demo_workbook(), generated_tabs()) == []


@pytest.mark.parametrize(
    ("lang", "owner_header", "headers"),
    [
        ("en", "Owner", ("Days overdue", "Days left")),
        ("zh", "负责人", ("逾期天数", "剩余天数")),
    ],
)
def test_demo_owner_on_problems_and_no_negative_days(
    lang: str, owner_header: str, headers: tuple[str, str]
) -> None:
    invoke("demo", "--folder", "demo", "--lang", lang, "-q")

    _, followups_tab, problems_tab, _, _ = generated_tabs()
    workbook = openpyxl.load_workbook(demo_workbook())
    problems = list(workbook[problems_tab].iter_rows(min_row=3, values_only=True))
    followups = list(workbook[followups_tab].iter_rows(min_row=3, values_only=True))
    workbook.close()
    assert problems[0][2] == owner_header
    assert any(row[2] for row in problems[1:])
    overdue, left = (followups[0].index(header) for header in headers)
    days = [row[index] for row in followups[1:] for index in (overdue, left)]
    assert [day for day in days if day is not None and day < 0] == []  # type: ignore[operator]
    assert all((row[overdue] is None) != (row[left] is None) for row in followups[1:])


def test_explanation_wider_character_than_width() -> None:
    # A Chinese character is 2 columns wide, more than a width of 1.
    assert explanation_lines("阶段", 1) == ["阶", "段"]
