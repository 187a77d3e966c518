"""Tests of the frozen monthly review tab."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from config.models import Locale, Outcome, Outputs
from rules.grid import CellValue, SheetGrid
from rules.review import LostReasonCount, MonthlyReview, ReviewStage, StageWinRate
from sync.cell_text import display_width, explanation_lines
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


LATE_REVIEW = MonthlyReview(
    **{
        **REVIEW.__dict__,
        "log_started_on": dt.date(2025, 9, 20),
        "lost": 0,
        "lost_reasons": [LostReasonCount("Price", 2)],
        "lost_not_on_sheet": 0,
        "won_by_close_date": 5,
        "lost_by_close_date": 2,
    }
)


def test_late_review_states_its_scope() -> None:
    tab = render_review(LATE_REVIEW, PIPELINE, "Deals", FROZEN_ON, "Close Date")

    assert tab.grid[4] == [
        "Funnel of 2025-09 since 2025-09-20, the first recorded run, from the stage log"
    ]
    assert tab.grid[12:19] == [
        ["Figure", "Value"],
        ["New deals since 2025-09-20, the first recorded run", 4],
        ["Won deals since 2025-09-20, the first recorded run", 1],
        ["Lost deals since 2025-09-20, the first recorded run", 0],
        ["Deals that left the sheet since 2025-09-20, the first recorded run", 1],
        ["Won deals with 'Close Date' in 2025-09 and no recorded move", 5],
        ["Lost deals with 'Close Date' in 2025-09 and no recorded move", 2],
    ]
    assert tab.grid[20:22] == [["Lost reason", "Deals"], ["Price", 2]]


def test_late_review_explains_close_date_counts() -> None:
    tab = render_review(LATE_REVIEW, PIPELINE, "Deals", FROZEN_ON, "Close Date")

    note = (
        "Won (Lost) deals with 'Close Date' in 2025-09 and no recorded move: "
        "deals in a won (lost) stage at the month's end, by the stage log, "
        "whose 'Close Date' on the sheet is in the month and whose move into "
        "that stage the log does not show, because it came before the log "
        "began. The Lost reason table counts them too."
    )
    rows = lines_of(note)
    assert tab.grid[-1 - len(rows) : -1] == rows


def lines_of(sentence: str) -> list[list[CellValue]]:
    """Return the rows a long sentence takes, one line of at most 100 columns each."""
    lines = explanation_lines(sentence)
    assert len(lines) > 1
    assert all(display_width(line) <= 100 for line in lines)
    return [[line] for line in lines]


NONE_RECORDED_LOST = (
    "No deal was recorded as lost since 2025-09-20, the first recorded run."
)


@pytest.mark.parametrize(
    ("close_column", "expected"),
    [
        (
            "Close Date",
            [
                [NONE_RECORDED_LOST],
                ["No deal in a lost stage has 'Close Date' in 2025-09."],
            ],
        ),
        (
            None,
            [
                [NONE_RECORDED_LOST],
                [],
            ],
        ),
    ],
    ids=["with-close-column", "without-close-column"],
)
def test_late_review_without_lost_deals(
    close_column: str | None, expected: list[list[str]]
) -> None:
    review = MonthlyReview(
        **{**LATE_REVIEW.__dict__, "lost_reasons": [], "lost_by_close_date": 0}
    )

    tab = render_review(review, PIPELINE, "Deals", FROZEN_ON, close_column)

    lost_header = tab.grid.index(["Lost reason", "Deals"])
    assert tab.grid[lost_header + 1 : lost_header + 3] == expected
    assert ["No deal was lost in 2025-09."] not in tab.grid


def test_late_review_in_chinese() -> None:
    pipeline = build_pipeline(outputs=Outputs(locale=Locale.ZH_CN))

    tab = render_review(LATE_REVIEW, pipeline, "商机", FROZEN_ON, "预计成交日期")

    assert tab.grid[14] == ["赢单数（自 2025-09-20 首次记录的运行起）", 1]
    assert tab.grid[17] == ["“预计成交日期”在 2025-09 且无阶段变化记录的赢单数", 5]


@pytest.mark.parametrize(
    ("locale", "expected"),
    [(Locale.EN, "Review 2025-09"), (Locale.ZH_CN, "月度复盘 2025-09")],
    ids=["english", "chinese"],
)
def test_review_tab_name_per_locale(locale: Locale, expected: str) -> None:
    assert review_tab_name(locale, dt.date(2025, 9, 1)) == expected


def test_review_tab_name_from_definition() -> None:
    name = review_tab_name(Locale.ZH_CN, dt.date(2025, 9, 1), "East {month} review")
    assert name == "East 2025-09 review"


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


NO_RUNS = replace(
    REVIEW,
    lost=0,
    lost_reasons=[],
    lost_not_on_sheet=0,
    run_before=dt.date(2025, 8, 20),
    run_after=dt.date(2025, 10, 1),
)


def test_month_without_runs_noted() -> None:
    tab = render_review(NO_RUNS, PIPELINE, "Deals", FROZEN_ON, None, "Stage Entered")

    dated = (
        "Moves and new deals in 2025-09 are counted here only where the "
        "row's 'Stage Entered' dates them in the month. Other moves and new "
        "deals, and deals that left the sheet in 2025-09, are counted in "
        "the month of the run that recorded them."
    )
    assert tab.grid[2:7] == [
        [
            (
                "No recorded run fell in 2025-09: the last run before it was on "
                "2025-08-20, the next on 2025-10-01."
            )
        ],
        *lines_of(dated),
        [],
    ]
    assert ["No move into a lost stage is dated in 2025-09."] in tab.grid


def test_month_without_runs_or_dates() -> None:
    tab = render_review(NO_RUNS, PIPELINE, "Deals", FROZEN_ON)

    undated = (
        "Moves, new deals and deals that left the sheet in 2025-09 are counted "
        "in the month of the run that recorded them, so this review shows none "
        "of them."
    )
    assert tab.grid[3:5] == lines_of(undated)


def test_month_without_runs_in_chinese() -> None:
    pipeline = build_pipeline(outputs=Outputs(locale=Locale.ZH_CN))

    tab = render_review(NO_RUNS, pipeline, "商机", FROZEN_ON, None, "进入阶段日期")

    assert tab.grid[2] == [
        (
            "2025-09 没有记录的运行：此前最后一次运行在 2025-08-20，"
            "之后第一次在 2025-10-01。"
        )
    ]
