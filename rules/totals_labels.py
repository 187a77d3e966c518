"""Labels of totals and subtotal rows: which words mark them, and where.

A totals row's label contains a totals word as a whole word: "Total",
"TOTAL:", "Total (USD)", "Q4 total", "Summe", "Σ", "合计". Excel's Data >
Subtotal ends its labels with the name of the function it used ("Ann
Total", "Lead Count", "Grand Average"). A label whose last word is one of
these marks a totals row by itself. A label with a totals word elsewhere
("Total EMEA", "Total Gym Supplies") may be a company's name, so the rows
read it as a totals label only in a row that also contains a number.

Excel's Data > Subtotal writes these words in the language of Excel's
interface: "Ann 集計" and "総計" in Japanese, "Ann Итог" and "Общий итог" in
Russian, "Ann Anzahl" in German. A pasted copy, or an .xls or .ods file
whose formulas are not read, keeps only these labels to mark the row.

NOTE: the localized function names below were not checked against each
language version of Excel, so a label that version writes may be missing.
"""

from __future__ import annotations

import functools
import re

# Totals words, case-folded: English, German, Dutch, French, Italian,
# Spanish, Portuguese, the Nordic languages, Polish, Czech, Finnish and
# Russian, Turkish, and the summation signs. Excel's Data > Subtotal writes
# "Ergebnis" and "Gesamtergebnis" in German, "Итог" and "Общий итог" in
# Russian, "Toplam" in Turkish, and "Totalsumma", "Hovedtotal", "Totalsum"
# and "Kokonaissumma" as the grand total in the Nordic languages. A word is
# compared whole, so "Totality" and "Summit" are no totals words.
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
        "totalsumma",
        "hovedtotal",
        "totalsum",
        "kokonaissumma",
        "toplam",
        "итог",
        "итого",
        "всего",
        "сумма",
        "σ",
        "∑",
    }
)

# The names Excel's Data > Subtotal gives its functions (Count, Average,
# Max, Min, Product, StdDev, Var) in its labels, in the languages of
# TOTALS_WORDS, and LibreOffice's "Result". They mark a label only as its
# last word after another word, as in "Ann Count" or "Ann Cuenta", because
# "Max" or "Cuenta Bancaria SA" is more likely a name. Italian "Media" is
# left out, because a company such as "Acme Media" ends with it.
SUBTOTAL_FUNCTION_WORDS = frozenset(
    {
        # English
        "count",
        "average",
        "max",
        "min",
        "product",
        "stddev",
        "stddevp",
        "stdev",
        "stdevp",
        "var",
        "varp",
        "result",
        # German
        "anzahl",
        "mittelwert",
        "produkt",
        "stabw",
        "stabwn",
        "stdabw",
        "stdabwn",
        "varianz",
        "varianzen",
        # Dutch
        "aantal",
        "gemiddelde",
        # French
        "nombre",
        "moyenne",
        "produit",
        "ecartype",
        "écartype",
        "ecartypep",
        "écartypep",
        # Italian
        "conteggio",
        "prodotto",
        # Spanish and Portuguese
        "cuenta",
        "promedio",
        "máx",
        "mín",
        "producto",
        "desvest",
        "desvestp",
        "contagem",
        "média",
        "produto",
        "desvpad",
        "desvpadp",
        # Nordic languages and Finnish
        "antal",
        "antall",
        "medel",
        "middel",
        "gennemsnit",
        "gjennomsnitt",
        "varians",
        "määrä",
        "keskiarvo",
        "keskihajonta",
        "varianssi",
        # Polish and Czech
        "licznik",
        "liczba",
        "średnia",
        "iloczyn",
        "wariancja",
        "počet",
        "průměr",
        "součin",
        "rozptyl",
        # Russian
        "количество",
        "среднее",
        "максимум",
        "минимум",
        "произведение",
        "отклонение",
        "дисперсия",
        # Turkish
        "ortalama",
        "çarpım",
        "varyans",
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
    "集計",
    "求和",
    "加總",
    "합계",
    "소계",
    "총계",
    "요약",
)

# Chinese, Japanese and Korean names of the Data > Subtotal functions. Like
# SUBTOTAL_FUNCTION_WORDS, one marks a label only at its end after other
# text, as in "Ann 平均值" or "全体の平均".
CJK_FUNCTION_WORDS = (
    "计数",
    "計數",
    "個数",
    "个数",
    "개수",
    "平均",
    "平均值",
    "平均値",
    "평균",
    "最大",
    "最大值",
    "最大値",
    "최대값",
    "最小",
    "最小值",
    "最小値",
    "최소값",
    "乘积",
    "乘積",
    "标准偏差",
    "標準偏差",
    "標準差",
    "方差",
    "分散",
    "變異數",
    "분산",
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
    if _ends_with_function_word(words):
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
    if words[-1] in TOTALS_WORDS or _ends_with_function_word(words):
        return True
    # Chinese labels may be spaced out to fill the cell: 合 计.
    return "".join(words).endswith(CJK_TOTALS_WORDS)


def _ends_with_function_word(words: list[str]) -> bool:
    """Return True when a Subtotal function name ends the label after other text."""
    if len(words) > 1 and words[-1] in SUBTOTAL_FUNCTION_WORDS:
        return True
    joined = "".join(words)
    return any(
        joined.endswith(word) and len(joined) > len(word) for word in CJK_FUNCTION_WORDS
    )


def _label_words(text: str) -> list[str]:
    words = (word.strip(".") for word in _WORD_BREAK.split(text.casefold()))
    return [word for word in words if word]
