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
from decimal import Decimal, InvalidOperation

from rules.cell_problem import CellProblem, Reason
from rules.currencies import leading_mark, trailing_mark
from rules.grid import CellValue
from rules.text_forms import fold_text

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
_MINUS_SIGNS = "-\u2212"  # ASCII hyphen-minus and the Unicode minus sign

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
# From an amount text's first digit to its last one.
_DIGITS_SPAN = re.compile(r"\d(?:.*\d)?", re.DOTALL)
# Spaces, signs and parentheses around the text that an amount does not read.
_WRAPPING_MARKS = " \u00a0+-\u2212()"
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
    no-break or thin space), a leading minus or parentheses for a negative value,
    and a ``k`` (×1,000), ``m``, ``mm`` or ``mn`` (×1,000,000), ``bn``
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
    body, negative = _strip_currency_and_sign(fold_text(text))
    if body is None:
        return _not_a_number_problem()

    body, multiplier = _strip_multiplier(body, money)
    # A count of thousands or millions has no thousands groups, so there the
    # point is decimal: 12.500k is 12500.
    if multiplier == 1 and _POINT_THOUSANDS_OR_DECIMALS.fullmatch(body):
        return _point_problem(body)

    number = _decimal_from_digits(body)
    if isinstance(number, CellProblem):
        return number
    return -number * multiplier if negative else number * multiplier


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
    """Name the text beside an amount's digits that is no currency mark, if any.

    The text before the first digit, after the last one, or both, counts when
    the amount reads without it: ``TL`` in ``1,000 TL`` or ``dollars`` in
    ``1,000 dollars``. Returns None when the digits do not read as an amount
    either.
    """
    span = _DIGITS_SPAN.search(text)
    if span is None:
        return None
    before, digits, after = text[: span.start()], span[0], text[span.end() :]
    for kept in ((before, digits), (digits, after), (digits,)):
        reading = _decimal_from_marked_text("".join(kept), money=True)
        if isinstance(reading, CellProblem):
            continue
        removed = [part for part in (before, after) if part not in kept]
        shown = [part.strip(_WRAPPING_MARKS) for part in removed]
        unknown = " and ".join(repr(part) for part in shown if part)
        if not unknown:
            return None
        return CellProblem(
            Reason.UNKNOWN_CURRENCY,
            f"not a number, because of {unknown}, which is no currency code or "
            "sign that pipesheet reads; write the amount with digits only (a k, m "
            "or bn suffix is read) and its currency, if any, as an ISO 4217 code "
            "such as USD or EUR, or in a column of its own",
            (("unknown_text", unknown),),
        )
    return None


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
