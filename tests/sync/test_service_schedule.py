"""How ``pipesheet serve`` treats a run timeout that outlasts the gap between runs."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from sync.schedules import (
    ScheduledDefinition,
    build_trigger,
    cron_trigger,
    shortest_interval,
)
from sync.service import Service, ServiceOptions
from tests.sync.pipeline_files import TIME_ZONE

NOW = dt.datetime(2025, 9, 1, 6, 0, tzinfo=dt.UTC)


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
