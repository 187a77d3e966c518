from __future__ import annotations

from rules.grid import CellValue, SheetGrid
from rules.merged_cells import spread_merged_values

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
