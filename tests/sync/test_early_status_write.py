"""The status column patched in a child while the run still makes its tabs."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import time
import zipfile
from pathlib import Path

import pytest

from config.errors import WorkbookBusyError
from config.models import Locale, Pipeline
from sync import run
from sync.forked import PARALLEL_VARIABLE
from sync.plan import GeneratedTab
from sync.run import run_sync
from sync.sources import excel
from sync.sources.base import EarlyWriteSource
from sync.sources.excel import ExcelWorkbook
from sync.xlsx import workbook_patch
from sync.xlsx.workbook_patch import EarlySheetPatch
from tests.sync.test_excel_source import (
    build_pipeline_workbook,
    make_plan,
    read_statuses,
    saved_edit,
)
from tests.sync.test_run import AS_OF, build_workbook

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="the write forks a child only on Linux"
)


@pytest.fixture
def forks(forks: list[int], monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Let every sheet be patched in a child; return the children's process ids."""
    monkeypatch.setattr(workbook_patch, "CHILD_SHEET_BYTES", 0)
    return forks


@pytest.fixture
def english(tmp_path: Path) -> tuple[Path, Pipeline]:
    return build_workbook(tmp_path, Locale.EN)


def member_checksums(path: Path) -> dict[str, int]:
    with zipfile.ZipFile(path) as package:
        return {member.filename: member.CRC for member in package.infolist()}


def run_alone(path: Path, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run on a copy of ``path`` in one process; return the copy."""
    copy = Path(shutil.copy(path, path.with_name("alone.xlsx")))
    with monkeypatch.context() as patch:
        patch.setenv(PARALLEL_VARIABLE, "0")
        run_sync(pipeline, ExcelWorkbook(copy), AS_OF)
    return copy


def test_patch_starts_before_tabs_planned(
    english: tuple[Path, Pipeline],
    forks: list[int],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    path, pipeline = english
    alone = run_alone(path, pipeline, monkeypatch)
    assert forks == []
    steps: list[str] = []
    real_start = excel.start_sheet_patch
    real_plan = run.plan_writes
    patched_by = tmp_path / "patched_by.txt"
    real_patch = workbook_patch.patch_status_column

    def recording_start(*arguments: object) -> object:
        steps.append("start patch")
        return real_start(*arguments)  # type: ignore[arg-type]

    def recording_plan(*arguments: object, **options: object) -> object:
        steps.append("plan tabs")
        return real_plan(*arguments, **options)  # type: ignore[arg-type]

    def recording_patch(*arguments: object, **options: object) -> object:
        with patched_by.open("a") as file:
            file.write(f"{os.getpid()}\n")
        return real_patch(*arguments, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(excel, "start_sheet_patch", recording_start)
    monkeypatch.setattr(run, "plan_writes", recording_plan)
    monkeypatch.setattr(workbook_patch, "patch_status_column", recording_patch)
    run_sync(pipeline, ExcelWorkbook(path), AS_OF)

    assert steps == ["start patch", "plan tabs"]
    assert patched_by.read_text().split() == [str(forks[0])]
    assert member_checksums(path) == member_checksums(alone)


@pytest.mark.parametrize(
    "error", [RuntimeError, KeyboardInterrupt], ids=["error", "interrupt"]
)
def test_stopped_run_kills_patch(
    english: tuple[Path, Pipeline],
    forks: list[int],
    monkeypatch: pytest.MonkeyPatch,
    error: type[BaseException],
) -> None:
    path, pipeline = english
    before = path.read_bytes()
    parent = os.getpid()
    real_patch = workbook_patch.patch_status_column

    def slow_in_child(*arguments: object, **options: object) -> object:
        if os.getpid() != parent:
            time.sleep(60)
        return real_patch(*arguments, **options)  # type: ignore[arg-type]

    def failing_plan(*arguments: object, **options: object) -> None:
        raise error

    monkeypatch.setattr(workbook_patch, "patch_status_column", slow_in_child)
    monkeypatch.setattr(run, "plan_writes", failing_plan)
    started = time.monotonic()

    with pytest.raises(error):
        run_sync(pipeline, ExcelWorkbook(path), AS_OF)

    assert time.monotonic() - started < 30
    assert len(forks) == 1
    assert path.read_bytes() == before


def test_dry_run_starts_no_patch(
    english: tuple[Path, Pipeline], forks: list[int]
) -> None:
    path, pipeline = english
    before = path.read_bytes()

    result = run_sync(pipeline, ExcelWorkbook(path), AS_OF, dry_run=True)

    assert result.plan.status_cells
    assert forks == []
    assert path.read_bytes() == before


def test_output_run_patched_early(
    english: tuple[Path, Pipeline],
    forks: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, pipeline = english
    alone = run_alone(path, pipeline, monkeypatch)
    before = path.read_bytes()
    output = path.with_name("output.xlsx")
    fitting: list[bool] = []
    real_fits = EarlySheetPatch.fits

    def recording_fits(
        patch: workbook_patch.EarlySheetPatch, *arguments: object
    ) -> bool:
        fitting.append(real_fits(patch, *arguments))  # type: ignore[arg-type]
        return fitting[-1]

    monkeypatch.setattr(EarlySheetPatch, "fits", recording_fits)
    run_sync(pipeline, ExcelWorkbook(path, output=output), AS_OF)

    assert fitting == [True]
    assert path.read_bytes() == before
    assert member_checksums(output) == member_checksums(alone)


def test_child_hashes_tabs_of_earlier_day(
    english: tuple[Path, Pipeline],
    forks: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, pipeline = english
    run_sync(pipeline, ExcelWorkbook(path), AS_OF)
    next_day = AS_OF + dt.timedelta(days=1)
    alone = Path(shutil.copy(path, path.with_name("alone.xlsx")))
    with monkeypatch.context() as patch:
        patch.setenv(PARALLEL_VARIABLE, "0")
        run_sync(pipeline, ExcelWorkbook(alone), next_day)
    forks.clear()
    hashed_in_child: list[str] = []
    real_start = excel.start_sheet_patch

    def recording_start(
        source: Path, data: bytes, edits: object, unhashed: list[GeneratedTab]
    ) -> object:
        hashed_in_child.extend(tab.name for tab in unhashed)
        return real_start(source, data, edits, unhashed)  # type: ignore[arg-type]

    monkeypatch.setattr(excel, "start_sheet_patch", recording_start)
    result = run_sync(pipeline, ExcelWorkbook(path), next_day)

    assert sorted(hashed_in_child) == sorted(tab.name for tab in result.plan.tabs)
    assert len(forks) >= 1
    assert member_checksums(path) == member_checksums(alone)


def test_changed_workbook_not_overwritten(tmp_path: Path, forks: list[int]) -> None:
    path = build_pipeline_workbook(tmp_path / "pipeline.xlsx")
    edited = saved_edit(path)
    source = ExcelWorkbook(path)
    grid = source.read_tab("Pipeline")
    plan = make_plan(grid, {"D-001": "OK"}, read_grid=grid)
    source.start_write(plan, [])
    path.write_bytes(edited)

    with pytest.raises(WorkbookBusyError, match="changed on disk"):
        source.apply(plan)

    assert len(forks) == 1
    assert path.read_bytes() == edited


def test_other_plan_drops_early_patch(tmp_path: Path, forks: list[int]) -> None:
    path = build_pipeline_workbook(tmp_path / "pipeline.xlsx")
    source = ExcelWorkbook(path)
    grid = source.read_tab("Pipeline")
    source.start_write(make_plan(grid, {"D-001": "OK"}, read_grid=grid), [])
    plan = make_plan(grid, {"D-002": "ERROR: missing Amount"}, read_grid=grid)

    source.apply(plan)

    statuses = read_statuses(path)
    assert len(forks) >= 1
    assert statuses["D-001"] is None
    assert statuses["D-002"] == "ERROR: missing Amount"


def test_excel_source_writes_early() -> None:
    assert issubclass(ExcelWorkbook, EarlyWriteSource)
