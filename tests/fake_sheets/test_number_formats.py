"""Tests of the fake's number formats: FORMATTED_VALUE text of typed numbers."""

from __future__ import annotations

import pytest

from tests.fake_sheets.number_formats import format_number, is_date_serial


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        (1.5, "[h]:mm:ss", "36:00:00"),
        (0.25, "[h]:mm:ss", "6:00:00"),
        (0.0, "[h]:mm:ss", "0:00:00"),
        (1.5, "[hh]:mm", "36:00"),
        (1.5, "[m]:ss", "2160:00"),
        (0.5, "[s]", "43200"),
        (1.5 + 61.25 / 86400, "[h]:mm:ss.00", "36:01:01.25"),
        (-1.5, "[h]:mm", "-36:00"),
        (2958466, "[h]", "71003184"),
    ],
    ids=[
        "hours-past-a-day",
        "hours-under-a-day",
        "zero",
        "padded-hours",
        "minutes",
        "seconds",
        "fraction",
        "negative",
        "past-9999",
    ],
)
def test_elapsed_time_counts_from_zero(
    value: float, pattern: str, expected: str
) -> None:
    assert format_number(value, {"type": "TIME", "pattern": pattern}) == expected


@pytest.mark.parametrize(
    ("value", "kind", "pattern", "expected"),
    [
        (2958465, "DATE", "yyyy-mm-dd", "9999-12-31"),
        (2958465.5, "DATE_TIME", "yyyy-mm-dd hh:mm", "9999-12-31 12:00"),
        (2958466, "DATE", "yyyy-mm-dd", "2958466"),
        (1e12, "DATE_TIME", "M/d/yyyy H:mm:ss", "1000000000000"),
        (-700000, "DATE", "yyyy-mm-dd", "-700000"),
    ],
    ids=["last-day", "last-noon", "day-after", "far-future", "before-year-1"],
)
def test_dates_outside_years_1_to_9999_stay_numbers(
    value: float, kind: str, pattern: str, expected: str
) -> None:
    assert format_number(value, {"type": kind, "pattern": pattern}) == expected


def test_date_serial_range() -> None:
    assert is_date_serial(2958465.5)
    assert not is_date_serial(2958466)
    assert is_date_serial(-693593)
    assert not is_date_serial(-693594)
