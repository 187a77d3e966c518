from __future__ import annotations

import pytest

from config.errors import AllowedListNotFoundError, AmbiguousListColumnError
from rules.allowed import read_allowed_column
from rules.grid import SheetGrid


def test_list_column_read_below_header() -> None:
    grid = SheetGrid(
        workbook="Pipeline.xlsx",
        tab="Lists",
        rows=[["Owner", "Product"], ["Ana", 2025.0], [None, "GTX Pro"]],
    )

    assert read_allowed_column(grid, "Product", "product") == ["2025", "GTX Pro"]


def test_two_list_columns_rejected() -> None:
    grid = SheetGrid(
        workbook="Pipeline.xlsx",
        tab="Lists",
        rows=[["Title"], ["Owner", "Team", "owner "], ["Ana", "East", "Ben"]],
    )

    with pytest.raises(AmbiguousListColumnError) as raised:
        read_allowed_column(grid, "Owner", "owner")

    assert str(raised.value) == (
        "Workbook 'Pipeline.xlsx', tab 'Lists': row 2 has more than one column "
        "headed like the allowed list of 'owner': A 'Owner' and C 'owner '. "
        "pipesheet does not pick one, so runs do not check the values of 'owner'. "
        "Move the values into one of these columns and delete the other, or "
        "rename its header."
    )


def test_missing_list_column_quotes_headers_as_shown() -> None:
    grid = SheetGrid(
        workbook="Pipeline.xlsx", tab="Lists", rows=[["Owner", 2025.0, 1e300]]
    )

    with pytest.raises(AllowedListNotFoundError) as raised:
        read_allowed_column(grid, "Product", "product")

    assert str(raised.value) == (
        "Workbook 'Pipeline.xlsx', tab 'Lists': no column headed 'Product' in the "
        "first 10 rows, so the allowed values of 'product' cannot be read and runs "
        "do not check them. Row 1, the one with the most filled cells, has "
        "A1='Owner', B1='2025', C1='1E+300'. Add the column, fix "
        "allowed.product.from_tab.column, or delete allowed.product from the "
        "definition."
    )


@pytest.mark.parametrize(
    ("rows", "listed"),
    [
        (
            [["Stage", "Owner"], ["Lead", "Ana Lima"], [None, "Ben Ortiz"]],
            "Row 1, the one with the most filled cells, has A1='Stage', B1='Owner'.",
        ),
        (
            [["Lists"], [], ["Stage", "Owner"], ["Lead", "Ana Lima"]],
            "Row 3, the one with the most filled cells, has A3='Stage', B3='Owner'.",
        ),
        ([[], [None, " "]], "The first 10 rows are empty."),
        (
            [[f"Column {number}" for number in range(14)]],
            (
                "Row 1, the one with the most filled cells, has A1='Column 0', "
                "B1='Column 1', C1='Column 2', D1='Column 3', E1='Column 4', "
                "F1='Column 5', G1='Column 6', H1='Column 7', I1='Column 8', "
                "J1='Column 9', K1='Column 10', L1='Column 11' and 2 more."
            ),
        ),
    ],
    ids=["data-below-header", "title-above-header", "empty-tab", "wide-header"],
)
def test_missing_list_column_lists_header_row(
    rows: list[list[object]], listed: str
) -> None:
    grid = SheetGrid(workbook="Pipeline.xlsx", tab="Lists", rows=rows)

    with pytest.raises(AllowedListNotFoundError) as raised:
        read_allowed_column(grid, "Product", "product")

    assert str(raised.value) == (
        "Workbook 'Pipeline.xlsx', tab 'Lists': no column headed 'Product' in the "
        "first 10 rows, so the allowed values of 'product' cannot be read and runs "
        f"do not check them. {listed} Add the column, fix "
        "allowed.product.from_tab.column, or delete allowed.product from the "
        "definition."
    )


def test_missing_list_column_names_rules_tab() -> None:
    grid = SheetGrid(workbook="Pipeline.xlsx", tab="Lists", rows=[["Owner"]])

    with pytest.raises(AllowedListNotFoundError) as raised:
        read_allowed_column(grid, "Product", "product", "Rules")

    assert str(raised.value).endswith(
        "Add the column. Or add to tab 'Rules' the setting "
        "allowed.product.from_tab.column with the header of the column with the "
        "list, or the setting allowed.product with a blank value to stop checking "
        "it."
    )
