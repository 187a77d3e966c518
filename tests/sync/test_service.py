"""Tests of ``pipesheet serve``: schedules, the job function, processes, health."""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.client
import json
import logging
import os
import queue
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zoneinfo
from collections.abc import Iterator
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.triggers.cron import CronTrigger
from click.testing import CliRunner

from bench.generate import generate_pipeline
from config.errors import DefinitionError
from config.shipped import shipped_definition
from rules.stage_log import time_in_stage
from sync import health as health_module
from sync.commands.history import history
from sync.commands.serve import serve
from sync.health import ServiceHealth
from sync.health_http import HealthEndpointError, HealthServer
from sync.run_process import RunSummary, run_definition
from sync.schedules import (
    cron_trigger,
    load_scheduled,
    longest_interval,
    next_fire_times,
)
from sync.service import Service, ServiceOptions, format_fields
from sync.state.locks import WorkbookLock
from sync.state.records import RunOutcome, RunRecord
from sync.state.store import StateStore
from tests.python_child import checkout_environment
from tests.sync.notify.servers import WebhookReceiver, closed_loopback_port
from tests.sync.pipeline_files import (
    TIME_ZONE,
    SheetDeal,
    read_tab,
    write_deals,
    write_definition,
)

BERLIN = zoneinfo.ZoneInfo(TIME_ZONE)
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
# Lines a service subprocess must print before a test goes on; a guard against
# a hung test, not a figure under test.
LINE_WAIT_SECONDS = 120


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep urllib from sending loopback requests through a configured proxy."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    server.start()
    yield server
    server.stop()


def local(
    day: dt.date, hour: int = 0, minute: int = 0, zone: str = TIME_ZONE
) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), zoneinfo.ZoneInfo(zone))


# Triggers across daylight saving time changes


DAILY_CASES = [
    ("Europe/Berlin", "0 7 * * *", dt.date(2025, 3, 26)),
    ("Europe/Berlin", "0 7 * * *", dt.date(2025, 10, 22)),
    ("America/New_York", "0 7 * * *", dt.date(2025, 3, 5)),
    ("America/New_York", "0 7 * * *", dt.date(2025, 10, 29)),
    ("Europe/Berlin", "30 2 * * *", dt.date(2025, 3, 26)),
    ("Europe/Berlin", "30 2 * * *", dt.date(2025, 10, 22)),
    ("America/New_York", "30 2 * * *", dt.date(2025, 3, 5)),
    ("America/New_York", "30 1 * * *", dt.date(2025, 10, 29)),
]
DAILY_IDS = [
    "berlin-0700-spring",
    "berlin-0700-autumn",
    "new-york-0700-spring",
    "new-york-0700-autumn",
    "berlin-0230-skipped-hour",
    "berlin-0230-repeated-hour",
    "new-york-0230-skipped-hour",
    "new-york-0130-repeated-hour",
]


@pytest.mark.parametrize(("zone", "cron", "first_day"), DAILY_CASES, ids=DAILY_IDS)
def test_daily_trigger_fires_once_per_day(
    zone: str, cron: str, first_day: dt.date
) -> None:
    trigger = cron_trigger(cron, zoneinfo.ZoneInfo(zone))
    fires = next_fire_times(trigger, local(first_day, zone=zone), 10)
    days = [fire.astimezone(zoneinfo.ZoneInfo(zone)).date() for fire in fires]
    assert days == [first_day + dt.timedelta(days=offset) for offset in range(10)]


@pytest.mark.parametrize(
    ("zone", "first_day"),
    [
        ("Europe/Berlin", dt.date(2025, 3, 26)),
        ("America/New_York", dt.date(2025, 10, 29)),
    ],
    ids=["berlin-spring", "new-york-autumn"],
)
def test_daily_trigger_keeps_local_hour(zone: str, first_day: dt.date) -> None:
    trigger = cron_trigger("0 7 * * *", zoneinfo.ZoneInfo(zone))
    fires = next_fire_times(trigger, local(first_day, zone=zone), 10)
    hours = {fire.astimezone(zoneinfo.ZoneInfo(zone)).time() for fire in fires}
    assert hours == {dt.time(7, 0)}


def test_skipped_hour_fires_hour_later() -> None:
    trigger = cron_trigger("30 2 * * *", BERLIN)
    fires = next_fire_times(trigger, local(dt.date(2025, 3, 30)), 1)
    assert fires[0].astimezone(dt.UTC) == dt.datetime(2025, 3, 30, 1, 30, tzinfo=dt.UTC)


def test_repeated_hour_fires_at_first_pass() -> None:
    trigger = cron_trigger("30 2 * * *", BERLIN)
    fires = next_fire_times(trigger, local(dt.date(2025, 10, 26)), 2)
    utc = [fire.astimezone(dt.UTC) for fire in fires]
    assert utc == [
        dt.datetime(2025, 10, 26, 0, 30, tzinfo=dt.UTC),
        dt.datetime(2025, 10, 27, 1, 30, tzinfo=dt.UTC),
    ]


def test_plain_cron_trigger_doubles_repeated_hour() -> None:
    # Why WallClockCronTrigger exists; when this fails, APScheduler fixed it.
    trigger = CronTrigger.from_crontab("30 2 * * *", timezone=BERLIN)
    fires = next_fire_times(trigger, local(dt.date(2025, 10, 26)), 2)
    days = [fire.astimezone(BERLIN).date() for fire in fires]
    assert days == [dt.date(2025, 10, 26), dt.date(2025, 10, 26)]


def test_weekday_cron_runs_monday_to_friday() -> None:
    trigger = cron_trigger("0 7 * * 1-5", BERLIN)
    fires = next_fire_times(trigger, local(dt.date(2025, 9, 1)), 7)
    weekdays = [fire.astimezone(BERLIN).strftime("%a %d") for fire in fires]
    assert weekdays == [
        "Mon 01",
        "Tue 02",
        "Wed 03",
        "Thu 04",
        "Fri 05",
        "Mon 08",
        "Tue 09",
    ]


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        ("0 7 * * *", dt.timedelta(days=1)),
        ("0 7 * * 1-5", dt.timedelta(days=3)),
        ("*/15 * * * *", dt.timedelta(minutes=15)),
    ],
    ids=["daily", "weekdays", "quarter-hourly"],
)
def test_longest_interval_of_trigger(cron: str, expected: dt.timedelta) -> None:
    trigger = cron_trigger(cron, BERLIN)
    assert longest_interval(trigger, local(dt.date(2025, 9, 1))) == expected


# Loading definitions


def test_definition_without_schedule_rejected(tmp_path: Path) -> None:
    definition = write_definition(tmp_path)
    text = definition.read_text(encoding="utf-8").replace(
        'schedule:\n  cron: "0 7 * * *"\n', ""
    )
    definition.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as raised:
        load_scheduled([str(definition)], None, require_schedule=True)
    assert str(raised.value) == (
        f"Definition {str(definition)!r} ('Test pipeline') has no schedule, so "
        "pipesheet serve cannot tell when to run it. Add one, for example:\n"
        'schedule:\n  cron: "0 7 * * 1-5"\n  timezone: Europe/Berlin\n'
        "or run it once with --once."
    )


def test_definition_without_schedule_runs_once(tmp_path: Path) -> None:
    definition = write_definition(tmp_path)
    text = definition.read_text(encoding="utf-8").replace(
        'schedule:\n  cron: "0 7 * * *"\n', ""
    )
    definition.write_text(text, encoding="utf-8")
    loaded = load_scheduled([str(definition)], None, require_schedule=False)
    assert [(item.cron, item.timezone) for item in loaded] == [(None, TIME_ZONE)]


def test_two_definitions_of_one_workbook_rejected(tmp_path: Path) -> None:
    first = write_definition(tmp_path)
    second = tmp_path / "copy.yaml"
    second.write_text(first.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(DefinitionError) as raised:
        load_scheduled([str(first), str(second)], None, require_schedule=True)
    assert str(raised.value) == (
        f"Definitions {str(first)!r} and {str(second)!r} both sync workbook "
        f"{str(tmp_path / 'pipeline.xlsx')!r}. pipesheet serve schedules and "
        "reports one definition per workbook, so serve one of them and run the "
        "other with 'pipesheet run'."
    )


@pytest.mark.parametrize("once", [[], ["--once"]], ids=["scheduled", "once"])
def test_invalid_cron_rejected(tmp_path: Path, once: list[str]) -> None:
    definition = write_definition(tmp_path)
    text = definition.read_text(encoding="utf-8").replace('"0 7 * * *"', '"0 25 * * *"')
    definition.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        serve, [str(definition), "--state", str(tmp_path / "s.sqlite"), *once]
    )
    assert result.exit_code == 1
    assert result.output.startswith(
        f"Error: {definition}: invalid pipeline definition (1 problem):\n"
        "  - schedule.cron: invalid value '0 25 * * *'; the hour field '25' is "
        "invalid; expected an hour from 0 to 23. A cron expression has five fields"
    )


def test_source_with_two_definitions_rejected(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as raised:
        load_scheduled(["a.yaml", "b.yaml"], "book.xlsx", require_schedule=True)
    assert str(raised.value) == (
        "--source 'book.xlsx' names one workbook, but 2 definitions were given. "
        "Set source.path in each definition instead."
    )


def test_shipped_definition_needs_source() -> None:
    with pytest.raises(DefinitionError, match="is a shipped definition"):
        load_scheduled(["b2b-en"], None, require_schedule=False)


# A week of simulated days through the job function

MONDAY = dt.date(2025, 9, 29)
WEEK = [MONDAY + dt.timedelta(days=offset) for offset in range(7)]
SUNDAY = WEEK[-1]
FAR = dt.date(2025, 10, 10)
SEP_30, OCT_3 = dt.date(2025, 9, 30), dt.date(2025, 10, 3)


def sheet_on(index: int) -> list[SheetDeal]:
    """Return the Deals tab of day ``index`` of the week (0 is Monday 09-29).

    D-1 moves forward to Won. D-2 idles in Lead with an overdue step, which is
    snoozed on 10-02 and 10-03. D-3 moves back on 09-30 and is lost on 10-01.
    D-4 is added on 10-02 and D-5 is deleted on 10-03.
    """
    d1_stage = ["Lead", "Lead", "Qualified", "Qualified", "Proposal", "Proposal", "Won"]
    d3_stage = ["Proposal", "Qualified", "Lost", "Lost", "Lost", "Lost", "Lost"]
    snooze = OCT_3 if index >= 3 else None
    deals = [
        SheetDeal("D-1", "Ana", d1_stage[index], next_step=FAR),
        SheetDeal("D-2", "Ana", "Lead", next_step=SEP_30, snooze_until=snooze),
        SheetDeal(
            "D-3",
            "Ben",
            d3_stage[index],
            lost_reason="Price too high" if index >= 2 else None,
        ),
    ]
    if index <= 3:
        deals.append(SheetDeal("D-5", "Ben", "Qualified"))
    if index >= 3:
        deals.append(SheetDeal("D-4", "Ben", "Lead", next_step=OCT_3))
    return deals


# Per day, each digest as (owner, [(deal, code, new)]), in the order sent.
EXPECTED_DIGESTS = [
    [("Ana", [("D-2", "followup-due-soon", True)])],
    [
        ("Ana", [("D-2", "followup-due-soon", False)]),
        ("Ben", [("D-3", "moved-back", True)]),
    ],
    [("Ana", [("D-2", "followup-overdue", True)])],
    [
        ("Ana", [("D-2", "idle-in-stage", True)]),
        ("Ben", [("D-4", "followup-due-soon", True)]),
    ],
    [
        ("Ana", [("D-2", "idle-in-stage", False)]),
        ("Ben", [("D-4", "followup-due-soon", False)]),
    ],
    [
        ("Ana", [("D-2", "followup-overdue", False), ("D-2", "idle-in-stage", False)]),
        ("Ben", [("D-4", "followup-overdue", True)]),
    ],
    [
        ("Ana", [("D-2", "followup-overdue", False), ("D-2", "idle-in-stage", False)]),
        ("Ben", [("D-4", "idle-in-stage", True), ("D-4", "followup-overdue", False)]),
    ],
]
BEFORE_LOG = "in this stage before the log began; days are a minimum"
# No deal stays in one stage twice, so each total is the row's days.
STAGE_LOG_ON_SUNDAY = [
    ["D-1", "Lead", dt.date(2025, 9, 29), dt.date(2025, 10, 1), 2, BEFORE_LOG, 2],
    ["D-1", "Qualified", dt.date(2025, 10, 1), dt.date(2025, 10, 3), 2, None, 2],
    ["D-1", "Proposal", dt.date(2025, 10, 3), dt.date(2025, 10, 5), 2, None, 2],
    ["D-1", "Won", dt.date(2025, 10, 5), None, 0, None, 0],
    ["D-2", "Lead", dt.date(2025, 9, 29), None, 6, BEFORE_LOG, 6],
    ["D-3", "Proposal", dt.date(2025, 9, 29), dt.date(2025, 9, 30), 1, BEFORE_LOG, 1],
    ["D-3", "Qualified", dt.date(2025, 9, 30), dt.date(2025, 10, 1), 1, None, 1],
    ["D-3", "Lost", dt.date(2025, 10, 1), None, 4, None, 4],
    ["D-4", "Lead", dt.date(2025, 10, 2), None, 3, None, 3],
    [
        "D-5",
        "Qualified",
        dt.date(2025, 9, 29),
        dt.date(2025, 10, 3),
        4,
        f"{BEFORE_LOG}; removed from the sheet",
        4,
    ],
]


@pytest.fixture
def week(tmp_path: Path, receiver: WebhookReceiver) -> dict[str, object]:
    """Run the week's seven daily runs at the trigger's fire times."""
    definition = write_definition(tmp_path, webhook_url=receiver.url + "/hook")
    state = str(tmp_path / "state.sqlite")
    workbook = tmp_path / "pipeline.xlsx"
    trigger = cron_trigger("0 7 * * *", BERLIN)
    fires = next_fire_times(trigger, local(MONDAY), len(WEEK))

    summaries: list[RunSummary] = []
    digests: list[list[tuple[str, list[tuple[str, str, bool]]]]] = []
    for index, fire in enumerate(fires):
        write_deals(workbook, sheet_on(index))
        sent_before = len(receiver.requests)
        summaries.append(run_definition(str(definition), None, state, now=fire))
        digests.append(
            [digest_items(r.json()) for r in receiver.requests[sent_before:]]
        )
    return {
        "fires": fires,
        "summaries": summaries,
        "digests": digests,
        "workbook": workbook,
        "state": state,
    }


def test_scheduled_run_checks_schedule_zone_day(tmp_path: Path) -> None:
    definition = write_definition(tmp_path)
    text = definition.read_text(encoding="utf-8")
    text = text.replace(f"timezone: {TIME_ZONE}\n", "")
    text = text.replace(
        'cron: "0 7 * * *"', 'cron: "0 7 * * *"\n  timezone: Asia/Taipei'
    )
    definition.write_text(text, encoding="utf-8")
    write_deals(tmp_path / "pipeline.xlsx", [SheetDeal("D-1", "Ana", "Qualified")])
    # 07:00 on 10 September in Taipei is 23:00 UTC on 9 September.
    fire = dt.datetime(2025, 9, 9, 23, 0, tzinfo=dt.UTC)

    summary = run_definition(
        str(definition), None, str(tmp_path / "state.sqlite"), now=fire
    )

    assert summary.as_of == dt.date(2025, 9, 10)


def digest_items(payload: dict[str, object]) -> tuple[str, list[tuple[str, str, bool]]]:
    items = payload["items"]
    assert isinstance(items, list)
    return str(payload["owner"]), [(i["deal_id"], i["code"], i["new"]) for i in items]


def test_week_fires_once_each_day(week: dict[str, object]) -> None:
    fires = week["fires"]
    assert isinstance(fires, list)
    assert [fire.astimezone(BERLIN).date() for fire in fires] == WEEK


def test_week_runs_all_ok(week: dict[str, object]) -> None:
    summaries = week["summaries"]
    assert isinstance(summaries, list)
    assert [summary.outcome for summary in summaries] == [RunOutcome.OK] * 7
    assert [summary.as_of for summary in summaries] == WEEK


def test_week_digests_match_hand_count(week: dict[str, object]) -> None:
    assert week["digests"] == EXPECTED_DIGESTS


def test_week_summaries_count_digests(week: dict[str, object]) -> None:
    summaries = week["summaries"]
    assert isinstance(summaries, list)
    assert [summary.digests_sent for summary in summaries] == [1, 2, 1, 2, 2, 2, 2]


def test_week_stage_log_tab(week: dict[str, object]) -> None:
    workbook = week["workbook"]
    assert isinstance(workbook, Path)
    rows = read_tab(workbook, "Stage log")
    assert rows[2] == [
        "Deal ID",
        "Stage",
        "Entered",
        "Exited",
        "Days",
        "Note",
        "Total days in stage",
    ]
    assert [normalised(row) for row in rows[3:]] == STAGE_LOG_ON_SUNDAY


def test_week_time_in_stage(week: dict[str, object]) -> None:
    with StateStore.open(str(week["state"])) as store:
        key = store.workbooks()[0]
        times = time_in_stage(
            store.transitions(key),
            SUNDAY,
            log_started_on=store.log_started_on(key) or SUNDAY,
        )
    cumulative = {deal: time.cumulative_days for deal, time in times.items()}
    assert cumulative == {
        "D-1": {"Lead": 2, "Qualified": 2, "Proposal": 2, "Won": 0},
        "D-2": {"Lead": 6},
        "D-3": {"Proposal": 1, "Qualified": 1, "Lost": 4},
        "D-4": {"Lead": 3},
        "D-5": {"Qualified": 4},
    }
    assert {deal: time.current_stage for deal, time in times.items()} == {
        "D-1": "Won",
        "D-2": "Lead",
        "D-3": "Lost",
        "D-4": "Lead",
        "D-5": None,
    }


def test_week_freezes_september_review(week: dict[str, object]) -> None:
    workbook = week["workbook"]
    assert isinstance(workbook, Path)
    review = read_tab(workbook, "Review 2025-09")
    assert review[6:11] == [
        ["Lead", "open", 0, 0, 0, 0, 0],
        ["Qualified", "open", 1, 0, 0, 0, 0],
        ["Proposal", "open", 0, 0, 0, 0, 0],
        ["Won", "won", 0],
        ["Lost", "lost", 0],
    ]


def normalised(row: list[object]) -> list[object]:
    """Return a Stage log row with dates as dates and whole numbers as ints."""
    cells: list[object] = []
    for cell in row:
        if isinstance(cell, dt.datetime):
            cell = cell.date()
        if isinstance(cell, float) and cell.is_integer():
            cell = int(cell)
        cells.append(cell)
    return cells


# Service processes


# Service processes a test started, killed after it if still running, so a
# failed test leaves no service behind.
STARTED_SERVICES: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def no_service_left() -> Iterator[None]:
    yield
    while STARTED_SERVICES:
        process = STARTED_SERVICES.pop()
        if process.poll() is None:
            process.kill()
            process.wait()


class ServiceProcess:
    """A ``pipesheet serve`` subprocess whose stderr lines are read as they come."""

    def __init__(
        self, arguments: list[str], folder: Path, *, own_group: bool = False
    ) -> None:
        command = "from sync.commands.serve import serve; serve()"
        self.process = subprocess.Popen(
            [sys.executable, "-c", command, *arguments],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=own_group,
            env=checkout_environment(),
        )
        STARTED_SERVICES.append(self.process)
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def wait_for_line(self, text: str) -> str:
        """Return the first line containing ``text``, waiting for it if needed."""
        for line in self.lines:
            if text in line:
                return line
        while True:
            line = self._queue.get(timeout=LINE_WAIT_SECONDS)
            assert line is not None, f"exited before a line with {text!r}: {self.lines}"
            if text in line:
                return line

    def finish(self) -> int:
        """Wait for the process to exit and for its last lines; return its code."""
        code = self.process.wait(timeout=LINE_WAIT_SECONDS)
        self._reader.join(timeout=LINE_WAIT_SECONDS)
        return code

    def _read(self) -> None:
        assert self.process.stderr is not None
        with self.process.stderr:
            for line in self.process.stderr:
                self.lines.append(line.rstrip("\n"))
                self._queue.put(line)
        self._queue.put(None)


@pytest.fixture(scope="module")
def slow_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a workbook whose run takes long enough to overlap another start."""
    path = tmp_path_factory.mktemp("slow") / "deals.xlsx"
    generate_pipeline(4000, path)
    return path


def write_shipped_definition(folder: Path, workbook: str) -> Path:
    text = shipped_definition("b2b-en").read_text(encoding="utf-8")
    text = text.replace("path: pipeline.xlsx", f"path: {workbook}")
    path = folder / "pipeline.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_two_services_run_workbook_once(tmp_path: Path, slow_workbook: Path) -> None:
    workbook = tmp_path / "deals.xlsx"
    workbook.write_bytes(slow_workbook.read_bytes())
    definition = write_shipped_definition(tmp_path, workbook.name)
    state = tmp_path / "state.sqlite"
    StateStore.open(str(state)).close()

    # Holding SQLite's write lock stops both runs just before they open the
    # state database, so that they compete for the workbook's lock together.
    gate = sqlite3.connect(state, isolation_level=None)
    gate.execute("BEGIN IMMEDIATE")
    arguments = [str(definition), "--once", "--state", str(state)]
    services = [ServiceProcess(arguments, tmp_path) for _ in range(2)]
    for service in services:
        service.wait_for_line("run started")
    gate.execute("ROLLBACK")
    gate.close()

    assert [service.finish() for service in services] == [0, 0]
    run_lines = [
        line
        for service in services
        for line in service.lines
        if "sync.service" in line and " run workbook=" in line
    ]
    outcomes = sorted(line.split("outcome=")[1].split()[0] for line in run_lines)
    assert outcomes == ["ok", "skipped"]
    assert all(" INFO " in line for line in run_lines)
    with StateStore.open(str(state)) as store:
        runs = store.runs()
    assert [run.outcome for run in runs] == [RunOutcome.OK]


def hold_state_once_locked(state: Path, service: ServiceProcess) -> sqlite3.Connection:
    """Take SQLite's write lock on the state database once a run has started.

    A started run holds its workbook's lock and has an unfinished row in the
    runs table. It then waits at its next write to the state database, as a
    hung run would. It cannot finish first, because recording its outcome is
    a write too.
    """
    gate = sqlite3.connect(state, isolation_level=None, timeout=LINE_WAIT_SECONDS)
    started = "SELECT count(*) FROM runs WHERE outcome IS NULL"
    while not gate.execute(started).fetchone()[0]:
        assert service.process.poll() is None, service.lines
        time.sleep(0.001)
    gate.execute("BEGIN IMMEDIATE")
    return gate


def recorded_runs_and_lock(
    state: Path, workbook: Path
) -> tuple[list[RunRecord], WorkbookLock | None]:
    """Return the runs the state database recorded and the workbook's lock."""
    with StateStore.open(str(state)) as store:
        return store.runs(), store.lock(str(workbook))


@pytest.fixture
def small_pipeline(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Return a definition, its workbook and a new state database."""
    workbook = tmp_path / "pipeline.xlsx"
    write_deals(workbook, [SheetDeal("D-1", "Ana", "Lead")])
    state = tmp_path / "state.sqlite"
    StateStore.open(str(state)).close()
    return write_definition(tmp_path), workbook, state


def test_run_timeout_stops_hung_run(
    tmp_path: Path, small_pipeline: tuple[Path, Path, Path]
) -> None:
    definition, workbook, state = small_pipeline
    before = workbook.read_bytes()
    # Long enough for the run's process to import pipesheet on a busy machine.
    arguments = [
        str(definition),
        "--once",
        "--state",
        str(state),
        "--run-timeout",
        "10",
    ]
    service = ServiceProcess(arguments, tmp_path)
    gate = hold_state_once_locked(state, service)
    service.wait_for_line("run stopped")
    gate.execute("ROLLBACK")
    gate.close()

    assert service.finish() == 1
    runs, lock = recorded_runs_and_lock(state, workbook)
    assert [run.outcome for run in runs] == [RunOutcome.FAILED]
    assert runs[0].error == (
        "timed out after 10 s (--run-timeout); the workbook is as it was before the run"
    )
    assert workbook.read_bytes() == before
    assert lock is None
    [ended] = [line for line in service.lines if "outcome=failed" in line]
    assert f" as_of={runs[0].as_of} " in ended


def test_sigterm_stops_service_and_run(
    tmp_path: Path, small_pipeline: tuple[Path, Path, Path]
) -> None:
    definition, workbook, state = small_pipeline
    arguments = [str(definition), "--state", str(state), "--health-port", "0"]
    service = ServiceProcess([*arguments, "--stop-timeout", "1"], tmp_path)
    endpoint = service.wait_for_line("health endpoint").split()[-1]
    gate = hold_state_once_locked(state, service)

    health = fetch(endpoint)
    metrics = fetch(endpoint.replace("/healthz", "/metrics"))
    service.process.send_signal(signal.SIGTERM)
    service.wait_for_line("run stopped")
    gate.execute("ROLLBACK")
    gate.close()

    assert service.finish() == 0
    assert health[0] == 200
    assert json.loads(health[2])["status"] == "ok"
    assert metrics[1] == "text/plain; version=0.0.4; charset=utf-8"
    zero_ok = f'pipesheet_runs_total{{workbook="{workbook}",outcome="ok"}} 0'
    assert zero_ok in metrics[2].splitlines()
    assert any("SIGTERM received: stopping" in line for line in service.lines)
    assert "service stopped" in service.lines[-1]
    runs, lock = recorded_runs_and_lock(state, workbook)
    assert [run.error for run in runs] == [
        (
            "the service was stopped before the run finished; the workbook is as it "
            "was before the run"
        )
    ]
    assert lock is None


@pytest.mark.skipif(sys.platform == "win32", reason="no process groups on Windows")
def test_group_sigterm_lets_run_finish(
    tmp_path: Path, small_pipeline: tuple[Path, Path, Path]
) -> None:
    # A terminal's or a shell's kill signals the whole process group, run
    # processes included. The service must wait for its run and record it.
    definition, workbook, state = small_pipeline
    arguments = [str(definition), "--once", "--state", str(state)]
    service = ServiceProcess(arguments, tmp_path, own_group=True)
    gate = hold_state_once_locked(state, service)

    os.killpg(service.process.pid, signal.SIGTERM)
    service.wait_for_line("SIGTERM received")
    gate.execute("ROLLBACK")
    gate.close()

    assert service.finish() == 0
    runs, lock = recorded_runs_and_lock(state, workbook)
    assert [(run.outcome, run.error) for run in runs] == [(RunOutcome.OK, None)]
    assert lock is None


def test_service_logs_next_run_at_start(tmp_path: Path) -> None:
    workbook = tmp_path / "pipeline.xlsx"
    write_deals(workbook, [SheetDeal("D-1", "Ana", "Lead")])
    definition = write_definition(tmp_path)
    state = tmp_path / "state.sqlite"
    service = ServiceProcess([str(definition), "--state", str(state)], tmp_path)

    started = service.wait_for_line("service started")
    job = service.wait_for_line("job workbook=")
    ran = service.wait_for_line("outcome=")
    service.process.send_signal(signal.SIGINT)

    assert service.finish() == 0
    assert f"pid={service.process.pid} " in started
    assert f"cron='0 7 * * *' timezone={TIME_ZONE} next_run=" in job
    assert "outcome=ok" in ran
    assert "catching up" in "\n".join(service.lines)


def fetch(url: str) -> tuple[int, str, str]:
    """Return the status, content type and body of a GET to a loopback URL."""
    assert url.startswith(("http://127.0.0.1:", "http://[::1]:"))
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return (
                response.status,
                response.headers["Content-Type"],
                response.read().decode(),
            )
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers["Content-Type"], error.read().decode()


# --once from the command object


def test_once_exits_one_on_failed_run(tmp_path: Path) -> None:
    definition = write_definition(tmp_path)
    state = tmp_path / "state.sqlite"
    result = CliRunner().invoke(
        serve, [str(definition), "--once", "--state", str(state)]
    )
    assert result.exit_code == 1
    with StateStore.open(str(state)) as store:
        runs = store.runs()
    assert [run.outcome for run in runs] == [RunOutcome.FAILED]
    assert "pipeline.xlsx' from source.path not found" in (runs[0].error or "")


def test_once_exits_zero_after_ok_run(tmp_path: Path) -> None:
    write_deals(tmp_path / "pipeline.xlsx", [SheetDeal("D-1", "Ana", "Lead")])
    definition = write_definition(tmp_path)
    state = tmp_path / "state.sqlite"
    result = CliRunner().invoke(
        serve, [str(definition), "--once", "--state", str(state)]
    )
    assert result.exit_code == 0
    with StateStore.open(str(state)) as store:
        assert [run.outcome for run in store.runs()] == [RunOutcome.OK]


def test_once_exits_one_on_unsent_digest(tmp_path: Path) -> None:
    overdue = dt.date(2020, 1, 6)
    write_deals(tmp_path / "pipeline.xlsx", [SheetDeal("D-1", "Ana", "Lead", overdue)])
    url = f"http://127.0.0.1:{closed_loopback_port()}/hook"
    definition = write_definition(tmp_path, webhook_url=url)
    # Hour 0 has passed at any time of day, so the digest is always due.
    text = definition.read_text(encoding="utf-8")
    definition.write_text(text.replace("digest_hour: 7", "digest_hour: 0"))
    state = tmp_path / "state.sqlite"

    result = CliRunner().invoke(
        serve, [str(definition), "--once", "--state", str(state)]
    )

    assert result.exit_code == 1
    assert (
        "1 digest was not sent. The warnings above name each digest's entry, "
        "channel and error. Fix the channel in notifications.channels or the key "
        "an error names. A later run of the same day sends them again. From the "
        "next day, that day's digests list the items still open."
    ) in result.stderr
    with StateStore.open(str(state)) as store:
        assert [run.outcome for run in store.runs()] == [RunOutcome.OK]


def test_once_with_health_port_is_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(serve, ["x.yaml", "--once", "--health-port", "0"])
    assert result.exit_code == 2
    assert "--health-port serves a running service, not --once." in result.output


@pytest.mark.parametrize(
    "timeout", ["0", "1800", "-5"], ids=["zero", "lock-lifetime", "negative"]
)
def test_run_timeout_range_checked(timeout: str) -> None:
    result = CliRunner().invoke(serve, ["x.yaml", "--run-timeout", timeout])
    assert result.exit_code == 2
    assert "Invalid value for '--run-timeout'" in result.output


# Health and metrics

STARTED = dt.datetime(2025, 9, 29, 4, 0, tzinfo=dt.UTC)
NEXT_RUN = dt.datetime(2025, 9, 30, 5, 0, tzinfo=dt.UTC)
KEY = "/srv/sales/pipeline.xlsx"


def build_health() -> ServiceHealth:
    health = ServiceHealth(STARTED, lambda: {KEY: NEXT_RUN})
    health.watch("/srv/sales/pipeline.yaml", KEY, dt.timedelta(days=1), None)
    return health


def summary(
    outcome: RunOutcome,
    started: dt.datetime,
    seconds: float,
    digests_sent: int = 0,
    digests_failed: int = 0,
) -> RunSummary:
    return RunSummary(
        definition="/srv/sales/pipeline.yaml",
        workbook_key=KEY,
        outcome=outcome,
        started_at=started,
        seconds=seconds,
        deals=120,
        api_requests=3,
        digests_sent=digests_sent,
        digests_failed=digests_failed,
    )


def test_healthz_reports_workbook() -> None:
    health = build_health()
    health.record(summary(RunOutcome.OK, STARTED + dt.timedelta(hours=1), 2.5))
    status, body = health.healthz(STARTED + dt.timedelta(hours=2))
    assert status == 200
    assert body == {
        "status": "ok",
        "pid": os.getpid(),
        "started_at": "2025-09-29T04:00:00+00:00",
        "next_run_at": "2025-09-30T05:00:00+00:00",
        "workbooks": {
            KEY: {
                "definition": "/srv/sales/pipeline.yaml",
                "last_run_at": "2025-09-29T05:00:02+00:00",
                "last_outcome": "ok",
                "last_ok_at": "2025-09-29T05:00:02+00:00",
                "next_run_at": "2025-09-30T05:00:00+00:00",
                "max_age_seconds": 172800.0,
                "stale": False,
                "last_error": None,
                "hint": None,
                "last_digests_at": None,
                "last_digests_sent": 0,
                "last_digests_failed": 0,
                "digests_failing": False,
            }
        },
    }


def test_healthz_reports_failing_digests() -> None:
    health = build_health()
    run_at = STARTED + dt.timedelta(hours=1)
    health.record(summary(RunOutcome.OK, run_at, 2.0, digests_failed=2))
    health.record(summary(RunOutcome.OK, run_at + dt.timedelta(hours=1), 2.0))

    status, body = health.healthz(run_at + dt.timedelta(hours=2))

    workbook = body["workbooks"][KEY]
    assert status == 200
    assert body["status"] == "digests_failing"
    assert workbook["digests_failing"] is True
    assert workbook["last_digests_failed"] == 2
    assert workbook["last_digests_sent"] == 0
    assert workbook["last_digests_at"] == "2025-09-29T05:00:02+00:00"


def test_healthz_ok_after_digests_sent() -> None:
    health = build_health()
    run_at = STARTED + dt.timedelta(hours=1)
    health.record(summary(RunOutcome.OK, run_at, 0.0, digests_failed=2))
    health.record(
        summary(RunOutcome.OK, run_at + dt.timedelta(hours=1), 0.0, digests_sent=2)
    )

    status, body = health.healthz(run_at + dt.timedelta(hours=2))

    assert status == 200
    assert body["status"] == "ok"
    assert body["workbooks"][KEY]["last_digests_sent"] == 2
    assert body["workbooks"][KEY]["last_digests_failed"] == 0


def test_healthz_stale_wins_over_digests() -> None:
    health = build_health()
    health.record(summary(RunOutcome.FAILED, STARTED, 0.0, digests_failed=1))

    status, body = health.healthz(STARTED + dt.timedelta(days=3))

    assert status == 503
    assert body["status"] == "stale"


LOCK_FILE_ERROR = (
    "Workbook 'pipeline.xlsx' is open in LibreOffice by someone else; close it "
    "and run again (a scheduled run retries by itself). Nothing was written. If "
    "nobody has it open, delete the lock file '/srv/sales/.~lock.pipeline.xlsx#'."
)


def test_healthz_stale_deferred_runs_explained() -> None:
    # A lock file left behind defers every run, and a restart does not help.
    health = build_health()
    deferred = summary(RunOutcome.DEFERRED, STARTED + dt.timedelta(days=2), 1.0)
    health.record(dataclasses.replace(deferred, error=LOCK_FILE_ERROR))

    status, body = health.healthz(STARTED + dt.timedelta(days=3))

    workbook = body["workbooks"][KEY]
    assert status == 503
    assert body["status"] == "stale"
    assert workbook["last_outcome"] == "deferred"
    assert workbook["last_error"] == LOCK_FILE_ERROR
    assert workbook["hint"] == (
        "The runs are deferred, and a restart of the service does not change "
        "that: they wait until the cause in last_error is gone. For a workbook "
        "open in Excel or LibreOffice, close it. If nobody has it open, delete "
        "the lock file that last_error names, and the next scheduled run syncs "
        "the workbook."
    )


def test_healthz_stale_failed_runs_no_hint() -> None:
    health = build_health()
    failed = summary(RunOutcome.FAILED, STARTED + dt.timedelta(days=2), 1.0)
    health.record(dataclasses.replace(failed, error="no tab 'Deals'"))

    status, body = health.healthz(STARTED + dt.timedelta(days=3))

    assert status == 503
    assert body["workbooks"][KEY]["last_error"] == "no tab 'Deals'"
    assert body["workbooks"][KEY]["hint"] is None


@pytest.mark.parametrize(
    ("hours_after_ok", "expected"),
    [(47, 200), (49, 503)],
    ids=["within-two-days", "after-two-days"],
)
def test_healthz_stale_after_two_intervals(hours_after_ok: int, expected: int) -> None:
    health = build_health()
    ok_at = STARTED + dt.timedelta(hours=1)
    health.record(summary(RunOutcome.OK, ok_at, 0.0))
    health.record(summary(RunOutcome.FAILED, ok_at + dt.timedelta(days=1), 0.0))
    status, body = health.healthz(ok_at + dt.timedelta(hours=hours_after_ok))
    assert status == expected
    assert body["status"] == ("ok" if expected == 200 else "stale")


def test_healthz_counts_from_start_without_ok_run() -> None:
    health = build_health()
    status, body = health.healthz(STARTED + dt.timedelta(days=2, seconds=1))
    assert status == 503
    assert body["workbooks"][KEY]["last_ok_at"] is None


@pytest.mark.parametrize(
    ("hours_since_recorded_ok", "expected"),
    [(1, 200), (49, 503)],
    ids=["recent-success", "stalled"],
)
def test_healthz_counts_other_service_success(
    hours_since_recorded_ok: int, expected: int
) -> None:
    recorded_ok = STARTED + dt.timedelta(hours=1)
    health = ServiceHealth(STARTED, lambda: {KEY: NEXT_RUN})
    health.watch("/srv/sales/pipeline.yaml", KEY, dt.timedelta(days=1), None)
    health.record(summary(RunOutcome.SKIPPED, recorded_ok, 0.5))
    health.add_recorded_successes({KEY: recorded_ok})

    status, body = health.healthz(
        recorded_ok + dt.timedelta(hours=hours_since_recorded_ok)
    )

    assert status == expected
    assert body["workbooks"][KEY]["last_outcome"] == "skipped"
    assert body["workbooks"][KEY]["last_ok_at"] == "2025-09-29T05:00:00+00:00"
    assert (
        f'pipesheet_last_success_timestamp_seconds{{workbook="{KEY}"}} '
        f"{int(recorded_ok.timestamp())}" in health.metrics_text().splitlines()
    )


def test_healthz_keeps_own_later_success() -> None:
    own_ok = STARTED + dt.timedelta(hours=2)
    recorded_ok = STARTED + dt.timedelta(hours=1)
    health = ServiceHealth(STARTED, lambda: {KEY: NEXT_RUN})
    health.watch("/srv/sales/pipeline.yaml", KEY, dt.timedelta(days=1), None)
    health.record(summary(RunOutcome.OK, own_ok, 0.0))
    health.add_recorded_successes({KEY: recorded_ok})

    _, body = health.healthz(own_ok)

    assert body["workbooks"][KEY]["last_ok_at"] == "2025-09-29T06:00:00+00:00"


def test_service_health_reads_shared_state(tmp_path: Path) -> None:
    write_deals(tmp_path / "pipeline.xlsx", [SheetDeal("D-1", "Ana", "Lead")])
    definition = write_definition(tmp_path)
    state = str(tmp_path / "state.sqlite")
    (scheduled,) = load_scheduled([str(definition)], None, require_schedule=True)
    service = Service([scheduled], ServiceOptions(state, 60.0, 60.0))
    key = scheduled.workbook_key
    service.health.watch(str(definition), key, dt.timedelta(days=1), None)
    other_service_run = run_definition(str(definition), None, state)

    service._log_run(RunSummary(str(definition), key, RunOutcome.SKIPPED, STARTED, 0.5))
    status, body = service.health.healthz(
        other_service_run.started_at + dt.timedelta(days=1)
    )

    with StateStore.open(state) as store:
        (recorded,) = store.runs()
    assert other_service_run.outcome is RunOutcome.OK
    assert status == 200
    assert body["workbooks"][key]["last_outcome"] == "skipped"
    assert recorded.finished_at is not None
    assert body["workbooks"][key]["last_ok_at"] == recorded.finished_at.isoformat(
        timespec="seconds"
    )


def test_service_health_reads_success_at_request(tmp_path: Path) -> None:
    # The other service's success shows before this service's next run ends.
    write_deals(tmp_path / "pipeline.xlsx", [SheetDeal("D-1", "Ana", "Lead")])
    definition = write_definition(tmp_path)
    state = str(tmp_path / "state.sqlite")
    (scheduled,) = load_scheduled([str(definition)], None, require_schedule=True)
    service = Service([scheduled], ServiceOptions(state, 60.0, 60.0))
    key = scheduled.workbook_key
    service.health.watch(str(definition), key, dt.timedelta(days=1), None)
    run_definition(str(definition), None, state)

    _, body = service.health.healthz(dt.datetime.now(dt.UTC))
    metrics = service.health.metrics_text()

    with StateStore.open(state) as store:
        (recorded,) = store.runs()
    assert recorded.finished_at is not None
    assert body["workbooks"][key]["last_ok_at"] == recorded.finished_at.isoformat(
        timespec="seconds"
    )
    assert "pipesheet_last_success_timestamp_seconds{" in metrics


def test_health_reads_database_once_per_max_age() -> None:
    reads: list[int] = []

    def read() -> dict[str, dt.datetime]:
        reads.append(1)
        return {KEY: STARTED}

    health = ServiceHealth(STARTED, lambda: {KEY: NEXT_RUN}, read)
    health.watch("/srv/sales/pipeline.yaml", KEY, dt.timedelta(days=1), None)

    health.healthz(STARTED)
    health.metrics_text()
    _, body = health.healthz(STARTED)

    assert len(reads) == 1
    assert body["workbooks"][KEY]["last_ok_at"] == "2025-09-29T04:00:00+00:00"


def test_health_request_not_held_by_slow_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(health_module, "RECORDED_SUCCESSES_WAIT", 0.05)
    release = threading.Event()

    def read() -> dict[str, dt.datetime]:
        release.wait(LINE_WAIT_SECONDS)
        return {KEY: STARTED}

    health = ServiceHealth(STARTED, lambda: {KEY: NEXT_RUN}, read)
    health.watch("/srv/sales/pipeline.yaml", KEY, dt.timedelta(days=1), None)

    started = time.monotonic()
    _, body = health.healthz(STARTED)
    waited = time.monotonic() - started
    release.set()

    assert waited < 5
    assert body["workbooks"][KEY]["last_ok_at"] is None


def test_service_health_without_state_database(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_deals(tmp_path / "pipeline.xlsx", [SheetDeal("D-1", "Ana", "Lead")])
    definition = write_definition(tmp_path)
    (scheduled,) = load_scheduled([str(definition)], None, require_schedule=True)
    service = Service([scheduled], ServiceOptions(str(tmp_path), 60.0, 60.0))
    service.health.watch(
        str(definition), scheduled.workbook_key, dt.timedelta(days=1), None
    )

    skipped = RunSummary(
        str(definition), scheduled.workbook_key, RunOutcome.SKIPPED, STARTED, 0.5
    )
    with caplog.at_level(logging.WARNING, logger="sync.service"):
        service._log_run(skipped)
    status, _ = service.health.healthz(service.started_at)

    assert status == 200
    assert (
        caplog.records[0]
        .getMessage()
        .startswith(
            "health: successful runs of other services could not be read, so the "
            "report counts this service's runs only: "
        )
    )


def test_overlapping_fire_counted_skipped(tmp_path: Path) -> None:
    write_deals(tmp_path / "pipeline.xlsx", [SheetDeal("D-1", "Ana", "Lead")])
    definition = write_definition(tmp_path)
    (scheduled,) = load_scheduled([str(definition)], None, require_schedule=True)
    service = Service([scheduled], ServiceOptions(str(tmp_path), 60.0, 60.0))
    service.health.watch(
        str(definition), scheduled.workbook_key, dt.timedelta(days=1), None
    )
    service.health.record(
        RunSummary(str(definition), scheduled.workbook_key, RunOutcome.OK, STARTED, 1.0)
    )
    overlap = JobSubmissionEvent(
        EVENT_JOB_MAX_INSTANCES, scheduled.job_id, "default", [STARTED]
    )

    service._on_job_event(overlap)

    label = f'workbook="{scheduled.workbook_key}"'
    _, body = service.health.healthz(STARTED)
    metrics = service.health.metrics_text().splitlines()
    assert f'pipesheet_runs_total{{{label},outcome="skipped"}} 1' in metrics
    assert body["workbooks"][scheduled.workbook_key]["last_outcome"] == "ok"


def test_metrics_text_exposition() -> None:
    health = build_health()
    health.record(summary(RunOutcome.OK, STARTED, 2.5, digests_sent=2))
    health.record(summary(RunOutcome.OK, STARTED + dt.timedelta(hours=1), 0.0, 1, 1))
    health.record(summary(RunOutcome.SKIPPED, STARTED + dt.timedelta(hours=2), 0.25))
    label = f'workbook="{KEY}"'
    assert health.metrics_text().splitlines() == [
        (
            "# HELP pipesheet_runs_total Runs finished or skipped since the service "
            "started, by workbook and outcome."
        ),
        "# TYPE pipesheet_runs_total counter",
        f'pipesheet_runs_total{{{label},outcome="ok"}} 2',
        f'pipesheet_runs_total{{{label},outcome="failed"}} 0',
        f'pipesheet_runs_total{{{label},outcome="skipped"}} 1',
        f'pipesheet_runs_total{{{label},outcome="deferred"}} 0',
        (
            "# HELP pipesheet_digests_total Digests sent or failed since the service "
            "started, by workbook and status."
        ),
        "# TYPE pipesheet_digests_total counter",
        f'pipesheet_digests_total{{{label},status="sent"}} 3',
        f'pipesheet_digests_total{{{label},status="failed"}} 1',
        "# HELP pipesheet_run_duration_seconds Duration of runs, by workbook.",
        "# TYPE pipesheet_run_duration_seconds summary",
        f"pipesheet_run_duration_seconds_sum{{{label}}} 2.75",
        f"pipesheet_run_duration_seconds_count{{{label}}} 3",
        (
            "# HELP pipesheet_rows Deals (rows) read by the latest successful run, by "
            "workbook."
        ),
        "# TYPE pipesheet_rows gauge",
        f"pipesheet_rows{{{label}}} 120",
        (
            "# HELP pipesheet_api_requests_total Requests to the spreadsheet API "
            "(0 for Excel files), by workbook."
        ),
        "# TYPE pipesheet_api_requests_total counter",
        f"pipesheet_api_requests_total{{{label}}} 9",
        (
            "# HELP pipesheet_last_success_timestamp_seconds Unix time of the latest "
            "successful run, by workbook."
        ),
        "# TYPE pipesheet_last_success_timestamp_seconds gauge",
        (
            f"pipesheet_last_success_timestamp_seconds{{{label}}} "
            f"{int((STARTED + dt.timedelta(hours=1)).timestamp())}"
        ),
    ]


def test_metrics_escape_label_values() -> None:
    health = ServiceHealth(STARTED, dict)
    health.watch("a.yaml", 'C:\\books\\"q3"\nx.xlsx', dt.timedelta(days=1), None)
    assert 'workbook="C:\\\\books\\\\\\"q3\\"\\nx.xlsx"' in health.metrics_text()


def test_health_server_answers_on_loopback() -> None:
    health = ServiceHealth(dt.datetime.now(dt.UTC), lambda: {KEY: NEXT_RUN})
    health.watch("/srv/sales/pipeline.yaml", KEY, dt.timedelta(days=1), None)
    server = HealthServer(health, "127.0.0.1", 0)
    server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        healthz = fetch(base + "/healthz")
        metrics = fetch(base + "/metrics")
        missing = fetch(base + "/other")
    finally:
        server.stop()
    assert healthz[:2] == (200, "application/json")
    assert json.loads(healthz[2])["workbooks"][KEY]["last_outcome"] is None
    assert metrics[:2] == (200, "text/plain; version=0.0.4; charset=utf-8")
    assert metrics[2] == health.metrics_text()
    assert missing[:2] == (404, "text/plain")


HEAD_HEADERS = ("Content-Type", "Content-Length")


def request_loopback(
    port: int, method: str, path: str
) -> tuple[int, dict[str, str], bytes]:
    """Return the status, headers and body of one request to 127.0.0.1."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        headers = {name: response.getheader(name, "") for name in HEAD_HEADERS}
        return response.status, headers, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("path", "status"),
    [("/healthz", 200), ("/metrics?x=1", 200), ("/other", 404)],
    ids=["healthz", "metrics", "not-found"],
)
def test_health_server_head_matches_get(path: str, status: int) -> None:
    health = ServiceHealth(dt.datetime.now(dt.UTC), lambda: {KEY: NEXT_RUN})
    health.watch("/srv/sales/pipeline.yaml", KEY, dt.timedelta(days=1), None)
    server = HealthServer(health, "127.0.0.1", 0)
    server.start()
    try:
        head = request_loopback(server.port, "HEAD", path)
        get = request_loopback(server.port, "GET", path)
    finally:
        server.stop()
    assert head[0] == status
    assert get[0] == status
    assert head[1] == get[1]
    assert head[1]["Content-Length"] == str(len(get[2]))
    assert head[2] == b""


def test_health_server_on_ipv6_loopback() -> None:
    health = ServiceHealth(dt.datetime.now(dt.UTC), dict)
    try:
        server = HealthServer(health, "::1", 0)
    except HealthEndpointError as error:
        pytest.skip(f"this machine has no IPv6 loopback: {error}")
    server.start()
    try:
        status = fetch(f"http://[::1]:{server.port}/healthz")[0]
    finally:
        server.stop()
    assert server.host == "::1"
    assert status == 200


def test_health_server_busy_port_named() -> None:
    health = ServiceHealth(dt.datetime.now(dt.UTC), dict)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(HealthEndpointError) as raised:
            HealthServer(health, "127.0.0.1", port)
    assert str(raised.value) == (
        f"The health endpoint cannot listen on --health-host '127.0.0.1' "
        f"--health-port {port}: port {port} is in use, maybe by another "
        "pipesheet serve. Pass another --health-port, or 0 to let the system "
        "pick a free one."
    )


def test_health_server_foreign_address_named() -> None:
    health = ServiceHealth(dt.datetime.now(dt.UTC), dict)
    # 192.0.2.1 is reserved for documentation (RFC 5737), so this machine is not
    # expected to have it. Binding fails locally and sends nothing.
    with pytest.raises(HealthEndpointError) as raised:
        HealthServer(health, "192.0.2.1", 0)
    assert str(raised.value) == (
        "The health endpoint cannot listen on --health-host '192.0.2.1' "
        "--health-port 0: '192.0.2.1' is not an address of this machine. Pass "
        "127.0.0.1, ::1 or another address this machine has."
    )


# The run's log line


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"outcome": "ok", "deals": 7}, "outcome=ok deals=7"),
        ({"error": 'no tab "Deals"'}, 'error="no tab \\"Deals\\""'),
        ({"as_of": None}, 'as_of=""'),
        ({"error": "line one\nline two"}, 'error="line one\\nline two"'),
    ],
    ids=["plain", "quotes", "none", "line-break"],
)
def test_format_fields_quotes_values(fields: dict[str, object], expected: str) -> None:
    assert format_fields(fields) == expected


@pytest.mark.parametrize(
    ("configs", "message"),
    [
        (
            ["a.yaml", "a.yaml"],
            "Error: CONFIG 'a.yaml' is given twice; give each definition once.",
        ),
        (
            ["a.yaml", "./a.yaml"],
            (
                "Error: CONFIG './a.yaml' is given twice (also as 'a.yaml'); give "
                "each definition once."
            ),
        ),
    ],
    ids=["same-spelling", "other-spelling"],
)
def test_serve_config_twice_is_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configs: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(serve, [*configs, "--once"])

    assert result.exit_code == 2
    assert result.output.endswith(f"{message}\n")


def test_serve_source_with_two_configs_is_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        serve, ["a.yaml", "b.yaml", "--source", "book.xlsx", "--once"]
    )

    assert result.exit_code == 2
    assert result.output.endswith(
        "Error: --source 'book.xlsx' names one workbook, but 2 CONFIG arguments "
        "were given; give one CONFIG with --source, or set source.path in each "
        "definition and leave out --source.\n"
    )


def test_serve_shipped_name_needs_source(tmp_path: Path) -> None:
    state = str(tmp_path / "state.sqlite")

    result = CliRunner().invoke(serve, ["b2b-en", "--once", "--state", state])

    assert result.exit_code == 2
    assert "Try 'serve --help' for help." in result.output
    assert result.output.endswith(
        "Error: CONFIG 'b2b-en' is a shipped definition, which names no workbook "
        "of yours. Pass the workbook with --source PATH (for example the file "
        "that 'pipesheet init' created), or copy the definition, set source.path "
        "in the copy and pass the copy's file as CONFIG.\n"
    )
    assert not (tmp_path / "state.sqlite").exists()


@pytest.mark.parametrize("name", ["deals.xlsx", "deals.csv"])
def test_serve_workbook_without_rules_tab_is_usage_error(
    tmp_path: Path, name: str
) -> None:
    workbook = tmp_path / name
    if name.endswith(".csv"):
        workbook.write_text("Deal ID,Stage\nD-1,Lead\n", encoding="utf-8")
    else:
        write_deals(workbook, [SheetDeal("D-1", "Ana", "Lead")])
    state = str(tmp_path / "state.sqlite")

    result = CliRunner().invoke(serve, [str(workbook), "--once", "--state", state])

    assert result.exit_code == 2
    assert "Try 'serve --help' for help." in result.output
    assert not (tmp_path / "state.sqlite").exists()


def test_edited_source_path_followed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("pipeline.xlsx", "other.xlsx"):
        write_deals(tmp_path / name, [SheetDeal("D-1", "Ana", "Lead")])
    definition = write_definition(tmp_path)
    (scheduled,) = load_scheduled([str(definition)], None, require_schedule=True)
    state = str(tmp_path / "state.sqlite")
    service = Service([scheduled], ServiceOptions(state, 60.0, 60.0))
    service.health.watch(
        str(definition), scheduled.workbook_key, dt.timedelta(days=1), None
    )
    write_definition(tmp_path, "other.xlsx")
    other = scheduled.workbook_key.replace("pipeline.xlsx", "other.xlsx")

    with caplog.at_level(logging.INFO, logger="sync.service"):
        (ran,) = service.run_once()
    _, body = service.health.healthz(service.started_at)

    assert ran.outcome is RunOutcome.OK
    assert ran.workbook_key == other
    assert f"run workbook={other} outcome=ok" in caplog.text
    assert list(body["workbooks"]) == [other]
    assert service.definitions[0].workbook_key == other


def test_unloaded_definition_keeps_job_workbook(tmp_path: Path) -> None:
    write_deals(tmp_path / "pipeline.xlsx", [SheetDeal("D-1", "Ana", "Lead")])
    definition = write_definition(tmp_path)
    (scheduled,) = load_scheduled([str(definition)], None, require_schedule=True)
    service = Service([scheduled], ServiceOptions(str(tmp_path / "s.sqlite"), 60, 60))
    service.health.watch(
        str(definition), scheduled.workbook_key, dt.timedelta(days=1), None
    )
    definition.write_text("name: [broken\n", encoding="utf-8")

    (ran,) = service.run_once()
    _, body = service.health.healthz(service.started_at)

    assert ran.outcome is RunOutcome.FAILED
    assert ran.workbook_key == scheduled.workbook_key
    assert body["workbooks"][scheduled.workbook_key]["last_outcome"] == "failed"


def test_unloaded_definition_run_in_history(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_deals(tmp_path / "pipeline.xlsx", [SheetDeal("D-1", "Ana", "Lead")])
    definition = write_definition(tmp_path)
    (scheduled,) = load_scheduled([str(definition)], None, require_schedule=True)
    state = str(tmp_path / "s.sqlite")
    service = Service([scheduled], ServiceOptions(state, 60, 60))
    text = definition.read_text(encoding="utf-8")
    definition.write_text(text.replace("stages:", "stagez:"), encoding="utf-8")

    with caplog.at_level(logging.INFO, logger="sync.service"):
        (ran,) = service.run_once()
    with StateStore.open(state) as store:
        (run,) = store.runs(scheduled.workbook_key)
    history_output = CliRunner().invoke(history, ["--state", state]).output

    assert run.outcome is RunOutcome.FAILED
    assert run.tab == "Deals"
    assert run.as_of == ran.as_of
    assert ran.error is not None
    assert run.error == ran.error
    assert "unknown key 'stagez'; did you mean 'stages'?" in ran.error
    assert "Run 1 failed: " in history_output
    assert f"outcome=failed as_of={run.as_of} " in caplog.text
    assert ran.error.replace("\n", "\\n") in caplog.text


def test_health_move_keeps_counters() -> None:
    health = build_health()
    health.record(summary(RunOutcome.OK, STARTED, 2.5))
    moved = "/srv/sales/pipeline-2026.xlsx"

    health.move(KEY, moved)
    health.record(
        dataclasses.replace(summary(RunOutcome.OK, STARTED, 1.0), workbook_key=moved)
    )
    _, body = health.healthz(STARTED + dt.timedelta(hours=1))

    assert list(body["workbooks"]) == [moved]
    assert body["workbooks"][moved]["definition"] == "/srv/sales/pipeline.yaml"
    assert f'pipesheet_runs_total{{workbook="{moved}",outcome="ok"}} 2' in (
        health.metrics_text().splitlines()
    )
    assert KEY not in health.metrics_text()
