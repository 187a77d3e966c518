"""Read amount and number cells into floats.

Text may carry currency marks, thousands separators and ``万``/``亿``/``k``/``m``
suffixes. A decimal comma is accepted only where it cannot be a thousands
separator: after point or space groups (``1.234,56``, ``12 500,50``), after a
0 or more than three digits (``0,125``, ``1250,500``), or before other than
exactly three digits (``1250,5``, ``12,50``). ``1,250`` reads as 1250, because
a comma before three digits groups thousands. Other mixes are problems, never
guesses. So is a lone point before exactly three digits (``12.500``,
``€ 250.000``), which separates thousands in much of Europe and decimals
elsewhere, unless the text settles it: a leading 0 (``0.125``), a comma before
it (``1,234.567``) or a suffix (``12.500k``) make it a decimal point. A number
may be negative, a deal amount may not.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from enum import Enum

from rules.cell_problem import CellProblem, Reason
from rules.currencies import (
    WORD_CODES,
    is_currency_code,
    leading_mark,
    trailing_mark,
)
from rules.grid import CellValue
from rules.text_forms import normalize_text

# Suffixes as folded text, longest first so that ``mm`` is not read as ``m``.
# ``mm`` and ``mn`` are the finance and press forms of million.
_MULTIPLIERS = {
    "mm": Decimal(10**6),
    "mn": Decimal(10**6),
    "bn": Decimal(10**9),
    "万": Decimal(10**4),
    "亿": Decimal(10**8),
    "k": Decimal(10**3),
    "m": Decimal(10**6),
}
# The suffixes read only in amounts: in a number field ``5 m`` may be a unit.
_MONEY_SUFFIXES = frozenset({"mm", "mn", "bn", "亿", "m"})
# The ASCII hyphen-minus, the Unicode minus sign, and the hyphens and dashes
# that word processors and autocorrect put in its place: hyphen, non-breaking
# hyphen, figure dash, en dash and em dash.
_MINUS_SIGNS = "-\u2212\u2010\u2011\u2012\u2013\u2014"
# Digits of any script other than ASCII, such as Arabic-Indic, Persian,
# Devanagari or Bengali, and the Arabic decimal and thousands separators.
_NATIVE_DIGIT_OR_MARK = re.compile(r"(?![0-9])\d|[\u066b\u066c]")
_ARABIC_SEPARATORS = {"\u066b": ".", "\u066c": ","}

_PLAIN_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
# A leading 0 starts no thousands group, so 0,125 is left to _COMMA_DECIMAL.
_COMMA_GROUPED = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?")
_APOSTROPHE_GROUP = re.compile(r"(?<=\d)['\u2019](?=\d{3}(?!\d))")
# Indian grouping: lakhs and crores in pairs of digits before the last three,
# as in 12,34,567.50.
_LAKH_GROUPED = re.compile(r"[1-9]\d?(?:,\d{2})+,\d{3}(?:\.\d+)?")
_DOT_GROUPED_COMMA_DECIMAL = re.compile(r"\d{1,3}(?:\.\d{3})+,\d+")
_SPACE_GROUPED_COMMA_DECIMAL = re.compile(r"\d{1,3}(?: \d{3})+,\d+")
# One comma that cannot group thousands: after a leading 0 or four or more
# digits, or before one or two digits. A comma before four or more digits is
# taken for a misplaced thousands comma ($12,5000), since amounts rarely have
# four decimals.
_COMMA_DECIMAL = re.compile(r"0\d*,\d+|\d{4,},\d{1,3}|\d+,\d{1,2}")
# Two or more points, each before three digits: a number has one decimal
# point at most, so these group thousands, as in 1.000.000.
_DOT_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3}){2,}")
_SEPARATED_DIGITS = re.compile(r"[\d.,]+")
# One comma between one to three digits and exactly three, as in 1,250.
_ONE_COMMA_GROUP = re.compile(r"[1-9]\d{0,2},\d{3}")
# From an amount text's first digit to its last one.
_DIGITS_SPAN = re.compile(r"\d(?:.*\d)?", re.DOTALL)
# Words, numbers, spaces and single other characters of the text beside an
# amount's digits, and the most of them searched for the text to name.
_TOKENS = re.compile(r"\s+|[^\W\d_]+|\d+|.", re.DOTALL)
_MAX_SIDE_TOKENS = 8
_SIGNS_AND_SPACES = " \u00a0+" + _MINUS_SIGNS
# Marks around a currency code that keep it from reading, as in (USD) or USD:.
_CODE_MARKS = " ()[]{}:;.,/"
# One point between 1-3 digits (not starting with 0) and exactly 3 digits:
# 12.500 is 12500 where the point groups thousands and 12.5 where it is decimal.
_POINT_THOUSANDS_OR_DECIMALS = re.compile(r"[1-9]\d{0,2}\.\d{3}")
# Amount text that needs no folding, in ASCII digits with comma groups and an
# optional dollar sign. Full-width digits and other forms go the folding route.
_PLAIN_AMOUNT = re.compile(
    r"\$?((?:[1-9][0-9]{0,2}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?)"
)


def parse_number(value: CellValue) -> float | CellProblem:
    """Parse a number cell into a float, as :func:`read_float` reads it.

    A number field (seats, a count) takes no million or billion suffix: in
    ``5 m`` the ``m`` may as well be a unit, so it is a problem there.
    """
    number = read_float(value, money=False)
    if isinstance(number, CellProblem):
        return with_advice(number, "digits such as 12 or 12.5")
    return number


def read_float(value: CellValue, *, money: bool = True) -> float | CellProblem:
    """Read an amount or number cell into a float.

    Text may carry a currency sign or code, thousands separators (comma, space,
    no-break or thin space), a leading or trailing minus (or a dash in its
    place) or parentheses for a negative value, digits of any script, and a
    ``k`` (×1,000), ``m``, ``mm`` or ``mn`` (×1,000,000), ``bn``
    (×1,000,000,000), ``万`` (×10,000) or ``亿`` (×100,000,000) suffix in
    either case: ``(USD 1,200.50)`` is -1200.5, ``1.2万元`` is 12000.0 and
    ``2.5M`` is 2500000.0. ``12.500`` is a problem, because its point can
    separate thousands or decimals (see the module docstring). With ``money``
    false, only the ``k`` and ``万`` suffixes are read.
    """
    # Fast path: a finite float comes back unchanged from the Decimal route,
    # because its repr reads back as the same float.
    if type(value) is float and math.isfinite(value):
        return value
    if type(value) is str:
        plain = _plain_amount(value)
        if plain is not None:
            return plain

    number = decimal_from_cell(value, money=money)
    if isinstance(number, CellProblem):
        return number
    return _finite_float(number)


def _plain_amount(text: str) -> float | None:
    """Return the value of ``12000``, ``12,000.50`` or ``$12,000``, else None.

    Such text reads the same by the Decimal route, because float() of the
    digits and float() of their Decimal both round to the nearest float.
    Text in any other form, or out of float range, returns None.
    """
    match = _PLAIN_AMOUNT.fullmatch(text)
    if match is None or _POINT_THOUSANDS_OR_DECIMALS.fullmatch(match[1]):
        return None
    number = float(match[1].replace(",", ""))
    return number if math.isfinite(number) else None


def parse_amount(value: CellValue) -> float | CellProblem:
    """Parse a deal amount cell like :func:`read_float`, rejecting negatives.

    A negative amount, such as ``(500)`` or ``-1,000`` typed the accounting
    way, would make the funnel and win rates by value wrong, so it is a
    problem rather than a value. So is an amount of ``TOO_LARGE_AMOUNT`` or
    more.
    """
    amount = read_float(value)
    if isinstance(amount, CellProblem):
        return amount
    if amount < 0:
        return CellProblem(
            Reason.NEGATIVE_AMOUNT,
            "a deal amount cannot be negative; enter the amount as a positive number",
        )
    if amount >= TOO_LARGE_AMOUNT:
        return CellProblem(
            Reason.AMOUNT_TOO_LARGE,
            "an amount of 16 digits or more is no deal value (spreadsheets keep "
            "15); check for a pasted phone or account number",
        )
    return amount


# A number in a cell formatted as a date reads as a date, so the fix is the
# cell's format.
DATE_NOT_NUMBER_TEXT = (
    "a date or time, not a number; if you typed a number, the cell is "
    "formatted as a date: format it as a number"
)

# Spreadsheets keep 15 significant digits, so a 16-digit amount is not even
# stored exactly. Such a cell contains something pasted by mistake, and one of
# them would swamp every total by value.
TOO_LARGE_AMOUNT = 1e15


def decimal_from_cell(value: CellValue, *, money: bool = True) -> Decimal | CellProblem:
    """Read a number cell exactly, or return the problem that prevents it.

    :param money: whether text may carry million and billion suffixes.
    """
    if isinstance(value, bool):
        return CellProblem(
            Reason.TRUE_FALSE,
            "TRUE/FALSE is not a number; type the number in its place",
        )
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return _decimal_from_float(value)
    if isinstance(value, dt.date | dt.time):
        return CellProblem(Reason.DATE_NOT_NUMBER, DATE_NOT_NUMBER_TEXT)
    return _decimal_from_text(str(value), money)


def _decimal_from_float(value: float) -> Decimal | CellProblem:
    if not math.isfinite(value):
        return CellProblem(Reason.NOT_FINITE, "not a finite number")

    # repr gives the shortest text that reads back as the same float, so 33.3
    # becomes Decimal("33.3") rather than its full binary expansion.
    return Decimal(repr(value))


def _decimal_from_text(text: str, money: bool) -> Decimal | CellProblem:
    number = _decimal_from_marked_text(text, money)
    if (
        money
        and isinstance(number, CellProblem)
        and number.reason is Reason.NOT_A_NUMBER
    ):
        return _unknown_currency_problem(text) or number
    return number


def _decimal_from_marked_text(text: str, money: bool) -> Decimal | CellProblem:
    # Marks are peeled with their case kept, because other ISO 4217 codes
    # than the usual ones read only in capitals (see rules.currencies).
    body, negative = _strip_currency_and_sign(fold_digits(normalize_text(text)))
    if body is None:
        return _not_a_number_problem()

    body, multiplier = _strip_multiplier(body.casefold(), money)
    # A count of thousands or millions has no thousands groups, so there the
    # point is decimal: 12.500k is 12500.
    if multiplier == 1 and _POINT_THOUSANDS_OR_DECIMALS.fullmatch(body):
        return _point_problem(body)

    number = _decimal_from_digits(body)
    if isinstance(number, CellProblem):
        return number
    return -number * multiplier if negative else number * multiplier


class CommaUse(Enum):
    """The reading of the comma in an amount text, as evidence of a column's style."""

    # 1.234,56 or 0,75: the comma separates decimals.
    DECIMAL = "decimal"
    # 1,234.56 or 1,234,567: the comma can only separate thousands.
    THOUSANDS = "thousands"
    # 1,250: one comma before exactly three digits, read as thousands,
    # though a team that writes decimal commas may mean 1.25.
    THOUSANDS_OR_DECIMAL = "thousands-or-decimal"


def comma_use(text: str) -> CommaUse | None:
    """Return how the comma of an amount text reads, or None without a comma.

    Text that does not read as an amount returns None too.

    >>> comma_use("1.234,56 €").value, comma_use("1,250 €").value
    ('decimal', 'thousands-or-decimal')
    """
    if "," not in text:
        return None
    body, _negative = _strip_currency_and_sign(fold_digits(normalize_text(text)))
    if body is None:
        return None
    body = _strip_multiplier(body.casefold(), money=True)[0]
    body = _APOSTROPHE_GROUP.sub(" ", body)
    if _ONE_COMMA_GROUP.fullmatch(body):
        return CommaUse.THOUSANDS_OR_DECIMAL
    if isinstance(_decimal_from_digits(body), CellProblem):
        return None
    if (
        _SPACE_GROUPED_COMMA_DECIMAL.fullmatch(body)
        or _COMMA_DECIMAL.fullmatch(body)
        or _DOT_GROUPED_COMMA_DECIMAL.fullmatch(body)
    ):
        return CommaUse.DECIMAL
    return CommaUse.THOUSANDS


def fold_digits(text: str) -> str:
    """Return ``text`` with the digits of every script as ASCII digits.

    The Arabic decimal separator (U+066B) becomes a point and the Arabic
    thousands separator (U+066C) a comma, so the separators are read as
    they are in ASCII digits: ``١٬٢٣٤٫٥٦`` is ``1,234.56`` and ``१२,३४,५६७``
    is ``12,34,567``.

    >>> fold_digits("١٬٢٣٤٫٥٦")
    '1,234.56'
    """
    if text.isascii():
        return text
    return _NATIVE_DIGIT_OR_MARK.sub(_ascii_digit, text)


def _ascii_digit(match: re.Match[str]) -> str:
    character = match[0]
    return _ARABIC_SEPARATORS.get(character) or str(unicodedata.digit(character))


def _strip_multiplier(body: str, money: bool) -> tuple[str, Decimal]:
    """Return ``body`` without its suffix, such as ``k`` or ``万``, and its factor.

    Without ``money``, the suffixes of :data:`_MONEY_SUFFIXES` stay on the body.
    """
    for suffix, multiplier in _MULTIPLIERS.items():
        if not money and suffix in _MONEY_SUFFIXES:
            continue
        if body.endswith(suffix):
            return body[: -len(suffix)].strip(), multiplier
    return body, Decimal(1)


def _strip_currency_and_sign(text: str) -> tuple[str | None, bool]:
    """Peel currency marks, one sign and parentheses off both ends of ``text``.

    Returns the remaining body (None when two signs conflict) and whether the
    value is negative: ``-$1,200``, ``$-1,200`` and ``($1,200)`` are all negative.
    """
    body, negatives = text, 0
    while True:
        peeled, sign = _peel_once(body)
        if peeled == body:
            break
        body, negatives = peeled, negatives + sign
    if negatives > 1:
        return None, False
    return body, negatives == 1


def _peel_once(text: str) -> tuple[str, int]:
    if len(text) > 1 and text[0] == "(" and text[-1] == ")":
        return text[1:-1].strip(), 1
    if text[:1] and text[0] in _MINUS_SIGNS:
        return text[1:].strip(), 1
    if text[:1] == "+":
        return text[1:].strip(), 0
    # A trailing minus, as SAP and many accounting exports write a negative
    # amount: 750,00- or 1.234,56 €-.
    if len(text) > 1 and text[-1] in _MINUS_SIGNS:
        return text[:-1].strip(), 1

    mark = leading_mark(text)
    if mark is not None:
        return text[len(mark) :].strip(), 0
    mark = trailing_mark(text)
    if mark is not None:
        return text[: -len(mark)].strip(), 0
    return text, 0


def _decimal_from_digits(body: str) -> Decimal | CellProblem:
    # An apostrophe before three digits groups thousands in Switzerland
    # (1'250.50), as a space does in much of Europe.
    body = _APOSTROPHE_GROUP.sub(" ", body)
    if _SPACE_GROUPED_COMMA_DECIMAL.fullmatch(body) or _COMMA_DECIMAL.fullmatch(body):
        return _to_decimal(body.replace(" ", "").replace(",", "."))

    # A space between digit groups is a thousands separator, like a comma.
    grouped = re.sub(r"(?<=\d) (?=\d)", ",", body)
    if (
        _PLAIN_NUMBER.fullmatch(grouped)
        or _COMMA_GROUPED.fullmatch(grouped)
        or _LAKH_GROUPED.fullmatch(grouped)
    ):
        return _to_decimal(grouped.replace(",", ""))
    if _DOT_GROUPED_COMMA_DECIMAL.fullmatch(grouped):
        return _to_decimal(grouped.replace(".", "").replace(",", "."))
    if _DOT_GROUPED.fullmatch(grouped):
        return _to_decimal(grouped.replace(".", ""))

    if _SEPARATED_DIGITS.fullmatch(grouped):
        return CellProblem(
            Reason.AMBIGUOUS_SEPARATORS,
            "cannot tell which mark separates thousands and which decimals; "
            "type the number like 1234.56 or 1,234.56",
        )
    return _not_a_number_problem()


def _point_problem(body: str) -> CellProblem:
    thousands = body.replace(".", "")
    return CellProblem(
        Reason.AMBIGUOUS_SEPARATORS,
        "cannot tell whether the point separates thousands or decimals; type "
        f"{thousands} or {body.replace('.', ',')} if it separates thousands, or "
        "enter it as a number, not text",
    )


def _to_decimal(digits: str) -> Decimal | CellProblem:
    try:
        return Decimal(digits)
    except InvalidOperation:
        return _not_a_number_problem()


def _finite_float(number: Decimal) -> float | CellProblem:
    result = float(number)
    if not math.isfinite(result):
        return CellProblem(Reason.NOT_FINITE, "not a finite number")
    return result


def _unknown_currency_problem(text: str) -> CellProblem | None:
    """Name the text beside an amount's digits that keeps it from reading, if any.

    That is the least text before the first digit and after the last one
    whose removal lets the amount read: ``TL`` in ``1,000 TL``, ``Mio`` in
    ``1,5 Mio EUR`` and ``per mo`` in ``10k per mo``. A currency code in
    brackets, beside a mark or in lower case, such as ``(USD)``, ``USD:`` or
    ``kes``, gets a problem that describes how to write it. Returns None when
    the digits do not read as an amount either.
    """
    span = _DIGITS_SPAN.search(text)
    if span is None:
        return None
    before, digits, after = text[: span.start()], span[0], text[span.end() :]
    if isinstance(_decimal_from_marked_text(digits, money=True), CellProblem):
        return None
    # The text after the digits is cut first, then the text before, then both.
    for cut_before, cut_after in ((False, True), (True, False), (True, True)):
        found = _least_cuts(before, digits, after, cut_before, cut_after)
        if found is None:
            continue
        (kept_before, removed_before), (kept_after, removed_after) = found
        kept = kept_before + digits + kept_after
        reading = _decimal_from_marked_text(kept, money=True)
        if not isinstance(reading, CellProblem):
            parts = [(removed_before, True), (removed_after, False)]
            return _named_text_problem(parts, reading)
    return None


def _least_cuts(
    before: str, digits: str, after: str, cut_before: bool, cut_after: bool
) -> tuple[tuple[str, str], tuple[str, str]] | None:
    """Return the least cut of each side named that lets the amount read, or None.

    Each cut is the text kept and the text cut out. The side before the
    digits is cut first, with the side after them cut out whole if it is
    named, then the side after them.
    """
    whole_after = "" if cut_after else after
    cuts_before = _cuts(before) if cut_before else [(before, "")]
    best_before = next(
        (cut for cut in cuts_before if _reads(cut[0] + digits + whole_after)), None
    )
    if best_before is None:
        return None
    cuts_after = _cuts(after) if cut_after else [(after, "")]
    best_after = next(
        (cut for cut in cuts_after if _reads(best_before[0] + digits + cut[0])), None
    )
    if best_after is None:
        return None
    return best_before, best_after


def _reads(text: str) -> bool:
    return not isinstance(_decimal_from_marked_text(text, money=True), CellProblem)


def _visible_length(text: str) -> int:
    return sum(not character.isspace() for character in text)


def _cuts(side: str) -> list[tuple[str, str]]:
    """Return the ways to cut one run of words or marks out of ``side``, least first.

    Each is the text kept and the text cut out. A run of marks that touches
    a word, such as ``:`` in ``USD: ``, is cut only with that word, so the
    text named is ``USD:``. A suffix such as ``k`` is never cut alone, since
    it reads. A side of more than :data:`_MAX_SIDE_TOKENS` tokens is cut out
    whole.
    """
    tokens = _TOKENS.findall(side)
    if len(tokens) > _MAX_SIDE_TOKENS:
        return [("", side)]
    cuts: list[tuple[str, str]] = []
    for first in range(len(tokens)):
        for last in range(first + 1, len(tokens) + 1):
            run = "".join(tokens[first:last])
            # A suffix reads, so 'TOP 50k' names TOP, not its k.
            if (
                not run.strip()
                or run.strip().casefold() in _MULTIPLIERS
                or _touches_word(tokens, first, last)
            ):
                continue
            kept = "".join(tokens[:first]) + " " + "".join(tokens[last:])
            cuts.append((kept, run))
    # The sort is stable, so of two cuts of one size the one further left wins.
    cuts.sort(key=lambda cut: _visible_length(cut[1]))
    return cuts


def _touches_word(tokens: list[str], first: int, last: int) -> bool:
    """Return whether a run of marks only, with no letter or digit, touches a word."""
    if any(character.isalnum() for token in tokens[first:last] for character in token):
        return False
    return (first > 0 and tokens[first - 1].isalpha()) or (
        last < len(tokens) and tokens[last].isalpha()
    )


def _named_text_problem(
    parts: list[tuple[str, bool]], reading: Decimal
) -> CellProblem | None:
    """Return the problem naming the text cut out of an amount that then reads.

    ``parts`` are the texts cut before and after the digits, each with
    whether it came before them, and ``reading`` is the amount without them.
    """
    shown = [(_shown_part(part), is_before) for part, is_before in parts]
    unknown = " and ".join(repr(part) for part, _is_before in shown if part)
    if not unknown:
        return None
    codes = [
        (code, is_before)
        for part, is_before in shown
        if (code := _code_in(part)) is not None
    ]
    if not codes:
        return CellProblem(
            Reason.UNKNOWN_CURRENCY,
            f"not a number, because of {unknown}, which is no currency code or "
            "sign that pipesheet reads; write the amount with digits only (a k, m "
            "or bn suffix is read) and its currency, if any, as an ISO 4217 code "
            "such as USD or EUR, or in a column of its own",
            (("unknown_text", unknown),),
        )
    code, is_before = codes[0]
    amount = format(abs(reading).normalize(), ",f")
    example = f"{code} {amount}" if is_before else f"{amount} {code}"
    rule = (
        "pipesheet reads a currency code in capitals beside the digits, with no "
        f"brackets or other marks, as in {example}"
    )
    if code.casefold() in WORD_CODES:
        rule = (
            f"{rule}, and a code that is also a word, such as ALL or TOP, only "
            "when the cell has no other letters"
        )
    return CellProblem(
        Reason.CURRENCY_CODE_FORM,
        f"not a number, because of {unknown}: {rule}; write the code that way "
        "if it is the amount's currency, or remove the text",
        (("unknown_text", unknown), ("example", example)),
    )


def _shown_part(part: str) -> str:
    """Return a cut-out part as a message shows it, without signs and lone brackets.

    A sign or bracket an amount reads, as in ``-(R 5)``, is no part of the
    text named, but the brackets of ``(est)`` are.
    """
    shown = part
    while True:
        trimmed = shown.strip(_SIGNS_AND_SPACES)
        if trimmed.startswith("(") and ")" not in trimmed:
            trimmed = trimmed[1:]
        if trimmed.endswith(")") and "(" not in trimmed:
            trimmed = trimmed[:-1]
        if trimmed == shown:
            return shown
        shown = trimmed


def _code_in(part: str) -> str | None:
    """Return the ISO 4217 code that ``part`` is without its marks, in capitals."""
    letters = part.strip(_CODE_MARKS)
    return letters.upper() if is_currency_code(letters) else None


def _not_a_number_problem() -> CellProblem:
    return CellProblem(
        Reason.NOT_A_NUMBER, "not a number; type digits such as 12000 or 12,000.50"
    )


def with_advice(problem: CellProblem, example: str) -> CellProblem:
    """Return ``problem`` advising ``example`` when the cell is not a number.

    The reading of text advises amounts (12,000.50), which mislead where a
    column expects another kind of number.
    """
    if problem.reason is Reason.NOT_A_NUMBER:
        return CellProblem(problem.reason, f"not a number; type {example}")
    return problem
