from __future__ import annotations

import pytest

from config.close_matches import closest_match, closest_value

STAGES = ["Lead", "Qualified", "Proposal", "Closed Won", "Closed Lost"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Qualifed", "Qualified"),
        ("Closed Los", "Closed Lost"),
        ("Closed", None),
        ("Xyzzy", None),
    ],
    ids=[
        "one-typo",
        "nearer-to-lost",
        "as-close-to-two",
        "nothing-close",
    ],
)
def test_closest_match_names_one_candidate(text: str, expected: str | None) -> None:
    assert closest_match(text, STAGES) == expected


def test_closest_match_ties_equal_ratios() -> None:
    assert closest_match("Stage", ["Stage 1", "Stage 2"]) is None
    assert closest_match("Stage1", ["Stage 1", "Stage 2"]) == "Stage 1"


def test_closest_match_respects_cutoff() -> None:
    assert closest_match("ownr", ["owner"], cutoff=0.85) == "owner"
    assert closest_match("own", ["owner"], cutoff=0.85) is None


def test_closest_value_groups_keys_of_one_value() -> None:
    stages = {
        "negotiation": "Negotiation",
        "negotiating": "Negotiation",
        "demonstration": "Demo",
    }

    assert closest_value("negotation", stages) == "Negotiation"
    assert closest_value("negotiatin", stages) == "Negotiation"


def test_closest_value_near_tie_below_cutoff() -> None:
    # 'closed' rates 0.75 against 'closed won' and 0.71 against 'closed lost',
    # so with a cutoff of 0.72 the runner-up still counts as a tie.
    stages = {"closed won": "Closed Won", "closed lost": "Closed Lost"}

    assert closest_value("closed", stages, cutoff=0.72) is None
