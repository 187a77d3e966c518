"""Find amount columns whose cells carry different currency marks.

The amount parser reads ``$1,000``, ``¥1,000,000``, ``R$ 1.000,00`` and
``1.000,00 €`` alike as plain numbers, so a column that mixes them would be
summed as one currency. Each mark belongs to one currency, which messages show
by its sign (:data:`CURRENCY_MARKS`): ``$``, ``USD`` and ``US$`` are ``$``,
and ``¥``, ``元``, ``CNY`` and ``RMB`` are ``¥`` (the yuan; ``JPY`` and ``円``
are the yen). A cell without a mark, numbers included, has no currency and is
never reported.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from rules.grid import CellValue
from rules.text_forms import normalize_text

# Currency marks as folded text, each with the sign that names its currency
# in messages. ISO codes come with the signs people type for them. "kr" is the
# Danish, Norwegian and Swedish crown alike.
CURRENCY_MARKS = {
    "$": "$",
    "usd": "$",
    "us$": "$",
    "€": "€",
    "eur": "€",
    "£": "£",
    "gbp": "£",
    "¥": "¥",
    "元": "¥",
    "人民币": "¥",
    "人民幣": "¥",
    "cny": "¥",
    "rmb": "¥",
    "jpy": "JPY",
    "円": "JPY",
    "r$": "R$",
    "brl": "R$",
    "chf": "CHF",
    "sfr.": "CHF",
    "fr.": "CHF",
    "c$": "C$",
    "cad": "C$",
    "a$": "A$",
    "aud": "A$",
    "nz$": "NZ$",
    "nzd": "NZ$",
    "hk$": "HK$",
    "hkd": "HK$",
    "s$": "S$",
    "sgd": "S$",
    "mx$": "MX$",
    "mxn": "MX$",
    "₹": "₹",
    "inr": "₹",
    "rs.": "₹",
    "rs": "₹",
    "₩": "₩",
    "krw": "₩",
    "₽": "₽",
    "rub": "₽",
    "₺": "₺",
    "try": "₺",
    "₪": "₪",
    "ils": "₪",
    "₱": "₱",
    "php": "₱",
    "৳": "৳",
    "bdt": "৳",
    "฿": "฿",
    "thb": "฿",
    "₫": "₫",
    "vnd": "₫",
    "zł": "zł",
    "pln": "zł",
    "kč": "Kč",
    "czk": "Kč",
    "kr": "kr",
    "sek": "SEK",
    "nok": "NOK",
    "dkk": "DKK",
    "zar": "ZAR",
    "aed": "AED",
    "rm": "RM",
    "myr": "RM",
    "nt$": "NT$",
    "twd": "NT$",
    "ft": "Ft",
    "huf": "Ft",
}
# Longest first, so that ``us$`` and ``r$`` are not read as ``$``.
MARKS_LONGEST_FIRST = sorted(CURRENCY_MARKS, key=len, reverse=True)
# The ISO 4217 currency codes, as folded text, each a currency of its own
# unless CURRENCY_MARKS gives its sign. From the iso_4217.json of Debian's
# iso-codes 4.15.0, without XTS (for testing) and XXX (no currency).
ISO_4217_CODES = frozenset(
    {
        "aed",
        "afn",
        "all",
        "amd",
        "ang",
        "aoa",
        "ars",
        "aud",
        "awg",
        "azn",
        "bam",
        "bbd",
        "bdt",
        "bgn",
        "bhd",
        "bif",
        "bmd",
        "bnd",
        "bob",
        "bov",
        "brl",
        "bsd",
        "btn",
        "bwp",
        "byn",
        "bzd",
        "cad",
        "cdf",
        "che",
        "chf",
        "chw",
        "clf",
        "clp",
        "cny",
        "cop",
        "cou",
        "crc",
        "cuc",
        "cup",
        "cve",
        "czk",
        "djf",
        "dkk",
        "dop",
        "dzd",
        "egp",
        "ern",
        "etb",
        "eur",
        "fjd",
        "fkp",
        "gbp",
        "gel",
        "ghs",
        "gip",
        "gmd",
        "gnf",
        "gtq",
        "gyd",
        "hkd",
        "hnl",
        "hrk",
        "htg",
        "huf",
        "idr",
        "ils",
        "inr",
        "iqd",
        "irr",
        "isk",
        "jmd",
        "jod",
        "jpy",
        "kes",
        "kgs",
        "khr",
        "kmf",
        "kpw",
        "krw",
        "kwd",
        "kyd",
        "kzt",
        "lak",
        "lbp",
        "lkr",
        "lrd",
        "lsl",
        "lyd",
        "mad",
        "mdl",
        "mga",
        "mkd",
        "mmk",
        "mnt",
        "mop",
        "mru",
        "mur",
        "mvr",
        "mwk",
        "mxn",
        "mxv",
        "myr",
        "mzn",
        "nad",
        "ngn",
        "nio",
        "nok",
        "npr",
        "nzd",
        "omr",
        "pab",
        "pen",
        "pgk",
        "php",
        "pkr",
        "pln",
        "pyg",
        "qar",
        "ron",
        "rsd",
        "rub",
        "rwf",
        "sar",
        "sbd",
        "scr",
        "sdg",
        "sek",
        "sgd",
        "shp",
        "sle",
        "sll",
        "sos",
        "srd",
        "ssp",
        "stn",
        "svc",
        "syp",
        "szl",
        "thb",
        "tjs",
        "tmt",
        "tnd",
        "top",
        "try",
        "ttd",
        "twd",
        "tzs",
        "uah",
        "ugx",
        "usd",
        "usn",
        "uyi",
        "uyu",
        "uyw",
        "uzs",
        "ved",
        "ves",
        "vnd",
        "vuv",
        "wst",
        "xaf",
        "xag",
        "xau",
        "xba",
        "xbb",
        "xbc",
        "xbd",
        "xcd",
        "xdr",
        "xof",
        "xpd",
        "xpf",
        "xpt",
        "xsu",
        "xua",
        "yer",
        "zar",
        "zmw",
        "zwl",
    }
)
# ISO 4217 codes that are also English words. Such a code reads only in
# capitals, beside the digits, as the text's only letters: "ALL 5,000" and
# "5,000 TRY" read, "all 5000", "TOP 50k" and "try 500" do not.
WORD_CODES = frozenset(
    {
        "all",
        "bam",
        "bob",
        "cop",
        "cup",
        "gel",
        "mad",
        "mop",
        "pen",
        "ron",
        "sos",
        "top",
        "try",
    }
)
# Three capitals at an end of text, not part of a longer word. Other ISO
# codes than those of CURRENCY_MARKS read only in capitals, as ISO writes them.
_LEADING_CODE = re.compile(r"[A-Z]{3}(?![^\W\d_])")
_TRAILING_CODE = re.compile(r"(?<![^\W\d_])[A-Z]{3}$")
# Marks that may wrap a number besides currency: signs and parentheses.
_WRAPPERS = "+-\u2212()"


def currency_of(cell: CellValue) -> str | None:
    """Return the currency sign of an amount typed as text, or None without a mark.

    >>> currency_of("USD 1,200"), currency_of("(1.2万元)"), currency_of("SAR 5")
    ('$', '¥', 'SAR')
    >>> currency_of("sar 5"), currency_of("top 50k"), currency_of("ALL 5,000")
    (None, None, 'ALL')
    """
    if not isinstance(cell, str):
        return None
    text = normalize_text(cell).strip(_WRAPPERS + " ")
    mark = leading_mark(text) or trailing_mark(text)
    return None if mark is None else sign_of(mark)


def sign_of(mark: str) -> str:
    """Return the sign that names the currency of a folded mark in messages."""
    return CURRENCY_MARKS.get(mark) or mark.upper()


def leading_mark(text: str) -> str | None:
    """Return the folded currency mark that ``text`` starts with, or None.

    ``text`` is in :func:`~rules.text_forms.normalize_text` form, case kept.
    The marks of :data:`CURRENCY_MARKS` read in any case, other ISO 4217
    codes in capitals only, and :data:`WORD_CODES` as described there. A mark
    that ends in a letter counts only before a character other than a letter,
    so ``ALL`` (the lek's code) is no mark of ``ALLOW``.
    """
    folded = _fold_in_place(text)
    for mark in MARKS_LONGEST_FIRST:
        if folded.startswith(mark) and not _joins_word(mark[-1], text[len(mark) :][:1]):
            rest = text[len(mark) :]
            if _reads_as_code(mark, text[: len(mark)], rest.lstrip()[:1], rest):
                return mark
            return None
    match = _LEADING_CODE.match(text)
    if match is None or match[0].casefold() not in ISO_4217_CODES:
        return None
    rest = text[3:]
    code = match[0].casefold()
    return code if _reads_as_code(code, match[0], rest.lstrip()[:1], rest) else None


def trailing_mark(text: str) -> str | None:
    """Return the folded currency mark that ``text`` ends with, or None.

    Marks read as in :func:`leading_mark`. A mark that starts with a letter
    counts only after a character other than a letter, so ``rs`` (the
    rupee's) is no mark of ``1,000 dollars``.
    """
    folded = _fold_in_place(text)
    for mark in MARKS_LONGEST_FIRST:
        if folded.endswith(mark) and not _joins_word(mark[0], text[: -len(mark)][-1:]):
            rest = text[: -len(mark)]
            if _reads_as_code(mark, text[-len(mark) :], rest.rstrip()[-1:], rest):
                return mark
            return None
    match = _TRAILING_CODE.search(text)
    if match is None or match[0].casefold() not in ISO_4217_CODES:
        return None
    rest = text[:-3]
    code = match[0].casefold()
    return code if _reads_as_code(code, match[0], rest.rstrip()[-1:], rest) else None


def is_currency_code(text: str) -> bool:
    """Return whether ``text`` is an ISO 4217 code in any case, such as ``usd``."""
    return text.casefold() in ISO_4217_CODES


def _reads_as_code(mark: str, typed: str, beside: str, rest: str) -> bool:
    """Return whether a mark of :data:`WORD_CODES` typed as ``typed`` reads.

    ``beside`` is the character next to the mark past any spaces, and
    ``rest`` the text without the mark. Any other mark reads.
    """
    if mark not in WORD_CODES:
        return True
    return (
        typed.isupper()
        and beside.isdigit()
        and not any(character.isalpha() for character in rest)
    )


def _fold_in_place(text: str) -> str:
    """Return ``text`` casefolded, each character in its place.

    A character whose casefolded form is longer, such as ``ß``, stays as it
    is, so that an index into the result is one into ``text``.
    """
    folded = text.casefold()
    if len(folded) == len(text):
        return folded
    return "".join(
        character.casefold() if len(character.casefold()) == 1 else character
        for character in text
    )


def _joins_word(edge: str, neighbour: str) -> bool:
    return (
        edge.isascii()
        and edge.isalpha()
        and neighbour.isascii()
        and neighbour.isalpha()
    )


class CurrencyMix(NamedTuple):
    """The currencies of an amount column whose cells carry two or more.

    ``main`` is the most common currency, or None when two or more are equally
    common. Then ``tied`` lists those currencies in sign order, each carried by
    ``tied_count`` cells. ``currencies`` is each cell's currency, None without
    a mark.
    """

    main: str | None
    tied: tuple[str, ...]
    tied_count: int
    currencies: list[str | None]


def find_currency_mix(cells: Sequence[CellValue]) -> CurrencyMix | None:
    """Return the cells' currencies and the most common one, if they mix two or more.

    Returns None when the cells carry one currency or none. The result depends
    only on how many cells carry each currency, so sorting the rows changes no
    more than the order of ``currencies``.

    >>> find_currency_mix(["$5", "¥700", 3.0, "USD 2"])
    CurrencyMix(main='$', tied=(), tied_count=0, currencies=['$', '¥', None, '$'])
    >>> find_currency_mix(["€5", "$700"]).tied
    ('$', '€')
    """
    # Each distinct text is read once, and a column with fewer than two
    # currencies is done before any per-cell work. filter runs in C, so a column
    # of 100k numbers takes about 3 ms (measured on a 2-core VM).
    texts = set(filter(str.__instancecheck__, cells))
    signs = {text: currency_of(text) for text in texts}
    if len(set(signs.values()) - {None}) < 2:
        return None

    currencies = [signs.get(cell) if isinstance(cell, str) else None for cell in cells]
    counts = Counter(currency for currency in currencies if currency is not None)
    top_count = max(counts.values())
    top = sorted(currency for currency, count in counts.items() if count == top_count)
    if len(top) == 1:
        return CurrencyMix(top[0], (), 0, currencies)
    return CurrencyMix(None, tuple(top), top_count, currencies)
