from __future__ import annotations

import pytest

from rules.close_spellings import CloseSpellings, is_one_typo_apart


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("qualifed", "qualified", True),
        ("qualified", "qualifed", True),
        ("qualifeid", "qualified", True),
        ("qualifiec", "qualified", True),
        ("xualified", "qualified", True),
        ("qualified", "qualified", False),
        ("qualifdie", "qualified", False),
        ("qualify", "qualified", False),
        ("delta", "beta", False),
        ("", "a", True),
    ],
    ids=[
        "dropped",
        "added",
        "swapped",
        "last-replaced",
        "first-replaced",
        "equal",
        "two-swaps-apart",
        "two-apart",
        "two-edits",
        "empty",
    ],
)
def test_one_typo_apart(first: str, second: str, expected: bool) -> None:
    assert is_one_typo_apart(first, second) is expected


def test_nearest_keeps_list_spelling() -> None:
    spellings = CloseSpellings(["Ａｃｍｅ, Inc.", "Beta"])

    assert spellings.nearest("acme inc") == "Ａｃｍｅ, Inc."
    assert spellings.nearest("Delta") is None
