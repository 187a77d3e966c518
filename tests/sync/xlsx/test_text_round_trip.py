"""Cell text written by the patcher reads back (python-calamine) as planned."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.grid import CellValue
from sync.plan import GeneratedTab
from sync.planner import XML_ILLEGAL_CHARACTERS
from sync.xlsx.edits import WorkbookEdits
from sync.xlsx.workbook_patch import patch_workbook
from tests.sync.xlsx.packages import column_values

STATUS_COLUMN = 4
# Text a cell of the pipeline tab can contain, which a status or the Problems tab
# may repeat.
TEXTS = [
    "bell\x07 and nul\x00 and unit separator\x1f",
    "_x0041_ typed as text",
    "_x005F_x0041_ typed as text",
    "_x00e9_ in lowercase",
    "_x0041\x07",
    "lines\r\nwith\rreturns\nand\ttabs",
    "markup <b> & \"quotes\" 'apostrophes'",
    "错误：未知阶段“试用\x0b”",
]
TEXT_IDS = [
    "control-characters",
    "escape-lookalike",
    "escaped-lookalike",
    "lowercase-lookalike",
    "lookalike-ended-by-control-character",
    "carriage-returns",
    "markup",
    "chinese-status",
]


@pytest.fixture
def written(xlsxwriter_workbook: Path) -> Path:
    """Patch every text into the status column and into a Problems tab."""
    statuses = {row: text for row, text in enumerate(TEXTS, start=2)}
    grid: list[list[CellValue]] = [["Value"]]
    grid.extend([text] for text in TEXTS)
    problems = GeneratedTab("Problems", grid)
    edits = WorkbookEdits(
        "Deals",
        STATUS_COLUMN,
        1,
        "Status",
        status_cells=statuses,
        generated_tabs=[problems],
    )
    target = xlsxwriter_workbook.with_name("written.xlsx")
    patch_workbook(xlsxwriter_workbook, target, edits)
    return target


@pytest.mark.parametrize("index", range(len(TEXTS)), ids=TEXT_IDS)
def test_status_reads_back_exactly(written: Path, index: int) -> None:
    # The planner compares a status cell's text with the new status as is.
    statuses = column_values(written, "Deals", STATUS_COLUMN)

    assert statuses[index + 1] == TEXTS[index]


@pytest.mark.parametrize("index", range(len(TEXTS)), ids=TEXT_IDS)
def test_tab_text_reads_back_as_planner_expects(written: Path, index: int) -> None:
    # The planner compares tabs after replacing invalid characters with U+FFFD.
    expected = XML_ILLEGAL_CHARACTERS.sub("\ufffd", TEXTS[index])

    values = column_values(written, "Problems", 0)

    assert values[index + 1] == expected
