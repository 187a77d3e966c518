"""Tests of schedules whose cron expression names no existing date."""

from __future__ import annotations

import pytest

from config.loader import parse_pipeline
from tests.config.test_models import definition, problems


@pytest.mark.parametrize(
    "cron",
    ["0 7 31 2 *", "0 7 30 2 *", "0 7 31 4 *", "0 7 31 4,6,9,11 */2"],
    ids=["february-31", "february-30", "april-31", "short-months"],
)
def test_cron_without_date_rejected(cron: str) -> None:
    data = definition(schedule={"cron": cron, "timezone": "UTC"})

    assert problems(data) == [
        (
            f"schedule.cron: invalid value {cron!r}; no date matches it, so the "
            "schedule would never run. Correct the day and month fields, such as "
            '"0 7 28 2 *" for 07:00 on February 28'
        )
    ]


@pytest.mark.parametrize(
    "cron",
    ["0 7 29 2 *", "0 7 29 2 1", "0 7 31 * *", "0 7 31 4,6,9,11 1-5"],
    ids=["leap-day", "leap-day-or-monday", "every-31st", "weekdays-of-short-months"],
)
def test_cron_with_rare_date_accepted(cron: str) -> None:
    pipeline = parse_pipeline(definition(schedule={"cron": cron}), origin="t.yaml")

    assert pipeline.schedule is not None
    assert pipeline.schedule.cron == cron
