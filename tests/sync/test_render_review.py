"""Tests of the frozen monthly review tab."""

from __future__ import annotations

import datetime as dt

import pytest

from config.models import Locale, Outcome, Outputs
from rules.grid import SheetGrid
from rules.review import LostReasonCount, MonthlyReview, ReviewStage, StageWinRate
from sync.planner import is_generated_tab
from sync.render_review import render_review, review_tab_name
from tests.rules.builders import build_pipeline

PIPELINE = build_pipeline()
FROZEN_ON = dt.date(2025, 10, 1)

REVIEW = MonthlyReview(
    first_day=dt.date(2025, 9, 1),
    last_day=dt.date(2025, 9, 30),
    log_started_on=None,
    stages=[
        ReviewStage("Lead", Outcome.OPEN, 3, 3, 0, 2, 0, 0.4),
        ReviewStage("Qualified", Outcome.OPEN, 3, 1, 1, 0, 1, 1 / 3),
        ReviewStage("Proposal", Outcome.OPEN, 2, 0, 0, 0, 0, None),
        ReviewStage("Closed Won", Outcome.WON, 1, None, None, None, None, None),
        ReviewStage("Closed Lost", Outcome.LOST, 2, None, None, None, None, None),
    ],
    new_deals=4,
    won=1,
    lost=2,
    left_sheet=1,
    lost_reasons=[LostReasonCount("No budget", 1)],
    lost_not_on_sheet=1,
    win_rates=[
        StageWinRate("Lead", 0.1, 4, 2, 0.5),
        StageWinRate("Qualified", 0.25, 3, 2, 2 / 3),
        StageWinRate("Proposal", 0.5, 0, 0, None),
    ],
)


def test_review_tab_rows_in_english() -> None:
    tab = render_review(REVIEW, PIPELINE, "Deals", FROZEN_ON)
    assert tab.grid[:21] == [
        [
            (
                "Monthly review of 2025-09, frozen by pipesheet on 2025-10-01 from tab "
                "'Deals'. pipesheet writes this tab once and never changes it."
            )
        ],
        [],
        ["Funnel of 2025-09, from the stage log"],
        [
            "Stage",
            "Outcome",
            "Entered",
            "Moved on",
            "Won",
            "Lost",
            "Left the sheet",
            "Drop-off %",
        ],
        ["Lead", "open", 3, 3, 0, 2, 0, 40.0],
        ["Qualified", "open", 3, 1, 1, 0, 1, 33.33],
        ["Proposal", "open", 2, 0, 0, 0, 0, None],
        ["Closed Won", "won", 1, None, None, None, None, None],
        ["Closed Lost", "lost", 2, None, None, None, None, None],
        [],
        ["Figure", "Value"],
        ["New deals", 4],
        ["Won deals", 1],
        ["Lost deals", 2],
        ["Deals that left the sheet", 1],
        [],
        ["Lost reason", "Deals"],
        ["No budget", 1],
        ["(no longer on the sheet)", 1],
        [],
        [
            "Stage",
            "Probability %",
            "Observed win rate %",
            "Closed deals counted",
            "Won",
        ],
    ]


def test_review_tab_win_rate_rows() -> None:
    tab = render_review(REVIEW, PIPELINE, "Deals", FROZEN_ON)
    assert tab.grid[21:24] == [
        ["Lead", 10.0, 50.0, 4, 2],
        ["Qualified", 25.0, 66.67, 3, 2],
        ["Proposal", 50.0, None, 0, 0],
    ]


def test_review_tab_ends_with_how_counted() -> None:
    tab = render_review(REVIEW, PIPELINE, "Deals", FROZEN_ON)
    assert tab.grid[25] == ["How it is counted"]
    assert tab.grid[-1] == ["Every count is of distinct deals."]


def test_review_tab_is_generated_tab() -> None:
    tab = render_review(REVIEW, PIPELINE, "Deals", FROZEN_ON)
    assert is_generated_tab(SheetGrid("book.xlsx", tab.name, tab.grid))


def test_review_tab_notes_late_log_start() -> None:
    review = MonthlyReview(
        **{**REVIEW.__dict__, "log_started_on": dt.date(2025, 9, 20)}
    )
    tab = render_review(review, PIPELINE, "Deals", FROZEN_ON)
    assert tab.grid[2] == [
        "The stage log began on 2025-09-20; moves before that day are not counted."
    ]


def test_review_tab_without_lost_deals() -> None:
    review = MonthlyReview(
        **{**REVIEW.__dict__, "lost": 0, "lost_reasons": [], "lost_not_on_sheet": 0}
    )
    tab = render_review(review, PIPELINE, "Deals", FROZEN_ON)
    assert tab.grid[16:18] == [
        ["Lost reason", "Deals"],
        ["No deal was lost in 2025-09."],
    ]


@pytest.mark.parametrize(
    ("locale", "expected"),
    [(Locale.EN, "Review 2025-09"), (Locale.ZH_CN, "月度复盘 2025-09")],
    ids=["english", "chinese"],
)
def test_review_tab_name_per_locale(locale: Locale, expected: str) -> None:
    assert review_tab_name(locale, dt.date(2025, 9, 1)) == expected


def test_review_tab_in_chinese() -> None:
    pipeline = build_pipeline(outputs=Outputs(locale=Locale.ZH_CN))
    tab = render_review(REVIEW, pipeline, "商机", FROZEN_ON)
    assert tab.name == "月度复盘 2025-09"
    assert tab.grid[0] == [
        (
            "2025-09 月度复盘，由 pipesheet 于 2025-10-01 根据「商机」生成并冻结。"
            "pipesheet 只写入一次，之后不再修改。"
        )
    ]
    assert tab.grid[4] == ["Lead", "进行中", 3, 3, 0, 2, 0, 40.0]
