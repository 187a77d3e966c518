from __future__ import annotations

import pytest

from config.models import Pipeline
from rules.cell_numbers import CommaUse, comma_use
from rules.comma_conflicts import describe_comma_conflicts
from rules.grid import CellValue, SheetGrid
from rules.headers import match_columns

HEADER: list[CellValue] = ["Deal ID", "Stage", "Amount"]


def conflicts(pipeline: Pipeline, *amounts: CellValue) -> list[str]:
    rows = [[f"D-{row}", "Lead", amount] for row, amount in enumerate(amounts, 1)]
    grid = SheetGrid(workbook="pipeline.xlsx", tab="Deals", rows=[HEADER, *rows])
    columns = match_columns(grid, pipeline)
    return describe_comma_conflicts(grid, columns, pipeline)


def test_thousands_comma_among_decimal_commas_warned(
    english_pipeline: Pipeline,
) -> None:
    found = conflicts(english_pipeline, "1.234,56 €", 3500.0, "0,75 €", "1,250 €")

    assert found == [
        (
            "Workbook 'pipeline.xlsx', tab 'Deals', column 'Amount': the text "
            "amount C5 '1,250 €' is read with the comma separating thousands (as "
            "1250), but the column's other text amounts, such as C2 '1.234,56 €', "
            "use a decimal comma. If 1,250 means 1,25, type it so. If it means "
            "1250, type it without the comma."
        )
    ]


def test_several_thousands_commas_counted(english_pipeline: Pipeline) -> None:
    found = conflicts(english_pipeline, "2,500", "0,75", "1,200", "2,500")

    assert len(found) == 1
    assert found[0].startswith(
        "Workbook 'pipeline.xlsx', tab 'Deals', column 'Amount': 2 text amounts, "
        "such as C2 '2,500', are read with the comma separating thousands"
    )
    assert "If 2,500 means 2,5, type it so." in found[0]


@pytest.mark.parametrize(
    "amounts",
    [
        ("1,250 €", "2,000 €"),
        ("1,250", "0,75", "$1,234.50"),
        ("1.234,56 €", "0,75 €"),
        ("1,250", 0.75),
    ],
    ids=["thousands-only", "mixed-styles", "decimal-only", "number-cells"],
)
def test_column_without_conflict_not_warned(
    english_pipeline: Pipeline, amounts: tuple[CellValue, ...]
) -> None:
    assert conflicts(english_pipeline, *amounts) == []


@pytest.mark.parametrize(
    ("text", "use"),
    [
        ("1.234,56 €", CommaUse.DECIMAL),
        ("12 500,00", CommaUse.DECIMAL),
        ("1'250,50", CommaUse.DECIMAL),
        ("0,125", CommaUse.DECIMAL),
        ("1,250 €", CommaUse.THOUSANDS_OR_DECIMAL),
        ("-1,250", CommaUse.THOUSANDS_OR_DECIMAL),
        ("$1,234.50", CommaUse.THOUSANDS),
        ("1,234,567", CommaUse.THOUSANDS),
        ("1250", None),
        ("a,b", None),
    ],
    ids=[
        "dot-groups",
        "space-groups",
        "apostrophe-groups",
        "leading-zero",
        "one-group",
        "negative-one-group",
        "comma-then-point",
        "comma-groups",
        "no-comma",
        "not-a-number",
    ],
)
def test_comma_use_of_text(text: str, use: CommaUse | None) -> None:
    assert comma_use(text) == use
