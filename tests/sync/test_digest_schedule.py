"""Tests for the warning about a schedule that never reaches the digest hour."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from config.models import Pipeline
from sync.cli import cli
from sync.commands.serve import serve
from sync.digest_schedule import digest_schedule_problem
from tests.sync.notify.servers import closed_loopback_port
from tests.sync.pipeline_files import SheetDeal, write_deals, write_definition

NOW = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
# Nothing listens there, so a digest a run sends fails on this machine.
HOOK_URL = f"http://127.0.0.1:{closed_loopback_port()}/hook"
CHANNELS = [{"kind": "webhook", "id": "chat", "url": HOOK_URL}]


def build_pipeline(
    schedule: dict[str, str] | None, notifications: dict[str, Any] | None
) -> Pipeline:
    data: dict[str, Any] = {
        "name": "Team pipeline",
        "source": {"tab": "Deals"},
        "timezone": "Europe/Berlin",
        "columns": {"id": {"aliases": ["Deal ID"]}, "stage": {"aliases": ["Stage"]}},
        "stages": [{"name": "Lead"}, {"name": "Won", "outcome": "won"}],
    }
    if schedule is not None:
        data["schedule"] = schedule
    if notifications is not None:
        data["notifications"] = notifications
    return Pipeline.model_validate(data)


@pytest.mark.parametrize(
    ("schedule", "digest_hour", "latest_hour"),
    [
        ({"cron": "0 7 * * 1-5"}, 8, 7),
        ({"cron": "0 7 * * *"}, 8, 7),
        ({"cron": "*/10 0-6 * * *"}, 12, 6),
        # 23:30 UTC is 00:30 in Berlin in winter and 01:30 in summer.
        ({"cron": "30 23 * * *", "timezone": "UTC"}, 8, 1),
    ],
    ids=["readme-weekdays", "daily", "every-ten-minutes", "other-zone-after-midnight"],
)
def test_schedule_before_digest_hour_named(
    schedule: dict[str, str], digest_hour: int, latest_hour: int
) -> None:
    notifications = {"digest_hour": digest_hour, "channels": CHANNELS}
    pipeline = build_pipeline(schedule, notifications)

    problem = digest_schedule_problem(pipeline, "pipeline.yaml", NOW)

    zone = f" in {schedule['timezone']}" if "timezone" in schedule else ""
    assert problem == (
        f"Definition 'pipeline.yaml': schedule.cron {schedule['cron']!r}{zone} "
        f"runs only before {digest_hour:02d}:00 Europe/Berlin, the "
        f"notifications.digest_hour ({digest_hour}), so its scheduled runs send "
        "no digest. Only a run started at or after that hour does, such as the "
        "catch-up run of 'pipesheet serve' at start or a 'pipesheet run'. "
        f"Move the schedule to {digest_hour:02d}:00 or later, or set "
        f"notifications.digest_hour to {latest_hour} or lower."
    )


@pytest.mark.parametrize(
    ("schedule", "notifications"),
    [
        ({"cron": "0 8 * * 1-5"}, {"digest_hour": 8, "channels": CHANNELS}),
        ({"cron": "0 7 * * *"}, {"digest_hour": 7, "channels": CHANNELS}),
        ({"cron": "*/15 * * * *"}, {"digest_hour": 8, "channels": CHANNELS}),
        # 06:00 UTC is 07:00 in Berlin in winter but 08:00 in summer.
        (
            {"cron": "0 6 * * *", "timezone": "UTC"},
            {"digest_hour": 8, "channels": CHANNELS},
        ),
        # Without a digest hour the day's first run sends the digests.
        ({"cron": "0 7 * * 1-5"}, {"channels": CHANNELS}),
        ({"cron": "0 7 * * *"}, None),
        (None, {"channels": CHANNELS}),
    ],
    ids=[
        "at-digest-hour",
        "digest-hour-lowered",
        "all-day",
        "summer-only",
        "no-digest-hour",
        "no-notifications",
        "no-schedule",
    ],
)
def test_schedule_reaching_digest_hour_passes(
    schedule: dict[str, str] | None, notifications: dict[str, Any] | None
) -> None:
    pipeline = build_pipeline(schedule, notifications)

    assert digest_schedule_problem(pipeline, "pipeline.yaml", NOW) is None


# A deal of each owner under notifications.owners, so that doctor's Owner
# entries check passes.
TEAM_DEALS = [SheetDeal("D-1", "Ana", "Lead"), SheetDeal("D-2", "Ben", "Lead")]


def early_definition(tmp_path: Path) -> Path:
    """Write a definition that runs at 07:00 and sends digests from 08:00."""
    write_deals(tmp_path / "pipeline.xlsx", TEAM_DEALS)
    definition = write_definition(tmp_path, webhook_url=HOOK_URL)
    text = definition.read_text(encoding="utf-8")
    definition.write_text(text.replace("digest_hour: 7", "digest_hour: 8"))
    return definition


def test_check_warns_of_digest_hour(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    definition = early_definition(tmp_path)

    with caplog.at_level(logging.WARNING, logger="sync.digest_schedule"):
        result = CliRunner().invoke(
            cli, ["check", str(definition), "--no-state", "-q"], catch_exceptions=False
        )

    assert result.exit_code == 0, result.output
    assert [record.getMessage() for record in caplog.records] == [
        (
            f"Definition {str(definition)!r}: schedule.cron '0 7 * * *' runs only "
            "before 08:00 Europe/Berlin, the notifications.digest_hour (8), so its "
            "scheduled runs send no digest. Only a run started at or after that "
            "hour does, such as the catch-up run of 'pipesheet serve' at start or "
            "a 'pipesheet run'. Move the schedule to 08:00 or later, or set "
            "notifications.digest_hour to 7 or lower."
        )
    ]


def test_doctor_marks_digest_schedule(tmp_path: Path) -> None:
    definition = early_definition(tmp_path)

    result = CliRunner().invoke(cli, ["doctor", str(definition)])

    lines = result.output.splitlines()
    assert result.exit_code == 0, result.output
    assert lines[1] == (
        f"! Digest schedule  Definition {str(definition)!r}: schedule.cron "
        "'0 7 * * *' runs only before 08:00 Europe/Berlin, the "
        "notifications.digest_hour (8), so its scheduled runs send no digest. "
        "Only a run started at or after that hour does, such as the catch-up run "
        "of 'pipesheet serve' at start or a 'pipesheet run'. Move the "
        "schedule to 08:00 or later, or set notifications.digest_hour to 7 or "
        "lower."
    )
    assert lines[-1] == "All checks passed, but 1 marked ! need a look."


def test_doctor_passes_digest_schedule(tmp_path: Path) -> None:
    write_deals(tmp_path / "pipeline.xlsx", TEAM_DEALS)
    definition = write_definition(tmp_path, webhook_url=HOOK_URL)

    result = CliRunner().invoke(cli, ["doctor", str(definition)])

    lines = result.output.splitlines()
    assert result.exit_code == 0, result.output
    assert lines[1] == (
        "✓ Digest schedule  schedule.cron '0 7 * * *' runs at or after 07:00"
    )
    assert lines[-1] == "All checks passed."


def test_serve_warns_of_digest_hour_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    definition = early_definition(tmp_path)
    arguments = [str(definition), "--once", "--state", str(tmp_path / "s.sqlite")]

    with caplog.at_level(logging.INFO):
        CliRunner().invoke(serve, arguments, catch_exceptions=False)

    messages = [record.getMessage() for record in caplog.records]
    warnings = [r for r in caplog.records if r.name == "sync.digest_schedule"]
    assert [record.levelno for record in warnings] == [logging.WARNING]
    assert (
        warnings[0]
        .getMessage()
        .startswith(
            f"Definition {str(definition)!r}: schedule.cron '0 7 * * *' runs only "
        )
    )
    assert messages.index(warnings[0].getMessage()) == 0
