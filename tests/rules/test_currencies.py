from __future__ import annotations

import pytest

from rules.currencies import CurrencyMix, currency_of, find_currency_mix
from rules.grid import CellValue


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("$1,000", "$"),
        ("USD 1,200", "$"),
        ("us$ 5", "$"),
        ("-$1,200", "$"),
        ("($1,200)", "$"),
        ("1.000,00 €", "€"),
        ("EUR 300", "€"),
        ("£40", "£"),
        ("gbp 40", "£"),
        ("¥1,000,000", "¥"),
        ("￥500", "¥"),
        ("(1.2万元)", "¥"),
        ("RMB 500", "¥"),
        ("人民币 500", "¥"),
        ("R$ 1.000,00", "R$"),
        ("CHF 1'000", "CHF"),
        ("C$ 50", "C$"),
        ("JPY 3000", "JPY"),
        ("1 200 kr", "kr"),
        ("₹1,20,000", "₹"),
        ("Rs. 1,00,000", "₹"),
        ("AED 1000", "AED"),
        ("RM 1000", "RM"),
        ("NT$ 1000", "NT$"),
        ("1000 Ft", "Ft"),
        ("Fr. 1000", "CHF"),
        ("SAR 5,000", "SAR"),
        ("1,000 KES", "KES"),
        ("1,000 kes", None),
        ("ALL 5,000", "ALL"),
        ("all 5000", None),
        ("TOP 50k", None),
        ("top 50k", None),
        ("50k top", None),
        ("TRY 500", "₺"),
        ("try 500", None),
        ("1,000 dollars", None),
        ("allowance 5", None),
        ("1,000", None),
        (1000.0, None),
        (None, None),
    ],
    ids=[
        "dollar",
        "usd",
        "us-dollar",
        "negative-dollar",
        "parenthesised-dollar",
        "euro-after",
        "eur",
        "pound",
        "gbp",
        "yen-yuan-sign",
        "full-width-yen",
        "yuan-character",
        "rmb",
        "renminbi",
        "brazilian-real-not-dollar",
        "swiss-franc",
        "canadian-dollar",
        "yen-code",
        "crowns",
        "rupee",
        "rupees-written",
        "dirham",
        "ringgit",
        "taiwan-dollar",
        "forint",
        "franc-written",
        "iso-code",
        "iso-code-after",
        "iso-code-lower-case",
        "word-code-in-capitals",
        "word-code-lower-case",
        "word-code-with-suffix",
        "word-code-lower-case-with-suffix",
        "word-code-after-in-lower-case",
        "word-code-listed",
        "word-code-listed-lower-case",
        "word-ending-in-mark",
        "word-starting-with-code",
        "no-mark",
        "number",
        "blank",
    ],
)
def test_currency_of_amount(cell: CellValue, expected: str | None) -> None:
    assert currency_of(cell) == expected


def test_currency_mix_has_most_common() -> None:
    mix = find_currency_mix(["¥5", "$1", "$2", None, "$3"])

    assert mix == CurrencyMix("$", (), 0, ["¥", "$", "$", None, "$"])


@pytest.mark.parametrize(
    "cells",
    [["$1", "USD 2", 3.0], ["1", 2.0, None], []],
    ids=["one-currency", "no-currency", "empty"],
)
def test_currency_mix_none_unless_mixed(cells: list[CellValue]) -> None:
    assert find_currency_mix(cells) is None


def test_real_and_dollar_are_two_currencies() -> None:
    mix = find_currency_mix(["R$ 5", "$5", "R$ 6"])

    assert mix == CurrencyMix("R$", (), 0, ["R$", "$", "R$"])


@pytest.mark.parametrize(
    "cells",
    [
        ["€5", "$5", "£5", "EUR 6", "USD 6"],
        ["USD 6", "£5", "EUR 6", "$5", "€5"],
    ],
    ids=["euro-first", "dollar-first"],
)
def test_currency_tie_has_no_main(cells: list[CellValue]) -> None:
    mix = find_currency_mix(cells)

    assert mix is not None
    assert mix.main is None
    assert mix.tied == ("$", "€")
    assert mix.tied_count == 2


def test_currency_mix_of_iso_codes() -> None:
    mix = find_currency_mix(["SAR 5", "SAR 7", "KES 1"])

    assert mix == CurrencyMix("SAR", (), 0, ["SAR", "SAR", "KES"])
