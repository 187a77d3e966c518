"""The generated tabs rendered in a child while the run plans the status cells."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from config.errors import SourceError
from config.models import Locale, Pipeline
from sync import run
from sync.forked import PARALLEL_VARIABLE, ForkedCall
from sync.plan import GeneratedTab
from sync.run import run_sync
from sync.sources.excel import ExcelWorkbook
from sync.xlsx import early_tabs, generated_tabs
from sync.xlsx.early_tabs import EarlyTabRender
from sync.xlsx.styles import StyleSheet
from tests.sync.test_excel_source import build_pipeline_workbook, make_plan
from tests.sync.test_run import AS_OF, build_workbook

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="the write forks a child only on Linux"
)

# The built-in number format 49 is text (``@``), which no generated tab uses.
UNUSED_FORMAT = 49


@pytest.fixture
def forks(forks: list[int], monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Let tabs of any size be rendered in a child, and return the children's ids."""
    monkeypatch.setattr(early_tabs, "CHILD_TAB_CELLS", 0)
    return forks


@pytest.fixture
def english(tmp_path: Path) -> tuple[Path, Pipeline]:
    return build_workbook(tmp_path, Locale.EN)


@pytest.fixture
def renderers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Record in a file the process id of each tab's sheet XML rendering."""
    record = tmp_path / "rendered_by.txt"
    real_write_tab = generated_tabs.write_tab

    def recording_write_tab(*arguments: object, **options: object) -> None:
        with record.open("a") as file:
            file.write(f"{os.getpid()}\n")
        real_write_tab(*arguments, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(generated_tabs, "write_tab", recording_write_tab)
    return record


def member_bytes(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def run_alone(
    path: Path, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, day: dt.date
) -> None:
    with monkeypatch.context() as patch:
        patch.setenv(PARALLEL_VARIABLE, "0")
        run_sync(pipeline, ExcelWorkbook(path), day)


def rendering_pids(record: Path) -> set[int]:
    return {int(line) for line in record.read_text().split()}


def test_tabs_rendered_in_child_as_alone(
    english: tuple[Path, Pipeline],
    forks: list[int],
    renderers: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, pipeline = english
    alone = Path(shutil.copy(path, path.with_name("alone.xlsx")))
    run_alone(alone, pipeline, monkeypatch, AS_OF)
    renderers.unlink()
    forks.clear()

    result = run_sync(pipeline, ExcelWorkbook(path), AS_OF)

    assert result.plan.tabs
    rendered_by = rendering_pids(renderers)
    assert os.getpid() not in rendered_by
    assert rendered_by <= set(forks)
    assert member_bytes(path) == member_bytes(alone)


def test_next_day_tabs_rendered_in_child(
    english: tuple[Path, Pipeline],
    forks: list[int],
    renderers: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, pipeline = english
    run_sync(pipeline, ExcelWorkbook(path), AS_OF)
    next_day = AS_OF + dt.timedelta(days=1)
    alone = Path(shutil.copy(path, path.with_name("alone.xlsx")))
    run_alone(alone, pipeline, monkeypatch, next_day)
    renderers.unlink()

    written = run_sync(pipeline, ExcelWorkbook(path), next_day)
    again = run_sync(pipeline, ExcelWorkbook(path), next_day)

    assert written.plan.tabs
    assert os.getpid() not in rendering_pids(renderers)
    assert member_bytes(path) == member_bytes(alone)
    # The records of the tabs contain the digests the child worked out, so an
    # unchanged workbook on the same day gets no tab written.
    assert again.plan.tabs == []


def test_other_format_index_renders_again(
    english: tuple[Path, Pipeline],
    forks: list[int],
    renderers: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, pipeline = english
    real_take = EarlyTabRender.take
    results: list[object] = []

    def take_after_other_format(
        render: EarlyTabRender,
        tabs: list[GeneratedTab],
        styles: StyleSheet,
        *rest: object,
    ) -> object:
        # A cell format the child's copy of the styles does not have takes
        # the index the child gave to the tabs' first new format.
        styles.cell_xf_id(UNUSED_FORMAT, bold=True)
        results.append(real_take(render, tabs, styles, *rest))  # type: ignore[arg-type]
        return results[-1]

    monkeypatch.setattr(EarlyTabRender, "take", take_after_other_format)

    run_sync(pipeline, ExcelWorkbook(path), AS_OF)

    assert results == [None]
    assert os.getpid() in rendering_pids(renderers)
    workbook = openpyxl.load_workbook(path)
    followups = workbook["Follow-ups"]
    dates = [
        cell
        for row in followups.iter_rows()
        for cell in row
        if isinstance(cell.value, dt.datetime)
    ]
    assert dates
    assert {cell.number_format for cell in dates} == {"mm-dd-yy"}


def test_child_error_raised_by_write(tmp_path: Path, forks: list[int]) -> None:
    path = build_pipeline_workbook(tmp_path / "pipeline.xlsx")
    before = path.read_bytes()
    source = ExcelWorkbook(path)
    grid = source.read_tab("Pipeline")
    zoned = dt.datetime(2025, 1, 2, 3, 4, tzinfo=dt.UTC)
    tab = GeneratedTab(name="Extra", grid=[["Generated"], ["When", zoned]])
    source.start_tab_render([tab])

    with pytest.raises(SourceError, match="'Extra'"):
        source.apply(make_plan(grid, {}, read_grid=grid, tabs=[tab]))

    assert len(forks) == 1
    assert path.read_bytes() == before


def test_plan_with_other_tabs_drops_child(
    tmp_path: Path, forks: list[int], renderers: Path
) -> None:
    path = build_pipeline_workbook(tmp_path / "pipeline.xlsx")
    source = ExcelWorkbook(path)
    grid = source.read_tab("Pipeline")
    started = GeneratedTab(name="Extra", grid=[["Generated"], ["one", 1]])
    written = GeneratedTab(name="Extra", grid=[["Generated"], ["two", 2]])
    source.start_tab_render([started])

    source.apply(make_plan(grid, {}, read_grid=grid, tabs=[written]))

    assert len(forks) == 1
    assert os.getpid() in rendering_pids(renderers)
    sheet = openpyxl.load_workbook(path)["Extra"]
    assert [sheet["A2"].value, sheet["B2"].value] == ["two", 2]


def test_stopped_run_kills_tab_child(
    english: tuple[Path, Pipeline],
    forks: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, pipeline = english
    before = path.read_bytes()

    def failing_plan(*arguments: object, **options: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "plan_statuses", failing_plan)

    with pytest.raises(KeyboardInterrupt):
        run_sync(pipeline, ExcelWorkbook(path), AS_OF)

    assert len(forks) == 1
    assert path.read_bytes() == before


def test_dry_run_renders_nothing_ahead(
    english: tuple[Path, Pipeline], forks: list[int]
) -> None:
    path, pipeline = english

    result = run_sync(pipeline, ExcelWorkbook(path), AS_OF, dry_run=True)

    assert result.plan.tabs
    assert forks == []


def test_small_tabs_rendered_here(
    english: tuple[Path, Pipeline],
    forks: list[int],
    monkeypatch: pytest.MonkeyPatch,
    renderers: Path,
) -> None:
    path, pipeline = english
    monkeypatch.setattr(early_tabs, "CHILD_TAB_CELLS", 10**9)

    run_sync(pipeline, ExcelWorkbook(path), AS_OF)

    assert rendering_pids(renderers) == {os.getpid()}


def test_interrupted_wait_kills_child(
    tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = build_pipeline_workbook(tmp_path / "pipeline.xlsx")
    before = path.read_bytes()
    parent = os.getpid()
    real_write_tab = generated_tabs.write_tab

    def slow_in_child(*arguments: object, **options: object) -> None:
        if os.getpid() != parent:
            time.sleep(60)
        real_write_tab(*arguments, **options)  # type: ignore[arg-type]

    def interrupted_wait(call: ForkedCall[object]) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(generated_tabs, "write_tab", slow_in_child)
    source = ExcelWorkbook(path)
    grid = source.read_tab("Pipeline")
    tab = GeneratedTab(name="Extra", grid=[["Generated"], ["one", 1]])
    source.start_tab_render([tab])
    monkeypatch.setattr(ForkedCall, "result", interrupted_wait)

    with pytest.raises(KeyboardInterrupt):
        source.apply(make_plan(grid, {}, read_grid=grid, tabs=[tab]))

    assert len(forks) == 1
    assert path.read_bytes() == before
