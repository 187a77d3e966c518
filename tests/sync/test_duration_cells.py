"""Duration cells (Excel's [h]:mm:ss) are read as text, never a crash."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from config.loader import load_pipeline
from config.shipped import shipped_definition
from rules.findings import Code
from sync.run import run_sync
from sync.sources.excel import ExcelWorkbook
from sync.starter import build_starter_workbook

AS_OF = dt.date(2025, 9, 30)


def test_duration_cell_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "durations.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Deals"
    workbook.active.append(["Deal ID", "Call length"])
    workbook.active.append(["D-1", dt.timedelta(days=1, hours=2, minutes=5)])
    workbook.save(path)

    grid = ExcelWorkbook(path).read_tab("Deals")

    assert grid.rows[1] == ["D-1", "26:05:00"]


def test_duration_in_date_column_is_finding(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.xlsx"
    build_starter_workbook(
        path,
        locale=load_pipeline(shipped_definition("b2b-en")).outputs.locale,
        as_of=AS_OF,
    )
    workbook = openpyxl.load_workbook(path)
    workbook["Deals"]["L4"] = dt.timedelta(hours=3)
    workbook.save(path)
    pipeline = load_pipeline(shipped_definition("b2b-en"))

    result = run_sync(pipeline, ExcelWorkbook(path), AS_OF, dry_run=True)

    bad_dates = [f for f in result.findings if f.code is Code.BAD_DATE and f.row == 4]
    # The column's date format makes calamine read the value as a time of day.
    assert [f.value for f in bad_dates] == ["03:00"]
