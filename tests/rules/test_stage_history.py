"""Tests of applying the stage history to today's deals."""

from __future__ import annotations

import datetime as dt

import pytest

from config.models import Locale, SourceConfig, Stage
from rules.findings import Code
from rules.grid import CellValue
from rules.history import DealSnapshot, StayEnd, Transition
from rules.messages import render_message, render_short
from rules.stage_history import (
    TRANSITION_NOTICE_DAYS,
    HistoryOutcome,
    StageHistory,
    apply_history,
    describe_unknown_recorded_stages,
    lost_at_stages,
    renames_seen_in_runs,
    with_current_stage_names,
)
from tests.rules.builders import (
    STAGES,
    build_columns,
    build_deal,
    build_pipeline,
)

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


ENTERED = dt.date(2025, 7, 17)


def entered_on_second_day(rows: list[tuple[str | None, object]]) -> dt.date:
    """Apply D-1 in Proposal, then ``rows`` (stage, stage-entered) the next day.

    Return the start of D-1's current stay in the log of the second day.
    """
    first_day = AS_OF - dt.timedelta(days=1)
    proposal = build_deal(PIPELINE, 4, "D-1", "Proposal", stage_entered_date=ENTERED)
    first = apply_history(StageHistory(), [proposal], COLUMNS, PIPELINE, first_day)
    history = StageHistory(
        first.snapshots, first.new_transitions, first_day, run_days=(first_day,)
    )
    deals = [
        build_deal(
            PIPELINE,
            4 + index,
            "D-1",
            stage,
            raw={"stage": stage or "Proposl"},
            stage_entered_date=entered,
        )
        for index, (stage, entered) in enumerate(rows)
    ]

    second = apply_history(history, deals, COLUMNS, PIPELINE, AS_OF)

    [current] = [row for row in second.log_rows if row.exited is None]
    return current.entered


@pytest.mark.parametrize(
    "rows",
    [
        [(None, ENTERED)],
        [("Proposal", ENTERED), ("Proposal", ENTERED)],
        [(None, ENTERED), (None, ENTERED)],
        [("Proposal", ENTERED), ("Lead", dt.date(2025, 8, 1))],
    ],
    ids=["stage-typo", "copied-row", "copied-row-with-typo", "other-deal-same-id"],
)
def test_held_stage_keeps_sheet_date(rows: list[tuple[str | None, object]]) -> None:
    assert entered_on_second_day(rows) == ENTERED


@pytest.mark.parametrize(
    "rows",
    [
        [("Proposal", ENTERED), ("Proposal", dt.date(2025, 8, 1))],
        [("Lead", ENTERED), ("Lead", ENTERED)],
    ],
    ids=["dates-differ", "copies-in-other-stage"],
)
def test_differing_copies_give_no_date(rows: list[tuple[str | None, object]]) -> None:
    assert entered_on_second_day(rows) == AS_OF - dt.timedelta(days=1)


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


# Without a stage-entered column, idle deals are found from the log.
LOG_COLUMNS = build_columns(PIPELINE, missing=("stage_entered_date",))


def replay(cells: list[CellValue]) -> tuple[list[Transition], list[Code]]:
    """Apply deal D-7 with one stage cell a day; return the log and the last findings.

    A cell that names no stage of the pipeline is put in the sheet as typed.
    """
    known = {stage.name for stage in PIPELINE.stages}
    history = StageHistory()
    transitions: list[Transition] = []
    codes: list[Code] = []
    for day, cell in enumerate(cells):
        stage = cell if isinstance(cell, str) and cell in known else None
        deal = build_deal(PIPELINE, 4, "D-7", stage, raw={"stage": cell})
        seen_on = AS_OF + dt.timedelta(days=day)
        outcome = apply_history(history, [deal], LOG_COLUMNS, PIPELINE, seen_on)
        transitions += outcome.new_transitions
        history = StageHistory(outcome.snapshots, transitions, AS_OF)
        codes = [finding.code for finding in outcome.findings]
    return transitions, codes


@pytest.mark.parametrize("cell", ["Leed", 42, None], ids=["typo", "number", "blank"])
def test_unknown_stage_is_no_move(cell: CellValue) -> None:
    transitions, _codes = replay(["Lead", cell, "Lead"])
    assert transitions == [Transition("D-7", None, "Lead", AS_OF)]


@pytest.mark.parametrize("cell", ["Leed", None], ids=["typo", "blank"])
def test_unknown_stage_keeps_stay(cell: CellValue) -> None:
    # Lead allows 14 idle days; the deal is in Lead from day 0 to day 15.
    _transitions, codes = replay(["Lead"] * 4 + [cell] + ["Lead"] * 11)
    assert codes == [Code.IDLE_IN_STAGE]


@pytest.mark.parametrize("cell", ["Leed", None], ids=["typo", "blank"])
def test_move_back_across_unknown_stage(cell: CellValue) -> None:
    transitions, codes = replay(["Proposal", cell, "Lead"])
    assert transitions == [
        Transition("D-7", None, "Proposal", AS_OF),
        Transition("D-7", "Proposal", "Lead", AS_OF + dt.timedelta(days=2)),
    ]
    assert Code.MOVED_BACK in codes


def test_deal_removed_while_blank_is_removed() -> None:
    known = build_deal(PIPELINE, 4, "D-7", "Lead", raw={"stage": "Lead"})
    blank = build_deal(PIPELINE, 4, "D-7", None, raw={"stage": None})
    first = apply_history(StageHistory(), [known], LOG_COLUMNS, PIPELINE, AS_OF)
    day = AS_OF + dt.timedelta(days=1)
    history = StageHistory(first.snapshots, first.new_transitions, AS_OF)
    second = apply_history(history, [blank], LOG_COLUMNS, PIPELINE, day)
    history = StageHistory(second.snapshots, first.new_transitions, AS_OF)
    third = apply_history(history, [], LOG_COLUMNS, PIPELINE, day)
    assert third.new_transitions == [Transition("D-7", "Lead", None, day)]


def test_new_deal_with_typo_has_no_stage() -> None:
    transitions, _codes = replay(["Leed", "Lead"])
    assert transitions == [
        Transition("D-7", None, "Lead", AS_OF + dt.timedelta(days=1))
    ]


def renamed_stages(name: str, aliases: list[str]) -> list[Stage]:
    """Return the test stages with Proposal renamed to ``name``."""
    return [
        stage.model_copy(update={"name": name, "aliases": aliases})
        if stage.name == "Proposal"
        else stage
        for stage in STAGES
    ]


STORED = StageHistory(
    previous=[DealSnapshot("P-1", "Proposal", owner=None, amount=None, row=4)],
    transitions=[
        Transition("P-1", None, "Lead", AS_OF),
        Transition("P-1", "Lead", "Proposal", AS_OF + dt.timedelta(days=1)),
        Transition("P-2", None, "Negotiation", AS_OF),
    ],
    log_started_on=AS_OF,
)


@pytest.mark.parametrize(
    ("name", "aliases"),
    [("Quote", ["Proposal"]), ("PROPOSAL", []), ("Quote", ["proposal "])],
    ids=["alias", "case", "alias-case"],
)
def test_stored_stage_takes_current_name(name: str, aliases: list[str]) -> None:
    pipeline = build_pipeline(renamed_stages(name, aliases))

    history = with_current_stage_names(STORED, pipeline)

    assert history.previous == [
        DealSnapshot("P-1", name, owner=None, amount=None, row=4)
    ]
    assert [(t.from_stage, t.to_stage) for t in history.transitions] == [
        (None, "Lead"),
        ("Lead", name),
        (None, "Negotiation"),
    ]


def test_unrenamed_history_returned_as_is() -> None:
    assert with_current_stage_names(STORED, PIPELINE) is STORED


def test_renamed_stage_keeps_stay() -> None:
    stages = renamed_stages("Quote", ["Proposal"])
    pipeline = build_pipeline(stages)
    columns = build_columns(pipeline, missing=("stage_entered_date",))
    deal = build_deal(pipeline, 4, "P-1", "Quote", raw={"stage": "Proposal"})
    as_of = AS_OF + dt.timedelta(days=40)

    history = with_current_stage_names(STORED, pipeline)
    outcome = apply_history(history, [deal], columns, pipeline, as_of)

    assert outcome.new_transitions == []
    assert [finding.code for finding in outcome.findings] == [Code.IDLE_IN_STAGE]


def in_lead_since(day: dt.date, *, log_started_on: dt.date) -> StageHistory:
    """Return a history in which deal D-7 (row 4) has been in Lead since ``day``."""
    return StageHistory(
        previous=[DealSnapshot("D-7", "Lead", None, None, 4)],
        transitions=[Transition("D-7", None, "Lead", day)],
        log_started_on=log_started_on,
    )


@pytest.mark.parametrize(
    "entered",
    [None, "next week"],
    ids=["blank", "no-date"],
)
def test_undated_row_idle_from_log(entered: CellValue) -> None:
    # Lead allows 14 idle days. With the column mapped, a row without a date
    # there is counted from the stage history, as a sheet without the column is.
    deal = build_deal(PIPELINE, 4, "D-7", "Lead", raw={"stage_entered_date": entered})
    history = in_lead_since(AS_OF, log_started_on=AS_OF - dt.timedelta(days=1))
    as_of = AS_OF + dt.timedelta(days=20)

    outcome = apply_history(history, [deal], COLUMNS, PIPELINE, as_of)

    assert [finding.code for finding in outcome.findings] == [Code.IDLE_IN_STAGE]
    assert outcome.findings[0].params["days"] == "20"


def test_future_dated_row_idle_from_log() -> None:
    # A date after the as-of day is not used by the row check either.
    as_of = AS_OF + dt.timedelta(days=20)
    deal = build_deal(
        PIPELINE, 4, "D-7", "Lead", stage_entered_date=as_of + dt.timedelta(days=30)
    )
    history = in_lead_since(AS_OF, log_started_on=AS_OF - dt.timedelta(days=1))

    outcome = apply_history(history, [deal], COLUMNS, PIPELINE, as_of)

    assert [finding.code for finding in outcome.findings] == [Code.IDLE_IN_STAGE]


def test_dated_row_idle_left_to_row_check() -> None:
    deal = build_deal(
        PIPELINE, 4, "D-7", "Lead", stage_entered_date=AS_OF + dt.timedelta(days=19)
    )
    history = in_lead_since(AS_OF, log_started_on=AS_OF - dt.timedelta(days=1))

    outcome = apply_history(
        history, [deal], COLUMNS, PIPELINE, AS_OF + dt.timedelta(days=20)
    )

    assert outcome.findings == []


# Starts of stays kept when a move ends them

FIRST_RUN = AS_OF - dt.timedelta(days=10)


def apply_two_runs(second_stage: str, second_entered: object) -> HistoryOutcome:
    """Apply D-1 in Lead since ENTERED on FIRST_RUN, then its row as of AS_OF."""
    lead = build_deal(PIPELINE, 4, "D-1", "Lead", stage_entered_date=ENTERED)
    first = apply_history(StageHistory(), [lead], COLUMNS, PIPELINE, FIRST_RUN)
    history = StageHistory(
        first.snapshots,
        first.new_transitions,
        FIRST_RUN,
        run_days=(FIRST_RUN,),
        stay_starts=first.stay_starts,
    )
    deal = build_deal(
        PIPELINE, 4, "D-1", second_stage, stage_entered_date=second_entered
    )
    return apply_history(history, [deal], COLUMNS, PIPELINE, AS_OF)


def test_first_run_returns_stay_starts() -> None:
    deal = build_deal(PIPELINE, 4, "D-1", "Lead", stage_entered_date=ENTERED)

    outcome = apply_history(StageHistory(), [deal], COLUMNS, PIPELINE, FIRST_RUN)

    assert outcome.stay_starts == {"D-1": ENTERED}
    assert outcome.ended_stay_starts == {}


def test_move_keeps_start_of_ended_stay() -> None:
    outcome = apply_two_runs("Proposal", AS_OF)

    assert outcome.ended_stay_starts == {"D-1": ENTERED}
    assert outcome.stay_starts == {}
    assert [
        (row.stage, row.entered, row.exited, row.days) for row in outcome.log_rows
    ] == [
        ("Lead", ENTERED, AS_OF, 75),
        ("Proposal", AS_OF, None, 0),
    ]
    assert outcome.log_rows[0].first_seen == FIRST_RUN
    assert outcome.log_rows[0].entered_known


def test_move_with_sheet_date_ends_kept_stay() -> None:
    proposal_entered = AS_OF - dt.timedelta(days=4)

    outcome = apply_two_runs("Proposal", proposal_entered)

    assert outcome.stay_starts == {"D-1": proposal_entered}
    assert [
        (row.stage, row.entered, row.exited, row.days) for row in outcome.log_rows
    ] == [
        ("Lead", ENTERED, proposal_entered, 71),
        ("Proposal", proposal_entered, None, 4),
    ]


def test_removed_deal_keeps_start_of_stay() -> None:
    lead = build_deal(PIPELINE, 4, "D-1", "Lead", stage_entered_date=ENTERED)
    other = build_deal(PIPELINE, 5, "D-2", "Lead")
    first = apply_history(StageHistory(), [lead, other], COLUMNS, PIPELINE, FIRST_RUN)
    history = StageHistory(
        first.snapshots,
        first.new_transitions,
        FIRST_RUN,
        stay_starts=first.stay_starts,
    )

    outcome = apply_history(history, [other], COLUMNS, PIPELINE, AS_OF)

    assert outcome.ended_stay_starts == {"D-1": ENTERED}
    assert outcome.log_rows[0].entered == ENTERED
    assert outcome.log_rows[0].disappeared


def test_renamed_stage_keeps_ended_stay_start() -> None:
    moved_on = AS_OF + dt.timedelta(days=3)
    stored = StageHistory(
        previous=[DealSnapshot("P-1", "Closed Won", owner=None, amount=None, row=4)],
        transitions=[
            Transition("P-1", None, "Proposal", AS_OF),
            Transition("P-1", "Proposal", "Closed Won", moved_on),
        ],
        log_started_on=AS_OF,
        ended_stay_starts={StayEnd("P-1", "Proposal", moved_on): ENTERED},
    )
    pipeline = build_pipeline(renamed_stages("Quote", ["Proposal"]))
    columns = build_columns(pipeline)
    deal = build_deal(pipeline, 4, "P-1", "Closed Won")

    history = with_current_stage_names(stored, pipeline)
    outcome = apply_history(history, [deal], columns, pipeline, moved_on)

    assert history.ended_stay_starts == {StayEnd("P-1", "Quote", moved_on): ENTERED}
    assert outcome.log_rows[0].stage == "Quote"
    assert outcome.log_rows[0].entered == ENTERED


def test_undated_idle_message_requests_date() -> None:
    deal = build_deal(PIPELINE, 4, "D-7", "Lead", raw={"stage_entered_date": None})
    history = StageHistory(
        previous=[DealSnapshot("D-7", "Lead", None, None, 4)],
        transitions=[
            Transition("D-7", None, "Qualified", AS_OF - dt.timedelta(days=3)),
            Transition("D-7", "Qualified", "Lead", AS_OF),
        ],
        log_started_on=AS_OF - dt.timedelta(days=3),
    )

    outcome = apply_history(
        history, [deal], COLUMNS, PIPELINE, AS_OF + dt.timedelta(days=20)
    )

    [idle] = outcome.findings
    assert render_message(idle, Locale.EN) == (
        f"Deal has been in stage 'Lead' for 20 days, since {AS_OF} by the Stage "
        "log, more than its limit of 14 days. Stage Entered has no date to count "
        "from: fill in the day the deal entered the stage, or move the deal "
        "forward or close it."
    )
    assert render_short(idle, Locale.EN) == "20 days in 'Lead' (limit 14)"


def test_first_run_stay_status_at_least() -> None:
    deal = build_deal(PIPELINE, 4, "D-7", "Lead", raw={"stage_entered_date": None})
    history = in_lead_since(AS_OF, log_started_on=AS_OF)

    outcome = apply_history(
        history, [deal], COLUMNS, PIPELINE, AS_OF + dt.timedelta(days=20)
    )

    [idle] = outcome.findings
    assert render_short(idle, Locale.EN) == "at least 20 days in 'Lead' (limit 14)"
    assert render_short(idle, Locale.ZH_CN) == "在“Lead”停留至少 20 天（上限 14）"
    assert "Stage Entered has no date to count from" in render_message(idle, Locale.EN)


# Deal IDs retyped in another case, width or spacing between two runs

RETYPED_ON = AS_OF + dt.timedelta(days=1)


def apply_retyped(
    new_id: str, today: dt.date = RETYPED_ON, stage: str = "Closed Won"
) -> HistoryOutcome:
    """Apply A-2, won on AS_OF after a run in Lead, and B-7, as of ``today``.

    On ``today`` the sheet shows A-2's row, row 5, with the ID ``new_id``
    in ``stage``.
    """
    first_seen = AS_OF - dt.timedelta(days=5)
    history = StageHistory(
        previous=[
            DealSnapshot("A-2", "Closed Won", owner=None, amount=None, row=5),
            DealSnapshot("B-7", "Lead", owner=None, amount=None, row=6),
        ],
        transitions=[
            Transition("A-2", None, "Lead", first_seen),
            Transition("B-7", None, "Lead", first_seen),
            Transition("A-2", "Lead", "Closed Won", AS_OF),
        ],
        log_started_on=first_seen,
        run_days=(first_seen, AS_OF),
    )
    deals = [
        build_deal(PIPELINE, 5, new_id, stage),
        build_deal(PIPELINE, 6, "B-7", "Lead"),
    ]
    if today > RETYPED_ON:
        # The run of RETYPED_ON recorded the retype.
        retyped = apply_history(history, deals, COLUMNS, PIPELINE, RETYPED_ON)
        history = StageHistory(
            previous=retyped.snapshots,
            transitions=[*history.transitions, *retyped.new_transitions],
            log_started_on=first_seen,
            run_days=(first_seen, AS_OF, RETYPED_ON),
        )
    return apply_history(history, deals, COLUMNS, PIPELINE, today)


def test_retyped_id_keeps_stage_history() -> None:
    outcome = apply_retyped("a-2")

    assert [(row.deal_id, row.stage, row.exited) for row in outcome.log_rows] == [
        ("B-7", "Lead", None),
        ("a-2", "Lead", AS_OF),
        ("a-2", "Closed Won", None),
    ]
    assert [(stage.name, stage.any_stage) for stage in outcome.funnel] == [
        ("Lead", 2),
        ("Qualified", 1),
        ("Proposal", 1),
        ("Closed Won", 1),
    ]


def test_retyped_id_records_what_runs_saw() -> None:
    outcome = apply_retyped("a-2")

    assert outcome.new_transitions == [
        Transition("A-2", "Closed Won", None, RETYPED_ON),
        Transition("a-2", None, "Closed Won", RETYPED_ON),
    ]


def test_retyped_id_warning() -> None:
    outcome = apply_retyped("Ａ-2")

    finding = outcome.findings[0]
    assert finding.code is Code.RETYPED_ID
    assert (finding.row, finding.column, finding.value) == (5, "Deal ID", "Ａ-2")
    assert finding.params == {"old_id": "A-2", "date": RETYPED_ON.isoformat()}
    assert render_message(finding, Locale.EN) == (
        "Deal ID 'Ａ-2' was typed 'A-2' before the run of 2025-10-01. pipesheet "
        "treats them as one deal whose ID was retyped and keeps its stage history "
        "under 'Ａ-2'. If this row is another deal, give it an ID that differs "
        "from 'A-2' in more than case, character width, dashes, spaces or the "
        "zeros and text around its number."
    )
    assert render_short(finding, Locale.EN) == "ID was 'A-2' before 2025-10-01"


def test_retyped_id_with_stage_change() -> None:
    outcome = apply_retyped("a-2", stage="Closed Lost")

    assert [(row.stage, row.exited) for row in outcome.log_rows[1:]] == [
        ("Lead", AS_OF),
        ("Closed Won", RETYPED_ON),
        ("Closed Lost", None),
    ]


@pytest.mark.parametrize(
    ("days_after", "expected"),
    [
        (TRANSITION_NOTICE_DAYS - 1, [Code.RETYPED_ID]),
        (TRANSITION_NOTICE_DAYS, []),
    ],
    ids=["last-notice-day", "notice-over"],
)
def test_retyped_id_warning_for_notice_days(
    days_after: int, expected: list[Code]
) -> None:
    today = RETYPED_ON + dt.timedelta(days=days_after)

    outcome = apply_retyped("a-2", today)

    assert [finding.code for finding in outcome.findings] == expected
    assert [row.deal_id for row in outcome.log_rows] == ["B-7", "a-2", "a-2"]


# renames the recorded runs show


def day(number: int) -> dt.date:
    return dt.date(2026, 11, number)


def test_runs_show_no_rename_without_breaks() -> None:
    moves = [
        Transition("D-1", None, "Lead", day(2)),
        Transition("D-1", "Lead", "Demo", day(3)),
        Transition("D-1", "Demo", None, day(4)),
        Transition("D-1", None, "Proposal", day(5)),
    ]
    snapshot = [DealSnapshot("D-1", "Proposal", None, None, 4)]

    assert renames_seen_in_runs(moves, snapshot) == {}


def test_runs_show_rename_by_next_move() -> None:
    moves = [
        Transition("D-1", "Lead", "Qualified", day(3)),
        Transition("D-1", "Qualifying", "Demo", day(10)),
    ]

    assert renames_seen_in_runs(moves, None) == {"Qualified": "Qualifying"}


def test_runs_show_rename_by_snapshot() -> None:
    moves = [Transition("D-2", "Lead", "Qualified", day(3))]
    snapshot = [DealSnapshot("D-2", "Qualifying", None, None, 5)]

    assert renames_seen_in_runs(moves, snapshot) == {"Qualified": "Qualifying"}


def test_runs_show_renames_followed_to_latest() -> None:
    moves = [
        Transition("D-1", "Lead", "Qualified", day(3)),
        Transition("D-1", "Qualifying", "Demo", day(10)),
        Transition("D-2", "Lead", "Qualifying", day(11)),
        Transition("D-2", "Qualification", "Demo", day(20)),
    ]

    assert renames_seen_in_runs(moves, None) == {
        "Qualified": "Qualification",
        "Qualifying": "Qualification",
    }


def test_runs_show_no_rename_back_and_forth() -> None:
    moves = [
        Transition("D-1", "Lead", "Demo", day(3)),
        Transition("D-1", "Showcase", "Proposal", day(10)),
        Transition("D-2", "Lead", "Showcase", day(11)),
        Transition("D-2", "Demo", "Proposal", day(20)),
    ]

    assert renames_seen_in_runs(moves, None) == {}


def unknown_stage_warning(rules_tab: str | None) -> str | None:
    """Return the warning after a run saw two deals in the removed 'Demo'."""
    source = SourceConfig(tab="Deals", rules_tab=rules_tab)
    pipeline = PIPELINE.model_copy(update={"source": source})
    previous = [
        DealSnapshot("D-1", "Demo", None, None, 4),
        DealSnapshot("D-2", "Demo", None, None, 5),
        DealSnapshot("D-3", "Lead", None, None, 6),
    ]
    return describe_unknown_recorded_stages(StageHistory(previous), pipeline)


def test_unknown_stage_warning_covers_removal() -> None:
    assert unknown_stage_warning(None) == (
        "The last recorded run saw deals in stages that the definition no "
        "longer names: 'Demo' (2 deals). If a stage was renamed, add its old "
        "name to the aliases of the new stage in the definition. Otherwise the "
        "Stage log records its deals as moved to the new name, and their time "
        "in stage starts again. If a stage was removed, move its deals to a "
        "stage that the definition names, or add the stage back to the "
        "definition's stages. Until then each row that still names it gets an "
        "unknown-stage finding, and the Stage log keeps its deals in the "
        "removed stage."
    )


def test_unknown_stage_warning_names_rules_tab() -> None:
    warning = unknown_stage_warning("Rules")

    assert warning is not None
    assert (
        "add its old name to the Aliases column of the new stage's row in tab 'Rules'."
    ) in warning
    assert "or add the stage back to the Stage table of tab 'Rules'." in warning
