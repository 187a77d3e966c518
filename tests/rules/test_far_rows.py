from __future__ import annotations

from rules.far_rows import FAR_GAP_ROWS, describe_far_rows
from rules.grid import CellValue, SheetGrid

DEALS: list[list[CellValue]] = [
    ["Deal ID", "Stage", "Amount"],
    ["D-1", "Lead", 100],
    ["D-2", "Won", 200],
]


def grid_with(rows: list[list[CellValue]]) -> SheetGrid:
    return SheetGrid("s.xlsx", "Deals", rows)


def far_rows(gap: int, last: list[CellValue]) -> list[list[CellValue]]:
    """Return the deals, ``gap`` empty rows as a reader gives them, then ``last``."""
    return [*DEALS, *([None, None, None] for _ in range(gap)), last]


def test_far_cell_named_with_gap_and_cells_read() -> None:
    grid = grid_with(far_rows(FAR_GAP_ROWS, [None, None, "oops"]))

    assert describe_far_rows(grid) == (
        "Workbook 's.xlsx', tab 'Deals': cell C10004 ('oops') lies 10,000 empty "
        "rows below row 3, the last row above with a value. Each run reads every "
        "row down to row 10,004 (about 30,012 cells), which makes runs slow and "
        "uses much memory. Clear the cells below the data that the team does not "
        "need."
    )


def test_shorter_gap_passed_over() -> None:
    grid = grid_with(far_rows(FAR_GAP_ROWS - 1, [None, None, "oops"]))

    assert describe_far_rows(grid) is None


def test_tab_without_gap_passed_over() -> None:
    assert describe_far_rows(grid_with(DEALS)) is None


def test_empty_text_is_no_value() -> None:
    grid = grid_with(far_rows(FAR_GAP_ROWS, ["", None, ""]))

    assert describe_far_rows(grid) is None


def test_status_cell_is_pipesheets_own() -> None:
    only_status = grid_with(far_rows(FAR_GAP_ROWS, [None, None, "OK"]))
    with_value = grid_with(far_rows(FAR_GAP_ROWS, ["x", None, "OK"]))

    assert describe_far_rows(only_status, status_column=2) is None
    warning = describe_far_rows(with_value, status_column=2)
    assert warning is not None
    assert "cell A10004 ('x') lies" in warning


def test_many_far_cells_counted() -> None:
    row: list[CellValue] = ["a", "b", "c", "d", "e"]
    grid = grid_with(far_rows(FAR_GAP_ROWS, row))

    warning = describe_far_rows(grid)

    assert warning is not None
    assert "cells A10004 ('a'), B10004 ('b'), C10004 ('c') and 2 more lie" in warning
    assert "(about 50,020 cells)" in warning
