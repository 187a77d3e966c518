"""Tests of options that read a field: without it mapped they would do nothing."""

from __future__ import annotations

import pytest

from config.loader import parse_pipeline
from tests.config.test_models import definition, problems, stages


def fix_of(field: str) -> str:
    return (
        f"but the field {field!r} is not mapped under columns, so it would do "
        f"nothing. Map {field!r} under columns with the header aliases of its "
        "column, or delete the option"
    )


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        (
            {"followups": {"require_next_step_date": True}},
            "followups.require_next_step_date: this option asks open deals for a "
            "next-step date, " + fix_of("next_step_date"),
        ),
        (
            {
                "stages": stages(
                    {"name": "Lead", "next_step_required": True},
                    {"name": "Won", "outcome": "won"},
                )
            },
            "stages[0] ('Lead').next_step_required: this option asks open deals "
            "for a next-step date, " + fix_of("next_step_date"),
        ),
        (
            {"metrics": {"win_rate_days": 90}},
            "metrics.win_rate_days: this option counts the deals that closed in "
            "the period by their close date, " + fix_of("close_date"),
        ),
        (
            {
                "notifications": {
                    "owners": {"Ana": {"email": "ana@example.com"}},
                    "channels": [
                        {
                            "kind": "email",
                            "smtp_host": "smtp.example.com",
                            "from_address": "pipesheet@example.com",
                        }
                    ],
                },
            },
            "notifications.owners: this option sends each owner a digest of the "
            "deals in the owner column, " + fix_of("owner"),
        ),
    ],
    ids=["require-next-step", "stage-next-step", "win-rate-days", "owner-digests"],
)
def test_option_without_its_field_rejected(
    changes: dict[str, object], line: str
) -> None:
    data = definition(**changes)
    data["columns"] = {
        "id": {"aliases": ["Deal ID"]},
        "stage": {"aliases": ["Stage"]},
    }

    assert problems(data) == [line]


@pytest.mark.parametrize("mark", ["snooze_until", "acknowledged"])
def test_followup_mark_without_next_step_date_rejected(mark: str) -> None:
    data = definition()
    data["columns"] = {
        "id": {"aliases": ["Deal ID"]},
        "stage": {"aliases": ["Stage"]},
        mark: {"aliases": ["Mark"]},
    }

    assert problems(data) == [
        f"columns.{mark}: this option silences the follow-ups of the next-step "
        "date column, " + fix_of("next_step_date")
    ]


def test_default_next_step_rule_needs_no_field() -> None:
    # require_next_step_date is true by default, also without follow-ups.
    pipeline = parse_pipeline(definition(), origin="team.yaml")

    assert "next_step_date" not in pipeline.columns


def test_misspelled_field_key_reported_once() -> None:
    data = definition(
        followups={"require_next_step_date": True},
        metrics={"win_rate_days": 90},
    )
    data["columns"] = {
        "id": {"aliases": ["Deal ID"]},
        "stage": {"aliases": ["Stage"]},
        "follow_up_date": {"aliases": ["Follow-up"]},
        "closing_date": {"aliases": ["Closing"]},
    }

    assert [line.split(":")[0] for line in problems(data)] == [
        "columns.follow_up_date",
        "columns.closing_date",
    ]
