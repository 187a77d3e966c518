"""Tests of the new IDs planned for deal rows whose ID cell is blank."""

from __future__ import annotations

import datetime as dt

import pytest

from config.models import IdFill, Pipeline
from rules.grid import CellValue, SheetGrid
from rules.headers import match_columns
from rules.history import DealSnapshot, Transition
from rules.id_fill import (
    FilledId,
    format_id,
    grid_with_ids,
    highest_id_number,
    history_deal_ids,
    plan_id_fills,
    with_filled_ids,
)
from rules.rows import read_deal_rows
from rules.stage_history import StageHistory

FILL = IdFill(prefix="D-", digits=4)
HEADER: list[CellValue] = ["Deal ID", "Account", "Stage", "pipesheet status", "Notes"]


def fills_of(
    pipeline: Pipeline,
    rows: list[list[CellValue]],
    used_ids: tuple[str, ...] = (),
    **grid_options: object,
) -> list[FilledId]:
    grid = SheetGrid("Pipeline.xlsx", "Deals", [HEADER, *rows], **grid_options)  # type: ignore[arg-type]
    columns = match_columns(grid, pipeline)
    deals = read_deal_rows(grid, columns, pipeline).deals
    return plan_id_fills(grid, columns, deals, FILL, used_ids)


@pytest.mark.parametrize(
    ("ids", "highest"),
    [
        (["D-0007", "D-0042", "D-0009"], 42),
        (["d-12", " D-0013 "], 13),
        (["D-42a", "X-0099", "D-", "D--5", "D-4.5"], 0),
        (["D-١٢"], 0),
        ([None, "D-0100000"], 100000),
        ([], 0),
    ],
    ids=["highest", "case-and-spaces", "not-numbers", "other-digits", "long", "none"],
)
def test_highest_number_with_prefix(ids: list[str | None], highest: int) -> None:
    assert highest_id_number(ids, "D-") == highest


@pytest.mark.parametrize(
    ("number", "text"),
    [(1, "D-0001"), (42, "D-0042"), (12345, "D-12345")],
    ids=["one", "padded", "wider"],
)
def test_id_padded_to_digits(number: int, text: str) -> None:
    assert format_id(FILL, number) == text


def test_blank_ids_numbered_after_highest(english_pipeline: Pipeline) -> None:
    fills = fills_of(
        english_pipeline,
        [
            ["D-0007", "Acme", "Lead"],
            [None, "Beta", "Lead"],
            ["D-0041", "Gamma", "Lead"],
            ["  ", "Delta", "Lead"],
        ],
    )

    assert fills == [FilledId(3, "D-0042"), FilledId(5, "D-0043")]


def test_blank_row_gets_no_id(english_pipeline: Pipeline) -> None:
    fills = fills_of(
        english_pipeline,
        [
            ["D-0001", "Acme", "Lead"],
            [None, None, None],
            [None, None, None, "ERROR: missing Deal ID"],
            [None, "Beta", None],
        ],
    )

    assert fills == [FilledId(5, "D-0002")]


def test_row_with_only_a_note_gets_no_id(english_pipeline: Pipeline) -> None:
    fills = fills_of(
        english_pipeline,
        [
            ["D-0001", "Acme", "Lead"],
            [None, None, None, None, "call back next year"],
            [None, "Beta", None, None, "new"],
        ],
    )

    assert fills == [FilledId(4, "D-0002")]


def test_history_ids_not_given_again(english_pipeline: Pipeline) -> None:
    fills = fills_of(
        english_pipeline,
        [["D-0001", "Acme", "Lead"], [None, "Beta", "Lead"]],
        used_ids=("D-0050", "D-0003"),
    )

    assert fills == [FilledId(3, "D-0051")]


def test_formula_id_cell_left_alone(english_pipeline: Pipeline) -> None:
    fills = fills_of(
        english_pipeline,
        [[None, "Acme", "Lead"], [None, "Beta", "Lead"]],
        empty_formula_results=frozenset({(2, 0)}),
    )

    assert fills == [FilledId(3, "D-0001")]


def test_merged_id_cell_left_alone(english_pipeline: Pipeline) -> None:
    fills = fills_of(
        english_pipeline,
        [[None, "Acme", "Lead"], [None, "Beta", "Lead"]],
        merged=[(3, 0, 3, 1)],
    )

    assert fills == [FilledId(2, "D-0001")]


def test_no_fills_without_blank_ids(english_pipeline: Pipeline) -> None:
    fills = fills_of(english_pipeline, [["D-0001", "Acme", "Lead"]])

    assert fills == []


def test_history_ids_from_snapshot_and_changes() -> None:
    history = StageHistory(
        previous=[DealSnapshot("D-0002", "Lead", None, None, 2)],
        transitions=[Transition("D-0009", "Lead", None, dt.date(2025, 9, 1))],
    )

    assert set(history_deal_ids(history)) == {"D-0002", "D-0009"}
    assert list(history_deal_ids(None)) == []


def test_grid_with_ids_leaves_read_grid() -> None:
    grid = SheetGrid("Pipeline.xlsx", "Deals", [HEADER, [None, "Acme"], ["D-1", "B"]])

    filled = grid_with_ids(grid, 0, [FilledId(2, "D-0002")])

    assert filled.rows == [HEADER, ["D-0002", "Acme"], ["D-1", "B"]]
    assert grid.rows[1] == [None, "Acme"]
    assert filled.rows[2] is grid.rows[2]


RICH_HEADER: list[CellValue] = [
    "Deal ID",
    "Account",
    "Stage",
    "Amount",
    "Probability",
    "Expected Close",
    "",
    "pipesheet status",
]
# Rows with blank IDs among findings of many kinds: cell problems, an unknown
# and a blank stage, content under a blank header, mixed currencies, a
# duplicate ID, an ID typed as a number, a totals row and a blank row.
RICH_ROWS: list[list[CellValue]] = [
    ["D-0001", "Acme", "Lead", 1000, 0.2, dt.date(2025, 10, 1)],
    [None, "Beta", "Demoo", "lots", 0.5, "end of Q4"],
    [None, "Gamma", None, "$1,200", 25, dt.date(2025, 11, 1), "note"],
    ["D-0001", "Delta", "Won", "€900", None, None],
    [None, "Epsilon", "Proposal", "¥3000", 2, dt.date(2025, 12, 1)],
    [17, "Zeta", "Lost", 10, 1.5, "2025-13-01"],
    [None, None, None, None, None, None, None, "ERROR: missing Deal ID"],
    ["   ", "Eta", "Qualified", None, None, None, None, "ERROR: missing Deal ID"],
    [None, "Total", None, 15200],
]


@pytest.mark.parametrize(
    "rows",
    [RICH_ROWS, [list(row) for row in reversed(RICH_ROWS)]],
    ids=["as-written", "reversed"],
)
def test_filled_rows_read_as_second_read(
    english_pipeline: Pipeline, rows: list[list[CellValue]]
) -> None:
    grid = SheetGrid("Pipeline.xlsx", "Deals", [RICH_HEADER, *rows])
    columns = match_columns(grid, english_pipeline)
    first = read_deal_rows(grid, columns, english_pipeline)
    fills = plan_id_fills(grid, columns, first.deals, FILL, ())
    filled = grid_with_ids(grid, columns.fields["id"], fills)

    patched = with_filled_ids(first, columns, filled, fills)

    second = read_deal_rows(filled, columns, english_pipeline)
    assert len(fills) == 4
    assert patched.deals == second.deals
    assert patched.findings == second.findings
    assert patched.text_date_fields == second.text_date_fields
