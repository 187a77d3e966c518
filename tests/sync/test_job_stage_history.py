"""Tests of the stage history that recorded runs keep, read through the workbook.

The workbook is the English starter with its deals replaced, so its rows have
a Stage Entered column as a team's sheet would.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import openpyxl
import pytest

from config.loader import load_pipeline
from config.models import Locale, Pipeline
from config.shipped import shipped_definition
from sync.job import RunRequest, record_run
from sync.starter import build_starter_workbook
from sync.state.store import StateStore
from tests.sync.pipeline_files import read_tab

HEADER_ROW = 3
# A deal row: its ID, its stage and its Stage Entered date (None when blank).
DealRow = tuple[str, str, dt.date | None]


def day(number: int) -> dt.date:
    """Return 2027-01-``number``."""
    return dt.date(2027, 1, number)


@pytest.fixture
def pipeline(tmp_path: Path) -> Pipeline:
    shutil.copy(shipped_definition("b2b-en"), tmp_path / "b2b-en.yaml")
    build_starter_workbook(tmp_path / "pipeline.xlsx", Locale.EN, as_of=day(1))
    return load_pipeline(tmp_path / "b2b-en.yaml")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    opened = StateStore.open(str(tmp_path / "state.sqlite"))
    yield opened
    opened.close()


def write_rows(folder: Path, rows: Sequence[DealRow]) -> None:
    """Replace the Deals tab's rows with ``rows``, other columns filled alike."""
    path = folder / "pipeline.xlsx"
    book = openpyxl.load_workbook(path)
    sheet = book["Deals"]
    header = {cell.value: cell.column for cell in sheet[HEADER_ROW] if cell.value}
    sheet.delete_rows(HEADER_ROW + 1, sheet.max_row)
    for offset, (deal_id, stage, entered) in enumerate(rows, start=1):
        values = {
            "Deal ID": deal_id,
            "Account": "Acme",
            "Owner": "Ana Lima",
            "Stage": stage,
            "Amount": 1000,
            "Expected Close": dt.datetime(2027, 6, 1),
            "Next Step Date": dt.datetime(2027, 5, 1),
            "Lost Reason": "Price",
            "Stage Entered": None if entered is None else _midnight(entered),
        }
        for name, value in values.items():
            sheet.cell(HEADER_ROW + offset, header[name]).value = value
    book.save(path)


def _midnight(date: dt.date) -> dt.datetime:
    return dt.datetime.combine(date, dt.time())


def run_on(pipeline: Pipeline, store: StateStore, as_of: dt.date) -> None:
    now = dt.datetime.combine(as_of, dt.time(6, 0), dt.UTC)
    record_run(RunRequest(pipeline, as_of), store, now=now)


def stays_of(folder: Path, deal_id: str) -> list[tuple[object, ...]]:
    """Return the deal's Stage log lines: stage, entered, exited and days."""
    lines = read_tab(folder / "pipeline.xlsx", "Stage log")
    return [tuple(line[1:5]) for line in lines if line and line[0] == deal_id]


def test_stale_sheet_date_keeps_recorded_move(
    tmp_path: Path, pipeline: Pipeline, store: StateStore
) -> None:
    write_rows(tmp_path, [("D-1", "Lead", day(4))])
    run_on(pipeline, store, day(4))
    write_rows(tmp_path, [("D-1", "Qualified", day(6))])
    for number in (6, 7, 8):
        run_on(pipeline, store, day(number))

    # Stage Entered still shows the Qualified day, which three runs saw.
    write_rows(tmp_path, [("D-1", "Demo", day(6))])
    run_on(pipeline, store, day(11))

    assert stays_of(tmp_path, "D-1")[1:] == [
        ("Qualified", day(6), day(11), 5),
        ("Demo", day(11), None, 0),
    ]


def test_sheet_date_after_last_sighting_taken(
    tmp_path: Path, pipeline: Pipeline, store: StateStore
) -> None:
    write_rows(tmp_path, [("D-1", "Qualified", day(4))])
    for number in (4, 6, 8):
        run_on(pipeline, store, day(number))

    write_rows(tmp_path, [("D-1", "Demo", day(9))])
    run_on(pipeline, store, day(11))

    assert stays_of(tmp_path, "D-1") == [
        ("Qualified", day(4), day(9), 5),
        ("Demo", day(9), None, 2),
    ]


def test_fixed_id_typo_continues_stay(
    tmp_path: Path, pipeline: Pipeline, store: StateStore
) -> None:
    lead = ("D-2", "Lead", day(1))
    write_rows(tmp_path, [("D-1", "Proposal", day(1)), lead])
    run_on(pipeline, store, day(4))
    write_rows(tmp_path, [("D-l", "Proposal", day(1)), lead])
    run_on(pipeline, store, day(5))

    write_rows(tmp_path, [("D-1", "Proposal", day(1)), lead])
    run_on(pipeline, store, day(20))

    assert stays_of(tmp_path, "D-1") == [("Proposal", day(1), None, 19)]


def figure(folder: Path, tab: str, name: str) -> object:
    """Return the value of one figure of a review tab."""
    [value] = [
        line[1]
        for line in read_tab(folder / "pipeline.xlsx", tab)
        if line and line[0] == name
    ]
    return value


def test_weekend_win_counts_in_its_month(
    tmp_path: Path, pipeline: Pipeline, store: StateStore
) -> None:
    february = dt.date(2027, 2, 1)
    write_rows(tmp_path, [("D-1", "Negotiation", february)])
    run_on(pipeline, store, february)
    run_on(pipeline, store, dt.date(2027, 2, 26))
    # Won on Saturday, recorded by Monday's run, the first of March.
    write_rows(tmp_path, [("D-1", "Closed Won", dt.date(2027, 2, 27))])
    run_on(pipeline, store, dt.date(2027, 3, 1))
    run_on(pipeline, store, dt.date(2027, 4, 1))

    assert figure(tmp_path, "Review 2027-02", "Won deals") == 1
    assert figure(tmp_path, "Review 2027-03", "Won deals") == 0


def test_month_without_runs_noted_in_review(
    tmp_path: Path, pipeline: Pipeline, store: StateStore
) -> None:
    write_rows(tmp_path, [("D-1", "Demo", day(2))])
    run_on(pipeline, store, day(20))
    write_rows(tmp_path, [("D-1", "Closed Won", dt.date(2027, 2, 10))])
    run_on(pipeline, store, dt.date(2027, 3, 10))

    review = read_tab(tmp_path / "pipeline.xlsx", "Review 2027-02")
    assert review[2] == [
        (
            "No recorded run fell in 2027-02: the last run before it was on "
            "2027-01-20, the next on 2027-03-10."
        )
    ]
    assert figure(tmp_path, "Review 2027-02", "Won deals") == 1
