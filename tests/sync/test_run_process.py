"""The service's deadline for a run's process, and its clean-up after a kill."""

from __future__ import annotations

import datetime as dt
import http.server
import logging
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from config.models import Locale
from config.shipped import shipped_definition
from sync import interrupts, run_process
from sync.atomic import write_atomically
from sync.interrupts import WriteProgress
from sync.job import LOCK_TTL
from sync.run_process import (
    RECORD_GRACE_LIMIT,
    RUN_CONTROL,
    WAIT_STEP_SECONDS,
    _free_lock_of,
    _workbook_state,
    record_grace_seconds,
    run_workbook_job,
)
from sync.starter import build_starter_workbook
from sync.state.records import RunOutcome
from sync.state.store import StateStore

AS_OF = dt.date(2025, 9, 30)


def ended_process_id() -> int:
    """Return the id of a process that has ended, as a killed run's has."""
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(finished.stdout)


def test_killed_run_temporaries_removed(tmp_path: Path) -> None:
    workbook = tmp_path / "pipeline.xlsx"
    state = str(tmp_path / "state.sqlite")
    pid = ended_process_id()
    killed = tmp_path / f".pipeline.xlsx.{pid}.k1l2m3n4.pipesheet-tmp"
    killed.write_bytes(b"")
    other = tmp_path / f".pipeline.xlsx.{pid + 1}.a1b2c3d4.pipesheet-tmp"
    other.write_bytes(b"")
    key = str(workbook)
    with StateStore.open(state) as store:
        holder = f"{socket.gethostname()}:{pid}:0123"
        assert store.acquire_lock(
            key, holder, dt.timedelta(minutes=30), dt.datetime.now(dt.UTC)
        )
        store.start_run(key, "Deals", AS_OF)

    _free_lock_of(pid, state, key, "timed out", 0)

    assert not killed.exists()
    assert other.exists()
    with StateStore.open(state) as store:
        assert store.lock(key) is None
        assert [run.outcome for run in store.runs(key, 5)] == [RunOutcome.FAILED]


class FakeChild:
    """A run's process that ends at a given clock time, or only when killed."""

    def __init__(self, clock: list[float], ends_at: float | None) -> None:
        self.clock = clock
        self.ends_at = ends_at
        self.exitcode: int | None = None
        self.killed_at: float | None = None

    def join(self, timeout: float | None = None) -> None:
        if self.killed_at is not None:
            return
        self.clock[0] += timeout or 0.0
        if self.ends_at is not None and self.clock[0] >= self.ends_at:
            self.exitcode = 0

    def kill(self) -> None:
        self.killed_at = self.clock[0]
        self.exitcode = -9


@dataclass
class Progress:
    value: int


def wait_for_child(
    monkeypatch: pytest.MonkeyPatch,
    progress: WriteProgress,
    ends_at: float | None,
    stop_after: float | None = None,
) -> tuple[FakeChild, str | None]:
    """Run ``_wait_for`` with a 10 s timeout on a fake child.

    The clock moves as the wait goes on. ``stop_after`` requests a stop of the
    service that gives the run that many seconds.
    """
    clock = [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(run_process, "RUN_CONTROL", run_process.RunControl())
    if stop_after is not None:
        run_process.RUN_CONTROL.request_stop(stop_after)
    child = FakeChild(clock, ends_at)
    reason = run_process._wait_for(
        child,  # type: ignore[arg-type]
        10.0,
        Progress(progress),
        "/data/pipeline.xlsx",
    )
    return child, reason


def test_unwritten_run_killed_at_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    child, reason = wait_for_child(monkeypatch, WriteProgress.NOT_FINAL, None)

    # The clock moves by one wait step at a time, so the kill comes within one.
    assert child.killed_at == pytest.approx(10.0, abs=WAIT_STEP_SECONDS)
    assert reason == "timed out after 10 s (--run-timeout)"


def test_writing_run_may_finish_after_deadline(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    child, reason = wait_for_child(monkeypatch, WriteProgress.COMMITTING, 14.0)

    assert child.killed_at is None
    assert reason is None
    assert caplog.messages == [
        (
            "run of /data/pipeline.xlsx timed out after 10 s (--run-timeout) while it "
            "wrote the workbook; it has 10 s more to finish and record the run"
        )
    ]


def test_written_run_timeout_names_step(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    wait_for_child(monkeypatch, WriteProgress.WRITTEN, 14.0)

    assert caplog.messages == [
        (
            "run of /data/pipeline.xlsx timed out after 10 s (--run-timeout) after it "
            "wrote the workbook, while it recorded the run or sent digests; it has "
            "10 s more to finish and record the run"
        )
    ]


def test_writing_run_killed_after_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    child, reason = wait_for_child(monkeypatch, WriteProgress.WRITTEN, None)

    assert child.killed_at == pytest.approx(20.0, abs=2 * WAIT_STEP_SECONDS)
    assert reason == (
        "timed out after 10 s (--run-timeout) and the time given to record the "
        "run after the write"
    )


def test_record_grace_capped() -> None:
    assert record_grace_seconds(5.0) == 5.0
    assert record_grace_seconds(600.0) == RECORD_GRACE_LIMIT


def test_record_grace_within_lock_lifetime() -> None:
    timeout = LOCK_TTL.total_seconds() - 30

    assert timeout + record_grace_seconds(timeout) < LOCK_TTL.total_seconds()
    assert record_grace_seconds(LOCK_TTL.total_seconds() - 1) == 0.0


def test_stopped_service_kills_writing_run(monkeypatch: pytest.MonkeyPatch) -> None:
    child, reason = wait_for_child(
        monkeypatch, WriteProgress.WRITTEN, None, stop_after=3.0
    )

    assert child.killed_at == pytest.approx(3.0, abs=WAIT_STEP_SECONDS)
    assert reason == "the service was stopped before the run finished"


def test_workbook_state_follows_progress() -> None:
    assert _workbook_state(WriteProgress.NOT_FINAL) == (
        "the workbook is as it was before the run"
    )
    assert "or fully written" in _workbook_state(WriteProgress.COMMITTING)
    assert _workbook_state(WriteProgress.WRITTEN) == (
        "the workbook was fully written, but the run was not recorded"
    )


def writer(content: bytes) -> Callable[[BinaryIO], None]:
    def write(out: BinaryIO) -> None:
        out.write(content)

    return write


@pytest.fixture
def reached(monkeypatch: pytest.MonkeyPatch) -> list[WriteProgress]:
    """Return the list that receives each write progress reported."""
    progress: list[WriteProgress] = []
    monkeypatch.setattr(interrupts, "_followers", [])
    interrupts.follow_writes(progress.append)
    return progress


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"new", [WriteProgress.COMMITTING, WriteProgress.WRITTEN]),
        (b"old", []),
    ],
    ids=["changed", "unchanged"],
)
def test_atomic_write_reports_progress(
    tmp_path: Path,
    reached: list[WriteProgress],
    content: bytes,
    expected: list[WriteProgress],
) -> None:
    target = tmp_path / "pipeline.xlsx"
    target.write_bytes(b"old")

    write_atomically(target, writer(content))

    assert reached == expected


@pytest.fixture
def scheduler_loggers() -> Iterator[None]:
    """Restore the levels and filters that quiet_library_loggers sets."""
    names = ("apscheduler", "apscheduler.scheduler", "apscheduler.executors.default")
    saved = {
        name: (logging.getLogger(name).level, list(logging.getLogger(name).filters))
        for name in names
    }
    yield
    for name, (level, filters) in saved.items():
        logging.getLogger(name).setLevel(level)
        logging.getLogger(name).filters = filters


def test_overlap_warning_of_apscheduler_dropped(
    scheduler_loggers: None, caplog: pytest.LogCaptureFixture
) -> None:
    # A job still running at its next fire time, as a run that outlasts
    # its cron gap; APScheduler then skips the due run and warns.
    release = threading.Event()
    scheduler = BackgroundScheduler(timezone=dt.UTC)
    scheduler.add_job(
        release.wait,
        "interval",
        seconds=1,
        max_instances=1,
        next_run_time=dt.datetime.now(dt.UTC),
    )
    run_process.quiet_library_loggers(logging.INFO)

    with caplog.at_level(logging.WARNING):
        scheduler.start()
        time.sleep(1.5)
        release.set()
        scheduler.shutdown()

    assert [record.name for record in caplog.records] == []


def test_other_apscheduler_warnings_kept(
    scheduler_loggers: None, caplog: pytest.LogCaptureFixture
) -> None:
    run_process.quiet_library_loggers(logging.INFO)

    with caplog.at_level(logging.WARNING):
        logging.getLogger("apscheduler.scheduler").warning(
            "Error getting due jobs from job store %r: %s", "default", "locked"
        )

    assert caplog.messages == [
        "Error getting due jobs from job store 'default': locked"
    ]


# Long enough for a run's process to import pipesheet on a busy machine.
CHILD_WAIT_SECONDS = 120.0


class StalledWebhook:
    """A loopback webhook that holds every POST until the test releases it."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.released = threading.Event()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        webhook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                webhook.arrived.set()
                webhook.released.wait(CHILD_WAIT_SECONDS)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # Keep the test output free of access logs.

        return Handler


@pytest.fixture
def stalled_webhook() -> Iterator[StalledWebhook]:
    webhook = StalledWebhook()
    webhook.thread.start()
    yield webhook
    webhook.released.set()
    webhook.server.shutdown()
    webhook.server.server_close()
    webhook.thread.join(timeout=10)


def stop_runs_when(event: threading.Event) -> None:
    """Stop the running runs at once when ``event`` is set."""
    event.wait(CHILD_WAIT_SECONDS)
    RUN_CONTROL.request_stop(0)


def test_run_killed_after_recording_reported_ok(
    tmp_path: Path, stalled_webhook: StalledWebhook
) -> None:
    # The run is recorded before it sends digests, so a stop while the
    # webhook stalls kills a run that the runs table lists as ok.
    workbook = tmp_path / "pipeline.xlsx"
    build_starter_workbook(workbook, Locale.EN, as_of=dt.date.today())
    definition = tmp_path / "b2b-en.yaml"
    shutil.copy(shipped_definition("b2b-en"), definition)
    channel = f'{{kind: webhook, id: chat, url: "{stalled_webhook.url}"}}'
    with definition.open("a", encoding="utf-8") as file:
        file.write(
            f"notifications:\n  channels:\n    - {channel}\n"
            "  manager_digest_to: {webhooks: [chat]}\n"
        )
    state = str(tmp_path / "state.sqlite")
    stopper = threading.Thread(target=stop_runs_when, args=(stalled_webhook.arrived,))
    stopper.start()
    try:
        summary = run_workbook_job(
            str(definition), None, state, str(workbook), CHILD_WAIT_SECONDS
        )
    finally:
        stalled_webhook.arrived.set()
        stopper.join()
        RUN_CONTROL.reset()

    with StateStore.open(state) as store:
        recorded = store.runs(str(workbook), 5)
        lock = store.lock(str(workbook))
    assert [run.outcome for run in recorded] == [RunOutcome.OK]
    assert lock is None
    assert summary.outcome is RunOutcome.OK
    assert summary.deals == recorded[0].deals
    assert summary.tab == "Deals"
    assert summary.error == (
        "the run was recorded as ok, then its process was stopped before it "
        "reported back (the service was stopped before the run finished). "
        "Any digest it had not sent by then was not sent"
    )
