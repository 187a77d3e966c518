"""Warnings for generated tabs edited by hand since pipesheet wrote them."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import openpyxl
import pytest

from config.loader import load_pipeline
from config.models import Locale, Pipeline
from config.shipped import shipped_definition
from sync.atomic import list_backups
from sync.edited_tabs import describe_edited_tabs
from sync.run import RunResult, run_sync
from sync.sources.excel import ExcelWorkbook
from sync.starter import build_starter_workbook

AS_OF = dt.date(2025, 9, 30)
NEXT_DAY = AS_OF + dt.timedelta(days=1)


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, Pipeline]:
    """Return a starter workbook after a first run, and its definition."""
    path = build_starter_workbook(tmp_path / "pipeline.xlsx", Locale.EN, as_of=AS_OF)
    pipeline = load_pipeline(shipped_definition("b2b-en"))
    run_sync(pipeline, ExcelWorkbook(path), AS_OF)
    return path, pipeline


def edit_funnel_and_followups(path: Path) -> None:
    """Type over a Funnel figure and add a notes column to Follow-ups."""
    book = openpyxl.load_workbook(path)
    funnel = book["Funnel"]
    figure = next(
        cell
        for row in funnel.iter_rows()
        for cell in row
        if isinstance(cell.value, int) and cell.value > 0
    )
    figure.value = 999999
    followups = book["Follow-ups"]
    followups.cell(3, followups.max_column + 1, "Rep notes")
    book.save(path)


def save_again(path: Path) -> None:
    """Save the workbook again as another program does, with nothing changed."""
    openpyxl.load_workbook(path).save(path)


def edit_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if "since pipesheet wrote" in record.getMessage()
    ]


def run_logged(
    caplog: pytest.LogCaptureFixture,
    path: Path,
    pipeline: Pipeline,
    as_of: dt.date,
    *,
    dry_run: bool = False,
) -> RunResult:
    with caplog.at_level(logging.WARNING, logger="sync.run"):
        return run_sync(pipeline, ExcelWorkbook(path), as_of, dry_run=dry_run)


def test_edited_tabs_named_with_backup(
    written: tuple[Path, Pipeline], caplog: pytest.LogCaptureFixture
) -> None:
    path, pipeline = written
    edit_funnel_and_followups(path)

    result = run_logged(caplog, path, pipeline, AS_OF)

    backup = list_backups(path)[0]
    assert result.report is not None
    assert sorted(result.report.tabs_written) == ["Follow-ups", "Funnel"]
    assert edit_warnings(caplog) == [
        (
            "Workbook 'pipeline.xlsx': generated tabs 'Funnel' and 'Follow-ups' "
            "were changed since pipesheet wrote them (edited or sorted), and this "
            f"run replaced them. The changed version is kept in {backup}. "
            "pipesheet rewrites its generated tabs on every run, so keep notes on "
            "a tab of your own; a sort lasts until the next run."
        )
    ]
    kept_row = openpyxl.load_workbook(backup)["Follow-ups"][3]
    assert "Rep notes" in [cell.value for cell in kept_row]


def test_edited_tabs_named_before_dry_run(
    written: tuple[Path, Pipeline], caplog: pytest.LogCaptureFixture
) -> None:
    path, pipeline = written
    edit_funnel_and_followups(path)

    result = run_logged(caplog, path, pipeline, AS_OF, dry_run=True)

    assert result.report is None
    assert edit_warnings(caplog) == [
        (
            "Workbook 'pipeline.xlsx': generated tabs 'Funnel' and 'Follow-ups' "
            "were changed since pipesheet wrote them (edited or sorted), and a run "
            "will replace them. pipesheet rewrites its generated tabs on every "
            "run, so keep notes on a tab of your own; a sort lasts until the next "
            "run."
        )
    ]


def test_saved_again_next_day_not_edited(
    written: tuple[Path, Pipeline], caplog: pytest.LogCaptureFixture
) -> None:
    path, pipeline = written
    save_again(path)

    result = run_logged(caplog, path, pipeline, NEXT_DAY)

    assert result.report is not None
    assert "Follow-ups" in result.report.tabs_written
    assert edit_warnings(caplog) == []


def test_next_day_not_edited(
    written: tuple[Path, Pipeline], caplog: pytest.LogCaptureFixture
) -> None:
    path, pipeline = written

    result = run_logged(caplog, path, pipeline, NEXT_DAY)

    assert result.report is not None
    assert "Follow-ups" in result.report.tabs_written
    assert edit_warnings(caplog) == []


def test_edits_kept_with_output_file(
    written: tuple[Path, Pipeline],
    caplog: pytest.LogCaptureFixture,
) -> None:
    path, pipeline = written
    edit_funnel_and_followups(path)
    source = ExcelWorkbook(path, output=path.with_name("out.xlsx"))

    with caplog.at_level(logging.WARNING, logger="sync.run"):
        run_sync(pipeline, source, AS_OF)

    assert edit_warnings(caplog) == []


def test_edited_tab_message_without_backup() -> None:
    message = describe_edited_tabs("a.xlsx", ["Funnel"], written=True, backup=None)

    assert message == (
        "Workbook 'a.xlsx': generated tab 'Funnel' was changed since pipesheet "
        "wrote it (edited or sorted), and this run replaced it. No backup of the "
        "changed version was kept. pipesheet rewrites its generated tabs on "
        "every run, so keep notes on a tab of your own; a sort lasts until the "
        "next run."
    )
