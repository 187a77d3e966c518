from __future__ import annotations

import datetime as dt
import unicodedata

import pytest

from rules.history import StayEnd, Transition
from rules.retyped_ids import (
    RetypedId,
    latest_id_of,
    merge_retyped_ids,
    rekey_ended_stay_starts,
    retyped_id_findings,
    retypes_of,
)
from tests.rules.builders import build_columns, build_deal, build_pipeline

LEAD = "Lead"
PROPOSAL = "Proposal"
WON = "Closed Won"


def day(number: int) -> dt.date:
    return dt.date(2026, 12, number)


def retyped_log(old_id: str, new_id: str) -> list[Transition]:
    """Return a log where ``old_id`` won on day 1 and was retyped on day 2."""
    return [
        Transition(old_id, None, LEAD, day(1)),
        Transition("B-7", None, LEAD, day(1)),
        Transition(old_id, LEAD, WON, day(1)),
        Transition(old_id, WON, None, day(2)),
        Transition(new_id, None, WON, day(2)),
    ]


@pytest.mark.parametrize(
    ("old_id", "new_id"),
    [
        ("A2", "a2"),
        ("A-2", "a-2"),
        ("A-2", "A - 2"),
        ("A-2", "A 2"),
        ("A-2", "a2"),
        ("A-1-2", "A1-2"),
        ("INV-2024-001", "INV 2024-001"),
        ("客户-2", "客户 2"),
        ("A-2", "Ａ-２"),
        ("A-2", "A\u20102"),
        ("客户-2", "客户 -2"),
        ("42", "D-0042"),
        ("123", "00123"),
        ("D-0042", "42"),
    ],
    ids=[
        "case",
        "case-with-dash",
        "spaces",
        "dash-as-space",
        "dash-dropped",
        "one-of-two-dashes-dropped",
        "dash-as-space-of-two",
        "dash-as-space-chinese",
        "full-width",
        "unicode-dash",
        "chinese",
        "number-given-prefix",
        "number-given-zeros",
        "number-lost-prefix",
    ],
)
def test_retyped_id_found(old_id: str, new_id: str) -> None:
    found = merge_retyped_ids(retyped_log(old_id, new_id)).retyped

    assert found == [RetypedId(old_id, new_id, day(2))]


@pytest.mark.parametrize(
    "log",
    [
        [
            Transition("A2", None, WON, day(1)),
            Transition("A2", WON, None, day(2)),
            Transition("a2", None, WON, day(3)),
        ],
        [
            Transition("A2", None, WON, day(1)),
            Transition("A2", WON, None, day(2)),
            Transition("A2", None, WON, day(3)),
        ],
        [
            Transition("A2", None, WON, day(1)),
            Transition("A2", WON, None, day(2)),
            Transition("a3", None, WON, day(2)),
        ],
        [
            Transition("A2", None, WON, day(1)),
            Transition("A 2", None, LEAD, day(1)),
            Transition("A2", WON, None, day(2)),
            Transition("A 2", LEAD, None, day(2)),
            Transition("a2", None, WON, day(2)),
        ],
        [
            Transition("A2", None, WON, day(1)),
            Transition("A2", WON, None, day(2)),
            Transition("a2", None, WON, day(2)),
            Transition("a 2", None, LEAD, day(2)),
        ],
        [
            Transition("A2", None, WON, day(1)),
            Transition("a2", None, LEAD, day(1)),
            Transition("a2", LEAD, None, day(2)),
            Transition("A2", WON, None, day(3)),
            Transition("a2", None, WON, day(3)),
        ],
        [
            Transition("A2", None, WON, day(1)),
            Transition("a2", None, WON, day(1)),
        ],
        [
            Transition("42", None, WON, day(1)),
            Transition("42", WON, None, day(2)),
            Transition("D-0042", None, WON, day(2)),
            Transition("Q-42", None, LEAD, day(2)),
        ],
        [
            Transition("A-42", None, WON, day(1)),
            Transition("A-42", WON, None, day(2)),
            Transition("D-0042", None, WON, day(2)),
        ],
        [
            Transition("42", None, WON, day(1)),
            Transition("42", WON, None, day(2)),
            Transition("D-0043", None, WON, day(2)),
        ],
        [
            Transition("42", None, WON, day(1)),
            Transition("42", WON, None, day(2)),
            Transition("2025-42", None, WON, day(2)),
        ],
        [
            Transition("2024-1-23", None, WON, day(1)),
            Transition("2024-1-23", WON, None, day(2)),
            Transition("2024-12-3", None, LEAD, day(2)),
        ],
        [
            Transition("AB 12", None, WON, day(1)),
            Transition("AB 12", WON, None, day(2)),
            Transition("A B12", None, LEAD, day(2)),
        ],
    ],
    ids=[
        "on-another-day",
        "same-id-back",
        "other-id",
        "two-removed",
        "two-added",
        "added-id-seen-before",
        "both-on-sheet",
        "two-numbers-added",
        "neither-number-bare",
        "other-number",
        "two-digit-runs",
        "dash-moved",
        "space-moved",
    ],
)
def test_retyped_id_not_found(log: list[Transition]) -> None:
    merged = merge_retyped_ids(log)

    assert merged.retyped == []
    assert merged.transitions is log


def test_log_without_removal_unchanged() -> None:
    log = [Transition("A2", None, LEAD, day(1)), Transition("a2", None, LEAD, day(2))]

    merged = merge_retyped_ids(log)

    assert merged.retyped == []
    assert merged.transitions is log


def test_merge_keeps_history_under_new_id() -> None:
    log = [*retyped_log("A2", "a2"), Transition("a2", WON, LEAD, day(3))]

    merged = merge_retyped_ids(log).transitions

    assert merged == [
        Transition("a2", None, LEAD, day(1)),
        Transition("B-7", None, LEAD, day(1)),
        Transition("a2", LEAD, WON, day(1)),
        Transition("a2", WON, LEAD, day(3)),
    ]


def test_merge_retype_with_stage_change() -> None:
    log = [
        Transition("A2", None, LEAD, day(1)),
        Transition("A2", LEAD, None, day(2)),
        Transition("a2", None, PROPOSAL, day(2)),
    ]

    merged = merge_retyped_ids(log).transitions

    assert merged == [
        Transition("a2", None, LEAD, day(1)),
        Transition("a2", LEAD, PROPOSAL, day(2)),
    ]


def test_old_id_added_later_is_new_deal() -> None:
    log = [
        *retyped_log("A2", "a2"),
        Transition("A2", None, LEAD, day(4)),
    ]

    merged = merge_retyped_ids(log).transitions

    assert [move.deal_id for move in merged] == ["a2", "B-7", "a2", "A2"]


def test_id_retyped_back() -> None:
    log = [
        *retyped_log("A2", "a2"),
        Transition("a2", WON, None, day(5)),
        Transition("A2", None, WON, day(5)),
    ]

    merged, found = merge_retyped_ids(log)

    assert found == [RetypedId("A2", "a2", day(2)), RetypedId("a2", "A2", day(5))]
    assert merged == [
        Transition("A2", None, LEAD, day(1)),
        Transition("B-7", None, LEAD, day(1)),
        Transition("A2", LEAD, WON, day(1)),
    ]


def test_ended_stay_starts_follow_new_id() -> None:
    log = [
        Transition("A2", None, LEAD, day(1)),
        Transition("A2", LEAD, PROPOSAL, day(3)),
        Transition("A2", PROPOSAL, None, day(4)),
        Transition("a2", None, WON, day(4)),
        Transition("A2", None, LEAD, day(6)),
        Transition("A2", LEAD, None, day(7)),
    ]
    starts = {
        StayEnd("A2", LEAD, day(3)): day(1),
        StayEnd("A2", PROPOSAL, day(4)): day(2),
        StayEnd("A2", LEAD, day(7)): day(5),
        StayEnd("B-7", LEAD, day(3)): day(1),
    }

    rekeyed = rekey_ended_stay_starts(starts, merge_retyped_ids(log).retyped)

    assert rekeyed == {
        StayEnd("a2", LEAD, day(3)): day(1),
        StayEnd("a2", PROPOSAL, day(4)): day(2),
        StayEnd("A2", LEAD, day(7)): day(5),
        StayEnd("B-7", LEAD, day(3)): day(1),
    }


CHAIN = [
    RetypedId("W-1", "w-1", day(3)),
    RetypedId("A2", "a2", day(4)),
    RetypedId("w-1", "W 1", day(5)),
    RetypedId("a2", "A2", day(6)),
]


@pytest.mark.parametrize(
    ("deal_id", "expected"),
    [("W 1", [0, 2]), ("A2", [1, 3]), ("w-1", []), ("B-7", [])],
    ids=["twice-retyped", "retyped-back", "retyped-away", "never-retyped"],
)
def test_retypes_of_deal(deal_id: str, expected: list[int]) -> None:
    assert retypes_of(deal_id, CHAIN) == [CHAIN[index] for index in expected]


@pytest.mark.parametrize(
    ("deal_id", "expected"),
    [("W-1", "W 1"), ("w-1", "W 1"), ("A2", "A2"), ("B-7", "B-7")],
    ids=["twice-retyped", "once-retyped", "retyped-back", "never-retyped"],
)
def test_latest_id_of_deal(deal_id: str, expected: str) -> None:
    assert latest_id_of(deal_id, CHAIN) == expected


def test_many_retypes_on_one_day() -> None:
    count = 100
    log = [Transition(f"a-{i}", None, LEAD, day(1)) for i in range(count)]
    log += [Transition(f"a-{i}", LEAD, None, day(2)) for i in range(count)]
    log += [Transition(f"A-{i}", None, WON, day(2)) for i in range(count)]

    merged = merge_retyped_ids(log)

    assert len(merged.retyped) == count
    assert merged.transitions[:2] == [
        Transition("A-0", None, LEAD, day(1)),
        Transition("A-1", None, LEAD, day(1)),
    ]
    assert merged.transitions[count:] == [
        Transition(f"A-{i}", LEAD, WON, day(2)) for i in range(count)
    ]


def test_retype_from_nfd_gets_no_warning() -> None:
    # Earlier versions logged an ID stored in NFD apart from its NFC form.
    pipeline = build_pipeline()
    composed = "MÜN-1"
    decomposed = unicodedata.normalize("NFD", composed)
    retyped = [RetypedId(decomposed, composed, day(2)), RetypedId("a-2", "A-2", day(2))]
    tracked = {
        composed: build_deal(pipeline, 4, composed, LEAD),
        "A-2": build_deal(pipeline, 5, "A-2", LEAD),
    }

    findings = retyped_id_findings(retyped, tracked, build_columns(pipeline), day(1))

    assert [finding.row for finding in findings] == [5]
