"""Tests of the stage history that recorded runs keep, read through the workbook.

The workbook is the English starter with its deals replaced, so its rows have
a Stage Entered column as a team's sheet would.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from config.loader import load_pipeline
from config.models import Locale, Pipeline
from config.shipped import shipped_definition
from sync.cli import cli
from sync.job import RunRequest, record_run
from sync.starter import build_starter_workbook
from sync.state.store import StateStore
from sync.unrecorded_log import STAGE_LOG_UNRECORDED
from tests.sync.notify.servers import WebhookReceiver
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


def stage_log_notes(folder: Path, deal_id: str) -> list[object]:
    """Return the Note cell of each of the deal's Stage log lines."""
    lines = read_tab(folder / "pipeline.xlsx", "Stage log")
    return [
        line[5] if len(line) > 5 else None for line in lines if line[:1] == [deal_id]
    ]


def test_ended_stay_keeps_sheet_start(
    tmp_path: Path, pipeline: Pipeline, store: StateStore
) -> None:
    write_rows(tmp_path, [("D-1", "Demo", day(1))])
    run_on(pipeline, store, day(4))
    run_on(pipeline, store, day(6))
    write_rows(tmp_path, [("D-1", "Proposal", day(8))])
    run_on(pipeline, store, day(11))

    assert stays_of(tmp_path, "D-1") == [
        ("Demo", day(1), day(8), 7),
        ("Proposal", day(8), None, 3),
    ]
    assert stage_log_notes(tmp_path, "D-1") == [
        (
            "entered as the row's 'Stage Entered' showed while in this stage; "
            "first recorded on 2027-01-04"
        ),
        "entered as the row's 'Stage Entered' shows; first recorded on 2027-01-11",
    ]

    run_on(pipeline, store, day(13))

    assert stays_of(tmp_path, "D-1") == [
        ("Demo", day(1), day(8), 7),
        ("Proposal", day(8), None, 5),
    ]


def test_sheet_start_stored_with_equal_snapshot(
    tmp_path: Path, pipeline: Pipeline, store: StateStore
) -> None:
    write_rows(tmp_path, [("D-1", "Demo", None)])
    run_on(pipeline, store, day(4))
    # Only the Stage Entered date changes, so the snapshot stays equal.
    write_rows(tmp_path, [("D-1", "Demo", day(2))])
    run_on(pipeline, store, day(6))
    write_rows(tmp_path, [("D-1", "Proposal", None)])
    run_on(pipeline, store, day(11))

    assert stays_of(tmp_path, "D-1") == [
        ("Demo", day(2), day(11), 9),
        ("Proposal", day(11), None, 0),
    ]


def test_dry_run_shows_ended_stay_start(
    tmp_path: Path, pipeline: Pipeline, store: StateStore
) -> None:
    write_rows(tmp_path, [("D-1", "Demo", day(1))])
    run_on(pipeline, store, day(4))
    write_rows(tmp_path, [("D-1", "Proposal", day(8))])

    dry = record_run(RunRequest(pipeline, day(11), dry_run=True), store).result

    assert dry.history is not None
    assert [
        (row.stage, row.entered, row.exited, row.days) for row in dry.history.log_rows
    ] == [
        ("Demo", day(1), day(8), 7),
        ("Proposal", day(8), None, 3),
    ]


def logged_stays(folder: Path, deal_id: str) -> dict[str, Any]:
    """Return ``pipesheet log DEAL_ID --json`` of the runs recorded so far."""
    args = ["log", deal_id, str(folder / "b2b-en.yaml"), "--json"]
    args += ["--state", str(folder / "state.sqlite")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.output)
    return document


def test_log_counts_stays_as_stage_log(
    tmp_path: Path, pipeline: Pipeline, store: StateStore
) -> None:
    # Both stays start on the sheet's date, before the runs first saw them.
    write_rows(tmp_path, [("D-1", "Demo", day(1))])
    run_on(pipeline, store, day(4))
    run_on(pipeline, store, day(6))
    write_rows(tmp_path, [("D-1", "Proposal", day(8))])
    run_on(pipeline, store, day(11))

    logged = logged_stays(tmp_path, "D-1")

    tab = stays_of(tmp_path, "D-1")
    assert tab == [("Demo", day(1), day(8), 7), ("Proposal", day(8), None, 3)]
    days = [move["days_in_previous_stage"] for move in logged["transitions"]]
    assert days == [None, 7]
    assert logged["days_in_stage"] == [
        {"stage": "Demo", "total_days": 7, "lower_bound": False},
        {"stage": "Proposal", "total_days": 3, "lower_bound": False},
    ]
    stays = [
        (stay["stage"], stay["entered"], stay["exited"], stay["days"])
        for stay in logged["stays"]
    ]
    assert stays == [
        ("Demo", "2027-01-01", "2027-01-08", 7),
        ("Proposal", "2027-01-08", None, 3),
    ]


def test_log_counts_first_stay_from_sheet(
    tmp_path: Path, pipeline: Pipeline, store: StateStore
) -> None:
    write_rows(tmp_path, [("D-1", "Lead", day(1))])
    run_on(pipeline, store, day(3))

    logged = logged_stays(tmp_path, "D-1")

    assert stays_of(tmp_path, "D-1") == [("Lead", day(1), None, 2)]
    assert logged["days_in_stage"] == [
        {"stage": "Lead", "total_days": 2, "lower_bound": False}
    ]
    assert logged["stays"][0]["entered"] == "2027-01-01"
    assert logged["stays"][0]["first_seen"] == "2027-01-03"


def test_moved_workbook_keeps_sheet_start(
    tmp_path: Path, pipeline: Pipeline, store: StateStore
) -> None:
    write_rows(tmp_path, [("D-1", "Demo", day(1))])
    run_on(pipeline, store, day(4))
    write_rows(tmp_path, [("D-1", "Proposal", day(8))])
    run_on(pipeline, store, day(11))
    moved = tmp_path / "moved"
    moved.mkdir()
    for name in ("pipeline.xlsx", "b2b-en.yaml"):
        shutil.move(tmp_path / name, moved / name)
    state = str(tmp_path / "state.sqlite")
    args = ["rename-workbook", str(tmp_path / "pipeline.xlsx")]
    args += [str(moved / "pipeline.xlsx"), "--state", state]
    assert CliRunner().invoke(cli, args).exit_code == 0

    run_on(load_pipeline(moved / "b2b-en.yaml"), store, day(13))

    assert stays_of(moved, "D-1") == [
        ("Demo", day(1), day(8), 7),
        ("Proposal", day(8), None, 5),
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


def test_stage_log_totals_two_stays_in_stage(
    tmp_path: Path, pipeline: Pipeline, store: StateStore
) -> None:
    moves = [(1, "Lead"), (2, "Proposal"), (3, "Qualified"), (7, "Proposal")]
    for number, stage in moves:
        write_rows(tmp_path, [("D-1", stage, day(number))])
        run_on(pipeline, store, day(number))
    run_on(pipeline, store, day(9))

    lines = read_tab(tmp_path / "pipeline.xlsx", "Stage log")
    assert lines[2][4:] == ["Days", "Note", "Total days in stage"]
    assert [(line[1], line[4], line[6]) for line in lines[3:]] == [
        ("Lead", 1, 1),
        ("Proposal", 1, 3),
        ("Qualified", 4, 4),
        ("Proposal", 2, 3),
    ]


def test_unchanged_rerun_keeps_stage_log_totals(
    tmp_path: Path, pipeline: Pipeline, store: StateStore
) -> None:
    for number, stage in [(1, "Lead"), (2, "Proposal"), (3, "Qualified")]:
        write_rows(tmp_path, [("D-1", stage, day(number))])
        run_on(pipeline, store, day(number))
    write_rows(tmp_path, [("D-1", "Proposal", day(7))])
    run_on(pipeline, store, day(9))

    before = (tmp_path / "pipeline.xlsx").read_bytes()
    now = dt.datetime.combine(day(9), dt.time(7, 0), dt.UTC)
    again = record_run(RunRequest(pipeline, day(9)), store, now=now)

    # A run that changes nothing writes nothing and has no write report.
    assert again.result.report is None
    assert (tmp_path / "pipeline.xlsx").read_bytes() == before
    lines = read_tab(tmp_path / "pipeline.xlsx", "Stage log")
    assert [line[6] for line in lines[2:]] == ["Total days in stage", 1, 3, 4, 3]


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


# A Stage log tab that the state database has no record of


def stage_log_after_runs(
    folder: Path, pipeline: Pipeline, store: StateStore
) -> list[list[object]]:
    """Record D-1's move from Lead on 01-04 to Qualified on 01-05; return the tab."""
    write_rows(folder, [("D-1", "Lead", None)])
    run_on(pipeline, store, day(4))
    write_rows(folder, [("D-1", "Qualified", None)])
    run_on(pipeline, store, day(5))
    return read_tab(folder / "pipeline.xlsx", "Stage log")


def test_other_state_file_keeps_stage_log(
    tmp_path: Path,
    pipeline: Pipeline,
    store: StateStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = stage_log_after_runs(tmp_path, pipeline, store)
    other_path = tmp_path / "other.sqlite"

    with StateStore.open(str(other_path)) as other:
        with caplog.at_level(logging.WARNING, logger="sync.job"):
            run_on(pipeline, other, day(6))
        snapshot = other.latest_snapshot(str(tmp_path / "pipeline.xlsx"))

    assert read_tab(tmp_path / "pipeline.xlsx", "Stage log") == before
    assert snapshot is None
    [warning] = caplog.messages
    workbook = str(tmp_path / "pipeline.xlsx")
    assert warning == (
        f"Tab 'Stage log' of workbook {workbook!r} lists stays recorded since "
        f"2027-01-04, but state database {str(other_path)!r} has no stage "
        "history of tab 'Deals' of that workbook. So this run neither used nor "
        "recorded stage history, and left tab 'Stage log' as it was. Run with "
        "the state database those runs were recorded in (--state or "
        "PIPESHEET_STATE). To start a new stage history, delete tab 'Stage log'."
    )


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    server.start()
    yield server
    server.stop()


def add_digests(folder: Path, url: str) -> Pipeline:
    """Return the folder's definition with digests for Ana Lima added."""
    definition = folder / "b2b-en.yaml"
    definition.write_text(
        definition.read_text(encoding="utf-8")
        + "notifications:\n  owners:\n    Ana Lima: {webhooks: [chat]}\n"
        + f'  channels:\n    - {{kind: webhook, id: chat, url: "{url}/hook"}}\n',
        encoding="utf-8",
    )
    return load_pipeline(definition)


def make_followups_overdue(folder: Path) -> None:
    path = folder / "pipeline.xlsx"
    book = openpyxl.load_workbook(path)
    sheet = book["Deals"]
    header = {cell.value: cell.column for cell in sheet[HEADER_ROW] if cell.value}
    for row in range(HEADER_ROW + 1, sheet.max_row + 1):
        sheet.cell(row, header["Next Step Date"]).value = _midnight(day(2))
    book.save(path)


def test_other_state_file_sends_no_digests(
    tmp_path: Path,
    pipeline: Pipeline,
    store: StateStore,
    receiver: WebhookReceiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    notified = add_digests(tmp_path, receiver.url)
    for number, stage in ((4, "Lead"), (5, "Qualified")):
        write_rows(tmp_path, [("D-1", stage, None)])
        make_followups_overdue(tmp_path)
        run_on(notified, store, day(number))
    other_path = tmp_path / "other.sqlite"

    with StateStore.open(str(other_path)) as other:
        with caplog.at_level(logging.WARNING, logger="sync.job"):
            now = dt.datetime.combine(day(6), dt.time(6, 0), dt.UTC)
            recorded = record_run(RunRequest(notified, day(6)), other, now=now)

    assert len(receiver.requests) == 2
    assert recorded.digests is not None
    assert recorded.digests.deliveries == []
    assert recorded.digests.skipped == STAGE_LOG_UNRECORDED
    [warning] = caplog.messages
    assert (
        "It sent no digests either, because the digests those runs sent are "
        "recorded in their database, so sending them from this one would "
        "repeat them. Run with the state database"
    ) in warning


def test_moved_workbook_warning_names_command(
    tmp_path: Path,
    pipeline: Pipeline,
    store: StateStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = stage_log_after_runs(tmp_path, pipeline, store)
    moved = tmp_path / "moved"
    moved.mkdir()
    for name in ("pipeline.xlsx", "b2b-en.yaml"):
        shutil.move(tmp_path / name, moved / name)
    moved_pipeline = load_pipeline(moved / "b2b-en.yaml")

    with caplog.at_level(logging.WARNING, logger="sync.job"):
        run_on(moved_pipeline, store, day(6))

    assert read_tab(moved / "pipeline.xlsx", "Stage log") == before
    old, new = tmp_path / "pipeline.xlsx", moved / "pipeline.xlsx"
    [warning] = caplog.messages
    assert (
        f"this database has runs of tab 'Deals' in {str(old)!r}: carry them over "
        f"with 'pipesheet rename-workbook {old} {new}'."
    ) in warning


def test_same_day_stage_log_not_kept(
    tmp_path: Path,
    pipeline: Pipeline,
    store: StateStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A run that wrote the tab but was not recorded leaves stays of its own day.
    write_rows(tmp_path, [("D-1", "Demo", dt.date(2026, 12, 31))])
    run_on(pipeline, store, day(4))

    with StateStore.open(str(tmp_path / "other.sqlite")) as other:
        with caplog.at_level(logging.WARNING, logger="sync.job"):
            run_on(pipeline, other, day(4))

    assert caplog.messages == []


def test_retyped_id_keeps_stays(
    tmp_path: Path, pipeline: Pipeline, store: StateStore
) -> None:
    lead = ("D-2", "Lead", day(1))
    write_rows(tmp_path, [("D-1", "Proposal", day(1)), lead])
    run_on(pipeline, store, day(4))
    write_rows(tmp_path, [("D-1", "Closed Lost", day(5)), lead])
    run_on(pipeline, store, day(5))

    write_rows(tmp_path, [("d-1", "Closed Lost", day(5)), lead])
    run_on(pipeline, store, day(6))

    assert stays_of(tmp_path, "D-1") == []
    assert stays_of(tmp_path, "d-1") == [
        ("Proposal", day(1), day(5), 4),
        ("Closed Lost", day(5), None, 1),
    ]
    problems = read_tab(tmp_path / "pipeline.xlsx", "Problems")
    assert [line[:2] for line in problems if "retyped-id" in line] == [[4, "d-1"]]
    funnel = read_tab(tmp_path / "pipeline.xlsx", "Funnel")
    reached = {line[0]: line[4] for line in funnel if len(line) == 8}
    from_log = {line[0]: line[1] for line in funnel if len(line) == 3}
    # D-1 was lost from Proposal, so it reached Proposal under either ID.
    assert reached["Proposal"] == 1
    assert from_log["Lead"] == 2
    assert from_log["Proposal"] == 1


def renamed_proposal(folder: Path, *, keep_alias: bool) -> Pipeline:
    """Rename stage Proposal to Offer in the folder's definition and load it."""
    path = folder / "b2b-en.yaml"
    text = path.read_text(encoding="utf-8")
    aliases = "[Proposal, Proposal Sent, Quote]" if keep_alias else "[Quote]"
    text = text.replace(
        "  - name: Proposal\n    aliases: [Proposal Sent, Quote]",
        f"  - name: Offer\n    aliases: {aliases}",
    )
    path.write_text(text, encoding="utf-8")
    return load_pipeline(path)


@pytest.mark.parametrize("keep_alias", [False, True])
def test_stage_renamed_without_alias_warned(
    pipeline: Pipeline,
    store: StateStore,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    keep_alias: bool,
) -> None:
    write_rows(tmp_path, [("D-1", "Proposal", day(1)), ("D-2", "Lead", day(1))])
    run_on(pipeline, store, day(2))
    renamed = renamed_proposal(tmp_path, keep_alias=keep_alias)
    write_rows(tmp_path, [("D-1", "Offer", day(1)), ("D-2", "Lead", day(1))])

    with caplog.at_level(logging.WARNING):
        run_on(renamed, store, day(3))

    warnings = [record.getMessage() for record in caplog.records]
    named = [message for message in warnings if "no longer names" in message]
    if keep_alias:
        assert named == []
    else:
        assert len(named) == 1
        assert "'Proposal' (1 deal)" in named[0]
        assert "add its old name to the aliases of the new stage" in named[0]


# Starts that a run showed, and later edits of Stage Entered


def test_ended_stay_keeps_end_after_retype(
    tmp_path: Path, pipeline: Pipeline, store: StateStore
) -> None:
    write_rows(tmp_path, [("D-1", "Lead", day(1))])
    run_on(pipeline, store, day(5))
    write_rows(tmp_path, [("D-1", "Demo", day(6))])
    run_on(pipeline, store, day(7))
    # The rep retypes Stage Entered, the stage unchanged.
    write_rows(tmp_path, [("D-1", "Demo", day(8))])
    run_on(pipeline, store, day(8))

    expected = [("Lead", day(1), day(6), 5), ("Demo", day(6), None, 2)]
    assert stays_of(tmp_path, "D-1") == expected
    showed = "entered as the row's 'Stage Entered' showed while in this stage"
    assert stage_log_notes(tmp_path, "D-1") == [
        f"{showed}; first recorded on 2027-01-05",
        f"{showed}; first recorded on 2027-01-07",
    ]
    stays = [
        (stay["stage"], stay["entered"], stay["exited"], stay["days"])
        for stay in logged_stays(tmp_path, "D-1")["stays"]
    ]
    assert stays == [
        ("Lead", "2027-01-01", "2027-01-06", 5),
        ("Demo", "2027-01-06", None, 2),
    ]


def test_new_deal_counted_once_after_retype(
    tmp_path: Path, pipeline: Pipeline, store: StateStore
) -> None:
    february = dt.date(2027, 2, 1)
    write_rows(tmp_path, [("D-1", "Lead", day(20))])
    run_on(pipeline, store, day(28))
    write_rows(tmp_path, [("D-1", "Lead", day(20)), ("D-2", "Lead", day(30))])
    run_on(pipeline, store, february)
    # The rep retypes D-2's Stage Entered after January's review is written.
    write_rows(
        tmp_path, [("D-1", "Lead", day(20)), ("D-2", "Lead", dt.date(2027, 2, 2))]
    )
    run_on(pipeline, store, dt.date(2027, 2, 2))
    run_on(pipeline, store, dt.date(2027, 3, 1))

    january = "New deals since 2027-01-28, the first recorded run"
    assert figure(tmp_path, "Review 2027-01", january) == 1
    assert figure(tmp_path, "Review 2027-02", "New deals") == 0
    assert stays_of(tmp_path, "D-2") == [("Lead", day(30), None, 30)]


def test_new_deal_counted_once_after_earlier_date(
    tmp_path: Path, pipeline: Pipeline, store: StateStore
) -> None:
    february = dt.date(2027, 2, 1)
    write_rows(tmp_path, [("D-1", "Lead", day(20))])
    run_on(pipeline, store, day(28))
    write_rows(tmp_path, [("D-1", "Lead", day(20)), ("D-2", "Lead", february)])
    run_on(pipeline, store, february)
    # January's review is written without D-2. Then its date moves into January.
    write_rows(tmp_path, [("D-1", "Lead", day(20)), ("D-2", "Lead", day(30))])
    run_on(pipeline, store, dt.date(2027, 2, 2))
    run_on(pipeline, store, dt.date(2027, 3, 1))

    january = "New deals since 2027-01-28, the first recorded run"
    assert figure(tmp_path, "Review 2027-01", january) == 0
    assert figure(tmp_path, "Review 2027-02", "New deals") == 1


def test_retype_within_open_month_taken(
    tmp_path: Path, pipeline: Pipeline, store: StateStore
) -> None:
    write_rows(tmp_path, [("D-1", "Lead", None)])
    run_on(pipeline, store, day(4))
    write_rows(tmp_path, [("D-1", "Lead", None), ("D-2", "Lead", day(6))])
    run_on(pipeline, store, day(8))
    write_rows(tmp_path, [("D-1", "Lead", None), ("D-2", "Lead", day(10))])
    run_on(pipeline, store, day(10))

    assert stays_of(tmp_path, "D-2") == [("Lead", day(8), None, 2)]


def test_date_typo_before_log_fixed(
    tmp_path: Path, pipeline: Pipeline, store: StateStore
) -> None:
    february = [("D-1", "Lead", day(20)), ("D-2", "Lead", dt.date(2026, 2, 2))]
    write_rows(tmp_path, february[:1])
    run_on(pipeline, store, day(28))
    write_rows(tmp_path, february)
    run_on(pipeline, store, dt.date(2027, 2, 3))
    run_on(pipeline, store, dt.date(2027, 2, 5))
    # The year is fixed. No review counted the stay, so its start can move.
    write_rows(tmp_path, [february[0], ("D-2", "Lead", dt.date(2027, 2, 2))])
    run_on(pipeline, store, dt.date(2027, 2, 6))

    assert stays_of(tmp_path, "D-2") == [("Lead", dt.date(2027, 2, 2), None, 4)]


def win_rate_line(folder: Path, tab: str, stage: str) -> list[object]:
    """Return a review's observed win rate %, closed and won deals of a stage."""
    lines = read_tab(folder / "pipeline.xlsx", tab)
    [line] = [line[2:5] for line in lines if line[:1] == [stage] and line[1] != "open"]
    return line


def test_archived_won_deal_in_win_rate(
    tmp_path: Path, pipeline: Pipeline, store: StateStore
) -> None:
    negotiation = [("A", "Negotiation", day(20)), ("B", "Negotiation", day(20))]
    write_rows(tmp_path, negotiation)
    run_on(pipeline, store, day(27))
    closed = [("A", "Closed Won", day(28)), ("B", "Closed Lost", day(28))]
    write_rows(tmp_path, closed)
    run_on(pipeline, store, day(28))
    run_on(pipeline, store, dt.date(2027, 2, 1))
    # The won deal A is archived off the sheet.
    write_rows(tmp_path, closed[1:])
    run_on(pipeline, store, dt.date(2027, 2, 2))
    run_on(pipeline, store, dt.date(2027, 3, 1))

    assert win_rate_line(tmp_path, "Review 2027-01", "Negotiation") == [50, 2, 1]
    assert win_rate_line(tmp_path, "Review 2027-02", "Negotiation") == [50, 2, 1]


def idle_message_of(folder: Path, row: int) -> str | None:
    """Return the Problems tab's idle-in-stage message of a row, if any."""
    problems = read_tab(folder / "pipeline.xlsx", "Problems")
    texts = [str(cell) for line in problems if row in line for cell in line]
    found = [text for text in texts if "Deal has been in stage" in text]
    return found[0] if found else None


def test_idle_counts_from_row_after_retype(
    tmp_path: Path, pipeline: Pipeline, store: StateStore
) -> None:
    write_rows(tmp_path, [("D-1", "Lead", day(1))])
    run_on(pipeline, store, day(3))
    write_rows(tmp_path, [("D-1", "Proposal", day(4))])
    run_on(pipeline, store, day(5))
    # Runs may have missed a move back and forth, so the row's date can be
    # right where the Stage log keeps the start it showed.
    write_rows(tmp_path, [("D-1", "Proposal", day(10))])
    run_on(pipeline, store, day(20))

    assert stays_of(tmp_path, "D-1")[1] == ("Proposal", day(4), None, 16)
    assert idle_message_of(tmp_path, HEADER_ROW + 1) is None
