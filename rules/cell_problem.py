"""The problem a cell has when it cannot be read as its column's type."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    """Stable key of a cell problem; messages may translate it by this key."""

    BLANK = "blank"
    NOT_A_DATE = "not-a-date"
    YEAR_MISSING = "year-missing"
    TWO_DIGIT_YEAR = "two-digit-year"
    WEEKDAY_MISMATCH = "weekday-mismatch"
    IMPOSSIBLE_DATE = "impossible-date"
    DATE_ORDER_MISMATCH = "date-order-mismatch"
    SERIAL_NOT_A_DATE = "serial-not-a-date"
    DATE_OUT_OF_RANGE = "date-out-of-range"
    TEXT_DATE_OUT_OF_RANGE = "text-date-out-of-range"
    TIME_ONLY = "time-only"
    ZERO_DATE = "zero-date"
    TRUE_FALSE = "true-false"
    NOT_A_NUMBER = "not-a-number"
    UNKNOWN_CURRENCY = "unknown-currency"
    CURRENCY_CODE_FORM = "currency-code-form"
    AMBIGUOUS_SEPARATORS = "ambiguous-separators"
    NOT_FINITE = "not-finite"
    NEGATIVE_AMOUNT = "negative-amount"
    AMOUNT_TOO_LARGE = "amount-too-large"
    DATE_NOT_NUMBER = "date-not-number"
    PERCENT_OUT_OF_RANGE = "percent-out-of-range"
    PERCENT_SCALE_MISMATCH = "percent-scale-mismatch"
    ONE_AMONG_POINTS = "one-among-points"
    NOT_A_FLAG = "not-a-flag"
    FORMULA_ERROR = "formula-error"


@dataclass(frozen=True)
class CellProblem:
    """Why a cell could not be parsed: a stable reason key and an English detail.

    ``params`` are the values a translated message shows, as (name, text) pairs.
    """

    reason: Reason
    detail: str
    params: tuple[tuple[str, str], ...] = ()
