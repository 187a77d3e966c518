"""Tests of carrying a renamed pipeline tab's stage history over to its new name."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import openpyxl
import pytest

from config.errors import PipesheetError
from config.loader import load_pipeline
from config.models import Pipeline
from rules.findings import Code
from rules.history import Transition
from sync.job import RecordedRun, RunRequest, record_run
from sync.renamed_tab import TabHistoryChoice, choose_history_tab
from sync.state.keys import workbook_key
from sync.state.store import StateStore
from tests.sync.pipeline_files import SheetDeal, write_deals, write_definition

SEPTEMBER_29 = dt.date(2025, 9, 29)
SEPTEMBER_30 = dt.date(2025, 9, 30)


@pytest.mark.parametrize(
    ("tab", "recorded", "workbook", "expected"),
    [
        ("Deals", [], ["Deals"], TabHistoryChoice()),
        ("Deals", ["Deals", "US"], ["Deals", "US"], TabHistoryChoice()),
        ("DEALS", ["deals"], ["DEALS"], TabHistoryChoice()),
        ("Pipeline", ["Deals"], ["Funnel"], TabHistoryChoice()),
        ("Pipeline", ["Deals"], ["Pipeline"], TabHistoryChoice("Deals")),
        (
            "Pipeline",
            ["Deals", "US"],
            ["Pipeline", "us"],
            TabHistoryChoice("Deals"),
        ),
        (
            "Pipeline",
            ["Deals"],
            ["Pipeline", "deals"],
            TabHistoryChoice(other_tabs=("Deals",)),
        ),
        (
            "Pipeline",
            ["Deals", "US"],
            ["Pipeline"],
            TabHistoryChoice(other_tabs=("Deals", "US")),
        ),
        ("North", ["West (set aside)"], ["North", "West"], TabHistoryChoice()),
        (
            "North",
            ["Deals", "West (Set Aside 2)"],
            ["North"],
            TabHistoryChoice("Deals"),
        ),
    ],
    ids=[
        "first-run",
        "own-runs",
        "own-runs-other-case",
        "tab-missing",
        "one-gone",
        "one-gone-one-present",
        "old-still-there",
        "two-gone",
        "set-aside-never-taken",
        "set-aside-left-out",
    ],
)
def test_choose_history_tab(
    tab: str, recorded: list[str], workbook: list[str], expected: TabHistoryChoice
) -> None:
    assert choose_history_tab(tab, recorded, workbook) == expected


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    path = tmp_path / "pipeline.xlsx"
    write_deals(path, [SheetDeal("D-1", "Ana", "Lead")])
    return path


@pytest.fixture
def deals_tab(tmp_path: Path, workbook: Path) -> Pipeline:
    return load_pipeline(write_definition(tmp_path))


def run_on(
    pipeline: Pipeline, store: StateStore, as_of: dt.date, *, dry_run: bool = False
) -> RecordedRun:
    now = dt.datetime.combine(as_of, dt.time(5, 0), dt.UTC)
    return record_run(RunRequest(pipeline, as_of, dry_run=dry_run), store, now=now)


def rename_in_workbook(
    folder: Path, workbook: Path, *, keep_old: bool = False, stage: str = "Lead"
) -> Pipeline:
    """Rename tab Deals to Pipeline (or copy it) and put D-1 in ``stage``."""
    write_deals(workbook, [SheetDeal("D-1", "Ana", stage)])
    book = openpyxl.load_workbook(workbook)
    if keep_old:
        book.copy_worksheet(book["Deals"]).title = "Pipeline"
    else:
        book["Deals"].title = "Pipeline"
    book.save(workbook)
    text = write_definition(folder).read_text(encoding="utf-8")
    path = folder / "renamed.yaml"
    path.write_text(text.replace("tab: Deals", "tab: Pipeline"), encoding="utf-8")
    return load_pipeline(path)


def test_renamed_tab_keeps_history(
    tmp_path: Path,
    workbook: Path,
    deals_tab: Pipeline,
    store: StateStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    run_on(deals_tab, store, SEPTEMBER_29)
    renamed = rename_in_workbook(tmp_path, workbook, stage="Qualified")

    run_on(renamed, store, SEPTEMBER_30)

    key = workbook_key(renamed)
    assert store.tabs(key) == ["Pipeline"]
    assert store.transitions(key, tab="Pipeline") == [
        Transition("D-1", None, "Lead", SEPTEMBER_29),
        Transition("D-1", "Lead", "Qualified", SEPTEMBER_30),
    ]
    assert (
        f"Tab 'Pipeline' of workbook {workbook.name!r} has no recorded runs, and tab "
        "'Deals' has runs but is no longer in the workbook, so 'Pipeline' is "
        "taken as 'Deals' renamed: the runs and stage history of 'Deals' now "
        "count for 'Pipeline'."
    ) in caplog.messages


def test_renamed_tab_finds_move_back(
    tmp_path: Path, workbook: Path, deals_tab: Pipeline, store: StateStore
) -> None:
    write_deals(workbook, [SheetDeal("D-1", "Ana", "Qualified")])
    run_on(deals_tab, store, SEPTEMBER_29)
    renamed = rename_in_workbook(tmp_path, workbook, stage="Lead")

    result = run_on(renamed, store, SEPTEMBER_30).result

    assert Code.MOVED_BACK in [finding.code for finding in result.findings]


def test_dry_run_reads_renamed_tab_history(
    tmp_path: Path, workbook: Path, deals_tab: Pipeline, store: StateStore
) -> None:
    run_on(deals_tab, store, SEPTEMBER_29)
    renamed = rename_in_workbook(tmp_path, workbook, stage="Qualified")

    result = run_on(renamed, store, SEPTEMBER_30, dry_run=True).result

    assert result.history is not None
    assert result.history.new_transitions == [
        Transition("D-1", "Lead", "Qualified", SEPTEMBER_30)
    ]
    assert store.tabs(workbook_key(renamed)) == ["Deals"]


def test_renamed_tab_checks_as_of_order(
    tmp_path: Path, workbook: Path, deals_tab: Pipeline, store: StateStore
) -> None:
    run_on(deals_tab, store, SEPTEMBER_30)
    renamed = rename_in_workbook(tmp_path, workbook)

    with pytest.raises(PipesheetError) as raised:
        run_on(renamed, store, SEPTEMBER_29)

    assert "was last run as of 2025-09-30" in str(raised.value)


def test_copied_tab_keeps_separate_history(
    tmp_path: Path,
    workbook: Path,
    deals_tab: Pipeline,
    store: StateStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    run_on(deals_tab, store, SEPTEMBER_29)
    copied = rename_in_workbook(tmp_path, workbook, keep_old=True)

    # The copy keeps the generated tabs' names, which blocks a real run.
    with caplog.at_level(logging.WARNING):
        result = run_on(copied, store, SEPTEMBER_30, dry_run=True).result

    assert result.history is not None
    assert result.history.new_transitions == [
        Transition("D-1", None, "Lead", SEPTEMBER_30)
    ]
    assert (
        f"Tab 'Pipeline' of workbook {workbook.name!r} has no recorded runs, so "
        "its stage history starts with this run. The workbook has runs of tab "
        "'Deals'. If 'Pipeline' is one of them renamed, carry that history over with "
        "'pipesheet rename-tab OLD_TAB CONFIG' (e.g. 'pipesheet rename-tab Deals "
        "CONFIG'). If it is a pipeline of its own, nothing needs doing."
    ) in caplog.messages
