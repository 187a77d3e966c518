from __future__ import annotations

import datetime as dt

import pytest

from config.models import Locale, Outcome, Pipeline
from rules.checks import check_deals
from rules.findings import Code, Severity
from rules.history import StayEnd, Transition
from rules.messages import render_message
from rules.stage_log import (
    LogFunnelStage,
    StageLogRow,
    StageStay,
    TimeInStage,
    cumulative_days_of_rows,
    idle_findings_from_log,
    idle_stays,
    log_funnel,
    stage_log_rows,
    stage_stays,
    start_stays_on_sheet_dates,
    time_in_stage,
)
from tests.rules.builders import build_columns, build_deal, build_pipeline
from tests.rules.stage_week import (
    LEAD,
    LOG_STARTED_ON,
    LOST,
    PROPOSAL,
    QUALIFIED,
    SUNDAY,
    WON,
    deals_on,
    run_week,
)

PIPELINE = build_pipeline()
# The stage log's idle check is for sheets without a stage-entered date column.
COLUMNS = build_columns(PIPELINE, missing=("stage_entered_date",))


def day(number: int) -> dt.date:
    """Return 2025-09-``number``: the test week is 2025-09-01 to 2025-09-07."""
    return dt.date(2025, 9, number)


def stay(
    stage: str,
    entered: int,
    exited: int | None,
    days: int,
    known: bool = True,
    disappeared: bool = False,
) -> StageStay:
    """Return a stay between two days of September 2025."""
    exited_on = day(exited) if exited is not None else None
    return StageStay(stage, day(entered), exited_on, days, known, disappeared)


def moves_of(deal_id: str) -> list[Transition]:
    return [move for move in run_week() if move.deal_id == deal_id]


def current_stays(
    moves: list[Transition], as_of: dt.date, log_started_on: dt.date = LOG_STARTED_ON
) -> dict[str, StageLogRow]:
    """Return the current stays of the log as of ``as_of``, by deal ID."""
    rows = stage_log_rows(moves, as_of, log_started_on=log_started_on)
    return {row.deal_id: row for row in rows if row.exited is None}


# stage_stays


WEEK_STAYS = {
    "D-01": [
        stay(LEAD, 1, 3, 2, known=False),
        stay(QUALIFIED, 3, 5, 2),
        stay(PROPOSAL, 5, None, 2),
    ],
    "D-02": [
        stay(LEAD, 1, 2, 1, known=False),
        stay(PROPOSAL, 2, 4, 2),
        stay(LEAD, 4, 6, 2),
        stay(PROPOSAL, 6, None, 1),
    ],
    "D-03": [stay(QUALIFIED, 1, 3, 2, known=False), stay(WON, 3, None, 4)],
    "D-04": [stay(LEAD, 3, None, 4)],
    "D-05": [stay(PROPOSAL, 1, 4, 3, known=False, disappeared=True)],
    "D-06": [stay(LEAD, 1, 5, 4, known=False), stay(LOST, 5, None, 2)],
    "D-07": [stay(WON, 1, 2, 1, known=False), stay(PROPOSAL, 2, None, 5)],
}


@pytest.mark.parametrize("deal_id", list(WEEK_STAYS), ids=list(WEEK_STAYS))
def test_week_stays_per_deal(deal_id: str) -> None:
    stays = stage_stays(moves_of(deal_id), SUNDAY, log_started_on=LOG_STARTED_ON)

    assert stays == WEEK_STAYS[deal_id]


def test_stays_replayed_to_earlier_day() -> None:
    stays = stage_stays(moves_of("D-02"), day(3), log_started_on=LOG_STARTED_ON)

    assert stays == [stay(LEAD, 1, 2, 1, known=False), stay(PROPOSAL, 2, None, 1)]


def test_stays_before_first_move_are_empty() -> None:
    moves = [Transition("D-1", None, LEAD, day(3))]

    stays = stage_stays(moves, day(2), log_started_on=LOG_STARTED_ON)

    assert stays == []


def test_stays_ignore_transition_order() -> None:
    moves = list(reversed(moves_of("D-01")))

    stays = stage_stays(moves, SUNDAY, log_started_on=LOG_STARTED_ON)

    assert stays == WEEK_STAYS["D-01"]


def test_refilled_blank_stage_continues_stay() -> None:
    moves = [
        Transition("D-1", None, LEAD, day(1)),
        Transition("D-1", None, LEAD, day(3)),
    ]

    stays = stage_stays(moves, day(5), log_started_on=LOG_STARTED_ON)

    assert stays == [stay(LEAD, 1, None, 4, known=False)]


def test_deal_back_in_same_stage_continues_stay() -> None:
    moves = [
        Transition("D-1", None, LEAD, day(1)),
        Transition("D-1", LEAD, None, day(2)),
        Transition("D-1", None, LEAD, day(4)),
    ]

    stays = stage_stays(moves, day(5), log_started_on=LOG_STARTED_ON)

    assert stays == [stay(LEAD, 1, None, 4, known=False)]


def test_deal_back_in_same_stage_after_move() -> None:
    moves = [
        Transition("D-1", None, LEAD, day(1)),
        Transition("D-1", LEAD, QUALIFIED, day(2)),
        Transition("D-1", QUALIFIED, None, day(3)),
        Transition("D-1", None, QUALIFIED, day(5)),
        Transition("D-1", QUALIFIED, None, day(6)),
    ]

    stays = stage_stays(moves, day(7), log_started_on=LOG_STARTED_ON)

    assert stays == [
        stay(LEAD, 1, 2, 1, known=False),
        stay(QUALIFIED, 2, 6, 4, disappeared=True),
    ]


def test_deal_back_in_other_stage_starts_stay() -> None:
    moves = [
        Transition("D-1", None, LEAD, day(1)),
        Transition("D-1", LEAD, None, day(2)),
        Transition("D-1", None, QUALIFIED, day(4)),
    ]

    stays = stage_stays(moves, day(5), log_started_on=LOG_STARTED_ON)

    assert stays == [
        stay(LEAD, 1, 2, 1, known=False, disappeared=True),
        stay(QUALIFIED, 4, None, 1),
    ]


def test_same_day_stay_lasts_zero_days() -> None:
    moves = [
        Transition("D-1", None, LEAD, day(2)),
        Transition("D-1", LEAD, QUALIFIED, day(2)),
    ]

    stays = stage_stays(moves, day(2), log_started_on=LOG_STARTED_ON)

    assert stays == [stay(LEAD, 2, 2, 0), stay(QUALIFIED, 2, None, 0)]


def test_unknown_stage_stay_keeps_cell_text() -> None:
    moves = [
        Transition("D-1", None, "Negotiaton", day(2)),
        Transition("D-1", "Negotiaton", PROPOSAL, day(3)),
    ]

    stays = stage_stays(moves, day(3), log_started_on=LOG_STARTED_ON)

    assert stays[0] == stay("Negotiaton", 2, 3, 1)


# first-run lower bounds


@pytest.mark.parametrize(
    ("log_started_on", "expected"),
    [
        (
            LOG_STARTED_ON,
            {
                "D-01": [False, True, True],
                "D-02": [False, True, True, True],
                "D-03": [False, True],
                "D-04": [True],
                "D-05": [False],
                "D-06": [False, True],
                "D-07": [False, True],
            },
        ),
        (
            dt.date(2025, 8, 25),
            {
                "D-01": [True, True, True],
                "D-02": [True, True, True, True],
                "D-03": [True, True],
                "D-04": [True],
                "D-05": [True],
                "D-06": [True, True],
                "D-07": [True, True],
            },
        ),
    ],
    ids=["week-is-first-run", "log-started-earlier"],
)
def test_first_run_stays_are_lower_bounds(
    log_started_on: dt.date, expected: dict[str, list[bool]]
) -> None:
    rows = stage_log_rows(run_week(), SUNDAY, log_started_on=log_started_on)

    known: dict[str, list[bool]] = {}
    for row in rows:
        known.setdefault(row.deal_id, []).append(row.entered_known)
    assert known == expected


# time_in_stage


WEEK_TIMES = {
    "D-01": (PROPOSAL, day(5), 2, {LEAD: 2, QUALIFIED: 2, PROPOSAL: 2}),
    "D-02": (PROPOSAL, day(6), 1, {LEAD: 3, PROPOSAL: 3}),
    "D-03": (WON, day(3), 4, {QUALIFIED: 2, WON: 4}),
    "D-04": (LEAD, day(3), 4, {LEAD: 4}),
    "D-05": (None, None, 3, {PROPOSAL: 3}),
    "D-06": (LOST, day(5), 2, {LEAD: 4, LOST: 2}),
    "D-07": (PROPOSAL, day(2), 5, {WON: 1, PROPOSAL: 5}),
}


def week_times() -> dict[str, TimeInStage]:
    return time_in_stage(run_week(), SUNDAY, log_started_on=LOG_STARTED_ON)


def test_time_in_stage_covers_every_deal() -> None:
    assert list(week_times()) == list(WEEK_TIMES)


@pytest.mark.parametrize("deal_id", list(WEEK_TIMES), ids=list(WEEK_TIMES))
def test_week_time_in_stage(deal_id: str) -> None:
    current_stage, entered, latest_days, cumulative = WEEK_TIMES[deal_id]

    time = week_times()[deal_id]

    assert time.current_stage == current_stage
    assert time.entered == entered
    assert time.latest_stay_days == latest_days
    assert time.cumulative_days == cumulative


def test_cumulative_order_is_first_entry() -> None:
    time = week_times()["D-01"]

    assert list(time.cumulative_days) == [LEAD, QUALIFIED, PROPOSAL]


def test_cumulative_known_per_stage() -> None:
    time = week_times()["D-02"]

    assert time.cumulative_known == {LEAD: False, PROPOSAL: True}


def test_disappeared_deal_keeps_last_stay() -> None:
    time = week_times()["D-05"]

    assert time.latest == stay(PROPOSAL, 1, 4, 3, known=False, disappeared=True)


def test_time_in_stage_replayed_to_wednesday() -> None:
    times = time_in_stage(run_week(), day(3), log_started_on=LOG_STARTED_ON)

    assert times["D-02"].cumulative_days == {LEAD: 1, PROPOSAL: 1}
    assert times["D-02"].latest_stay_days == 1
    assert times["D-04"].latest_stay_days == 0


def test_time_in_stage_skips_deals_not_yet_seen() -> None:
    times = time_in_stage(run_week(), day(2), log_started_on=LOG_STARTED_ON)

    assert "D-04" not in times


# cumulative_days_of_rows


def test_cumulative_days_match_time_in_stage() -> None:
    rows = stage_log_rows(run_week(), SUNDAY, log_started_on=LOG_STARTED_ON)

    totals = cumulative_days_of_rows(rows)

    expected = [WEEK_TIMES[row.deal_id][3][row.stage] for row in rows]
    assert totals == expected


def test_cumulative_days_add_two_stays() -> None:
    rows = stage_log_rows(moves_of("D-02"), SUNDAY, log_started_on=LOG_STARTED_ON)

    # Lead 1 + 2 days, Proposal 2 days + 1 day so far in the current stay.
    assert [row.days for row in rows] == [1, 2, 2, 1]
    assert cumulative_days_of_rows(rows) == [3, 3, 3, 3]


def test_cumulative_days_of_single_stays() -> None:
    moves = [move for move in run_week() if move.seen_on == LOG_STARTED_ON]
    rows = stage_log_rows(moves, SUNDAY, log_started_on=LOG_STARTED_ON)

    assert cumulative_days_of_rows(rows) == [row.days for row in rows]


def test_cumulative_days_of_no_rows() -> None:
    assert cumulative_days_of_rows([]) == []


# idle-in-stage from the log


@pytest.mark.parametrize(
    ("as_of", "expected_days"),
    [(day(17), []), (day(18), ["15"]), (day(20), ["17"])],
    ids=["at-limit", "one-day-over", "three-days-over"],
)
def test_idle_from_log_after_limit(as_of: dt.date, expected_days: list[str]) -> None:
    stays = current_stays(run_week(), as_of)

    findings = idle_findings_from_log(deals_on(SUNDAY), stays, COLUMNS, PIPELINE)

    assert [finding.params["days"] for finding in findings] == expected_days


def test_idle_from_log_finding_fields() -> None:
    stays = current_stays(run_week(), day(18))

    findings = idle_findings_from_log(deals_on(SUNDAY), stays, COLUMNS, PIPELINE)

    idle = findings[0]
    assert idle.code is Code.IDLE_IN_STAGE
    assert idle.severity is Severity.WARNING
    assert idle.row == 9
    assert idle.deal_id == "D-04"
    assert idle.column == "Stage"
    assert idle.value == LEAD
    assert idle.params == {"days": "15", "limit": "14", "stage": LEAD}


def test_idle_from_log_message() -> None:
    stays = current_stays(run_week(), day(18))

    findings = idle_findings_from_log(deals_on(SUNDAY), stays, COLUMNS, PIPELINE)

    assert render_message(findings[0], Locale.EN) == (
        "Deal has been in stage 'Lead' for 15 days, more than its limit of 14 "
        "days; move it forward, close it, or correct Stage."
    )


def test_idle_params_match_row_check() -> None:
    as_of = day(18)
    stays = current_stays(run_week(), as_of)
    with_column = build_deal(PIPELINE, 9, "D-04", LEAD, stage_entered_date=day(3))

    from_log = idle_findings_from_log(deals_on(SUNDAY), stays, COLUMNS, PIPELINE)
    from_row = check_deals([with_column], build_columns(PIPELINE), PIPELINE, {}, as_of)

    idle_from_row = [item for item in from_row if item.code is Code.IDLE_IN_STAGE]
    assert from_log[0].params == idle_from_row[0].params
    assert from_log[0].severity is idle_from_row[0].severity


def test_idle_first_run_stay_uses_lower_bound() -> None:
    moves = [Transition("D-1", None, LEAD, LOG_STARTED_ON)]
    stays = current_stays(moves, day(16))
    deal = build_deal(PIPELINE, 4, "D-1", LEAD)

    findings = idle_findings_from_log([deal], stays, COLUMNS, PIPELINE)

    assert [finding.params["days"] for finding in findings] == ["15"]
    assert findings[0].params["log_began"] == LOG_STARTED_ON.isoformat()
    assert render_message(findings[0], Locale.EN) == (
        "Deal has been in stage 'Lead' for at least 15 days, more than its limit "
        f"of 14 days: it was there when the stage log began on {LOG_STARTED_ON}. "
        "Move it forward or close it."
    )
    assert "至少 15 天" in render_message(findings[0], Locale.ZH_CN)


@pytest.mark.parametrize(
    ("sheet_stage", "logged_stage"),
    [
        (QUALIFIED, LEAD),
        (WON, WON),
        (LOST, LOST),
        (QUALIFIED, QUALIFIED),
    ],
    ids=["log-behind-sheet", "won", "lost", "stage-without-limit"],
)
def test_idle_from_log_skips_deal(sheet_stage: str, logged_stage: str) -> None:
    moves = [Transition("D-1", None, logged_stage, day(2))]
    stays = current_stays(moves, dt.date(2025, 12, 31), day(1))
    deal = build_deal(PIPELINE, 4, "D-1", sheet_stage)

    findings = idle_findings_from_log([deal], stays, COLUMNS, PIPELINE)

    assert findings == []


def test_idle_from_log_skips_gone_deal() -> None:
    stays = current_stays(run_week(), day(30))
    deleted_row_back = build_deal(PIPELINE, 10, "D-05", PROPOSAL)

    findings = idle_findings_from_log([deleted_row_back], stays, COLUMNS, PIPELINE)

    assert findings == []


@pytest.mark.parametrize(
    ("as_of", "expected_ids"),
    [(day(17), []), (day(18), ["D-04"])],
    ids=["at-limit", "one-day-over"],
)
def test_idle_stays_past_limit(as_of: dt.date, expected_ids: list[str]) -> None:
    rows = stage_log_rows(run_week(), as_of, log_started_on=LOG_STARTED_ON)

    idle = idle_stays(rows, PIPELINE)

    current = {row.deal_id: row for row in rows if row.exited is None}
    assert idle == {deal_id: current[deal_id] for deal_id in expected_ids}


@pytest.mark.parametrize(
    "stage",
    [WON, LOST, QUALIFIED, "Negotiaton"],
    ids=["won", "lost", "stage-without-limit", "unknown-stage"],
)
def test_idle_stays_skips_stage(stage: str) -> None:
    moves = [Transition("D-1", None, stage, day(2))]
    rows = stage_log_rows(moves, dt.date(2025, 12, 31), log_started_on=day(1))

    assert idle_stays(rows, PIPELINE) == {}


def test_idle_stays_skips_ended_stay() -> None:
    moves = [
        Transition("D-1", None, LEAD, day(2)),
        Transition("D-1", LEAD, None, day(30)),
    ]
    rows = stage_log_rows(moves, dt.date(2025, 12, 31), log_started_on=day(1))

    assert idle_stays(rows, PIPELINE) == {}


# log_funnel


def test_week_log_funnel() -> None:
    funnel = log_funnel(run_week(), PIPELINE)

    assert funnel == [
        LogFunnelStage(LEAD, Outcome.OPEN, any_stage=7, strict=4),
        LogFunnelStage(QUALIFIED, Outcome.OPEN, any_stage=5, strict=1),
        LogFunnelStage(PROPOSAL, Outcome.OPEN, any_stage=5, strict=1),
        LogFunnelStage(WON, Outcome.WON, any_stage=2, strict=0),
    ]


def test_log_funnel_of_empty_log() -> None:
    funnel = log_funnel([], PIPELINE)

    assert [(item.any_stage, item.strict) for item in funnel] == [(0, 0)] * 4


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ([LEAD, QUALIFIED, PROPOSAL, WON], [(1, 1), (1, 1), (1, 1), (1, 1)]),
        ([LEAD, PROPOSAL, QUALIFIED, PROPOSAL], [(1, 1), (1, 1), (1, 1), (0, 0)]),
        ([LEAD, PROPOSAL, LEAD, PROPOSAL], [(1, 1), (1, 0), (1, 0), (0, 0)]),
        ([QUALIFIED, PROPOSAL, WON], [(1, 0), (1, 0), (1, 0), (1, 0)]),
        ([LEAD, QUALIFIED, LOST], [(1, 1), (1, 1), (0, 0), (0, 0)]),
        ([LOST], [(1, 0), (0, 0), (0, 0), (0, 0)]),
        ([LOST, LEAD], [(1, 1), (0, 0), (0, 0), (0, 0)]),
        ([LEAD, "Negotiaton", QUALIFIED], [(1, 1), (1, 1), (0, 0), (0, 0)]),
        ([LEAD, WON], [(1, 1), (1, 0), (1, 0), (1, 0)]),
    ],
    ids=[
        "every-stage",
        "skip-made-up-by-move-back",
        "skip-repeated",
        "first-seen-past-first-stage",
        "lost-after-qualified",
        "only-lost",
        "reopened-after-lost",
        "unknown-stage-between",
        "won-from-first",
    ],
)
def test_log_funnel_conventions(
    path: list[str], expected: list[tuple[int, int]]
) -> None:
    previous: list[str | None] = [None, *path]
    moves = [
        Transition("D-1", source, target, day(index + 1))
        for index, (source, target) in enumerate(zip(previous, path, strict=False))
    ]

    funnel = log_funnel(moves, PIPELINE)

    assert [(item.any_stage, item.strict) for item in funnel] == expected


def test_log_funnel_of_first_run() -> None:
    # One transition per deal, as the log's first run records.
    moves = [
        Transition("D-1", None, LEAD, day(1)),
        Transition("D-2", None, PROPOSAL, day(1)),
        Transition("D-3", None, LEAD, day(1)),
        Transition("D-4", None, LOST, day(1)),
        Transition("D-5", None, "Negotiaton", day(1)),
        Transition("D-6", None, WON, day(1)),
    ]

    funnel = log_funnel(moves, PIPELINE)

    expected = [(5, 2), (2, 0), (2, 0), (1, 0)]
    assert [(item.any_stage, item.strict) for item in funnel] == expected


def test_log_funnel_first_stage_counts_all() -> None:
    # Deals first seen open, won and lost all reached the first stage.
    moves = [
        Transition("D-1", None, LEAD, day(1)),
        Transition("D-2", None, WON, day(1)),
        Transition("D-3", None, LOST, day(1)),
        Transition("D-4", None, LOST, day(2)),
        Transition("D-4", LOST, None, day(3)),
    ]

    funnel = log_funnel(moves, PIPELINE)

    assert funnel[0].any_stage == 4
    assert funnel[0].strict == 1
    assert [item.any_stage for item in funnel[1:]] == [1, 1, 1]


def test_log_funnel_counts_disappeared_deals() -> None:
    moves = [
        Transition("D-1", None, QUALIFIED, day(2)),
        Transition("D-1", QUALIFIED, None, day(3)),
    ]

    funnel = log_funnel(moves, PIPELINE)

    assert [item.any_stage for item in funnel] == [1, 1, 0, 0]


def test_log_funnel_resolves_stage_alias(english_pipeline: Pipeline) -> None:
    # A log recorded before a stage was renamed keeps the old name, now an alias.
    moves = [
        Transition("D-1", None, "Lead", day(1)),
        Transition("D-1", "Lead", "Quote", day(2)),
    ]

    funnel = log_funnel(moves, english_pipeline)

    assert [item.any_stage for item in funnel] == [1, 1, 1, 1, 0, 0]


# stage_log_rows


def log_row(
    deal_id: str,
    stage: str,
    entered: int,
    exited: int | None,
    days: int,
    known: bool = True,
    disappeared: bool = False,
) -> StageLogRow:
    exited_on = day(exited) if exited is not None else None
    return StageLogRow(
        deal_id, stage, day(entered), exited_on, days, known, disappeared
    )


def test_week_stage_log_rows() -> None:
    rows = stage_log_rows(run_week(), SUNDAY, log_started_on=LOG_STARTED_ON)

    assert rows == [
        log_row("D-01", LEAD, 1, 3, 2, known=False),
        log_row("D-01", QUALIFIED, 3, 5, 2),
        log_row("D-01", PROPOSAL, 5, None, 2),
        log_row("D-02", LEAD, 1, 2, 1, known=False),
        log_row("D-02", PROPOSAL, 2, 4, 2),
        log_row("D-02", LEAD, 4, 6, 2),
        log_row("D-02", PROPOSAL, 6, None, 1),
        log_row("D-03", QUALIFIED, 1, 3, 2, known=False),
        log_row("D-03", WON, 3, None, 4),
        log_row("D-04", LEAD, 3, None, 4),
        log_row("D-05", PROPOSAL, 1, 4, 3, known=False, disappeared=True),
        log_row("D-06", LEAD, 1, 5, 4, known=False),
        log_row("D-06", LOST, 5, None, 2),
        log_row("D-07", WON, 1, 2, 1, known=False),
        log_row("D-07", PROPOSAL, 2, None, 5),
    ]


def test_stage_log_rows_of_empty_log() -> None:
    assert stage_log_rows([], SUNDAY, log_started_on=LOG_STARTED_ON) == []


# start_stays_on_sheet_dates


def rows_with_sheet_date(
    moves: list[Transition],
    stage: str,
    entered: object,
    run_days: tuple[dt.date, ...] = (),
) -> list[StageLogRow]:
    """Return the Stage log rows of D-1 as of SUNDAY, its row in ``stage``."""
    rows = stage_log_rows(moves, SUNDAY, log_started_on=LOG_STARTED_ON)
    deal = build_deal(PIPELINE, 4, "D-1", stage, stage_entered_date=entered)
    start_stays_on_sheet_dates(rows, {"D-1": deal}, run_days)
    return rows


def test_first_run_stay_starts_on_sheet_date() -> None:
    moves = [Transition("D-1", None, PROPOSAL, LOG_STARTED_ON)]

    rows = rows_with_sheet_date(moves, PROPOSAL, dt.date(2025, 8, 20))

    assert rows == [
        StageLogRow(
            "D-1", PROPOSAL, dt.date(2025, 8, 20), None, 18, True, False, day(1)
        )
    ]


def test_new_deal_stay_starts_on_sheet_datetime() -> None:
    moves = [Transition("D-1", None, PROPOSAL, day(5))]

    rows = rows_with_sheet_date(moves, PROPOSAL, dt.datetime(2025, 9, 2, 15, 30))

    assert rows == [StageLogRow("D-1", PROPOSAL, day(2), None, 5, True, False, day(5))]


@pytest.mark.parametrize(
    ("stage", "entered"),
    [
        (PROPOSAL, day(3)),
        (PROPOSAL, day(6)),
        (PROPOSAL, "last spring"),
        (QUALIFIED, day(1)),
    ],
    ids=["same-day", "after-sighting", "not-a-date", "other-stage-on-sheet"],
)
def test_sheet_date_not_taken(stage: str, entered: object) -> None:
    moves = [Transition("D-1", None, PROPOSAL, day(3))]

    rows = rows_with_sheet_date(moves, stage, entered)

    assert rows == [log_row("D-1", PROPOSAL, 3, None, 4)]


def test_sheet_date_ends_previous_stay() -> None:
    moves = [
        Transition("D-1", None, LEAD, day(1)),
        Transition("D-1", LEAD, PROPOSAL, day(5)),
    ]

    rows = rows_with_sheet_date(moves, PROPOSAL, day(3))

    assert rows == [
        log_row("D-1", LEAD, 1, 3, 2, known=False),
        StageLogRow("D-1", PROPOSAL, day(3), None, 4, True, False, day(5)),
    ]


def test_sheet_date_before_previous_stay_ignored() -> None:
    moves = [
        Transition("D-1", None, LEAD, day(2)),
        Transition("D-1", LEAD, PROPOSAL, day(5)),
    ]

    rows = rows_with_sheet_date(moves, PROPOSAL, day(1))

    assert rows == [
        log_row("D-1", LEAD, 2, 5, 3),
        log_row("D-1", PROPOSAL, 5, None, 2),
    ]


@pytest.mark.parametrize(
    ("entered", "run_days", "expected_start"),
    [
        (day(2), (1, 2, 5), 5),
        (day(3), (1, 2, 5), 3),
        (day(3), (1, 4, 5), 5),
        (day(1), (), 5),
        (day(2), (), 2),
    ],
    ids=[
        "on-last-sighting",
        "after-last-sighting",
        "before-last-sighting",
        "on-first-day-without-runs",
        "after-first-day-without-runs",
    ],
)
def test_sheet_date_after_runs_of_previous_stay(
    entered: dt.date, run_days: tuple[int, ...], expected_start: int
) -> None:
    moves = [
        Transition("D-1", None, LEAD, day(1)),
        Transition("D-1", LEAD, PROPOSAL, day(5)),
    ]
    days = tuple(map(day, run_days))

    rows = rows_with_sheet_date(moves, PROPOSAL, entered, days)

    assert rows[0].exited == day(expected_start)
    assert rows[1].entered == day(expected_start)


@pytest.mark.parametrize(
    ("entered", "expected_start"),
    [(day(4), 4), (day(2), 6)],
    ids=["while-off-sheet", "before-removal"],
)
def test_sheet_date_after_removal(entered: dt.date, expected_start: int) -> None:
    moves = [
        Transition("D-1", None, LEAD, day(1)),
        Transition("D-1", LEAD, None, day(3)),
        Transition("D-1", None, PROPOSAL, day(6)),
    ]

    rows = rows_with_sheet_date(moves, PROPOSAL, entered)

    assert rows[0] == log_row("D-1", LEAD, 1, 3, 2, known=False, disappeared=True)
    assert rows[1].entered == day(expected_start)
    assert rows[1].exited is None


def test_sheet_date_applies_after_return() -> None:
    moves = [
        Transition("D-1", None, PROPOSAL, day(3)),
        Transition("D-1", PROPOSAL, None, day(4)),
        Transition("D-1", None, PROPOSAL, day(6)),
    ]

    rows = rows_with_sheet_date(moves, PROPOSAL, day(1))

    assert rows == [StageLogRow("D-1", PROPOSAL, day(1), None, 6, True, False, day(3))]


def test_ended_stays_keep_recorded_dates() -> None:
    moves = [
        Transition("D-1", None, LEAD, day(1)),
        Transition("D-1", LEAD, None, day(3)),
    ]

    rows = rows_with_sheet_date(moves, LEAD, dt.date(2025, 8, 1))

    assert rows == [log_row("D-1", LEAD, 1, 3, 2, known=False, disappeared=True)]


@pytest.mark.parametrize(
    ("entered", "stale"),
    [(day(2), {"D-1"}), (day(3), set()), (day(6), set())],
    ids=["before-last-sighting", "after-last-sighting", "after-recorded-start"],
)
def test_stale_sheet_dates_returned(entered: dt.date, stale: set[str]) -> None:
    moves = [
        Transition("D-1", None, LEAD, day(1)),
        Transition("D-1", LEAD, PROPOSAL, day(5)),
    ]
    rows = stage_log_rows(moves, SUNDAY, log_started_on=LOG_STARTED_ON)
    deal = build_deal(PIPELINE, 4, "D-1", PROPOSAL, stage_entered_date=entered)

    found = start_stays_on_sheet_dates(rows, {"D-1": deal}, (day(1), day(2), day(5)))

    assert found.stale == stale


# Stays that kept the start the Stage log showed before the move that ended them

AUGUST_20 = dt.date(2025, 8, 20)


def rows_with_ended_starts(
    moves: list[Transition], starts: dict[StayEnd, dt.date]
) -> list[StageLogRow]:
    """Return the Stage log rows as of SUNDAY with the recorded starts of stays."""
    return stage_log_rows(
        moves, SUNDAY, log_started_on=LOG_STARTED_ON, ended_stay_starts=starts
    )


def test_ended_stay_keeps_recorded_start() -> None:
    moves = [
        Transition("D-1", None, LEAD, day(1)),
        Transition("D-1", LEAD, PROPOSAL, day(5)),
    ]

    rows = rows_with_ended_starts(moves, {StayEnd("D-1", LEAD, day(5)): AUGUST_20})

    assert rows == [
        StageLogRow("D-1", LEAD, AUGUST_20, day(5), 16, True, False, day(1)),
        log_row("D-1", PROPOSAL, 5, None, 2),
    ]


def test_recorded_start_ends_previous_stay() -> None:
    moves = [
        Transition("D-1", None, LEAD, day(1)),
        Transition("D-1", LEAD, PROPOSAL, day(3)),
        Transition("D-1", PROPOSAL, WON, day(5)),
    ]

    rows = rows_with_ended_starts(moves, {StayEnd("D-1", PROPOSAL, day(5)): day(2)})

    assert rows == [
        log_row("D-1", LEAD, 1, 2, 1, known=False),
        StageLogRow("D-1", PROPOSAL, day(2), day(5), 3, True, False, day(3)),
        log_row("D-1", WON, 5, None, 2),
    ]


def test_recorded_start_of_removed_deal() -> None:
    moves = [
        Transition("D-1", None, LEAD, day(1)),
        Transition("D-1", LEAD, None, day(3)),
    ]

    rows = rows_with_ended_starts(moves, {StayEnd("D-1", LEAD, day(3)): AUGUST_20})

    assert rows == [
        StageLogRow("D-1", LEAD, AUGUST_20, day(3), 14, True, True, day(1)),
    ]


def test_returned_deal_keeps_recorded_start() -> None:
    moves = [
        Transition("D-1", None, LEAD, day(1)),
        Transition("D-1", LEAD, None, day(3)),
        Transition("D-1", None, LEAD, day(5)),
    ]

    rows = rows_with_ended_starts(moves, {StayEnd("D-1", LEAD, day(3)): AUGUST_20})

    assert rows == [
        StageLogRow("D-1", LEAD, AUGUST_20, None, 18, True, False, day(1)),
    ]


@pytest.mark.parametrize(
    ("stay_end", "start"),
    [
        (StayEnd("D-1", PROPOSAL, day(5)), day(3)),
        (StayEnd("D-1", PROPOSAL, day(5)), day(4)),
        (StayEnd("D-1", PROPOSAL, day(5)), day(1)),
        (StayEnd("D-1", LEAD, day(5)), day(2)),
        (StayEnd("D-2", PROPOSAL, day(5)), day(2)),
    ],
    ids=[
        "on-recorded-start",
        "after-recorded-start",
        "on-previous-sighting",
        "other-stage",
        "other-deal",
    ],
)
def test_recorded_start_not_taken(stay_end: StayEnd, start: dt.date) -> None:
    moves = [
        Transition("D-1", None, LEAD, day(1)),
        Transition("D-1", LEAD, PROPOSAL, day(3)),
        Transition("D-1", PROPOSAL, WON, day(5)),
    ]

    rows = rows_with_ended_starts(moves, {stay_end: start})

    assert rows == [
        log_row("D-1", LEAD, 1, 3, 2, known=False),
        log_row("D-1", PROPOSAL, 3, 5, 2),
        log_row("D-1", WON, 5, None, 2),
    ]


def test_recorded_start_dates_one_stay() -> None:
    # Three runs of day 5: the second stay in Lead began that day.
    moves = [
        Transition("D-1", None, LEAD, day(1)),
        Transition("D-1", LEAD, PROPOSAL, day(5)),
        Transition("D-1", PROPOSAL, LEAD, day(5)),
        Transition("D-1", LEAD, PROPOSAL, day(5)),
    ]

    rows = rows_with_ended_starts(moves, {StayEnd("D-1", LEAD, day(5)): AUGUST_20})

    assert rows == [
        StageLogRow("D-1", LEAD, AUGUST_20, day(5), 16, True, False, day(1)),
        log_row("D-1", PROPOSAL, 5, 5, 0),
        log_row("D-1", LEAD, 5, 5, 0),
        log_row("D-1", PROPOSAL, 5, None, 2),
    ]


def test_stale_date_after_dated_stay() -> None:
    # The run of day 1 saw D-1 in Lead, though Lead's stay starts in August.
    moves = [
        Transition("D-1", None, LEAD, day(1)),
        Transition("D-1", LEAD, PROPOSAL, day(5)),
    ]
    rows = rows_with_ended_starts(moves, {StayEnd("D-1", LEAD, day(5)): AUGUST_20})
    entered = dt.date(2025, 8, 25)
    deal = build_deal(PIPELINE, 4, "D-1", PROPOSAL, stage_entered_date=entered)

    found = start_stays_on_sheet_dates(rows, {"D-1": deal})

    assert found.stale == {"D-1"}
    assert found.stay_starts == {}
    assert rows[1] == log_row("D-1", PROPOSAL, 5, None, 2)


def test_stay_starts_of_current_stays() -> None:
    moves = [
        Transition("D-1", None, LEAD, day(1)),
        Transition("D-1", LEAD, None, day(3)),
        Transition("D-1", None, LEAD, day(5)),
        Transition("D-2", None, LEAD, day(1)),
        Transition("D-3", None, LEAD, day(1)),
    ]
    rows = rows_with_ended_starts(moves, {StayEnd("D-1", LEAD, day(3)): AUGUST_20})
    deals = {
        "D-1": build_deal(PIPELINE, 4, "D-1", LEAD),
        "D-2": build_deal(PIPELINE, 5, "D-2", LEAD, stage_entered_date=day(1)),
        "D-3": build_deal(PIPELINE, 6, "D-3", LEAD, stage_entered_date=AUGUST_20),
    }

    found = start_stays_on_sheet_dates(rows, deals)

    assert found.stay_starts == {"D-1": AUGUST_20, "D-3": AUGUST_20}
    assert found.stale == set()


def test_stay_starts_in_row_order() -> None:
    # D-1's dated stay follows another, D-2 kept its start while off the
    # sheet and D-3 has one row, so each start comes from another step.
    moves = [
        Transition("D-1", None, LEAD, day(1)),
        Transition("D-1", LEAD, PROPOSAL, day(5)),
        Transition("D-2", None, LEAD, day(1)),
        Transition("D-2", LEAD, None, day(3)),
        Transition("D-2", None, LEAD, day(5)),
        Transition("D-3", None, LEAD, day(1)),
    ]
    rows = rows_with_ended_starts(moves, {StayEnd("D-2", LEAD, day(3)): AUGUST_20})
    deals = {
        "D-1": build_deal(PIPELINE, 4, "D-1", PROPOSAL, stage_entered_date=day(4)),
        "D-2": build_deal(PIPELINE, 5, "D-2", LEAD),
        "D-3": build_deal(PIPELINE, 6, "D-3", LEAD, stage_entered_date=AUGUST_20),
    }

    found = start_stays_on_sheet_dates(rows, deals)

    assert list(found.stay_starts.items()) == [
        ("D-1", day(4)),
        ("D-2", AUGUST_20),
        ("D-3", AUGUST_20),
    ]
    assert found.stale == set()
    assert rows[0] == log_row("D-1", LEAD, 1, 4, 3, known=False)
