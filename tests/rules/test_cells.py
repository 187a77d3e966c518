from __future__ import annotations

import datetime as dt

import pytest

from config.models import DateOrder, FieldType
from rules.cell_dates import day_month_readings
from rules.cell_numbers import parse_amount, read_float
from rules.cell_percents import PercentScale, choose_percent_scale, parse_percent
from rules.cells import (
    CellProblem,
    Reason,
    cell_parser,
    display_value,
    parse_cell,
    parse_text,
)
from rules.grid import CellValue

SEP_9 = dt.date(2025, 9, 9)


def parse(
    value: CellValue, field_type: FieldType, date_order: DateOrder = DateOrder.DMY
) -> object:
    return parse_cell(value, field_type, date_order=date_order)


def reason_of(result: object) -> Reason | None:
    return result.reason if isinstance(result, CellProblem) else None


# text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Acme Tools ", "Acme Tools"),
        ("00123", "00123"),
        ("'02139", "'02139"),
        ("0912000000", "0912000000"),
        ("3-5", "3-5"),
        (1001, "1001"),
        (1001.0, "1001"),
        (-0.0, "0"),
        (12.5, "12.5"),
        (0.1 + 0.2, "0.3"),
        (True, "TRUE"),
        (False, "FALSE"),
        (SEP_9, "2025-09-09"),
        (dt.datetime(2025, 9, 9), "2025-09-09"),
        (dt.datetime(2025, 9, 9, 14, 30), "2025-09-09 14:30"),
        (dt.time(14, 30, 5), "14:30:05"),
    ],
    ids=[
        "stripped",
        "leading-zeros",
        "apostrophe-kept",
        "phone-number",
        "range-like-code",
        "int",
        "whole-float",
        "negative-zero",
        "fraction",
        "float-noise",
        "true",
        "false",
        "date",
        "midnight-datetime",
        "datetime",
        "time",
    ],
)
def test_text_cell_as_shown(value: CellValue, expected: str) -> None:
    assert parse(value, FieldType.TEXT) == expected


@pytest.mark.parametrize(
    "value", [None, "", " \t\u3000"], ids=["none", "empty", "whitespace"]
)
def test_blank_cell_reads_as_empty_text(value: CellValue) -> None:
    assert parse_text(value) == ""


def test_blank_cell_is_a_problem() -> None:
    assert parse(None, FieldType.TEXT) == CellProblem(Reason.BLANK, "the cell is blank")


# dates


@pytest.mark.parametrize(
    "value",
    [
        SEP_9,
        dt.datetime(2025, 9, 9, 14, 30),
        45909,
        45909.6,
        "2025-09-09",
        "2025-09-09T14:30:00",
        "2025-09-09 14:30",
        "2025-09-09T14:30:00Z",
        "2025-09-09T14:30:00.000Z",
        "2025-09-09T14:30:00+02:00",
        "2025-09-09T23:30:00-05:00",
        "2025-09-09T00:30:00+1400",
        "2025-09-09T14:30+09",
        "2025/9/9",
        "2025.9.9",
        "9/9/2025",
        "09-09-2025",
        "9.9.2025",
        "9 Sep 2025",
        "9-Sep-2025",
        "Sep 9, 2025",
        "Sept. 9, 2025",
        "September 9 2025",
        "9 September 2025",
        "2025年9月9日",
        "2025 年 9 月 9 日",
        "2025年09月09日 14时30分",
        "2025年9月9号",
        "２０２５／９／９",
        "9/9/2025 2:30 PM",
        "2025年9月9日 下午2:30",
        "2025年9月9日（二）",
        "2025年 9月 9日 星期二",
        "2025年9月9日 週二 上午10点",
        "民國114年9月9日",
        "令和7年9月9日",
        "2025年9月9日(火)",
        "2025年9月9日 火曜日 午後2時30分",
        "2025年9月9日（星期二）",
        "2025年9月9日（周二）",
        "2025年9月9日（火曜日）",
        "2025/9/9（火）",
        "2025-09-09 周二",
        "2025/9/9 下午 03:00:00",
        "114年9月9日",
        "中華民國114年9月9日",
    ],
    ids=[
        "date-cell",
        "datetime-cell",
        "serial",
        "serial-with-time",
        "iso",
        "iso-with-t",
        "iso-with-time",
        "iso-utc",
        "iso-utc-milliseconds",
        "iso-offset",
        "iso-offset-next-day-in-utc",
        "iso-offset-previous-day-in-utc",
        "iso-offset-hours-only",
        "year-first-slashes",
        "year-first-dots",
        "slashes",
        "dashes",
        "dots",
        "day-month-name",
        "excel-day-month-name",
        "month-name-day-comma",
        "month-abbreviation-dot",
        "full-month-name",
        "day-full-month-name",
        "chinese",
        "chinese-spaced",
        "chinese-with-time",
        "chinese-hao",
        "full-width-digits",
        "twelve-hour-clock",
        "chinese-afternoon",
        "chinese-weekday-in-brackets",
        "chinese-weekday-word",
        "chinese-weekday-and-morning",
        "minguo-era",
        "reiwa-era",
        "japanese-weekday-in-brackets",
        "japanese-weekday-and-afternoon",
        "chinese-weekday-word-in-brackets",
        "chinese-short-weekday-in-brackets",
        "japanese-weekday-word-in-brackets",
        "year-first-japanese-weekday",
        "iso-chinese-weekday",
        "year-first-spaced-afternoon",
        "minguo-year-without-era",
        "minguo-full-era",
    ],
)
def test_date_forms_read_as_same_day(value: CellValue) -> None:
    assert parse(value, FieldType.DATE) == SEP_9


@pytest.mark.parametrize(
    ("value", "date_order", "expected"),
    [
        ("03/04/2025", DateOrder.DMY, dt.date(2025, 4, 3)),
        ("03/04/2025", DateOrder.MDY, dt.date(2025, 3, 4)),
        ("13/09/2025", DateOrder.DMY, dt.date(2025, 9, 13)),
        ("09/13/2025", DateOrder.MDY, dt.date(2025, 9, 13)),
    ],
    ids=["dmy", "mdy", "dmy-day-13", "mdy-day-13"],
)
def test_numeric_date_follows_date_order(
    value: str, date_order: DateOrder, expected: dt.date
) -> None:
    assert parse(value, FieldType.DATE, date_order) == expected


def test_impossible_date_in_configured_order() -> None:
    result = parse("31/13/2025", FieldType.DATE, DateOrder.DMY)

    assert result == CellProblem(
        Reason.IMPOSSIBLE_DATE,
        "'31/13/2025' is not a valid date when read as day/month/year "
        "(the definition's date_order is 'dmy'); "
        "type the date like 2025-09-09 or use a date cell",
    )


@pytest.mark.parametrize(
    ("value", "date_order", "expected"),
    [
        (
            "09/13/2025",
            DateOrder.DMY,
            CellProblem(
                Reason.DATE_ORDER_MISMATCH,
                "'09/13/2025' is not a valid date when read as day/month/year "
                "(the definition's date_order is 'dmy'), but it is 2025-09-13 "
                "when read as month/day/year. If the sheet's dates are written "
                "month first, set date_order: mdy in the definition, or else "
                "type 2025-09-13 or use a date cell",
                (
                    ("date", "2025-09-13"),
                    ("date_order", "dmy"),
                    ("suggested_date_order", "mdy"),
                ),
            ),
        ),
        (
            " 31/12/2026 ",
            DateOrder.MDY,
            CellProblem(
                Reason.DATE_ORDER_MISMATCH,
                "'31/12/2026' is not a valid date when read as month/day/year "
                "(the definition's date_order is 'mdy'), but it is 2026-12-31 "
                "when read as day/month/year. If the sheet's dates are written "
                "day first, set date_order: dmy in the definition, or else "
                "type 2026-12-31 or use a date cell",
                (
                    ("date", "2026-12-31"),
                    ("date_order", "mdy"),
                    ("suggested_date_order", "dmy"),
                ),
            ),
        ),
    ],
    ids=["month-first-under-dmy", "day-first-under-mdy"],
)
def test_date_of_other_order_names_setting(
    value: str, date_order: DateOrder, expected: CellProblem
) -> None:
    assert parse(value, FieldType.DATE, date_order) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12/31/2026", {DateOrder.MDY: dt.date(2026, 12, 31)}),
        ("31/12/2026", {DateOrder.DMY: dt.date(2026, 12, 31)}),
        (
            "12/07/2026",
            {DateOrder.DMY: dt.date(2026, 7, 12), DateOrder.MDY: dt.date(2026, 12, 7)},
        ),
        ("Monday 12/07/2026 9:30", {DateOrder.MDY: dt.date(2026, 12, 7)}),
        ("31/13/2026", {}),
        ("2026-12-07", None),
        ("7 Dec 2026", None),
        (dt.date(2026, 12, 7), None),
    ],
    ids=[
        "month-first",
        "day-first",
        "either",
        "weekday-decides",
        "neither",
        "iso",
        "month-name",
        "date-cell",
    ],
)
def test_day_month_readings_by_order(
    value: CellValue, expected: dict[DateOrder, dt.date] | None
) -> None:
    assert day_month_readings(value) == expected


def test_chinese_date_missing_year_detail() -> None:
    assert parse("9月9日", FieldType.DATE) == CellProblem(
        Reason.YEAR_MISSING,
        "the year is missing; type the full date, such as 2025-09-09",
    )


@pytest.mark.parametrize(
    "value",
    ["9月9日", "9 月 9 日", "Sep 9", "9 September", "9/9"],
    ids=["chinese", "chinese-spaced", "month-name-day", "day-month-name", "slash"],
)
def test_date_without_year_names_missing_year(value: str) -> None:
    assert reason_of(parse(value, FieldType.DATE)) is Reason.YEAR_MISSING


@pytest.mark.parametrize(
    "serial",
    [1, 60, 0, -5, 60.5],
    ids=["one", "fake-leap-day", "zero", "negative", "fraction"],
)
def test_small_serial_is_not_a_date(serial: float) -> None:
    assert parse(serial, FieldType.DATE) == CellProblem(
        Reason.SERIAL_NOT_A_DATE,
        "not a real date (number formatted as a date?); "
        "type the date like 2025-09-09 or use a date cell",
    )


@pytest.mark.parametrize(
    ("serial", "expected"),
    [(44447, SEP_9), (44447.75, SEP_9), (45909, dt.date(2029, 9, 10))],
    ids=["date", "date-with-time", "1900-serial-read-as-1904"],
)
def test_serial_in_1904_date_system(serial: float, expected: dt.date) -> None:
    parser = cell_parser(FieldType.DATE, DateOrder.DMY, date1904=True)

    assert parser(serial) == expected


def test_1904_date_system_leaves_date_cells() -> None:
    parser = cell_parser(FieldType.DATE, DateOrder.DMY, date1904=True)

    assert parser(SEP_9) == SEP_9
    assert parser("2025-09-09") == SEP_9


@pytest.mark.parametrize(
    "value",
    [
        61,
        25568,
        dt.datetime(1899, 12, 31),
        dt.date(1900, 1, 1),
        1e12,
    ],
    ids=[
        "first-serial-after-leap-bug",
        "serial-1969",
        "excel-serial-one-as-datetime",
        "date-cell-1900",
        "huge-serial",
    ],
)
def test_date_outside_range_looks_like_number(value: CellValue) -> None:
    assert parse(value, FieldType.DATE) == CellProblem(
        Reason.DATE_OUT_OF_RANGE,
        "looks like a number formatted as a date "
        "(dates must fall between 1970-01-01 and 2200-12-31); "
        "type the date like 2025-09-09 or use a date cell",
    )


@pytest.mark.parametrize(
    ("value", "date"),
    [
        ("1969-12-31", "1969-12-31"),
        ("2201-01-01", "2201-01-01"),
        ("01/01/1900", "1900-01-01"),
        ("1 Jan 1900", "1900-01-01"),
        ("1900年1月1日", "1900-01-01"),
        (dt.date(9999, 12, 31), "9999-12-31"),
        (dt.datetime(2201, 1, 1, 12), "2201-01-01"),
    ],
    ids=[
        "iso-1969",
        "iso-2201",
        "slashes-1900",
        "month-name-1900",
        "chinese-1900",
        "date-cell-9999",
        "datetime-cell-2201",
    ],
)
def test_typed_date_outside_range_names_range(value: CellValue, date: str) -> None:
    assert parse(value, FieldType.DATE) == CellProblem(
        Reason.TEXT_DATE_OUT_OF_RANGE,
        f"{date} is outside the dates pipesheet reads (1970-01-01 to 2200-12-31); "
        "correct the year, or leave the cell empty if the date is not known",
        (("date", date), ("earliest", "1970-01-01"), ("latest", "2200-12-31")),
    )


@pytest.mark.parametrize(
    ("value", "date_order", "full_date"),
    [
        ("31/12/26", DateOrder.DMY, "31/12/2026"),
        ("31.12.26", DateOrder.DMY, "31.12.2026"),
        ("1-2-27", DateOrder.DMY, "1-2-2027"),
        ("12/31/26", DateOrder.MDY, "12/31/2026"),
        ("31/12/26 14:30", DateOrder.DMY, "31/12/2026"),
        ("31-Dec-26", DateOrder.DMY, "31-Dec-2026"),
        ("31 DEC. 26", DateOrder.DMY, "31 Dec. 2026"),
        ("December 31, 26", DateOrder.DMY, "December 31, 2026"),
        ("Thu 31/12/26", DateOrder.DMY, "31/12/2026"),
    ],
    ids=[
        "slashes",
        "dots",
        "dashes-one-digit",
        "month-first",
        "with-time",
        "excel-day-month-name",
        "capital-month-dot",
        "month-name-day",
        "after-weekday",
    ],
)
def test_two_digit_year_shows_full_year(
    value: str, date_order: DateOrder, full_date: str
) -> None:
    assert parse(value, FieldType.DATE, date_order) == CellProblem(
        Reason.TWO_DIGIT_YEAR,
        f"the year needs four digits; type {full_date} if that is the date, "
        "or use a date cell",
        (("full_date", full_date),),
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Thursday, December 31, 2026", dt.date(2026, 12, 31)),
        ("Thu 31 Dec 2026", dt.date(2026, 12, 31)),
        ("thurs. 2026-12-31", dt.date(2026, 12, 31)),
        ("Mon 07/12/2026", dt.date(2026, 12, 7)),
        ("Monday, 7 December 2026 09:30", dt.date(2026, 12, 7)),
    ],
    ids=["full-names", "abbreviations", "iso", "day-month-year", "with-time"],
)
def test_date_after_weekday_is_read(value: str, expected: dt.date) -> None:
    assert parse(value, FieldType.DATE) == expected


@pytest.mark.parametrize("value", ["2025年9月9日（三）", "2025-09-09 周三"])
def test_chinese_date_wrong_weekday_is_problem(value: str) -> None:
    assert parse(value, FieldType.DATE) == CellProblem(
        Reason.WEEKDAY_MISMATCH,
        "2025-09-09 is a Tuesday, not a Wednesday; correct the date or the weekday",
        (("date", "2025-09-09"),),
    )


def test_date_after_wrong_weekday_is_problem() -> None:
    assert parse("Monday, December 31, 2026", FieldType.DATE) == CellProblem(
        Reason.WEEKDAY_MISMATCH,
        "2026-12-31 is a Thursday, not a Monday; correct the date or the weekday",
        (("date", "2026-12-31"),),
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (20261205, Reason.DATE_OUT_OF_RANGE),
        (20261205.0, Reason.DATE_OUT_OF_RANGE),
        ("20261205", Reason.NOT_A_DATE),
        (" 20261205 ", Reason.NOT_A_DATE),
    ],
    ids=["number", "float", "text", "text-with-spaces"],
)
def test_yyyymmdd_date_names_probable_date(value: CellValue, reason: Reason) -> None:
    assert parse(value, FieldType.DATE) == CellProblem(
        reason,
        "not a date; if it means 2026-12-05 (read as yyyymmdd), type 2026-12-05 "
        "or use a date cell",
    )


def test_yyyymmdd_in_1904_date_system_names_date() -> None:
    parser = cell_parser(FieldType.DATE, DateOrder.DMY, date1904=True)

    assert reason_of(parser(20261205)) is Reason.DATE_OUT_OF_RANGE
    assert "if it means 2026-12-05" in str(parser(20261205))


@pytest.mark.parametrize(
    "value",
    [20261332, 19691231, 20261205.5, 99991231, "20261332", "2026120"],
    ids=["no-month-13", "before-1970", "fraction", "after-2200", "text", "seven"],
)
def test_non_date_digits_get_general_fix(value: CellValue) -> None:
    result = parse(value, FieldType.DATE)

    assert isinstance(result, CellProblem)
    assert "if it means" not in result.detail
    assert "use a date cell" in result.detail


def test_date_range_edges_are_accepted() -> None:
    assert parse(25569, FieldType.DATE) == dt.date(1970, 1, 1)
    assert parse("2200-12-31", FieldType.DATE) == dt.date(2200, 12, 31)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (dt.time(14, 30), Reason.TIME_ONLY),
        (dt.datetime(1899, 12, 30, 14, 30), Reason.TIME_ONLY),
        (True, Reason.TRUE_FALSE),
        ("2025-02-30", Reason.IMPOSSIBLE_DATE),
        ("2025-09-09 25:00", Reason.NOT_A_DATE),
        ("9/9/2025 13:00 pm", Reason.NOT_A_DATE),
        ("2025-09-09T14:30:00+2", Reason.NOT_A_DATE),
        ("2025-09-09T14:30:00 PST", Reason.NOT_A_DATE),
        ("2025-09-09Z", Reason.NOT_A_DATE),
        ("next Tuesday", Reason.NOT_A_DATE),
        ("20250909", Reason.NOT_A_DATE),
        ("9/9/25", Reason.TWO_DIGIT_YEAR),
        ("31/02/26", Reason.IMPOSSIBLE_DATE),
        ("Thursday, December 31", Reason.YEAR_MISSING),
        ("Thursday", Reason.NOT_A_DATE),
        ("26-12-2026x", Reason.NOT_A_DATE),
        ("2025-09", Reason.NOT_A_DATE),
        ("12.5", Reason.NOT_A_DATE),
        (float("nan"), Reason.SERIAL_NOT_A_DATE),
    ],
    ids=[
        "time-only",
        "time-on-epoch",
        "boolean",
        "february-30",
        "hour-25",
        "pm-after-12",
        "one-digit-offset",
        "zone-name",
        "zone-without-time",
        "words",
        "compact-digits",
        "two-digit-year",
        "two-digit-year-february-31",
        "weekday-without-year",
        "weekday-only",
        "trailing-letter",
        "month-only",
        "decimal-number-text",
        "nan",
    ],
)
def test_date_cell_problems(value: CellValue, reason: Reason) -> None:
    assert reason_of(parse(value, FieldType.DATE)) is reason


def test_unreadable_date_detail() -> None:
    assert parse("soon", FieldType.DATE) == CellProblem(
        Reason.NOT_A_DATE,
        "not a date; use a date cell or type the date like 2025-09-09",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "TRUE/FALSE is not a date; "),
        (dt.time(9, 30), "a time of day without a date; "),
        ("2025-02-30", "'2025-02-30' is not a valid calendar date; "),
    ],
    ids=["true-false", "time-only", "impossible-day"],
)
def test_unreadable_date_says_fix(value: object, expected: str) -> None:
    result = parse(value, FieldType.DATE)

    assert isinstance(result, CellProblem)
    assert result.detail.startswith(expected)
    assert result.detail.endswith(
        ("type the date like 2025-09-09 or use a date cell", "year, month and day")
    )


def test_amount_serial_stays_a_number() -> None:
    assert parse(45909, FieldType.AMOUNT) == 45909.0


@pytest.mark.parametrize(
    ("value", "field_type", "expected"),
    [
        ("2025-09-09\u200f", FieldType.DATE, SEP_9),
        ("\u200f09/09/2025", FieldType.DATE, SEP_9),
        ("\u202b2025-09-09\u202c", FieldType.DATE, SEP_9),
        ("100\u200e", FieldType.AMOUNT, 100.0),
        ("\u200f$1,200", FieldType.AMOUNT, 1200.0),
        ("1\u00ad000", FieldType.NUMBER, 1000.0),
    ],
    ids=[
        "date-rtl-mark-after",
        "date-rtl-mark-before",
        "date-rtl-embedding",
        "amount-ltr-mark",
        "amount-rtl-mark",
        "number-soft-hyphen",
    ],
)
def test_invisible_marks_ignored_in_values(
    value: str, field_type: FieldType, expected: object
) -> None:
    assert parse(value, field_type) == expected


# amounts and numbers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12000, 12000.0),
        (12000.5, 12000.5),
        ("12000", 12000.0),
        ("  12,000  ", 12000.0),
        ("$12,000.50", 12000.5),
        ("€1,200", 1200.0),
        ("£1,200", 1200.0),
        ("¥12,000", 12000.0),
        ("￥12,000", 12000.0),
        ("USD 1,200", 1200.0),
        ("1,200 EUR", 1200.0),
        ("CNY 5000", 5000.0),
        ("RMB5000", 5000.0),
        ("5000元", 5000.0),
        ("人民币 1000", 1000.0),
        ("人民幣5,000", 5000.0),
        ("1.2万", 12000.0),
        ("¥1.2万", 12000.0),
        ("1.2万元", 12000.0),
        ("0.07万", 700.0),
        ("12k", 12000.0),
        ("$12.5K", 12500.0),
        ("1 200", 1200.0),
        ("1\u00a0200", 1200.0),
        ("1\u2009200.50", 1200.5),
        ("1\u202f200", 1200.0),
        ("+5", 5.0),
        ("1.234,56", 1234.56),
        ("EUR 1.234.567,8", 1234567.8),
        ("1.234.567", 1234567.0),
        ("1.000.000 €", 1000000.0),
        ("12.5", 12.5),
        ("12.50", 12.5),
        ("12.5000", 12.5),
        ("1234.567", 1234.567),
        ("0.125", 0.125),
        ("1,234.567", 1234.567),
        ("12.500k", 12500.0),
        (".5", 0.5),
        ("１２，０００", 12000.0),
        ("1,250", 1250.0),
        ("1,5", 1.5),
        ("1250,50", 1250.5),
        ("€12,50", 12.5),
        ("0,5", 0.5),
        ("0,125", 0.125),
        ("1250,500", 1250.5),
        ("12 500,50", 12500.5),
        ("1\u00a0234\u00a0567,8 €", 1234567.8),
        ("2.5M", 2500000.0),
        ("2,5 m", 2500000.0),
        ("$5MM", 5000000.0),
        ("€3mn", 3000000.0),
        ("1.2bn", 1200000000.0),
        ("3亿", 300000000.0),
        ("12.500m", 12500000.0),
        ("R$ 1.000,00", 1000.0),
        ("CHF 1'000.50", 1000.5),
        ("1\u2019250\u2019000 CHF", 1250000.0),
        ("C$ 1,250", 1250.0),
        ("1 200 kr", 1200.0),
        ("₹1,20,000", 120000.0),
        ("12,34,567.50", 1234567.5),
        ("JPY 3000", 3000.0),
        ("500 zł", 500.0),
    ],
    ids=[
        "int",
        "float",
        "digits",
        "thousands-and-spaces",
        "dollars",
        "euros",
        "pounds",
        "yen-sign",
        "full-width-yen",
        "code-before",
        "code-after",
        "cny",
        "rmb-no-space",
        "yuan",
        "renminbi",
        "renminbi-traditional",
        "wan",
        "yen-wan",
        "wan-yuan",
        "small-wan",
        "k",
        "dollar-capital-k",
        "space-thousands",
        "nbsp-thousands",
        "thin-space-thousands",
        "narrow-nbsp-thousands",
        "plus",
        "comma-decimal",
        "comma-decimal-many-groups",
        "dots-only",
        "dots-only-euro",
        "dot-decimal",
        "two-decimals",
        "four-decimals",
        "four-digits-then-three",
        "leading-zero",
        "comma-then-point",
        "point-before-k",
        "leading-dot",
        "full-width-digits",
        "comma-then-three-groups",
        "comma-then-one-digit",
        "comma-decimal-no-groups",
        "comma-decimal-euro",
        "zero-comma",
        "zero-comma-three-digits",
        "four-digits-comma-three",
        "space-thousands-comma-decimal",
        "nbsp-thousands-comma-decimal",
        "million",
        "million-comma-decimal",
        "million-mm",
        "million-mn",
        "billion-bn",
        "yi",
        "point-before-m",
        "brazilian-real",
        "swiss-apostrophe",
        "swiss-right-quote",
        "canadian-dollar",
        "crowns-after",
        "rupee-lakhs",
        "lakh-grouping",
        "yen-code",
        "zloty-after",
    ],
)
def test_amount_forms(value: CellValue, expected: float) -> None:
    assert parse(value, FieldType.AMOUNT) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("$96,200", 96200.0),
        ("1,234,567.89", 1234567.89),
        ("0.1", 0.1),
        ("007", 7.0),
        ("$0", 0.0),
        ("123456789012345.123", 123456789012345.123),
    ],
    ids=["dollars", "groups-and-cents", "tenth", "leading-zeros", "zero", "long"],
)
def test_plain_amount_text_read_exactly(value: str, expected: float) -> None:
    assert parse(value, FieldType.AMOUNT) == expected


def test_number_type_parses_like_amount() -> None:
    assert parse("1,234", FieldType.NUMBER) == 1234.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("(1,200)", -1200.0),
        ("($1,200)", -1200.0),
        ("-1200", -1200.0),
        ("-$1,200", -1200.0),
        ("$-1,200", -1200.0),
        ("\u22125", -5.0),
        ("750,00-", -750.0),
        ("1.234,56 €-", -1234.56),
        ("\u20135", -5.0),
        ("\u20145", -5.0),
        (-3, -3.0),
    ],
    ids=[
        "parentheses",
        "parentheses-currency",
        "minus",
        "minus-before-currency",
        "minus-after-currency",
        "unicode-minus",
        "trailing-minus",
        "trailing-minus-after-currency",
        "en-dash",
        "em-dash",
        "negative-int",
    ],
)
def test_number_keeps_negative_forms(value: CellValue, expected: float) -> None:
    assert parse(value, FieldType.NUMBER) == expected


NEGATIVE_AMOUNT = CellProblem(
    Reason.NEGATIVE_AMOUNT,
    "a deal amount cannot be negative; enter the amount as a positive number",
)


@pytest.mark.parametrize(
    "value",
    [
        "(500)",
        "-300",
        "-1,000",
        "($1,200)",
        "$-1,200",
        "\u22125",
        "750,00-",
        "1.234,56 €-",
        "1,234.56-",
        "\u2013500",
        "\u2014500",
        "\u2010500",
        -300,
        -0.5,
    ],
    ids=[
        "parentheses",
        "minus",
        "minus-thousands",
        "parentheses-currency",
        "minus-after-currency",
        "unicode-minus",
        "trailing-minus",
        "trailing-minus-after-currency",
        "trailing-minus-point-decimal",
        "en-dash",
        "em-dash",
        "hyphen",
        "negative-int",
        "negative-float",
    ],
)
def test_negative_amount_is_problem(value: CellValue) -> None:
    assert parse(value, FieldType.AMOUNT) == NEGATIVE_AMOUNT


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("١٬٢٣٤٫٥٦", 1234.56),
        ("1234٫5", 1234.5),
        ("۳۰۰۰٫۵", 3000.5),
        ("١٢٣٤", 1234.0),
        ("१,२३४.५६", 1234.56),
        ("१२,३४,५६७", 1234567.0),
        ("৳ ১২,৩৪,৫৬৭", 1234567.0),
        ("€ ١٬٢٣٤", 1234.0),
    ],
    ids=[
        "arabic-indic-separators",
        "arabic-decimal-mark",
        "persian",
        "arabic-indic-bare",
        "devanagari",
        "devanagari-lakhs",
        "bengali-taka",
        "arabic-indic-euro",
    ],
)
def test_amount_in_native_digits(value: str, expected: float) -> None:
    assert parse(value, FieldType.AMOUNT) == expected


@pytest.mark.parametrize(
    "value", [0, "0", "-0"], ids=["zero", "zero-text", "minus-zero"]
)
def test_zero_amount_is_accepted(value: CellValue) -> None:
    assert parse(value, FieldType.AMOUNT) == 0.0


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1,250,50", Reason.AMBIGUOUS_SEPARATORS),
        ("1,234,5678", Reason.AMBIGUOUS_SEPARATORS),
        ("1,2345", Reason.AMBIGUOUS_SEPARATORS),
        ("$12,5000", Reason.AMBIGUOUS_SEPARATORS),
        ("1.234", Reason.AMBIGUOUS_SEPARATORS),
        ("12.500 €", Reason.AMBIGUOUS_SEPARATORS),
        ("€ 250.000", Reason.AMBIGUOUS_SEPARATORS),
        ("$12.500", Reason.AMBIGUOUS_SEPARATORS),
        ("-12.500", Reason.AMBIGUOUS_SEPARATORS),
        ("12,34.5", Reason.AMBIGUOUS_SEPARATORS),
        ("lots", Reason.NOT_A_NUMBER),
        ("", Reason.NOT_A_NUMBER),
        ("$", Reason.NOT_A_NUMBER),
        ("-(5)", Reason.NOT_A_NUMBER),
        ("1e5", Reason.NOT_A_NUMBER),
        ("nan", Reason.NOT_A_NUMBER),
        ("12 apples", Reason.UNKNOWN_CURRENCY),
        ("5kk", Reason.UNKNOWN_CURRENCY),
        ("2.5 million", Reason.UNKNOWN_CURRENCY),
        (True, Reason.TRUE_FALSE),
        (float("nan"), Reason.NOT_FINITE),
        (float("inf"), Reason.NOT_FINITE),
        ("9" * 400, Reason.NOT_FINITE),
        (SEP_9, Reason.DATE_NOT_NUMBER),
        (dt.time(9, 0), Reason.DATE_NOT_NUMBER),
    ],
    ids=[
        "comma-groups-then-two-digits",
        "comma-groups-then-four-digits",
        "comma-then-four-digits",
        "misplaced-thousands-comma",
        "point-then-three",
        "point-then-three-euro-after",
        "point-then-three-euro-before",
        "point-then-three-dollar",
        "point-then-three-negative",
        "bad-grouping",
        "words",
        "empty",
        "sign-only",
        "two-negative-signs",
        "exponent",
        "nan-text",
        "trailing-words",
        "two-suffixes",
        "suffix-as-word",
        "boolean",
        "nan",
        "inf",
        "overflow",
        "date",
        "time",
    ],
)
def test_amount_problems(value: CellValue, reason: Reason) -> None:
    assert reason_of(parse(value, FieldType.AMOUNT)) is reason


@pytest.mark.parametrize(
    ("value", "amount"),
    [
        ("SAR 5,000", 5000.0),
        ("1,000 SAR", 1000.0),
        ("KES 1,000", 1000.0),
        ("(NGN 2,500)", -2500.0),
        ("1000zar", 1000.0),
        ("usd 500", 500.0),
        ("ALL 5,000", 5000.0),
        ("5,000 TRY", 5000.0),
    ],
    ids=[
        "code-before",
        "code-after",
        "code-not-listed",
        "in-parentheses",
        "no-space",
        "usual-code-lower-case",
        "word-code-in-capitals",
        "word-code-after",
    ],
)
def test_iso_currency_code_read(value: CellValue, amount: float) -> None:
    assert read_float(value) == amount


@pytest.mark.parametrize(
    ("value", "unknown"),
    [
        ("R 1,000", "'R'"),
        ("1,000 TL", "'TL'"),
        ("2,000 ر.س", "'ر.س'"),
        ("1000 EUR/yr", "'/yr'"),
        ("1,000 dollars", "'dollars'"),
        ("(R 1,000)", "'R'"),
        ("~ 1,000 Rand", "'~' and 'Rand'"),
        ("1,5 Mio EUR", "'Mio'"),
        ("2 mln USD", "'mln'"),
        ("10k per mo", "'per mo'"),
        ("1,000 (est)", "'(est)'"),
        ("all-in 5000", "'all-in'"),
    ],
    ids=[
        "letter-before",
        "letters-after",
        "arabic-after",
        "code-with-slash",
        "word-ending-in-code",
        "in-parentheses",
        "both-sides",
        "word-before-code",
        "abbreviation-before-code",
        "words-after-suffix",
        "word-in-brackets",
        "word-starting-with-code",
    ],
)
def test_unknown_currency_named(value: CellValue, unknown: str) -> None:
    assert parse(value, FieldType.AMOUNT) == CellProblem(
        Reason.UNKNOWN_CURRENCY,
        f"not a number, because of {unknown}, which is no currency code or sign "
        "that pipesheet reads; write the amount with digits only (a k, m or bn "
        "suffix is read) and its currency, if any, as an ISO 4217 code such as "
        "USD or EUR, or in a column of its own",
        (("unknown_text", unknown),),
    )


@pytest.mark.parametrize(
    ("value", "unknown", "example"),
    [
        ("1,000 (USD)", "'(USD)'", "1,000 USD"),
        ("(EUR) 1,000", "'(EUR)'", "EUR 1,000"),
        ("USD: 1,000", "'USD:'", "USD 1,000"),
        ("1000 USD.", "'USD.'", "1,000 USD"),
        ("1,000 kes", "'kes'", "1,000 KES"),
        ("all 5000", "'all'", "ALL 5,000"),
        ("top 50k", "'top'", "TOP 50,000"),
        ("TOP 50k", "'TOP'", "TOP 50,000"),
        ("50k top", "'top'", "50,000 TOP"),
        ("gel 5", "'gel'", "GEL 5"),
        ("try 500", "'try'", "TRY 500"),
    ],
    ids=[
        "code-in-brackets-after",
        "code-in-brackets-before",
        "code-with-colon",
        "code-with-period",
        "code-lower-case",
        "word-code-lower-case",
        "word-code-with-suffix",
        "word-code-capitals-with-suffix",
        "word-code-after",
        "word-code-gel",
        "word-code-try",
    ],
)
def test_currency_code_form_named(value: str, unknown: str, example: str) -> None:
    problem = parse(value, FieldType.AMOUNT)

    assert isinstance(problem, CellProblem)
    assert problem.reason is Reason.CURRENCY_CODE_FORM
    assert problem.params == (("unknown_text", unknown), ("example", example))
    assert problem.detail.startswith(f"not a number, because of {unknown}: ")
    assert "no currency code" not in problem.detail


def test_currency_code_form_detail() -> None:
    assert parse("1,000 (USD)", FieldType.AMOUNT) == CellProblem(
        Reason.CURRENCY_CODE_FORM,
        "not a number, because of '(USD)': pipesheet reads a currency code in "
        "capitals beside the digits, with no brackets or other marks, as in 1,000 "
        "USD; write the code that way if it is the amount's currency, or remove "
        "the text",
        (("unknown_text", "'(USD)'"), ("example", "1,000 USD")),
    )


def test_word_code_form_detail() -> None:
    problem = parse("top 50k", FieldType.AMOUNT)

    assert isinstance(problem, CellProblem)
    assert problem.detail == (
        "not a number, because of 'top': pipesheet reads a currency code in "
        "capitals beside the digits, with no brackets or other marks, as in TOP "
        "50,000, and a code that is also a word, such as ALL or TOP, only when the "
        "cell has no other letters; write the code that way if it is the amount's "
        "currency, or remove the text"
    )


@pytest.mark.parametrize(
    "value",
    ["1,0a00", "$ 1,000 - $2,000", "2026-12-01", "1000+"],
    ids=["letter-inside", "range", "date-text", "sign-only-after"],
)
def test_unreadable_digits_not_a_number(value: CellValue) -> None:
    assert reason_of(parse(value, FieldType.AMOUNT)) is Reason.NOT_A_NUMBER


def test_number_field_text_not_a_currency() -> None:
    assert reason_of(parse("5 seats", FieldType.NUMBER)) is Reason.NOT_A_NUMBER


def test_point_then_three_detail() -> None:
    assert parse("12.500 €", FieldType.AMOUNT) == CellProblem(
        Reason.AMBIGUOUS_SEPARATORS,
        "cannot tell whether the point separates thousands or decimals; type "
        "12500 or 12,500 if it separates thousands, or enter it as a number, not "
        "text",
    )


def test_ambiguous_amount_detail() -> None:
    assert parse("1,250,50", FieldType.AMOUNT) == CellProblem(
        Reason.AMBIGUOUS_SEPARATORS,
        "cannot tell which mark separates thousands and which decimals; "
        "type the number like 1234.56 or 1,234.56",
    )


# percents


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.25, 0.25),
        (0, 0.0),
        (1, 1.0),
        (25, 0.25),
        (100, 1.0),
        ("25%", 0.25),
        ("25 %", 0.25),
        ("33.3%", 0.333),
        ("0.5%", 0.005),
        ("２５％", 0.25),
        ("0.25", 0.25),
        ("25", 0.25),
    ],
    ids=[
        "fraction",
        "zero",
        "one-is-all",
        "whole-percent",
        "hundred",
        "percent-text",
        "percent-space",
        "percent-decimal",
        "small-percent",
        "full-width",
        "fraction-text",
        "number-text",
    ],
)
def test_probability_forms(value: CellValue, expected: float) -> None:
    assert parse(value, FieldType.PERCENT) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (150, Reason.PERCENT_OUT_OF_RANGE),
        ("120%", Reason.PERCENT_OUT_OF_RANGE),
        (-0.1, Reason.PERCENT_OUT_OF_RANGE),
        ("-5%", Reason.PERCENT_OUT_OF_RANGE),
        ("high", Reason.NOT_A_NUMBER),
        ("%", Reason.NOT_A_NUMBER),
        (True, Reason.TRUE_FALSE),
        (float("nan"), Reason.NOT_FINITE),
    ],
    ids=[
        "over-hundred",
        "over-hundred-percent",
        "negative",
        "negative-percent",
        "words",
        "sign-only",
        "boolean",
        "nan",
    ],
)
def test_probability_problems(value: CellValue, reason: Reason) -> None:
    assert reason_of(parse(value, FieldType.PERCENT)) is reason


def test_probability_out_of_range_detail() -> None:
    assert parse(150, FieldType.PERCENT) == CellProblem(
        Reason.PERCENT_OUT_OF_RANGE,
        "a probability must be between 0% and 100%, such as 25% or 0.25",
    )


@pytest.mark.parametrize(
    ("value", "scale", "expected"),
    [
        (1, PercentScale.FRACTION, 1.0),
        # A fraction keeps its reading among points: a 0% cell showing 50%.
        (0.5, PercentScale.POINTS, 0.5),
        ("0.5", PercentScale.POINTS, 0.5),
        (50, PercentScale.POINTS, 0.5),
        (0.25, PercentScale.FRACTION, 0.25),
        ("25%", PercentScale.FRACTION, 0.25),
        ("25%", PercentScale.POINTS, 0.25),
    ],
    ids=[
        "one-among-fractions",
        "half-among-points",
        "half-text-among-points",
        "fifty-among-points",
        "fraction-among-fractions",
        "percent-text-among-fractions",
        "percent-text-among-points",
    ],
)
def test_probability_read_on_column_scale(
    value: CellValue, scale: PercentScale, expected: float
) -> None:
    assert parse_percent(value, scale) == expected


def test_points_among_fractions_name_both_readings() -> None:
    assert parse_percent(1.5, PercentScale.FRACTION) == CellProblem(
        Reason.PERCENT_SCALE_MISMATCH,
        "the column gives probabilities as fractions (0.25 is 25%), so 1.5 reads "
        "as 150%, over 100%; if 1.5% is meant, type 0.015 or 1.5%",
        params=(
            ("as_fraction", "150%"),
            ("as_points", "1.5%"),
            ("points_fraction", "0.015"),
        ),
    )


@pytest.mark.parametrize(
    ("value", "scale"),
    [
        (150, PercentScale.FRACTION),
        (101, PercentScale.POINTS),
        (-0.5, PercentScale.POINTS),
    ],
    ids=["over-hundred-among-fractions", "over-hundred-points", "negative-points"],
)
def test_probability_out_of_range_on_scale(
    value: CellValue, scale: PercentScale
) -> None:
    assert reason_of(parse_percent(value, scale)) is Reason.PERCENT_OUT_OF_RANGE


@pytest.mark.parametrize(
    ("cells", "scale"),
    [
        ([0.6, 1, 1.5, 0.015], PercentScale.FRACTION),
        ([1, 1.5, 2, 50], PercentScale.POINTS),
        ([0, 0, 0, 50, 60], PercentScale.POINTS),
        ([0, 0, 0, 0.5, 0.6], PercentScale.FRACTION),
        (["0.25", "0.5", 50], PercentScale.FRACTION),
        ([0.5, "60%", "70%", 70], PercentScale.POINTS),
        ([True, True, 1], PercentScale.FRACTION),
        ([None, "high", "25%"], PercentScale.POINTS),
    ],
    ids=[
        "mostly-fractions",
        "mostly-points",
        "zeros-do-not-count",
        "zeros-beside-fractions",
        "number-text-counts",
        "percent-text-does-not-count",
        "true-is-not-one",
        "no-numbers",
    ],
)
def test_column_scale_follows_most_numbers(
    cells: list[CellValue], scale: PercentScale
) -> None:
    assert choose_percent_scale(cells) is scale


@pytest.mark.parametrize(
    ("value", "field_type", "detail"),
    [
        (
            "abc",
            FieldType.PERCENT,
            "not a number; type a probability such as 25% or 0.25",
        ),
        (
            "x%",
            FieldType.PERCENT,
            "not a number; type a probability such as 25% or 0.25",
        ),
        (
            "0,5,0",
            FieldType.PERCENT,
            (
                "cannot tell whether a mark separates decimals or thousands; type a "
                "probability such as 25% or 0.25"
            ),
        ),
        ("many", FieldType.NUMBER, "not a number; type digits such as 12 or 12.5"),
        (
            "lots",
            FieldType.AMOUNT,
            "not a number; type digits such as 12000 or 12,000.50",
        ),
    ],
    ids=["probability", "probability-percent", "probability-comma", "number", "amount"],
)
def test_unreadable_number_advice_fits_field(
    value: CellValue, field_type: FieldType, detail: str
) -> None:
    problem = parse(value, field_type)

    assert isinstance(problem, CellProblem)
    assert problem.detail == detail


# flags


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", True),
        ("YES", True),
        ("y", True),
        ("true", True),
        ("X", True),
        ("✓", True),
        ("✔", True),
        ("1", True),
        (1, True),
        (1.0, True),
        ("是", True),
        ("已确认", True),
        (True, True),
        ("no", False),
        ("N", False),
        ("false", False),
        ("0", False),
        (0, False),
        ("否", False),
        (False, False),
    ],
    ids=[
        "yes",
        "yes-upper",
        "y",
        "true-text",
        "x",
        "check-mark",
        "heavy-check-mark",
        "one-text",
        "one",
        "one-float",
        "shi",
        "yi-queren",
        "true",
        "no",
        "n-upper",
        "false-text",
        "zero-text",
        "zero",
        "fou",
        "false",
    ],
)
def test_flag_forms(value: CellValue, expected: bool) -> None:
    assert parse(value, FieldType.FLAG) is expected


@pytest.mark.parametrize(
    "value", ["maybe", 2, "✗", SEP_9], ids=["word", "two", "cross-mark", "date"]
)
def test_flag_problems(value: CellValue) -> None:
    assert parse(value, FieldType.FLAG) == CellProblem(
        Reason.NOT_A_FLAG, "not a yes/no value; use yes or no, TRUE or FALSE, x or ✓"
    )


# display_value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("  as typed ", "  as typed "),
        (1001.0, "1001"),
        (999_999_999_999_999.0, "999999999999999"),
        (1e15, "1E+15"),
        (1e20, "1E+20"),
        (1e300, "1E+300"),
        (-1e300, "-1E+300"),
        (4111111111111111.0, "4.11111111111111E+15"),
        (10**16, "1E+16"),
        (10**400, "1E+400"),
        (0.0001, "0.0001"),
        (0.00001, "1E-05"),
        (1.5e-7, "1.5E-07"),
        (0.25, "0.25"),
        (float("nan"), "nan"),
        (45909, "45909"),
        (True, "TRUE"),
        (SEP_9, "2025-09-09"),
        (dt.datetime(2025, 9, 9, 0, 0), "2025-09-09"),
        (dt.datetime(2025, 9, 9, 14, 30, 15), "2025-09-09 14:30:15"),
        (dt.time(14, 30), "14:30"),
    ],
    ids=[
        "blank",
        "text-untouched",
        "whole-float",
        "fifteen-digits",
        "sixteen-digits",
        "twenty-one-digits",
        "huge",
        "huge-negative",
        "card-number",
        "sixteen-digit-int",
        "int-beyond-float-range",
        "small",
        "tiny",
        "tiny-fraction",
        "fraction",
        "nan",
        "int",
        "boolean",
        "date",
        "midnight",
        "datetime-seconds",
        "time",
    ],
)
def test_display_value_as_user_sees_it(value: CellValue, expected: str) -> None:
    assert display_value(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1e20, "100000000000000000000"), (10**16, "10000000000000000")],
    ids=["float", "int"],
)
def test_text_of_long_number_keeps_digits(value: CellValue, expected: str) -> None:
    assert parse_text(value) == expected


@pytest.mark.parametrize("value", [1e15, 4.2e17, "1,000,000,000,000,000", 10**16])
def test_sixteen_digit_amount_is_a_problem(value: CellValue) -> None:
    parsed = parse_amount(value)

    assert isinstance(parsed, CellProblem)
    assert parsed.reason is Reason.AMOUNT_TOO_LARGE


def test_fifteen_digit_amount_is_read() -> None:
    assert parse_amount(999_999_999_999_999) == 999_999_999_999_999


def test_one_among_points_is_problem() -> None:
    problem = parse_percent(1, PercentScale.POINTS)

    assert isinstance(problem, CellProblem)
    assert problem.reason is Reason.ONE_AMONG_POINTS


@pytest.mark.parametrize("value", ["5 m", "10 mm", "2bn", "3亿"])
def test_number_field_takes_no_million_suffix(value: str) -> None:
    # In a count such as seats, "m" may be a unit; amounts read it as million.
    assert reason_of(parse(value, FieldType.NUMBER)) is Reason.NOT_A_NUMBER
    assert isinstance(parse(value, FieldType.AMOUNT), float)


def test_number_field_keeps_thousands_suffix() -> None:
    assert parse("5k", FieldType.NUMBER) == 5000.0


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (dt.time(0, 0), Reason.ZERO_DATE),
        (dt.datetime(1899, 12, 30), Reason.ZERO_DATE),
        (dt.time(9, 30), Reason.TIME_ONLY),
        (dt.datetime(1899, 12, 30, 9, 30), Reason.TIME_ONLY),
    ],
    ids=["zero-time", "zero-datetime", "time", "time-on-epoch"],
)
def test_zero_in_date_cell_named(value: CellValue, reason: Reason) -> None:
    assert reason_of(parse(value, FieldType.DATE)) is reason


def test_zero_date_detail() -> None:
    assert parse(dt.time(0, 0), FieldType.DATE) == CellProblem(
        Reason.ZERO_DATE,
        "the cell holds 0, which a date format shows as 00:00. If it holds a "
        "formula, the formula's saved result is 0, so check the cells it reads; "
        "otherwise type the date like 2025-09-09 or use a date cell",
    )
