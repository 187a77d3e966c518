"""Tests of the monthly review built from the stage log."""

from __future__ import annotations

import datetime as dt

import pytest

from config.models import Outcome, Stage
from rules.history import Transition
from rules.review import (
    LostReasonCount,
    MonthlyReview,
    ReviewStage,
    StageWinRate,
    build_monthly_review,
    last_day_of_month,
    month_before,
    review_log_rows,
)
from rules.stage_log import StageLogRow
from tests.rules.builders import build_deal, build_pipeline

PIPELINE = build_pipeline()
SEPTEMBER = dt.date(2025, 9, 1)
LOG_STARTED_ON = dt.date(2025, 8, 25)
LEAD, QUALIFIED, PROPOSAL = "Lead", "Qualified", "Proposal"
WON, LOST = "Closed Won", "Closed Lost"


def day(month: int, day_of_month: int) -> dt.date:
    return dt.date(2025, month, day_of_month)


def moves(
    deal_id: str, *steps: tuple[str | None, str | None, dt.date]
) -> list[Transition]:
    return [Transition(deal_id, source, target, seen) for source, target, seen in steps]


# One deal per line; the log's first run was on 08-25.
SEPTEMBER_LOG = [
    # Forward one stage at a time, won on 09-20.
    *moves(
        "D-1",
        (None, LEAD, day(8, 25)),
        (LEAD, QUALIFIED, day(9, 3)),
        (QUALIFIED, PROPOSAL, day(9, 10)),
        (PROPOSAL, WON, day(9, 20)),
    ),
    # Lost from Lead.
    *moves("D-2", (None, LEAD, day(8, 25)), (LEAD, LOST, day(9, 10))),
    # New in September, into Qualified twice with a move back between.
    *moves(
        "D-3",
        (None, LEAD, day(9, 5)),
        (LEAD, QUALIFIED, day(9, 12)),
        (QUALIFIED, LEAD, day(9, 15)),
        (LEAD, QUALIFIED, day(9, 18)),
    ),
    # Its row was deleted on 09-08.
    *moves("D-4", (None, QUALIFIED, day(8, 25)), (QUALIFIED, None, day(9, 8))),
    # New in Proposal, lost.
    *moves("D-5", (None, PROPOSAL, day(9, 2)), (PROPOSAL, LOST, day(9, 25))),
    # Lost in August.
    *moves("D-6", (None, QUALIFIED, day(8, 25)), (QUALIFIED, LOST, day(8, 30))),
    # New on 09-28; its October move is after the month.
    *moves("D-7", (None, LEAD, day(9, 28)), (LEAD, QUALIFIED, day(10, 2))),
    # Lost on 09-29; its row was deleted in October.
    *moves(
        "D-8",
        (None, PROPOSAL, day(8, 25)),
        (PROPOSAL, LOST, day(9, 29)),
        (LOST, None, day(10, 3)),
    ),
    # New, won from Qualified on the month's last day.
    *moves(
        "D-9",
        (None, LEAD, day(9, 12)),
        (LEAD, QUALIFIED, day(9, 14)),
        (QUALIFIED, WON, day(9, 30)),
    ),
    # Lost from Lead without a reason.
    *moves("D-10", (None, LEAD, day(8, 25)), (LEAD, LOST, day(9, 5))),
]

# The sheet when the review is written: D-4 and D-8 are gone.
DEALS_NOW = [
    build_deal(PIPELINE, 4, "D-1", WON),
    build_deal(PIPELINE, 5, "D-2", LOST, lost_reason="No budget"),
    build_deal(PIPELINE, 6, "D-3", QUALIFIED),
    build_deal(PIPELINE, 7, "D-5", LOST, lost_reason="  no BUDGET "),
    build_deal(PIPELINE, 8, "D-6", LOST, lost_reason="Price"),
    build_deal(PIPELINE, 9, "D-7", QUALIFIED),
    build_deal(PIPELINE, 10, "D-9", WON),
    build_deal(PIPELINE, 11, "D-10", LOST),
]


@pytest.fixture
def september() -> MonthlyReview:
    return build_monthly_review(
        SEPTEMBER_LOG, DEALS_NOW, PIPELINE, SEPTEMBER, log_started_on=LOG_STARTED_ON
    )


def test_review_funnel_counts_each_stage(september: MonthlyReview) -> None:
    assert september.stages == [
        ReviewStage(LEAD, Outcome.OPEN, 3, 3, 0, 2, 0, 0.4),
        ReviewStage(QUALIFIED, Outcome.OPEN, 3, 1, 1, 0, 1, 1 / 3),
        ReviewStage(PROPOSAL, Outcome.OPEN, 2, 0, 1, 2, 0, 2 / 3),
        ReviewStage(WON, Outcome.WON, 2, None, None, None, None, None),
        ReviewStage(LOST, Outcome.LOST, 4, None, None, None, None, None),
    ]


def test_review_counts_month_totals(september: MonthlyReview) -> None:
    totals = (
        september.new_deals,
        september.won,
        september.lost,
        september.left_sheet,
    )
    assert totals == (4, 2, 4, 1)


def test_review_groups_lost_reasons(september: MonthlyReview) -> None:
    assert september.lost_reasons == [
        LostReasonCount("No budget", 2),
        LostReasonCount("", 1),
    ]


def test_review_counts_lost_deals_off_sheet(september: MonthlyReview) -> None:
    assert september.lost_not_on_sheet == 1


def test_review_win_rates_beside_probability(september: MonthlyReview) -> None:
    assert september.win_rates == [
        StageWinRate(LEAD, 0.1, closed=4, won=2, observed=0.5),
        StageWinRate(QUALIFIED, 0.25, closed=3, won=2, observed=2 / 3),
        StageWinRate(PROPOSAL, 0.5, closed=3, won=1, observed=1 / 3),
    ]


def test_review_spans_whole_month(september: MonthlyReview) -> None:
    span = (september.first_day, september.last_day)
    assert span == (SEPTEMBER, day(9, 30))


def test_review_log_began_before_month(september: MonthlyReview) -> None:
    assert september.log_started_on is None


def test_review_skips_first_run_sightings() -> None:
    log = [
        *moves("D-1", (None, LEAD, day(9, 20)), (LEAD, QUALIFIED, day(9, 22))),
        *moves("D-2", (None, PROPOSAL, day(9, 20))),
    ]
    review = build_monthly_review(
        log, [], PIPELINE, SEPTEMBER, log_started_on=day(9, 20)
    )
    entered = {stage.name: stage.entered for stage in review.stages}
    assert entered == {LEAD: 0, QUALIFIED: 1, PROPOSAL: 0, WON: 0, LOST: 0}
    assert review.new_deals == 0
    assert review.log_started_on == day(9, 20)


# The log began on 09-20 and found D-1, D-2, D-4 and D-5 already closed.
LATE_LOG = [
    *moves("D-1", (None, WON, day(9, 20))),
    *moves("D-2", (None, LOST, day(9, 20))),
    *moves("D-3", (None, PROPOSAL, day(9, 20)), (PROPOSAL, WON, day(9, 25))),
    *moves("D-4", (None, WON, day(9, 20))),
    *moves("D-5", (None, LOST, day(9, 20))),
]
LATE_DEALS = [
    build_deal(PIPELINE, 4, "D-1", WON, close_date=day(9, 5)),
    build_deal(
        PIPELINE,
        5,
        "D-2",
        LOST,
        close_date=dt.datetime(2025, 9, 12, 9, 30),
        lost_reason="Price",
    ),
    build_deal(PIPELINE, 6, "D-3", WON, close_date=day(9, 25)),
    build_deal(PIPELINE, 7, "D-4", WON, close_date=day(8, 30)),
    build_deal(PIPELINE, 8, "D-5", LOST),
]


def test_review_counts_unlogged_closes_by_date() -> None:
    review = build_monthly_review(
        LATE_LOG, LATE_DEALS, PIPELINE, SEPTEMBER, log_started_on=day(9, 20)
    )

    assert review.won == 1
    assert review.won_by_close_date == 1
    assert review.lost == 0
    assert review.lost_by_close_date == 1
    assert review.lost_reasons == [LostReasonCount("Price", 1)]


def test_review_of_logged_month_has_no_close_counts(
    september: MonthlyReview,
) -> None:
    assert september.won_by_close_date is None
    assert september.lost_by_close_date is None


def test_review_empty_month_has_no_rates() -> None:
    review = build_monthly_review(
        [], [], PIPELINE, SEPTEMBER, log_started_on=LOG_STARTED_ON
    )
    assert [rate.observed for rate in review.win_rates] == [None, None, None]
    assert [stage.drop_off for stage in review.stages] == [None] * 5
    assert review.lost_reasons == []


def test_review_upsell_is_not_second_win() -> None:
    stages = [
        Stage(name="Lead"),
        Stage(name="Signed", outcome=Outcome.WON),
        Stage(name="Upsell", outcome=Outcome.WON),
        Stage(name="Lost", outcome=Outcome.LOST),
    ]
    pipeline = build_pipeline(stages=stages, fields=["id", "stage"])
    log = moves(
        "D-1",
        (None, "Lead", day(8, 25)),
        ("Lead", "Signed", day(9, 3)),
        ("Signed", "Upsell", day(9, 10)),
    )
    review = build_monthly_review(
        log, [], pipeline, SEPTEMBER, log_started_on=LOG_STARTED_ON
    )
    assert review.won == 1
    assert [stage.entered for stage in review.stages] == [0, 1, 1, 0]


def test_review_deal_back_in_same_stage() -> None:
    log = moves(
        "D-1",
        (None, PROPOSAL, day(8, 25)),
        (PROPOSAL, None, day(9, 5)),
        (None, PROPOSAL, day(9, 6)),
    )
    review = build_monthly_review(
        log, [], PIPELINE, SEPTEMBER, log_started_on=LOG_STARTED_ON
    )
    proposal = review.stages[2]
    assert proposal.entered == 0
    assert proposal.left_sheet == 0
    assert review.new_deals == 0
    assert review.left_sheet == 0


# D-1 was won on 09-30 by its Stage Entered date; the 10-01 run recorded it.
DATED_WIN = [
    StageLogRow("D-1", PROPOSAL, day(8, 25), day(9, 30), 36, False),
    StageLogRow("D-1", WON, day(9, 30), None, 1, True, False, day(10, 1)),
]


def test_review_counts_move_in_dated_month() -> None:
    review = review_log_rows(
        DATED_WIN, [], PIPELINE, SEPTEMBER, log_started_on=LOG_STARTED_ON
    )

    assert review.won == 1
    assert review.stages[2].won == 1


def test_review_leaves_dated_move_out_of_next_month() -> None:
    review = review_log_rows(
        DATED_WIN, [], PIPELINE, day(10, 1), log_started_on=LOG_STARTED_ON
    )

    assert review.won == 0
    assert review.stages[3].entered == 0


def test_review_stay_ending_later_goes_on() -> None:
    rows = [StageLogRow("D-1", PROPOSAL, day(9, 2), day(10, 2), 30, True, True)]

    review = review_log_rows(
        rows, [], PIPELINE, SEPTEMBER, log_started_on=LOG_STARTED_ON
    )

    assert review.stages[2].entered == 1
    assert review.left_sheet == 0


def test_review_first_run_dated_stay_not_entered() -> None:
    rows = [StageLogRow("D-1", PROPOSAL, day(9, 3), None, 27, True, False, day(9, 5))]

    review = review_log_rows(rows, [], PIPELINE, SEPTEMBER, log_started_on=day(9, 5))

    assert review.stages[2].entered == 0
    assert review.new_deals == 0


@pytest.mark.parametrize(
    ("run_days", "expected"),
    [
        ((day(8, 20), day(10, 3)), (day(8, 20), day(10, 3))),
        ((day(8, 20),), (day(8, 20), None)),
        ((day(8, 20), day(9, 30), day(10, 3)), (None, None)),
        ((), (None, None)),
    ],
    ids=["gap", "no-run-after", "run-in-month", "no-runs-given"],
)
def test_review_names_runs_around_gap(
    run_days: tuple[dt.date, ...], expected: tuple[dt.date | None, ...]
) -> None:
    review = review_log_rows(
        [], [], PIPELINE, SEPTEMBER, log_started_on=day(8, 20), run_days=run_days
    )

    assert (review.run_before, review.run_after) == expected


def test_review_ignores_unknown_stages() -> None:
    log = moves(
        "D-1",
        (None, LEAD, day(8, 25)),
        (LEAD, "Negotiaton", day(9, 3)),
        ("Negotiaton", PROPOSAL, day(9, 5)),
    )
    review = build_monthly_review(
        log, [], PIPELINE, SEPTEMBER, log_started_on=LOG_STARTED_ON
    )
    lead = review.stages[0]
    assert (lead.moved_on, lead.won, lead.lost, lead.left_sheet) == (0, 0, 0, 0)
    assert review.stages[2].entered == 1


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2025, 10, 1), dt.date(2025, 9, 1)),
        (dt.date(2025, 1, 31), dt.date(2024, 12, 1)),
        (dt.date(2024, 3, 15), dt.date(2024, 2, 1)),
    ],
    ids=["october", "january", "march"],
)
def test_month_before_gives_first_day(today: dt.date, expected: dt.date) -> None:
    assert month_before(today) == expected


@pytest.mark.parametrize(
    ("first_day", "expected"),
    [
        (dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        (dt.date(2025, 2, 1), dt.date(2025, 2, 28)),
        (dt.date(2025, 12, 1), dt.date(2025, 12, 31)),
        (dt.date(2025, 4, 1), dt.date(2025, 4, 30)),
    ],
    ids=["leap-february", "february", "december", "april"],
)
def test_last_day_of_month(first_day: dt.date, expected: dt.date) -> None:
    assert last_day_of_month(first_day) == expected
