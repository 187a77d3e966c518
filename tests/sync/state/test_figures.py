"""Tests of the run figures taken from a sync run's result."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from config.loader import load_pipeline
from config.models import Locale
from config.shipped import shipped_definition
from sync.run import RunResult, run_sync
from sync.sources.excel import ExcelWorkbook
from sync.starter import build_starter_workbook
from sync.state.figures import run_figures

AS_OF = dt.date(2025, 9, 30)


def run_starter(folder: Path, *, dry_run: bool) -> RunResult:
    path = build_starter_workbook(folder / "pipeline.xlsx", Locale.EN, as_of=AS_OF)
    pipeline = load_pipeline(shipped_definition("b2b-en"))
    return run_sync(pipeline, ExcelWorkbook(path), AS_OF, dry_run=dry_run)


def test_figures_of_written_run(tmp_path: Path) -> None:
    result = run_starter(tmp_path, dry_run=False)
    assert result.report is not None

    figures = run_figures(result)

    assert figures["deals"] == 15
    assert figures["status_cells_written"] == 15
    assert figures["tabs_written"] == [
        "Funnel",
        "Follow-ups",
        "Problems",
        "Definitions",
    ]
    assert figures["bytes_written"] == result.report.bytes_written
    assert figures["api_requests"] == result.report.requests


def test_figures_count_findings_by_severity(tmp_path: Path) -> None:
    figures = run_figures(run_starter(tmp_path, dry_run=True))

    # The starter's example deals on AS_OF. Errors: an unknown owner, a missing
    # amount, a bad date. Warnings: two overdue follow-ups, an idle deal, a
    # passed close date. Infos: five follow-ups due soon.
    assert figures["errors"] == 3
    assert figures["warnings"] == 4
    assert figures["infos"] == 5


def test_figures_of_dry_run_write_nothing(tmp_path: Path) -> None:
    figures = run_figures(run_starter(tmp_path, dry_run=True))
    assert figures["status_cells_written"] == 0
    assert figures["tabs_written"] == []
    assert figures["api_requests"] == 0
    assert figures["bytes_written"] == 0
