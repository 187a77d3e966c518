from __future__ import annotations

import datetime as dt

import pytest

from config.models import Locale, Pipeline, TransitionPolicy
from rules.deals import Deal
from rules.findings import Code, Finding, Severity, join_items
from rules.history import DealSnapshot, Transition
from rules.messages import render_message, render_short
from rules.transitions import check_transitions, diff_snapshots, snapshot_deals
from tests.rules.builders import build_columns, build_deal, build_pipeline
from tests.rules.stage_week import (
    LEAD,
    LOST,
    PROPOSAL,
    QUALIFIED,
    SUNDAY,
    WEEK,
    WON,
    deals_on,
    run_week,
)

PIPELINE = build_pipeline()
COLUMNS = build_columns(PIPELINE)
STRICT = build_pipeline(
    transitions=TransitionPolicy(allow_skips=False, allow_moves_back=False)
)
MONDAY, TUESDAY, THURSDAY = WEEK[0], WEEK[1], WEEK[3]


def day(number: int) -> dt.date:
    """Return 2025-09-``number``, a day of the test week."""
    return dt.date(2025, 9, number)


def snapshot(deal_id: str, stage: str | None, row: int = 4) -> DealSnapshot:
    return DealSnapshot(deal_id, stage, owner=None, amount=None, row=row)


def summary(findings: list[Finding]) -> list[tuple[int | None, Code, dict[str, str]]]:
    return [(finding.row, finding.code, finding.params) for finding in findings]


def with_policy(pipeline: Pipeline, skips: bool, moves_back: bool) -> Pipeline:
    policy = TransitionPolicy(allow_skips=skips, allow_moves_back=moves_back)
    return pipeline.model_copy(update={"transitions": policy})


# snapshot_deals


def test_snapshot_keeps_unique_ids_only() -> None:
    deals = [
        build_deal(PIPELINE, 4, "D-1", LEAD),
        build_deal(PIPELINE, 5, "  ", LEAD),
        build_deal(PIPELINE, 6, None, LEAD),
        build_deal(PIPELINE, 7, " D-3 ", LEAD),
        build_deal(PIPELINE, 8, "D-3", LEAD),
        build_deal(PIPELINE, 9, "d-1", LEAD),
    ]

    snapshots = snapshot_deals(deals)

    assert [item.deal_id for item in snapshots] == ["D-1", "d-1"]


def test_snapshot_trims_deal_id() -> None:
    snapshots = snapshot_deals([build_deal(PIPELINE, 4, " D-1 ", LEAD)])

    assert snapshots[0].deal_id == "D-1"


@pytest.mark.parametrize(
    ("stage", "raw_stage", "expected"),
    [
        (LEAD, " lead ", LEAD),
        (None, " Negotiaton ", "Negotiaton"),
        (None, "   ", None),
        (None, None, None),
    ],
    ids=["known-canonical", "unknown-as-typed", "blank-spaces", "empty"],
)
def test_snapshot_stage_label(
    stage: str | None, raw_stage: str | None, expected: str | None
) -> None:
    deal = build_deal(PIPELINE, 4, "D-1", stage, raw={"stage": raw_stage})

    snapshots = snapshot_deals([deal])

    assert snapshots[0].stage == expected


def test_snapshot_records_owner_amount_row() -> None:
    deal = build_deal(PIPELINE, 7, "D-1", LEAD, owner="Ana Lima", amount=12000)

    snapshots = snapshot_deals([deal])

    assert snapshots == [DealSnapshot("D-1", LEAD, "Ana Lima", 12000.0, 7)]


def test_snapshot_blank_owner_amount_are_none() -> None:
    deal = build_deal(PIPELINE, 7, "D-1", LEAD, owner="", raw={"amount": "12k?"})

    snapshots = snapshot_deals([deal])

    assert snapshots == [DealSnapshot("D-1", LEAD, None, None, 7)]


def test_snapshot_comes_in_row_order() -> None:
    deals = [
        build_deal(PIPELINE, 9, "D-9", LEAD),
        build_deal(PIPELINE, 4, "D-4", LEAD),
    ]

    snapshots = snapshot_deals(deals)

    assert [item.row for item in snapshots] == [4, 9]


# diff_snapshots


def test_week_transitions_match_hand_list() -> None:
    transitions = run_week()

    assert transitions == [
        Transition("D-01", None, LEAD, day(1)),
        Transition("D-02", None, LEAD, day(1)),
        Transition("D-03", None, QUALIFIED, day(1)),
        Transition("D-05", None, PROPOSAL, day(1)),
        Transition("D-06", None, LEAD, day(1)),
        Transition("D-07", None, WON, day(1)),
        Transition("D-02", LEAD, PROPOSAL, day(2)),
        Transition("D-07", WON, PROPOSAL, day(2)),
        Transition("D-01", LEAD, QUALIFIED, day(3)),
        Transition("D-03", QUALIFIED, WON, day(3)),
        Transition("D-04", None, LEAD, day(3)),
        Transition("D-02", PROPOSAL, LEAD, day(4)),
        Transition("D-05", PROPOSAL, None, day(4)),
        Transition("D-01", QUALIFIED, PROPOSAL, day(5)),
        Transition("D-06", LEAD, LOST, day(5)),
        Transition("D-02", LEAD, PROPOSAL, day(6)),
    ]


def test_diff_first_run_enters_every_stage() -> None:
    current = [snapshot("D-2", PROPOSAL, 4), snapshot("D-1", LEAD, 5)]

    transitions = diff_snapshots(None, current, MONDAY)

    assert transitions == [
        Transition("D-1", None, LEAD, MONDAY),
        Transition("D-2", None, PROPOSAL, MONDAY),
    ]


def test_diff_after_empty_sheet_enters_every_stage() -> None:
    transitions = diff_snapshots([], [snapshot("D-1", LEAD)], TUESDAY)

    assert transitions == [Transition("D-1", None, LEAD, TUESDAY)]


def test_diff_unchanged_sheet_gives_nothing() -> None:
    sheet = [snapshot("D-1", LEAD, 4), snapshot("D-2", "Negotiaton", 5)]
    moved_rows = [snapshot("D-2", "Negotiaton", 4), snapshot("D-1", LEAD, 5)]

    transitions = diff_snapshots(sheet, moved_rows, TUESDAY)

    assert transitions == []


def test_diff_equal_snapshots_give_nothing() -> None:
    sheet = [snapshot("D-1", LEAD, 4), snapshot("D-2", None, 5)]

    transitions = diff_snapshots(sheet, list(sheet), TUESDAY)

    assert transitions == []


def test_diff_same_rows_one_stage_changed() -> None:
    previous = [snapshot("D-1", LEAD, 4), snapshot("D-2", LEAD, 5)]
    current = [snapshot("D-1", LEAD, 4), snapshot("D-2", QUALIFIED, 5)]

    transitions = diff_snapshots(previous, current, TUESDAY)

    assert transitions == [Transition("D-2", LEAD, QUALIFIED, TUESDAY)]


def test_diff_ignores_owner_and_amount() -> None:
    previous = [DealSnapshot("D-1", LEAD, owner="Ana", amount=10.0, row=4)]
    current = [DealSnapshot("D-1", LEAD, owner="Ben", amount=20.0, row=4)]

    transitions = diff_snapshots(previous, current, TUESDAY)

    assert transitions == []


def test_diff_orders_by_deal_id() -> None:
    previous = [snapshot("D-3", LEAD), snapshot("D-1", LEAD)]
    current = [snapshot("D-2", LEAD), snapshot("D-1", QUALIFIED)]

    transitions = diff_snapshots(previous, current, TUESDAY)

    assert [move.deal_id for move in transitions] == ["D-1", "D-2", "D-3"]


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        (
            [snapshot("D-2", LEAD, 4)],
            [snapshot("D-2", QUALIFIED, 4), snapshot("D-1", LEAD, 5)],
            [
                Transition("D-1", None, LEAD, day(2)),
                Transition("D-2", LEAD, QUALIFIED, day(2)),
            ],
        ),
        (
            [snapshot("D-1", LEAD, 4), snapshot("D-2", LEAD, 5)],
            [snapshot("D-2", LEAD, 4)],
            [Transition("D-1", LEAD, None, day(2))],
        ),
        (
            [snapshot("D-1", LEAD, 4), snapshot("D-1", WON, 5)],
            [snapshot("D-1", WON, 4), snapshot("D-1", WON, 5)],
            [],
        ),
        (
            [snapshot("D-1", LEAD, 4), snapshot("D-1", WON, 5)],
            [snapshot("D-1", LEAD, 4), snapshot("D-1", LEAD, 5)],
            [Transition("D-1", WON, LEAD, day(2))],
        ),
    ],
    ids=[
        "row-added-below",
        "row-deleted",
        "repeated-id-same-last-stage",
        "repeated-id-last-stage-changed",
    ],
)
def test_diff_row_changes_and_repeated_ids(
    previous: list[DealSnapshot],
    current: list[DealSnapshot],
    expected: list[Transition],
) -> None:
    transitions = diff_snapshots(previous, current, day(2))

    assert transitions == expected


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        ([snapshot("D-1", LEAD)], [snapshot("D-1", None)], []),
        (
            [snapshot("D-1", None)],
            [snapshot("D-1", LEAD)],
            [Transition("D-1", None, LEAD, day(2))],
        ),
        ([snapshot("D-1", None)], [], []),
        ([], [snapshot("D-1", None)], []),
        (
            [snapshot("D-1", LEAD)],
            [snapshot("D-1", "Negotiaton")],
            [Transition("D-1", LEAD, "Negotiaton", day(2))],
        ),
        (
            [snapshot("D-1", "Negotiaton")],
            [],
            [Transition("D-1", "Negotiaton", None, day(2))],
        ),
    ],
    ids=[
        "stage-blanked",
        "blank-stage-filled",
        "deleted-while-blank",
        "new-with-blank-stage",
        "into-unknown-stage",
        "deleted-in-unknown-stage",
    ],
)
def test_diff_blank_and_unknown_stages(
    previous: list[DealSnapshot],
    current: list[DealSnapshot],
    expected: list[Transition],
) -> None:
    transitions = diff_snapshots(previous, current, day(2))

    assert transitions == expected


# check_transitions on the week


@pytest.mark.parametrize(
    ("skips", "moves_back", "expected"),
    [
        (
            False,
            False,
            [
                (
                    5,
                    Code.STAGE_SKIPPED,
                    {"from": LEAD, "to": PROPOSAL, "skipped": QUALIFIED},
                ),
                (
                    6,
                    Code.STAGE_SKIPPED,
                    {"from": QUALIFIED, "to": WON, "skipped": PROPOSAL},
                ),
                (8, Code.MOVED_BACK, {"from": WON, "to": PROPOSAL}),
            ],
        ),
        (True, False, [(8, Code.MOVED_BACK, {"from": WON, "to": PROPOSAL})]),
        (
            False,
            True,
            [
                (
                    5,
                    Code.STAGE_SKIPPED,
                    {"from": LEAD, "to": PROPOSAL, "skipped": QUALIFIED},
                ),
                (
                    6,
                    Code.STAGE_SKIPPED,
                    {"from": QUALIFIED, "to": WON, "skipped": PROPOSAL},
                ),
            ],
        ),
        (True, True, []),
    ],
    ids=["strict", "skips-allowed", "moves-back-allowed", "anything-allowed"],
)
def test_week_findings_per_policy(
    skips: bool,
    moves_back: bool,
    expected: list[tuple[int, Code, dict[str, str]]],
) -> None:
    pipeline = with_policy(PIPELINE, skips, moves_back)

    findings = check_transitions(
        run_week(), deals_on(SUNDAY), COLUMNS, pipeline, SUNDAY
    )

    assert summary(findings) == expected


def test_default_policy_flags_moves_back_only() -> None:
    findings = check_transitions(
        run_week(), deals_on(SUNDAY), COLUMNS, PIPELINE, SUNDAY
    )

    assert summary(findings) == [(8, Code.MOVED_BACK, {"from": WON, "to": PROPOSAL})]


def test_week_replayed_to_thursday() -> None:
    findings = check_transitions(
        run_week(), deals_on(THURSDAY), COLUMNS, STRICT, THURSDAY
    )

    assert summary(findings) == [
        (5, Code.MOVED_BACK, {"from": PROPOSAL, "to": LEAD}),
        (6, Code.STAGE_SKIPPED, {"from": QUALIFIED, "to": WON, "skipped": PROPOSAL}),
        (8, Code.MOVED_BACK, {"from": WON, "to": PROPOSAL}),
    ]


def test_only_todays_transitions_flag_todays_moves() -> None:
    todays = [move for move in run_week() if move.seen_on == THURSDAY]

    findings = check_transitions(todays, deals_on(THURSDAY), COLUMNS, STRICT, THURSDAY)

    assert summary(findings) == [(5, Code.MOVED_BACK, {"from": PROPOSAL, "to": LEAD})]


def test_stage_skipped_finding_fields() -> None:
    findings = check_transitions(run_week(), deals_on(SUNDAY), COLUMNS, STRICT, SUNDAY)

    skipped = findings[0]
    assert skipped.severity is Severity.WARNING
    assert skipped.column == "Stage"
    assert skipped.value == PROPOSAL
    assert skipped.deal_id == "D-02"
    assert skipped.field == "stage"


@pytest.mark.parametrize(
    ("index", "message"),
    [
        (
            0,
            (
                "Stage moved from 'Lead' to 'Proposal', skipping Qualified; check "
                "that the skipped stages were done."
            ),
        ),
        (
            2,
            (
                "Stage moved back from 'Closed Won' to 'Proposal'; if that was a "
                "mistake, set it back to 'Closed Won'."
            ),
        ),
    ],
    ids=["stage-skipped", "moved-back"],
)
def test_week_finding_messages(index: int, message: str) -> None:
    findings = check_transitions(run_week(), deals_on(SUNDAY), COLUMNS, STRICT, SUNDAY)

    assert render_message(findings[index], Locale.EN) == message


def test_stage_skipped_short_message() -> None:
    findings = check_transitions(run_week(), deals_on(SUNDAY), COLUMNS, STRICT, SUNDAY)

    assert render_short(findings[0], Locale.EN) == "skipped Qualified"


# check_transitions: which moves are skips or moves back


def moved(
    pipeline: Pipeline, source: str, target: str, sheet_stage: str | None = None
) -> list[Finding]:
    """Check a deal that entered ``source`` on Monday and ``target`` on Tuesday."""
    transitions = [
        Transition("D-1", None, source, MONDAY),
        Transition("D-1", source, target, TUESDAY),
    ]
    sheet_label = sheet_stage or target
    known = {stage.name for stage in pipeline.stages}
    if sheet_label in known:
        deal = build_deal(pipeline, 4, "D-1", sheet_label)
    else:
        deal = build_deal(pipeline, 4, "D-1", None, raw={"stage": sheet_label})
    columns = build_columns(pipeline)
    return check_transitions(transitions, [deal], columns, pipeline, TUESDAY)


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        (LEAD, QUALIFIED, []),
        (LEAD, PROPOSAL, [(Code.STAGE_SKIPPED, QUALIFIED)]),
        (LEAD, WON, [(Code.STAGE_SKIPPED, join_items([QUALIFIED, PROPOSAL]))]),
        (QUALIFIED, WON, [(Code.STAGE_SKIPPED, PROPOSAL)]),
        (PROPOSAL, WON, []),
        (LEAD, LOST, []),
        (PROPOSAL, LOST, []),
        (PROPOSAL, LEAD, [(Code.MOVED_BACK, None)]),
        (QUALIFIED, LEAD, [(Code.MOVED_BACK, None)]),
        (WON, LEAD, [(Code.MOVED_BACK, None)]),
        (LOST, QUALIFIED, [(Code.MOVED_BACK, None)]),
        (WON, LOST, []),
        (LOST, WON, []),
        ("Negotiaton", PROPOSAL, []),
        (LEAD, "Negotiaton", []),
    ],
    ids=[
        "next-stage",
        "skip-one",
        "win-from-first",
        "win-skipping-one",
        "win-from-last-open",
        "lose-from-first",
        "lose-from-last-open",
        "back-two",
        "back-one",
        "won-to-open",
        "lost-to-open",
        "won-to-lost",
        "lost-to-won",
        "from-unknown",
        "to-unknown",
    ],
)
def test_move_kinds_under_strict_policy(
    source: str, target: str, expected: list[tuple[Code, str | None]]
) -> None:
    findings = moved(STRICT, source, target)

    kinds = [(finding.code, finding.params.get("skipped")) for finding in findings]
    assert kinds == expected


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        ("签约成交", "售后增购", []),
        ("售后增购", "签约成交", [Code.MOVED_BACK]),
        ("异议处理与谈判", "签约成交", []),
        ("方案报价", "售后增购", [Code.STAGE_SKIPPED]),
        ("签约成交", "丢单", []),
    ],
    ids=[
        "won-to-later-won",
        "won-to-earlier-won",
        "win-from-last-open",
        "win-skipping-two",
        "won-to-lost",
    ],
)
def test_move_kinds_in_chinese_pipeline(
    chinese_pipeline: Pipeline, source: str, target: str, expected: list[Code]
) -> None:
    pipeline = with_policy(chinese_pipeline, skips=False, moves_back=False)

    findings = moved(pipeline, source, target)

    assert [finding.code for finding in findings] == expected


def test_chinese_skip_names_open_stages_only(chinese_pipeline: Pipeline) -> None:
    pipeline = with_policy(chinese_pipeline, skips=False, moves_back=False)

    findings = moved(pipeline, "方案报价", "售后增购")

    assert findings[0].params["skipped"] == join_items(["试用体验", "异议处理与谈判"])


def test_move_matched_by_stage_alias(chinese_pipeline: Pipeline) -> None:
    pipeline = with_policy(chinese_pipeline, skips=False, moves_back=False)

    findings = moved(pipeline, "试用", "签约成交")

    assert findings[0].params == {
        "from": "试用体验",
        "to": "签约成交",
        "skipped": "异议处理与谈判",
    }


def test_sheet_ahead_of_log_gives_nothing() -> None:
    findings = moved(STRICT, LEAD, PROPOSAL, sheet_stage=QUALIFIED)

    assert findings == []


def test_blank_stage_gap_keeps_skip() -> None:
    transitions = [
        Transition("D-1", None, LEAD, day(1)),
        Transition("D-1", LEAD, PROPOSAL, day(2)),
        Transition("D-1", None, PROPOSAL, day(4)),
    ]
    deal = build_deal(STRICT, 4, "D-1", PROPOSAL)

    findings = check_transitions(transitions, [deal], COLUMNS, STRICT, day(4))

    assert summary(findings) == [
        (4, Code.STAGE_SKIPPED, {"from": LEAD, "to": PROPOSAL, "skipped": QUALIFIED})
    ]


def test_reappeared_deal_is_not_flagged() -> None:
    transitions = [
        Transition("D-1", None, PROPOSAL, day(1)),
        Transition("D-1", PROPOSAL, None, day(2)),
        Transition("D-1", None, LEAD, day(3)),
    ]
    deal = build_deal(STRICT, 4, "D-1", LEAD)

    findings = check_transitions(transitions, [deal], COLUMNS, STRICT, day(3))

    assert findings == []


def test_duplicate_rows_are_not_flagged() -> None:
    transitions = [Transition("D-1", LEAD, PROPOSAL, TUESDAY)]
    deals: list[Deal] = [
        build_deal(STRICT, 4, "D-1", PROPOSAL),
        build_deal(STRICT, 5, "D-1", PROPOSAL),
    ]

    findings = check_transitions(transitions, deals, COLUMNS, STRICT, TUESDAY)

    assert findings == []
