"""The run's warning when a spreadsheet's time zone counts other days."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from sync.run import run_sync
from tests.fake_sheets import FakeSheets
from tests.sync.fake_spreadsheets import (
    DEALS_HEADER,
    make_pipeline,
    open_spreadsheet,
    upload_workbook,
)

AS_OF = dt.date(2025, 9, 10)
TAIPEI_WARNING = (
    "Spreadsheet 'Pipeline' is set to the time zone Asia/Taipei, but the "
    "definition sets no timezone, so runs count days in UTC. For 8 hours of each "
    "day a run checks a different day than the spreadsheet's today. Add "
    "'timezone: Asia/Taipei' to the definition, or 'timezone: UTC' to keep UTC "
    "without this warning."
)


@pytest.fixture
def fake() -> Iterator[FakeSheets]:
    """A fake Sheets API served through ``responses`` for the whole test."""
    served = FakeSheets()
    with served.responses():
        yield served


def spreadsheet_in(fake: FakeSheets, time_zone: str) -> str:
    """Upload a one-deal spreadsheet set to ``time_zone``; return its id."""
    rows = [DEALS_HEADER, ["D-1", "Acme", "Lead", 1000, dt.date(2025, 9, 20)]]
    spreadsheet_id = upload_workbook(fake, "Pipeline", {"Deals": rows})
    properties = {"properties": {"timeZone": time_zone}, "fields": "timeZone"}
    fake.batch_update(spreadsheet_id, [{"updateSpreadsheetProperties": properties}])
    return spreadsheet_id


def zone_warnings(
    spreadsheet_id: str, caplog: pytest.LogCaptureFixture, **changes: Any
) -> list[str]:
    """Run one sync and return its warnings about time zones."""
    pipeline = make_pipeline(spreadsheet_id, **changes)
    with caplog.at_level(logging.WARNING, logger="sync.run"):
        run_sync(pipeline, open_spreadsheet(spreadsheet_id, pipeline=pipeline), AS_OF)
    return [message for message in caplog.messages if "time zone" in message]


def test_other_zone_without_timezone_warns(
    fake: FakeSheets, caplog: pytest.LogCaptureFixture
) -> None:
    spreadsheet_id = spreadsheet_in(fake, "Asia/Taipei")

    assert zone_warnings(spreadsheet_id, caplog) == [TAIPEI_WARNING]


def test_summer_time_gap_named(
    fake: FakeSheets, caplog: pytest.LogCaptureFixture
) -> None:
    spreadsheet_id = spreadsheet_in(fake, "Europe/London")

    [warning] = zone_warnings(spreadsheet_id, caplog)

    assert "For 1 hour of each day" in warning


def test_half_hour_gap_named(
    fake: FakeSheets, caplog: pytest.LogCaptureFixture
) -> None:
    spreadsheet_id = spreadsheet_in(fake, "Asia/Kolkata")

    [warning] = zone_warnings(spreadsheet_id, caplog)

    assert "For 5.5 hours of each day" in warning


@pytest.mark.parametrize(
    ("time_zone", "changes"),
    [
        ("Asia/Taipei", {"timezone": "UTC"}),
        ("Asia/Taipei", {"schedule": {"cron": "0 7 * * *", "timezone": "UTC"}}),
        ("Etc/GMT", {}),
        ("Africa/Abidjan", {}),
        ("not a zone", {}),
    ],
    ids=["timezone-set", "schedule-zone-set", "gmt", "same-offset", "bad"],
)
def test_zone_warning_left_out(
    fake: FakeSheets,
    caplog: pytest.LogCaptureFixture,
    time_zone: str,
    changes: dict[str, Any],
) -> None:
    spreadsheet_id = spreadsheet_in(fake, time_zone)

    assert zone_warnings(spreadsheet_id, caplog, **changes) == []
