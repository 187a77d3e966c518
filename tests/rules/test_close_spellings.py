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


@pytest.mark.parametrize(
    ("typed", "allowed"),
    [
        ("C++ course", ["C# course"]),
        ("Team plan", ["Team+ plan"]),
        ("Team+ plan", ["Team plan"]),
        ("R&D package", ["RD package"]),
    ],
    ids=["plus-for-hash", "symbol-missing", "symbol-added", "ampersand"],
)
def test_nearest_keeps_symbols_apart(typed: str, allowed: list[str]) -> None:
    assert CloseSpellings(allowed).nearest(typed) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("c++ Course", "C++ course"),
        ("c#-course", "C# course"),
        ("team_plus.plan", "Team Plus Plan"),
        ("C++ cuorse", "C++ course"),
    ],
    ids=["case-and-space", "dash", "underscore-and-dot", "letter-typo"],
)
def test_nearest_folds_joining_punctuation(typed: str, expected: str) -> None:
    spellings = CloseSpellings(["C++ course", "C# course", "Team Plus Plan"])

    assert spellings.nearest(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Sean O\u2019Brien referral", "Sean O'Brien referral"),
        ("Partner EU", "Partner (EU)"),
        ('"Acme" deal', "Acme deal"),
    ],
    ids=["curly-apostrophe", "brackets", "quotes"],
)
def test_nearest_folds_quotes_and_brackets(typed: str, expected: str) -> None:
    spellings = CloseSpellings(["Sean O'Brien referral", "Partner (EU)", "Acme deal"])

    assert spellings.nearest(typed) == expected


def test_values_sharing_spelling_get_no_suggestion() -> None:
    spellings = CloseSpellings(["Partner EU", "Partner (EU)"])

    assert spellings.nearest("Partner(EU)") is None


@pytest.mark.parametrize(
    "typed",
    [
        "Trade show \u201eBig\u201c",
        "Trade show \u00abBig\u00bb",
        "Trade show \u2033Big\u2033",
    ],
    ids=["german-quotes", "guillemets", "double-prime"],
)
def test_nearest_folds_other_quotes(typed: str) -> None:
    spellings = CloseSpellings(['Trade show "Big"'])

    assert spellings.nearest(typed) == 'Trade show "Big"'
