from __future__ import annotations

from rules.grid import CellValue, SheetGrid
from rules.merged_cells import (
    read_header_row,
    read_header_rows,
    read_upper_header_row,
    spread_merged_values,
)

Block = tuple[int, int, int, int]


def grid_of(rows: list[list[CellValue]], merged: list[Block]) -> SheetGrid:
    return SheetGrid("Pipeline.xlsx", "Deals", rows, merged=merged)


def test_value_spreads_down_block() -> None:
    rows: list[list[CellValue]] = [
        ["Deal ID", "Account", "Stage"],
        ["D-1", "Globex", "Lead"],
        ["D-2", None, "Demo"],
        ["D-3"],
    ]

    spread = spread_merged_values(grid_of(rows, [(2, 1, 4, 1)]), 2)

    assert spread.rows == [
        ["D-1", "Globex", "Lead"],
        ["D-2", "Globex", "Demo"],
        ["D-3", "Globex"],
    ]
    assert spread.changed == {1, 2}
    assert rows[2] == ["D-2", None, "Demo"]
    assert rows[3] == ["D-3"]


def test_wide_block_fills_first_column_only() -> None:
    rows: list[list[CellValue]] = [
        ["Deal ID", "Account", "Owner"],
        ["D-1", "Globex", None],
        ["D-2", None, None],
    ]

    spread = spread_merged_values(grid_of(rows, [(2, 1, 3, 2)]), 2)

    assert spread.rows == [["D-1", "Globex", None], ["D-2", "Globex", None]]


def test_header_block_stays_as_is() -> None:
    rows: list[list[CellValue]] = [
        ["Q3 deals"],
        ["Deal ID", "Account"],
        ["D-1", None],
    ]

    spread = spread_merged_values(grid_of(rows, [(1, 0, 3, 0), (2, 1, 3, 1)]), 3)

    assert spread.rows == [["D-1", None]]
    assert spread.changed == frozenset()


def test_blank_block_and_rows_past_grid() -> None:
    rows: list[list[CellValue]] = [
        ["Deal ID", "Account"],
        ["D-1", " "],
        ["D-2", None],
        ["D-3", "Initech"],
    ]

    spread = spread_merged_values(grid_of(rows, [(2, 1, 3, 1), (4, 1, 9, 1)]), 2)

    assert spread.rows == rows[1:]
    assert spread.changed == frozenset()


# header rows


def test_header_cell_reads_block_merged_down() -> None:
    # Deal ID merged over A1:A2, Deal over B1:C1 with its two columns below.
    rows: list[list[CellValue]] = [
        ["Deal ID", "Deal", None],
        [None, "Amount", "Probability"],
        ["D-1", 100, 0.4],
    ]

    header = read_header_rows(grid_of(rows, [(1, 0, 2, 0), (1, 1, 1, 2)]), 2)

    assert header == [
        ["Deal ID", "Deal", None],
        ["Deal ID", "Amount", "Probability"],
    ]
    assert rows[1] == [None, "Amount", "Probability"]


def test_header_wide_block_fills_first_column() -> None:
    rows: list[list[CellValue]] = [["Deal ID", None, "Stage"], [None, None, None]]

    header = read_header_row(grid_of(rows, [(1, 0, 2, 1)]), 2)

    assert header == ["Deal ID", None, None]


def test_header_short_row_gets_block_value() -> None:
    rows: list[list[CellValue]] = [["Title", None, "Notes"], ["Deal ID"]]

    header = read_header_row(grid_of(rows, [(1, 2, 2, 2)]), 2)

    assert header == ["Deal ID", None, "Notes"]


def test_header_rows_end_at_last_row() -> None:
    rows: list[list[CellValue]] = [["Deal ID"], [None], [None]]
    grid = grid_of(rows, [(1, 0, 3, 0), (3, 0, 4, 0)])

    assert read_header_rows(grid, 2) == [["Deal ID"], ["Deal ID"]]
    assert read_header_row(grid, 5) == []


def test_header_blank_block_changes_nothing() -> None:
    rows: list[list[CellValue]] = [[" ", "Stage"], ["Deal ID", None]]

    header = read_header_rows(grid_of(rows, [(1, 0, 2, 0)]), 2)

    assert header == rows


def test_upper_header_row_needs_block_merged_down() -> None:
    rows: list[list[CellValue]] = [
        ["Deal ID", "Deal", None, "Notes"],
        [None, "Stage", "Amount"],
    ]

    across = grid_of(rows, [(1, 1, 1, 2)])
    down = grid_of(rows, [(1, 1, 1, 2), (1, 0, 2, 0)])

    assert read_upper_header_row(across, 2) == []
    assert read_upper_header_row(down, 2) == rows[0]
    assert read_upper_header_row(down, 1) == []
