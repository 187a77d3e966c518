"""Labels of totals and subtotal rows: which words mark them, and where.

A totals row's label contains a totals word as a whole word: "Total",
"TOTAL:", "Total (USD)", "Q4 total", "Summe", "Σ", "合计". Excel's Data >
Subtotal ends its labels with the name of the function it used ("Ann
Total", "Lead Count", "Grand Average"). A label whose last word is one of
these marks a totals row by itself. A label with a totals word elsewhere
("Total EMEA", "Total Gym Supplies") may be a company's name, so the rows
read it as a totals label only in a row that also contains a number.
"""

from __future__ import annotations

import functools
import re

# Totals words, case-folded: English, German, Dutch, French, Italian,
# Spanish, Portuguese, the Nordic languages, Polish, Czech, Finnish and
# Russian, and the summation signs. German Excel's Data > Subtotal writes
# "Ergebnis" and "Gesamtergebnis". A word is compared whole, so "Totality"
# and "Summit" are no totals words.
TOTALS_WORDS = frozenset(
    {
        "total",
        "totals",
        "subtotal",
        "subtotals",
        "sub-total",
        "sub-totals",
        "sum",
        "sums",
        "gesamt",
        "insgesamt",
        "summe",
        "zwischensumme",
        "gesamtsumme",
        "endsumme",
        "ergebnis",
        "gesamtergebnis",
        "totaal",
        "subtotaal",
        "eindtotaal",
        "som",
        "somme",
        "sous-total",
        "totaux",
        "totale",
        "totali",
        "subtotale",
        "somma",
        "suma",
        "totales",
        "subtotales",
        "soma",
        "summa",
        "delsumma",
        "totalt",
        "yhteensä",
        "razem",
        "celkem",
        "součet",
        "итого",
        "всего",
        "сумма",
        "σ",
        "∑",
    }
)

# The names Excel's Data > Subtotal gives its functions in its labels. They
# mark a label only as its last word after another word, as in "Ann Count",
# because "Max" or "Count" alone is more likely a name.
SUBTOTAL_FUNCTION_WORDS = frozenset(
    {
        "count",
        "average",
        "max",
        "min",
        "product",
        "stddev",
        "stddevp",
        "var",
        "varp",
    }
)

# Chinese, Japanese and Korean totals words. These scripts put no spaces
# between words, so the words are searched in the label's text.
CJK_TOTALS_WORDS = (
    "汇总",
    "合计",
    "总计",
    "小计",
    "彙總",
    "合計",
    "總計",
    "小計",
    "総計",
    "합계",
    "소계",
    "총계",
)

# The separators between a label's words. Hyphens stay inside a word, so an
# ID such as "SUM-2024-001" is one word and no totals word.
_WORD_BREAK = re.compile(r"[\s()\[\]{}:：,;/|]+")


# A sheet repeats a few labels on many rows.
@functools.lru_cache(maxsize=4096)
def is_totals_label(text: str) -> bool:
    """Return True when ``text`` contains a totals word.

    >>> [is_totals_label(label) for label in ("Total (USD)", "Gesamt", "Totality")]
    [True, True, False]
    """
    words = _label_words(text)
    if any(word in TOTALS_WORDS for word in words):
        return True
    if len(words) > 1 and words[-1] in SUBTOTAL_FUNCTION_WORDS:
        return True
    joined = "".join(words)
    return any(word in joined for word in CJK_TOTALS_WORDS)


@functools.lru_cache(maxsize=4096)
def ends_with_totals_word(text: str) -> bool:
    """Return True when ``text`` ends with a totals word or a Data > Subtotal one.

    Such a label marks a totals row without a number beside it.

    >>> [ends_with_totals_word(label) for label in ("Ann Count", "Total EMEA")]
    [True, False]
    """
    words = _label_words(text)
    if not words:
        return False
    last = words[-1]
    if last in TOTALS_WORDS or (len(words) > 1 and last in SUBTOTAL_FUNCTION_WORDS):
        return True
    # Chinese labels may be spaced out to fill the cell: 合 计.
    return "".join(words).endswith(CJK_TOTALS_WORDS)


def _label_words(text: str) -> list[str]:
    words = (word.strip(".") for word in _WORD_BREAK.split(text.casefold()))
    return [word for word in words if word]
