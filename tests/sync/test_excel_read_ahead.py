"""Parsing and scanning the pipeline tab in background threads, and using the result."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from config.errors import SheetLayoutError
from config.models import Locale
from sync.sources import excel
from sync.sources.excel import ExcelWorkbook
from sync.sources.excel_read_ahead import (
    READ_AHEAD_SWITCH_INTERVAL,
    open_workbook_bytes,
    short_switch_interval,
    start_read_ahead,
    take_read_ahead,
)
from sync.starter import build_starter_workbook
from sync.xlsx.sheet_scan import SheetScan, scan_tab
from tests.fifo_files import released_fifo

AS_OF = dt.date(2025, 9, 30)


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return build_starter_workbook(tmp_path / "pipeline.xlsx", Locale.EN, as_of=AS_OF)


@pytest.fixture(autouse=True)
def no_read_ahead_left(workbook: Path) -> Iterator[None]:
    """Claim any read ahead a test left, so none leaks into the next test."""
    yield
    take_read_ahead(workbook)


def test_read_ahead_gives_same_grid(workbook: Path) -> None:
    expected = ExcelWorkbook(workbook).read_tab("Deals")
    start_read_ahead(workbook, "Deals")

    grid = ExcelWorkbook(workbook).read_tab("Deals")

    assert grid == expected


def test_read_ahead_keeps_1904_date_system(tmp_path: Path) -> None:
    path = tmp_path / "mac.xlsx"
    book = openpyxl.Workbook()
    book.epoch = CALENDAR_MAC_1904
    book.active.title = "Deals"
    book.save(path)
    start_read_ahead(path, "Deals")

    grid = ExcelWorkbook(path).read_tab("Deals")

    assert take_read_ahead(path) is None
    assert grid.date1904 is True


def test_read_ahead_claimed_once(workbook: Path) -> None:
    start_read_ahead(workbook, "Deals")

    first = take_read_ahead(workbook)
    second = take_read_ahead(workbook)

    assert first is not None
    assert first.tab == "Deals"
    assert second is None


def test_tab_matched_ignoring_case(workbook: Path) -> None:
    start_read_ahead(workbook, "deals")

    ahead = take_read_ahead(workbook)

    assert ahead is not None
    assert ahead.tab == "Deals"


def test_missing_tab_reported_as_usual(workbook: Path) -> None:
    start_read_ahead(workbook, "Pipeline")

    with pytest.raises(SheetLayoutError) as raised:
        ExcelWorkbook(workbook).read_tab("Pipeline")

    assert str(raised.value).startswith(
        "Tab 'Pipeline' not found in workbook 'pipeline.xlsx'. Existing tabs: "
    )


def record_scan_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make each sheet scan record the name of the thread it runs in."""
    threads: list[str] = []

    def scan(path: Path, tab: str) -> SheetScan:
        threads.append(threading.current_thread().name)
        return scan_tab(path, tab)

    monkeypatch.setattr(excel, "scan_tab", scan)
    return threads


def test_scan_in_background_after_tab_names(
    workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = record_scan_threads(monkeypatch)
    start_read_ahead(workbook, "Deals")
    source = ExcelWorkbook(workbook, pipeline_tab="Deals")

    source.tab_names()
    source.read_tab("Deals")

    assert threads == ["sheet-scan"]


def test_scan_not_repeated_on_second_read(
    workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = record_scan_threads(monkeypatch)
    source = ExcelWorkbook(workbook, pipeline_tab="Deals")

    first = source.read_tab("Deals")
    second = source.read_tab("deals")

    assert second is first
    assert threads == ["sheet-scan"]


def test_scan_runs_with_short_switch_interval(
    workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usual = sys.getswitchinterval()
    intervals: list[float] = []

    def scan(path: Path, tab: str) -> SheetScan:
        intervals.append(sys.getswitchinterval())
        return scan_tab(path, tab)

    monkeypatch.setattr(excel, "scan_tab", scan)

    ExcelWorkbook(workbook, pipeline_tab="Deals").read_tab("Deals")

    assert intervals == [min(usual, READ_AHEAD_SWITCH_INTERVAL)]
    assert sys.getswitchinterval() == usual


def wait_for_read_ahead() -> None:
    for thread in threading.enumerate():
        if thread.name == "read-ahead":
            thread.join()


def test_file_changed_after_read_ahead_read_again(
    workbook: Path, tmp_path: Path
) -> None:
    other = build_starter_workbook(tmp_path / "other.xlsx", Locale.ZH_CN, as_of=AS_OF)
    start_read_ahead(workbook, "Deals")
    wait_for_read_ahead()
    shutil.copy(other, workbook)
    os.utime(workbook, ns=(1, 1))

    names = ExcelWorkbook(workbook).tab_names()

    assert names[0] == "商机"


def test_unreadable_file_gives_none(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    start_read_ahead(path, "Deals")

    assert take_read_ahead(path) is None


def test_fifo_not_read_ahead(tmp_path: Path) -> None:
    with released_fifo(tmp_path / "fifo.xlsx") as path:
        start_read_ahead(path, "Deals")
        started = [t for t in threading.enumerate() if t.name == "read-ahead"]

        assert take_read_ahead(path) is None
    assert started == []


def test_nothing_started_gives_none(workbook: Path) -> None:
    assert take_read_ahead(workbook) is None


@pytest.mark.skipif(not hasattr(os, "memfd_create"), reason="Linux only")
def test_workbook_bytes_opened_as_file(workbook: Path) -> None:
    opened = open_workbook_bytes(workbook.read_bytes())

    assert opened.path is not None
    assert opened.path.startswith("/proc/self/fd/")
    assert opened.sheet_names == ["Deals", "Lists"]


def test_workbook_bytes_without_memfd(
    workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(os, "memfd_create", raising=False)

    opened = open_workbook_bytes(workbook.read_bytes())

    assert opened.path is None
    assert opened.sheet_names == ["Deals", "Lists"]


def test_workbook_bytes_when_memfd_fails(
    workbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(name: str, flags: int = 0) -> int:
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(os, "memfd_create", fail, raising=False)

    opened = open_workbook_bytes(workbook.read_bytes())

    assert opened.path is None
    assert opened.sheet_names == ["Deals", "Lists"]


def test_switch_interval_restored_after_read_ahead(workbook: Path) -> None:
    usual = sys.getswitchinterval()
    start_read_ahead(workbook, "Deals")

    take_read_ahead(workbook)

    assert sys.getswitchinterval() == usual


def test_switch_interval_kept_while_blocks_overlap() -> None:
    usual = sys.getswitchinterval()
    first, second = short_switch_interval(), short_switch_interval()

    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    after_first = sys.getswitchinterval()
    second.__exit__(None, None, None)
    after_second = sys.getswitchinterval()

    assert after_first == READ_AHEAD_SWITCH_INTERVAL
    assert after_second == usual
