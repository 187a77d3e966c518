"""Read date cells: real dates, date serial numbers, and dates typed as text.

Text is read by fixed patterns only (ISO, day/month/year or month/day/year by the
definition's ``date_order``, English month names, Chinese 年月日), optionally after
an English weekday (``Thursday, December 31, 2026``) that must match the date.
Nothing is guessed: text that fits no pattern is a problem, and so is a date
without a year or with a two-digit year, whose century is not written.

A time after the date is checked and dropped. So is an ISO 8601 zone after the
time (``2025-10-09T23:30:00Z``, ``2025-10-09T23:30:00-05:00``). The day is the
one written in the text, as a person reading the cell takes it, and is not
converted to the definition's time zone.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from config.models import DateOrder
from rules.cell_problem import CellProblem, Reason
from rules.grid import CellValue
from rules.text_forms import fold_text

# Sheets counts days from 1899-12-30, and Excel's serials agree from 61 (1900-03-01)
# on. Below that they differ by a day because Excel counts a 1900-02-29 that never
# existed (serial 60). In a sales sheet such small serials are numbers formatted
# as dates.
SERIAL_EPOCH = dt.date(1899, 12, 30)
FIRST_REAL_SERIAL = 61
# A workbook in the 1904 date system counts from 1904-01-01, 1462 days later.
DAYS_FROM_1900_TO_1904_SYSTEM = 1462

# Dates outside these bounds are almost always numbers (amounts, counts) that a
# date format turned into a date, not dates a sales team meant.
EARLIEST_DATE = dt.date(1970, 1, 1)
LATEST_DATE = dt.date(2200, 12, 31)

_MONTHS = {
    "jan": 1,
    "january": 1,
    "feb": 2,
    "february": 2,
    "mar": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
}

_MONTH_NAME = "|".join(sorted(_MONTHS, key=len, reverse=True))

_WEEKDAYS = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}
# English names by date.weekday(), because strftime's %A follows the C locale.
_WEEKDAY_NAMES = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
_WEEKDAY_BEFORE = re.compile(
    r"(?P<weekday>" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")\.?,? "
)

# Whatever follows the date is kept as ``clock`` and checked by _CLOCK.
_CLOCK_AFTER = r"(?:[ t](?P<clock>.+))?"
# A year written last may have two digits, which a date's problem then names.
_LAST_YEAR = r"(?P<year>\d{4}|\d{2})"
_YEAR_FIRST = re.compile(
    r"(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})"
    + _CLOCK_AFTER
)
_YEAR_LAST = re.compile(
    r"(?P<first>\d{1,2})(?P<sep>[-/.])(?P<second>\d{1,2})(?P=sep)"
    + _LAST_YEAR
    + _CLOCK_AFTER
)
_DAY_MONTH_NAME = re.compile(
    rf"(?P<day>\d{{1,2}})[ -](?P<month>{_MONTH_NAME})\.?[ -]"
    + _LAST_YEAR
    + _CLOCK_AFTER
)
_MONTH_NAME_DAY = re.compile(
    rf"(?P<month>{_MONTH_NAME})\.? (?P<day>\d{{1,2}})(?:st|nd|rd|th)?,? "
    + _LAST_YEAR
    + _CLOCK_AFTER
)
# Weekdays written after a Chinese or Japanese date, Monday as 0: the
# Chinese numerals of 星期二 or （二）, and the Japanese day signs of 火曜日 or
# （火）. 日 is Sunday in both.
_CJK_WEEKDAYS = {
    **{sign: day for day, sign in enumerate("一二三四五六日")},
    "天": 6,
    **{sign: day for day, sign in enumerate("月火水木金土")},
}
# A weekday written with a Chinese or Japanese date, in brackets or not:
# 星期二, （星期二）, 周二, （二）, 火曜日, （火曜日）, （火）. It is taken out of the
# text before the date is read, and then checked against the date.
_CJK_WEEKDAY = re.compile(
    r"\(?(?:星期|礼拜|禮拜|周|週)(?P<numeral>[一二三四五六日天])\)?"
    r"|\((?P<sign>[一二三四五六日天月火水木金土])(?:曜日?)?\)"
    r"|(?P<day_sign>[月火水木金土日])曜日?"
)
# Chinese and Japanese dates with the spaces removed: 2025年9月9日,
# 2025年09月09日14时30分, 2025年9月9日下午2:30.
_CJK = re.compile(
    r"(?P<year>\d{4})年(?P<month>\d{1,2})月(?P<day>\d{1,2})[日号](?: ?(?P<clock>.+))?"
)
# Era years that Chinese and Japanese dates count from, and the year before
# each era's first: 民國114年 and 令和7年 are 2025. 元年 is an era's first year.
_ERA_OFFSETS = {
    "中華民國": 1911,
    "中华民国": 1911,
    "民國": 1911,
    "民国": 1911,
    "令和": 2018,
    "平成": 1988,
    "昭和": 1925,
}
_ERA_YEAR = re.compile(
    r"(?P<era>" + "|".join(_ERA_OFFSETS) + r")(?P<year>\d{1,3}|元)年"
)
# A year of three digits is a Minguo year as Taiwan writes dates: 115年 is 2026.
_MINGUO_YEAR = re.compile(r"(?<!\d)(?P<year>\d{3})年")
# An ISO 8601 zone after a time: Z (folded to z), +02:00, -0500 or +09.
_ZONE = r"(?:z|[+-]\d{2}(?::?\d{2})?)"
_CLOCK = re.compile(
    # Chinese and Japanese words for morning, afternoon and evening before
    # the time: 下午2:30, 午後2時30分.
    r"(?:(?P<half_day>上午|下午|早上|中午|晚上|凌晨|午前|午後) ?)?"
    r"(?P<hour>\d{1,2})(?:"
    r":(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?(?: ?(?P<meridiem>[ap]m))?"
    rf"(?:{_ZONE})?"
    r"|[时時点](?:(?P<cjk_minute>\d{1,2})分(?:(?P<cjk_second>\d{1,2})秒)?)?"
    r")"
)
_WITHOUT_YEAR = (
    re.compile(r"\d{1,2}月\d{1,2}[日号]?"),
    re.compile(r"\d{1,2}/\d{1,2}"),
    re.compile(
        rf"\d{{1,2}} (?:{_MONTH_NAME})\.?|(?:{_MONTH_NAME})\.? \d{{1,2}}"
        r"(?:st|nd|rd|th)?"
    ),
)

_YYYYMMDD = re.compile(r"\d{8}")

# How to fix an unreadable date, for messages that have no more specific fix.
_DATE_FIX = "type the date like 2025-09-09 or use a date cell"

_DATE_ORDER_WORDS = {DateOrder.DMY: "day/month/year", DateOrder.MDY: "month/day/year"}
# The number each order puts first, in words for messages, and the other order.
FIRST_NUMBER_WORDS = {DateOrder.DMY: "day first", DateOrder.MDY: "month first"}
OTHER_DATE_ORDER = {DateOrder.DMY: DateOrder.MDY, DateOrder.MDY: DateOrder.DMY}


def parse_date(
    value: CellValue, date_order: DateOrder, *, date1904: bool = False
) -> dt.date | CellProblem:
    """Parse a date cell, a date serial number or date text into a date.

    A time of day in the cell is dropped, with any zone after it: the day of
    ``2025-10-09T23:30:00-05:00`` is 2025-10-09, as written, even where that
    moment is already 2025-10-10 in the definition's time zone. Dates outside
    1970-01-01..2200-12-31 are problems. Date cells and numbers before that
    range are nearly always numbers shown with a date format; typed text
    outside it, and date cells after it (a 9999-12-31 placeholder), get a
    problem that names the range. A number or text such as 20261205 that reads
    as yyyymmdd gets a problem that names that date.
    ``date1904`` reads a serial number as days since 1904-01-01.
    """
    serial = value
    if date1904 and isinstance(value, int | float) and not isinstance(value, bool):
        serial = value + DAYS_FROM_1900_TO_1904_SYSTEM
    parsed = _parse_any_date(serial, date_order)
    if isinstance(parsed, CellProblem):
        # The number as typed, not the shifted serial, may be a yyyymmdd date.
        if parsed.reason is Reason.DATE_OUT_OF_RANGE and isinstance(value, int | float):
            return _digits_problem(Reason.DATE_OUT_OF_RANGE, value) or parsed
        return parsed
    if isinstance(value, str):
        return _check_typed_date_range(parsed)
    return _check_date_range(parsed)


def _date_from_serial(serial: float) -> dt.date | CellProblem:
    if not math.isfinite(serial) or serial < FIRST_REAL_SERIAL:
        return CellProblem(
            Reason.SERIAL_NOT_A_DATE,
            f"not a real date (number formatted as a date?); {_DATE_FIX}",
        )

    days = math.floor(serial)
    if days > (LATEST_DATE - SERIAL_EPOCH).days:
        return _out_of_range_problem()
    return SERIAL_EPOCH + dt.timedelta(days=days)


def _check_date_range(date: dt.date) -> dt.date | CellProblem:
    if EARLIEST_DATE <= date <= LATEST_DATE:
        return date
    # A date cell after the range contains a real date, such as the 9999-12-31
    # that CRM exports write for "no end date", not a number shown as a date.
    if date > LATEST_DATE:
        return _check_typed_date_range(date)
    return _out_of_range_problem()


def _check_typed_date_range(date: dt.date) -> dt.date | CellProblem:
    """Return a date read from text, or a problem if it is out of range.

    Text was typed, not shown by a date format, so the problem names the range
    and suggests correcting the year, as for a placeholder such as 01/01/1900.
    """
    if EARLIEST_DATE <= date <= LATEST_DATE:
        return date
    return CellProblem(
        Reason.TEXT_DATE_OUT_OF_RANGE,
        f"{date} is outside the dates pipesheet reads ({EARLIEST_DATE} to "
        f"{LATEST_DATE}); correct the year, or leave the cell empty if the date "
        "is not known",
        (
            ("date", date.isoformat()),
            ("earliest", EARLIEST_DATE.isoformat()),
            ("latest", LATEST_DATE.isoformat()),
        ),
    )


def _digits_problem(reason: Reason, value: CellValue) -> CellProblem | None:
    """Build a problem that names the date ``value`` means as yyyymmdd (20261205).

    Return None unless it is eight digits that make a calendar date in range.
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    digits = str(value).strip()
    if not _YYYYMMDD.fullmatch(digits):
        return None

    try:
        date = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None
    if not EARLIEST_DATE <= date <= LATEST_DATE:
        return None
    return CellProblem(
        reason,
        f"not a date; if it means {date} (read as yyyymmdd), type {date} "
        "or use a date cell",
    )


def _out_of_range_problem() -> CellProblem:
    return CellProblem(
        Reason.DATE_OUT_OF_RANGE,
        "looks like a number formatted as a date "
        f"(dates must fall between {EARLIEST_DATE} and {LATEST_DATE}); {_DATE_FIX}",
    )


def _parse_any_date(value: CellValue, date_order: DateOrder) -> dt.date | CellProblem:
    if isinstance(value, bool):
        return CellProblem(Reason.TRUE_FALSE, f"TRUE/FALSE is not a date; {_DATE_FIX}")
    if isinstance(value, dt.datetime):
        return _date_from_datetime(value)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, dt.time):
        return _zero_problem() if value == dt.time() else _time_only_problem()
    if isinstance(value, int | float):
        return _date_from_serial(value)
    return _date_from_text(str(value), date_order)


def _date_from_datetime(value: dt.datetime) -> dt.date | CellProblem:
    # A serial below 1 converted with the 1899-12-30 epoch is a time on that day.
    if value.date() == SERIAL_EPOCH:
        return _zero_problem() if value.time() == dt.time() else _time_only_problem()
    return value.date()


def _time_only_problem() -> CellProblem:
    return CellProblem(Reason.TIME_ONLY, f"a time of day without a date; {_DATE_FIX}")


def _zero_problem() -> CellProblem:
    # A date cell holding 0 reads as midnight on no day. A formula saved with
    # a made-up result of 0 (XlsxWriter does so) reads the same.
    return CellProblem(
        Reason.ZERO_DATE,
        "the cell holds 0, which a date format shows as 00:00. If it holds a "
        "formula, the formula's saved result is 0, so check the cells it reads; "
        f"otherwise {_DATE_FIX}",
    )


def _date_from_text(text: str, date_order: DateOrder) -> dt.date | CellProblem:
    folded = fold_text(text)
    if "年" in folded or "月" in folded:
        folded = _ERA_YEAR.sub(_western_year, folded.replace(" ", ""), count=1)
        folded = _MINGUO_YEAR.sub(_western_year, folded, count=1)

    cjk_weekday = _CJK_WEEKDAY.search(folded)
    if cjk_weekday is not None:
        rest = folded[: cjk_weekday.start()] + " " + folded[cjk_weekday.end() :]
        date = _date_from_text_only(" ".join(rest.split()), date_order, text)
        return _check_cjk_weekday(date, cjk_weekday)
    return _date_from_text_only(folded, date_order, text)


def _date_from_text_only(
    folded: str, date_order: DateOrder, text: str
) -> dt.date | CellProblem:
    """Read folded date text that may start with an English weekday."""
    weekday = _WEEKDAY_BEFORE.match(folded)
    if weekday is None:
        return _date_from_folded(folded, date_order, text)
    date = _date_from_folded(folded[weekday.end() :], date_order, text)
    return _check_weekday(date, _WEEKDAYS[weekday["weekday"]])


def _date_from_folded(
    folded: str, date_order: DateOrder, text: str
) -> dt.date | CellProblem:
    """Read folded date text; ``text`` is the cell as typed, for messages."""
    for pattern in (_YEAR_FIRST, _CJK, _DAY_MONTH_NAME, _MONTH_NAME_DAY):
        match = pattern.fullmatch(folded)
        if match and _is_valid_clock(match["clock"]):
            month = match["month"]
            month_number = _MONTHS[month] if month in _MONTHS else int(month)
            date = _build_date(_full_year(match), month_number, int(match["day"]), text)
            return _check_four_digit_year(date, match)

    match = _YEAR_LAST.fullmatch(folded)
    if match and _is_valid_clock(match["clock"]):
        date = _date_from_day_month(match, date_order, text)
        return _check_four_digit_year(date, match)
    return _unrecognised_date(folded)


def _full_year(match: re.Match[str]) -> int:
    """Return the match's year, with 2000 added to a two-digit one.

    The date made with it only checks the day and month and fills the example
    of a problem, which shows the year, so no century is taken silently.
    """
    year = match["year"]
    return 2000 + int(year) if len(year) == 2 else int(year)


def _check_four_digit_year(
    date: dt.date | CellProblem, match: re.Match[str]
) -> dt.date | CellProblem:
    """Return ``date``, or a problem if the match wrote its year with two digits.

    The problem shows the date as typed, up to the year, with the year in full:
    ``31-Dec-26`` gives ``31-Dec-2026``.
    """
    if isinstance(date, CellProblem) or len(match["year"]) == 4:
        return date

    typed = match.string[: match.start("year")]
    month = match.groupdict().get("month")
    if month is not None and month in _MONTHS:
        typed = typed.replace(month, month.title(), 1)
    full_date = f"{typed}{date.year}"
    return CellProblem(
        Reason.TWO_DIGIT_YEAR,
        f"the year needs four digits; type {full_date} if that is the date, "
        "or use a date cell",
        (("full_date", full_date),),
    )


def _western_year(match: re.Match[str]) -> str:
    """Return an era year (民國114年, 115年) as the year it is (2025年, 2026年)."""
    year = 1 if match["year"] == "元" else int(match["year"])
    era = match.groupdict().get("era")
    return f"{_ERA_OFFSETS[era or '民國'] + year}年"


def _check_cjk_weekday(
    date: dt.date | CellProblem, match: re.Match[str]
) -> dt.date | CellProblem:
    """Return ``date``, or a problem if a weekday typed after it differs."""
    sign = match["sign"] or match["numeral"] or match["day_sign"]
    if sign is None:
        return date
    return _check_weekday(date, _CJK_WEEKDAYS[sign])


def _check_weekday(date: dt.date | CellProblem, weekday: int) -> dt.date | CellProblem:
    """Return ``date``, or a problem if it does not fall on the typed weekday."""
    if isinstance(date, CellProblem) or date.weekday() == weekday:
        return date
    return CellProblem(
        Reason.WEEKDAY_MISMATCH,
        f"{date} is a {_WEEKDAY_NAMES[date.weekday()]}, not a "
        f"{_WEEKDAY_NAMES[weekday]}; correct the date or the weekday",
        (("date", date.isoformat()),),
    )


def _date_from_day_month(
    match: re.Match[str], date_order: DateOrder, text: str
) -> dt.date | CellProblem:
    first, second = int(match["first"]), int(match["second"])
    day, month = (first, second) if date_order is DateOrder.DMY else (second, first)
    date = _build_date(_full_year(match), month, day, text)
    if not isinstance(date, CellProblem):
        return date

    other_order = OTHER_DATE_ORDER[date_order]
    other_date = _build_date(_full_year(match), day, month, text)
    if not isinstance(other_date, CellProblem):
        return _date_order_problem(text, date_order, other_order, other_date)
    order = _DATE_ORDER_WORDS[date_order]
    return CellProblem(
        Reason.IMPOSSIBLE_DATE,
        f"{text.strip()!r} is not a valid date when read as {order} "
        f"(the definition's date_order is {date_order.value!r}); {_DATE_FIX}",
    )


def _date_order_problem(
    text: str, date_order: DateOrder, other_order: DateOrder, other_date: dt.date
) -> CellProblem:
    """Build the problem of text that is a date only in the other day/month order.

    Text such as ``12/31/2026`` under ``date_order: dmy`` suggests that the
    sheet is written month first, so the problem names the setting that
    reads it.
    """
    return CellProblem(
        Reason.DATE_ORDER_MISMATCH,
        f"{text.strip()!r} is not a valid date when read as "
        f"{_DATE_ORDER_WORDS[date_order]} (the definition's date_order is "
        f"{date_order.value!r}), but it is {other_date} when read as "
        f"{_DATE_ORDER_WORDS[other_order]}. If the sheet's dates are written "
        f"{FIRST_NUMBER_WORDS[other_order]}, set date_order: {other_order.value} "
        f"in the definition, or else type {other_date} or use a date cell",
        (
            ("date", other_date.isoformat()),
            ("date_order", date_order.value),
            ("suggested_date_order", other_order.value),
        ),
    )


def day_month_readings(value: CellValue) -> dict[DateOrder, dt.date] | None:
    """Return the dates that numeric text with the year last makes in each order.

    Return None unless ``value`` is such text (``12/07/2026``, with an
    optional weekday before it and time after it), because date_order reads
    no other form. An order whose reading is no calendar date, or falls on
    another weekday than the one typed, is left out.

    >>> day_month_readings("12/31/2026")
    {<DateOrder.MDY: 'mdy'>: datetime.date(2026, 12, 31)}
    """
    if type(value) is not str:
        return None
    folded = fold_text(value)
    weekday = _WEEKDAY_BEFORE.match(folded)
    if weekday is not None:
        folded = folded[weekday.end() :]
    match = _YEAR_LAST.fullmatch(folded)
    if match is None or not _is_valid_clock(match["clock"]):
        return None

    first, second = int(match["first"]), int(match["second"])
    readings: dict[DateOrder, dt.date] = {}
    for order, (day, month) in (
        (DateOrder.DMY, (first, second)),
        (DateOrder.MDY, (second, first)),
    ):
        try:
            date = dt.date(_full_year(match), month, day)
        except ValueError:
            continue
        if weekday is None or date.weekday() == _WEEKDAYS[weekday["weekday"]]:
            readings[order] = date
    return readings


def _is_valid_clock(clock: str | None) -> bool:
    """Return True when ``clock`` is absent or a time such as 14:30 or 14时30分."""
    if clock is None:
        return True
    match = _CLOCK.fullmatch(clock)
    if match is None:
        return False

    hour = int(match["hour"])
    minute = int(match["minute"] or match["cjk_minute"] or 0)
    second = int(match["second"] or match["cjk_second"] or 0)
    if match["meridiem"] and not 1 <= hour <= 12:
        return False
    return hour <= 23 and minute <= 59 and second <= 59


def _build_date(year: int, month: int, day: int, text: str) -> dt.date | CellProblem:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return CellProblem(
            Reason.IMPOSSIBLE_DATE,
            f"{text.strip()!r} is not a valid calendar date; "
            "check the year, month and day",
        )


def _unrecognised_date(folded: str) -> CellProblem:
    if any(pattern.fullmatch(folded) for pattern in _WITHOUT_YEAR):
        return CellProblem(
            Reason.YEAR_MISSING,
            "the year is missing; type the full date, such as 2025-09-09",
        )

    return _digits_problem(Reason.NOT_A_DATE, folded) or _not_a_date_problem()


def _not_a_date_problem() -> CellProblem:
    return CellProblem(
        Reason.NOT_A_DATE,
        "not a date; use a date cell or type the date like 2025-09-09",
    )
