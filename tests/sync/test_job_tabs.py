"""Tests of recorded runs of two definitions that read two tabs of one workbook."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import openpyxl
import pytest

from config.errors import SheetLayoutError
from config.loader import load_pipeline
from config.models import Pipeline
from rules.findings import Code
from rules.history import Transition
from sync.job import RecordedRun, RunRequest, record_run
from sync.state.keys import workbook_key
from sync.state.store import StateStore
from tests.sync.pipeline_files import (
    FIRST_DEAL_ROW,
    SheetDeal,
    read_tab,
    write_deals,
    write_definition,
)

SEPTEMBER_29 = dt.date(2025, 9, 29)
SEPTEMBER_30 = dt.date(2025, 9, 30)
OCTOBER_1 = dt.date(2025, 10, 1)
OCTOBER_2 = dt.date(2025, 10, 2)
OWN_NAMES = """\
outputs:
  tabs:
    funnel: US Funnel
    followups: US Follow-ups
    problems: US Problems
    definitions: US Definitions
    stage_log: US Stage log
"""


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    """Build a workbook with deal D-1 on tab Deals and deal U-1 on tab US."""
    path = tmp_path / "pipeline.xlsx"
    write_deals(path, [SheetDeal("D-1", "Ana", "Lead")])
    book = openpyxl.load_workbook(path)
    us = book.copy_worksheet(book["Deals"])
    us.title = "US"
    us.cell(row=FIRST_DEAL_ROW, column=1, value="U-1")
    book.save(path)
    return path


@pytest.fixture
def deals_tab(tmp_path: Path, workbook: Path) -> Pipeline:
    return load_pipeline(write_definition(tmp_path))


def us_definition(
    folder: Path, *, own_names: bool = True, review: str | None = None
) -> Pipeline:
    text = write_definition(folder).read_text(encoding="utf-8")
    text = text.replace("tab: Deals", "tab: US")
    if own_names:
        text += OWN_NAMES
    if review is not None:
        text += f"    review: {review}\n"
    path = folder / "us.yaml"
    path.write_text(text, encoding="utf-8")
    return load_pipeline(path)


@pytest.fixture
def us_tab(tmp_path: Path, workbook: Path) -> Pipeline:
    return us_definition(tmp_path)


def run_on(pipeline: Pipeline, store: StateStore, as_of: dt.date) -> RecordedRun:
    now = dt.datetime.combine(as_of, dt.time(5, 0), dt.UTC)
    return record_run(RunRequest(pipeline, as_of), store, now=now)


def test_each_tab_keeps_own_transitions(
    deals_tab: Pipeline, us_tab: Pipeline, store: StateStore
) -> None:
    for day in (SEPTEMBER_29, SEPTEMBER_30):
        run_on(deals_tab, store, day)
        run_on(us_tab, store, day)

    key = workbook_key(us_tab)
    assert store.transitions(key, tab="US") == [
        Transition("U-1", None, "Lead", SEPTEMBER_29)
    ]
    assert store.transitions(key, tab="Deals") == [
        Transition("D-1", None, "Lead", SEPTEMBER_29)
    ]


def test_idle_deal_found_beside_other_tab(
    deals_tab: Pipeline, us_tab: Pipeline, store: StateStore
) -> None:
    for day in (SEPTEMBER_29, SEPTEMBER_30, OCTOBER_2):
        run_on(deals_tab, store, day)
        result = run_on(us_tab, store, day).result

    idle = [f.deal_id for f in result.findings if f.code is Code.IDLE_IN_STAGE]
    assert idle == ["U-1"]


def test_as_of_order_checked_per_tab(
    deals_tab: Pipeline, us_tab: Pipeline, store: StateStore
) -> None:
    run_on(deals_tab, store, SEPTEMBER_30)
    recorded = run_on(us_tab, store, SEPTEMBER_29)
    assert recorded.result.as_of == SEPTEMBER_29


def test_other_tab_outputs_not_overwritten(
    tmp_path: Path, workbook: Path, deals_tab: Pipeline, store: StateStore
) -> None:
    run_on(deals_tab, store, SEPTEMBER_29)
    funnel_before = read_tab(workbook, "Funnel")

    with pytest.raises(SheetLayoutError) as raised:
        run_on(us_definition(tmp_path, own_names=False), store, SEPTEMBER_30)

    assert str(raised.value) == (
        "Workbook 'pipeline.xlsx' already has a tab 'Funnel' that pipesheet "
        "generated from tab 'Deals', so a run for tab 'US' will not overwrite it. "
        "Give this definition's generated tabs other names under outputs.tabs, "
        "such as 'US Funnel'. Nothing was written."
    )
    assert read_tab(workbook, "Funnel") == funnel_before


def test_dry_run_lists_other_tab_outputs(
    tmp_path: Path, deals_tab: Pipeline, store: StateStore
) -> None:
    run_on(deals_tab, store, SEPTEMBER_29)
    request = RunRequest(
        us_definition(tmp_path, own_names=False), SEPTEMBER_30, dry_run=True
    )

    result = record_run(request, store).result

    assert len(result.blockers) == 5
    assert "generated from tab 'Deals'" in result.blockers[0]
    assert result.plan.tabs == []


def test_outputs_of_renamed_pipeline_tab_replaced(
    tmp_path: Path, workbook: Path, deals_tab: Pipeline, store: StateStore
) -> None:
    # The banner names a tab the workbook no longer has, so no other
    # definition owns the generated tabs.
    run_on(deals_tab, store, SEPTEMBER_29)
    book = openpyxl.load_workbook(workbook)
    del book["Deals"]
    book.save(workbook)

    run_on(us_definition(tmp_path, own_names=False), store, SEPTEMBER_30)

    assert "from tab 'US'" in str(read_tab(workbook, "Funnel")[0][0])


def test_review_name_set_per_definition(
    tmp_path: Path, workbook: Path, deals_tab: Pipeline, store: StateStore
) -> None:
    us_tab = us_definition(tmp_path, review="US Review {month}")
    for day in (SEPTEMBER_30, OCTOBER_1):
        run_on(deals_tab, store, day)
        run_on(us_tab, store, day)

    assert "from tab 'Deals'" in str(read_tab(workbook, "Review 2025-09")[0][0])
    assert "from tab 'US'" in str(read_tab(workbook, "US Review 2025-09")[0][0])


def test_review_name_of_other_tab_warns(
    deals_tab: Pipeline,
    us_tab: Pipeline,
    store: StateStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for day in (SEPTEMBER_30, OCTOBER_1):
        run_on(deals_tab, store, day)
        with caplog.at_level(logging.WARNING, logger="sync.monthly_review"):
            run_on(us_tab, store, day)

    review_warnings = [
        record.getMessage()
        for record in caplog.records
        if record.name == "sync.monthly_review"
    ]
    assert review_warnings == [
        (
            "Workbook 'pipeline.xlsx' already has a tab 'Review 2025-09' that "
            "pipesheet generated from tab 'Deals', so the review of 2025-09 for "
            "tab 'US' was not written. Give this definition's review tabs another "
            "name under outputs.tabs.review, such as 'US Review {month}', before "
            "the first run of a month: a review is written only by the first run "
            "after its month, so the review of 2025-09 stays unwritten."
        )
    ]


def test_review_written_to_output_warns(
    deals_tab: Pipeline,
    store: StateStore,
    workbook: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    run_on(deals_tab, store, SEPTEMBER_30)
    copy = workbook.with_name("copy.xlsx")
    now = dt.datetime.combine(OCTOBER_1, dt.time(5, 0), dt.UTC)

    with caplog.at_level(logging.WARNING, logger="sync.monthly_review"):
        record_run(RunRequest(deals_tab, OCTOBER_1, output=copy), store, now=now)

    assert "Review 2025-09" in openpyxl.load_workbook(copy).sheetnames
    warnings = [
        r.getMessage() for r in caplog.records if r.name == "sync.monthly_review"
    ]
    assert warnings == [
        (
            "The review of 2025-09 goes into copy.xlsx, which this run writes, and "
            "not into pipeline.xlsx: a month's review is written only by the first "
            "recorded run after the month. To keep the review in pipeline.xlsx, "
            "copy its tab over from copy.xlsx."
        )
    ]
