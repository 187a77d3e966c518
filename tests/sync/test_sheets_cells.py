"""Numbers Google Sheets shows as dates or times, typed as the Excel source does."""

from __future__ import annotations

import datetime as dt

import pytest

from rules.grid import CellValue
from sync.sources.sheets_cells import (
    date_cells_by_column,
    retype_date_cells,
    type_date_cells,
)


@pytest.mark.parametrize(
    ("serial", "formatted", "expected"),
    [
        (46366, "12/10/2026", dt.date(2026, 12, 10)),
        (46366.5, "12/10/2026 12:00:00", dt.datetime(2026, 12, 10, 12, 0)),
        (46366, "12/10/2026 0:00:00", dt.date(2026, 12, 10)),
        (0.5208333333333334, "12:30:00 PM", dt.time(12, 30)),
        (1.5, "36:00:00", "36:00:00"),
        (-0.25, "-6:00:00", "-6:00:00"),
        (-3, "12/27/1899", -3),
        (1e12, "12/31/9999", 1e12),
    ],
    ids=[
        "date",
        "date-and-time",
        "midnight-is-date",
        "time",
        "duration",
        "negative-duration",
        "negative-date",
        "past-year-9999",
    ],
)
def test_number_shown_as_date_typed(
    serial: float, formatted: str, expected: CellValue
) -> None:
    assert type_date_cells([["D-1", serial]], [["D-1", formatted]]) == [
        ["D-1", expected]
    ]


def test_plain_numbers_and_text_kept() -> None:
    rows: list[list[CellValue]] = [["D-1", 46366, "Lead", True]]

    assert type_date_cells(rows, [["D-1", 46366, "Lead", True]]) == rows


def test_row_edited_between_reads_kept() -> None:
    serial_rows: list[list[CellValue]] = [["D-1", 46366], ["D-2", 46367]]
    formatted_rows: list[list[CellValue]] = [
        ["D-9", "12/10/2026"],
        ["D-2", "12/11/2026"],
    ]

    typed = type_date_cells(serial_rows, formatted_rows)

    assert typed[0] == ["D-1", 46366]
    assert typed[1] == ["D-2", dt.date(2026, 12, 11)]


def test_reread_numbers_get_typed_values() -> None:
    serial_rows: list[list[CellValue]] = [["D-1", 46366, 500], ["D-2", 0.5, 46366]]
    typed = type_date_cells(
        serial_rows, [["D-1", "12/10/2026", 500], ["D-2", "12:00", 46366]]
    )
    reread: list[list[CellValue]] = [["D-2", 0.5, 46366], ["D-1", 46366.0, 500]]

    retype_date_cells(reread, date_cells_by_column(serial_rows, typed))

    assert reread == [
        ["D-2", dt.time(12, 0), 46366],
        ["D-1", dt.date(2026, 12, 10), 500],
    ]


def test_equal_dates_share_one_value() -> None:
    serial_rows: list[list[CellValue]] = [["D-1", 46366], ["D-2", 46366]]
    formatted_rows: list[list[CellValue]] = [
        ["D-1", "12/10/2026"],
        ["D-2", "12/10/2026"],
    ]

    typed = type_date_cells(serial_rows, formatted_rows)

    assert typed[0][1] == dt.date(2026, 12, 10)
    assert typed[0][1] is typed[1][1]


def test_plain_number_beside_equal_date_stays_number() -> None:
    serial_rows: list[list[CellValue]] = [["D-1", 46366], ["D-2", 46366]]
    typed = type_date_cells(serial_rows, [["D-1", "12/10/2026"], ["D-2", 46366]])
    reread: list[list[CellValue]] = [["D-1", 46366], ["D-2", 46366]]

    retype_date_cells(reread, date_cells_by_column(serial_rows, typed))

    assert reread[0] == ["D-1", dt.date(2026, 12, 10)]
    assert reread[1] == ["D-2", 46366]


def test_date_shown_two_ways_typed_by_position() -> None:
    serial_rows: list[list[CellValue]] = [["D-1", 46366.5], ["D-2", 46366.5]]
    typed = type_date_cells(
        serial_rows, [["D-1", "12/10/2026 12:00"], ["D-2", "36:00:00"]]
    )
    reread: list[list[CellValue]] = [["D-1", 46366.5], ["D-2", 46366.5]]

    retype_date_cells(reread, date_cells_by_column(serial_rows, typed))

    assert reread[0] == ["D-1", dt.datetime(2026, 12, 10, 12, 0)]
    assert reread[1] == ["D-2", typed[1][1]]
