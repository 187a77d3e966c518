"""pipesheet's Excel highlight rules: not the user's, and on the status column."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font

from config.models import Pipeline
from sync.xlsx.markup import unescape
from sync.xlsx.package import Package
from sync.xlsx.workbook_parts import WorkbookParts
from tests.sync.test_doctor import lines, run_doctor
from tests.sync.test_run import english, run_once, without_highlights

__all__ = ["english"]

ERROR_TEST = 'LEFT($R4,7)="ERROR: "'
# The block a run writes on the English starter workbook's Deals tab, whose
# deals are on rows 4 to 18 and whose status column is R.
OWN_BLOCK = ("A4:R18", [ERROR_TEST, 'LEFT($R4,6)="WARN: "'])


def highlight_blocks(path: Path) -> list[tuple[str, list[str]]]:
    """Return the range and formulas of each conditionalFormatting element of Deals.

    The sheet XML is read, because openpyxl merges elements of the same range.
    """
    with Package(path) as package:
        sheet = WorkbookParts(package).find_sheet("Deals")
        assert sheet is not None and sheet.part is not None
        xml = package.read(sheet.part).decode()
    blocks = re.findall(r'<conditionalFormatting sqref="([^"]+)">(.*?)</cond', xml)
    return sorted(
        (sqref, [unescape(text) for text in re.findall(r"<formula>(.*?)</", rules)])
        for sqref, rules in blocks
    )


def add_user_rule(path: Path, sqref: str) -> None:
    """Add the rep's rule with pipesheet's error test in a red bold font.

    It also fills the missing amount of D-1009 on row 12, so a status changes.
    """
    book = openpyxl.load_workbook(path)
    deals = book["Deals"]
    rule = FormulaRule(formula=[ERROR_TEST], font=Font(b=True, color="FFFF0000"))
    deals.conditional_formatting.add(sqref, rule)
    deals["E12"] = 5000
    book.save(path)


@pytest.mark.parametrize(
    "sqref", ["A4:A18", "A4:R18"], ids=["other-range", "other-format"]
)
def test_user_rule_with_status_formula_kept(
    english: tuple[Path, Pipeline], sqref: str
) -> None:
    path, pipeline = english
    run_once(path, pipeline)
    add_user_rule(path, sqref)

    result = run_once(path, pipeline)

    assert result.report is not None
    assert result.report.status_cells_written == 1
    assert highlight_blocks(path) == sorted([OWN_BLOCK, (sqref, [ERROR_TEST])])


def test_highlights_off_keeps_user_rule(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english
    run_once(path, pipeline)
    add_user_rule(path, "A4:A18")

    run_once(path, without_highlights(pipeline))

    assert highlight_blocks(path) == [("A4:A18", [ERROR_TEST])]


def delete_notes_column(path: Path) -> None:
    """Delete column Q with openpyxl, which leaves conditional formats as they were."""
    book = openpyxl.load_workbook(path)
    book["Deals"].delete_cols(17)
    book.save(path)


def test_rules_on_old_status_column_rewritten(
    english: tuple[Path, Pipeline],
) -> None:
    path, pipeline = english
    run_once(path, pipeline)
    delete_notes_column(path)
    assert highlight_blocks(path) == [OWN_BLOCK]

    result = run_once(path, pipeline)
    written = path.read_bytes()
    again = run_once(path, pipeline)

    assert result.report is not None
    assert result.report.status_cells_written == 0
    assert result.plan.add_highlights
    assert highlight_blocks(path) == [
        ("A4:Q18", ['LEFT($Q4,7)="ERROR: "', 'LEFT($Q4,6)="WARN: "'])
    ]
    assert again.report is None
    assert path.read_bytes() == written


def test_doctor_warns_of_rules_on_old_column(english: tuple[Path, Pipeline]) -> None:
    path, pipeline = english
    run_once(path, pipeline)
    delete_notes_column(path)

    result = run_doctor("b2b-en", "--source", str(path))

    status = next(line for line in lines(result) if "Status" in line[:16])
    assert status.startswith("! Status        ")
    assert (
        "pipesheet's highlight rules read column R, not the status column Q" in status
    )
    assert result.exit_code == 0
