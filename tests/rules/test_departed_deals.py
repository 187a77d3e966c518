"""Tests of naming the closed deals that left the pipeline tab."""

from __future__ import annotations

import datetime as dt

from rules.departed_deals import (
    departed_closed_deals,
    describe_departed_closed_deals,
)
from rules.history import DealSnapshot, Transition
from rules.stage_history import StageHistory, apply_history
from tests.rules.builders import build_columns, build_deal, build_pipeline

PIPELINE = build_pipeline()
COLUMNS = build_columns(PIPELINE)
AS_OF = dt.date(2026, 12, 2)
DAY_BEFORE = AS_OF - dt.timedelta(days=1)
LOCATION = "Workbook 'team.xlsx', tab 'Deals'"


def history_of(*deals: tuple[str, str]) -> StageHistory:
    """Return the history of one run the day before, with ``deals`` on rows 2 on."""
    return StageHistory(
        previous=[
            DealSnapshot(deal_id, stage, owner=None, amount=None, row=row)
            for row, (deal_id, stage) in enumerate(deals, start=2)
        ],
        transitions=[
            Transition(deal_id, None, stage, DAY_BEFORE) for deal_id, stage in deals
        ],
        log_started_on=DAY_BEFORE,
        run_days=(DAY_BEFORE,),
    )


def test_closed_deals_that_left_are_named() -> None:
    history = history_of(
        ("D-1", "Closed Won"), ("D-2", "Closed Lost"), ("D-3", "Lead"), ("D-4", "Lead")
    )
    deals = [build_deal(PIPELINE, 2, "D-1", "Closed Won")]

    logged = apply_history(history, deals, COLUMNS, PIPELINE, AS_OF)
    departed = departed_closed_deals(logged, PIPELINE)

    assert departed == [Transition("D-2", "Closed Lost", None, AS_OF)]
    assert describe_departed_closed_deals(LOCATION, departed) == (
        "Workbook 'team.xlsx', tab 'Deals': 1 closed deal left the tab since the "
        "last run: D-2 (Closed Lost). The Funnel's win rates, won and lost counts "
        "and values, average cycle and sales velocity count only the closed deals "
        "on this tab, so they no longer count it. To keep closed deals counted, "
        "leave their rows on the tab and hide, filter or group them instead of "
        "moving them to another tab."
    )


def test_retyped_closed_deal_has_not_left() -> None:
    history = history_of(("A-2", "Closed Won"))
    deals = [build_deal(PIPELINE, 2, "a-2", "Closed Won")]

    logged = apply_history(history, deals, COLUMNS, PIPELINE, AS_OF)

    assert departed_closed_deals(logged, PIPELINE) == []


def test_unchanged_tab_has_no_departures() -> None:
    history = history_of(("D-1", "Closed Won"))
    deals = [build_deal(PIPELINE, 2, "D-1", "Closed Won")]

    logged = apply_history(history, deals, COLUMNS, PIPELINE, AS_OF)

    assert departed_closed_deals(logged, PIPELINE) == []
    assert describe_departed_closed_deals(LOCATION, []) is None


def test_many_departures_counted_after_ten() -> None:
    departed = [
        Transition(f"D-{number}", "Closed Won", None, AS_OF) for number in range(12)
    ]

    message = describe_departed_closed_deals(LOCATION, departed)

    assert message is not None
    assert "12 closed deals left the tab" in message
    assert "D-9 (Closed Won) and 2 more." in message
    assert "no longer count them." in message
