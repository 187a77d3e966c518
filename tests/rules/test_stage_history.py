"""Tests of applying the stage history to today's deals."""

from __future__ import annotations

import datetime as dt

import pytest

from rules.findings import Code
from rules.history import DealSnapshot, Transition
from rules.stage_history import (
    TRANSITION_NOTICE_DAYS,
    StageHistory,
    apply_history,
    lost_at_stages,
)
from tests.rules.builders import build_columns, build_deal, build_pipeline

PIPELINE = build_pipeline()
COLUMNS = build_columns(PIPELINE)
AS_OF = dt.date(2025, 9, 30)


@pytest.mark.parametrize(
    ("days_ago", "expected"),
    [
        (0, [Code.MOVED_BACK]),
        (TRANSITION_NOTICE_DAYS - 1, [Code.MOVED_BACK]),
        (TRANSITION_NOTICE_DAYS, []),
    ],
    ids=["same-day", "last-notice-day", "notice-over"],
)
def test_move_back_shown_for_notice_days(days_ago: int, expected: list[Code]) -> None:
    moved_on = AS_OF - dt.timedelta(days=days_ago)
    first_seen = moved_on - dt.timedelta(days=3)
    deal = build_deal(PIPELINE, 4, "D-1", "Lead")
    history = StageHistory(
        previous=[DealSnapshot("D-1", "Lead", owner=None, amount=None, row=4)],
        transitions=[
            Transition("D-1", None, "Proposal", first_seen),
            Transition("D-1", "Proposal", "Lead", moved_on),
        ],
        log_started_on=first_seen,
    )

    outcome = apply_history(history, [deal], COLUMNS, PIPELINE, AS_OF)

    assert [finding.code for finding in outcome.findings] == expected


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (dt.date(2028, 2, 9), [Code.MOVED_BACK]),
        (dt.date(2028, 2, 10), []),
    ],
    ids=["same-weekday-next-week", "day-after"],
)
def test_move_back_shown_to_same_weekday(as_of: dt.date, expected: list[Code]) -> None:
    # Found on Wednesday 2028-02-02, so a reader who looks on Wednesdays finds it.
    moved_on = dt.date(2028, 2, 2)
    deal = build_deal(PIPELINE, 4, "D-1", "Lead")
    history = StageHistory(
        previous=[DealSnapshot("D-1", "Lead", owner=None, amount=None, row=4)],
        transitions=[
            Transition("D-1", None, "Proposal", dt.date(2028, 2, 1)),
            Transition("D-1", "Proposal", "Lead", moved_on),
        ],
        log_started_on=dt.date(2028, 2, 1),
    )

    outcome = apply_history(history, [deal], COLUMNS, PIPELINE, as_of)

    assert [finding.code for finding in outcome.findings] == expected


def test_log_starts_on_stage_entered_date() -> None:
    deal = build_deal(
        PIPELINE, 4, "D-1", "Proposal", stage_entered_date=dt.date(2025, 7, 17)
    )

    outcome = apply_history(StageHistory(), [deal], COLUMNS, PIPELINE, AS_OF)

    assert outcome.log_rows[0].entered == dt.date(2025, 7, 17)
    assert outcome.log_rows[0].days == 75
    assert outcome.log_rows[0].first_seen == AS_OF
    assert outcome.entered_column == "Stage Entered"


def test_log_without_stage_entered_column() -> None:
    columns = build_columns(PIPELINE, missing=("stage_entered_date",))
    deal = build_deal(PIPELINE, 4, "D-1", "Proposal")

    outcome = apply_history(StageHistory(), [deal], columns, PIPELINE, AS_OF)

    assert outcome.log_rows[0].entered == AS_OF
    assert outcome.log_rows[0].first_seen is None
    assert outcome.entered_column is None


def test_equal_snapshot_reuses_stored_one() -> None:
    stored = [DealSnapshot("D-1", "Lead", owner=None, amount=None, row=4)]
    history = StageHistory(previous=stored, log_started_on=AS_OF)
    deal = build_deal(PIPELINE, 4, "D-1", "Lead")

    outcome = apply_history(history, [deal], COLUMNS, PIPELINE, AS_OF)

    assert outcome.snapshots is stored


def test_changed_snapshot_kept() -> None:
    stored = [DealSnapshot("D-1", "Lead", owner=None, amount=None, row=4)]
    history = StageHistory(previous=stored, log_started_on=AS_OF)
    deal = build_deal(PIPELINE, 5, "D-1", "Lead")

    outcome = apply_history(history, [deal], COLUMNS, PIPELINE, AS_OF)

    assert outcome.snapshots == [
        DealSnapshot("D-1", "Lead", owner=None, amount=None, row=5)
    ]


def test_copied_deal_keeps_history() -> None:
    lead = [build_deal(PIPELINE, 4, "D-5", "Lead")]
    copied = [build_deal(PIPELINE, row, "D-5", "Lead") for row in (4, 5)]
    proposal = [build_deal(PIPELINE, 4, "D-5", "Proposal")]
    history = StageHistory()
    transitions: list[Transition] = []

    for day, deals in enumerate([lead, copied, proposal]):
        seen_on = AS_OF + dt.timedelta(days=day)
        outcome = apply_history(history, deals, COLUMNS, PIPELINE, seen_on)
        transitions += outcome.new_transitions
        history = StageHistory(outcome.snapshots, transitions, AS_OF)

    assert [(t.from_stage, t.to_stage) for t in transitions] == [
        (None, "Lead"),
        ("Lead", "Proposal"),
    ]


def test_lost_at_stage_from_last_loss() -> None:
    day = dt.date(2025, 9, 1)
    moves = [
        Transition("D-1", None, "Lead", day),
        Transition("D-1", "Lead", "Proposal", day),
        Transition("D-1", "Proposal", "Lost", day),
        Transition("D-2", None, "Lost", day),
        Transition("D-3", "Demo", "Lost", day),
        Transition("D-3", "Lost", "Demo", day),
        Transition("D-3", "Demo", "Lost", day),
    ]

    assert lost_at_stages(moves, {"Lost"}) == {"D-1": "Proposal", "D-3": "Demo"}
