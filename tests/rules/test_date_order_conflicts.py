from __future__ import annotations

import datetime as dt

import pytest

from config.models import DateOrder, Pipeline
from rules.date_order_conflicts import (
    date_order_mismatch_fields,
    describe_date_order_conflicts,
)
from rules.grid import CellValue, SheetGrid
from rules.headers import match_columns
from rules.rows import read_deals

HEADER: list[CellValue] = ["Deal ID", "Stage", "Expected Close", "Next Step Date"]


def grid_of(*rows: list[CellValue]) -> SheetGrid:
    return SheetGrid(workbook="pipeline.xlsx", tab="Deals", rows=[HEADER, *rows])


def conflicts(
    pipeline: Pipeline, *rows: list[CellValue], fields: set[str] | None = None
) -> list[str]:
    grid = grid_of(*rows)
    columns = match_columns(grid, pipeline)
    return describe_date_order_conflicts(grid, columns, pipeline, fields)


def test_month_first_column_under_dmy_warned(english_pipeline: Pipeline) -> None:
    found = conflicts(
        english_pipeline,
        ["U-1", "Lead", "12/31/2026", "12/07/2026"],
        ["U-2", "Lead", "12/20/2026", "12/08/2026"],
        ["U-3", "Lead", "01/10/2027", "12/04/2026"],
    )

    assert found == [
        (
            "Workbook 'pipeline.xlsx', tab 'Deals', column 'Expected Close': 2 "
            "text dates, such as C2 '12/31/2026', are valid only when read month "
            "first, but the definition's date_order is 'dmy'. Its dates that "
            "read either way (1 in the column), such as C4 '01/10/2027', are "
            "read day first (as 2027-10-01) and may be wrong. If the sheet's "
            "dates are written month first, set date_order: mdy in the "
            "definition. The setting applies to every date column of the tab."
        )
    ]


def test_day_first_column_under_mdy_warned(english_pipeline: Pipeline) -> None:
    american = english_pipeline.model_copy(update={"date_order": DateOrder.MDY})

    found = conflicts(
        american,
        ["D-1", "Lead", dt.date(2026, 12, 31), "Thu 31/12/2026"],
        ["D-2", "Lead", None, "2026-12-31"],
    )

    assert found == [
        (
            "Workbook 'pipeline.xlsx', tab 'Deals', column 'Next Step Date': the "
            "text date D2 'Thu 31/12/2026' is valid only when read day first, "
            "but the definition's date_order is 'mdy'. If the sheet's dates are "
            "written day first, set date_order: dmy in the definition. The "
            "setting applies to every date column of the tab."
        )
    ]


def test_fix_names_rules_tab(english_pipeline: Pipeline) -> None:
    source = english_pipeline.source.model_copy(update={"rules_tab": "Rules"})
    pipeline = english_pipeline.model_copy(update={"source": source})

    found = conflicts(pipeline, ["U-1", "Lead", "12/31/2026", None])

    assert len(found) == 1
    assert found[0].endswith(
        "set date_order: mdy in the Setting table of tab 'Rules'. The setting "
        "applies to every date column of the tab."
    )


@pytest.mark.parametrize(
    "close_dates",
    [
        ("12/31/2026", "31/12/2026"),
        ("13/01/2027", "01/10/2027"),
        ("12/07/2026", "07/12/2026"),
        ("05/05/2026", dt.date(2026, 12, 31)),
    ],
    ids=["both-orders", "setting-order", "only-either", "same-either-way"],
)
def test_column_not_contradicting_unwarned(
    english_pipeline: Pipeline, close_dates: tuple[CellValue, CellValue]
) -> None:
    found = conflicts(
        english_pipeline,
        ["D-1", "Lead", close_dates[0], None],
        ["D-2", "Lead", close_dates[1], None],
    )

    assert found == []


def test_conflicts_only_in_given_fields(english_pipeline: Pipeline) -> None:
    rows: list[list[CellValue]] = [["D-1", "Lead", "12/31/2026", "12/30/2026"]]

    found = conflicts(english_pipeline, *rows, fields={"next_step_date"})

    assert len(found) == 1
    assert "column 'Next Step Date'" in found[0]


def test_mismatch_fields_from_bad_dates(english_pipeline: Pipeline) -> None:
    grid = grid_of(
        ["D-1", "Lead", "12/31/2026", "31/13/2026"],
        ["D-2", "Lead", "soon", "12/07/2026"],
    )
    _deals, findings = read_deals(
        grid, match_columns(grid, english_pipeline), english_pipeline
    )

    assert date_order_mismatch_fields(findings) == {"close_date"}
