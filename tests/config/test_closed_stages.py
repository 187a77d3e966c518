"""Tests of the stage options that apply to open stages only."""

from __future__ import annotations

import pytest

from config.loader import parse_pipeline
from tests.config.test_models import definition, problems, stages


@pytest.mark.parametrize(
    ("outcome", "option", "value"),
    [
        ("won", "idle_days", 5),
        ("lost", "idle_days", 30),
        ("won", "next_step_required", True),
        ("lost", "next_step_required", True),
    ],
    ids=["won-idle", "lost-idle", "won-next-step", "lost-next-step"],
)
def test_open_stage_option_on_closed_rejected(
    outcome: str, option: str, value: object
) -> None:
    data = definition(
        stages=stages(
            {"name": "Lead"},
            {"name": "Won", "outcome": "won"},
            {"name": "Closed", "outcome": outcome, option: value},
        )
    )

    assert problems(data) == [
        (
            f"stages[2] ('Closed').{option}: this option applies to open stages "
            f"only, and this stage has 'outcome: {outcome}'; delete it"
        )
    ]


def test_reached_if_filled_on_lost_rejected() -> None:
    data = definition(
        stages=stages(
            {"name": "Lead"},
            {"name": "Won", "outcome": "won"},
            {"name": "Lost", "outcome": "lost", "reached_if_filled": ["amount"]},
        )
    )

    assert problems(data) == [
        (
            "stages[2] ('Lost').reached_if_filled: a lost stage is not a step of "
            "the funnel, so no deal is counted as reaching it; move the fields to "
            "the open or won stage they show a deal reached, or delete the option"
        )
    ]


def test_closed_stage_options_accepted() -> None:
    # false states the default of a closed stage, and a won stage is a funnel step.
    data = definition(
        stages=stages(
            {"name": "Lead", "idle_days": 14, "next_step_required": True},
            {
                "name": "Won",
                "outcome": "won",
                "probability": 1.0,
                "next_step_required": False,
                "reached_if_filled": ["amount"],
            },
            {"name": "Lost", "outcome": "lost", "next_step_required": False},
        )
    )
    data["columns"] = {
        "id": {"aliases": ["Deal ID"]},
        "stage": {"aliases": ["Stage"]},
        "amount": {"aliases": ["Amount"]},
        "next_step_date": {"aliases": ["Next Step Date"]},
    }

    pipeline = parse_pipeline(data, origin="team.yaml")

    assert [stage.name for stage in pipeline.open_stages] == ["Lead"]


def test_open_stage_after_won_rejected() -> None:
    data = definition(
        stages=stages(
            {"name": "Lead"},
            {"name": "Won", "outcome": "won"},
            {"name": "Proposal"},
            {"name": "Lost", "outcome": "lost"},
        )
    )

    assert problems(data) == [
        (
            "stages[2] ('Proposal'): this open stage is listed after the won stage "
            "stages[1] ('Won'), and the funnel counts a deal as having reached "
            "every stage listed before its own; list every open stage before the "
            "won stages"
        )
    ]


def test_lost_stage_before_open_accepted() -> None:
    # The funnel leaves lost stages out, so their place in the list is free.
    data = definition(
        stages=stages(
            {"name": "Lead"},
            {"name": "Lost", "outcome": "lost"},
            {"name": "Proposal"},
            {"name": "Won", "outcome": "won"},
        )
    )

    pipeline = parse_pipeline(data, origin="team.yaml")

    assert [stage.name for stage in pipeline.open_stages] == ["Lead", "Proposal"]
