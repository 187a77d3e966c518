from __future__ import annotations

import pytest

from config.errors import SheetLayoutError
from rules.allowed import read_allowed_column
from rules.grid import SheetGrid


def test_list_column_read_below_header() -> None:
    grid = SheetGrid(
        workbook="Pipeline.xlsx",
        tab="Lists",
        rows=[["Owner", "Product"], ["Ana", 2025.0], [None, "GTX Pro"]],
    )

    assert read_allowed_column(grid, "Product") == ["2025", "GTX Pro"]


def test_missing_list_column_quotes_headers_as_shown() -> None:
    grid = SheetGrid(
        workbook="Pipeline.xlsx", tab="Lists", rows=[["Owner", 2025.0, 1e300]]
    )

    with pytest.raises(SheetLayoutError) as raised:
        read_allowed_column(grid, "Product")

    assert str(raised.value) == (
        "Workbook 'Pipeline.xlsx', tab 'Lists': no column headed 'Product' in the "
        "first 10 rows, so its allowed values cannot be read. Headers found: "
        "A1='Owner', B1='2025', C1='1E+300'. Add the column or fix "
        "'from_tab.column' in the definition."
    )
