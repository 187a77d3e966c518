"""Tests of matching planned status writes to rows by deal ID."""

from __future__ import annotations

import pytest

from rules.grid import CellValue, SheetGrid
from sync.plan import StatusWrite, WritePlan
from sync.status_alignment import StatusTarget, align_status_writes, deal_key


def make_grid(*rows: list[CellValue]) -> SheetGrid:
    return SheetGrid("Pipeline.xlsx", "Pipeline", [["Deal ID", "Status"], *rows])


def make_plan(*writes: StatusWrite) -> WritePlan:
    return WritePlan(
        tab="Pipeline",
        header_row=1,
        id_column=0,
        status_column=1,
        status_header="Status",
        write_status_header=False,
        last_row=10,
        last_column=1,
        status_cells=list(writes),
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" D-7 ", "D-7"),
        ("00123", "00123"),
        (1001, "1001"),
        (1001.0, "1001"),
        (10.5, "10.5"),
        (None, None),
        ("  ", None),
    ],
    ids=[
        "padded-text",
        "leading-zeros",
        "int",
        "whole-float",
        "fraction",
        "empty",
        "blank",
    ],
)
def test_deal_key_normalises_id(value: CellValue, expected: str | None) -> None:
    assert deal_key(value) == expected


def test_unmoved_row_written_in_place() -> None:
    grid = make_grid(["D-1", None], ["D-2", None])

    alignment = align_status_writes(grid, make_plan(StatusWrite("D-2", 3, "OK", None)))

    assert alignment.targets == [StatusTarget("D-2", 3, "OK")]
    assert alignment.skipped == []


def test_moved_row_follows_id() -> None:
    grid = make_grid(["D-2", None], ["D-1", None])

    alignment = align_status_writes(grid, make_plan(StatusWrite("D-2", 3, "OK", None)))

    assert alignment.targets == [StatusTarget("D-2", 2, "OK")]


def test_numeric_id_matches_text_id() -> None:
    grid = make_grid([1001, None])

    alignment = align_status_writes(grid, make_plan(StatusWrite("1001", 2, "OK", None)))

    assert alignment.targets == [StatusTarget("1001", 2, "OK")]


@pytest.mark.parametrize(
    ("rows", "write"),
    [
        ([["D-1", None]], StatusWrite("D-9", 2, "OK", None)),
        ([["D-1", None], ["D-1", None]], StatusWrite("D-1", 2, "OK", None)),
        ([["D-1", "Waiting for PO"]], StatusWrite("D-1", 2, "OK", None)),
        ([["D-1", "OK"]], StatusWrite("D-1", 2, "ERROR: x", "WARNING: y")),
    ],
    ids=["vanished", "duplicated", "filled-by-person", "changed-by-person"],
)
def test_unsafe_write_skipped(rows: list[list[CellValue]], write: StatusWrite) -> None:
    alignment = align_status_writes(make_grid(*rows), make_plan(write))

    assert alignment.targets == []
    assert alignment.skipped == [write.deal_id]


def test_status_already_current_not_written() -> None:
    grid = make_grid(["D-1", "OK"])

    alignment = align_status_writes(grid, make_plan(StatusWrite("D-1", 2, "OK", "OK")))

    assert alignment.targets == []
    assert alignment.skipped == []


def test_blank_and_empty_status_equal() -> None:
    grid = make_grid(["D-1", "  "])

    alignment = align_status_writes(grid, make_plan(StatusWrite("D-1", 2, "OK", None)))

    assert alignment.targets == [StatusTarget("D-1", 2, "OK")]


def test_header_row_id_ignored() -> None:
    grid = SheetGrid("Pipeline.xlsx", "Pipeline", [["D-1", "Status"], ["D-1", None]])

    alignment = align_status_writes(grid, make_plan(StatusWrite("D-1", 2, "OK", None)))

    assert alignment.targets == [StatusTarget("D-1", 2, "OK")]
