"""Tests of recorded runs: the workbook lock, run records, reviews and digests."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest

from bench.generate import generate_pipeline
from config.errors import QuotaExceededError, SheetLayoutError
from config.loader import load_pipeline
from config.models import Locale, Pipeline
from config.shipped import shipped_definition
from sync.atomic import TEMPORARY_SUFFIX
from sync.job import (
    LOCK_TTL,
    DeferredRunError,
    EarlierAsOfError,
    RecordedRun,
    RunRequest,
    WorkbookLockedError,
    holder_is_dead,
    record_run,
    run_recorded,
)
from sync.run import run_sync
from sync.run_process import run_definition
from sync.sources.excel import ExcelWorkbook
from sync.starter import build_starter_workbook
from sync.state.keys import workbook_key
from sync.state.records import RunOutcome
from sync.state.store import StateStore
from tests.python_child import checkout_environment, python_output
from tests.sync.notify.servers import WebhookReceiver
from tests.sync.pipeline_files import (
    SheetDeal,
    read_tab,
    tab_names,
    write_deals,
    write_definition,
)

SEPTEMBER_20 = dt.date(2025, 9, 20)
SEPTEMBER_29 = dt.date(2025, 9, 29)
SEPTEMBER_30 = dt.date(2025, 9, 30)
OCTOBER_1 = dt.date(2025, 10, 1)
OCTOBER_2 = dt.date(2025, 10, 2)
DEALS = [
    SheetDeal("D-1", "Ana", "Lead"),
    SheetDeal("D-2", "Ben", "Qualified", next_step=dt.date(2025, 9, 25)),
]
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
OTHER_HOLDER = "other-host:4242:0f0f0f"


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep urllib from sending loopback requests through a configured proxy."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    path = tmp_path / "pipeline.xlsx"
    write_deals(path, DEALS)
    return path


@pytest.fixture
def pipeline(tmp_path: Path, workbook: Path) -> Pipeline:
    return load_pipeline(write_definition(tmp_path))


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    server.start()
    yield server
    server.stop()


def run_on(
    pipeline: Pipeline, store: StateStore, as_of: dt.date, *, dry_run: bool = False
) -> RecordedRun:
    """Run as the 07:00 run of ``as_of`` in Berlin (05:00 UTC in summer)."""
    now = dt.datetime.combine(as_of, dt.time(5, 0), dt.UTC)
    request = RunRequest(pipeline, as_of, dry_run=dry_run)
    return record_run(request, store, now=now)


def dead_process_id() -> int:
    """Return the id of a process that has exited and been waited for."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def temporary_files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob("*.pipesheet-tmp"))


# The lock


def test_locked_workbook_raises_and_writes_nothing(
    pipeline: Pipeline, store: StateStore, workbook: Path
) -> None:
    key = workbook_key(pipeline)
    until = dt.datetime(2025, 9, 30, 5, 30, tzinfo=dt.UTC)
    store.acquire_lock(key, OTHER_HOLDER, LOCK_TTL, until - LOCK_TTL)
    before = workbook.read_bytes()

    with pytest.raises(WorkbookLockedError) as raised:
        run_on(pipeline, store, SEPTEMBER_30)

    assert str(raised.value) == (
        f"Workbook {key!r} is being synced by {OTHER_HOLDER} (lock held until "
        "2025-09-30T05:30:00+00:00). This run was skipped. Run again after that "
        "run ends (a scheduled run retries by itself)."
    )
    assert workbook.read_bytes() == before
    assert store.runs(key) == []


def test_locked_workbook_keeps_other_lock(
    pipeline: Pipeline, store: StateStore, workbook: Path
) -> None:
    key = workbook_key(pipeline)
    now = dt.datetime(2025, 9, 30, 5, 0, tzinfo=dt.UTC)
    store.acquire_lock(key, OTHER_HOLDER, LOCK_TTL, now)
    with pytest.raises(WorkbookLockedError):
        run_on(pipeline, store, SEPTEMBER_30)
    lock = store.lock(key)
    assert lock is not None
    assert lock.holder == OTHER_HOLDER


def test_locked_run_logged_at_info(
    pipeline: Pipeline,
    store: StateStore,
    workbook: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = workbook_key(pipeline)
    store.acquire_lock(
        key, OTHER_HOLDER, LOCK_TTL, dt.datetime(2025, 9, 30, 5, 0, tzinfo=dt.UTC)
    )
    caplog.set_level(logging.INFO, logger="sync.job")
    with pytest.raises(WorkbookLockedError):
        run_on(pipeline, store, SEPTEMBER_30)
    skipped = [
        record
        for record in caplog.records
        if record.getMessage().startswith("run skipped")
    ]
    assert [record.levelname for record in skipped] == ["INFO"]
    assert skipped[0].getMessage() == (
        f"run skipped: workbook={key} locked by {OTHER_HOLDER}"
    )


def test_dead_holder_lock_taken_over(
    pipeline: Pipeline, store: StateStore, workbook: Path
) -> None:
    key = workbook_key(pipeline)
    dead = f"{socket.gethostname()}:{dead_process_id()}:0a0a0a"
    taken = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    store.acquire_lock(key, dead, LOCK_TTL, taken)
    unfinished = store.start_run(key, "Deals", SEPTEMBER_30)

    run_on(pipeline, store, SEPTEMBER_30)

    runs = store.runs(key)
    assert [run.outcome for run in runs] == [RunOutcome.OK, RunOutcome.FAILED]
    assert runs[1].id == unfinished
    assert runs[1].error == (
        f"the process {dead} stopped before it recorded how the run ended; the "
        "next run took over its lock"
    )
    assert store.lock(key) is None


@pytest.mark.parametrize(
    ("holder", "dead"),
    [
        ("other-host:1:abc", False),
        (f"{socket.gethostname()}:{os.getpid()}:abc", False),
        ("no process id", False),
    ],
    ids=["other-host", "this-process", "unreadable"],
)
def test_holder_is_dead_only_when_gone(holder: str, dead: bool) -> None:
    assert holder_is_dead(holder) is dead


def test_holder_of_exited_process_is_dead() -> None:
    assert holder_is_dead(f"{socket.gethostname()}:{dead_process_id()}:abc")


# Run records


def test_recorded_run_stores_outcome_and_snapshot(
    pipeline: Pipeline, store: StateStore, workbook: Path
) -> None:
    recorded = run_on(pipeline, store, SEPTEMBER_30)
    key = workbook_key(pipeline)
    runs = store.runs(key)
    assert [(run.id, run.outcome, run.deals) for run in runs] == [
        (recorded.run_id, RunOutcome.OK, 2)
    ]
    snapshot = store.latest_snapshot(key)
    assert [(deal.deal_id, deal.stage) for deal in snapshot or []] == [
        ("D-1", "Lead"),
        ("D-2", "Qualified"),
    ]
    assert store.lock(key) is None


def stored_snapshots(store: StateStore) -> int:
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT COUNT(*) FROM run_snapshots")
        return int(rows.scalar_one())


def test_unchanged_rerun_stores_no_snapshot(
    pipeline: Pipeline, store: StateStore, workbook: Path
) -> None:
    run_on(pipeline, store, SEPTEMBER_30)

    run_on(pipeline, store, OCTOBER_1)

    snapshot = store.latest_snapshot(workbook_key(pipeline)) or []
    assert stored_snapshots(store) == 1
    assert [(deal.deal_id, deal.stage) for deal in snapshot] == [
        ("D-1", "Lead"),
        ("D-2", "Qualified"),
    ]


def test_changed_rerun_stores_snapshot(
    pipeline: Pipeline, store: StateStore, workbook: Path
) -> None:
    run_on(pipeline, store, SEPTEMBER_30)
    write_deals(workbook, [DEALS[0], SheetDeal("D-2", "Ben", "Proposal")])

    run_on(pipeline, store, OCTOBER_1)

    assert stored_snapshots(store) == 2


def test_change_after_unchanged_rerun_found(
    pipeline: Pipeline, store: StateStore, workbook: Path
) -> None:
    run_on(pipeline, store, SEPTEMBER_30)
    run_on(pipeline, store, OCTOBER_1)
    write_deals(workbook, [DEALS[0], SheetDeal("D-2", "Ben", "Proposal")])

    run_on(pipeline, store, OCTOBER_2)

    moves = store.transitions(workbook_key(pipeline), "D-2")
    assert [(move.from_stage, move.to_stage, move.seen_on) for move in moves] == [
        (None, "Qualified", SEPTEMBER_30),
        ("Qualified", "Proposal", OCTOBER_2),
    ]


def test_failing_source_recorded_failed(
    tmp_path: Path, store: StateStore, workbook: Path
) -> None:
    definition = write_definition(tmp_path)
    text = definition.read_text(encoding="utf-8").replace("tab: Deals", "tab: Pipeline")
    definition.write_text(text, encoding="utf-8")
    pipeline = load_pipeline(definition)

    with pytest.raises(SheetLayoutError) as raised:
        run_on(pipeline, store, SEPTEMBER_30)

    runs = store.runs(workbook_key(pipeline))
    assert [run.outcome for run in runs] == [RunOutcome.FAILED]
    assert runs[0].error == str(raised.value)
    assert "'Pipeline'" in str(raised.value)
    assert store.lock(workbook_key(pipeline)) is None


def test_dry_run_records_nothing(
    pipeline: Pipeline, store: StateStore, workbook: Path
) -> None:
    before = workbook.read_bytes()
    recorded = run_on(pipeline, store, SEPTEMBER_30, dry_run=True)
    key = workbook_key(pipeline)
    assert recorded.run_id is None
    assert store.runs(key) == []
    assert store.latest_snapshot(key) is None
    assert workbook.read_bytes() == before


def test_dry_run_plans_stage_log(
    pipeline: Pipeline, store: StateStore, workbook: Path
) -> None:
    recorded = run_on(pipeline, store, SEPTEMBER_30, dry_run=True)
    planned = [tab.name for tab in recorded.result.plan.tabs]
    assert "Stage log" in planned


def test_stale_temporary_file_removed(
    pipeline: Pipeline, store: StateStore, workbook: Path
) -> None:
    stale = workbook.with_name(".pipeline.xlsx.k2j4h5g6.pipesheet-tmp")
    fresh = workbook.with_name(".pipeline.xlsx.a1b2c3d4.pipesheet-tmp")
    other = workbook.with_name(".other.xlsx.a1b2c3d4.pipesheet-tmp")
    for path in (stale, fresh, other):
        path.write_bytes(b"partial")
    hours_ago = (dt.datetime.now(dt.UTC) - 2 * LOCK_TTL).timestamp()
    os.utime(stale, (hours_ago, hours_ago))
    os.utime(other, (hours_ago, hours_ago))

    run_on(pipeline, store, SEPTEMBER_30)

    assert temporary_files(workbook.parent) == [other.name, fresh.name]


# The monthly review


def test_first_run_of_month_freezes_review(
    pipeline: Pipeline, store: StateStore, workbook: Path
) -> None:
    run_on(pipeline, store, SEPTEMBER_29)
    write_deals(workbook, [SheetDeal("D-1", "Ana", "Qualified"), DEALS[1]])
    run_on(pipeline, store, SEPTEMBER_30)
    run_on(pipeline, store, OCTOBER_1)

    review = read_tab(workbook, "Review 2025-09")
    assert review[0] == [
        (
            "Monthly review of 2025-09, frozen by pipesheet on 2025-10-01 from tab "
            "'Deals'. pipesheet writes this tab once and never changes it."
        )
    ]
    assert review[2] == [
        "The stage log began on 2025-09-29; moves before that day are not counted."
    ]
    assert review[6:11] == [
        ["Lead", "open", 0, 1, 0, 0, 0, 0],
        ["Qualified", "open", 1, 0, 0, 0, 0],
        ["Proposal", "open", 0, 0, 0, 0, 0],
        ["Won", "won", 0],
        ["Lost", "lost", 0],
    ]


def test_review_not_rewritten_later(
    pipeline: Pipeline, store: StateStore, workbook: Path
) -> None:
    run_on(pipeline, store, SEPTEMBER_30)
    run_on(pipeline, store, OCTOBER_1)
    frozen = read_tab(workbook, "Review 2025-09")

    write_deals(workbook, [SheetDeal("D-1", "Ana", "Lost", lost_reason="Price")])
    run_on(pipeline, store, OCTOBER_2)

    assert read_tab(workbook, "Review 2025-09") == frozen


def review_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the monthly review's warnings, leaving out other loggers' records."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "sync.monthly_review" and record.levelno >= logging.WARNING
    ]


def test_existing_review_tab_left_alone(
    pipeline: Pipeline,
    store: StateStore,
    workbook: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    run_on(pipeline, store, SEPTEMBER_30)
    book = openpyxl.load_workbook(workbook)
    sheet = book.create_sheet("Review 2025-09")
    sheet["A1"] = "Monthly review kept by hand"
    book.save(workbook)

    with caplog.at_level(logging.WARNING, logger="sync.monthly_review"):
        run_on(pipeline, store, OCTOBER_1)

    assert read_tab(workbook, "Review 2025-09") == [["Monthly review kept by hand"]]
    [warning] = review_warnings(caplog)
    assert "already has a tab 'Review 2025-09' that pipesheet did not create" in warning
    assert "review of 2025-09 was not written" in warning
    assert "Rename that tab" in warning


def test_own_review_tab_left_quietly(
    pipeline: Pipeline,
    store: StateStore,
    workbook: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    run_on(pipeline, store, SEPTEMBER_30)
    run_on(pipeline, store, OCTOBER_1)
    frozen = read_tab(workbook, "Review 2025-09")
    # A new state database makes the next October run the month's first again.
    with StateStore.open(str(tmp_path / "new-state.sqlite")) as new_store:
        run_on(pipeline, new_store, SEPTEMBER_30)
        with caplog.at_level(logging.WARNING, logger="sync.monthly_review"):
            run_on(pipeline, new_store, OCTOBER_1)

    assert read_tab(workbook, "Review 2025-09") == frozen
    assert review_warnings(caplog) == []


def test_late_review_counts_closes_by_date(tmp_path: Path, store: StateStore) -> None:
    # The starter workbook of 09-20 has D-1014 won on 09-08 and D-1015 lost on
    # 08-21, both before the log's first run on 09-20.
    folder = tmp_path / "starter"
    folder.mkdir()
    shutil.copy(shipped_definition("b2b-en"), folder / "b2b-en.yaml")
    build_starter_workbook(folder / "pipeline.xlsx", Locale.EN, as_of=SEPTEMBER_20)
    pipeline = load_pipeline(folder / "b2b-en.yaml")
    run_on(pipeline, store, SEPTEMBER_20)

    run_on(pipeline, store, OCTOBER_1)

    review = read_tab(folder / "pipeline.xlsx", "Review 2025-09")
    figures = review.index(["Figure", "Value"])
    assert review[figures + 2 : figures + 7] == [
        ["Won deals since 2025-09-20, the first recorded run", 0],
        ["Lost deals since 2025-09-20, the first recorded run", 0],
        ["Deals that left the sheet since 2025-09-20, the first recorded run", 0],
        ["Won deals with 'Expected Close' in 2025-09 and no recorded move", 1],
        ["Lost deals with 'Expected Close' in 2025-09 and no recorded move", 0],
    ]
    assert review[figures + 8 : figures + 11] == [
        ["Lost reason", "Deals"],
        ["No deal was recorded as lost since 2025-09-20, the first recorded run."],
        ["No deal in a lost stage has 'Expected Close' in 2025-09."],
    ]


def test_month_without_runs_keeps_reviews(
    pipeline: Pipeline, store: StateStore, workbook: Path
) -> None:
    run_on(pipeline, store, SEPTEMBER_29)
    write_deals(workbook, [SheetDeal("D-1", "Ana", "Qualified"), DEALS[1]])
    run_on(pipeline, store, SEPTEMBER_30)

    run_on(pipeline, store, dt.date(2025, 11, 3))

    names = tab_names(workbook)
    assert "Review 2025-09" in names
    assert "Review 2025-10" in names
    september = read_tab(workbook, "Review 2025-09")
    assert september[6][:4] == ["Lead", "open", 0, 1]


def test_reviews_past_twelve_months_warned(
    pipeline: Pipeline,
    store: StateStore,
    workbook: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    run_on(pipeline, store, SEPTEMBER_30)

    with caplog.at_level(logging.WARNING):
        run_on(pipeline, store, dt.date(2026, 11, 3))

    names = tab_names(workbook)
    assert "Review 2025-10" not in names
    assert "Review 2025-11" in names
    assert "Review 2026-10" in names
    warnings = [record.getMessage() for record in caplog.records]
    assert any(
        "only the last 12 months get a review tab" in message
        and "The months 2025-09 to 2025-10 get none" in message
        for message in warnings
    )


def forget_reviews(store: StateStore, workbook: Path) -> None:
    """Make the runs and workbook look as a version without reviews left them."""
    import sqlalchemy as sa

    from sync.state.tables import runs

    with store.engine.begin() as connection:
        connection.execute(sa.update(runs).values(reviewed_through=None))
    book = openpyxl.load_workbook(workbook)
    for name in book.sheetnames:
        if name.startswith("Review "):
            del book[name]
    book.save(workbook)


def test_review_after_run_without_reviews(
    pipeline: Pipeline, store: StateStore, workbook: Path
) -> None:
    run_on(pipeline, store, SEPTEMBER_30)
    run_on(pipeline, store, OCTOBER_1)
    forget_reviews(store, workbook)

    run_on(pipeline, store, OCTOBER_2)

    assert "Review 2025-09" in tab_names(workbook)


def test_old_runs_leave_one_month_due(
    pipeline: Pipeline, store: StateStore, workbook: Path
) -> None:
    for day in (dt.date(2025, 6, 30), dt.date(2025, 7, 15), dt.date(2025, 8, 15)):
        run_on(pipeline, store, day)
    run_on(pipeline, store, OCTOBER_1)
    forget_reviews(store, workbook)

    run_on(pipeline, store, OCTOBER_2)

    reviews = [name for name in tab_names(workbook) if name.startswith("Review ")]
    assert reviews == ["Review 2025-09"]


def test_reviewed_month_recorded(
    pipeline: Pipeline, store: StateStore, workbook: Path
) -> None:
    import sqlalchemy as sa

    from sync.state.tables import runs

    run_on(pipeline, store, SEPTEMBER_30)
    run_on(pipeline, store, OCTOBER_1)

    with store.engine.begin() as connection:
        query = sa.select(runs.c.reviewed_through).order_by(runs.c.id)
        recorded = list(connection.execute(query).scalars())
    assert recorded == [dt.date(2025, 8, 1), dt.date(2025, 9, 1)]


def test_dry_run_plans_review_tab(
    pipeline: Pipeline, store: StateStore, workbook: Path
) -> None:
    run_on(pipeline, store, SEPTEMBER_30)

    recorded = run_on(pipeline, store, OCTOBER_1, dry_run=True)

    assert "Review 2025-09" in [tab.name for tab in recorded.result.plan.tabs]
    assert "Review 2025-09" not in tab_names(workbook)


def test_no_review_in_log_first_month(
    pipeline: Pipeline, store: StateStore, workbook: Path
) -> None:
    run_on(pipeline, store, OCTOBER_1)
    assert "Review 2025-09" not in tab_names(workbook)


# Digests


@pytest.fixture
def notified(tmp_path: Path, workbook: Path, receiver: WebhookReceiver) -> Pipeline:
    return load_pipeline(write_definition(tmp_path, webhook_url=receiver.url + "/hook"))


def test_digests_sent_once_per_day(
    notified: Pipeline, store: StateStore, receiver: WebhookReceiver
) -> None:
    first = run_on(notified, store, SEPTEMBER_30)
    second = run_on(notified, store, SEPTEMBER_30)

    assert first.digests is not None
    assert [(d.owner, d.status.value) for d in first.digests.deliveries] == [
        ("Ben", "sent")
    ]
    assert second.digests is not None
    assert [(d.owner, d.status.value) for d in second.digests.deliveries] == [
        ("Ben", "already-sent")
    ]
    assert [request.json()["owner"] for request in receiver.requests] == ["Ben"]


def test_run_across_midnight_sends_start_day(
    notified: Pipeline, store: StateStore, receiver: WebhookReceiver
) -> None:
    # A run started at 23:59:58 in Berlin on 30 September and ended at
    # 00:00:03 on 1 October sends the digests of 30 September.
    started = dt.datetime(2025, 9, 30, 21, 59, 58, tzinfo=dt.UTC)
    ended = dt.datetime(2025, 9, 30, 22, 0, 3, tzinfo=dt.UTC)
    request = RunRequest(notified, SEPTEMBER_30, started_at=started)

    recorded = record_run(request, store, now=ended)

    assert recorded.digests is not None
    assert recorded.digests.skipped is None
    assert [(d.owner, d.status.value) for d in recorded.digests.deliveries] == [
        ("Ben", "sent")
    ]
    assert [request.json()["date"] for request in receiver.requests] == ["2025-09-30"]


def test_failing_channel_keeps_run_ok(
    notified: Pipeline, store: StateStore, receiver: WebhookReceiver
) -> None:
    receiver.responses.append((500, b"down"))
    failed = run_on(notified, store, SEPTEMBER_30)
    retried = run_on(notified, store, SEPTEMBER_30)

    assert failed.digests is not None
    assert [d.status.value for d in failed.digests.deliveries] == ["failed"]
    assert retried.digests is not None
    assert [d.status.value for d in retried.digests.deliveries] == ["sent"]
    runs = store.runs(workbook_key(notified))
    assert [run.outcome for run in runs] == [RunOutcome.OK, RunOutcome.OK]


def test_open_workbook_still_sends_digests(
    notified: Pipeline, store: StateStore, receiver: WebhookReceiver, workbook: Path
) -> None:
    workbook.with_name("~$pipeline.xlsx").write_bytes(b"\x0aAlice Chen")
    before = workbook.read_bytes()

    with pytest.raises(DeferredRunError) as raised:
        run_on(notified, store, SEPTEMBER_30)

    digests = raised.value.digests
    assert digests is not None
    assert [(d.owner, d.status.value) for d in digests.deliveries] == [("Ben", "sent")]
    assert [request.json()["owner"] for request in receiver.requests] == ["Ben"]
    assert str(raised.value).startswith("Workbook 'pipeline.xlsx' is open in Excel")
    assert str(raised.value).endswith(
        " The digests did not wait for the write: 1 digest sent."
    )
    assert workbook.read_bytes() == before
    [run] = store.runs(workbook_key(notified))
    assert run.outcome is RunOutcome.DEFERRED
    assert run.error == str(raised.value)


def test_open_workbook_counts_unsent_digests(
    notified: Pipeline, store: StateStore, receiver: WebhookReceiver, workbook: Path
) -> None:
    workbook.with_name("~$pipeline.xlsx").write_bytes(b"\x0aAlice Chen")
    receiver.responses.append((500, b"down"))

    with pytest.raises(DeferredRunError) as raised:
        run_on(notified, store, SEPTEMBER_30)

    assert str(raised.value).endswith(
        " The digests did not wait for the write: 0 digests sent, 1 not sent (a "
        "later run of the same day retries them)."
    )


def test_closed_workbook_written_without_resend(
    notified: Pipeline, store: StateStore, receiver: WebhookReceiver, workbook: Path
) -> None:
    lock_file = workbook.with_name("~$pipeline.xlsx")
    lock_file.write_bytes(b"\x0aAlice Chen")
    with pytest.raises(DeferredRunError):
        run_on(notified, store, SEPTEMBER_30)
    lock_file.unlink()

    written = run_on(notified, store, SEPTEMBER_30)

    assert written.digests is not None
    assert [d.status.value for d in written.digests.deliveries] == ["already-sent"]
    assert len(receiver.requests) == 1
    assert written.result.report is not None
    runs = store.runs(workbook_key(notified))
    assert {run.outcome for run in runs} == {RunOutcome.DEFERRED, RunOutcome.OK}


def test_deferred_summary_counts_digests(
    notified: Pipeline, tmp_path: Path, receiver: WebhookReceiver, workbook: Path
) -> None:
    workbook.with_name("~$pipeline.xlsx").write_bytes(b"\x0aAlice Chen")
    now = dt.datetime.combine(SEPTEMBER_30, dt.time(5, 0), dt.UTC)
    config = str(tmp_path / "pipeline.yaml")

    summary = run_definition(config, None, str(tmp_path / "s.sqlite"), now=now)

    assert summary.outcome is RunOutcome.DEFERRED
    assert summary.digests_sent == 1
    assert summary.digests_failed == 0


def test_deferred_summary_counts_deals(
    notified: Pipeline, tmp_path: Path, receiver: WebhookReceiver, workbook: Path
) -> None:
    # The deferred run read and checked the sheet, so its log line counts both.
    expected = run_sync(notified, ExcelWorkbook(workbook), SEPTEMBER_30, dry_run=True)
    workbook.with_name("~$pipeline.xlsx").write_bytes(b"\x0aAlice Chen")
    now = dt.datetime.combine(SEPTEMBER_30, dt.time(5, 0), dt.UTC)
    config = str(tmp_path / "pipeline.yaml")

    summary = run_definition(config, None, str(tmp_path / "s.sqlite"), now=now)

    assert summary.outcome is RunOutcome.DEFERRED
    assert summary.deals == len(expected.deals)
    assert summary.deals > 0
    assert summary.findings == len(expected.findings)


def reject_for_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every tab read fail as when Google's quota stays exhausted."""

    def read_tab(_source: ExcelWorkbook, _tab: str) -> None:
        raise QuotaExceededError("Google Sheets kept rejecting requests for quota.")

    monkeypatch.setattr(ExcelWorkbook, "read_tab", read_tab)


def test_quota_exhausted_run_deferred(
    pipeline: Pipeline, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    reject_for_quota(monkeypatch)

    with pytest.raises(QuotaExceededError):
        run_on(pipeline, store, SEPTEMBER_30)

    [run] = store.runs(workbook_key(pipeline))
    assert run.outcome is RunOutcome.DEFERRED
    assert run.error == "Google Sheets kept rejecting requests for quota."


def test_interrupted_run_recorded_as_failed(
    pipeline: Pipeline,
    store: StateStore,
    workbook: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = workbook.read_bytes()

    def stopped_read(_source: ExcelWorkbook, _tab: str) -> None:
        raise KeyboardInterrupt("SIGTERM")

    monkeypatch.setattr(ExcelWorkbook, "read_tab", stopped_read)

    with pytest.raises(KeyboardInterrupt):
        run_on(pipeline, store, SEPTEMBER_30)

    key = workbook_key(pipeline)
    [run] = store.runs(key)
    assert run.outcome is RunOutcome.FAILED
    assert run.error == (
        "Stopped by SIGTERM before its write replaced the workbook, which was "
        "left as it was."
    )
    assert store.lock(key) is None
    assert workbook.read_bytes() == before


def test_quota_exhausted_summary_deferred(
    pipeline: Pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reject_for_quota(monkeypatch)
    now = dt.datetime.combine(SEPTEMBER_30, dt.time(5, 0), dt.UTC)
    config = str(tmp_path / "pipeline.yaml")

    summary = run_definition(config, None, str(tmp_path / "s.sqlite"), now=now)

    assert summary.outcome is RunOutcome.DEFERRED
    assert summary.error == "Google Sheets kept rejecting requests for quota."


def test_open_workbook_before_digest_hour_says_nothing(
    notified: Pipeline, store: StateStore, receiver: WebhookReceiver, workbook: Path
) -> None:
    workbook.with_name("~$pipeline.xlsx").write_bytes(b"\x0aAlice Chen")
    # 04:00 in Berlin, before the digest hour of 7.
    now = dt.datetime(2025, 9, 30, 2, 0, tzinfo=dt.UTC)

    with pytest.raises(DeferredRunError) as raised:
        record_run(RunRequest(notified, SEPTEMBER_30), store, now=now)

    assert receiver.requests == []
    assert "digest" not in str(raised.value)


def test_digests_none_without_notifications(
    pipeline: Pipeline, store: StateStore
) -> None:
    assert run_on(pipeline, store, SEPTEMBER_30).digests is None


def test_dry_run_sends_no_digest(
    notified: Pipeline, store: StateStore, receiver: WebhookReceiver
) -> None:
    recorded = run_on(notified, store, SEPTEMBER_30, dry_run=True)
    assert recorded.digests is None
    assert receiver.requests == []


def test_run_recorded_returns_result(
    pipeline: Pipeline, store: StateStore, workbook: Path
) -> None:
    now = dt.datetime(2025, 9, 30, 5, 0, tzinfo=dt.UTC)
    result = run_recorded(RunRequest(pipeline, SEPTEMBER_30), store, now=now)
    assert [deal.deal_id for deal in result.deals] == ["D-1", "D-2"]


# SIGKILL in the middle of a run

KILL_ROWS = 8000
OWNERS = ("Ana Lima", "Ben Ortiz")
GENERATED_TABS = ["Funnel", "Follow-ups", "Problems", "Definitions", "Stage log"]
POLL_SECONDS = 0.002


@pytest.fixture(scope="module")
def large_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("large") / "deals.xlsx"
    generate_pipeline(KILL_ROWS, path)
    return path


def write_large_definition(folder: Path, workbook: Path, url: str) -> Path:
    """Write the shipped English definition for ``workbook``, with digests."""
    text = shipped_definition("b2b-en").read_text(encoding="utf-8")
    text = text.replace("path: pipeline.xlsx", f"path: {workbook.name}")
    owners = "".join(f"    {owner}: {{webhooks: [chat]}}\n" for owner in OWNERS)
    text += (
        "notifications:\n  digest_hour: 0\n  owners:\n"
        f"{owners}"
        f'  channels:\n    - {{kind: webhook, id: chat, url: "{url}"}}\n'
    )
    path = folder / "pipeline.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def start_pipesheet_run(
    definition: Path, state: Path, *, errors: int = subprocess.PIPE
) -> subprocess.Popen[bytes]:
    command = "from sync.cli import main; main()"
    arguments = ["run", str(definition), "--state", str(state), "-q"]
    return subprocess.Popen(
        [sys.executable, "-c", command, *arguments],
        cwd=definition.parent,
        stdout=subprocess.DEVNULL,
        stderr=errors,
        env=checkout_environment(),
    )


def lock_taken(state: Path) -> bool:
    try:
        connection = sqlite3.connect(state, timeout=0.1)
        try:
            return bool(connection.execute("SELECT count(*) FROM locks").fetchone()[0])
        finally:
            connection.close()
    except sqlite3.Error:
        return False


def temporary_sizes(folder: Path) -> list[int]:
    sizes = []
    for path in folder.glob(f".*{TEMPORARY_SUFFIX}"):
        try:
            sizes.append(path.stat().st_size)
        except FileNotFoundError:
            continue
    return sizes


def kill_when(process: subprocess.Popen[bytes], moment: Callable[[], bool]) -> bool:
    """Kill the process with SIGKILL once ``moment()`` is true; return if it was."""
    while process.poll() is None:
        if moment():
            process.kill()
            process.wait()
            return True
        time.sleep(POLL_SECONDS)
    return False


def check_complete_workbook(path: Path) -> None:
    """Check that a workbook pipesheet wrote opens and contains all of a run."""
    names = tab_names(path)
    assert [name for name in GENERATED_TABS if name in names] == GENERATED_TABS
    deals = read_tab(path, "Deals")
    assert len(deals) == KILL_ROWS + 3
    assert deals[2][-1] == "pipesheet status"
    assert all(len(row) == len(deals[2]) for row in deals[3:])


@pytest.mark.parametrize(
    "moment",
    ["lock-taken", "temporary-file-created", "temporary-file-half-written"],
    ids=["before-write", "write-started", "mid-write"],
)
def test_sigkill_leaves_workbook_whole(
    moment: str, tmp_path: Path, large_workbook: Path, receiver: WebhookReceiver
) -> None:
    workbook = tmp_path / "deals.xlsx"
    shutil.copyfile(large_workbook, workbook)
    old = hashlib.sha256(workbook.read_bytes()).hexdigest()
    definition = write_large_definition(tmp_path, workbook, receiver.url + "/hook")
    state = tmp_path / "state.sqlite"
    moments = {
        "lock-taken": lambda: lock_taken(state),
        "temporary-file-created": lambda: bool(temporary_sizes(tmp_path)),
        "temporary-file-half-written": lambda: any(
            size * 2 >= workbook.stat().st_size for size in temporary_sizes(tmp_path)
        ),
    }

    process = start_pipesheet_run(definition, state, errors=subprocess.DEVNULL)
    killed = kill_when(process, moments[moment])

    assert killed
    if hashlib.sha256(workbook.read_bytes()).hexdigest() != old:
        check_complete_workbook(workbook)
    with StateStore.open(str(state)) as store:
        ok_before = [r.id for r in store.runs() if r.outcome is RunOutcome.OK]

    restarted = start_pipesheet_run(definition, state)
    _, errors = restarted.communicate(timeout=300)
    assert restarted.returncode == 0, errors.decode()

    check_complete_workbook(workbook)
    assert temporary_sizes(tmp_path) == []
    with StateStore.open(str(state)) as store:
        runs = store.runs()
        assert store.lock(str(workbook)) is None
    ok_after = [run.id for run in runs if run.outcome is RunOutcome.OK]
    assert len(ok_after) == len(ok_before) + 1
    assert [run.id for run in runs if run.outcome is None] == []

    again = start_pipesheet_run(definition, state)
    _, errors = again.communicate(timeout=300)
    assert again.returncode == 0, errors.decode()
    posted = sorted(request.json()["owner"] for request in receiver.requests)
    assert posted == list(OWNERS)


def test_earlier_as_of_rejected(pipeline: Pipeline, store: StateStore) -> None:
    run_on(pipeline, store, dt.date(2025, 9, 30))
    key = workbook_key(pipeline, None)

    # A day after both, so the latest run is no future day.
    now = dt.datetime(2025, 10, 1, 5, tzinfo=dt.UTC)
    with pytest.raises(EarlierAsOfError) as raised:
        record_run(RunRequest(pipeline, dt.date(2025, 9, 29)), store, now=now)

    assert str(raised.value) == (
        f"Tab {pipeline.source.tab!r} of workbook {key!r} was last run as of "
        "2025-09-30, so a run as of 2025-09-29 would record its stage changes out "
        "of order. Nothing was run. To look at an earlier day, add --dry-run "
        "(nothing is recorded) or --no-state (no history is used or kept)."
    )
    assert len(store.runs(key)) == 1
    assert store.lock(key) is None


def test_earlier_as_of_after_quiet_run_rejected(
    pipeline: Pipeline, store: StateStore
) -> None:
    # The second run finds the same stages, so it stores no snapshot. It still
    # read the sheet on 10-02, so a run as of 10-01 comes too late.
    run_on(pipeline, store, dt.date(2025, 9, 30))
    run_on(pipeline, store, dt.date(2025, 10, 2))
    key = workbook_key(pipeline, None)

    with pytest.raises(EarlierAsOfError) as raised:
        run_on(pipeline, store, dt.date(2025, 10, 1))

    assert "was last run as of 2025-10-02" in str(raised.value)
    assert len(store.runs(key)) == 2


def test_earlier_as_of_after_future_run(pipeline: Pipeline, store: StateStore) -> None:
    # run_on runs each day at 07:00, so the future run's "today" is its day.
    run_on(pipeline, store, dt.date(2052, 10, 1))
    key = workbook_key(pipeline, None)

    with pytest.raises(EarlierAsOfError) as raised:
        run_on(pipeline, store, dt.date(2025, 10, 1))

    assert str(raised.value).endswith(
        "(no history is used or kept). The run as of 2052-10-01 is for a day "
        f"after today in time zone {pipeline.timezone!r} (2025-10-01), as after a "
        "change of the definition's timezone to one behind the old one; "
        "'pipesheet history' lists it. Runs are recorded again from 2052-10-01 "
        "on by themselves, or at once with the old timezone set back. pipesheet "
        "cannot remove a recorded run, so to record runs before 2052-10-01, move "
        "the state database aside or pass --state with a new one; the stage "
        "history then starts empty."
    )
    assert "mistyped" not in str(raised.value)
    assert len(store.runs(key)) == 1


def test_time_zone_moved_back_explained(
    tmp_path: Path, workbook: Path, store: StateStore
) -> None:
    # 10:00 UTC on 10-01 is already 10-02 in Kiritimati (UTC+14).
    now = dt.datetime(2025, 10, 1, 10, 0, tzinfo=dt.UTC)
    ahead = load_pipeline(write_definition(tmp_path, time_zone="Pacific/Kiritimati"))
    record_run(RunRequest(ahead, dt.date(2025, 10, 2)), store, now=now)
    utc = load_pipeline(write_definition(tmp_path, time_zone="UTC"))

    with pytest.raises(EarlierAsOfError) as raised:
        record_run(RunRequest(utc, dt.date(2025, 10, 1)), store, now=now)

    message = str(raised.value)
    assert "after today in time zone 'UTC' (2025-10-01)" in message
    assert "Runs are recorded again from 2025-10-02 on by themselves" in message
    assert "mistyped" not in message


@pytest.mark.parametrize(
    ("as_of", "dry_run"),
    [
        (dt.date(2025, 9, 30), False),
        (dt.date(2025, 10, 1), False),
        (dt.date(2025, 9, 1), True),
    ],
    ids=["same-day", "later-day", "earlier-dry-run"],
)
def test_as_of_order_allows(
    pipeline: Pipeline, store: StateStore, as_of: dt.date, dry_run: bool
) -> None:
    run_on(pipeline, store, dt.date(2025, 9, 30))

    recorded = run_on(pipeline, store, as_of, dry_run=dry_run)

    assert recorded.result.as_of == as_of


def test_job_import_leaves_out_digest_sending() -> None:
    # Only a definition with notifications sends digests; the others should
    # not pay for importing the mail and webhook clients.
    script = (
        "import sys\nimport sync.job\nprint('sync.notify.dispatch' in sys.modules)\n"
    )
    assert python_output(script) == "False\n"


def test_lost_deal_keeps_its_reached_stages(
    pipeline: Pipeline, store: StateStore, workbook: Path
) -> None:
    write_deals(workbook, [SheetDeal("D-1", "Ana", "Proposal"), DEALS[1]])
    before = run_on(pipeline, store, SEPTEMBER_29).result.metrics
    lost = SheetDeal("D-1", "Ana", "Lost", lost_reason="Price")
    write_deals(workbook, [lost, DEALS[1]])

    after = run_on(pipeline, store, SEPTEMBER_30).result.metrics

    reached = {stage.name: stage.reached for stage in after.stages}
    assert reached == {stage.name: stage.reached for stage in before.stages}
    assert reached["Proposal"] == 1
