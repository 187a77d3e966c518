from __future__ import annotations

from rules.far_rows import FAR_GAP_ROWS, describe_far_rows
from rules.grid import CellValue, SheetGrid

DEALS: list[list[CellValue]] = [
    ["Deal ID", "Stage", "Amount"],
    ["D-1", "Lead", 100],
    ["D-2", "Won", 200],
]
EMPTY: list[CellValue] = [None, None, None]


def grid_with(*blocks: tuple[int, list[CellValue]]) -> SheetGrid:
    """Return the deals, then for each block ``gap`` empty rows and one row."""
    rows = list(DEALS)
    for gap, row in blocks:
        rows += [list(EMPTY) for _ in range(gap)]
        rows.append(row)
    return SheetGrid("s.xlsx", "Deals", rows)


def test_far_cell_named() -> None:
    grid = grid_with((FAR_GAP_ROWS, [None, None, "oops"]))

    assert describe_far_rows(grid, 3) == (
        "Workbook 's.xlsx', tab 'Deals': cell C10004 ('oops') lies far below the "
        "data, which ends at row 3. Each run reads every row down to row 10,004 "
        "(about 30,012 cells), which makes runs slow and uses much memory. Clear "
        "the cells below the data that the team does not need."
    )


def test_shorter_gap_passed_over() -> None:
    grid = grid_with((FAR_GAP_ROWS - 1, [None, None, "oops"]))

    assert describe_far_rows(grid, 0) is None


def test_grid_with_too_few_empty_rows_not_read() -> None:
    grid = grid_with((FAR_GAP_ROWS, [None, None, "oops"]))

    # Counted so, the grid has fewer empty rows than a far gap takes.
    assert describe_far_rows(grid, 5) is None


def test_tab_without_gap_passed_over() -> None:
    assert describe_far_rows(grid_with(), 0) is None


def test_two_far_cells_near_each_other_both_named() -> None:
    grid = grid_with((3 * FAR_GAP_ROWS, ["x", None, None]), (100, [None, "y", None]))

    warning = describe_far_rows(grid, 3)

    assert warning is not None
    assert "cells A30004 ('x'), B30105 ('y') lie far below the data, which ends " in (
        warning
    )
    assert "at row 3." in warning


def test_second_far_cell_not_data_end() -> None:
    grid = grid_with((FAR_GAP_ROWS, ["x", None, None]), (3 * FAR_GAP_ROWS, ["y"]))

    warning = describe_far_rows(grid, 3)

    assert warning is not None
    assert "cells A10004 ('x'), A40005 ('y') lie far below the data, which ends " in (
        warning
    )


def test_empty_text_stretches_the_range_too() -> None:
    # The reader reads empty text as an empty cell, so the range ends in an
    # empty row.
    grid = grid_with((FAR_GAP_ROWS, list(EMPTY)))

    warning = describe_far_rows(grid, 3)

    assert warning is not None
    assert (
        'a cell with empty text in row 10,004 (such as a formula giving "") '
        "lies far below the data, which ends at row 3." in warning
    )


def test_far_cell_and_empty_text_below_it() -> None:
    grid = grid_with((FAR_GAP_ROWS, ["x", None, None]), (5, list(EMPTY)))

    warning = describe_far_rows(grid, 3)

    assert warning is not None
    assert (
        "cell A10004 ('x') and a cell with empty text in row 10,010 (such as a "
        'formula giving "") lie far below' in warning
    )


def test_status_cell_named_only_alone_in_its_row() -> None:
    only_status = grid_with((FAR_GAP_ROWS, [None, None, "oops"]))
    with_value = grid_with((FAR_GAP_ROWS, ["x", None, "ERROR: missing Stage"]))

    alone = describe_far_rows(only_status, 3, status_column=2)
    beside = describe_far_rows(with_value, 3, status_column=2)

    assert alone is not None
    assert "cell C10004 ('oops') lies" in alone
    assert beside is not None
    assert "cell A10004 ('x') lies" in beside


def test_many_far_cells_counted() -> None:
    grid = grid_with((FAR_GAP_ROWS, ["a", "b", "c", "d", "e"]))

    warning = describe_far_rows(grid, 3)

    assert warning is not None
    assert "cells A10004 ('a'), B10004 ('b'), C10004 ('c') and 2 more lie" in warning
    assert "(about 50,020 cells)" in warning


def test_far_deals_named_to_move_up() -> None:
    grid = grid_with((FAR_GAP_ROWS, ["D-3", "Lead", 300]), (0, ["D-4", "Won", 400]))

    assert describe_far_rows(grid, 3, id_column=0) == (
        "Workbook 's.xlsx', tab 'Deals': 2 deals, in rows 10,004 ('D-3'), 10,005 "
        "('D-4'), lie far below the data, which ends at row 3. Each run reads "
        "every row down to row 10,005 (about 30,015 cells), which makes runs slow "
        "and uses much memory. Move those deals up to the rows below the other "
        "deals, and clear the cells below the data that the team does not need."
    )


def test_far_deal_and_stray_cell_named_apart() -> None:
    grid = grid_with((FAR_GAP_ROWS, ["D-3", "Lead", 300]), (5, [None, None, "x"]))

    message = describe_far_rows(grid, 3, id_column=0)

    assert message is not None
    assert message.startswith(
        "Workbook 's.xlsx', tab 'Deals': the deal in row 10,004 ('D-3') and cell "
        "C10010 ('x') lie far below the data"
    )
