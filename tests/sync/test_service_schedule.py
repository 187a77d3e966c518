"""How ``pipesheet serve`` treats late runs and a run timeout that outlasts the gap."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import zoneinfo
from collections.abc import Iterator

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from sync.schedules import (
    ScheduledDefinition,
    build_trigger,
    cron_trigger,
    next_fire_times,
    shortest_interval,
)
from sync.service import MISFIRE_GRACE, Service, ServiceOptions
from tests.sync.pipeline_files import TIME_ZONE

NOW = dt.datetime(2025, 9, 1, 6, 0, tzinfo=dt.UTC)
# Long enough for a started scheduler to run or drop a job on a busy machine.
EVENT_WAIT_SECONDS = 20


def scheduled(cron: str) -> ScheduledDefinition:
    return ScheduledDefinition(
        config="/srv/sales/pipeline.yaml",
        source=None,
        name="Sales",
        workbook_key="/srv/sales/pipeline.xlsx",
        tab="Deals",
        cron=cron,
        timezone=TIME_ZONE,
    )


def start_up_warnings(
    cron: str, run_timeout: float, caplog: pytest.LogCaptureFixture
) -> list[str]:
    """Add one definition's job as ``serve`` does; return the warnings logged."""
    definition = scheduled(cron)
    service = Service([definition], ServiceOptions("state.sqlite", run_timeout, 60))
    scheduler = service._build_scheduler()
    with caplog.at_level(logging.WARNING, logger="sync.service"):
        service._add_job(scheduler, definition, NOW, NOW)
    return [record.getMessage() for record in caplog.records]


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        ("*/5 * * * *", dt.timedelta(minutes=5)),
        ("0 7,13 * * 1-5", dt.timedelta(hours=6)),
        ("0 7 * * *", dt.timedelta(days=1)),
    ],
    ids=["five-minutes", "twice-on-weekdays", "daily"],
)
def test_shortest_interval_of_trigger(cron: str, expected: dt.timedelta) -> None:
    trigger = build_trigger(scheduled(cron))

    assert shortest_interval(trigger, NOW) == expected


def fire_days(cron: str, count: int) -> list[dt.date]:
    """Return the days of the next ``count`` fire times from Sunday 2026-12-06."""
    now = dt.datetime(2026, 12, 6, 0, 0, tzinfo=dt.UTC)
    fires = next_fire_times(cron_trigger(cron, zoneinfo.ZoneInfo("UTC")), now, count)
    return [fire.date() for fire in fires]


def test_day_or_weekday_fires_on_either() -> None:
    # As in cron, the 1st, the 15th and every Monday.
    assert fire_days("0 7 1,15 * 1", 7) == [
        dt.date(2026, 12, 7),
        dt.date(2026, 12, 14),
        dt.date(2026, 12, 15),
        dt.date(2026, 12, 21),
        dt.date(2026, 12, 28),
        dt.date(2027, 1, 1),
        dt.date(2027, 1, 4),
    ]


def test_day_and_weekday_same_day_fires_once() -> None:
    # 2027-03-01 is a Monday and the 1st.
    days = fire_days("0 7 1 * 1", 20)

    assert days.count(dt.date(2027, 3, 1)) == 1


def test_starred_day_step_needs_both() -> None:
    # A field that starts with * is not restricted, so both must match:
    # Mondays on an odd day of the month.
    assert fire_days("0 7 */2 * 1", 3) == [
        dt.date(2026, 12, 7),
        dt.date(2026, 12, 21),
        dt.date(2027, 1, 11),
    ]


def test_shortest_interval_across_clock_change() -> None:
    # Berlin's clocks go back from 03:00 to 02:00 on 2026-10-25.
    trigger = cron_trigger("*/30 * * * *", zoneinfo.ZoneInfo("Europe/Berlin"))
    now = dt.datetime(2026, 10, 24, 12, 0, tzinfo=dt.UTC)

    assert shortest_interval(trigger, now) == dt.timedelta(minutes=30)


def test_shortest_interval_of_ended_trigger() -> None:
    trigger = cron_trigger("0 7 * * *", dt.UTC)
    trigger.end_date = NOW

    assert shortest_interval(trigger, NOW) is None


def test_timeout_beyond_gap_warned(caplog: pytest.LogCaptureFixture) -> None:
    warnings = start_up_warnings("*/5 * * * *", 900, caplog)

    assert warnings == [
        (
            "workbook=/srv/sales/pipeline.xlsx: --run-timeout 900 s is not shorter "
            "than the 300 s between runs of cron '*/5 * * * *', so a hung run makes "
            "the scheduler skip the runs due before it is stopped. Pass a "
            "--run-timeout below 300 s to keep them."
        )
    ]


@pytest.mark.parametrize(
    ("cron", "run_timeout"),
    [("*/5 * * * *", 299), ("0 7 * * 1-5", 900)],
    ids=["below-gap", "daily"],
)
def test_timeout_within_gap_not_warned(
    cron: str, run_timeout: float, caplog: pytest.LogCaptureFixture
) -> None:
    assert start_up_warnings(cron, run_timeout, caplog) == []


@pytest.fixture
def scheduler() -> Iterator[BackgroundScheduler]:
    """The scheduler ``serve`` builds, started, with its job event listener."""
    service = Service([], ServiceOptions("state.sqlite", 60, 60))
    started = service._build_scheduler()
    started.start()
    yield started
    # The scheduler thread removes a date job after running or missing it.
    # Stopped before that, it raises JobLookupError in its thread.
    deadline = time.monotonic() + EVENT_WAIT_SECONDS
    while started.get_jobs() and time.monotonic() < deadline:
        time.sleep(0.01)
    started.shutdown(wait=False)


def test_late_run_within_grace_runs(scheduler: BackgroundScheduler) -> None:
    ran = threading.Event()
    late = dt.datetime.now(dt.UTC) - MISFIRE_GRACE / 2

    scheduler.add_job(ran.set, "date", run_date=late, id="late")

    assert ran.wait(EVENT_WAIT_SECONDS)


def test_run_beyond_grace_logged_missed(
    scheduler: BackgroundScheduler, caplog: pytest.LogCaptureFixture
) -> None:
    ran = threading.Event()
    due = dt.datetime.now(dt.UTC).replace(microsecond=0) - 2 * MISFIRE_GRACE
    expected = (
        f"job late missed its run at {due} by more than 1:00:00; it runs at the "
        "next fire time"
    )

    with caplog.at_level(logging.WARNING, logger="sync.service"):
        scheduler.add_job(ran.set, "date", run_date=due, id="late")
        deadline = time.monotonic() + EVENT_WAIT_SECONDS
        while expected not in caplog.messages and time.monotonic() < deadline:
            time.sleep(0.05)

    assert expected in caplog.messages
    assert not ran.is_set()
