"""Tests of recorded stage lists: their names, orders and the month's definition."""

from __future__ import annotations

import datetime as dt

import pytest

from config.models import Outcome, Stage
from rules.headers import StageLookup
from rules.stage_lists import (
    RecordedStage,
    RunStages,
    StageOrder,
    month_stage_list,
    named_as_now,
    orders_by_day,
    pipeline_with_stages,
    stage_list_of,
)
from tests.rules.builders import STAGES, build_pipeline

PIPELINE = build_pipeline()
CURRENT = stage_list_of(PIPELINE)
# The list before Qualified was added between Lead and Proposal.
OLDER = tuple(stage for stage in CURRENT if stage.name != "Qualified")
DAY = dt.date(2025, 9, 10)


def test_named_as_now_takes_alias_target() -> None:
    renamed = [
        stage.model_copy(update={"name": "Quote", "aliases": ["Proposal"]})
        if stage.name == "Proposal"
        else stage
        for stage in STAGES
    ]
    lookup = StageLookup(build_pipeline(renamed))

    named = named_as_now(CURRENT, lookup)

    assert [stage.name for stage in named] == [
        "Lead",
        "Qualified",
        "Quote",
        "Closed Won",
        "Closed Lost",
    ]


def test_orders_leave_out_days_of_current_list() -> None:
    runs = [
        RunStages(DAY, OLDER, recorded_moves=True),
        RunStages(DAY + dt.timedelta(days=1), CURRENT, recorded_moves=True),
        RunStages(DAY + dt.timedelta(days=2), None, recorded_moves=True),
        RunStages(DAY + dt.timedelta(days=3), OLDER, recorded_moves=False),
    ]

    orders = orders_by_day(runs, CURRENT, since=DAY - dt.timedelta(days=1))

    assert list(orders) == [DAY]
    assert [order.stages for order in orders[DAY]] == [OLDER]


def test_orders_skip_days_before_since() -> None:
    runs = [RunStages(DAY, OLDER, recorded_moves=True)]

    assert orders_by_day(runs, CURRENT, since=DAY) == {}


def test_orders_keep_each_list_of_a_day() -> None:
    runs = [
        RunStages(DAY, OLDER, recorded_moves=True),
        RunStages(DAY, CURRENT, recorded_moves=True),
        RunStages(DAY, OLDER, recorded_moves=True),
    ]

    orders = orders_by_day(runs, CURRENT, since=DAY - dt.timedelta(days=1))

    assert [order.stages for order in orders[DAY]] == [OLDER, CURRENT]


@pytest.mark.parametrize(
    ("stages", "skipped"),
    [(OLDER, []), (CURRENT, ["Qualified"])],
    ids=["older-list", "current-list"],
)
def test_order_skips_stages_between(
    stages: tuple[RecordedStage, ...], skipped: list[str]
) -> None:
    order = StageOrder(stages)
    lead, proposal = order.find("Lead"), order.find("Proposal")
    assert lead is not None
    assert proposal is not None

    assert order.skipped(lead, proposal) == skipped


def test_month_list_is_last_run_of_month() -> None:
    runs = [
        RunStages(dt.date(2025, 8, 30), OLDER, recorded_moves=False),
        RunStages(dt.date(2025, 8, 31), None, recorded_moves=False),
        RunStages(dt.date(2025, 9, 1), CURRENT, recorded_moves=False),
    ]

    found = month_stage_list(runs, dt.date(2025, 8, 1), dt.date(2025, 8, 31))

    assert found == OLDER


def test_month_pipeline_keeps_removed_stage() -> None:
    removed = (*OLDER[:1], RecordedStage("Discovery", Outcome.OPEN), *OLDER[1:])

    month = pipeline_with_stages(PIPELINE, removed)

    assert [stage.name for stage in month.stages] == [
        "Lead",
        "Discovery",
        "Proposal",
        "Closed Won",
        "Closed Lost",
    ]
    assert month.stages[0] is PIPELINE.stages[0]
    assert month.stages[1] == Stage(name="Discovery")
