"""A second sync run on a workbook the patcher wrote: nothing churns or piles up."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from config.loader import load_pipeline
from config.models import Locale, Pipeline
from config.shipped import shipped_definition
from sync.run import RunResult, run_sync
from sync.sources.excel import ExcelWorkbook
from sync.starter import build_starter_workbook
from tests.sync.xlsx.packages import read_part

AS_OF = dt.date(2025, 9, 30)
DEFINITIONS = {Locale.EN: "b2b-en", Locale.ZH_CN: "sales-zh"}
DEALS_TAB = {Locale.EN: "Deals", Locale.ZH_CN: "商机"}
PROBLEMS_TAB = {Locale.EN: "Problems", Locale.ZH_CN: "问题清单"}
# The starter's status column is R, after Notes in Q; its deals start on row 4.
STATUS_COLUMN = 17
# Stage and owner cells of the first two deals, and the text put there as the
# XML of the sheet stores it.
STAGE_CELL = "D4"
OWNER_CELL = "C5"
STAGE_XML = b"Bell_x0007_x"
OWNER_XML = b"Own_x0001_er _x005F_x0041_"
STAGE_TEXT = "Bell\x07x"
OWNER_TEXT = "Own\x01er _x0041_"


def build_workbook(folder: Path, locale: Locale) -> tuple[Path, Pipeline]:
    path = build_starter_workbook(folder / "pipeline.xlsx", locale, as_of=AS_OF)
    return path, load_pipeline(shipped_definition(DEFINITIONS[locale]))


def run_once(path: Path, pipeline: Pipeline) -> RunResult:
    return run_sync(pipeline, ExcelWorkbook(path), AS_OF)


def put_escaped_text(path: Path, tab: str) -> None:
    """Put control characters and an escape lookalike into two cells of ``tab``.

    openpyxl rejects control characters, so the cells get markers that are then
    replaced in the package's XML by the text Excel would store.
    """
    workbook = openpyxl.load_workbook(path)
    workbook[tab][STAGE_CELL] = "MARKER-STAGE"
    workbook[tab][OWNER_CELL] = "MARKER-OWNER"
    workbook.save(path)

    edited = path.with_name("edited.xlsx")
    with zipfile.ZipFile(path) as original, zipfile.ZipFile(edited, "w") as copy:
        for info in original.infolist():
            content = original.read(info)
            content = content.replace(b"MARKER-STAGE", STAGE_XML)
            content = content.replace(b"MARKER-OWNER", OWNER_XML)
            copy.writestr(info, content)
    shutil.move(edited, path)


def highlight_formulas(path: Path) -> list[str]:
    sheet = read_part(path, "xl/worksheets/sheet1.xml")
    return re.findall(r"<formula>(LEFT\(.*?)</formula>", sheet)


@pytest.mark.parametrize("locale", [Locale.EN, Locale.ZH_CN], ids=["en", "zh"])
def test_escaped_text_plans_no_change(tmp_path: Path, locale: Locale) -> None:
    path, pipeline = build_workbook(tmp_path, locale)
    put_escaped_text(path, DEALS_TAB[locale])
    run_once(path, pipeline)
    before = path.read_bytes()

    result = run_once(path, pipeline)

    assert result.plan.status_cells == []
    assert result.plan.tabs == []
    assert result.report is None
    assert path.read_bytes() == before


def test_status_keeps_control_characters(tmp_path: Path) -> None:
    path, pipeline = build_workbook(tmp_path, Locale.ZH_CN)
    put_escaped_text(path, DEALS_TAB[Locale.ZH_CN])

    run_once(path, pipeline)

    grid = ExcelWorkbook(path).read_tab(DEALS_TAB[Locale.ZH_CN])
    assert grid.cell(4, STATUS_COLUMN) == f"错误：未知阶段“{STAGE_TEXT}”"
    assert grid.cell(5, STATUS_COLUMN) == (
        f"错误：负责人“{OWNER_TEXT}”不在列表中（另有 1 项）"
    )


def test_problems_tab_shows_replacement_character(tmp_path: Path) -> None:
    path, pipeline = build_workbook(tmp_path, Locale.EN)
    put_escaped_text(path, DEALS_TAB[Locale.EN])

    run_once(path, pipeline)

    problems = ExcelWorkbook(path).read_tab(PROBLEMS_TAB[Locale.EN])
    values = {row[4] for row in problems.rows if len(row) > 4}
    assert "Bell\ufffdx" in values
    assert "Own\ufffder _x0041_" in values


def test_locale_switch_replaces_highlights(tmp_path: Path) -> None:
    path, chinese = build_workbook(tmp_path, Locale.ZH_CN)
    run_once(path, chinese)
    english_outputs = chinese.outputs.model_copy(update={"locale": Locale.EN})
    english = chinese.model_copy(update={"outputs": english_outputs})

    run_once(path, english)

    assert highlight_formulas(path) == [
        'LEFT($R4,7)="ERROR: "',
        'LEFT($R4,6)="WARN: "',
    ]
